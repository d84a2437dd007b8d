"""Which passages of a frame's articles speak for the frame: the evidence that belongs to it.

An article often tells several frames, and its evidence concerns one part of the story. A passage that
carries cues counts for a frame only when it is

* ``own``: one of the frame's own passages in that article;
* ``after``: the passage directly after one of the frame's passages (news writing puts the support right
  after the claim), or a run of evidence after it: every passage between the frame's passage and this
  one, and this one, carries evidence (material, an official on the record, a confirmation or denial;
  :data:`app.evidence.ledger.STRONG`), whichever frame those passages belong to (a "satellite images"
  paragraph can form a frame of its own and still support the claim before it);
* ``before``: the passage directly before one of the frame's passages, unless the passage before it
  belongs to another frame (it then follows, and supports, that frame's claim);
* ``about``: elsewhere in the article, but close to what the frame says: the cosine of the passage and the
  frame's centre is at least ``about_threshold`` (``evidence_about_threshold``).

Everything else in the article (background, reactions, the evidence of another frame told in the same
article) is left out of the frame's ledger. docs/evidence.md gives the figures and where the rule fails.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

# Bump when the rule changes: every frame's ledger is then written again.
SCOPE_VERSION = 1


def positions(members: pd.DataFrame) -> dict[str, dict[int, set[int]]]:
    """article_id -> passage seq -> the frames the passage belongs to (``members``: frame_id, article_id,
    seq)."""
    out: dict[str, dict[int, set[int]]] = {}
    for frame_id, article_id, seq in members[["frame_id", "article_id", "seq"]].itertuples(index=False):
        out.setdefault(article_id, {}).setdefault(int(seq), set()).add(int(frame_id))
    return out


def _anchors(where: dict[str, dict[int, set[int]]]) -> dict[str, dict[int, set[int]]]:
    """The passages each frame's evidence hangs on: its own, and for a frame that holds an article's title,
    the lead (the first body passage) too: a headline announces what the lead tells."""
    out = {}
    for article_id, frames_at in where.items():
        anchored = {seq: set(frames) for seq, frames in frames_at.items()}
        if 0 in frames_at:
            anchored.setdefault(1, set()).update(frames_at[0])
        out[article_id] = anchored
    return out


def frame_scope(passages: pd.DataFrame, members: pd.DataFrame, strong: set[str], vectors: np.ndarray | None = None,
                centroids: dict[int, np.ndarray] | None = None, about_threshold: float = 1.0) -> pd.Series:
    """Why each row counts for its frame (``own``, ``after``, ``before``, ``about``), or None when it does not.

    ``passages``: cued passages of each frame's articles (frame_id, article_id, seq, text_hash, and
    ``vector_row`` into ``vectors`` when ``centroids`` are given); ``members``: every active frame's
    passages (frame_id, article_id, seq); ``strong``: text hashes whose item is evidence; ``centroids``:
    frame_id -> unit centre, for the frames whose centre is in the vectors' space."""
    where = positions(members)
    anchors = _anchors(where)
    evidence = {(a, int(s)) for a, s, h in passages[["article_id", "seq", "text_hash"]].itertuples(index=False)
                if h in strong}
    similarity = np.full(len(passages), -1.0, dtype=np.float32)
    if centroids and vectors is not None and len(passages):
        frames = passages["frame_id"].to_numpy()
        rows = passages["vector_row"].to_numpy()
        for frame_id in np.unique(frames):
            centre = centroids.get(int(frame_id))
            if centre is not None:
                mask = frames == frame_id
                similarity[mask] = vectors[rows[mask]] @ centre
    out = []
    for (frame_id, article_id, seq, text_hash), sim in zip(
            passages[["frame_id", "article_id", "seq", "text_hash"]].itertuples(index=False), similarity):
        frames_at, anchored = where.get(article_id, {}), anchors.get(article_id, {})
        frame_id, seq = int(frame_id), int(seq)
        if frame_id in frames_at.get(seq, ()):
            out.append("own")
        elif frame_id in anchored.get(seq - 1, ()) or frame_id in anchored.get(seq, ()) or (
                text_hash in strong and _run_after(frame_id, article_id, seq, anchored, evidence)):
            out.append("after")
        elif frame_id in frames_at.get(seq + 1, ()) and not frames_at.get(seq - 1, set()) - {frame_id}:
            out.append("before")
        elif sim >= about_threshold:
            out.append("about")
        else:
            out.append(None)
    return pd.Series(out, index=passages.index, dtype=object)


def _run_after(frame_id: int, article_id: str, seq: int, frames_at: dict[int, set[int]],
               evidence: set[tuple[str, int]]) -> bool:
    """Whether the passages from one of the frame's passages up to ``seq`` all carry evidence."""
    at = seq - 1
    while at >= 0 and (article_id, at) in evidence:
        if frame_id in frames_at.get(at - 1, ()):
            return True
        at -= 1
    return False
