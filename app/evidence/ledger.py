"""The evidence ledger of a frame: which evidence was new when it appeared, and which was repeated.

An *evidence item* is what a passage in one of the frame's articles puts on the table:

* material it cites (``material:video``, ``material:satellite``, ...),
* an official person or body on the record (``named:<source>``: a ministry, an army, a spokesman, a
  minister; a named person without an office, such as an analyst, a retired general or a former
  official, gives a ``comment:<name>``, listed but not counted as evidence: :func:`on_record`),
* a confirmation or denial (``confirms:<source>``, ``denies:<source>``; by a commentator it is a comment),
* or, weakest, a claim from unnamed sources (``anonymous``).

The ledger reads the frame's articles from its onset on (:mod:`app.frames.onsets`): an earlier similar
passage, from before the frame was told, is about something else, so its evidence is neither new evidence of
the frame nor what a later item repeats. Passages are read in publication order. A passage's item is a *repeat* when an
earlier item in the frame is the same text, comes from the article this one
copies (syndication), or shares a key with it (the same kind of material, the
same act by the same speaker: a word of the source's name in common; an unnamed
speaker's act and a named one's only within ``UNNAMED_DAYS`` of what the earlier
repeats) and says the same thing (cosine of the two
passages at least ``threshold``); the earlier item may itself be a repeat (a
mention is matched to the closest earlier mention, and repeats what that one
repeats). Otherwise it is *new*: a new-evidence event of
the frame. Anonymous claims are listed but never counted as new evidence.
"""

from __future__ import annotations

import re
from functools import lru_cache

import numpy as np
import pandas as pd

from app.evidence.cues import Cue

STRONG = ("material", "named", "confirms", "denies")
OFFICIAL = re.compile(
    r"\b(?:minist\w*|government|army|military|general|staff|forces|presiden\w*|premier|spokes\w+|state\s+media|"
    r"news\s+agency|agency|service|directorate|intelligence|embassy|police|navy|air\s+force|parliament|cabinet|"
    r"command\w*|authorities|regime|secretary|ambassador|envoy|governor|mayor|official|colonel|captain|major|"
    r"lieutenant|sergeant|admiral|marshal|department|pentagon|kremlin|white\s+house|foreign\s+office|court|"
    r"prosecutor\w*|council|nato|united\s+nations|u\.?n\.?|senator|senate|committee|lawmaker|congress\w*|"
    r"chancellor|king|leader|office|bureau|fbi|cia|nis|joint\s+chiefs|coast\s+guard|border\s+guard)\b|"
    r"\b(?:gen|lt|col|maj|sgt|capt|adm|cmdr|brig|sen|rep|gov|amb|pres)\.", re.I)
# Who speaks for no office, even with an office word nearby: "a retired general", "a former defence
# official", "an analyst at the Defence Institute", "a senior fellow at the Council on Foreign Relations".
COMMENTARY = re.compile(
    r"\b(?:retired|former|ex-|one-?time|erstwhile|analysts?|experts?|researchers?|scholars?|professors?|"
    r"academics?|commentators?|historians?|observers?|columnists?|pundits?|fellows?|think[- ]tanks?|"
    r"economists?|lecturers?|consultants?|veterans?)\b", re.I)
COLUMNS = ["frame_id", "passage_id", "article_id", "published_at", "keys", "strength", "description", "is_new",
           "repeat_of", "similarity", "how", "scope"]


def _norm(source: str | None) -> str:
    return " ".join((source or "").lower().replace("’", "'").removeprefix("the ").split())


def on_record(source: str, span: str) -> bool:
    """Whether a named source speaks for an office (a ministry, an army, a spokesman, a minister) rather
    than comments on the news (an analyst, a retired general, a former official): commentary is listed but
    is not evidence. The name itself decides first ("Defence Minister Karl Berg, a former general": an
    office; "retired general": commentary), then the rest of the attribution ("Anika Vos, a former defence
    official, said": commentary)."""
    rest = span.replace(source, " ", 1)
    for part in (source, rest):
        if COMMENTARY.search(part):
            return False
        if OFFICIAL.search(part):
            return True
    return False


def _roles(cues: list[Cue]) -> dict[str, bool]:
    """Each named source of a passage -> whether it speaks on the record (:func:`on_record`)."""
    roles: dict[str, bool] = {}
    for c in cues:
        if c.kind == "attribution" and c.subtype == "named" and c.source and c.source.lower() not in ("he", "she"):
            roles[c.source] = roles.get(c.source, False) or on_record(c.source, c.span)
    return roles


def item_keys(cues: list[Cue]) -> list[str]:
    """The keys of a passage's evidence item, strongest first. A confirmation or denial by a commentator
    (a named source not on the record) is commentary, not a confirmation or denial."""
    keys: list[str] = []
    roles = _roles(cues)
    for c in cues:
        if c.kind == "material":
            keys.append(f"material:{c.subtype}")
        elif c.kind == "stance" and c.subtype in ("confirms", "denies") and c.source and c.source != "anonymous":
            keys.append(f"{c.subtype if roles.get(c.source, True) else 'comment'}:{_norm(c.source)}")
        elif c.kind == "attribution" and c.source in roles:
            keys.append(f"{'named' if roles[c.source] else 'comment'}:{_norm(c.source)}")
    if not keys and any(c.kind == "attribution" and c.subtype == "anonymous" for c in cues):
        keys.append("anonymous")
    return list(dict.fromkeys(keys))


def describe(cues: list[Cue]) -> str:
    """A short reading of an item: material spans, then who said it and what they did; sources on the
    record apart from commentators."""
    parts = list(dict.fromkeys(c.span.strip().lower() for c in cues if c.kind == "material"))
    roles = _roles(cues)
    for c in cues:
        if c.kind == "stance" and c.subtype in ("confirms", "denies") and roles.get(c.source, True):
            who = c.source if c.source and c.source.lower() not in ("he", "she", "anonymous") else \
                ("unnamed sources" if c.source == "anonymous" else None)
            parts.append(f"{c.subtype} ({who})" if who else c.subtype)
    named = [source for source, official in roles.items() if official]
    if named:
        parts.append("on the record: " + ", ".join(named))
    comments = [source for source, official in roles.items() if not official]
    if comments:
        parts.append("comment: " + ", ".join(comments))
    outlets = list(dict.fromkeys(c.source for c in cues if c.kind == "attribution" and c.subtype == "outlet"))
    if outlets:
        parts.append("credited to: " + ", ".join(outlets))
    if not parts and any(c.kind == "attribution" and c.subtype == "anonymous" for c in cues):
        parts.append("unnamed sources")
    return "; ".join(parts)


_PRIORITY = ("material", "confirms", "denies", "named", "comment", "anonymous")
_ACTS = ("confirms", "denies", "named", "comment")
# Words of a source's name that do not tell one speaker from another: offices, ranks and bodies ("the defence
# ministry", "a spokesman", "Secretary of State"), and function words. What is left names the speaker ("Lessen"
# of "Lessen's army", "Tillerson" of "Secretary of State Rex Tillerson", "kremlin").
_GENERIC_SOURCE = frozenset("""
the a an of and for to in on at by its his her their our s
minister ministry ministers ministries spokesman spokeswoman spokesperson spokespeople official officials
department departments secretary secretaries president presidents vice prime general generals defence defense
foreign state states military army armed forces force government governments news agency agencies office
council committee senator senate representative rep sen gen col lt maj capt adm press national security adviser
advisor director chief leader leaders staff service services intelligence directorate embassy ambassador envoy
police navy air parliament cabinet command commander authorities authority regime governor mayor colonel captain
major lieutenant sergeant admiral marshal court prosecutor prosecutors public media statement spokesmen team
administration top senior deputy acting head interior affairs ministry's minister's country country's joint
central federal
""".split())
STEM = 5  # a speaker word is compared by its first letters: "Kestria" and "Kestrian", "Russia" and "Russian"
_SOURCE_WORD = re.compile(r"[^\W\d_]{3,}")


def source_words(source: str) -> set[str]:
    """The words of a source's (normalised) name that tell who speaks: three letters or more, not an office, a
    rank, a body or a function word, each cut to its first ``STEM`` letters ("foreign ministry spokesman hong
    lei" -> {"hong", "lei"}; "lessen's defence intelligence directorate" -> {"lesse"}; "kestrian central news"
    -> {"kestr"}; "the spokesman" -> none)."""
    words = set(_SOURCE_WORD.findall(source.replace("'s", " ").replace("’s", " "))) - _GENERIC_SOURCE
    return {w[:STEM] for w in words}


# A statement whose speaker is unnamed ("the ministry said") may be a named speaker's reported the same week;
# later it is not its repeat, nor the other way (one vague "the president said" would otherwise absorb every
# official's statement in a frame for years, or a ministry's statement of 2017 repeat Hong Lei's of 2012). Two
# unnamed speakers' statements that read alike repeat each other at any time.
UNNAMED_DAYS = 7.0


def _days(when) -> float:
    """A time as days since the epoch (NaN when unknown: then no window holds)."""
    if when is None:
        return float("nan")
    try:
        return pd.Timestamp(when).value / 86_400e9
    except (TypeError, ValueError):
        return float("nan")


def _named(gates: set[str]) -> bool:
    """Whether an item's gates name a speaker for each act they hold (no act of an unnamed speaker)."""
    return not any(g in _ACTS for g in gates)


def _blocks(gates: set[str]) -> set[str]:
    """The blocks an item with ``gates`` is kept in: a kind of material's, unnamed sources', or its act's, one
    block of every item of the act whoever speaks (the speakers are told apart when a search filters what it
    found: :meth:`LedgerState.match`)."""
    return {g.partition("@")[0] for g in gates}


def _speakers(gates: set[str]) -> list[str]:
    """An act's speaker gates ("named@hong")."""
    return [g for g in gates if "@" in g]


class _Grow:
    """A one-dimensional array appended one value at a time, doubling when full."""

    def __init__(self, dtype, values=None):
        values = np.zeros(0, dtype=dtype) if values is None else np.asarray(values, dtype=dtype)
        self.a = np.zeros(max(16, len(values) + len(values) // 8 + 16), dtype=dtype)
        self.a[:len(values)] = values
        self.n = len(values)

    def append(self, value) -> None:
        if self.n == len(self.a):
            self.a = np.concatenate([self.a, np.zeros_like(self.a)])
        self.a[self.n] = value
        self.n += 1

    def view(self) -> np.ndarray:
        return self.a[:self.n]


def compatible(a: set[str], b: set[str]) -> bool:
    """Whether items with gates ``a`` and ``b`` may repeat each other: a gate in common, or the same act where one
    of the two names no speaker ("confirms" and "confirms@kestr": "the defence ministry confirmed" may be
    Kestria's)."""
    if a & b:
        return True
    for kind in {g.partition("@")[0] for g in a} & {g.partition("@")[0] for g in b} & set(_ACTS):
        # The same act: compatible when one side names no speaker for it (a speaker on each side that share
        # no word are two speakers, even when one of them also had an unnamed body beside it).
        if not any(g.startswith(kind + "@") for g in a) or not any(g.startswith(kind + "@") for g in b):
            return True
    return False


def _gates(keys: list[str]) -> set[str]:
    """What two items must share before their wording is compared: the item's strongest part (the kinds
    of material it cites; else the act: confirms, denies, on the record, comment, unnamed). An act by a named
    source is gated by the words that name the speaker (``source_words``: "confirms@lessen"), so one official's
    statement is never the repeat of another's ("French president" after "President Trump"); the same body
    written many ways keeps its distinctive word ("Lessen's army", "Lessen's Defence Intelligence
    Directorate"). A source with no such word ("the ministry", "a spokesman") keeps the act alone, and is
    compared with that act by any speaker (:func:`compatible`)."""
    for kind in _PRIORITY:
        gates = set()
        for k in keys:
            head, _, source = k.partition(":")
            if head != kind:
                continue
            if kind == "material":
                gates.add(k)
            elif kind in _ACTS:
                words = source_words(source)
                gates |= {f"{kind}@{w}" for w in words} if words else {kind}
            else:
                gates.add(kind)
        if gates:
            return gates
    return set()


def _dots(matrix: np.ndarray, vector: np.ndarray) -> np.ndarray:
    """Each row's dot product with ``vector``, the same float32 value wherever the row sits in ``matrix``.
    A BLAS matrix-vector product sums a row in an order that depends on the matrix's size and the row's place
    (2-3 values a row, one unit of the last place apart), and a ledger's rows are not always in the same places
    from one run to the next, so the cosines it stored, and a tie or a threshold they meet, could differ
    between two builds of the same articles. NumPy's own loop (einsum) sums every row alike; it costs about
    1.6 times the BLAS product."""
    return np.einsum("ij,j->i", matrix, vector)


@lru_cache(maxsize=262_144)
def _gates_of_key(key: str) -> frozenset[str]:
    """:func:`_gates` of a :func:`gate_key` string, remembered (a frame of years holds tens of thousands of distinct
    keys, read by :func:`needed_items` and :meth:`LedgerState.from_items` each week)."""
    return frozenset(_gates(key.split(_SEP) if key else []))


@lru_cache(maxsize=65536)
def _gates_of(keys: tuple[str, ...]) -> frozenset[str]:
    """:func:`_gates` of a key list, remembered (an item's keys recur across its frame's passages and frames)."""
    return frozenset(_gates(list(keys)))


class _Rows:
    """Vectors appended one at a time into a matrix that doubles when full, with the item index of each row:
    a search is one matrix-vector product over a contiguous block, no copy of the rows it reads. An act's
    block also keeps the rows of each speaker gate ("named@hong") and of unnamed speakers' items: a named
    speaker's statement can only repeat those (:meth:`LedgerState._eligible`), so its search reads its
    speakers' and the unnamed rows, not every official's statement in a frame of years."""

    def __init__(self, dim: int):
        self.vectors = np.zeros((16, dim), dtype=np.float32)
        self.items = np.zeros(16, dtype=np.int64)
        self.n = 0
        self.speaker_rows: dict[str, _Grow] = {}
        self.bare_rows = _Grow(np.int64)

    def add_speakers(self, row: int, speakers: list[str], bare: bool) -> None:
        for g in speakers:
            self.speaker_rows.setdefault(g, _Grow(np.int64)).append(row)
        if bare:
            self.bare_rows.append(row)

    def add(self, item: int, vector: np.ndarray) -> None:
        if self.n == len(self.items):
            self.vectors = np.concatenate([self.vectors, np.zeros_like(self.vectors)])
            self.items = np.concatenate([self.items, np.zeros_like(self.items)])
        self.vectors[self.n] = vector
        self.items[self.n] = item
        self.n += 1

    def best(self, vector: np.ndarray) -> tuple[float, int]:
        """The highest cosine with ``vector`` and its item (the earliest item among equals)."""
        sims = _dots(self.vectors[:self.n], vector)
        k = int(sims.argmax())
        return float(sims[k]), int(self.items[k])


class LedgerState:
    """What the ledger of a frame knows after reading its items so far, in publication order: every item's
    root (the new item it repeats, or itself), its vector and its gates; the items by gate, by article and
    the first item of each text. Reading a frame's later passages continues from it
    (:func:`frame_ledger`'s ``state``), and :meth:`from_items` rebuilds it from the stored rows of a
    ledger, so a frame that only gained later articles is extended rather than read again from its start."""

    def __init__(self, dim: int):
        self.dim = dim
        self.roots: list[str] = []  # passage id of each root, in the order they appeared
        self.item_root: list[int] = []
        self.item_gates: list[set[str]] = []
        # Where each item's vector is kept: the block of its first gate (in sorted order) and its row there
        # (every item has a gate, and a vector is kept once per gate, not once more for the item).
        self.at_gate: list[str] = []
        self.at_row: list[int] = []
        self.by_gate: dict[str, _Rows] = {}
        # For the search's filter, as arrays: each item's root and whether its speaker is unnamed; each root's
        # day (``_days``), whether its speaker is unnamed and whether it names one; the code of each item's and
        # each root's gates (a frame holds few distinct gate sets: a search asks which of its candidates' sets
        # name one of its speakers once a set, not once an item).
        self._item_root = _Grow(np.int64)
        self._item_bare = _Grow(bool)
        self._root_day = _Grow(np.float64)
        self._root_bare = _Grow(bool)
        self._root_named = _Grow(bool)
        self._item_code = _Grow(np.int64)
        self._root_code = _Grow(np.int64)
        self._code_of: dict[frozenset, int] = {}
        self._code_speakers: list[frozenset] = []  # each code's speaker gates
        # The same as numbers: each speaker gate's, and a row per code of its speakers' (-1 pads the row), so a
        # search asks which candidates name one of its speakers with one array operation.
        self._speaker_id: dict[str, int] = {}
        self._code_matrix = np.full((16, 2), -1, dtype=np.int64)
        self.by_hash: dict[str, int] = {}
        self.by_article: dict[str, list[int]] = {}  # items added one by one, by article
        # Items rebuilt by :meth:`from_items`, by article: article -> (start, end) in ``_stored_order``.
        self._stored: dict[str, tuple[int, int]] = {}
        self._stored_order = np.zeros(0, dtype=np.int64)

    def _code(self, gates) -> int:
        key = frozenset(gates)
        code = self._code_of.get(key)
        if code is None:
            code = self._code_of[key] = len(self._code_speakers)
            speakers = frozenset(_speakers(key))
            self._code_speakers.append(speakers)
            ids = [self._speaker_id.setdefault(g, len(self._speaker_id)) for g in sorted(speakers)]
            rows, width = self._code_matrix.shape
            if code == rows or len(ids) > width:
                grown = np.full((rows * 2 if code == rows else rows, max(width, len(ids))), -1, dtype=np.int64)
                grown[:rows, :width] = self._code_matrix
                self._code_matrix = grown
            self._code_matrix[code, :len(ids)] = ids
        return code

    def add(self, vector: np.ndarray, root: int, gates: set[str], article: str, when=None) -> None:
        code = self._code(gates)
        if root == self._root_day.n:  # a new root
            self._root_day.append(_days(when))
            self._root_bare.append(not _named(gates))
            self._root_named.append(bool(self._code_speakers[code]))
            self._root_code.append(code)
        j = len(self.item_root)
        self.item_root.append(root)
        self.item_gates.append(gates)
        self._item_root.append(root)
        self._item_bare.append(not _named(gates))
        self._item_code.append(code)
        first = True
        for gate in sorted(_blocks(gates)):
            if gate not in self.by_gate:
                self.by_gate[gate] = _Rows(self.dim)
            rows = self.by_gate[gate]
            if first:
                self.at_gate.append(gate)
                self.at_row.append(rows.n)
                first = False
            if gate in _ACTS:
                rows.add_speakers(rows.n, [g for g in self._code_speakers[code] if g.startswith(gate + "@")],
                                  gate in gates)
            rows.add(j, vector)
        self.by_article.setdefault(article, []).append(j)

    def vector(self, item: int) -> np.ndarray:
        return self.by_gate[self.at_gate[item]].vectors[self.at_row[item]]

    def items_of(self, article: str) -> list[int]:
        """The items of ``article``, in item order."""
        stored = self._stored.get(article)
        earlier = self._stored_order[stored[0]:stored[1]].tolist() if stored else []
        return earlier + self.by_article.get(article, [])

    def new_root(self, passage_id: str, text_hash: str) -> int:
        self.roots.append(passage_id)
        root = len(self.roots) - 1
        self.by_hash.setdefault(text_hash, root)
        return root

    def _eligible(self, items: np.ndarray, gates: set[str], day: float) -> np.ndarray:
        """Which of ``items`` (of one act's block) an item with ``gates`` may repeat. The same speaker (a speaker
        gate in common) at any time. Otherwise, where one of the two names no speaker for the act (the item
        itself, or the earlier one), what the earlier one repeats must be compatible (:func:`compatible`: it
        shares a speaker gate, or one of the two names nobody) and, when one of the two is an unnamed speaker's
        and the other a named one's, within ``UNNAMED_DAYS`` of it: otherwise every official's statement would
        chain to the first one. Two named speakers that share no word never repeat each other."""
        speakers = frozenset(_speakers(gates))
        bare = not _named(gates)
        roots = self._item_root.view()[items]
        ids = [self._speaker_id[g] for g in speakers if g in self._speaker_id]
        if ids:
            # whether the candidates' and their roots' gate sets name one of this item's speakers
            same = np.isin(self._code_matrix[self._item_code.view()[items]], ids).any(axis=1)
            share_root = np.isin(self._code_matrix[self._root_code.view()[roots]], ids).any(axis=1)
        else:
            same = share_root = np.zeros(len(items), dtype=bool)
        unsure = np.ones(len(items), dtype=bool) if bare else self._item_bare.view()[items]
        root_bare = self._root_bare.view()[roots]
        compat = share_root | (root_bare & bare) | ~self._root_named.view()[roots] | (not speakers)
        timing = ((not bare) == ~root_bare) | (np.abs(day - self._root_day.view()[roots]) <= UNNAMED_DAYS)
        return same | (unsure & compat & timing)

    def match(self, vector: np.ndarray, gates: set[str], text_hash: str, original: str | None,
              threshold: float, when=None) -> tuple[int | None, float, str]:
        """The root an item repeats (None: it is new), the cosine to the item it was matched with, and how.
        ``when``: the item's publication time (a named speaker's statement and an unnamed one's repeat each
        other only within ``UNNAMED_DAYS`` of what the earlier one repeats)."""
        if text_hash in self.by_hash:
            return self.by_hash[text_hash], 1.0, "same text"
        candidates = [j for j in self.items_of(original) if compatible(self.item_gates[j], gates)] if original else []
        if candidates:
            sims = _dots(np.stack([self.vector(j) for j in candidates]), vector)
            return self.item_root[candidates[int(sims.argmax())]], float(sims.max()), "copy"
        best, item = -np.inf, -1
        day = _days(when)
        named, speakers = _named(gates), _speakers(gates)
        for gate in sorted(_blocks(gates)):
            rows = self.by_gate.get(gate)
            if rows is None or not rows.n:
                continue
            if gate not in _ACTS:  # a kind of material, unnamed sources: the block is the gate
                sim, j = rows.best(vector)
            else:  # an act: the items this item may repeat
                for sim, j in self._act_search(rows, vector, gates, named, speakers, max(threshold, best), day):
                    if sim > best or (sim == best and j < item):
                        best, item = sim, j
                continue
            if sim > best or (sim == best and j < item):
                best, item = sim, j
        if item >= 0 and best >= threshold:
            return self.item_root[item], best, "paraphrase"
        return None, 1.0, ""

    def _act_search(self, rows: _Rows, vector: np.ndarray, gates: set[str], named: bool, speakers: list[str],
                    floor: float, day: float):
        """The best item (cosine, item) of an act's block this item may repeat, at least ``floor``, of each part
        searched: a named speaker's statement searches its speakers' rows (its own statements: all of them may
        be repeated) and the unnamed speakers' rows (filtered by :meth:`_eligible`), not the block's other
        speakers; an unnamed speaker's searches the whole block, filtered. Of equal cosines, the earliest item."""
        if named:
            own = [rows.speaker_rows[g].view() for g in speakers if g in rows.speaker_rows]
            parts = ([(np.concatenate(own) if len(own) > 1 else own[0], False)] if own else []) + (
                [(rows.bare_rows.view(), True)] if rows.bare_rows.n else [])
        else:
            parts = [(None, True)]
        for at, check in parts:
            sims = _dots(rows.vectors[:rows.n] if at is None else rows.vectors[at], vector)
            found = np.flatnonzero(sims >= floor)
            if not len(found):
                continue
            where = found if at is None else at[found]
            if check:
                keep = self._eligible(rows.items[where], gates, day)
                found, where = found[keep], where[keep]
                if not len(found):
                    continue
            top = sims[found].max()
            yield float(top), int(rows.items[where[sims[found] == top]].min())

    @classmethod
    def from_items(cls, items: pd.DataFrame, vectors: np.ndarray, rows: np.ndarray | None = None,
                   ordered: bool = False) -> "LedgerState":
        """The state after the stored items of one frame (passage_id, article_id, text_hash, published_at, keys,
        is_new, repeat_of; ``gate_key`` may stand for ``keys``: :func:`gate_key`): what reading them one by
        one leaves, built in bulk (each gate's block of vectors in one copy). ``vectors``: the items' vectors,
        rows aligned with ``items``, or, with ``rows`` (each item's row in it), a matrix the items share (a
        text's vector once, however many items it has). ``ordered``: the items are already in reading order
        (published_at, article_id, passage_id)."""
        state = cls(vectors.shape[1] if vectors.ndim == 2 else 0)
        if items.empty:
            return state
        rows = np.arange(len(items)) if rows is None else np.asarray(rows, dtype=np.int64)
        if not ordered:
            order = np.lexsort((items["passage_id"].to_numpy(), items["article_id"].to_numpy(),
                                items["published_at"].to_numpy()))
            items = items.iloc[order].reset_index(drop=True)
            rows = rows[order]
        is_new = items["is_new"].to_numpy(dtype=bool)
        new = items[is_new]
        state.roots = new["passage_id"].tolist()
        root_of = pd.Series(np.arange(len(new)), index=new["passage_id"].to_numpy())
        roots = np.where(is_new, np.cumsum(is_new) - 1,
                         root_of.reindex(items["repeat_of"].to_numpy()).fillna(-1).to_numpy()).astype(np.int64)
        first = new.drop_duplicates("text_hash")
        state.by_hash = dict(zip(first["text_hash"], root_of.loc[first["passage_id"]].astype(int)))
        state.item_root = roots.tolist()
        # Gates through the few distinct gate keys, not item by item.
        keys = items["gate_key"] if "gate_key" in items else items["keys"].map(lambda k: gate_key(list(k)))
        codes, uniques = pd.factorize(keys.to_numpy(dtype=object))
        sets = [_gates_of_key(k) for k in uniques]
        table = np.empty(len(sets), dtype=object)
        table[:] = sets
        state.item_gates = table[codes].tolist()
        new_items = np.flatnonzero(is_new)
        # The search filter's arrays (see ``__init__``), through the distinct gate keys.
        code_bare = np.array([not _named(g) for g in sets], dtype=bool)
        code_named = np.array([bool(_speakers(g)) for g in sets], dtype=bool)
        state._item_root = _Grow(np.int64, roots)
        state._item_bare = _Grow(bool, code_bare[codes])
        state._root_bare = _Grow(bool, code_bare[codes[new_items]])
        state._root_named = _Grow(bool, code_named[codes[new_items]])
        # The state's gate-set codes: the distinct gate keys' (two keys may give one set: the first code kept).
        local = np.array([state._code(g) for g in sets], dtype=np.int64)
        state._item_code = _Grow(np.int64, local[codes])
        state._root_code = _Grow(np.int64, local[codes[new_items]])
        state._root_day = _Grow(np.float64, pd.to_datetime(new["published_at"]).to_numpy("datetime64[ns]")
                                .astype(np.int64) / 86_400e9)
        stored_in = [sorted(_blocks(g)) for g in sets]
        firsts = np.array([b[0] if b else "" for b in stored_in], dtype=object)
        at_gate = firsts[codes]
        at_row = np.zeros(len(items), dtype=np.int64)
        # Each block's items from the items of each distinct gate key (one pass over the items, not one per
        # block).
        by_code = np.argsort(codes, kind="stable")
        bounds = np.r_[0, np.cumsum(np.bincount(codes, minlength=len(sets)))]
        parts: dict[str, list[np.ndarray]] = {}
        for c, names in enumerate(stored_in):
            for gate in names:
                parts.setdefault(gate, []).append(by_code[bounds[c]:bounds[c + 1]])
        # The items whose vector each block keeps for them (its first), found once, not by a scan per block.
        at_codes, at_names = pd.factorize(at_gate)
        at_order = np.argsort(at_codes, kind="stable")
        at_bounds = np.r_[0, np.cumsum(np.bincount(at_codes, minlength=len(at_names)))]
        kept_at = {name: at_order[at_bounds[i]:at_bounds[i + 1]] for i, name in enumerate(at_names)}
        for gate in sorted(parts):
            block_items = np.sort(np.concatenate(parts[gate]))
            block = _Rows(state.dim)
            n = len(block_items)
            # Room for the items a week adds, so the first of them does not copy the block to double it.
            block.vectors = np.empty((n + n // 8 + 16, state.dim), dtype=np.float32)
            block.vectors[:n] = vectors[rows[block_items]]
            block.items = np.zeros(len(block.vectors), dtype=np.int64)
            block.items[:n] = block_items
            block.n = n
            if gate in _ACTS:  # each speaker's rows, and unnamed speakers' rows, through the distinct gate sets
                block_codes = codes[block_items]
                order = np.argsort(block_codes, kind="stable")
                found, starts = np.unique(block_codes[order], return_index=True)
                ends = np.r_[starts[1:], n]
                speaker_parts: dict[str, list[np.ndarray]] = {}
                bare_parts = []
                for c, a, b in zip(found.tolist(), starts.tolist(), ends.tolist()):
                    for g in _speakers(sets[c]):
                        if g.startswith(gate + "@"):
                            speaker_parts.setdefault(g, []).append(order[a:b])
                    if gate in sets[c]:
                        bare_parts.append(order[a:b])
                block.speaker_rows = {g: _Grow(np.int64, np.sort(np.concatenate(p))) for g, p in speaker_parts.items()}
                block.bare_rows = _Grow(np.int64, np.sort(np.concatenate(bare_parts)) if bare_parts else None)
            state.by_gate[gate] = block
            mine = kept_at.get(gate)
            if mine is not None:
                at_row[mine] = np.searchsorted(block_items, mine)
        state.at_gate = at_gate.tolist()
        state.at_row = at_row.tolist()
        codes, names = pd.factorize(items["article_id"].to_numpy(dtype=object))
        state._stored_order = np.argsort(codes, kind="stable")  # each article's items, in item order
        ends = np.cumsum(np.bincount(codes, minlength=len(names)))
        starts = ends - np.bincount(codes, minlength=len(names))
        state._stored = dict(zip(names.tolist(), zip(starts.tolist(), ends.tolist())))
        return state


def later_queries(passages: pd.DataFrame, keys_of, copies: dict[str, str]) -> tuple[set, set, list]:
    """What the later passages a stored ledger is continued with (passage_id, article_id, text_hash,
    published_at) will look up in it, for :func:`needed_items`: the texts of those with an item, the articles
    their articles copy, and each item's gates and day. ``keys_of``: text hash -> the item's keys."""
    hashes, originals, queries = set(), set(), []
    for article, text_hash, when in passages[["article_id", "text_hash", "published_at"]].itertuples(index=False):
        keys = keys_of(text_hash)
        if not keys:
            continue
        hashes.add(text_hash)
        if article in copies:
            originals.add(copies[article])
        queries.append((_gates_of(tuple(keys)), _days(when)))
    return hashes, originals, queries


def needed_items(items: pd.DataFrame, hashes: set[str], originals: set[str],
                 queries: list[tuple[frozenset[str], float]]) -> np.ndarray:
    """Which of a frame's stored items (rows of :meth:`LedgerState.from_items`'s ``items``) its ledger, continued
    with later items (:func:`later_queries`: their texts, the articles they copy, their gates and days), can
    read: a state rebuilt from these alone gives the later items the rows the whole state gives them, and a
    weekly update need not read the vectors of a large frame's every item.

    An item is needed when a later item may find it: the first new item of a later item's text; the items of
    an article a later item's article copies; every item of a block of material or unnamed sources a later
    item searches; in an act's block (on the record, confirms, denies, comment), the items of the later items'
    speakers, every item of an unnamed speaker (a named speaker's item may repeat one whose root is its own or
    names nobody), and, when a later item of that act names no speaker, every item whose root names none or
    lies within ``UNNAMED_DAYS`` of the earliest such later item (:meth:`LedgerState._eligible`). The roots of
    the needed items are needed too: a search's filter reads their day, speaker and kind. What the later items
    cannot find (another speaker's statements of years before) is left out."""
    n = len(items)
    if not n:
        return np.zeros(0, dtype=bool)
    keys = items["gate_key"] if "gate_key" in items else items["keys"].map(lambda k: gate_key(list(k)))
    codes, uniques = pd.factorize(keys.to_numpy(dtype=object))
    sets = [_gates_of_key(k) for k in uniques]
    searched, speakers, bare_from = set(), set(), {}
    for gates, day in queries:
        blocks = _blocks(gates)
        searched |= blocks
        speakers |= set(_speakers(gates))
        if not _named(gates):
            for b in blocks & set(_ACTS):
                bare_from[b] = min(bare_from.get(b, np.inf), day)
    whole = np.zeros(len(sets), dtype=bool)        # in a block searched whole
    in_act = np.zeros(len(sets), dtype=bool)       # in an act's block a later item searches
    same = np.zeros(len(sets), dtype=bool)         # by a later item's speaker
    bare = np.array([not _named(g) for g in sets], dtype=bool)
    window = np.full(len(sets), np.inf)            # the earliest later unnamed speaker's day in its act
    for c, gates in enumerate(sets):
        blocks = _blocks(gates) & searched
        whole[c] = bool(blocks - set(_ACTS))
        acts = blocks & set(_ACTS)
        in_act[c] = bool(acts)
        same[c] = bool(set(_speakers(gates)) & speakers)
        if acts:
            window[c] = min(bare_from.get(b, np.inf) for b in acts)
    is_new = items["is_new"].to_numpy(dtype=bool)
    pid = items["passage_id"].to_numpy(dtype=object)
    root_row = pd.Series(np.arange(n), index=pid).reindex(
        np.where(is_new, pid, items["repeat_of"].to_numpy(dtype=object))).fillna(-1).to_numpy().astype(np.int64)
    days = pd.to_datetime(items["published_at"]).to_numpy("datetime64[ns]").astype(np.int64) / 86_400e9
    has_root = root_row >= 0
    root_bare = np.where(has_root, bare[codes[np.maximum(root_row, 0)]], False)
    root_day = np.where(has_root, days[np.maximum(root_row, 0)], -np.inf)
    keep = whole[codes] | (in_act[codes] & (same[codes] | bare[codes]))
    unnamed_window = np.isfinite(window[codes])
    keep |= in_act[codes] & unnamed_window & (root_bare | (root_day >= window[codes] - UNNAMED_DAYS))
    if hashes:
        keep |= is_new & items["text_hash"].isin(hashes).to_numpy()
    if originals:
        keep |= items["article_id"].isin(originals).to_numpy()
    roots = root_row[keep & has_root]
    keep[roots] = True
    return keep


_SEP = "\x1f"


def gate_key(keys: list[str]) -> str:
    """What of an item's keys its gates depend on (:func:`_gates`), as one string: its keys, each once, sorted
    (an act's gates depend on its source's words; the store computes the same in SQL: ``GATE_KEY_SQL``)."""
    return _SEP.join(sorted(set(keys)))


# :func:`gate_key` in DuckDB, of the list column named by ``{keys}`` (``GATE_KEY_SQL.format(keys=...)``).
GATE_KEY_SQL = "array_to_string(list_sort(list_distinct({keys})), chr(31))"


def frame_ledger(frame_id: int, passages: pd.DataFrame, vectors: np.ndarray, cues: dict[str, list[Cue]],
                 copies: dict[str, str], threshold: float, memo: dict | None = None,
                 state: LedgerState | None = None) -> pd.DataFrame:
    """Items of one frame's passages, each marked new or repeated.

    ``passages``: the passages of the frame's articles (passage_id, article_id, text_hash, published_at, and
    ``scope``, why each counts for the frame: :mod:`app.evidence.scope`), rows aligned with ``vectors`` (unit
    length); ``cues``: cues by text hash; ``copies``: article -> original;
    ``memo``: keys and description by text hash, shared across frames (a passage is in many frames);
    ``state``: the ledger of the frame's earlier items (:class:`LedgerState`), when ``passages`` are only
    those published after them; it is updated in place.
    """
    memo = {} if memo is None else memo
    passage_ids = passages["passage_id"].tolist()
    article_ids = passages["article_id"].tolist()
    hashes = passages["text_hash"].tolist()
    published = passages["published_at"].tolist()
    scopes = passages["scope"].tolist() if "scope" in passages else [None] * len(passages)
    order = np.lexsort((passages["passage_id"].to_numpy(), passages["article_id"].to_numpy(),
                        passages["published_at"].to_numpy()))
    # Every item so far (new or repeat), so that a mention is matched to the closest earlier mention of the
    # same evidence, not only to its first report.
    if state is None:
        state = LedgerState(vectors.shape[1] if vectors.ndim == 2 else 0)
    out = []
    for i in order:
        text_hash, article = hashes[i], article_ids[i]
        if text_hash not in memo:
            found = cues.get(text_hash, [])
            memo[text_hash] = (item_keys(found), describe(found))
        keys, description = memo[text_hash]
        if not keys:
            continue
        kset = _gates_of(tuple(keys))
        root, sim, how = state.match(vectors[i], kset, text_hash, copies.get(article), threshold, published[i])
        kinds = {k.split(":", 1)[0] for k in keys}
        strength = "evidence" if kinds & set(STRONG) else "comment" if "comment" in kinds else "anonymous"
        if root is None:
            root = state.new_root(passage_ids[i], text_hash)
            out.append((frame_id, passage_ids[i], article, published[i], keys, strength, description, True, None,
                        None, "new", scopes[i]))
        else:
            out.append((frame_id, passage_ids[i], article, published[i], keys, strength, description, False,
                        state.roots[root], sim, how, scopes[i]))
        state.add(vectors[i], root, kset, article, published[i])
    return pd.DataFrame(out, columns=COLUMNS)
