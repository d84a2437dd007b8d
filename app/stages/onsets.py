"""The onsets stage: date flags of every article, then each frame's core, onset and precursors
(:mod:`app.frames.onsets`), written after the frames and seeded stages and before lineage, which reads
the articles they leave to count (view ``frame_claim_articles``).

An article's own date is checked once as it stands (table ``date_checks``: a fingerprint of its date, the
date's source and its content), a chunk of articles at a time: a weekly update reads the texts of the week's
articles only (and of any whose date was corrected); other rules check every article again. Every frame's
onset is done again whenever anything it reads changed (frames, seeded frames, edits, articles or their
dates): the rules are a sort and a scan per frame over a few columns, under a second for the 1,723 frames of
the AllSides North Korea slice (bench/RESULTS.md), so per-frame input fingerprints would save nothing worth
their bookkeeping. Writing every frame's rows again was not cheap (12 s of a weekly update of the 100k
synthetic archive, a million rows of article roles): only the frames whose rows changed are written, found
by a fingerprint of each frame's rows kept from the last run (``frame_inputs``, stage ``onsets``).
"""

from __future__ import annotations


from app.frames import onsets as rules
from app.stages.common import Progress, no_progress
from app.store import Store

# Bump when the rules change: the stage then runs again on an unchanged database.
ONSETS_VERSION = 3  # 3: a nearly core article may start the onset's run (app.frames.onsets._run_start)
# Articles whose own date is checked per committed chunk (their titles and texts are loaded).
DATE_CHUNK = 5000


def onsets_stage(store: Store, progress: Progress = no_progress, force: bool = False,
                 chunk: int = DATE_CHUNK) -> tuple[int, bool]:
    """Flag dates, find each frame's onset and the role of its articles; returns (flagged dates, skipped)."""
    params = {"version": ONSETS_VERSION,
              "rules": {"core_mads": rules.CORE_MADS, "near_mads": rules.NEAR_MADS, "onset_days": rules.ONSET_DAYS,
                        "onset_followers": rules.ONSET_FOLLOWERS, "onset_outlets": rules.ONSET_OUTLETS,
                        "outlier_days": rules.OUTLIER_DAYS, "later_date_days": rules.LATER_DATE_DAYS},
              # the stance stage decides which articles carry a frame (its rebuttals take no part in onsets)
              "after": {stage: (store.last_run(stage) or {}).get("run_id") for stage in ("frames", "seeded", "stance")},
              "edits": store.last_edit_id(), "dates": store.dates_fingerprint()}
    last = store.last_run("onsets")
    if not force and last is not None and last["parameters"] == params:
        return last["counts"].get("flagged", 0), True
    run_id = store.start_run("onsets", params)
    if force or last is None or {k: v for k, v in last["parameters"].items() if k in ("version", "rules")} != \
            {k: v for k, v in params.items() if k in ("version", "rules")}:
        store.clear_date_checks()  # other rules: every article's own date is checked again
    total, done = store.count_dates_to_check(), 0
    progress("onsets", 0, total + 1)
    while True:
        batch = store.dates_to_check(chunk)
        if batch.empty:
            break
        store.add_date_checks(batch[["article_id", "fingerprint"]], rules.date_flags(batch))
        done += len(batch)
        progress("onsets", done, total + 1)
    article_flags = store.own_date_flags()
    onsets, roles, outliers = rules.frame_onsets(store.onset_inputs(), article_flags)
    store.replace_onsets(
        onsets.astype({"frame_id": "int32", "core_threshold": "float32", "core_articles": "int32",
                       "precursors": "int32", "flagged": "int32"}),
        roles.astype({"frame_id": "int32", "score": "float32", "core": bool, "date_flagged": bool, "counts": bool}),
        outliers.astype({"frame_id": "Int32"}))
    progress("onsets", total + 1, total + 1)
    counts = {"flagged": int(len(article_flags)), "apart_in_time": int(len(outliers)), "frames": int(len(onsets)),
              "sustained": int((onsets["basis"] == "sustained").sum()) if len(onsets) else 0,
              "precursors": int((roles["role"] == "precursor").sum()) if len(roles) else 0, "dates_checked": done}
    store.finish_run(run_id, counts)
    return counts["flagged"], False
