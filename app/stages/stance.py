"""The stance stage: whether each article in a frame uses, reports or rebuts it (app/frames/stance.py).

It runs after the cue stage (the rules read each passage's evidence cues) and before lineage, which
reads only the articles that carry a frame. Per frame: what each frame must do is read in the database
(``Store.stance_plan``: a fingerprint of its inputs, its articles' first frame passages, their neighbours
and titles, the cues of those texts, and the frame's label and phrases, which the rules read as its
wording). A frame whose fingerprint is unchanged keeps its rows. A frame that only gained articles dated
after everything it held is *extended*: an article's stance depends on its own passages and the frame's
wording alone, so only the new articles are decided, unless they make the frame a denial frame or stop it
being one (``app.frames.stance.is_denial_frame``), which redoes it. Any other change (a new label or
phrases included) redoes the frame. Only those frames' inputs are loaded, a chunk of frames at a time,
each chunk committed. Other stance rules or cue rules redo every frame.
"""

from __future__ import annotations

import pandas as pd

from app.evidence.cues import RULES_VERSION as CUE_RULES_VERSION
from app.fingerprints import chunks, frames_to_do, marks, redo_every_frame
from app.frames.stance import (RULES_VERSION, Passage, Wording, article_stances, as_denial_frame, denies,
                               is_denial_frame)
from app.stages.common import Progress, no_progress
from app.store import Store
from app.store.stance import STANCE_COLUMNS
from app.widgets import blank_widgets

# Bump when the stage's reading or its fingerprints change: every frame is then decided again.
STAGE_VERSION = 2
# Input passages loaded per chunk of frames (each chunk committed).
STANCE_CHUNK = 200_000


def stance_stage(store: Store, progress: Progress = no_progress, force: bool = False,
                 chunk_rows: int = STANCE_CHUNK) -> tuple[int, bool]:
    """Decide the stance of every (frame, article) whose frame's inputs changed; returns the rebuttals stored
    and whether the stage was skipped."""
    context = {"rules": RULES_VERSION, "cue_rules": CUE_RULES_VERSION, "stage": STAGE_VERSION}
    params = {"context": context, "after": {stage: (store.last_run(stage) or {}).get("run_id")
                                            for stage in ("frames", "seeded", "cues")},
              "edits": store.last_edit_id()}
    last = store.last_run("stance")
    if not force and last is not None and last["parameters"] == params:
        return last["counts"].get("rebuts", 0), True
    run_id = store.start_run("stance", params)
    plan = store.stance_plan()
    todo = frames_to_do(plan, redo_every_frame(last, context, force))
    done, extended, decided = 0, 0, 0
    progress("stance", 0, len(todo))
    for chunk in chunks(todo, chunk_rows):
        after = marks(chunk)
        frames = _decide(store, after)
        stored = store.stored_stances([f for f, m in after.items() if m is not None]).set_index("frame_id")
        redo = [f for f, m in after.items() if m is None]
        again = []
        for frame_id, mark in after.items():
            if mark is None:
                continue
            new = frames.get(frame_id, {})
            before = stored.loc[frame_id] if frame_id in stored.index else None
            n, denials, was = (0, 0, False) if before is None else (
                int(before["articles"]), int(before["denials"]), bool(before["denial_frame"]))
            now = is_denial_frame(denials + sum(map(denies, new.values())), n + len(new))
            if now != was:
                again.append(frame_id)  # the frame became a denial frame or stopped being one: read it whole
        if again:
            frames.update(_decide(store, {f: None for f in again}))
            redo += again
        extended += len(after) - len(redo)
        out = []
        for frame_id, stances in sorted(frames.items()):
            if after[frame_id] is not None and frame_id not in again:
                before = stored.loc[frame_id] if frame_id in stored.index else None
                n, denials = (0, 0) if before is None else (int(before["articles"]), int(before["denials"]))
                denial = is_denial_frame(denials + sum(map(denies, stances.values())), n + len(stances))
            else:
                denial = is_denial_frame(sum(map(denies, stances.values())), len(stances))
            total = as_denial_frame(stances) if denial else stances
            decided += len(total)
            for article_id, s in total.items():
                out.append((frame_id, article_id, s.stance, s.rule, s.passage_id, s.cue_text, s.cue_passage_id,
                            s.cue_start, s.cue_end, s.speaker))
        table = pd.DataFrame(out, columns=STANCE_COLUMNS).astype(
            {"frame_id": "int32", "cue_start": "Int32", "cue_end": "Int32"})
        inputs = chunk[["frame_id", "fingerprint", "mark"]].astype({"frame_id": "int32", "fingerprint": "uint64"})
        store.write_stances(table, inputs, redo)
        done += len(chunk)
        progress("stance", done, len(todo))
    store.drop_stances_except(plan["frame_id"].astype(int).tolist())
    counts = store.stance_counts()
    store.finish_run(run_id, {**counts, "frames": len(plan), "decided": done, "extended": extended,
                              "articles_decided": decided})
    return counts.get("rebuts", 0), False


def _decide(store: Store, frames: dict[int, str | None]) -> dict[int, dict]:
    """Each article's own stance in ``frames`` (frame id -> a mark: only its articles after it; None: all)."""
    rows = store.stance_inputs(frames)
    cues = store.cues_by_text(rows["text_hash"].unique().tolist()) if len(rows) else {}
    # Plain lists: one pass, no per-row pandas access. Rows come ordered by frame and article.
    columns = {c: rows[c].tolist() for c in ("frame_id", "article_id", "passage_id", "seq", "text", "text_hash",
                                             "in_frame")}
    # The rules read a passage with its page widgets blank (app.widgets: another story's headlines in a
    # related-links box are not this article's denial), as the cues were found.
    passages = [Passage(pid, int(seq), blank_widgets(text), bool(inside), tuple(cues.get(h, ())))
                for pid, seq, text, h, inside in zip(columns["passage_id"], columns["seq"], columns["text"],
                                                      columns["text_hash"], columns["in_frame"])]
    by_frame: dict[int, dict[str, list[Passage]]] = {}
    for frame_id, article_id, passage in zip(columns["frame_id"], columns["article_id"], passages):
        by_frame.setdefault(int(frame_id), {}).setdefault(article_id, []).append(passage)
    wordings = store.frame_wordings(list(by_frame))
    return {frame_id: article_stances(articles, Wording.of_frame(*wordings[frame_id]) if frame_id in wordings else None)
            for frame_id, articles in by_frame.items()}
