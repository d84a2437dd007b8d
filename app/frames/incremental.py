"""Incremental frames: the passages of newly ingested articles join the frames they are near.

With the same discovery settings as the last run, existing frames keep their centres and members; a new
passage joins the frame whose centre is nearest when it is within the discovery threshold (the rule that
put passages in clusters in the first place), and only the passages that join none are clustered, for new
frames. Passages the last run left out stay out until a full recluster.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from app.frames.discovery import nearest
from app.frames.identity import centroid_matrix


def can_join_existing(last_run: dict | None, discovery: dict, old: pd.DataFrame, recluster: bool) -> bool:
    """Whether this run joins new passages to the existing frames rather than clustering every passage
    again: not when asked to recluster, not without an earlier run or comparable frames, and not when a
    discovery setting (or the model) is not what the last run used."""
    if recluster or last_run is None or len(old) == 0:
        return False
    return {k: last_run["parameters"].get(k) for k in discovery} == discovery


def fresh_passages(passages: pd.DataFrame, fresh_articles: set[str], placed: pd.Series) -> np.ndarray:
    """Row numbers of the passages of newly ingested articles that no frame holds yet."""
    rows = np.flatnonzero(passages["article_id"].isin(fresh_articles).to_numpy())
    if not len(rows):
        return rows
    # Only the fresh articles' passages are looked up among those placed (an update's few, not the archive's).
    fresh_ids = passages["passage_id"].to_numpy()[rows]
    placed = set(pd.Series(placed).to_numpy(dtype=object))
    return rows[np.fromiter((p not in placed for p in fresh_ids), dtype=bool, count=len(rows))]


def join_nearest(vectors: np.ndarray, passage_ids: np.ndarray, frames: pd.DataFrame,
                 threshold: float) -> tuple[pd.DataFrame, np.ndarray]:
    """Each passage joins the frame whose centre is nearest when their cosine is at least ``threshold``.

    Returns the assignments of those that joined (``passage_id``, ``frame_id``, ``score``) and a mask of
    which rows joined."""
    best, score = nearest(vectors, centroid_matrix(frames))
    near = score >= threshold
    joined = pd.DataFrame({"passage_id": passage_ids[near],
                           "frame_id": frames["frame_id"].to_numpy()[best[near]].astype("int32"),
                           "score": score[near].astype("float32")})
    return joined, near


def headlines_join_leads(vectors: np.ndarray, passage_ids: np.ndarray, frames: pd.DataFrame, joined: pd.DataFrame,
                         near: np.ndarray, title_leads: np.ndarray,
                         bound: float) -> tuple[pd.DataFrame, np.ndarray, int]:
    """The headline rule of a full run (``app.frames.discovery.headlines_with_leads``) for an update's passages:
    a headline whose article's lead joined an existing frame joins that frame too, in place of its nearest, when
    its cosine to the frame's centre is at least ``bound``. ``title_leads`` is per row of ``vectors``: for a
    headline, the row of its article's lead, else -1. Returns the assignments, the mask of rows that joined and
    how many headlines moved."""
    frame_of = dict(zip(joined["passage_id"], joined["frame_id"]))
    rows = np.flatnonzero(title_leads >= 0)
    if not len(rows) or not len(frames):
        return joined, near, 0
    index = {int(f): i for i, f in enumerate(frames["frame_id"].to_numpy())}
    centres = centroid_matrix(frames)
    moves = {}
    for row in rows:
        lead_frame = frame_of.get(passage_ids[title_leads[row]])
        if lead_frame is None or frame_of.get(passage_ids[row]) == lead_frame:
            continue
        score = float(vectors[row] @ centres[index[int(lead_frame)]])
        if score >= bound:
            moves[row] = (int(lead_frame), score)
    if not moves:
        return joined, near, 0
    moved_ids = {passage_ids[row] for row in moves}
    added = pd.DataFrame({"passage_id": [passage_ids[row] for row in moves],
                          "frame_id": np.array([f for f, _ in moves.values()], dtype="int32"),
                          "score": np.array([s for _, s in moves.values()], dtype="float32")})
    joined = pd.concat([joined[~joined["passage_id"].isin(moved_ids)], added], ignore_index=True)
    near = near.copy()
    near[list(moves)] = True
    return joined, near, len(moves)
