"""Threshold clustering on cosine similarity (DP-means style).

One pass in publication order opens a cluster for every passage that is not
within ``threshold`` of an existing centre; then a few rounds of recomputing
centres and reassigning. Passages below the threshold of every centre stay
unassigned: no passage is forced into a frame. Cost is O(passages x clusters),
not quadratic in passages, and the number of clusters is capped.

``discover`` turns clusters into frames: each distinct text is clustered once
(copies do not weigh in), a frame must be told by several articles from
several outlets, clusters whose passages are unrelated to the articles they sit
in (publisher boilerplate, picture credits, bylines, stock phrases) are set
aside, and clusters whose centres nearly coincide are merged.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Callable, Collection

import numpy as np

# A cluster "takes hold" when this share of its texts has appeared (``took_hold``).
START_SHARE = 0.1

# Rows taken per block (here and in the leader pass): bounds the similarity matrices held at once
# (BLOCK x centres, BLOCK x BLOCK floats) while keeping each matrix product large.
BLOCK = 4096


@dataclass
class Clustering:
    labels: np.ndarray  # cluster index per row, -1 when unassigned
    scores: np.ndarray  # cosine similarity to the assigned centre (0 when unassigned)
    centroids: np.ndarray  # unit rows, one per cluster index

    @property
    def n_clusters(self) -> int:
        return len(self.centroids)


def _length(x: np.ndarray, rows: np.ndarray | None) -> int:
    return len(x) if rows is None else len(rows)


def _block(x: np.ndarray, rows: np.ndarray | None, start: int, stop: int) -> np.ndarray:
    """Rows ``start:stop`` of ``x``, or of ``x[rows]`` when ``rows`` is given (gathered for this block only:
    the rows taken are not copied all at once)."""
    return x[start:stop] if rows is None else x[rows[start:stop]]


def nearest(x: np.ndarray, centroids: np.ndarray, rows: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Index of and cosine to the nearest centre of each row of ``x`` (of ``x[rows]`` when ``rows`` is given);
    -1 and -inf when there is none."""
    best = np.full(_length(x, rows), -1, dtype=np.int64)
    score = np.full(_length(x, rows), -np.inf, dtype=np.float32)
    if len(centroids) == 0:
        return best, score
    for start in range(0, len(best), BLOCK):
        sims = _block(x, rows, start, start + BLOCK) @ centroids.T
        best[start : start + BLOCK] = sims.argmax(axis=1)
        score[start : start + BLOCK] = sims.max(axis=1)
    return best, score


def _leader_pass(x: np.ndarray, threshold: float, max_clusters: int, rows: np.ndarray | None = None) -> np.ndarray:
    """Open a centre for each row far from every existing one, in row order.

    Rows are taken in blocks: one matrix product settles every row close to an
    existing centre; the remaining candidates of the block are compared with
    each other once, and a candidate opens a centre unless an earlier candidate
    of the same block that opened one already covers it. The Python loop runs
    over candidates only, with a vector operation each.
    """
    dim = x.shape[1]
    cap = min(max_clusters, _length(x, rows))
    centres = np.zeros((cap, dim), dtype=np.float32)
    k = 0
    for start in range(0, _length(x, rows), BLOCK):
        if k >= cap:
            break
        batch = _block(x, rows, start, start + BLOCK)
        if k:
            near = np.zeros(len(batch), dtype=bool)
            for c0 in range(0, k, BLOCK):
                near |= (batch @ centres[c0 : min(k, c0 + BLOCK)].T).max(axis=1) >= threshold
            cand = batch[~near]
        else:
            cand = batch
        if len(cand) == 0:
            continue
        within = (cand @ cand.T) >= threshold
        covered = np.zeros(len(cand), dtype=bool)
        for i in range(len(cand)):
            if covered[i]:
                continue
            centres[k] = cand[i]
            k += 1
            if k >= cap:
                break
            covered |= within[i]
    return centres[:k]


def threshold_clustering(
    x: np.ndarray, threshold: float, iterations: int = 3, max_clusters: int = 5000, min_size: int = 2,
    rows: np.ndarray | None = None,
) -> Clustering:
    """Clusters of the rows of ``x``, or of ``x[rows]`` when ``rows`` is given (read a block at a time, never
    copied whole: the caller's matrix is the only one held)."""
    x = np.ascontiguousarray(x, dtype=np.float32)
    if _length(x, rows) == 0:
        return Clustering(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32), np.zeros((0, x.shape[1] if x.ndim == 2 else 0), np.float32))
    centres = _leader_pass(x, threshold, max_clusters, rows)
    labels = np.full(_length(x, rows), -1, dtype=np.int64)
    score = np.zeros(_length(x, rows), dtype=np.float32)
    for _ in range(max(1, iterations)):
        best, s = nearest(x, centres, rows)
        labels = np.where(s >= threshold, best, -1)
        sizes = np.bincount(labels[labels >= 0], minlength=len(centres))
        keep = np.flatnonzero(sizes >= min_size)
        if len(keep) == 0:
            labels[:] = -1
            centres = centres[:0]
            break
        # Recompute centres as the mean of their members.
        remap = np.full(len(centres), -1, dtype=np.int64)
        remap[keep] = np.arange(len(keep))
        labels = np.where(labels >= 0, remap[np.maximum(labels, 0)], -1)
        new = _sum_rows(x, labels, len(keep), rows)
        norms = np.linalg.norm(new, axis=1, keepdims=True)
        centres = new / np.where(norms == 0, 1, norms)
    best, s = nearest(x, centres, rows)
    labels = np.where(s >= threshold, best, -1)
    score = np.where(labels >= 0, s, 0).astype(np.float32)
    return Clustering(labels, score, centres)


def _sum_rows(x: np.ndarray, labels: np.ndarray, n: int, rows: np.ndarray | None = None) -> np.ndarray:
    """Per label 0..n-1, the sum of the rows of ``x`` (of ``x[rows]``) with that label (rows labelled -1 left
    out), added in row order as one ``np.add.at`` would, a block at a time (the members of every label at once
    would be a copy of most of ``x``)."""
    out = np.zeros((n, x.shape[1]), dtype=np.float32)
    for start in range(0, len(labels), BLOCK * 4):
        lab = labels[start : start + BLOCK * 4]
        on = lab >= 0
        np.add.at(out, lab[on], _block(x, rows, start, start + BLOCK * 4)[on])
    return out


def anchoring(vectors: np.ndarray, article_ids: np.ndarray) -> np.ndarray:
    """Cosine of each passage to the mean of the other passages of its article (NaN when it is alone).

    A story's passages sit close to the rest of their article; "Sign up for our
    newsletter" or "AP contributed to this report" sit close to nothing in it."""
    _, inverse = np.unique(np.asarray(article_ids), return_inverse=True)
    sums = np.zeros((inverse.max() + 1 if len(inverse) else 0, vectors.shape[1]), dtype=np.float32)
    np.add.at(sums, inverse, vectors)
    alone = np.bincount(inverse)[inverse] < 2
    out = np.empty(len(vectors), dtype=np.float32)
    for start in range(0, len(vectors), BLOCK * 4):
        sl = slice(start, start + BLOCK * 4)
        rest = sums[inverse[sl]] - vectors[sl]
        norm = np.linalg.norm(rest, axis=1)
        out[sl] = (rest * vectors[sl]).sum(axis=1) / np.maximum(norm, 1e-9)
    out[alone] = np.nan
    return out


def typical_anchoring(anchor: np.ndarray) -> float:
    """The median anchoring of the passages that have one (0 when none has)."""
    return float(np.nanmedian(anchor)) if (~np.isnan(anchor)).any() else 0.0


@dataclass
class Discovery:
    labels: np.ndarray  # frame index per passage row, -1 when none
    scores: np.ndarray  # cosine to the frame's centre per passage row (0 when none)
    centroids: np.ndarray  # unit rows, one per frame index
    rows: np.ndarray  # the first passage row of each distinct text, in order of first appearance
    set_aside: np.ndarray  # per passage row: a template, or in a cluster set aside as boilerplate
    counts: dict  # clusters found, set aside (too narrow, boilerplate) and merged
    # Per frame index merged from pieces that repeat the same supporting sentences: the keys
    # (``sentence_keys``) of the sentences that linked them, which do not name the frame (``without_sentences``).
    linking: dict = field(default_factory=dict)


def _merge(centroids: np.ndarray, threshold: float, method: str = "complete") -> np.ndarray:
    """Group index per centroid: agglomeration stopped at ``threshold`` cosine.

    ``complete``: every two centres in a group are at least that similar (single link would chain distinct
    frames into topics). ``average``: the mean cosine between the members of two groups is at least that
    similar. Compares all pairs of centres: fine for the tens of thousands of frames ``max_clusters``
    allows, and independent of the number of passages."""
    if threshold >= 1 or len(centroids) < 2:
        return np.arange(len(centroids), dtype=np.int64)
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import pdist

    distances = np.clip(pdist(centroids.astype(np.float64), "cosine"), 0, 2)
    groups = fcluster(linkage(distances, method), 1 - threshold, "distance")
    _, group = np.unique(groups, return_inverse=True)
    return group.astype(np.int64)


def centred(centroids: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """Unit rows of ``centroids`` less the corpus' mean passage: what sets each apart from the rest of the
    coverage. In a corpus about one story every passage shares the story's direction, which makes every
    two raw centres look alike; without it, cosines measure the difference in what they say."""
    out = np.asarray(centroids, dtype=np.float32) - np.asarray(mean, dtype=np.float32)
    return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)


def fragments(centroids: np.ndarray, mean: np.ndarray, threshold: float, starts: np.ndarray | None = None,
              days: float | None = None) -> np.ndarray:
    """Group index per cluster: clusters that are fragments of one framing (the same claim told with another
    lead; a headline and the paragraphs it sums up), by complete-link agglomeration of their centres
    *centred* on the corpus' mean passage (``centred``), stopped at ``threshold``: every two clusters of a
    group are at least that alike in what sets them apart from the rest of the coverage. Complete link, not
    average or single: on AllSides North Korea, average link grew one frame to half of the articles.

    With ``starts`` (when each cluster took hold, as datetime64) and ``days``, two clusters that took hold
    more than ``days`` apart never merge: the wordings of one framing start together, while a later coinage
    in the same vein ("rocket man" six weeks after "fire and fury") is a framing of its own.
    ``threshold >= 1`` merges nothing."""
    if threshold >= 1 or len(centroids) < 2:
        return np.arange(len(centroids), dtype=np.int64)
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import pdist

    distances = np.clip(pdist(centred(centroids, mean).astype(np.float64), "cosine"), 0, 2)
    if starts is not None and days is not None:
        t = (np.asarray(starts).astype("datetime64[s]").astype(np.int64) / 86400.0)[:, None]
        apart = pdist(t, "cityblock") > days
        distances = np.where(apart, 2.0, distances)
    groups = fcluster(linkage(distances, "complete"), 1 - threshold, "distance")
    _, group = np.unique(groups, return_inverse=True)
    return group.astype(np.int64)


# Shared sentences (``shared_sentences``): a sentence is counted when it has this many words or more, and only
# when at most ``GENERIC_GROUPS`` groups hold it (one repeated across many frames is the story's stock line).
SENTENCE_MIN_WORDS = 6
GENERIC_GROUPS = 3
# Texts per call to the caller's ``sentence_keys`` (bounds the texts held at once).
SENTENCE_CHUNK = 20_000
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"'\u201d\u2019)\]]*\s+")
_NON_WORD = re.compile(r"\W+")


def _sentence_key(piece: str) -> int | None:
    words = _NON_WORD.sub(" ", piece.lower()).split()
    if len(words) < SENTENCE_MIN_WORDS:
        return None
    digest = hashlib.blake2b(" ".join(words).encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "little", signed=True)


def sentence_keys(text: str) -> np.ndarray:
    """Keys (64-bit) of the sentences of ``text`` of ``SENTENCE_MIN_WORDS`` words or more, case and punctuation
    ignored. The split is a plain rule (a full stop, question or exclamation mark and a space): it is only used
    to find the same sentence in two texts, which splits the same way in both, not to read what a sentence says."""
    keys = {k for k in map(_sentence_key, _SENTENCE_END.split(text)) if k is not None}
    return np.fromiter(keys, dtype=np.int64, count=len(keys))


def without_sentences(text: str, keys: Collection[int]) -> str:
    """``text`` with the sentences whose ``sentence_keys`` key is in ``keys`` taken out, each replaced by a line
    break (so no phrase runs across the gap); the other sentences as written."""
    if not keys:
        return text
    pieces = _SENTENCE_END.split(text)
    if not any(_sentence_key(piece) in keys for piece in pieces):
        return text
    out, at = [], 0
    for m in list(_SENTENCE_END.finditer(text)) + [None]:
        end = m.start() if m is not None else len(text)
        piece = text[at:end]
        out.append("\n" if _sentence_key(piece) in keys else text[at:m.end() if m is not None else len(text)])
        if m is not None:
            at = m.end()
    return "".join(out)


def shared_sentences(text_group: np.ndarray, keys_of: Callable[[np.ndarray], list[np.ndarray]],
                     min_share: float, min_sentences: int, starts: np.ndarray | None = None,
                     days: float | None = None, links: dict | None = None) -> np.ndarray:
    """Group index per group of ``text_group`` (the group of each distinct text, -1 for none): groups that tell
    one framing with the same supporting sentences merge.

    Outlets that retell a framing in other words often keep its details word for word (the wire's sentences
    after a reworded lead): two groups are *linked* when they share at least ``min_sentences`` sentences
    (``sentence_keys``; a sentence held by more than ``GENERIC_GROUPS`` groups does not count) and at least
    ``min_share`` of each group's texts hold one of them. Linked groups merge by complete link: every two
    groups of a merged set are linked (no chain of links joins two framings). With ``starts`` and ``days``, two
    groups that took hold more than ``days`` apart are never linked. ``keys_of(text_indices)`` gives the
    sentence keys of those texts (the caller reads their text). ``links``, when given, is filled with each
    merged group's index (in the output) -> the keys of the sentences that linked its parts."""
    n = int(text_group.max()) + 1 if len(text_group) else 0
    out = np.arange(n, dtype=np.int64)
    if n < 2 or min_share > 1:
        return out
    on = np.flatnonzero(text_group >= 0)
    g_parts, t_parts, k_parts = [], [], []
    for start in range(0, len(on), SENTENCE_CHUNK):
        idx = on[start : start + SENTENCE_CHUNK]
        keys = keys_of(idx)
        sizes = np.fromiter((len(k) for k in keys), dtype=np.int64, count=len(keys))
        k_parts.append(np.concatenate(keys) if len(keys) else np.zeros(0, np.int64))
        t_parts.append(np.repeat(idx, sizes))
        g_parts.append(np.repeat(text_group[idx], sizes))
    groups, texts, keys = (np.concatenate(p) if p else np.zeros(0, np.int64) for p in (g_parts, t_parts, k_parts))
    if len(keys) == 0:
        return out
    # A sentence counts for a pair of groups when it is in both and in no more than GENERIC_GROUPS groups.
    pairs_gk = np.unique(np.c_[keys, groups], axis=0)
    key_of, first, held_by = np.unique(pairs_gk[:, 0], return_index=True, return_counts=True)
    shared = defaultdict(set)  # (group, group) -> sentence keys
    for i in np.flatnonzero((held_by >= 2) & (held_by <= GENERIC_GROUPS)):
        members = pairs_gk[first[i] : first[i] + held_by[i], 1]
        for a in range(len(members)):
            for b in range(a + 1, len(members)):
                shared[(int(members[a]), int(members[b]))].add(int(key_of[i]))
    candidates = {pair: ks for pair, ks in shared.items() if len(ks) >= min_sentences}
    if not candidates:
        return out
    if starts is not None and days is not None:
        t = np.asarray(starts).astype("datetime64[s]").astype(np.int64) / 86400.0
        candidates = {(a, b): ks for (a, b), ks in candidates.items() if abs(t[a] - t[b]) <= days}
    texts_per_group = np.bincount(text_group[on], minlength=n)
    involved = {g for pair in candidates for g in pair}
    mine = np.isin(groups, list(involved))
    by_group_key = defaultdict(set)  # (group, sentence key) -> texts
    for g, t, k in zip(groups[mine].tolist(), texts[mine].tolist(), keys[mine].tolist()):
        by_group_key[(g, k)].add(t)

    def share(g: int, ks: set) -> float:
        holding = set().union(*(by_group_key.get((g, k), set()) for k in ks))
        return len(holding) / max(int(texts_per_group[g]), 1)

    linked = [(a, b) for (a, b), ks in candidates.items() if min(share(a, ks), share(b, ks)) >= min_share]
    if not linked:
        return out
    # Complete link within each set of groups that links connect.
    parent = list(range(n))

    def root(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in linked:
        parent[root(a)] = root(b)
    components = defaultdict(list)
    for g in sorted({g for pair in linked for g in pair}):
        components[root(g)].append(g)
    link = set(linked)
    from scipy.cluster.hierarchy import fcluster, linkage

    for members in components.values():
        if len(members) == 2:
            out[members[1]] = out[members[0]]
            continue
        condensed = np.array([0.0 if (a, b) in link or (b, a) in link else 1.0
                              for i, a in enumerate(members) for b in members[i + 1:]])
        sets = fcluster(linkage(condensed, "complete"), 0.5, "distance")
        for label in np.unique(sets):
            chosen = [m for m, s in zip(members, sets) if s == label]
            out[chosen] = out[chosen[0]]
    _, group = np.unique(out, return_inverse=True)
    if links is not None:
        for a, b in linked:
            if group[a] == group[b]:
                links.setdefault(int(group[a]), set()).update(candidates[(a, b)])
    return group.astype(np.int64)


def headlines_with_leads(vectors: np.ndarray, rows: np.ndarray, to_row: np.ndarray, text_group: np.ndarray,
                         centres: np.ndarray, title_leads: np.ndarray, bound: float,
                         movable: np.ndarray) -> tuple[np.ndarray, int]:
    """``text_group`` (group per distinct text) with each headline placed in the group its articles' lead
    paragraphs tell, when its cosine to that group's centre is at least ``bound``; returns it and how many
    headlines moved.

    A headline is a few words that sum up the paragraph under it, and its vector sits far from the longer
    passages that tell the same framing: on its own it gathers with whatever other short text it resembles (the
    sample's "Foreign ministry calls reports of Kestrian troops a provocation" with a video's captions) or
    with nothing. A headline text shared by several articles (copies, a wire's title) goes where most of their
    leads are; a lead in no group, or a headline that reads too far from its lead's group, leaves it where
    the nearest centre put it. ``title_leads`` is per passage row; ``movable`` per distinct text."""
    out = text_group.copy()
    title_rows = np.flatnonzero(title_leads >= 0)
    if len(title_rows) == 0:
        return out, 0
    title_text = to_row[title_rows]
    lead_group = text_group[to_row[title_leads[title_rows]]]
    on = lead_group >= 0
    if not on.any():
        return out, 0
    # The commonest lead group per headline text (ties: the lower group index).
    pairs, votes = np.unique(np.c_[title_text[on], lead_group[on]], axis=0, return_counts=True)
    order = np.lexsort((pairs[:, 1], -votes, pairs[:, 0]))
    pairs = pairs[order]
    first = np.r_[True, pairs[1:, 0] != pairs[:-1, 0]]
    texts, groups = pairs[first, 0], pairs[first, 1]
    keep = movable[texts] & (out[texts] != groups)
    texts, groups = texts[keep], groups[keep]
    if len(texts) == 0:
        return out, 0
    score = (vectors[rows[texts]] * centres[groups]).sum(axis=1)
    close = score >= bound
    out[texts[close]] = groups[close]
    return out, int(close.sum())


def took_hold(times: np.ndarray, labels: np.ndarray, n: int, share: float = START_SHARE) -> np.ndarray:
    """Per cluster index: the date by which ``share`` of its texts had appeared (robust to a few early,
    loosely similar passages, unlike the first date)."""
    out = np.full(n, np.datetime64("NaT"), dtype="datetime64[s]")
    t = np.asarray(times).astype("datetime64[s]")
    on = labels >= 0
    order = np.lexsort((t[on], labels[on]))
    lab, tt = labels[on][order], t[on][order]
    starts = np.flatnonzero(np.r_[True, lab[1:] != lab[:-1]]) if len(lab) else np.zeros(0, np.int64)
    ends = np.r_[starts[1:], len(lab)]
    for a, b in zip(starts, ends):
        out[lab[a]] = tt[a + int(share * (b - a - 1))]
    return out


def _spread_ok(labels: np.ndarray, article_ids: np.ndarray, outlet_ids: np.ndarray, n: int,
               min_articles: int, min_outlets: int) -> np.ndarray:
    """Per cluster index: told by at least ``min_articles`` articles from ``min_outlets`` outlets."""
    on = labels >= 0
    if not on.any():
        return np.zeros(n, dtype=bool)
    _, art = np.unique(article_ids[on], return_inverse=True)
    _, out = np.unique(outlet_ids[on], return_inverse=True)
    lab = labels[on]
    articles = np.bincount(np.unique(np.c_[lab, art], axis=0)[:, 0], minlength=n)
    outlets = np.bincount(np.unique(np.c_[lab, out], axis=0)[:, 0], minlength=n)
    return (articles >= min_articles) & (outlets >= min_outlets)


def discover(vectors: np.ndarray, text_keys: np.ndarray, article_ids: np.ndarray, outlet_ids: np.ndarray, *,
             threshold: float, iterations: int = 3, max_clusters: int = 5000, min_articles: int = 3,
             min_outlets: int = 2, min_anchoring: float = 0.6, merge_threshold: float = 1.0,
             fragment_threshold: float = 1.0, anchor: np.ndarray | None = None, typical: float | None = None,
             template: np.ndarray | None = None, mean: np.ndarray | None = None,
             times: np.ndarray | None = None, fragment_days: float | None = None,
             sentences_of: Callable[[np.ndarray], list[np.ndarray]] | None = None, shared_share: float = 2.0,
             shared_min: int = 2, title_leads: np.ndarray | None = None,
             title_threshold: float | None = None) -> Discovery:
    """Frames over passage rows (given in publication order).

    ``template`` marks rows that are templates (``app.frames.templates``): they are left out of the
    clustering and of every frame. Clusters whose centres nearly coincide (``merge_threshold``, complete
    link) and clusters that are fragments of one framing (``fragment_threshold``, see ``fragments``) are
    merged, and so are groups that share supporting sentences (``shared_sentences``, when ``sentences_of`` is
    given: the sentence keys of given passage rows, see ``sentence_keys``; ``shared_share`` above 1 turns it
    off). ``title_leads`` (per row: for a headline, the row of its article's lead paragraph, else -1) places
    headlines with their articles (``headlines_with_leads``) at ``title_threshold`` (default ``threshold``).
    ``anchor`` (each row's ``anchoring``), ``typical`` (the median anchoring) and ``mean`` (the
    mean passage vector) can be given when the rows are part of a larger corpus, e.g. the passages left
    over by an incremental update."""
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    text_keys, article_ids, outlet_ids = (np.asarray(a) for a in (text_keys, article_ids, outlet_ids))
    _, first, inverse = np.unique(text_keys, return_index=True, return_inverse=True)
    order = np.argsort(first, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    rows = first[order]
    to_row = rank[inverse]  # passage row -> distinct text index
    is_template = np.zeros(len(rows), dtype=bool) if template is None else np.asarray(template, bool)[rows]
    # Templates are set aside before clustering: they neither open nor join a cluster. The distinct texts are
    # read through their rows in ``vectors`` a block at a time, here and below: a matrix of them would be a
    # second copy of nearly every vector beside the caller's.
    clustering = threshold_clustering(vectors, threshold, iterations, max_clusters, rows=rows[~is_template])
    text_labels = np.full(len(rows), -1, dtype=np.int64)
    text_labels[~is_template] = clustering.labels
    n = clustering.n_clusters
    labels = text_labels[to_row]
    spread = _spread_ok(labels, article_ids, outlet_ids, n, min_articles, min_outlets)

    # Boilerplate: clusters whose passages are, on average, far less related to their own articles than a
    # typical passage is to its article (relative to the median, so the rule holds for any model's scale).
    if anchor is None:
        anchor = anchoring(vectors, article_ids)
    if typical is None:
        typical = typical_anchoring(anchor)
    floor = min_anchoring * typical if typical > 0 and min_anchoring > 0 else -np.inf  # 0 turns the rule off
    on = (labels >= 0) & ~np.isnan(anchor)
    total = np.bincount(labels[on], weights=anchor[on], minlength=n)
    seen = np.bincount(labels[on], minlength=n)
    mean_anchor = np.where(seen > 0, total / np.maximum(seen, 1), np.inf)
    boiler = spread & (mean_anchor < floor)
    keep = np.flatnonzero(spread & ~boiler)

    # Merge clusters whose centres nearly coincide, then the fragments of one framing.
    kept_centres = clustering.centroids[keep]
    group = _merge(kept_centres, merge_threshold) if len(keep) else np.zeros(0, np.int64)
    if len(keep) and fragment_threshold < 1:
        n_near = int(group.max()) + 1
        near_centres = np.zeros((n_near, vectors.shape[1]), dtype=np.float32)
        np.add.at(near_centres, group, kept_centres)
        near_centres /= np.maximum(np.linalg.norm(near_centres, axis=1, keepdims=True), 1e-9)
        starts = None
        if times is not None and fragment_days is not None:
            cluster_near = np.full(n, -1, dtype=np.int64)
            cluster_near[keep] = group
            text_near = np.r_[cluster_near, -1][text_labels]
            starts = took_hold(np.asarray(times)[rows], text_near, n_near)
        group = fragments(near_centres, vectors.mean(axis=0) if mean is None else mean, fragment_threshold,
                          starts, fragment_days)[group]
    shared_merged = 0
    linked_by: dict[int, set] = {}  # merged group -> the keys of the sentences that linked its parts
    if len(keep) > 1 and sentences_of is not None and shared_share <= 1:
        cluster_group = np.full(n, -1, dtype=np.int64)
        cluster_group[keep] = group
        text_group = np.r_[cluster_group, -1][text_labels]
        starts = None
        if times is not None and fragment_days is not None:
            starts = took_hold(np.asarray(times)[rows], text_group, int(group.max()) + 1)
        joined = shared_sentences(text_group, lambda idx: sentences_of(rows[idx]), shared_share, shared_min,
                                  starts, fragment_days, links=linked_by)
        shared_merged = int(group.max()) + 1 - (int(joined.max()) + 1)
        group = joined[group]
    n_groups = int(group.max()) + 1 if len(group) else 0
    # A merged frame's centre is the mean of the texts of its clusters; then every text joins the frame whose
    # centre is nearest when close enough (texts of clusters too narrow to be frames may join here, and a
    # text at the edge of one cluster may move to the frame it is closer to); boilerplate and templates
    # stay out.
    in_boiler = np.r_[boiler, False][text_labels]  # index -1 reads the appended False
    cluster_group = np.full(n, -1, dtype=np.int64)
    cluster_group[keep] = group
    member_group = np.r_[cluster_group, -1][text_labels]
    centres = _sum_rows(vectors, member_group, n_groups, rows)
    centres /= np.maximum(np.linalg.norm(centres, axis=1, keepdims=True), 1e-9)
    best, near_score = nearest(vectors, centres, rows)
    row_group = np.where((near_score >= threshold) & ~in_boiler & ~is_template, best, -1)
    titles_moved = 0
    if title_leads is not None and n_groups:
        row_group, titles_moved = headlines_with_leads(
            vectors, rows, to_row, row_group, centres, np.asarray(title_leads),
            threshold if title_threshold is None else title_threshold, ~in_boiler & ~is_template)
    # A frame must still be told widely after merging.
    ok = _spread_ok(row_group[to_row], article_ids, outlet_ids, n_groups, min_articles, min_outlets)
    remap = np.full(n_groups, -1, dtype=np.int64)
    remap[ok] = np.arange(int(ok.sum()))
    row_labels = np.r_[remap, -1][row_group]
    centres = centres[ok]
    row_scores = np.zeros(len(rows), dtype=np.float32)
    if len(centres):
        # Block by block: the whole product would hold two more matrices the size of the texts' vectors.
        for start in range(0, len(rows), BLOCK):
            sl = slice(start, start + BLOCK)
            score = (_block(vectors, rows, start, start + BLOCK) * centres[np.maximum(row_labels[sl], 0)]).sum(axis=1)
            row_scores[sl] = np.where(row_labels[sl] >= 0, score, 0)
    counts = {"anchoring_floor": round(float(floor), 4) if np.isfinite(floor) else None, "clusters": n,
              "narrow": int((~spread).sum()), "boilerplate": int(boiler.sum()),
              "boilerplate_passages": int(in_boiler[to_row].sum()),
              "template_passages": int(is_template[to_row].sum()),
              "merged": int(len(keep) - n_groups), "merged_by_sentences": shared_merged,
              "headlines_with_leads": titles_moved, "frames": int(ok.sum())}
    linking = {int(remap[g]): frozenset(keys) for g, keys in linked_by.items() if remap[g] >= 0}
    return Discovery(row_labels[to_row], row_scores[to_row], centres, rows, (in_boiler | is_template)[to_row],
                     counts, linking)
