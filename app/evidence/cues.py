"""Evidence cues in a passage, each with the span of text that triggered it.

Three kinds, found by rules that a reader can audit (every cue keeps its span):

* ``attribution``: who the passage says the claim comes from.
  ``named`` (a named person or body on the record: "South Korea's National
  Intelligence Service said", "said Defense Secretary Lloyd Austin"),
  ``anonymous`` ("officials said", "sources familiar with", "according to
  intelligence", "speaking on condition of anonymity", "reportedly"),
  ``outlet`` (another news organisation: "according to Reuters", "Yonhap
  reported"). A passage with none of these has no attribution; the
  ``evidence_cues`` view shows that as ``attribution / none``.
* ``material``: what the claim rests on: ``video``, ``photo``, ``satellite``,
  ``document``, ``intercept``, ``data``, ``physical`` (prisoners, wreckage,
  captured equipment). A mention under negation ("no video has emerged",
  "without providing documents", "has yet to release footage") is not a cue,
  nor is a picture credit ("AP Photo/...").
* ``stance``: what a source does with the claim: ``confirms`` ("confirmed",
  "acknowledged", "admitted"), ``denies`` ("denied", "dismissed the reports",
  "called the claims fabricated"), ``disputes`` ("questioned", "cast doubt"),
  ``cannot_verify`` ("could not independently verify", "unconfirmed",
  "neither confirmed nor denied"). Negated or conditional forms ("did not
  deny", "if confirmed") are not cues.

Sentences come from :func:`app.sentences.sentences` (a maintained splitter: "Sen. Jane Doe of the U.S.
Senate" stays one sentence). Known blind spots: the rules read English only; they judge each sentence on its
own (a pronoun's antecedent in an earlier sentence is not resolved); a
capitalised phrase before "said" is taken as a named source, so an unusual
name for an anonymous group can pass as named. bench/evidence_eval.py measures
precision and recall per cue on a labelled set.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from app.outlets import names_pattern
from app.sentences import sentences
from app.widgets import blank_widgets

RULES_VERSION = 7  # 3: sentences by syntok (app.sentences), not a regular expression; 4: bounded names and sentences;
# 5: a negated speech verb ("officials would not say") is no anonymous attribution; 6: page widgets read as blank;
# 7: a refusal is no denial ("was denied entry", "denied bail", a headline's "after walk denied")

WIRES = ("Associated Press", "AP", "Reuters", "AFP", "Agence France-Presse", "Bloomberg", "Yonhap", "KCNA",
         "Korean Central News Agency", "TASS", "RIA Novosti", "Interfax", "Xinhua", "Kyodo", "BBC", "CNN",
         "The New York Times", "New York Times", "The Washington Post", "Washington Post", "The Wall Street Journal",
         "Wall Street Journal", "The Guardian", "Financial Times", "NHK", "Al Jazeera", "Politico", "Axios",
         "Fox News", "NBC News", "CBS News", "ABC News", "Sky News", "Der Spiegel", "Le Monde", "NK News",
         "Radio Free Asia", "Daily NK", "Voice of America")


@dataclass(frozen=True)
class Cue:
    kind: str  # attribution | material | stance
    subtype: str
    start: int  # character offsets of the span in the passage
    end: int
    span: str
    source: str | None = None  # the named person or body, or the outlet


_WS = r"\s+"

# -- attribution ------------------------------------------------------------
_SPEECH = (r"(?:said|says|say|told|tells|stated|states|announced|announces|claimed|claims|claim|added|warned|insisted|"
           r"confirmed|confirms|denied|denies|deny|acknowledged|admitted|wrote|tweeted|posted|estimated|estimates|"
           r"estimate|reported|reports|believes?|assessed|testified|argued|noted|explained|dismissed|rejected|called|"
           r"described|branded|questioned|disputed|doubted|doubt|suggested|suggest|alleged|allege|accused|testified|"
           r"vowed|pledged|threatened)")
_RELEASE = r"(?:released|published|posted|shared|presented|showed|shown|issued|produced|distributed|displayed)"
_ANON_NOUN = (r"(?:officials?|sources?|diplomats?|insiders?|people|persons?|individuals?|aides?|"
              r"officers?|lawmakers?|analysts?|experts?|observers?|residents?|witnesses?|critics|monitors|"
              r"researchers?|investigators?|intelligence|groups|firms|agencies|economists|scientists|activists|campaigners|"
              r"soldiers|troops|defectors?|prisoners|locals|villagers|doctors)")
# Auxiliaries and adverbs between the source and its verb. A negated speech verb credits nobody with anything
# ("officials would not say how many": rules version 5); "officials have not confirmed" still names the
# sources a claim was put to.
_AUX = r"(?:(?:have|had|has|were|was|are|is|could|would|did|also|privately|reportedly|later|now|\w+ly)\s+)*"
_QUALIFIER = (r"(?:\s+(?:familiar\s+with|close\s+to|briefed\s+on|with\s+(?:direct\s+)?knowledge\s+of|who\s+(?:have|had)\s+"
              r"(?:seen|read|been\s+briefed\s+on)|in|at|from|of|for|inside|within)(?:\s+[\w'’.-]+){1,5}?)?")
_ANON = [
    # "officials said", "a senior official told", "Pentagon officials say", "two people familiar with ... said"
    rf"\b(?:(?:an?|the|two|three|four|several|some|many|other|senior|western|independent|(?-i:[A-Z][a-z]+)(?:'s|’s)?)"
    rf"\s+){{0,4}}(?:(?:intelligence|military|government|defen[cs]e|security|administration|diplomatic|senior|"
    rf"western|unnamed|anonymous|unidentified|independent)\s+)*{_ANON_NOUN}{_QUALIFIER}(?:\s*,\s*[^,;]{{1,80}},)?\s+"
    rf"(?:{_AUX}(?:{_SPEECH}|(?:not\s+)?(?:confirmed|verified))\b|who\s+(?:spoke|asked|requested|declined|"
    rf"would\s+not|did\s+not|were\s+not|was\s+not)\b|speaking\b|quoted\b|cited\b)",
    r"\b(?:on|under)\s+(?:the\s+)?condition\s+of\s+anonymity\b",
    r"\b(?:declined|asked|refused|requested)\s+(?:not\s+)?to\s+be\s+(?:named|identified)\b",
    r"\basked\s+that\s+(?:his|her|their)\s+names?\s+not\s+be\s+(?:used|published|given)\b",
    r"\bwho\s+(?:would|could|did)\s+not\s+be\s+(?:named|identified)\b",
    r"\b(?:unnamed|anonymous|unidentified)\s+(?:[a-z]+\s+){0,2}" + _ANON_NOUN,
    r"\b(?:according\s+to|citing|quoting)\s+(?:(?:an?|the|some|several|two|three)\s+)?(?:(?:senior|western|unnamed|"
    r"anonymous|intelligence|military|government|security|diplomatic|independent|unidentified|(?-i:[A-Z][a-z]+))\s+){0,3}"
    rf"(?:{_ANON_NOUN}(?:\s+(?:assessments?|reports?|estimates?|officials?|sources?))?|reports?|estimates?|"
    r"assessments?|groups?)\b",
    r"\b(?:reportedly|allegedly)\b",
    r"\b(?:is|are|was|were)\s+(?:said|believed|thought|understood|reported|alleged)\s+to\b",
    r"\bit\s+is\s+(?:understood|believed|thought)\b",
]
_ANON_RE = re.compile("|".join(f"(?:{p})" for p in _ANON), re.I)

# A capitalised word: it starts at a word boundary and is at most 41 characters long, so a hostile "word" of
# ten thousand capitals costs a linear scan, not a quadratic backtrack from every letter in it.
_WORD = r"\b[A-Z][\w.-]{0,40}(?:[’'](?!s\b)\w{1,40})?"
_TITLE = rf"(?:{_WORD}|of|for|the|and|de|al|von|van|bin)"
_PROPER = rf"{_WORD}(?:\s+{_TITLE}){{0,9}}"
_BODY_NOUN = (r"(?:foreign\s+ministry|defen[cs]e\s+ministry|ministry|government|army|military|general\s+staff|staff|"
              r"armed\s+forces|presidency|president|prime\s+minister|spokes(?:man|woman|person)|(?:state\s+)?media|"
              r"(?:state\s+)?news\s+agency|agency|service|directorate|intelligence|embassy|police|navy|"
              r"air\s+force|parliament|cabinet|leader|office|command|authorities|regime|brigade|minister|general|"
              r"commander|ambassador|governor|mayor|secretary|chief|court|prosecutors?|council|senator|surgeon|doctor|"
              r"professor|judge|envoy|bank|company|firm|institute|department|university|state\s+television)")
_BODY = rf"(?:[Tt]he|[Aa]n?)\s+(?:[\w'’-]+\s+){{0,2}}?{_BODY_NOUN}(?:\s+(?:for|of|in|at)\s+(?:the\s+)?{_WORD}(?:\s+{_TITLE}){{0,4}})?"
_NAMED_SUBJECT = (rf"(?P<name>(?:[Tt]he\s+)?{_PROPER}(?:(?:'s|’s)?\s+(?:[a-z]+\s+){{0,2}}?{_BODY_NOUN}(?:\s+{_PROPER})?|"
                  rf"(?:'s|’s)\s+{_PROPER})?"
                  rf"|{_BODY}|\b[Ss]tate\s+(?:media|television|news\s+agency|broadcaster))")
_APPOSITION = r"(?:\s*,\s*[^,;\"“”]{1,90},)?"
_ADVERBS = r"(?:(?:has|had|have|also|then|later|again|first|on\s+\w+|\w+ly)\s+)*"
_NAMED = [
    rf"{_NAMED_SUBJECT}{_APPOSITION}\s+{_ADVERBS}(?:{_SPEECH}|{_RELEASE})\b",
    rf"\b(?:said|says|according\s+to|told\s+by|wrote)\s+{_NAMED_SUBJECT}(?=\s*(?:[,.;:!?\"”’)]|$)|\s+(?:in|on|at|"
    rf"during|after|before|last|this|who|when|yesterday|today)\b)",
    rf"\b(?:statement|report|assessment|briefing|announcement|update)\s+(?:by|from)\s+{_NAMED_SUBJECT}",
    rf"\b{_RELEASE}(?:\s+online)?\s+by\s+{_NAMED_SUBJECT}",
    r"(?P<name>\b(?:He|She|he|she))\s+(?:said|says|told|added|wrote|insisted|warned|noted)\b",
]
_NAMED_RES = [re.compile(p) for p in _NAMED]
# Every attribution pattern needs one of these words; a sentence without any is not searched further.
_ATTR_TRIGGER = re.compile(
    rf"\b(?:{_SPEECH}|{_RELEASE}|according|statement|report|assessment|briefing|announcement|update|who|speaking|"
    r"quoted|cited|citing|quoting|anonymity|named|names?|identified|unnamed|anonymous|unidentified|reportedly|"
    r"allegedly|believed|thought|understood|alleged|verified|confirmed|reports|story|investigation|agency|"
    r"verified|obtained|seen|broken|revealed)\b", re.I)
# Capitalised words that open a sentence or a clause without naming anyone.
_NOT_NAMES = {"the", "a", "an", "it", "this", "that", "these", "those", "they", "we", "i", "you", "but", "and", "or",
              "in", "on", "at", "as", "if", "when", "while", "after", "before", "however", "meanwhile", "still",
              "yet", "also", "some", "many", "one", "two", "three", "several", "both", "neither", "nor", "no",
              "there", "here", "what", "which", "who", "officials", "sources", "analysts", "experts", "critics",
              "observers", "residents", "witnesses", "diplomats", "people", "reports", "state", "video",
              "footage", "images", "photos", "documents", "satellite", "data", "according", "asked", "earlier",
              "later", "today", "yesterday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday",
              "sunday", "his", "her", "their", "its", "our", "my", "so", "then", "now", "even", "instead",
              "separately", "speaking", "nobody", "no-one", "unnamed", "anonymous", "senior", "western", "other", "most",
              "all", "each", "every", "such", "said", "says", "told", "for", "with", "from", "by", "to"}

# -- material ---------------------------------------------------------------
_MATERIAL = [
    ("satellite", r"\bsatellite\s+(?:images?|imagery|photo(?:graph)?s?|pictures?|data|analysis)\b|"
                  r"\b(?:commercial|high-resolution)\s+imagery\b"),
    ("video", r"\b(?:videos?|footage|video\s+clips?|clips?\s+(?:shows?|showing|posted|shared|released)|"
              r"filmed|livestream(?:ed)?|bodycam|dashcam|recording\s+(?:shows?|showing))\b"),
    ("photo", r"\b(?:photos?|photographs?|photographed|pictures?|images?|snapshots?|selfies?)\b"),
    ("document", r"\b(?:documents?|memos?|memorandum|dossier|leaked\s+(?:files?|cables?|emails?|papers?|letters?|"
                 r"records?|report)|cables?|identity\s+(?:cards?|papers?|documents?)|id\s+cards?|passports?|"
                 r"military\s+papers|transcripts?|letters?|leaked\s+(?:[\w-]+\s+){1,2}(?:reports?|documents?|files?)|"
                 r"\d+-page\s+(?:reports?|documents?|dossiers?|files?)|(?:written|handwritten|unit|signed)\s+orders|contracts?|"
                 r"letters?\s+(?:seen|obtained|signed)|paperwork|records\s+(?:show|obtained|seen))\b"),
    # Not a bare "intercept": in military news it is mostly missiles being intercepted.
    ("intercept", r"\b(?:intercepted\s+(?:[\w-]+\s+){0,2}(?:communications?|calls?|messages?|conversations?|radio|"
                  r"transmissions?|e-?mails?|chatter|traffic|texts?)|(?:the|radio|phone|communications?|signals?)\s+"
                  r"intercepts?|intercepts\s+of|wiretaps?|eavesdropp\w+|radio\s+(?:chatter|traffic|communications?)|"
                  r"(?:recorded|tapped)\s+(?:phone\s+)?(?:calls?|conversations?)|signals\s+intelligence|sigint)\b"),
    ("data", r"\b(?:data|statistics|statistical|survey|polls?|census|figures\s+(?:show|showed|released|published)|"
             r"(?:official|government|customs|trade)\s+figures|\d+(?:\.\d+)?\s?(?:%|per\s?cent|percent))\b"),
    ("physical", r"\b(?:prisoners?|POWs?|taken\s+prisoner|captured|captives?|wreckage|debris|fragments?|"
                 r"remnants|shell\s+casings?|bodies|corpses|(?:recovered|seized|captured)\s+(?:weapons?|equipment|"
                 r"rifles?|ammunition|munitions?|drones?|missiles?)|dog\s+tags?)\b"),
]
_MATERIAL_RE = [(name, re.compile(p, re.I)) for name, p in _MATERIAL]
_CREDIT = re.compile(r"\b(?:AP|AFP|EPA|Reuters|Getty|Yonhap|KCNA|Xinhua|File|Pool)\s*(?:/\s*\w+\s*)?"
                     r"(?:Photo|Images?|Pictures?|Video)\b|\b(?:Photo|Image|Video|Picture)\s*(?:credit)?\s*:|"
                     r"\b(?:Photo|Pictures?)\s+by\b|\bsee\s+(?:photos?|pictures?|video)\b|\bvideo\s+games?\b|"
                     r"\bpublic\s+image\b|\bimages?\s+of\s+(?:himself|herself|themselves|strength)\b", re.I)
_NEG_BEFORE = re.compile(r"\b(?:no|not|never|without|nor|neither|lack(?:ed|s|ing)?(?:\s+of)?|absence\s+of|"
                         r"yet\s+to|any|none|zero|nothing|nobody|no\s+one|refus(?:ed|es)\s+to\s+(?:release|show|publish|provide)|"
                         r"declined\s+to\s+(?:release|show|publish|provide))\b|n't\b", re.I)
_NEG_AFTER = re.compile(r"^[^,;.]{0,40}?\b(?:(?:has|have|had|was|were|is|are)\s+(?:not|yet\s+to|never)\b|"
                        r"(?:has|have)n't\b|(?:does|did|do)\s+not\s+exist|emerged\s+to\s+date\s+no)", re.I)
_VERIFY = re.compile(r"\b(?:verify|verified|confirm|confirmed|authenticate|corroborate|comment\s+on)\b", re.I)
_UNVERIFIED_AFTER = re.compile(r"\s*(?:has|have|had|was|were|is|are|could|can)\s+not\s+(?:yet\s+)?(?:been|be)\s+"
                               r"(?:independently\s+)?(?:verified|confirmed|authenticated)", re.I)
_CONDITIONAL = re.compile(r"\b(?:if|unless|whether|would|could\s+be|might|may)\b[^,;.]{0,40}$", re.I)

# -- stance -----------------------------------------------------------------
_FALSE = (r"(?:false|fake|lies|baseless|groundless|fabricat\w+|propaganda|provocation|smear|nonsense|absurd|"
          r"untrue|hoax|plot|slander\w*)")
_STANCE = [
    ("cannot_verify", r"\b(?:could\s+not|cannot|can\s*not|can't|couldn't|was\s+unable\s+to|were\s+unable\s+to|unable\s+to|"
                      r"impossible\s+to|difficult\s+to|hard\s+to|has\s+not\s+been|have\s+not\s+been|had\s+not\s+been|"
                      r"was\s+not|were\s+not|not\s+been|no\s+way\s+to|did\s+not|would\s+not|declined\s+to|"
                      r"refused\s+to)\s+(?:be\s+)?(?:immediately\s+|independently\s+|yet\s+)?(?:be\s+)?"
                      r"(?:verif(?:y|ied)|confirm(?:ed)?|corroborat(?:e|ed)|authenticat(?:e|ed)|"
                      r"substantiat(?:e|ed))\b|\b(?:unverified|unconfirmed|uncorroborated|unsubstantiated)\b|"
                      r"\bneither\s+confirm(?:ed|s)?\s+nor\s+den(?:ied|y|ies)\b|\b(?:were|was|has|have|had)\s+(?:never|not\s+yet)\s+(?:been\s+)?(?:confirmed|verified)\b|\b(?:has|have|had)\s+not\s+(?:yet\s+)?(?:confirmed|verified)\b|\bno\s+independent\s+"
                      r"(?:confirmation|verification)\b"),
    ("confirms", r"\b(?:confirm(?:ed|s|ing)|acknowledg(?:ed|es|ing)|admit(?:ted|s|ting)|verified|corroborated|"
                 r"authenticated)\b"),
    # a refusal is not a denial: "was denied entry", "denied bail", a headline's passive "after walk denied"
    ("denies", r"\b(?:(?:(?<!\bwas\s)(?<!\bwere\s)(?<!\bbeen\s)(?<!\bbeing\s)(?<!\bis\s)(?<!\bare\s)(?<!\bbe\s)"
               r"denied(?!\s*$)|denies|denying)(?!\s+(?:entry|access|bail|permission|visas?|a\s+visa|admission|asylum|"
               r"parole|boarding|service|funding|(?:a|the)\s+(?:right|chance|opportunity|permit|license|licence)|"
               r"permits?)\b)|deny|refuted|rebuffed|"
               r"(?:rejected|dismissed)\s+(?:the\s+|these\s+|such\s+)?(?:[\w'’]+\s+){0,2}(?:reports?|claims?|"
               r"allegations?|accounts?|accusations?|stories|assertions?|suggestions?|findings?)|"
               r"(?:rejected|dismissed)\s+(?:by\s+\w+\s+)?(?:[\w'’]+\s+){0,5}?as\s+(?:an?\s+)?(?:\w+\s+)?" + _FALSE + "|"
               r"(?:called|calling|described|branded|labell?ed)\s+(?:the\s+|these\s+|such\s+)?(?:\w+\s+){0,3}"
               r"(?:reports?|claims?|allegations?|accounts?|accusations?|stories)\s+(?:as\s+)?['‘\"“]?(?:an?\s+)?"
               r"(?:\w+\s+){0,2}" + _FALSE + r")\b"),
    ("disputes", r"\b(?:questioned\s+by|disput(?:ed|es|ing)|question(?:ed|s|ing)\s+(?:the|whether|how|its|their|his|her)|"
                 r"cast(?:s|ing)?\s+doubt|challeng(?:ed|es|ing)\s+the\s+(?:\w+\s+){0,2}(?:claims?|reports?|account|"
                 r"findings?|figures?|authenticity|evidence)|contest(?:ed|s)|skeptical|sceptical|doubt(?:ed|s)?\s+"
                 r"(?:that|whether|the)|(?:were|was|are|is)\s+misleading)\b"),
]
_STANCE_RE = [(name, re.compile(p, re.I)) for name, p in _STANCE]
_STANCE_NEG = re.compile(r"\b(?:not|never|no|n't|refused\s+to|declined\s+to|without)\s+(?:\w+\s+){0,1}$", re.I)


class CueFinder:
    """Finds cues with the built-in rules and the outlet names the store knows."""

    def __init__(self, outlets: list[str] = ()):
        names = sorted({n.strip() for n in (*WIRES, *outlets) if n and len(n.strip()) > 1}, key=len, reverse=True)
        self.outlet_by_lower = {re.sub(r"\s+", " ", n.lower()): n for n in names}
        # A sentence can credit an outlet only if it holds a word of an outlet's name: a set lookup
        # saves running the long alternation over most sentences.
        self._outlet_words = {w for n in names for w in re.findall(r"[\w'’.-]+", n.lower())
                              if w not in ("the", "of", "and", "news", "new", "daily", "times", "post")} or {"\0"}
        alt = names_pattern(names)
        o = rf"(?P<outlet>{alt})"
        verbs = r"(?:first\s+)?(?:reported|reports|said|says|revealed|quoted|cited|wrote|broke)"
        self._outlet_re = re.compile(
            rf"\baccording\s+to\s+(?:the\s+)?(?:\w+\s+){{0,2}}?{o}(?![\w-])|"
            rf"\b(?:as\s+)?(?:first\s+)?(?:reported|published|revealed|broken|verified|obtained|seen|confirmed)\s+"
            rf"(?:first\s+)?by\s+(?:the\s+)?{o.replace('outlet', 'outlet2')}(?![\w-])|"
            rf"\bciting\s+(?:the\s+)?{o.replace('outlet', 'outlet3')}(?![\w-])|"
            rf"(?<![\w-]){o.replace('outlet', 'outlet4')}(?:\s+news\s+agency)?{_APPOSITION}\s+{verbs}\b|"
            rf"\b(?:report|reports|reporting|story|investigation|agency)\s+(?:by|from|in)\s+(?:the\s+)?"
            rf"{o.replace('outlet', 'outlet5')}(?![\w-])|"
            rf"\bnews\s+agency\s+{o.replace('outlet', 'outlet6')}(?:{_APPOSITION}\s+{verbs}\b)?", re.I)

    def find(self, text: str) -> list[Cue]:
        """The cues of ``text``, offsets into it. Page widgets in it (``app.widgets``: a related-links box, a video
        box) are read as blank space, so no cue is taken from another story's headline (cue rules 6)."""
        cues: list[Cue] = []
        text = blank_widgets(text or "")
        for start, end in sentences(text):
            for a, b in _windows(text, start, end):
                cues.extend(self._sentence(text[a:b], a))
        return cues

    # -- per sentence -------------------------------------------------------
    def _sentence(self, s: str, offset: int) -> list[Cue]:
        out: list[Cue] = []
        taken: list[tuple[int, int]] = []

        def add(kind, subtype, a, b, source=None) -> None:
            out.append(Cue(kind, subtype, offset + a, offset + b, s[a:b], source))
            if kind == "attribution":
                taken.append((a, b))

        words = set(re.findall(r"[\w'’.-]+", s.lower()))
        attribution = _ATTR_TRIGGER.search(s) is not None
        if attribution and words & self._outlet_words:
            for m in self._outlet_re.finditer(s):
                said = next(v for k, v in m.groupdict().items() if v)
                add("attribution", "outlet", m.start(), m.end(), self.outlet_by_lower.get(
                    re.sub(r"\s+", " ", said.lower()), said))
        outlets = list(taken)
        for m in (_ANON_RE.finditer(s) if attribution else ()):  # "Reuters, citing officials, said": both
            if not _overlaps(m.start(), m.end(), [t for t in taken if t not in outlets]):
                add("attribution", "anonymous", m.start(), m.end())
        for rx in (_NAMED_RES if attribution else ()):
            for m in rx.finditer(s):
                name, start = _trim_name(m.group("name"), m.start("name"))
                if not name or _overlaps(start, m.end(), taken) or _is_outlet(name, self.outlet_by_lower):
                    continue
                add("attribution", "named", start, m.end(), name)

        material_spans: list[tuple[int, int]] = []
        credits = [(c.start(), c.end()) for c in _CREDIT.finditer(s)]
        for name, rx in _MATERIAL_RE:
            for m in rx.finditer(s):
                if _overlaps(m.start(), m.end(), material_spans) or _overlaps(m.start(), m.end(), credits):
                    continue
                if _negated(s, m.start(), m.end()):
                    continue
                material_spans.append((m.start(), m.end()))
                add("material", name, m.start(), m.end())

        stance_spans: list[tuple[int, int]] = []
        for name, rx in _STANCE_RE:
            for m in rx.finditer(s):
                if _overlaps(m.start(), m.end(), stance_spans):
                    continue
                before = s[: m.start()]
                if name != "cannot_verify" and (_STANCE_NEG.search(before) or _CONDITIONAL.search(before)):
                    continue
                stance_spans.append((m.start(), m.end()))
                add("stance", name, m.start(), m.end(), _speaker(out, offset + m.start()))
        return out


MAX_SENTENCE = 2_000  # characters: a longer "sentence" (no full stop in it) is read in windows of this size


def _windows(text: str, start: int, end: int):
    """The sentence ``text[start:end]``, or, when it is longer than any real sentence, consecutive windows
    of it cut at spaces, so that the rules' cost stays linear in the text whatever it holds."""
    while end - start > MAX_SENTENCE:
        cut = text.rfind(" ", start + MAX_SENTENCE // 2, start + MAX_SENTENCE)
        cut = cut if cut > start else start + MAX_SENTENCE
        yield start, cut
        start = cut
    yield start, end


def _overlaps(a: int, b: int, spans: list[tuple[int, int]]) -> bool:
    return any(a < y and x < b for x, y in spans)


def _negated(s: str, a: int, b: int) -> bool:
    window = " ".join(s[:a].split()[-5:])
    clause = re.split(r"[,;:]|\bbut\b|\bwhile\b", window)[-1]
    if _VERIFY.search(clause) or _UNVERIFIED_AFTER.match(s[b:]):
        return False  # "could not verify the footage", "the footage has not been verified": it exists
    return bool(_NEG_BEFORE.search(clause)) or bool(_NEG_AFTER.search(s[b:]))


def _trim_name(name: str, start: int) -> tuple[str, int]:
    """Drop leading words that are not part of a name ("But", "The video", "Officials")."""
    words = name.split()
    while words and words[0].lower().strip("'’") in _NOT_NAMES and not (
            words[0].lower() == "the" and len(words) > 1 and words[1][:1].isupper()
            and words[1].lower() not in _NOT_NAMES):
        start += name.find(words[0]) + len(words[0])
        name = name[name.find(words[0]) + len(words[0]):]
        words = words[1:]
        skipped = len(name) - len(name.lstrip())
        name, start = name.lstrip(), start + skipped
    if not words:
        return "", start
    head = re.sub(r"[’']s$", "", words[-1]).lower()
    if head in _NOT_NAMES or re.fullmatch(r"(?:official|source|diplomat|insider|analyst|expert)s?", head):
        return "", start
    return name, start


def _is_outlet(name: str, outlets: dict[str, str]) -> bool:
    key = re.sub(r"\s+", " ", name.lower())
    return key in outlets or (key.startswith("the ") and key[4:] in outlets)


def _speaker(cues: list[Cue], position: int) -> str | None:
    """The nearest attribution before ``position`` in the same sentence: who confirms or denies."""
    before = [c for c in cues if c.kind == "attribution" and c.start <= position]
    if before:
        c = before[-1]
        return c.source or c.subtype
    after = [c for c in cues if c.kind == "attribution"]
    return (after[0].source or after[0].subtype) if after else None
