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

_URL = re.compile(r"https?://[^\s<>\"')\]]+", re.I)
_CUES = (
    r"according to(?: the)? {o}",
    r"(?:as )?(?:first )?(?:reported|published|revealed) (?:first )?by(?: the)? {o}",
    r"citing(?: the)? {o}",
    r"(?:the )?{o} (?:first )?(?:reported|revealed)",
    r"(?:told|in an interview with)(?: the)? {o}",
)


class Attributions:
    """One regular expression for every attribution cue and every known outlet name."""

    def __init__(self, outlets: list[str]):
        names = sorted({o for o in outlets if o and o.strip()}, key=len, reverse=True)
        self.by_lower = {re.sub(r"\s+", " ", n.lower()): n for n in names}
        alternation = names_pattern(names) or r"(?!x)x"  # no outlet: a pattern that never matches
        cues = [r"\b" + c.replace(" ", r"\s+").format(o=f"(?P<o{i}>{alternation})") + r"\b"
                for i, c in enumerate(_CUES)]
        self.pattern = re.compile("|".join(cues), re.IGNORECASE)

    def find(self, text: str) -> list[tuple[str, str]]:
        """(outlet name, matched words) for every attribution in ``text``, in order.

        The long pattern (every outlet name in every cue) runs only on windows around the cue words,
        so a long article without any is scanned once by a short pattern."""
        text = text or ""
        found: dict[int, tuple[str, str]] = {}
        for t in _TRIGGER.finditer(text):
            lo = max(0, t.start() - _BEFORE)
            for m in self.pattern.finditer(text, lo, min(len(text), t.end() + _AFTER)):
                said = next(v for k, v in m.groupdict().items() if v)
                found.setdefault(m.start(), (self.by_lower[re.sub(r"\s+", " ", said.lower())], m.group(0)))
        return [found[k] for k in sorted(found)]


# Every cue holds one of these words; windows around them hold every match (outlet names are shorter
# than the window on either side).
_TRIGGER = re.compile(r"according|reported|published|revealed|citing|told|interview", re.IGNORECASE)
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
            for url in _URL.findall(arts.at[r, "text"] or ""):
                try:
                    target = url_index.get(canonical_url(url.rstrip(".,;")))
                except ValueError:
                    continue
                if earlier(target):
                    edge = (target, "link", 1.0, url)
                    break
        if edge is None:
            if article not in credited:
                credited[article] = attributions.find(arts.at[r, "text"])
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
                edge = (pass_article[k], "similar passage", float(sims[i, j]), passages["passage_id"].iloc[k])
        if edge is not None:
            edges.append({"from_article": edge[0], "to_article": article, "kind": edge[1],
                          "score": edge[2], "evidence": edge[3], "from_outlet": outlet_of[edge[0]],
                          "to_outlet": outlet, "lag_hours": (when[article] - when[edge[0]]).total_seconds() / 3600})
    return pd.DataFrame(edges, columns=["from_article", "to_article", "kind", "score", "evidence", "from_outlet",
                                        "to_outlet", "lag_hours"])
