"""Lineage: for each outlet's first article in a frame, its most likely source.

Evidence, strongest first; the first that applies makes the edge:

1. ``copy``: the article is a syndicated copy (table ``copies``) of an earlier article in the frame;
2. ``link``: it links to an earlier article of the frame: a hyperlink in its raw HTML (when the
   HTML was ingested), else a URL in its text, that canonicalises to a stored article;
3. ``attribution``: it credits another outlet by name ("according to X", "as first reported by X",
   "X reported", "citing X", "first published by X") that carried the frame earlier; the source is
   that outlet's latest earlier article in the frame;
4. ``similar passage``: otherwise, the earlier article of another outlet whose frame passage is most
   similar to one of this article's frame passages (cosine of their vectors).

The first article of a frame has no source. Every edge keeps the kind of evidence, a score (1 for
copy, link and attribution; the cosine for similarity) and the text that supports it.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from app.ingest.normalize import canonical_url
from app.outlets import names_pattern
from app.textcase import search_lower
from app.widgets import blank_widgets

_URL = re.compile(r"https?://[^\s<>\"')\]]+", re.I)
_CUES = (
    r"according to(?: the)? {o}",
    r"(?:as )?(?:first )?(?:reported|published|revealed) (?:first )?by(?: the)? {o}",
    r"citing(?: the)? {o}",
    r"(?:the )?{o} (?:first )?(?:reported|revealed)",
    r"(?:told|in an interview with)(?: the)? {o}",
)


class Attributions:
    """Every attribution cue with every known outlet name, matched by one regular expression per set of names
    that a window of text can hold."""

    def __init__(self, outlets: list[str]):
        names = sorted({o for o in outlets if o and o.strip()}, key=len, reverse=True)
        self.names = names
        self.by_lower = {_fold(n): n for n in names}
        # A name can only match where its words are, in any case and spacing: a window is first searched for
        # the names it holds, and the cues are matched with those names only. A name that cannot match never
        # changes a regular expression's matches, so this finds what the one expression of every name finds.
        # Every cue puts a space or a word boundary before the name, so a name that starts with a word is
        # looked up by that word among the window's words (in lower case), then found as plain text in it; a
        # name with a letter other than ASCII, or that starts with no word, is always tried.
        self._by_first: dict[str, list[tuple[str, str]]] = {}
        self._always: list[str] = []
        for n in names:
            low = re.sub(r"\s+", " ", n.strip().lower())
            first = _WORD.match(low)
            if low.isascii() and first:
                self._by_first.setdefault(first.group(), []).append((n, low))
            else:
                self._always.append(n)
        self._patterns: dict[tuple[str, ...], re.Pattern] = {}

    def _pattern(self, names: tuple[str, ...]) -> re.Pattern:
        pattern = self._patterns.get(names)
        if pattern is None:
            alternation = names_pattern(names)
            cues = [r"\b" + c.replace(" ", r"\s+").format(o=f"(?P<o{i}>{alternation})") + r"\b"
                    for i, c in enumerate(_CUES)]
            if len(self._patterns) > 4096:
                self._patterns.clear()
            pattern = self._patterns[names] = re.compile("|".join(cues), re.IGNORECASE)
        return pattern

    def _name_of(self, said: str) -> str:
        """The outlet name that the words ``said`` matched (in any case and spacing)."""
        name = self.by_lower.get(_fold(said))
        if name is None:  # a letter that case folding and the expression treat differently
            name = next(n for n in self.names if re.fullmatch(names_pattern([n]), said, re.IGNORECASE))
        return name

    def find(self, text: str) -> list[tuple[str, str]]:
        """(outlet name, matched words) for every attribution in ``text``, in order.

        Only windows around the cue words are read (a long article without any is read once, for those
        words), and in each only the outlet names that its run of overlapping windows holds are tried."""
        text = blank_widgets(text or "")  # another story's headline in a page widget credits nobody (app.widgets)
        low = search_lower(text)  # as long as ``text``: a place in one is the same place in the other
        starts = sorted((i, i + len(w)) for w in _TRIGGER_WORDS for i in _places(low, w))
        windows = [(max(0, a - _BEFORE), min(len(text), b + _AFTER)) for a, b in starts]
        found: dict[int, tuple[str, str]] = {}
        i = 0
        while i < len(windows):
            # A run of overlapping windows (in the order of their cue words) shares one set of names.
            j, hi = i + 1, windows[i][1]
            while j < len(windows) and windows[j][0] < hi:
                hi = max(hi, windows[j][1])
                j += 1
            lo = windows[i][0]
            span = _SPACES.sub(" ", low[lo:hi])
            names = [n for w in set(_WORD.findall(span)) for n, name in self._by_first.get(w, ()) if name in span]
            names += self._always
            if names:
                pattern = self._pattern(tuple(sorted(names)))
                for lo_w, hi_w in windows[i:j]:
                    for m in pattern.finditer(text, lo_w, hi_w):
                        said = next(v for k, v in m.groupdict().items() if v)
                        found.setdefault(m.start(), (self._name_of(said), m.group(0)))
            i = j
        return [found[k] for k in sorted(found)]


def _fold(name: str) -> str:
    return re.sub(r"\s+", " ", search_lower(name).casefold().strip())


def _places(text: str, word: str) -> list[int]:
    out, i = [], text.find(word)
    while i >= 0:
        out.append(i)
        i = text.find(word, i + 1)
    return out


_SPACES = re.compile(r"\s+")
_WORD = re.compile(r"\w+")


# Every cue holds one of these words; windows around them hold every match (outlet names are shorter
# than the window on either side).
# No cue word overlaps another or itself (none ends with the start of one), so their places in the text in
# lower case are the places where a case-insensitive expression of them finds them.
_TRIGGER_WORDS = ("according", "reported", "published", "revealed", "citing", "told", "interview")
_BEFORE, _AFTER = 160, 200


def frame_lineage(articles: pd.DataFrame, passages: pd.DataFrame, vectors: np.ndarray, copies: dict[str, str],
                  url_index: dict[str, str], attributions: Attributions,
                  links: dict[str, list[tuple[str, str]]] | None = None,
                  credited: dict[str, list[tuple[str, str]]] | None = None,
                  outlets: set[str] | None = None) -> pd.DataFrame:
    """Edges for one frame.

    ``articles``: article_id, outlet, published_at, text (the frame's articles);
    ``passages``: article_id, passage_id (the frame's passages), aligned with ``vectors`` (unit rows);
    ``copies``: copy article_id -> original article_id; ``url_index``: canonical URL -> article_id;
    ``links``: article_id -> [(canonical URL, URL)] of the hyperlinks in its HTML; ``credited``: a cache of
    ``attributions.find`` by article, shared across frames (an article is in many frames); ``outlets``: trace
    only these outlets' first articles (an outlet's edge depends on earlier articles alone, so a frame that
    only gained later articles needs only the edges of the outlets new to it); None: every outlet.
    """
    arts = articles.sort_values(["published_at", "article_id"]).reset_index(drop=True)
    ids = arts["article_id"].tolist()
    # Plain Python strings: reading one value of an Arrow-backed column at a time costs a pyarrow call each.
    texts = arts["text"].to_numpy(dtype=object, na_value=None)
    passage_ids = passages["passage_id"].to_numpy(dtype=object)
    rank = {a: i for i, a in enumerate(ids)}  # publication order, ties by id
    when = dict(zip(ids, arts["published_at"]))
    outlet_of = dict(zip(ids, arts["outlet"]))
    by_outlet: dict[str, list[int]] = {}
    for i, o in enumerate(arts["outlet"]):
        by_outlet.setdefault(o, []).append(i)
    credited = {} if credited is None else credited
    # The frame's passages in publication order of their articles: earlier passages form a prefix.
    pass_article = passages["article_id"].to_numpy()
    p_rank = np.fromiter((rank[a] for a in pass_article), dtype=np.int64, count=len(pass_article))
    order = np.argsort(p_rank, kind="stable")
    sorted_rank = p_rank[order]
    outlet_codes = {o: k for k, o in enumerate(by_outlet)}
    p_outlet = np.fromiter((outlet_codes[outlet_of[a]] for a in pass_article[order]), dtype=np.int64,
                           count=len(order))
    sorted_vectors = vectors[order] if len(order) else vectors
    edges = []
    for outlet, rows in by_outlet.items():
        if outlets is not None and outlet not in outlets:
            continue
        r = rows[0]  # the outlet's first article in the frame
        article = ids[r]

        def earlier(a: str | None) -> bool:
            return a is not None and a in rank and rank[a] < r and outlet_of[a] != outlet

        edge = None
        original = copies.get(article)
        if earlier(original):
            edge = (original, "copy", 1.0, "shares most of its paragraphs")
        if edge is None:
            for canon, url in (links or {}).get(article, []):
                target = url_index.get(canon)
                if earlier(target):
                    edge = (target, "link", 1.0, f"hyperlink {url}")
                    break
        if edge is None:
            for url in _URL.findall(texts[r] or ""):
                try:
                    target = url_index.get(canonical_url(url.rstrip(".,;")))
                except ValueError:
                    continue
                if earlier(target):
                    edge = (target, "link", 1.0, url)
                    break
        if edge is None:
            if article not in credited:
                credited[article] = attributions.find(texts[r])
            for name, words in credited[article]:
                before = [i for i in by_outlet.get(name, []) if i < r] if name != outlet else []
                if before:
                    edge = (ids[before[-1]], "attribution", 1.0, words)
                    break
        if edge is None and r > 0:
            mine = np.flatnonzero(pass_article == article)
            n_before = int(np.searchsorted(sorted_rank, r))
            theirs = np.flatnonzero(p_outlet[:n_before] != outlet_codes[outlet])
            if len(mine) and len(theirs):
                sims = vectors[mine] @ sorted_vectors[theirs].T
                # Among equally similar passages the earliest article wins (argmax takes the first).
                i, j = np.unravel_index(np.argmax(sims), sims.shape)
                k = order[theirs[j]]
                edge = (pass_article[k], "similar passage", float(sims[i, j]), passage_ids[k])
        if edge is not None:
            edges.append({"from_article": edge[0], "to_article": article, "kind": edge[1],
                          "score": edge[2], "evidence": edge[3], "from_outlet": outlet_of[edge[0]],
                          "to_outlet": outlet, "lag_hours": (when[article] - when[edge[0]]).total_seconds() / 3600})
    return pd.DataFrame(edges, columns=["from_article", "to_article", "kind", "score", "evidence", "from_outlet",
                                        "to_outlet", "lag_hours"])
