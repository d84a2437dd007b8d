"""Stance, lineage and evidence after a weekly update: only the frames the week touched, against every frame.

    python bench/per_frame_stages.py --base base.duckdb --week week.jsonl

``--base`` is a database built before the week (bench/weekly_update.py keeps one as ``base.duckdb``) and
``--week`` the week's articles (``week.jsonl`` beside it). A copy of the base ingests the week and runs
every stage of the build with the model key the base was built with (``--model-key``; by default the
key of its last frames run): the week's vectors must already be in it (the weekly bench copies a whole
corpus's vectors in), so nothing is embedded here. The base is first brought up to date (a base written
by an older version has no fingerprints yet). Then lineage and evidence run again over every frame
(``force``), in the same process, and the rows of both runs are compared. A frame the week only added
later articles to is extended from its stored rows (the ``extended`` column), the others redone whole.

Prints a Markdown block for bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import pandas as pd  # noqa: E402

import app.pipeline as pipeline  # noqa: E402
from app.config import load_settings  # noqa: E402
from app.ingest import ingest_files  # noqa: E402
from app.store import Store, copy_database  # noqa: E402


class _CachedOnly:
    """Stands for the encoder of ``key``: every text it is asked for must already have a vector."""

    def __init__(self, key: str, dim: int = 384):
        self.name, self.dim = key, dim

    def encode(self, texts):
        raise RuntimeError(f"{len(texts)} texts have no vector under {self.name!r}; this bench embeds nothing")


def rows(store: Store) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    return (store.query("SELECT * FROM lineage ORDER BY frame_id, to_article"),
            store.query("SELECT * FROM evidence_items ORDER BY frame_id, passage_id"),
            store.query("SELECT * FROM article_stance ORDER BY frame_id, article_id"))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", type=Path, required=True)
    ap.add_argument("--week", type=Path, required=True)
    ap.add_argument("--model-key", default=None)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="nt-per-frame-"))
    db = tmp / "week.duckdb"
    copy_database(args.base, db)
    settings = load_settings(db=db)
    with Store.write(db) as store:
        key = args.model_key or store.last_run("frames")["parameters"]["model"]
        pipeline.run_stages(store, settings, _CachedOnly(key))  # up to date before the week
        ingest = ingest_files(store, [args.week], settings.max_article_chars)
        t = time.perf_counter()
        report = pipeline.run_stages(store, settings, _CachedOnly(key))
        build_s = time.perf_counter() - t
        lineage = store.last_run("lineage")["counts"]
        evidence = store.last_run("evidence")["counts"]
        stance = store.last_run("stance")["counts"]
        partial = rows(store)
        t = time.perf_counter()
        pipeline.stance_stage(store, force=True)
        full_stance_s = time.perf_counter() - t
        t = time.perf_counter()
        pipeline.lineage_stage(store, key, force=True)
        full_lineage_s = time.perf_counter() - t
        t = time.perf_counter()
        pipeline.evidence_stage(store, key, settings, force=True)
        full_evidence_s = time.perf_counter() - t
        full = rows(store)
    same = all(a.equals(b) for a, b in zip(partial, full))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"## {dt.date.today()}, dev-2c: lineage and evidence after a weekly update, changed frames only\n")
    print(f"- machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; model key {key}")
    print(f"- command: `python bench/per_frame_stages.py --base {args.base.name} --week {args.week.name}`; "
          f"{ingest.ingested} articles ingested into a copy of the base; the whole build "
          f"{build_s:.0f} s, peak RSS {peak:,.0f} MB; stage seconds: "
          + ", ".join(f"{k} {v}" for k, v in report.seconds.items()) + "\n")
    print("| stage | frames written | of them extended | of frames | seconds, changed frames only | "
          "seconds, every frame (`force`) |")
    print("|---|---|---|---|---|---|")
    print(f"| stance (with cues) | {stance['decided']:,} | {stance.get('extended', 0):,} | {stance['frames']:,} | "
          f"{report.seconds.get('stance', 0):.1f} | {full_stance_s:.1f} (stance alone) |")
    print(f"| lineage | {lineage['traced']:,} | {lineage.get('extended', 0):,} | {lineage['frames']:,} | "
          f"{report.seconds.get('lineage', 0):.1f} | {full_lineage_s:.1f} |")
    print(f"| evidence | {evidence['written']:,} | {evidence.get('extended', 0):,} | {evidence['frames']:,} | "
          f"{report.seconds.get('evidence', 0):.1f} | {full_evidence_s:.1f} |")
    print(f"\nRows of the changed-frames run equal those of the every-frame run: {same} "
          f"({len(full[0]):,} lineage edges, {len(full[1]):,} evidence items, {len(full[2]):,} stances).")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
