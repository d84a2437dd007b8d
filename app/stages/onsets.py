"""The onsets stage: date flags of every article, then each frame's core, onset and precursors
(:mod:`app.frames.onsets`), written after the frames and seeded stages and before lineage, which reads
the articles they leave to count (view ``frame_claim_articles``).

Every frame is done again whenever anything it reads changed (frames, seeded frames, edits, articles or
their dates): the rules are a sort and a scan per frame, under a second for the 1,723 frames of the
AllSides North Korea slice (bench/RESULTS.md), so per-frame fingerprints would save nothing worth their
bookkeeping.
"""

from __future__ import annotations

import pandas as pd

from app.frames import onsets as rules
from app.stages.common import Progress, no_progress
from app.store import Store

# Bump when the rules change: the stage then runs again on an unchanged database.
ONSETS_VERSION = 2


def onsets_stage(store: Store, progress: Progress = no_progress, force: bool = False) -> tuple[int, bool]:
    """Flag dates, find each frame's onset and the role of its articles; returns (flagged dates, skipped)."""
    params = {"version": ONSETS_VERSION,
              "rules": {"core_mads": rules.CORE_MADS, "onset_days": rules.ONSET_DAYS,
                        "onset_followers": rules.ONSET_FOLLOWERS, "onset_outlets": rules.ONSET_OUTLETS,
                        "outlier_days": rules.OUTLIER_DAYS, "later_date_days": rules.LATER_DATE_DAYS},
              "after": {stage: (store.last_run(stage) or {}).get("run_id") for stage in ("frames", "seeded")},
              "edits": store.last_edit_id(), "dates": store.dates_fingerprint()}
    last = store.last_run("onsets")
    if not force and last is not None and last["parameters"] == params:
        return last["counts"].get("flagged", 0), True
    run_id = store.start_run("onsets", params)
    progress("onsets", 0, 2)
    article_flags = rules.date_flags(store.date_inputs())
    progress("onsets", 1, 2)
    onsets, roles, outliers = rules.frame_onsets(store.onset_inputs(), article_flags)
    flags = pd.concat([article_flags, outliers], ignore_index=True) if len(outliers) else article_flags
    store.replace_onsets(
        onsets.astype({"frame_id": "int32", "core_threshold": "float32", "core_articles": "int32",
                       "precursors": "int32", "flagged": "int32"}),
        roles.astype({"frame_id": "int32", "score": "float32", "core": bool, "date_flagged": bool, "counts": bool}),
        flags.astype({"frame_id": "Int32"}))
    progress("onsets", 2, 2)
    counts = {"flagged": int(len(article_flags)), "apart_in_time": int(len(outliers)), "frames": int(len(onsets)),
              "sustained": int((onsets["basis"] == "sustained").sum()) if len(onsets) else 0,
              "precursors": int((roles["role"] == "precursor").sum()) if len(roles) else 0}
    store.finish_run(run_id, counts)
    return counts["flagged"], False
