"""Stable frame ids: a cluster that is still there keeps the id it had.

Also what the history says when ids could not carry over: a new frame close to one that kept its id split
from it; a retired frame close to one that survives merged into it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

import numpy as np
import pandas as pd

from embeddings import vector_space

# A new frame is "split from", and a retired one "merged into", a surviving frame whose centre is within
# this much below the matching threshold: too far apart to be the same frame, near enough to be related.
HISTORY_MARGIN = 0.1


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


def comparable_frames(frames: pd.DataFrame, model: str) -> pd.DataFrame:
    """The discovered frames whose centres can be compared with vectors of ``model``: those made with a
    form of the same model (float, int8, another int8 recipe: see ``vector_space``)."""
    if len(frames) == 0:
        return frames
    same_space = frames["model"].map(vector_space) == vector_space(model)
    return frames[(frames["kind"] == "discovered") & same_space]


def centroid_matrix(frames: pd.DataFrame) -> np.ndarray:
    """The centres of ``frames``, one float32 row each."""
    return np.stack(frames["centroid"].tolist()).astype(np.float32)


def match_old_frames(centroids: np.ndarray, old: pd.DataFrame, *, incremental: bool, match_threshold: float,
                     merge_threshold: float) -> dict[int, int]:
    """{cluster index: id of the existing frame the cluster is}.

    After a full recluster, a cluster is a frame found again when its centre is within ``match_threshold``
    of that frame's. In an incremental run the existing frames keep their members and only the passages
    left over are clustered, so a new cluster is an existing frame only when their centres nearly
    coincide: ``merge_threshold``, the cosine at which discovery merges two clusters into one."""
    if len(old) == 0:
        return {}
    threshold = merge_threshold if incremental else match_threshold
    return match_frames(centroids, old["frame_id"].tolist(), centroid_matrix(old), threshold)


def number_clusters(n_clusters: int, matched: dict[int, int], new_ids: Iterable[int]) -> dict[int, int]:
    """The frame id of each cluster index: the id of the frame it matched, else the next of ``new_ids``
    (one for each unmatched cluster, taken in cluster order)."""
    new_ids = iter(new_ids)
    return {cluster: matched[cluster] if cluster in matched else next(new_ids) for cluster in range(n_clusters)}


@dataclass(frozen=True)
class HistoryRecord:
    """One kind of event for several frames: ``frame_ids[i]`` <event> ``other_ids[i]``."""

    event: str
    frame_ids: list[int]
    other_ids: list[int]
    detail: str


def splits_and_merges(centroids: np.ndarray, frame_ids: list[int], kept_ids: set[int], old: pd.DataFrame,
                      retired: list[int], match_threshold: float) -> list[HistoryRecord]:
    """History of a rebuild: a new frame close to a frame that kept its id split from it; a retired frame
    close to a surviving one merged into it. "Close": a cosine of at least ``match_threshold`` less
    ``HISTORY_MARGIN``.

    ``centroids`` and ``frame_ids`` are this run's clusters and their ids, in cluster order; ``kept_ids``
    the ids that carried over; ``old`` the frames before the run."""
    if len(old) == 0 or len(centroids) == 0:
        return []
    old_centroids = centroid_matrix(old)
    if old_centroids.shape[1] != centroids.shape[1]:
        return []
    near = match_threshold - HISTORY_MARGIN
    old_ids = old["frame_id"].astype(int).tolist()
    sims = centroids @ old_centroids.T
    records = []
    nearest_old = [old_ids[int(row.argmax())] for row in sims]  # per new frame
    splits = [(new_id, old_id) for new_id, old_id, best in zip(frame_ids, nearest_old, sims.max(axis=1))
              if new_id not in kept_ids and best >= near and old_id in kept_ids]
    if splits:
        records.append(HistoryRecord("split from", [new_id for new_id, _ in splits],
                                     [old_id for _, old_id in splits], "a new frame close to an existing one"))
    retired = set(retired)
    merges = [(old_id, frame_ids[int(sims[:, j].argmax())]) for j, old_id in enumerate(old_ids)
              if old_id in retired and sims[:, j].max() >= near]
    if merges:
        records.append(HistoryRecord("merged into", [old_id for old_id, _ in merges],
                                     [new_id for _, new_id in merges], "its passages now fall in a surviving frame"))
    return records
