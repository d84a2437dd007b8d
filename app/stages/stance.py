"""The stance stage: whether each article in a frame uses, reports or rebuts it (app/frames/stance.py).

It runs after the cue stage (the rules read each passage's evidence cues) and before lineage, which
reads only the articles that carry a frame. Per frame: each frame's inputs (its articles' first frame
passages, their neighbours and titles, and the cues of those texts) get a fingerprint, and a frame whose
fingerprint is unchanged keeps its rows; other stance rules or cue rules redo every frame.
"""

from __future__ import annotations

import pandas as pd

from app.evidence.cues import RULES_VERSION as CUE_RULES_VERSION
from app.fingerprints import changed_frames, frame_fingerprints, redo_every_frame
from app.frames.stance import RULES_VERSION, Passage, frame_stances
from app.stages.common import Progress, no_progress
from app.store import Store
from app.store.stance import STANCE_COLUMNS

PROGRESS_EVERY = 200


def stance_stage(store: Store, progress: Progress = no_progress, force: bool = False) -> tuple[int, bool]:
    """Decide the stance of every (frame, article) whose frame's inputs changed; returns the rebuttals stored
    and whether the stage was skipped."""
    context = {"rules": RULES_VERSION, "cue_rules": CUE_RULES_VERSION}
    params = {"context": context, "after": {stage: (store.last_run(stage) or {}).get("run_id")
                                            for stage in ("frames", "seeded", "cues")},
              "edits": store.last_edit_id()}
    last = store.last_run("stance")
    if not force and last is not None and last["parameters"] == params:
        return last["counts"].get("rebuts", 0), True
    run_id = store.start_run("stance", params)
    rows = store.stance_inputs()
    rows = rows.merge(store.cue_signatures(), on="text_hash", how="left")
    fingerprints = frame_fingerprints(rows, ["article_id", "passage_id", "seq", "in_frame", "text_hash",
                                             "cue_signature"])
    redo = None if redo_every_frame(last, context, force) else changed_frames(fingerprints, store.frame_inputs("stance"))
    todo = rows if redo is None else rows[rows["frame_id"].isin(set(redo))]
    cues = store.cues_by_text(todo["text_hash"].unique().tolist()) if len(todo) else {}
    out = []
    # Plain lists: one pass, no per-row pandas access. Rows come ordered by frame and article.
    columns = {c: todo[c].tolist() for c in ("frame_id", "article_id", "passage_id", "seq", "text", "text_hash",
                                             "in_frame")}
    passages = [Passage(pid, int(seq), text, bool(inside), tuple(cues.get(h, ())))
                for pid, seq, text, h, inside in zip(columns["passage_id"], columns["seq"], columns["text"],
                                                      columns["text_hash"], columns["in_frame"])]
    frames: dict[int, dict[str, list[Passage]]] = {}
    for frame_id, article_id, passage in zip(columns["frame_id"], columns["article_id"], passages):
        frames.setdefault(int(frame_id), {}).setdefault(article_id, []).append(passage)
    progress("stance", 0, len(frames))
    for i, (frame_id, articles) in enumerate(sorted(frames.items())):
        for article_id, s in frame_stances(articles).items():
            out.append((frame_id, article_id, s.stance, s.rule, s.passage_id, s.cue_text, s.cue_passage_id,
                        s.cue_start, s.cue_end, s.speaker))
        if i % PROGRESS_EVERY == 0 or i + 1 == len(frames):
            progress("stance", i + 1, len(frames))
    table = pd.DataFrame(out, columns=STANCE_COLUMNS).astype(
        {"frame_id": "int32", "cue_start": "Int32", "cue_end": "Int32"})
    store.replace_stances(table, fingerprints, redo)
    counts = store.stance_counts()
    store.finish_run(run_id, {**counts, "frames": len(fingerprints), "decided": len(frames)})
    return counts.get("rebuts", 0), False
