"""The tables the frame stages hand the store: frames, passage assignments and their rollup to articles.

Discovered and seeded frames are written the same way; the rollup from passages to articles is the one
rule both share. The rows of discovered frames (exemplar, label) are made here too.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from app.frames.labels import FrameLabel, sentence_with

FRAME_COLUMNS = ["frame_id", "label", "phrases", "exemplar_passage_id", "centroid", "model", "exemplar_sentence"]
SEEDED_FRAME_COLUMNS = [*FRAME_COLUMNS, "seed_name", "threshold", "match_rule", "combine", "precision", "recall",
                        "examples_in", "examples_out"]
ARTICLE_FRAME_COLUMNS = ["article_id", "frame_id", "score", "passages"]

# A frame with no label (no text to read one from) is labelled with the start of its exemplar passage: about a
# headline's length, so the label still reads as one line in a table.
FALLBACK_LABEL_CHARS = 60


def empty_frames() -> pd.DataFrame:
    return pd.DataFrame(columns=FRAME_COLUMNS)


def empty_passage_frames() -> pd.DataFrame:
    return pd.DataFrame({"passage_id": pd.Series(dtype=str), "frame_id": pd.Series(dtype="int32"),
                         "score": pd.Series(dtype="float32")})


def empty_article_frames() -> pd.DataFrame:
    return pd.DataFrame({"article_id": pd.Series(dtype=str), "frame_id": pd.Series(dtype="int32"),
                         "score": pd.Series(dtype="float32"), "passages": pd.Series(dtype="int32")})


def article_frames(passage_frames: pd.DataFrame) -> pd.DataFrame:
    """Passage assignments rolled up to articles: an article is in a frame when any of its passages is,
    with the score of its best passage there and the number of its passages there.

    ``passage_frames`` needs ``passage_id``, ``article_id``, ``frame_id`` and ``score``."""
    if passage_frames.empty:
        return empty_article_frames()
    rolled = (passage_frames.groupby(["article_id", "frame_id"])
              .agg(score=("score", "max"), passages=("passage_id", "count")).reset_index())
    return rolled[ARTICLE_FRAME_COLUMNS].astype({"frame_id": "int32", "score": "float32", "passages": "int32"})


def cluster_assignments(passages: pd.DataFrame, labels: np.ndarray, scores: np.ndarray,
                        frame_ids: dict[int, int]) -> pd.DataFrame:
    """``passage_id``, ``frame_id`` and ``score`` of the clustered passages (row i of ``passages`` has
    cluster ``labels[i]``, -1 when it is in none; ``frame_ids`` maps cluster index to frame id)."""
    found = passages.assign(cluster=labels, score=scores)
    found = found[found["cluster"] >= 0]
    found = found.assign(frame_id=found["cluster"].map(frame_ids).astype("int32"))
    return found[["passage_id", "frame_id", "score"]]


def exemplars(assignments: pd.DataFrame) -> pd.Series:
    """The exemplar passage id of each frame (indexed by ``frame_id``): its passage closest to the centre;
    ties go to the earliest published, then to the lowest passage id, so the choice is the same every run.

    ``assignments`` needs ``frame_id``, ``score``, ``published_at`` and ``passage_id``."""
    best_first = assignments.sort_values(["frame_id", "score", "published_at", "passage_id"],
                                         ascending=[True, False, True, True])
    return best_first.drop_duplicates("frame_id").set_index("frame_id")["passage_id"]


def discovered_frames(clusters: list[int], frame_ids: dict[int, int], centroids: np.ndarray,
                      labels: dict[int, FrameLabel], exemplar_of: pd.Series, exemplar_texts: dict[str, str],
                      model: str, kept: pd.DataFrame | None = None) -> pd.DataFrame:
    """The frame rows of a discovery run.

    First those of ``kept`` (existing frames of an incremental run, which keep their label, phrases,
    exemplar, sentence and centre), if they still hold a passage; then one per cluster in ``clusters``, with
    its label (:mod:`app.frames.labels`) and the sentence beside it or, when it has none, the start of its
    exemplar's text."""
    rows = []
    if kept is not None:
        rows = [{"frame_id": int(frame.frame_id), "label": frame.label, "phrases": list(frame.phrases),
                 "exemplar_passage_id": frame.exemplar_passage_id, "centroid": frame.centroid, "model": model,
                 "exemplar_sentence": getattr(frame, "exemplar_sentence", None)}
                for frame in kept.itertuples() if frame.frame_id in exemplar_of.index]
    for cluster in clusters:
        exemplar = exemplar_of.loc[frame_ids[cluster]]
        found = labels.get(cluster)
        if found is None or not found.label:
            text = exemplar_texts[exemplar]
            found = FrameLabel(text[:FALLBACK_LABEL_CHARS], [text[:FALLBACK_LABEL_CHARS]], sentence_with(text, None))
        rows.append({"frame_id": frame_ids[cluster], "label": found.label, "phrases": list(found.phrases),
                     "exemplar_passage_id": exemplar, "centroid": centroids[cluster], "model": model,
                     "exemplar_sentence": found.sentence})
    return pd.DataFrame(rows, columns=FRAME_COLUMNS)
