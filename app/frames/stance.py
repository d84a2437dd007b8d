"""The stance of an article toward a frame it is in: ``uses``, ``reports`` or ``rebuts``.

* ``uses``: the article tells the frame in its own voice ("The conscripts are being used as cannon
  fodder.").
* ``reports``: it tells the frame as what others say: an attribution ("X called them cannon fodder",
  "according to ...", "officials said"), a quotation, an allegation ("the claims that ..."), or a
  question ("Are the conscripts cannon fodder?").
* ``rebuts``: it tells the frame in order to deny or debunk it: a denial of the frame's claim (the
  evidence cues' ``denies`` and ``disputes``), words that call it false ("lies", "propaganda", "fake",
  "fabricated", "baseless", "slander", "so-called"), or fact-check language ("there is no evidence that",
  "false claim", "debunked"), near the frame's passage.

How it is decided, in order, for the article's first passage in the frame (its *lead* is its first
sentence, where news tells a paragraph's point); docs/stance.md says the same in plain words:

1. **Own-voice rebuttal** (rule ``fact-check``): fact-check language not attributed to anyone (no
   attribution cue or speech verb in its sentence, not inside quotation marks) in the passage's first
   ``OWN_VOICE_SENTENCES`` sentences or in the adjacent sentence of the passage before or after it; or, in
   the passage, a false-word where it judges a claim ("the reports are lies", "pure propaganda"):
   ``rebuts``.
2. **Denial in the lead** (rule ``denial``): the lead holds a denial, a dispute that says the claim is wrong
   or a false-word, whoever says it ("The foreign ministry dismissed the reports as a fabrication"), and the
   article opens with a denial (the passage is its title or first paragraph, or they hold a denial): the
   frame is told as the thing denied, ``rebuts``. Deeper in an article that opened otherwise, the article
   reports someone's denial of the claim: ``reports`` (rule ``denial reported``).
3. **The article opens with a denial** (rule ``denial before``): its first paragraph (or its title, for a
   frame passage that is the first paragraph) holds a denial and the frame passage is one of the
   ``DENIAL_WINDOW`` passages after it, unless the lead answers it ("But officials say ..."): ``rebuts``.
4. **Distanced claim, then a denial** (rule ``distanced``): the lead distances itself from the claim
   ("so-called", "claimed that", "rumours") and the next sentence denies it: ``rebuts``.
5. Otherwise the passage carries the frame, in its first sentence that holds the frame's wording (else its
   lead). That sentence is ``reports`` (rule ``attributed``, ``quoted``, ``allegation``, ``unverified`` or
   ``question``) when it attributes the claim (a speech verb someone speaks; a participle, "saying ...",
   only before the wording), quotes it (or is a sentence of a quotation spanning sentences, or opens with
   words spoken: "“It's treason,” agreed the congressman."), calls it an
   allegation, says it is unverified or asks it; else ``uses`` (rule ``own voice``). A denial reported
   after the frame is told ("Pyongyang has denied the reports") does not make a rebuttal: the article
   tells the frame and gives the other side.

A frame most of whose articles rebut it is itself a denial: its rebuttals are ``reports`` (rule ``denial
frame``, :func:`frame_stances`). The article's stance is that of its first passage in the frame (the title
first): news states its point first. Every result keeps the passage that decided it, the rule, and the
triggering words with their character span (``cue_text``, ``cue_start``, ``cue_end`` in
``cue_passage_id``, the deciding passage or a neighbour).

Negation and other senses are respected ("did not deny", "not fabricated", "far from baseless", "the
border lies along the river", "Kestrian propaganda", "political disputes", "denied him access", "were
denied entry"); so are the cue rules' own negations and conditionals. Doubt ("skeptical", "questioned
whether") is not denial.

The frame's wording (:class:`Wording`: its label and phrases) tells which claim fact-check words judge:
the outlet's own fact-check and false words count in rules 1 to 3 only in a sentence that holds the
wording, or just after one when they refer back to it ("That story is false.", "It was debunked.");
elsewhere they judge another claim ("The minister's budget was always a fairy tale." leading a paragraph
about the war). Someone else's false words are read as before; a denial cue is
read by what it denies: a claim, a charge, an act or a clause ("denied the reports", "denied any
involvement", "denies selling oil", "denied the troops were there") always counts, a plain thing ("Trump
denies chaos", "deny its existence") only in a sentence that holds the wording. Fact-check and false words
that are themselves the wording (a frame named "information warfare", "information warfare" being a false
word) tell the frame and judge nothing. With no wording (None) every rule reads as it did without it.

Known blind spots (figures in bench/RESULTS.md, labelled sets in bench/stance/): the rules read English
only; a verdict on a paraphrase of the frame without its words is missed, and a weak label lets through
fact-check words that happen to share it; an article whose first frame passage is a rebuttal but which
later tells the frame in its own voice is a rebuttal; rebuttal without a marker word ("the evidence says
otherwise") and irony are read literally; a denial by the article's own government voiced as plain fact
("Our soldiers are all at home.") is not read as a rebuttal. Sentences are split by a small rule here
(abbreviations such as "U.S." and "Sen." kept inside; a line break ends one).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Iterable

from app.frames.labels import STOP_WORDS
from app.textcase import search_lower, word_stem

# Bump when the rules change: every (article, frame) pair is then decided again.
RULES_VERSION = 11  # 9: the stage gives the rules passages with their page widgets blank (app.widgets); 10: a
# denial frame counts denials reported deeper in its articles too (``denies``); 11: fact-check and false words
# that are the frame's own wording tell it (``_own_words``)
STANCES = ("uses", "reports", "rebuts")

# -- sentences ----------------------------------------------------------------------------------------
# A sentence ends at . ! ? (with closing quotes or brackets) before a space and a capital, a digit or an
# opening quote, and at a line break ("Advertisement\n\nThe first is a falsehood."); abbreviations such as
# "U.S." and "Sen." stay inside.
_ABBREV = re.compile(r"(?:^|\W)(?:[A-Z]|Mr|Ms|Mrs|Dr|St|Sen|Rep|Gen|Col|Gov|Lt|No|vs)$")
_LINE = re.compile(r"[^\n]+")
_SENTENCE_END = re.compile(r"[.!?…]+[\"'”’)\]]*(?=\s+[\"'“‘(\[]?[A-Z0-9])|[.!?…]+[\"'”’)\]]*\s*$")


@lru_cache(maxsize=65536)
def sentence_spans(text: str) -> tuple[tuple[int, int], ...]:
    """(start, end) of each sentence of ``text``, whitespace trimmed."""
    spans = []
    for line in _LINE.finditer(text):
        pos = line.start()
        for m in _SENTENCE_END.finditer(text, line.start(), line.end()):
            if text[m.start()] == "." and _ABBREV.search(text, max(0, m.start() - 4), m.start()):
                continue  # "U.S.", "Sen.": not the end of a sentence
            spans.append((pos, m.end()))
            pos = m.end()
        spans.append((pos, line.end()))
    out = []
    for a, b in spans:
        while a < b and text[a].isspace():
            a += 1
        while b > a and text[b - 1].isspace():
            b -= 1
        if b > a:
            out.append((a, b))
    return tuple(out)


# -- what calls a claim false -------------------------------------------------------------------------
_CLAIM = (r"(?:claims?|reports?|reporting|stor(?:y|ies)|allegations?|accusations?|accounts?|assertions?|"
          r"rumou?rs?|narratives?|suggestions?|charges?|theor(?:y|ies)|idea|notion|news|articles?|it|this|these|that|"
          r"they|them)")
# Fact-check language: the outlet's own judgement when nobody else is credited with it.
_FACT_CHECK = [
    r"\bthere\s+(?:is|was|has\s+been|have\s+been|were)\s+(?:no|little|scant|not\s+(?:a\s+shred\s+of|any))\s+"
    r"(?:\w+\s+){0,2}?(?:evidence|proof|basis)\b",
    r"\bno\s+(?:credible\s+|independent\s+|hard\s+|real\s+)?(?:evidence|proof)\s+(?:that|to\s+support|to\s+back|"
    r"for|of|supports?|backs?|has\s+been|exists?)\b",
    r"\b(?:without|lacks?|lacking|offered\s+no|provided\s+no|presented\s+no)\s+(?:any\s+)?(?:evidence|proof)\b",
    r"\bfalse(?:ly)?\s+(?:claims?|reports?|stor(?:y|ies)|narratives?|allegations?|assertions?|rumou?rs?|"
    r"information|accusations?|flag|claimed|reported|alleged|suggested|asserted)\b",
    r"\b(?:debunk\w*|fact[- ]?check\w*|hoax(?:es)?)\b",
    r"\b(?:is|are|was|were|proved|proven|turned\s+out\s+to\s+be|remains?)\s+(?:(?!not\b|never\b)\w+\s+){0,1}?"
    r"(?:false|untrue|baseless|groundless|unfounded|fabricated|made[- ]up(?!\s+of\b)|invented|fiction|a\s+fabrication|"
    r"a\s+myth|a\s+hoax|a\s+lie|lies|fake|bogus|nonsense|not\s+true|without\s+(?:foundation|basis))\b",
    r"\b(?:no|without)\s+basis\s+in\s+fact\b",
    r"\bnot\s+(?:supported|backed)\s+by\s+(?:the\s+|any\s+)?(?:evidence|facts)\b",
]
# Words that call a claim false or mock it; ``propaganda`` and ``lies`` only where they judge a claim,
# not where they describe ("Kestrian propaganda", "the border lies along the river").
_FALSE_WORDS = [
    r"\b(?:fabricat(?:ed|ion|ions|ing)|baseless|groundless|unfounded|slanderous|smear\s+campaign|hoax(?:es)?|"
    r"concocted|cooked[- ]up|bogus|trumped[- ]up|information\s+war(?:fare)?|psychological\s+warfare|invented\s+by|"
    r"spread\s+by\s+hostile)\b",
    # Words that judge a claim only when they are said of it ("the reports are lies", "dismissed as nonsense",
    # "Lies and propaganda:"), not in passing ("serial lies about her e-mail", "despotic fantasies")
    r"(?:\b(?:is|are|was|were|be|been|being|as|called|calling|calls|call|dismissed|dismissing|branded|labell?ed|"
    r"described|denounced|nothing\s+but|pure|mere|sheer|complete|total|utter|outright|blatant|more|just)\s+"
    r"(?:\w+\s+){0,2}?|^\W*)(?:slander(?:s|ed)?|smears?|nonsense|absurd(?:ity)?|fairy[- ]tales?|tall\s+tales?|"
    r"fantas(?:y|ies)|fiction|falsehoods?|lies|(?:a|the|big)\s+lie|peddl(?:ed|ing|es)|fake\s+news|myths?|"
    r"misinformation|disinformation)\b",
    r"\b(?:as|is|are|was|were|be|of|pure|mere|sheer|baseless|hostile|enemy|western|malicious|anti-[\w-]+|"
    r"smear|lies\s+and|called\s+(?:it|them|this)|reptile|puppet)\s+propaganda\b",
    r"\bpropaganda\s+(?:campaign|offensive|war|ploy|stunt|exercise|effort)s?\b",
    # "so-called" mocks a claim ("the so-called 'cannon fodder' story"), not a name ("the so-called six-party
    # talks", "a so-called megacity")
    r"\bso-called\s+(?:['‘\"“][^'’\"”]{1,40}['’\"”]\s+)?(?:[\w-]+\s+){0,2}?(?:evidence|revelations?|claims?|reports?|"
    r"stor(?:y|ies)|proof|facts?|experts?|allegations?|accusations?|exposés?|scoops?|witness(?:es)?|"
    r"intelligence|leaks?)\b",
    r"\bfake(?=\s+(?:stor(?:y|ies)|reports?|claims?|allegations?|narratives?|videos?|footage|images?|"
    r"photos?|documents?|evidence)\b)",
    r"\b(?:is|are|was|were)\s+fake\b",
]
# A word every fact-check or false-word pattern holds: sentences without one are not searched further.
_ANY_WORD = re.compile(r"evidence|proof|sign|indication|basis|record|false|debunk|fact|misinform|disinform|fake|myth|"
                       r"hoax|true|baseless|groundless|unfounded|fabricat|made|invent|fiction|lie|bogus|"
                       r"nonsense|foundation|support|back|slander|smear|absurd|concoct|cooked|fair|tale|fantas|"
                       r"so-called|trumped|information\s+war|psycholog|hostile|peddl|propaganda", re.I)
_LIES_AS_VERB = re.compile(r"^\s+(?:in|at|on|with|ahead|behind|beyond|between|within|near|along|across|under|"
                           r"over|outside|inside|just|about|to|dormant|idle|buried|the|some|only|less|more|north|"
                           r"south|east|west)\b", re.I)
_FACT_CHECK_RE = re.compile("|".join(f"(?:{p})" for p in _FACT_CHECK), re.I)
_FALSE_RE = re.compile("|".join(f"(?:{p})" for p in _FALSE_WORDS), re.I)
_NEGATED = re.compile(r"(?:\b(?:not|never|no\s+longer|hardly|far\s+from|neither|nor|n['’]t)|n['’]t)\s+(?:\w+\s+){0,2}$",
                      re.I)
# A negation inside the words a false-word pattern took ("were not fake news", "is hardly nonsense").
_NEGATION_INSIDE = re.compile(r"\b(?:not|never|hardly)\b|n['’]t\b", re.I)
# "did not deny", "stopped short of calling it false": not a rebuttal.
_DENY_CUES = ("denies", "disputes")

# -- what attributes a claim -------------------------------------------------------------------------
# What "declared"/"declaring" does when it is an act, not speech: "declared a national emergency", "declared war".
_ACT = r"(?:a|an|war|victory|independence|martial|bankruptcy|his|her|its|their)\b"
_SPEECH = (r"(?<!\bto\s)(?<!-)(?:said|says|say|told|tells|stated|claimed|added|insisted|wrote|tweeted|posted|"
           r"reported|argued|alleged|alleges|allege|accused|called|call|described|describes|describe|branded|"
           r"labell?ed|brands|labels|dismissed|dismisses|rejected|rejects|denied|denies|deny|according\s+to|citing|quoted|quoting|warned|believes?|"
           r"suggested|suggests|asserted|asserts|maintained|maintains|contended|contends|charged|"
           # rules 8: verbs that put words in someone's mouth after a quotation ("predicts Paul Evans", "Lacey
           # emailed", "the report adds"); a noun's form ("notes", "estimates") only before "that"; a form in -ed
           # not where it is an adjective or a passive ("a declared enemy", "a recently announced framework",
           # "was announced Friday"), "replied" and "responded" only before what was said ("responded: ...",
           # "responded that"; not "the South responded"), "declared" not of an act ("declared a national
           # emergency", "declared war"), not a headline's closing "..., explained", nor "this explains why",
           # "adds to" or "by adding"
           r"adds(?!\s+to\b)|argues|writes|insists|warns|(?<!\bthis\s)(?<!\bit\s)(?<!\bthat\s)(?<!\bwhich\s)explains|"
           r"predicts|acknowledges|admits|announces|declares|stresses|concedes|points\s+out|"
           r"(?:notes|estimates|estimated)\s+that|"
           r"(?<!\ba\s)(?<!\ban\s)(?<!\bthe\s)(?<!ly\s)(?<!\bis\s)(?<!\bare\s)(?<!\bwas\s)(?<!\bwere\s)(?<!\bbe\s)"
           r"(?<!\bbeen\s)(?<!\bbeing\s)(?:explained(?!\s*$)|predicted|emailed|noted|acknowledged|admitted|announced|"
           rf"declared(?!\s+{_ACT})|stressed|recalled|conceded|cautioned|pointed\s+out|"
           r"(?:replied|responded)(?=\s*(?:[:,\"“]|that\b))))")
_SPEECH_RE = re.compile(rf"\b{_SPEECH}\b", re.I)
# A participle attributes what follows it ("..., saying Tillerson was 'wasting his time'"), not what came before
# ("did not deny the troops were there, saying only that ..."): it counts where the frame's wording follows.
_SPEECH_ING_RE = re.compile(r"\b(?:saying|tweeting|telling|claiming|arguing|insisting|warning|writing|calling|"
                            r"describing|accusing|alleging|asserting|(?<!\bby\s)adding(?!\s+to\b)|noting|predicting|"
                            rf"emailing|acknowledging|admitting|declaring(?!\s+{_ACT})|stressing)\b", re.I)
_DISTANCE_RE = re.compile(
    r"\b(?:so-called|supposed(?:ly)?|purported(?:ly)?|alleged(?:ly)?|claimed\s+that|claims?\s+that|"
    r"allegations?\s+that|accusations?\s+that|rumou?rs?|reports?\s+that|stories\s+that|"
    r"(?:have|has|had)\s+(?:claimed|alleged|suggested|asserted))\b", re.I)
_ALLEGATION_RE = re.compile(
    r"\b(?:alleged(?:ly)?|allegations?|accusations?|claims?\s+(?:that|of)|reports?\s+(?:that|of)|reportedly|purported(?:ly)?|supposed(?:ly)?|"
    r"so-called|rumou?rs?|is\s+said\s+to|are\s+said\s+to|were\s+said\s+to|was\s+said\s+to|"
    r"(?:is|are|was|were)\s+(?:believed|thought|reported)\s+to)\b", re.I)
_QUOTE_RE = re.compile(r"[\"“”]([^\"“”]{3,})[\"“”]|(?<![\w])['‘]([^'‘’]{3,}?)['’](?![\w])")


@dataclass(frozen=True)
class Passage:
    """One passage of an article, in article order. ``cues``: the evidence cues of its text
    (:class:`app.evidence.cues.Cue`: kind, subtype, start, end, span, source), offsets in ``text``."""

    passage_id: str
    seq: int
    text: str
    in_frame: bool = False
    cues: tuple = field(default=(), compare=False)


@dataclass(frozen=True)
class Stance:
    """An article's stance toward a frame, with what decided it."""

    stance: str                 # uses | reports | rebuts
    passage_id: str | None      # the frame passage that decided it
    rule: str                   # own voice | attributed | quoted | allegation | question | fact-check | denial | distanced
    cue_text: str | None = None  # the triggering words, as in the text
    cue_passage_id: str | None = None  # the passage holding them (the deciding one or a neighbour)
    cue_start: int | None = None  # their span in that passage
    cue_end: int | None = None
    speaker: str | None = None   # who says the denial or the claim, when the cues name someone


@dataclass(frozen=True)
class _Trigger:
    kind: str          # fact-check | false | denial
    start: int
    end: int
    text: str
    attributed: bool
    speaker: str | None = None


_WORD_RE = re.compile(r"[^\W_]+")


def _phrase_stems(phrase: str | None) -> tuple[str, ...]:
    """The stems of a phrase's words other than stop words (``word_stem``, the seeded phrases' rule), in order,
    each once."""
    return tuple(dict.fromkeys(word_stem(w) for w in _WORD_RE.findall(search_lower(phrase or ""))
                               if w not in STOP_WORDS and (len(w) > 1 or w.isdigit())))


@dataclass(frozen=True)
class Wording:
    """What a frame says in words: its phrases (its label and runner-up phrases, or a seeded frame's name and
    phrases), each as the stems of its words other than stop words. A sentence *holds* the wording when it
    holds every stem of one phrase at the start of a word, in any order and any inflection ("the Russian
    interference" holds "Russia interfered"). Fact-check words judge the frame only in a sentence that holds
    its wording or just after one (rule 1): on real news most fact-check words in a frame passage judge
    another claim ("this false narrative" in an opinion piece on the economy)."""

    phrases: tuple[tuple[str, ...], ...]

    @classmethod
    def of(cls, phrases: Iterable[str | None]) -> "Wording | None":
        """The wording of a frame with these phrases; None when none has a word other than stop words (the
        frame's wording is then unknown, and rule 1 reads fact-check words as before: anywhere it looks)."""
        out = []
        for stems in map(_phrase_stems, phrases):
            if stems and stems not in out:
                out.append(stems)
        return cls(tuple(out)) if out else None

    @classmethod
    def of_frame(cls, label: str | None, phrases: Iterable[str] | None, seeded: bool = False) -> "Wording | None":
        """A frame's wording: its label and phrases. A discovered frame's runner-up phrases of one word
        ("correction", "meeting", "advertisement") say too little to tell which claim a sentence is about, and
        are left out; its label, and a seeded frame's phrases (a user's own words), always count."""
        phrases = [p for p in phrases or () if seeded or len(_phrase_stems(p)) > 1]
        return cls.of([label, *phrases])

    def held_by(self, sentence: str) -> bool:
        words = set(_WORD_RE.findall(search_lower(sentence)))
        return any(all(any(w.startswith(stem) for w in words) for stem in stems) for stems in self.phrases)


def _in_quotes(sentence: str, a: int, b: int) -> bool:
    for m in _QUOTE_RE.finditer(sentence):
        if m.start() < a and b < m.end():
            return True
    return False


def _attributed(sentence: str, cues_here: list) -> bool:
    """Whether the sentence credits someone: an attribution cue, or a speech verb."""
    return any(c.kind == "attribution" for c in cues_here) or _SPEECH_RE.search(sentence) is not None


def _cues_in(cues, a: int, b: int) -> list:
    return [c for c in cues if a <= c.start < b]


def _triggers(text: str, a: int, b: int, cues) -> tuple[_Trigger, ...]:
    """Rebuttal triggers in the sentence text[a:b]: fact-check language, false-words, denial cues (the same
    text is read once per build: an article's passages recur in every frame it is in)."""
    return _triggers_cached(text, a, b, tuple(cues))


@lru_cache(maxsize=262144)
def _triggers_cached(text: str, a: int, b: int, cues: tuple) -> tuple[_Trigger, ...]:
    s = text[a:b]
    here = _cues_in(cues, a, b)
    denials = [c for c in here if c.kind == "stance" and c.subtype in _DENY_CUES]
    if not denials and not _ANY_WORD.search(s):
        return ()  # most sentences: none of the words any rule needs
    attributed = _attributed(s, here)
    found: list[_Trigger] = []
    taken: list[tuple[int, int]] = []

    def add(kind, start, end, speaker=None, force_attributed=None):
        if any(start < y and x < end for x, y in taken):
            return
        if kind != "denial" and _NEGATED.search(s[:start]):
            return
        if kind == "false" and _NEGATION_INSIDE.search(s[start:end]):
            return  # "the stories were not fake news"
        quoted = _in_quotes(s, start, end) or _inside_quotation(text, a + start)
        att = force_attributed if force_attributed is not None else (attributed or quoted)
        taken.append((start, end))
        found.append(_Trigger(kind, a + start, a + end, s[start:end], att, speaker))

    for c in denials:
        if not _not_a_denial(text, c):
            add("denial", c.start - a, c.end - a, c.source, force_attributed=True if c.source else attributed)
    for m in _FACT_CHECK_RE.finditer(s):
        add("fact-check", m.start(), m.end(), force_attributed=True if _judged_by_other(s, m.start()) else None)
    for m in _FALSE_RE.finditer(s):
        if m.group(0).lower() == "lies" and _LIES_AS_VERB.match(s[m.end():]):
            continue
        add("false", m.start(), m.end())
    found.sort(key=lambda t: t.start)
    return tuple(found)


# A fact-check verb with someone as its subject reports that party's judgement ("The State Department
# debunked those numbers", "PolitiFact fact-checked Trump's view", "the report found no evidence of ..."):
# the frame is told as what others judged, not judged in the outlet's own voice, unless the subject is "we".
_ACTIVE_CHECK = re.compile(r"(?i:debunk(?:ed|s)|fact[- ]?check(?:ed|s))\s+(?:(?i:the|this|that|these|those|his|her|"
                           r"their|its|some|many|several|an?|each|every|claims?|reports?)\b|[A-Z\"“'‘])")
_NOT_ACTIVE = re.compile(r"(?:^|\b(?:be|been|being|was|were|is|are|the|a|an|now|already|widely|long|since|"
                         r"thoroughly|repeatedly|often|its|their|his|her|this|that|and|or))\W*$", re.I)
_FOUND = re.compile(r"\b(?:found|finds?|finding|saw|sees?|uncovered|turned\s+up)\s+$", re.I)
_FIRST_PERSON = re.compile(r"\b(?:we|our|us)\b|(?<![\w.])I\b", re.I)


def _judged_by_other(sentence: str, start: int) -> bool:
    """Whether the fact-check words at ``start`` are someone's act (an active "debunked", "fact-checked" or
    "found no evidence" after a subject other than "we"), which the sentence reports."""
    before = sentence[:start]
    if _ACTIVE_CHECK.match(sentence, start):
        active = not _NOT_ACTIVE.search(before)
    else:
        active = bool(_FOUND.search(before))
    return active and not _FIRST_PERSON.search(before[-60:])


_TRANSITIVE = re.compile(r"^\s+(?:the|that|this|these|those|it|its|their|his|her|claims?|reports?|whether|such|"
                         r"any|an?|accounts?|allegations?|by|as)\b", re.I)


_PASSIVE = re.compile(r"\b(?:was|were|been|being|is|are|be)\s+$", re.I)  # "activists were denied an attempt"
_DEPRIVE = re.compile(r"^\s+(?:(?:him|her|them|us|me)\b|(?:[\w'’-]+\s+){0,3}?(?:access|asylum|entry|visas?|permits?|"
                      r"permission|bail|benefits|funding|service|a\s+platform|the\s+right)\b)", re.I)


_REBUFF = re.compile(r"^(?:rebuffed|refuted)$", re.I)
_CLAIM_OBJECT = re.compile(r"^\s+(?:the\s+|these\s+|those\s+|such\s+|any\s+)?(?:[\w'’-]+\s+){0,2}?(?:reports?|claims?|"
                           r"allegations?|suggestions?|accounts?|accusations?|stor(?:y|ies)|charges?|it|this|that)\b",
                           re.I)
_REBUTTING_DISPUTE = re.compile(r"^(?:disput|contest|cast|challeng|(?:were|was|are|is)\s+misleading)", re.I)
# A dispute verb needs an object or an agent after it; without one it is an adjective ("disputed territory",
# "contested islands", "a hotly contested election") or a noun ("political disputes").
_DISPUTE_VERB = re.compile(r"^(?:disput|contest)", re.I)


def _not_a_denial(text: str, cue) -> bool:
    """Cues that are not a rebuttal: doubt ("skeptical", "questioned whether", "doubt that": a dispute that
    stops short of saying the claim is wrong), the noun "disputes" ("delayed by political disputes", no
    object or agent after it), and "denied" meaning deprived ("the technology the sanctions have denied
    him")."""
    if _REBUFF.match(cue.span) and not _CLAIM_OBJECT.match(text[cue.end:]):
        return True  # "rebuffed a call from his commission", "Rebuffed by Congress"
    if cue.subtype == "disputes":
        if not _REBUTTING_DISPUTE.match(cue.span):
            return True
        return bool(_DISPUTE_VERB.match(cue.span)) and not _TRANSITIVE.match(text[cue.end:])
    return cue.subtype == "denies" and cue.span.lower().startswith("den") and (
        bool(_DEPRIVE.match(text[cue.end:])) or bool(_PASSIVE.search(text, max(0, cue.start - 12), cue.start)))


# What a denial denies, read from the words after its verb: a claim ("denied the reports", "denied that ...",
# "denied it", "denied any involvement", "denied the troops were there"), an act ("denies selling oil") or
# nothing said ("denied."), each a denial of what the article tells; or a plain thing ("Trump denies chaos", "deny its existence", "denying
# things he said"), which is about the frame only where the sentence holds the frame's wording.
_OBJECT_END = re.compile(r"[,;:.!?()\[\]\"“”]|\s[-–—]\s|\s(?:amid|after|before|as|but|while|and|or|when|because|"
                         r"since|despite|on|in|at|over|to|for|with|from|during|saying)\b", re.I)
_CHARGE = re.compile(r"^(?:" + _CLAIM[3:-1] + r"|ties|links?|involvement|wrongdoing|responsibility|role|"
                     r"connections?|knowledge|meddling|interference|collusion|complicity|guilt|culpability|"
                     # a clause without "that" ("denied the troops were there")
                     r"was|were|is|are|had|has|have|did|does|do|would|will|could|can)$", re.I)
_CLAIM_OPENING = re.compile(r"^(?:any|ever|all|every|having|being|rumou?red|reported|alleged|claimed|"
                            r"[a-z'’-]+ing)$", re.I)


def _denies_a_thing(text: str, t: _Trigger) -> bool:
    """Whether the denial cue ``t`` denies a plain thing named after it ("denies chaos", "deny its
    existence"), not a claim, a charge or an act."""
    if " " in t.text.strip():
        return False  # the cue holds its object ("dismissed the claims as lies", "cast doubt")
    rest = text[t.end:]
    end = _OBJECT_END.search(rest)
    words = _WORD_RE.findall(rest[:end.start() if end else len(rest)])[:4]
    return bool(words) and not _CLAIM_OPENING.match(words[0]) and not any(_CHARGE.match(w) for w in words)


def _about_other(where: "Passage", t: _Trigger, wording: "Wording | None", sentence: str) -> bool:
    """Whether the denial ``t`` in ``sentence`` of ``where`` is about something other than the frame: it denies
    a plain thing and the sentence does not hold the frame's wording (None: unknown, every denial counts)."""
    return wording is not None and _denies_a_thing(where.text, t) and not wording.held_by(sentence)


def _inside_quotation(text: str, position: int) -> bool:
    """Whether ``position`` of a passage is inside a quotation that may span sentences: an odd number of
    straight double quotes before it, or more curly openings than closings."""
    before = text[:position]
    return before.count('"') % 2 == 1 or before.count("“") > before.count("”")


def _speaker(text: str, a: int, b: int, cues) -> str | None:
    for c in _cues_in(cues, a, b):
        if c.kind == "attribution" and c.subtype != "none":
            return c.source or c.subtype
    return None


# A sentence that opens with a quotation ending in its own punctuation: words spoken, their speaker after them.
_SPOKEN_OPENING = re.compile(r"^\W{0,2}?[\"“‘](?:[^\"“”‘’]|[’'](?=\w))+?[,?!.…][\"”’]")  # "It’s": an apostrophe
# A speech verb nobody speaks: "nobody will say how many", "officials would not say", "has never claimed".
_NO_SPEAKER = re.compile(
    r"(?:\b(?:nobody|no\s+one|none)\s+(?:\w+\s+){0,4}|(?:\b(?:not|never)|n['’]t)\s+(?:\w+\s+){0,2})$", re.I)


def _carries(text: str, a: int, b: int, cues, wording: "Wording | None" = None
             ) -> tuple[str, str, tuple[int, int] | None]:
    """How the sentence text[a:b] that carries the frame does so: (stance, rule, span of the words that say so)."""
    s = text[a:b]
    here = _cues_in(cues, a, b)
    if s.rstrip("\"'”’) ").endswith("?"):
        return "reports", "question", (a + len(s) - 1, a + len(s))
    for c in here:
        if (c.kind == "attribution" and c.subtype in ("named", "anonymous", "outlet")
                and not _NEGATION_INSIDE.search(c.span)):  # "officials would not say"
            return "reports", "attributed", (c.start, c.end)
    for c in here:
        if c.kind == "stance" and c.subtype == "cannot_verify":
            return "reports", "unverified", (c.start, c.end)
    m = next((m for m in _SPEECH_RE.finditer(s) if not _NO_SPEAKER.search(s[:m.start()])), None)
    if m is None and wording is not None:
        m = next((m for m in _SPEECH_ING_RE.finditer(s) if wording.held_by(s[m.end():])), None)
    if m:
        return "reports", "attributed", (a + m.start(), a + m.end())
    m = _ALLEGATION_RE.search(s)
    if m:
        return "reports", "allegation", (a + m.start(), a + m.end())
    q = _QUOTE_RE.search(s)
    if q and (q.end() - q.start()) > 0.5 * len(s.strip()):
        return "reports", "quoted", (a + q.start(), a + q.end())
    if _inside_quotation(text, a) or _inside_quotation(text, b) or _SPOKEN_OPENING.match(s):
        # a sentence of a quotation that spans sentences (one began before it, or it opens one it does not
        # close: "“They are cannon fodder. They die by the hundred,” a nurse said."), or one that opens with
        # words spoken ("“It's treason,” agreed the congressman."); a phrase it quotes and goes on about in its
        # own voice ("“Cannon fodder” is the only word for ...") is read as above
        return "reports", "quoted", (a, b)
    return "uses", "own voice", None


def _result(stance: str, passage: Passage, rule: str, trigger_passage: Passage | None = None,
            span: tuple[int, int] | None = None, speaker: str | None = None) -> Stance:
    where = trigger_passage or passage
    if span is None:
        return Stance(stance, passage.passage_id, rule, speaker=speaker)
    return Stance(stance, passage.passage_id, rule, where.text[span[0]:span[1]], where.passage_id, span[0], span[1],
                  speaker)


_CONTRAST = re.compile(r"^\W*(?:but|however|yet|still|nevertheless|nonetheless|even\s+so|despite|in\s+fact|"
                       r"contrary\s+to)\b", re.I)


# A title that opens with fact-check words: the whole article checks claims ("AP FACT CHECK: ...").
_FACT_CHECK_TITLE = re.compile(r"^\W*(?:[\w.]+\s+){0,2}?fact[- ]?check", re.I)


def _own_words(t: _Trigger, wording: "Wording | None") -> bool:
    """Whether a trigger's words are the frame's own wording (a frame named "information warfare", an
    article calling something information warfare): the frame told, not judged."""
    return wording is not None and t.kind != "denial" and wording.held_by(t.text)


def _first_trigger(p: Passage | None, spans: list[tuple[int, int]] | None = None,
                   wording: "Wording | None" = None) -> _Trigger | None:
    """The first rebuttal trigger of any kind in passage ``p`` (in ``spans``, default: every sentence). With the
    frame's ``wording``, the outlet's own fact-check and false words count only in a sentence that holds it,
    or in a title that opens with fact-check words ("Fact-checking the address", "FACT CHECK: ...": the whole
    article checks claims); a denial cue or someone's false words ("'groundless slander', the spokesman
    said") always count."""
    if p is None:
        return None
    for a, b in spans if spans is not None else sentence_spans(p.text):
        for t in _triggers(p.text, a, b, p.cues):
            if t.kind == "denial" and _about_other(p, t, wording, p.text[a:b]) or _own_words(t, wording):
                continue
            if (t.kind == "denial" or t.attributed or wording is None or wording.held_by(p.text[a:b])
                    or (p.seq == 0 and _FACT_CHECK_TITLE.match(p.text))):
                return t
    return None


# A verdict that refers back to the sentence before it: a pronoun ("it", "This is false"), a claim word with a
# determiner ("that story", "the figures", "such claims"), or an answer ("No, ...", "False.").
_REFERS_BACK = re.compile(
    r"\bit\b|^\W*(?:this|that|these|those)\b|\b(?:this|that)\s+(?:is|was|isn['’]t|wasn['’]t)\b|"
    r"\b(?:that|such|the|this|these|those|his|her|their|its|both|any)\s+"
    r"(?:[\w'’-]+\s+){0,2}?(?:claims?|stor(?:y|ies)|reports?|allegations?|ideas?|notion|rumou?rs?|"
    r"theor(?:y|ies)|assertions?|charges?|accusations?|narratives?|figures?|numbers?|videos?|footage|images?|"
    r"photos?|pictures?|tales?|version|suggestions?)\b|^\W*(?:no|false|untrue|wrong|not\s+true|fake)\b", re.I)


def passage_stance(passage: Passage, before: Passage | None = None, after: Passage | None = None,
                   title: Passage | None = None, earlier: Passage | None = None,
                   opening: Passage | None = None, wording: Wording | None = None) -> Stance:
    """The stance of a frame passage, given the article's passages just before and after it, the one before
    ``before`` (``earlier``), its title (or None; the title is the headline, not a sentence before the
    first paragraph), its first paragraph (``opening``) and the frame's ``wording`` (None: unknown)."""
    text, cues = passage.text, passage.cues
    sentences = sentence_spans(text)
    if not sentences:
        return Stance("uses", passage.passage_id, "own voice")
    per_sentence = [tuple(t for t in _triggers(text, a, b, cues) if not _own_words(t, wording)) for a, b in sentences]
    before_spans = sentence_spans(before.text) if before is not None else ()
    after_spans = sentence_spans(after.text) if after is not None else ()

    def about_frame(where: Passage, k: int, spans) -> bool:
        """Whether fact-check words in sentence ``k`` of ``where`` judge the frame: its wording unknown, or
        held by that sentence, or by the one just before it when this one refers back to it (the claim, then
        the verdict: "Velka calls them cannon fodder. That story is false."; "No, they are not cannon
        fodder. The casualty figures are false.")."""
        verdict = where.text[spans[k][0]:spans[k][1]]
        if wording is None or wording.held_by(verdict):
            return True
        if not _REFERS_BACK.search(verdict):
            return False  # "MSNBC trotted out the debunked dossier." after a sentence on the frame judges the dossier
        if k > 0 and wording.held_by(where.text[spans[k - 1][0]:spans[k - 1][1]]):
            return True
        if where is passage and k == 0 and before_spans:
            return wording.held_by(before.text[before_spans[-1][0]:before_spans[-1][1]])
        if where is after:
            return wording.held_by(text[sentences[-1][0]:sentences[-1][1]])
        return False  # a verdict ending the paragraph before judges what that paragraph says

    # 1. own-voice rebuttal of the frame's wording in the passage's first sentences or the adjacent sentence of
    #    a neighbour
    for k, triggers in enumerate(per_sentence[:OWN_VOICE_SENTENCES]):
        for t in triggers:
            if t.kind in ("fact-check", "false") and not t.attributed and about_frame(passage, k, sentences):
                return _result("rebuts", passage, "fact-check", span=(t.start, t.end))
    neighbours = []
    if before_spans:
        neighbours.append((before, before_spans, len(before_spans) - 1))
    if after_spans:
        neighbours.append((after, after_spans, 0))
    for other, spans, k in neighbours:
        for t in _triggers(other.text, *spans[k], other.cues):
            if t.kind == "fact-check" and not t.attributed and about_frame(other, k, spans) \
                    and not _own_words(t, wording):
                return _result("rebuts", passage, "fact-check", other, (t.start, t.end))
    # 2. a denial in the lead: the article's rebuttal when the article opens with it (this passage is its title
    #    or first paragraph) or with a denial (its title or first paragraph); a denial in the body of an article
    #    that opened otherwise is reported ("Putin has denied any meddling"), the frame told as a claim
    #    someone denies. The outlet's own fact-check and false words count only where they are about the frame's
    #    wording, as in 1 ("The minister's budget was always a fairy tale." leads a passage about something
    #    else); a denial cue ("denied the reports") or someone's false words ("'groundless slander', the
    #    spokesman said") name no claim in words and always count.
    lead = sentences[0]
    lead_triggers = [t for t in per_sentence[0]
                     if (t.kind == "denial" and not _about_other(passage, t, wording, text[lead[0]:lead[1]]))
                     or (t.kind != "denial" and (t.attributed or about_frame(passage, 0, sentences)))]
    if lead_triggers:
        t = lead_triggers[0]
        speaker = t.speaker or _speaker(text, *lead, cues)
        if passage.seq <= 1 or any(other is not None and other.seq <= 1
                                   and _first_trigger(other, wording=wording) is not None
                                   for other in (title, opening, before, earlier)):
            return _result("rebuts", passage, "denial", span=(t.start, t.end), speaker=speaker)
        return _result("reports", passage, "denial reported", span=(t.start, t.end), speaker=speaker)
    # 3. a denial just before the frame is first told (the passage before it, or the headline), unless the
    #    lead answers it ("But officials say ...")
    if not _CONTRAST.search(text[lead[0]:lead[1]]):
        for other in (before, earlier, title if passage.seq == 1 else None):
            if other is None or other.seq > 1:
                continue  # only a denial the article opens with (its title or first paragraph)
            t = _first_trigger(other, wording=wording)
            if t is not None:
                return _result("rebuts", passage, "denial before", other, (t.start, t.end), t.speaker)
    # 4. a distanced lead, then a denial in the next sentence
    if _DISTANCE_RE.search(text[lead[0]:lead[1]]):
        if len(sentences) > 1:
            where, t = passage, (per_sentence[1][0] if per_sentence[1] else None)
        else:
            where = after
            t = _first_trigger(after, sentence_spans(after.text)[:1]) if after is not None else None
        if t is not None:
            return _result("rebuts", passage, "distanced", where, (t.start, t.end), t.speaker)
    # 5. the passage carries the frame: in the first sentence that holds its wording ("Fighting went on. Officials
    #    say the conscripts are cannon fodder." is reported), else in its lead
    carrier = lead
    if wording is not None:
        carrier = next((sp for sp in sentences if wording.held_by(text[sp[0]:sp[1]])), lead)
    stance, rule, span = _carries(text, *carrier, cues, wording)
    return _result(stance, passage, rule, span=span,
                   speaker=_speaker(text, *carrier, cues) if stance == "reports" else None)


def article_stance(passages: list[Passage], wording: Wording | None = None) -> Stance | None:
    """The article's stance toward the frame: that of its first passage in the frame (``passages``: all the
    article's passages, or at least the title, the first paragraph, the frame passages and their neighbours;
    the title is ``seq`` 0; ``wording``: the frame's, :class:`Wording`). None when no passage is in the
    frame."""
    ordered = sorted(passages, key=lambda p: p.seq)
    by_seq = {p.seq: p for p in ordered}
    for p in ordered:
        if p.in_frame:
            if p.seq == 0:
                return passage_stance(p, None, by_seq.get(1), wording=wording)
            return passage_stance(p, by_seq.get(p.seq - 1) if p.seq > 1 else None, by_seq.get(p.seq + 1),
                                  by_seq.get(0), by_seq.get(p.seq - DENIAL_WINDOW) if p.seq > DENIAL_WINDOW else None,
                                  by_seq.get(1), wording)
    return None


# Fact-check language in the frame passage's own voice counts in its first this many sentences (rule 1): later in a
# long paragraph it is mostly about something else (a figure, another claim, "no real basis for a deal").
OWN_VOICE_SENTENCES = 2

# A denial this many passages before the frame's first passage counts as leading into it (rule 3).
DENIAL_WINDOW = 2

# A frame whose articles mostly deny it by these rules (a rebuttal, or a denial reported further down an article)
# is itself a denial ("the reports are fabricated propaganda"): telling the denial is using that frame, so none of
# its articles is a rebuttal.
DENIAL_FRAME_SHARE = 0.5


def denies(stance: "Stance") -> bool:
    """Whether an article's own stance denies the frame: a rebuttal, or a denial its frame passage reports
    (rule ``denial reported``): what :func:`is_denial_frame` counts."""
    return stance.stance == "rebuts" or stance.rule == "denial reported"


def frame_stances(articles: dict[str, list[Passage]], wording: Wording | None = None) -> dict[str, Stance]:
    """The stance of each article of one frame (article_id -> its passages, ``in_frame`` set for the frame's
    passages; ``wording``: the frame's). When at least ``DENIAL_FRAME_SHARE`` of the articles deny it
    (:func:`denies`: a rebuttal, or a denial reported deeper in the article), the frame is a denial and its
    rebuttals are taken as telling it: each becomes ``reports`` (rule ``denial frame``), the denial's words kept
    as the trigger. (A framing's denials told in one frame: the articles that open with the denial rebut it by
    their own stance, those that report it after their own story do not, and together they are the frame.)"""
    out = article_stances(articles, wording)
    return as_denial_frame(out) if is_denial_frame(sum(map(denies, out.values())), len(out)) else out


def article_stances(articles: dict[str, list[Passage]], wording: Wording | None = None) -> dict[str, Stance]:
    """Each article's own stance (:func:`article_stance`), before the frame's articles are read together."""
    return {a: s for a, s in ((a, article_stance(ps, wording)) for a, ps in articles.items()) if s is not None}


def is_denial_frame(denials: int, articles: int) -> bool:
    """Whether a frame whose ``articles`` include ``denials`` by their own stance (:func:`denies`) is itself a
    denial."""
    return articles > 0 and denials >= DENIAL_FRAME_SHARE * articles


def as_denial_frame(stances: dict[str, Stance]) -> dict[str, Stance]:
    """The stances of a denial frame's articles: its rebuttals tell it (``reports``, rule ``denial frame``)."""
    return {a: (Stance("reports", s.passage_id, "denial frame", s.cue_text, s.cue_passage_id, s.cue_start,
                       s.cue_end, s.speaker) if s.stance == "rebuts" else s) for a, s in stances.items()}
