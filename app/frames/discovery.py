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

from dataclasses import dataclass

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
             times: np.ndarray | None = None, fragment_days: float | None = None) -> Discovery:
    """Frames over passage rows (given in publication order).

    ``template`` marks rows that are templates (``app.frames.templates``): they are left out of the
    clustering and of every frame. Clusters whose centres nearly coincide (``merge_threshold``, complete
    link) and clusters that are fragments of one framing (``fragment_threshold``, see ``fragments``) are
    merged. ``anchor`` (each row's ``anchoring``), ``typical`` (the median anchoring) and ``mean`` (the
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
              "merged": int(len(keep) - n_groups), "frames": int(ok.sum())}
    return Discovery(row_labels[to_row], row_scores[to_row], centres, rows, (in_boiler | is_template)[to_row],
                     counts)
