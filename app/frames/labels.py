"""Frame labels: one short, distinctive phrase of each frame's own passages, with the sentence it comes from,
and the check that says how good a set of labels is.

A label is a key phrase that occurs verbatim (any case, words contiguous, no punctuation in between) in the
frame's passages. Candidates are word n-grams of one to ``MAX_WORDS`` words that neither start nor end with a
stop word (function words, reporting verbs such as "said", days, months, number words) nor start with a
number or as the tail of a clause (a word only ever an adverb, alone or before a word that cannot be an
adjective: "instead of military", "reportedly executed"; "mentally deranged" is a phrase), and whose first and
last words can bound a phrase (``_edges``). A noun's plural and singular are counted
together: a candidate is its lemma phrase (``lemma_phrase``: "human waves" and "human wave" are one), written as
the form of most weight in the frame. Each candidate of a frame is scored by

* representativeness: the share of the frame's passages that contain it, each passage weighted by its
  closeness (cosine) to the frame centre, times
* distinctiveness: the share of its estimated occurrences, over all frames and the unassigned passages, that
  fall inside this frame (class-based: each class is read from a sample, its counts scaled to its size),

times a form factor: two to four words preferred and one word a last choice, less for each stop word inside
and for a verb at the end. A phrase must recur in two of the frame's distinct texts unless none does. Frames are
labelled largest first; each takes the candidate with the best maximal-marginal-relevance value (its own
score, relative to the frame's best, less its word overlap with the labels already given to other frames),
and never a label another active frame already shows, in any inflection (user renames, seed names and kept
labels are passed in ``taken``). When every candidate is taken, a longer phrase that contains it, or the phrase
followed by the frame's commonest other word in brackets, tells the frames apart; never a bare number.

Each cluster is represented by at most ``per_class`` of its passages (those closest to its centre) and the
background by an evenly spaced sample of at most ``background`` unassigned passages, so the cost stays
bounded on corpora of a million passages. The n-grams are counted with array operations over token codes,
not per phrase in Python.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import chain
from typing import Callable, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd
from lemminflect import getAllLemmas

MAX_WORDS = 6
# Preference by number of words: one word is a last choice, two to four read as a headline's phrase.
LENGTH_WEIGHT = {1: 0.12, 2: 1.0, 3: 1.05, 4: 1.05, 5: 0.95, 6: 0.85}
INNER_STOP_WEIGHT = 0.85  # per stop word inside a phrase ("states in the world" reads worse than "isolated states")
VERB_SHARE = 0.25  # a word followed by a determiner this often is taken for a verb
VERB_END_WEIGHT = 0.6  # a phrase ending in a verb
DETERMINERS = frozenset("the a an his her its their this these those our your my every each".split())
EDGE_SHARE = 0.2  # a word starts (ends) a phrase only if at least this share of its uses follow (precede) a break
CANDIDATES = 30  # best candidates kept per frame for the choice across frames
DIVERSITY = 0.3  # weight of word overlap with other frames' labels against the phrase's own score (MMR)
MIN_WEIGHT = 0.05  # a passage's weight is its cosine to the centre, at least this
SPARE_WORDS = ("another", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth")
SENTENCE_CHARS = 320  # a longer representative sentence is cut around the phrase
WEAK_SHARE = 0.1  # a label held by fewer of its frame's passages than this names a detail, not the frame
FALLBACK_CHARS = 60  # a frame with no phrase is labelled with the start of its best sentence, about a headline
# When a phrase scoring at least this share of the frame's best is another frame's name (a seeded frame's, a
# user's rename), a phrase holding it names the frame (candidates holding it at this share of its score, else
# the words around it).
TAKEN_LEAD = 0.5

# Function words, reporting verbs, weekdays and months, honorifics: a label never starts or ends with one.
STOP_WORDS = frozenset("""
a about above across after afterwards again against all almost alone along already also although always am
among amongst an and another any anyhow anyone anything anyway anywhere are around as at be became because
become becomes becoming been before beforehand behind being below beside besides between beyond both but by
can cannot could did do does doing done down during each either else elsewhere enough etc even ever every
everyone everything everywhere except few for former formerly from further had has have having he hence her
here hereafter hereby herein hereupon hers herself him himself his how however i ie if in indeed into is it
its itself just last latter latterly least less many may me meanwhile might mine more moreover most mostly
much must my myself namely neither never nevertheless next no nobody none noone nor not nothing now nowhere
of off often on once one only onto or other others otherwise our ours ourselves out over own per perhaps
please quite rather same several she should since so some somehow someone something sometime sometimes
somewhere still such than that the their theirs them themselves then thence there thereafter thereby
therefore therein thereupon these they this those though through throughout thru thus to together too
toward towards under until up upon us very via was we well were what whatever when whence whenever where
whereafter whereas whereby wherein whereupon wherever whether which while whither who whoever whole whom
whose why will with within without would yet you your yours yourself yourselves
it's its' he's she's they're we're you're i'm i've we've they've you've i'd he'd she'd we'd they'd you'd
i'll he'll she'll we'll they'll you'll isn't aren't wasn't weren't hasn't haven't hadn't doesn't don't
didn't won't wouldn't can't couldn't shouldn't mustn't that's there's here's what's who's let's
said says say saying told tell tells according added adding asked stated noted reported reports reporting
claimed claims wrote writes commented explained announced insisted argued suggested warned
mr mrs ms dr sir madam 's
two three four five six seven eight nine ten hundred hundreds thousand thousands million millions billion
billions first second third despite including amid near
monday tuesday wednesday thursday friday saturday sunday today yesterday tomorrow
january february march april may june july august september october november december
week weeks month months year years day days time times ago later earlier
new like get got make made many much lot lots way ways thing things really
""".split())

# A word: letters and digits, inner apostrophes and hyphens allowed; a possessive "'s" is a word of its own (a stop
# word, so "Mueller" and "Mueller's" are one phrase); anything else that is not a space breaks a phrase (so a
# phrase never spans a comma, a dash, a quote or a sentence end).
_TOKEN = re.compile(r"[^\W_]+(?:-[^\W_]+|['’](?![sS]\b)[^\W_]+)*|['’][sS]\b|[^\w\s]|_")
POSSESSIVE = "'s"
_ABBREVIATIONS = frozenset(
    "mr mrs ms dr sen rep gov gen col lt sgt capt cmdr adm maj st jr sr prof rev hon no vs etc inc corp co ltd "
    "jan feb mar apr jun jul aug sep sept oct nov dec u.s u.k u.n e.g i.e a.m p.m".split())
_SENTENCE_END = re.compile(r"[.!?]+[\"”’')\]]*\s+(?=[\"“‘'(\[]?[A-Z0-9])")


@dataclass(frozen=True)
class FrameLabel:
    """A frame's label, its runner-up phrases, and the sentence that shows the label in use."""
    label: str
    phrases: list[str] = field(default_factory=list)
    sentence: str | None = None


def _straight(text: str) -> str:
    return text.replace("’", "'").replace("‘", "'")


def normalise(label: str) -> str:
    """The form in which two labels are compared: words in lower case, straight apostrophes, single spaces."""
    return " ".join(_words(label))


def _words(text: str) -> list[str]:
    return [w for w in (_word(t) for t in _TOKEN.findall(text)) if w is not None]


def _word(token: str) -> str | None:
    """A token's word (lower case, straight apostrophe), or None for a mark that breaks a phrase."""
    word = _straight(token.lower())
    return word if word[:1].isalnum() or word == POSSESSIVE else None


def _is_stop(word: str) -> bool:
    return word in STOP_WORDS or len(word) < 2 and not word.isdigit()


def stop_word_fragment(label: str) -> bool:
    """Whether a label starts or ends with a stop word or has no word but stop words and numbers. A name that
    starts with "New" ("New York City prosecutors": "New" and the next word capitalised) does not count."""
    words = _words(label)
    tokens = label.split()
    name = len(tokens) > 1 and tokens[0] == "New" and tokens[1][:1].isupper()
    return (not words or (_is_stop(words[0]) and not name) or _is_stop(words[-1])
            or all(_is_stop(w) or w.isdigit() for w in words))


def phrase_pattern(phrase: str) -> re.Pattern:
    """The phrase's words in order, any case, separated by spaces only, not inside longer words."""
    words = _words(phrase)
    body = "".join(("" if i == 0 else r"\s*" if w == POSSESSIVE else r"\s+") + re.escape(w).replace("'", "['’]")
                   for i, w in enumerate(words))
    # Not inside a longer word, as the tokens are read: a hyphen or an apostrophe between letters joins words,
    # except a possessive "'s".
    return re.compile(r"(?<!\w)(?<!\w-)(?<!\w['’])" + body + r"(?!\w)(?!-\w)(?!['’](?![sS]\b)\w)", re.IGNORECASE)


def occurs(phrase: str, text: str) -> bool:
    """Whether ``phrase`` occurs verbatim in ``text``: its words contiguous, any case, nothing but space between."""
    return bool(_words(phrase)) and phrase_pattern(phrase).search(text) is not None


_BLANK_RUN = re.compile(r" {3,}")  # a page widget read as blank (app.widgets), shown as one space


def sentence_around(text: str, start: int, end: int | None = None) -> str:
    """The sentence of ``text`` that holds the span [start, end): split at ., ! or ? followed by a capital, but
    not after an abbreviation ("Sen.", "U.S.") or an initial, and at line breaks; a sentence longer than
    ``SENTENCE_CHARS`` is cut around the span, with an ellipsis."""
    end = start if end is None else end
    # A line break ends a sentence too (a heading, a byline, a list item).
    lo = text.rfind("\n", 0, start) + 1
    hi = text.find("\n", end)
    hi = len(text) if hi < 0 else hi
    for m in _SENTENCE_END.finditer(text, lo, hi):
        before = text[:m.start() + 1].rsplit(None, 1)[-1].rstrip(".!?").lower().lstrip("\"“‘'([")
        if before in _ABBREVIATIONS or (len(before) == 1 and before.isalpha()):
            continue
        if m.end() <= start:
            lo = m.end()
        elif m.start() >= end:
            hi = m.start() + len(m.group().rstrip())
            break
    sentence = text[lo:hi].strip()
    if len(sentence) <= SENTENCE_CHARS:
        return _BLANK_RUN.sub(" ", sentence)
    offset = lo + len(text[lo:hi]) - len(text[lo:hi].lstrip())
    a = max(0, start - offset - SENTENCE_CHARS // 2)
    b = min(len(sentence), a + SENTENCE_CHARS)
    a = max(0, b - SENTENCE_CHARS)
    cut = sentence[a:b]
    if a > 0:
        cut = "…" + cut.split(" ", 1)[-1]
    if b < len(sentence):
        cut = cut.rsplit(" ", 1)[0] + "…"
    return _BLANK_RUN.sub(" ", cut)


def sentence_with(text: str, phrase: str | None) -> str:
    """The first sentence of ``text`` that holds ``phrase`` verbatim; the first sentence when none does."""
    m = phrase_pattern(phrase).search(text) if phrase and _words(phrase) else None
    return sentence_around(text, m.start(), m.end()) if m else sentence_around(text, 0)


def taken_labels(frames: pd.DataFrame, kept: pd.DataFrame | None = None) -> set[str]:
    """Labels that new labels must not repeat (normalised): every user rename of an active frame (``frames``),
    every seeded frame's name, and the labels of ``kept`` frames (those that keep theirs in an incremental
    run)."""
    out: set[str] = set()
    if frames is not None and len(frames):
        if "user_label" in frames:
            out |= {normalise(n) for n in frames["user_label"].dropna()}
        out |= {normalise(n) for n in frames.loc[frames["kind"] == "seeded", "label"].dropna()}
    if kept is not None and len(kept):
        out |= {normalise(n) for n in kept["label"].dropna()}
    out.discard("")
    return out


def _sample(labels: np.ndarray, scores: np.ndarray | None, per_class: int, background: int) -> dict[int, np.ndarray]:
    """Row indices per class: the best-scoring ``per_class`` rows of each cluster, a spread of the rest."""
    order = np.argsort(labels, kind="stable") if scores is None else np.lexsort((-scores, labels))
    sorted_labels = labels[order]
    starts = np.flatnonzero(np.r_[True, sorted_labels[1:] != sorted_labels[:-1]])
    ends = np.r_[starts[1:], len(order)]
    out = {}
    for s, e in zip(starts, ends):
        c = int(sorted_labels[s])
        rows = order[s:e]
        if c < 0:
            rows = np.sort(rows)
            if len(rows) > background:
                rows = rows[np.linspace(0, len(rows) - 1, background).astype(np.int64)]
        else:
            rows = rows[:per_class]
        out[c] = rows
    return out


@dataclass
class _Tokens:
    """Every sampled text as token codes, one array: a break (-1) after each text and at each punctuation mark."""
    codes: np.ndarray  # int64 per token, -1 for a break
    doc: np.ndarray  # the text each token belongs to
    words: np.ndarray  # the word of each code
    stop: np.ndarray  # bool per code: a stop word
    digits: np.ndarray  # bool per code: a number
    names: np.ndarray  # bool per code: written with a capital inside sentences at least half the time ("Sung")
    lemma: np.ndarray  # int64 per code: its lemma group ("waves" and "wave" share one; see ``lemma_word``)


# A capitalised word after a lower-case word or a comma: inside a sentence, so a name rather than a sentence start.
_INNER_CAPITAL = re.compile(r"(?<=[a-z0-9,;:] )[A-Z][^\W_]*")
NAME_SHARE = 0.5
TOKENISE_CHUNK = 4096  # texts tokenised at a time


def _tokenise(texts: Sequence[str]) -> _Tokens:
    # A chunk of texts at a time: the tokens of every text as strings at once (nine million for a corpus's
    # sample of 160,000 passages) held more than the rest of the labelling, and the memory they took was not
    # given back. Codes are numbered in order of first appearance over all the texts, as one factorize would.
    vocab: dict[str, int] = {}
    lengths = np.zeros(len(texts), dtype=np.int64)
    parts = []
    for start in range(0, len(texts), TOKENISE_CHUNK):
        lists = [_TOKEN.findall(_straight(t.lower())) + ["."] for t in texts[start:start + TOKENISE_CHUNK]]
        lengths[start:start + len(lists)] = [len(x) for x in lists]
        local, found = pd.factorize(np.fromiter(chain.from_iterable(lists), dtype=object,
                                                count=int(lengths[start:start + len(lists)].sum())))
        to_code = np.fromiter((vocab.setdefault(word, len(vocab)) for word in found), dtype=np.int64,
                              count=len(found))
        parts.append(to_code[local])
    codes = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
    uniques = np.empty(len(vocab), dtype=object)
    uniques[:] = list(vocab)
    is_word = np.fromiter((u[:1].isalnum() or u == POSSESSIVE for u in uniques), dtype=bool, count=len(uniques))
    codes = np.where(is_word[codes], codes, -1).astype(np.int64)
    stop = np.fromiter((_is_stop(u) for u in uniques), dtype=bool, count=len(uniques))
    digits = np.fromiter((u.isdigit() for u in uniques), dtype=bool, count=len(uniques))
    capitals = Counter(m.group().lower() for t in texts for m in _INNER_CAPITAL.finditer(_straight(t)))
    seen = np.bincount(codes[codes >= 0], minlength=len(uniques))
    names = np.fromiter((capitals.get(u, 0) for u in uniques), dtype=np.int64, count=len(uniques)) \
        >= NAME_SHARE * np.maximum(seen, 1)
    base = [u if stop[i] or digits[i] or names[i] or not is_word[i] else lemma_word(u) for i, u in enumerate(uniques)]
    lemma = pd.factorize(np.array(base, dtype=object))[0].astype(np.int64) if len(base) else np.zeros(0, np.int64)
    return _Tokens(codes, np.repeat(np.arange(len(texts)), lengths), uniques, stop, digits, names, lemma)


@lru_cache(maxsize=262144)
def lemma_word(word: str) -> str:
    """The form under which a word's inflections are counted together: a plural noun's singular ("waves" ->
    "wave", "losses" -> "loss", "offerings" -> "offering"), by the lexicon (lemminflect). A word the lexicon
    knows as a base form of any part of speech stays itself ("troops", "media", "ground", "left", "news"), and
    so do verbs ("sent", "banning": a verb's forms say different things in a name) and words it does not know.
    Names and stop words are never lemmatised (the caller's rule)."""
    lemmas = getAllLemmas(word)
    if not lemmas or any(word in forms for forms in lemmas.values()):
        return word
    return lemmas["NOUN"][0] if lemmas.get("NOUN") else word


def lemma_phrase(phrase: str) -> str:
    """A phrase's words (normalised) each under its ``lemma_word``, except stop words and numbers: two phrases
    that differ only in inflection ("human wave", "human waves") have one lemma phrase."""
    return " ".join(w if _is_stop(w) or w.isdigit() else lemma_word(w) for w in _words(phrase))


@lru_cache(maxsize=262144)
def clause_word(word: str) -> bool:
    """Whether an English word is only ever a verb or an adverb (lemminflect's lexicon: "arrive", "gets",
    "met", "twice"; not "calls", "attack" or "ground", which are nouns too, nor a word it does not know, nor a
    form in -ed or -en, which may be a participle naming the noun before it): a phrase ending in one reads as
    half a clause ("Kestrians arrive", "men met twice"), not as a name for a frame."""
    if word.endswith(("ed", "en")):
        return False  # a participle after a noun names it ("lies invented by ...", "conscripts treated as ...")
    lemmas = getAllLemmas(word)
    return bool(lemmas) and set(lemmas) <= {"VERB", "AUX", "ADV"}


@lru_cache(maxsize=262144)
def adverb_word(word: str) -> bool:
    """Whether an English word is only ever an adverb (lemminflect's lexicon: "instead", "fully", "actually",
    "mentally"; not "right", "still" or "north", which are other parts of speech too)."""
    lemmas = getAllLemmas(word)
    return bool(lemmas) and set(lemmas) == {"ADV"}


@lru_cache(maxsize=262144)
def adjective_word(word: str) -> bool:
    """Whether an English word can be an adjective: the lexicon knows it as one ("deranged", "ready"), or it
    is a verb's form in -ing and nothing else ("terrifying"; not "taking", a noun too)."""
    lemmas = getAllLemmas(word)
    return "ADJ" in lemmas or word.endswith("ing") and set(lemmas) == {"VERB"}


@lru_cache(maxsize=262144)
def participle_word(word: str) -> bool:
    """Whether a word may be a verb's participle in -ed or -en ("arrived", "written")."""
    return word.endswith(("ed", "en")) and "VERB" in getAllLemmas(word)


def clause_tail(words: Sequence[str]) -> bool:
    """Whether a phrase (its words, lower case) starts as the tail of a clause: with a word only ever an adverb
    that qualifies neither an adjective after it nor a participle naming the noun after that ("instead of
    military", "actually taking place", "reportedly executed", a lone "strongly"); not a characterisation
    ("mentally deranged", "truly terrifying") nor a name for a group ("newly arrived Kestrians")."""
    if not words or not adverb_word(words[0]):
        return False
    if len(words) > 1 and adjective_word(words[1]):
        return False
    return not (len(words) > 2 and participle_word(words[1]) and not _is_stop(words[2])
                and not words[2].isdigit())


def _edges(tok: _Tokens) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per code: whether the word can start a phrase, whether it can end one, and whether it reads like a verb.
    A word that is nearly always preceded by another content word ("Korea" after "North") cannot start a
    phrase; one nearly always followed by another ("North", "Robert" before "Mueller", "intercontinental")
    cannot end one; one often followed by a determiner ("call the", "rejected the"), or that the lexicon
    knows only as a verb or an adverb (``clause_word``) and is not written as a name ("Kim Il Sung"), is
    taken for a verb, and a phrase ending in it ("critics call", "Kestrians arrive") reads as half a clause
    rather than a name for the frame."""
    codes = tok.codes
    valid = codes >= 0
    safe = np.where(valid, codes, 0)
    open_ = ~valid | tok.stop[safe]  # a break or a stop word: a phrase may stop there
    determiner = valid & np.fromiter((w in DETERMINERS for w in tok.words), dtype=bool, count=len(tok.words))[safe]
    occurrences = np.bincount(codes[valid], minlength=len(tok.words))
    after = np.r_[open_[1:], True]
    before = np.r_[True, open_[:-1]]
    ends = np.bincount(codes[valid & after], minlength=len(tok.words))
    starts = np.bincount(codes[valid & before], minlength=len(tok.words))
    objects = np.bincount(codes[valid & np.r_[determiner[1:], False]], minlength=len(tok.words))
    seen = np.maximum(occurrences, 1)
    lexicon = np.fromiter((clause_word(w) for w in tok.words), dtype=bool, count=len(tok.words)) & ~tok.names
    return starts / seen >= EDGE_SHARE, ends / seen >= EDGE_SHARE, (objects / seen >= VERB_SHARE) | lexicon


def _key(codes: np.ndarray, pos: np.ndarray, n: np.ndarray) -> np.ndarray:
    """A 64-bit hash of the ``n[i]`` codes from ``pos[i]`` on, for each i."""
    key = n.astype(np.uint64)
    with np.errstate(over="ignore"):
        for j in range(int(n.max()) if len(n) else 0):
            more = n > j
            key[more] = key[more] * np.uint64(1_000_003) + (codes[pos[more] + j].astype(np.uint64) + np.uint64(1))
    return key


def _ngrams(tok: _Tokens, max_words: int) -> pd.DataFrame:
    """One row per (text, candidate n-gram): ``doc``, ``key`` (a 64-bit hash of the words, ``_key``), ``n``,
    ``pos`` (the first occurrence in that text) and ``inner`` (stop words inside it). Candidates are word runs
    without a break that neither start nor end with a stop word, do not start with a number, and start and
    end with words that can (``_edges``)."""
    codes = tok.codes
    valid = codes >= 0
    safe = np.where(valid, codes, 0)
    stop = tok.stop[safe] | ~valid
    can_start, can_end, verb = _edges(tok)
    # A word only ever an adverb, not written as a name, starts a phrase only before an adjective (``clause_tail``).
    adverb = np.fromiter((adverb_word(w) for w in tok.words), dtype=bool, count=len(tok.words)) & ~tok.names
    adjective = np.fromiter((adjective_word(w) for w in tok.words), dtype=bool, count=len(tok.words))
    participle = np.fromiter((participle_word(w) for w in tok.words), dtype=bool, count=len(tok.words))
    adverb_start = valid & adverb[safe]
    qualifies = np.r_[valid[1:] & adjective[safe[1:]], False]  # the next token is a word that can be an adjective
    names_next = np.r_[valid[1:] & participle[safe[1:]], False] \
        & np.r_[valid[2:] & ~tok.stop[safe[2:]] & ~tok.digits[safe[2:]], False, False]  # "newly arrived Kestrians"
    first_ok = ~stop & ~tok.digits[safe] & can_start[safe]
    last_ok = ~stop & can_end[safe]
    broken = np.r_[0, np.cumsum(~valid)]
    stops = np.r_[0, np.cumsum(stop & valid)]
    frames = []
    size = len(codes)
    for n in range(1, max_words + 1):
        if size < n:
            break
        m = size - n + 1
        ok = (broken[n:n + m] - broken[:m] == 0) & first_ok[:m] & last_ok[n - 1:n - 1 + m]
        if n == 1:
            ok &= ~adverb_start[:m]
        else:
            tail = adverb_start[:m] & ~qualifies[:m]
            ok &= ~(tail & ~names_next[:m]) if n > 2 else ~tail
        pos = np.flatnonzero(ok)
        if not len(pos):
            continue
        key = _key(codes, pos, np.full(len(pos), n))
        # Narrow columns: there are millions of rows (a text's number and a token's place fit in 32 bits).
        frames.append(pd.DataFrame({"doc": tok.doc[pos].astype(np.int32), "key": key, "n": np.int8(n),
                                    "pos": pos.astype(np.int32),
                                    "inner": (stops[pos + n] - stops[pos]).astype(np.int8),
                                    "verb": verb[safe[pos + n - 1]]}))
    if not frames:
        return pd.DataFrame({"doc": [], "key": [], "n": [], "pos": [], "inner": [], "verb": []})
    grams = pd.concat(frames, ignore_index=True)
    return grams.drop_duplicates(["doc", "key"])


def _candidates(texts: list[str], doc_class: np.ndarray, doc_weight: np.ndarray, scale: dict[int, float],
                max_words: int, keep: int) -> tuple[pd.DataFrame, _Tokens]:
    """The best ``keep`` candidates of each cluster with their scores: first those that recur in the frame (in
    two of its distinct texts, or in its only one), best first, then the best of those in a single passage."""
    tok = _tokenise(texts)
    grams = _ngrams(tok, max_words)
    grams["cls"] = doc_class[grams["doc"].to_numpy()]
    grams["w"] = doc_weight[grams["doc"].to_numpy()]
    per = (grams.groupby(["cls", "key"], sort=False)
           .agg(df=("doc", "size"), w=("w", "sum"), doc=("doc", "min"), n=("n", "first"), pos=("pos", "first"),
                inner=("inner", "first"), verb=("verb", "first"))
           .reset_index())
    # A phrase is counted under its lemma phrase ("human waves" and "human wave" together: a passage holding
    # either holds the frame's phrase), and written as its form of the most weight in the frame (passages closer
    # to its centre weigh more; the first read on a tie), so that it still occurs verbatim in the frame's
    # passages. Only the phrases a frame writes in more than one form are counted again, from their passages.
    codes = tok.codes
    per["lkey"] = _key(tok.lemma[np.where(codes >= 0, codes, 0)], per["pos"].to_numpy(), per["n"].to_numpy())
    with np.errstate(over="ignore"):  # (frame, lemma phrase) as one number; a rare collision only costs a recount
        group = per["lkey"].to_numpy() * np.uint64(0x9E3779B97F4A7C15) ^ per["cls"].to_numpy().astype(np.uint64)
    _, inverse, counts = np.unique(group, return_inverse=True, return_counts=True)
    many = counts[inverse] > 1
    del group, inverse, counts
    drop = np.zeros(len(per), dtype=bool)  # the other forms of a phrase written in more than one
    if many.any():
        forms = per.loc[many, ["cls", "lkey", "key", "w", "pos"]]
        chosen = (forms.sort_values(["cls", "lkey", "w", "pos"], ascending=[True, True, False, True], kind="stable")
                  .drop_duplicates(["cls", "lkey"]))
        lemma_of = forms.drop_duplicates("key").set_index("key")["lkey"]
        rows = grams.loc[grams["key"].isin(lemma_of.index).to_numpy(), ["doc", "key", "cls", "w"]]
        rows["lkey"] = rows["key"].map(lemma_of).to_numpy()
        counted = (rows[~rows.duplicated(["doc", "lkey"]).to_numpy()]
                   .groupby(["cls", "lkey"], sort=False).agg(df=("doc", "size"), w=("w", "sum"), doc=("doc", "min")))
        counted = counted.reindex(pd.MultiIndex.from_frame(chosen[["cls", "lkey"]]))
        at = chosen.index.to_numpy()
        for column in ("df", "w", "doc"):
            values = per[column].to_numpy(copy=True)
            values[at] = counted[column].to_numpy().astype(values.dtype)
            per[column] = values
        drop[many] = True
        drop[at] = False
        del forms, chosen, lemma_of, rows, counted
    del grams, many  # millions of rows, no longer needed: let go before the scoring's columns are made
    per["est"] = np.where(drop, 0, per["df"] * per["cls"].map(scale).to_numpy())
    total = per.groupby("lkey", sort=False)["est"].transform("sum")
    per = per[(per["cls"] >= 0).to_numpy() & ~drop]
    docs_in = pd.Series(doc_class).value_counts()
    weight_in = pd.Series(doc_weight).groupby(doc_class).sum()
    # A phrase must recur in the frame (in two of its distinct texts, or in its only one); a frame none of whose
    # phrases recurs takes its phrases from single passages.
    per["recurs"] = per["df"].to_numpy() >= np.minimum(2, per["cls"].map(docs_in).to_numpy())
    represent = per["w"].to_numpy() / per["cls"].map(weight_in).to_numpy()
    distinct = per["est"].to_numpy() / total.loc[per.index].to_numpy()
    form = (per["n"].map(LENGTH_WEIGHT).to_numpy() * INNER_STOP_WEIGHT ** per["inner"].to_numpy()
            * np.where(per["verb"].to_numpy(bool), VERB_END_WEIGHT, 1.0))
    per["score"] = represent * distinct * form
    per = per.sort_values(["cls", "recurs", "score", "n", "doc"], ascending=[True, False, False, False, True],
                          kind="stable")
    return per.groupby(["cls", "recurs"], sort=False).head(keep), tok


def _phrase(tok: _Tokens, pos: int, n: int) -> str:
    return " ".join(tok.words[tok.codes[pos:pos + n]])


def _written_form(phrase: str, texts: Iterable[str], limit: int = 5) -> tuple[str, str | None, int, int]:
    """The phrase as the passages write it (the commonest form among the first ``limit`` that hold it), and the
    first passage holding it with the span there."""
    pattern = phrase_pattern(phrase)
    forms: Counter[str] = Counter()
    first = (None, 0, 0)
    for text in texts:
        m = pattern.search(text)
        if m is None:
            continue
        if first[0] is None:
            first = (text, m.start(), m.end())
        forms[re.sub(r"\s+", " ", m.group())] += 1
        if sum(forms.values()) >= limit:
            break
    if not forms:
        return phrase, None, 0, 0
    best = max(forms.values())
    # Among equally common forms, the one read first (the closest passage), unless it only differs by a capital
    # at a sentence's start: then the lower-case form.
    ranked = [f for f in forms if forms[f] == best]
    form = ranked[0]
    lower = [f for f in ranked if f[:1].islower()]
    if form[:1].isupper() and lower and lower[0][1:] == form[1:]:
        form = lower[0]
    return form, first[0], first[1], first[2]


def _overlap(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def label_clusters(texts: Sequence[str] | Callable[[np.ndarray], list[str]], labels: np.ndarray,
                   n_phrases: int = 3, scores: np.ndarray | None = None, per_class: int = 60,
                   background: int = 20000, taken: Iterable[str] = (),
                   max_words: int = MAX_WORDS) -> dict[int, FrameLabel]:
    """A label per cluster index (labels == -1 form the background class), unique among the clusters and
    against ``taken`` (normalised labels other active frames show).

    ``texts`` is the text of every row, or a function giving the texts of the rows asked for (only the
    sampled rows are read, so a million-passage corpus need not be held in memory); ``scores`` is each row's
    cosine to its cluster's centre."""
    labels = np.asarray(labels)
    clusters = sorted(int(c) for c in np.unique(labels) if c >= 0)
    if not clusters:
        return {}
    scores = None if scores is None else np.asarray(scores, dtype=np.float64)
    rows = _sample(labels, scores, per_class, background)
    classes = clusters + ([-1] if -1 in rows else [])
    wanted = np.concatenate([rows[c] for c in classes])
    if callable(texts):
        got = texts(wanted)
    else:
        got = [texts[i] for i in wanted]
    got = ["" if t is None else str(t) for t in got]
    doc_class = np.concatenate([np.full(len(rows[c]), c) for c in classes])
    doc_weight = (np.maximum(scores[wanted], MIN_WEIGHT) if scores is not None else np.ones(len(wanted)))
    size = Counter(labels.tolist())
    scale = {c: size[c] / max(len(rows[c]), 1) for c in classes}
    cands, tok = _candidates(got, doc_class, doc_weight, scale, max_words, max(CANDIDATES, n_phrases))
    columns = [cands[name].to_numpy() for name in ("cls", "pos", "n", "score", "recurs")]
    starts = np.flatnonzero(np.r_[True, columns[0][1:] != columns[0][:-1]]) if len(cands) else np.zeros(0, int)
    bounds = dict(zip(columns[0][starts].tolist(), zip(starts.tolist(), np.r_[starts[1:], len(cands)].tolist())))
    first_doc = {c: int(np.flatnonzero(doc_class == c)[0]) for c in clusters}
    end_doc = {c: first_doc[c] + len(rows[c]) for c in clusters}

    # Names shown, as written and under their lemma phrase: a frame is not labelled "human waves" beside
    # another's "human wave".
    used = {form for t in taken for form in (normalise(t), lemma_phrase(t))}
    used.discard("")
    shown = set(used)  # names other frames show already (seeded frames, renames, kept labels)
    given: list[set[str]] = []  # the content words of each label given so far, for the overlap
    by_word: dict[str, list[int]] = {}
    out: dict[int, FrameLabel] = {}
    # Largest frames choose first.
    for c in sorted(clusters, key=lambda c: (-size[c], c)):
        own = got[first_doc[c]:end_doc[c]]
        a, b = bounds.get(c, (0, 0))
        options = [(_phrase(tok, int(p), int(n)), float(s), bool(r))
                   for p, n, s, r in zip(*(col[a:b] for col in columns[1:]))]
        recurring = [(p, s) for p, s, r in options if r]
        single = [(p, s) for p, s, r in options if not r]
        # A phrase of a single passage only when none that recurs is free.
        choice = _choose(recurring, used, given, by_word) or _choose(single, used, given, by_word)
        options = recurring or single
        named = next(((p, s) for p, s in options if p in shown), None) if options and choice is not None else None
        if named is not None and named[1] >= TAKEN_LEAD * options[0][1]:
            # One of the frame's strong phrases is another frame's name (a seeded frame's, a rename): a phrase
            # holding it names this frame better than a detail of its passages ("cannon fodder in Valdoria"
            # beside a seeded "cannon fodder", not "Kestrians arrive"), and shows the two are related.
            top, top_score = named
            holding = [(p, s) for p, s in options
                       if p not in used and f" {top} " in f" {p} " and s >= TAKEN_LEAD * top_score]
            choice = (_choose(holding, used, given, by_word) if holding else _longer(top, own, used)) or choice
        if choice is None:
            choice = _disambiguate(options, own, used)
        choice = _name_start(_whole_name(choice, own, used), own, used)
        words = set(_words(choice)) - STOP_WORDS
        given.append(words)
        for w in words:
            by_word.setdefault(w, []).append(len(given) - 1)
        used.update((normalise(choice), lemma_phrase(choice)))
        form, text, start, end = _written_form(choice, own) if options else (choice, None, 0, 0)
        sentence = sentence_around(text, start, end) if text is not None else (
            sentence_around(own[0], 0) if own and own[0] else None)
        others = []
        for phrase, _ in options:
            if len(others) == n_phrases - 1:
                break
            if phrase != choice and phrase not in choice and choice not in phrase and \
                    all(phrase not in o and o not in phrase for o in others):
                others.append(phrase)
        out[c] = FrameLabel(form, [form, *(o.replace(" " + POSSESSIVE, POSSESSIVE) for o in others)], sentence)
    return out


def _choose(options: list[tuple[str, float]], used: set[str], given: list[set[str]],
            by_word: dict[str, list[int]]) -> str | None:
    """The candidate with the best MMR score that no other frame shows: its score relative to the frame's
    best, less ``DIVERSITY`` times its largest word overlap with another frame's label."""
    if not options:
        return None
    top = options[0][1] or 1.0
    best, best_value = None, -np.inf
    for phrase, score in options:
        if phrase in used or lemma_phrase(phrase) in used:
            continue
        words = set(phrase.split()) - STOP_WORDS
        near = {i for w in words for i in by_word.get(w, ())}
        overlap = max((_overlap(words, given[i]) for i in near), default=0.0)
        value = (1 - DIVERSITY) * score / top - DIVERSITY * overlap
        if value > best_value:
            best, best_value = phrase, value
    return best


def _disambiguate(options: list[tuple[str, float]], own: list[str], used: set[str]) -> str:
    """A label when every candidate is taken (or there is none): a longer phrase of the frame's passages that
    holds the best candidate, else the best candidate (or the start of the frame's best sentence) followed by
    the frame's commonest other content word in brackets (an ordinal word when there is none)."""
    if not options:
        base = _fallback(own)
        if normalise(base) not in used:
            return base
    base = options[0][0] if options else base
    longer = _longer(base, own, used) if options else None
    if longer is not None:
        return longer
    counts = Counter(w for t in own for w in _words(t) if not _is_stop(w) and not w.isdigit())
    # Frames whose passages have no other word (identical texts) are told apart by an ordinal word.
    for word in [*(w for w, _ in counts.most_common()), *SPARE_WORDS]:
        if word not in _words(base):
            phrase = f"{base} ({word})"
            if normalise(phrase) not in used:
                return phrase
    return base


def _longer(base: str, own: list[str], used: set[str], reach: int = 3) -> str | None:
    """A longer phrase of the frame's passages that holds ``base``: at each place it is read, the words after
    it out to the first content word (at most ``reach`` words: "cannon fodder for Valdoria") and the words
    before it back to one ("little more than cannon fodder"), each neither starting nor ending with a stop
    word, not in ``used`` and verbatim in the passage (nothing but spaces between its words). The commonest
    of them over the frame's passages, the first read on a tie; None when there is none."""
    pattern = phrase_pattern(base)
    found: Counter[str] = Counter()
    for text in own:
        for m in pattern.finditer(text):
            before = _words(text[max(0, m.start() - 120):m.start()])
            after = _words(text[m.end():m.end() + 120])
            tails = [after[:k] for k in range(1, min(reach, len(after)) + 1)]
            heads = [before[len(before) - k:] for k in range(1, min(reach, len(before)) + 1)]
            for side in ([[base, *t] for t in tails], [[*h, base] for h in heads]):
                for longer in side:  # shortest first, out to the first content word
                    phrase = " ".join(longer)
                    if stop_word_fragment(phrase):
                        continue
                    if normalise(phrase) not in used and occurs(phrase, text):
                        found[phrase] += 1
                    break
    if not found:
        return None
    best = max(found.values())
    return next(p for p in found if found[p] == best)


_NEXT_NAME = re.compile(r"[ \t]+([A-Z][^\W_]*(?:-[^\W_]+)*)")
_PREVIOUS_NAME = re.compile(r"(?<![\w'’.-])([A-Z][^\W_]*(?:-[^\W_]+)*)[ \t]+$")
NAME_CUT_SHARE = 0.6  # a label ending in a capitalised word goes on to the next one when the passages mostly do


def _name_beside(phrase: str, own: list[str], limit: int, after: bool) -> tuple[str, int, int, str] | None:
    """In the first ``limit`` of the frame's passages that hold ``phrase``: the capitalised word that comes most
    often right after it (``after``) or right before it, how often, how many passages hold the phrase, and the
    phrase as first written; None when it is written with a lower-case word at that end (no name to finish),
    or no passage holds it with a capitalised word there (or the phrase has no word: a frame of passages made of
    marks alone, "* * *", labelled with the start of its best sentence)."""
    if not _words(phrase):
        return None
    pattern = phrase_pattern(phrase)
    seen, found, written = 0, Counter(), None
    for text in own:
        m = pattern.search(text)
        if m is None:
            continue
        seen += 1
        written = written or m.group()
        if not (m.group().split()[-1] if after else m.group())[:1].isupper():
            return None
        near = (_NEXT_NAME.match(text, m.end()) if after
                else _PREVIOUS_NAME.search(text, max(0, m.start() - 60), m.start()))
        if near:
            found[near.group(1)] += 1
        if seen >= limit:
            break
    if not seen or not found:
        return None
    word, n = found.most_common(1)[0]
    return word, n, seen, written


def _whole_name(phrase: str, own: list[str], used: set[str], limit: int = 20, longest: int = 2) -> str:
    """``phrase`` with a name it cuts short made whole: when it ends in a capitalised word that, in most of
    the frame's passages holding it (``NAME_CUT_SHARE`` of the first ``limit``), is followed by another
    capitalised word, that word joins it ("blood offering to President" -> "... President Vell"), up to
    ``longest`` words, never into a label another frame shows."""
    for _ in range(longest):
        beside = _name_beside(phrase, own, limit, after=True)
        if beside is None:
            return phrase  # the phrase ends in a lower-case word, or no name follows it
        word, n, seen, _ = beside
        longer = f"{phrase} {word}"
        if n < NAME_CUT_SHARE * seen or normalise(longer) in used or _is_stop(word.lower()):
            return phrase
        phrase = longer
    return phrase


# Words before a name that are not part of it: a title, an office or a party ("Rep. Jim Jordan", "Attorney
# General Eric Holder", "Democrat Jon Ossoff" read as well without it: a frame about a person is named by the
# person).
NAME_TITLES = frozenset("""
president vice rep sen senator gov governor chancellor chairman chairwoman chair secretary minister premier
king queen prince princess pope judge justice gen general adm col lt sgt capt maj cmdr mr mrs ms dr sir lord
lady dame leader speaker ambassador director commissioner mayor rev prof sheikh ayatollah agent officer
sheriff detective candidate nominee democrat republican congressman congresswoman councilman councilwoman
spokesman spokeswoman correspondent anchor host editor founder ceo coach
""".split())


def _name_start(phrase: str, own: list[str], used: set[str], limit: int = 20, longest: int = 2) -> str:
    """``phrase`` with a name it cuts at its start made whole: when it starts with a capitalised word that, in
    most of the frame's passages holding it (``NAME_CUT_SHARE`` of the first ``limit``), follows the same
    capitalised word, that word joins it ("Clippers owner" -> "Angeles Clippers owner" -> "Los Angeles
    Clippers owner"), up to ``longest`` words. Only when the phrase starts with a lone capitalised word
    ("Manafort resigns"), with a word the lexicon knows ("Air Act", "House chiefs") or after "New" ("York City
    prosecutors"): a phrase that starts with two or more capitalised words it does not know is a whole name
    already ("Eric Holder", not "General Eric Holder"). Never a title, an office or a party (``NAME_TITLES``),
    a word in capitals that the lexicon knows ("JUST WATCHED", page furniture), a verb ("Eliminates", a
    headline's capitals) or a stop word but "New", and never into a label another frame shows."""
    cut = None
    for _ in range(longest):
        beside = _name_beside(phrase, own, limit, after=False)
        if beside is None:
            return phrase  # the phrase starts with a lower-case word, or no name comes before it
        word, n, seen, written = beside
        low = word.lower()
        if cut is None:  # does the phrase as first chosen start inside a name?
            words = written.split()
            capitals = next((i for i, w in enumerate(words) if not w[:1].isupper()), len(words))
            cut = capitals == 1 or bool(getAllLemmas(words[0].lower())) or low == "new"
        furniture = word.isupper() and len(word) >= 4 and bool(getAllLemmas(low))
        if (not cut or n < NAME_CUT_SHARE * seen or low in NAME_TITLES or furniture or clause_word(low)
                or (_is_stop(low) and low != "new") or normalise(f"{word} {phrase}") in used):
            return phrase
        phrase = f"{word} {phrase}"
    return phrase


def _fallback(own: list[str]) -> str:
    """The start of the frame's best sentence, cut at a word, about a headline's length."""
    text = sentence_around(own[0], 0) if own and own[0] else ""
    if len(text) <= FALLBACK_CHARS:
        return text
    return text[:FALLBACK_CHARS].rsplit(" ", 1)[0]


# -- the check ----------------------------------------------------------------------------------------------


def label_quality(labels: Mapping[int, str], passages_by_frame: Mapping[int, Sequence[str]],
                  background: Sequence[str] = (), exemplars: Mapping[int, str] | None = None) -> dict:
    """How good a set of frame labels is.

    ``labels`` maps frame id to label, ``passages_by_frame`` frame id to the texts of its passages, and
    ``background`` holds the passages in no frame; ``exemplars``, when given, maps frame id to the text of the
    passage shown as the frame's most representative. Returns:

    * ``frames``: labels checked;
    * ``verbatim``: share of labels that occur verbatim (words contiguous, any case) in a passage of their frame;
    * ``duplicates``: frames whose label (normalised, in any inflection) another frame also has;
      ``duplicate_labels`` those labels;
    * ``stop_word``: share of labels that start or end with a stop word or are made of stop words only;
    * ``mean_words``: mean number of words per label;
    * ``distinctiveness``: mean, over labels that occur anywhere, of the share of the passages holding the label
      that are in its frame;
    * ``clause_end``: share of labels whose last word the lexicon knows only as a verb or an adverb
      (``clause_word``: "Kestrians arrive", "men met twice"), half a clause rather than a name;
    * ``clause_start``: share of labels that start as the tail of a clause (``clause_tail``: a word only ever
      an adverb, alone or before a word that cannot be an adjective: "instead of military", "actually taking
      place");
    * ``coverage``: mean, over frames with passages, of the share of the frame's passages that hold its label
      (a label read in a detail that one passage in ten repeats scores low, the frame's own phrase high);
    * ``in_exemplar`` (with ``exemplars``): share of the frames with an exemplar whose label occurs in it, so
      that the label and the passage shown under it as the most representative tell one story;
    * ``failing``: frame ids whose label is not verbatim, is shared or is a stop-word fragment.

    ``duplicates``, ``distinctiveness``, ``coverage`` and ``in_exemplar`` find a label in either number of its
    nouns ("human wave" in "human waves": ``lemma_phrase``), as the labels are chosen; ``verbatim`` finds it as
    written."""
    ids = list(labels)
    norm = {f: normalise(labels[f]) for f in ids}
    lemma = {f: lemma_phrase(labels[f]) for f in ids}
    counts = Counter(n for n in lemma.values() if n)
    dup_ids = [f for f in ids if counts[lemma[f]] > 1]
    stop = {f for f in ids if stop_word_fragment(labels[f])}
    verbatim = {f for f in ids if norm[f] and any(occurs(labels[f], t) for t in passages_by_frame.get(f, ()))}
    inside, total = _occurrences(norm, passages_by_frame, background)
    shares = [inside[f] / total[f] for f in ids if total[f]]
    covered = [inside[f] / len(passages_by_frame[f]) for f in ids if passages_by_frame.get(f)]
    n = len(ids) or 1
    shown = [f for f in ids if exemplars and exemplars.get(f)]
    extra = {"in_exemplar": sum(1 for f in shown if occurs_inflected(labels[f], exemplars[f])) / len(shown)
             if shown else 0.0} \
        if exemplars is not None else {}
    return {
        "frames": len(ids),
        "verbatim": len(verbatim) / n,
        "duplicates": len(dup_ids),
        "duplicate_labels": sorted({norm[f] for f in dup_ids}),
        "stop_word": len(stop) / n,
        "mean_words": float(np.mean([len(_words(labels[f])) for f in ids])) if ids else 0.0,
        "distinctiveness": float(np.mean(shares)) if shares else 0.0,
        "coverage": float(np.mean(covered)) if covered else 0.0,
        "clause_end": sum(1 for f in ids if _words(labels[f]) and clause_word(_words(labels[f])[-1])) / n,
        "clause_start": sum(1 for f in ids if clause_tail(_words(labels[f]))) / n,
        **extra,
        "failing": sorted(f for f in ids if f not in verbatim or f in stop or counts[lemma[f]] > 1),
    }


def _occurrences(norm: Mapping[int, str], passages_by_frame: Mapping[int, Sequence[str]],
                 background: Sequence[str]) -> tuple[Counter, Counter]:
    """Per frame: passages of its own that hold its label (in any inflection), and passages anywhere that do.
    Labels are looked up by their first word, so each passage is read once."""
    wanted: dict[tuple[str, ...], list[int]] = {}
    for f, n in norm.items():
        if n:
            wanted.setdefault(tuple(lemma_phrase(n).split()), []).append(f)
    starts: dict[str, list[tuple[str, ...]]] = {}
    for words in wanted:
        starts.setdefault(words[0], []).append(words)
    inside, total = Counter(), Counter()
    sources = chain(((f, t) for f, texts in passages_by_frame.items() for t in texts), ((None, t) for t in background))
    for frame, text in sources:
        found = set()
        tokens = _lemma_tokens(text)
        for i, tok in enumerate(tokens):
            for words in starts.get(tok, ()):
                if tuple(tokens[i:i + len(words)]) == words:
                    found.add(words)
        for words in found:
            for f in wanted[words]:
                total[f] += 1
                if f == frame:
                    inside[f] += 1
    return inside, total


def _lemma_tokens(text: str) -> list[str | None]:
    """The text's words as ``lemma_phrase`` writes them, None for a mark that breaks a phrase."""
    out = []
    for token in _TOKEN.findall(text):
        w = _word(token)
        out.append(w if w is None or _is_stop(w) or w.isdigit() else lemma_word(w))
    return out


def label_support(label: str, texts: Iterable[str]) -> int:
    """How many of ``texts`` hold ``label`` in some inflection (``occurs_inflected``, as labels are chosen).
    A text is read word by word only when its lower case holds the start of every word of the label (a
    word's inflections share their first letter, and longer words their first three: "tooth"/"teeth",
    "knife"/"knives"), so a frame of tens of thousands of passages is counted in a fraction of a second."""
    words = lemma_phrase(label).split()
    if not words:
        return 0
    starts = {w[:1] if len(w) <= 5 else w[:3] for w in words}
    held = 0
    for text in texts:
        low = text.lower()
        if all(x in low for x in starts) and occurs_inflected(label, text):
            held += 1
    return held


def _count(value) -> int | None:
    return None if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)) else int(value)


def weak_label(held, passages: int, core_held=None) -> bool:
    """Whether a label names a detail of its frame rather than its wording: fewer than ``WEAK_SHARE`` of the
    frame's passages hold it, nor the words it shares with a seeded frame's name or a user's rename
    (``core_held``: a label made longer to tell it from that name, "cannon fodder in Valdoria" beside
    "cannon fodder")."""
    held, core_held = _count(held), _count(core_held)
    if held is None or not passages:
        return False
    return held / passages < WEAK_SHARE and (core_held is None or core_held / passages < WEAK_SHARE)


def support_line(held, passages: int, core: str | None = None, core_held=None) -> str:
    """The label's support in plain words: how many of the frame's passages hold it (and, for a label made
    longer to tell it from another frame's name, how many hold those shared words), and, for a weak label
    (``weak_label``), what that means for reading it. Empty for a frame without a count (a seeded frame)."""
    held, core_held = _count(held), _count(core_held)
    if held is None or not passages:
        return ""
    text = f"Label found in {held:,} of the frame's {passages:,} passages ({held / passages:.0%})"
    if isinstance(core, str) and core and core_held is not None:
        text += (f"; “{core}”, the words it shares with another frame's name, in {core_held:,} "
                 f"({core_held / passages:.0%})")
    if weak_label(held, passages, core_held):
        return (text + ": its passages share no phrase widely, so the frame is a topic more than a wording, "
                "and its label names one detail of it. Read its passages before quoting the label.")
    return text + "."


def occurs_inflected(phrase: str, text: str) -> bool:
    """Whether ``phrase`` occurs in ``text`` in some inflection ("human wave" in "in human waves"): its
    ``lemma_phrase`` among the text's words, contiguous, nothing but space between them."""
    words = lemma_phrase(phrase).split()
    if not words:
        return False
    tokens = _lemma_tokens(text)
    return any(tokens[i:i + len(words)] == words for i in range(len(tokens) - len(words) + 1))
