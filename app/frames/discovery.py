"""Threshold clustering on cosine similarity (DP-means style).

One pass in publication order opens a cluster for every passage that is not
within ``threshold`` of an existing centre; then a few rounds of recomputing
centres and reassigning. Passages below the threshold of every centre stay
unassigned: no passage is forced into a frame. Cost is O(passages x clusters),
not quadratic in passages, and the number of clusters is capped.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

BLOCK = 4096


@dataclass
class Clustering:
    labels: np.ndarray  # cluster index per row, -1 when unassigned
    scores: np.ndarray  # cosine similarity to the assigned centre (0 when unassigned)
    centroids: np.ndarray  # unit rows, one per cluster index

    @property
    def n_clusters(self) -> int:
        return len(self.centroids)


def _best(x: np.ndarray, centroids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    best = np.full(len(x), -1, dtype=np.int64)
    score = np.full(len(x), -np.inf, dtype=np.float32)
    if len(centroids) == 0:
        return best, score
    for start in range(0, len(x), BLOCK):
        sims = x[start : start + BLOCK] @ centroids.T
        best[start : start + BLOCK] = sims.argmax(axis=1)
        score[start : start + BLOCK] = sims.max(axis=1)
    return best, score


def _leader_pass(x: np.ndarray, threshold: float, max_clusters: int) -> np.ndarray:
    """Open a centre for each row far from every existing one, in row order.

    Rows are taken in blocks: one matrix product settles every row close to an
    existing centre; the remaining candidates of the block are compared with
    each other once, and a candidate opens a centre unless an earlier candidate
    of the same block that opened one already covers it. The Python loop runs
    over candidates only, with a vector operation each.
    """
    dim = x.shape[1]
    cap = min(max_clusters, len(x))
    centres = np.zeros((cap, dim), dtype=np.float32)
    k = 0
    for start in range(0, len(x), BLOCK):
        if k >= cap:
            break
        batch = x[start : start + BLOCK]
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
    x: np.ndarray, threshold: float, iterations: int = 3, max_clusters: int = 5000, min_size: int = 2
) -> Clustering:
    x = np.ascontiguousarray(x, dtype=np.float32)
    if len(x) == 0:
        return Clustering(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32), np.zeros((0, x.shape[1] if x.ndim == 2 else 0), np.float32))
    centres = _leader_pass(x, threshold, max_clusters)
    labels = np.full(len(x), -1, dtype=np.int64)
    score = np.zeros(len(x), dtype=np.float32)
    for _ in range(max(1, iterations)):
        best, s = _best(x, centres)
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
        new = np.zeros((len(keep), x.shape[1]), dtype=np.float32)
        np.add.at(new, labels[labels >= 0], x[labels >= 0])
        norms = np.linalg.norm(new, axis=1, keepdims=True)
        centres = new / np.where(norms == 0, 1, norms)
    best, s = _best(x, centres)
    labels = np.where(s >= threshold, best, -1)
    score = np.where(labels >= 0, s, 0).astype(np.float32)
    return Clustering(labels, score, centres)
