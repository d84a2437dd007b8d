"""Stable frame ids: a cluster that is still there keeps the id it had."""

from __future__ import annotations

import numpy as np


def match_frames(new_centroids: np.ndarray, old_ids: list[int], old_centroids: np.ndarray, threshold: float) -> dict[int, int]:
    """Greedy one-to-one matching by centroid cosine: {new cluster index: old frame id}."""
    if len(new_centroids) == 0 or len(old_ids) == 0:
        return {}
    old = np.asarray(old_centroids, dtype=np.float32)
    if old.shape[1] != new_centroids.shape[1]:
        return {}  # a different model: nothing comparable
    sims = new_centroids @ old.T
    pairs = np.argwhere(sims >= threshold)
    order = np.argsort(-sims[pairs[:, 0], pairs[:, 1]], kind="stable")
    taken_new, taken_old, out = set(), set(), {}
    for i, j in pairs[order]:
        if i in taken_new or j in taken_old:
            continue
        out[int(i)] = int(old_ids[j])
        taken_new.add(i)
        taken_old.add(j)
    return out
