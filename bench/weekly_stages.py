"""Weeks added one after another to a copy of a built database: each stage's seconds and each update's peak RSS.

    NARRATIVES_MODEL=fast python bench/weekly_stages.py --db BUILT.duckdb --work /tmp/w WEEK1.jsonl WEEK2.jsonl

Copies ``--db`` with its vectors and index (``app.store.copy_database``) to ``--work``, then for each week, in a
process of its own: ingest it and run every build stage (``app.pipeline.run_stages``: the nearest-neighbour
index, which a build refreshes after publishing, is left out; bench/ann_recall.py measures it). Prints a
Markdown table: one row a stage, one column a week, seconds from the database's ``runs`` table (the copies
and cue stages are timed there too), then the update's wall time and peak RSS. The first week after a
database made by older code also pays what that code did not keep (stored copy pairs, passages' figures).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

STAGES = ("segment", "copies", "embed", "frames", "seeded", "cues", "stance", "onsets", "lineage", "evidence")


def one_week(db: str, week: str) -> dict:
    from app.config import load_settings
    from app.ingest import ingest_files
    from app.pipeline import run_stages
    from app.store import Store

    settings = load_settings(env=os.environ, db=db)
    started = time.perf_counter()
    with Store.write(db, memory_budget=settings.memory_budget) as store:
        ingest_files(store, [week], settings.max_article_chars)
        before = int(store.query_value("SELECT max(run_id) FROM runs") or 0)
        run_stages(store, settings)
        runs = store.query("""SELECT stage, epoch(finished_at - started_at) AS s, counts FROM runs
                              WHERE run_id > ? AND status = 'done'""", [before])
    seconds = {stage: round(float(s), 1) for stage, s in zip(runs["stage"], runs["s"])}
    counts = {stage: json.loads(c) if c else {} for stage, c in zip(runs["stage"], runs["counts"])}
    return {"week": week, "seconds": seconds, "wall": round(time.perf_counter() - started, 1),
            "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            "copies_mode": counts.get("copies", {}).get("mode"), "frames_read": counts.get("frames", {}).get("read")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True, help="the built database to copy")
    parser.add_argument("--work", required=True, help="a folder for the copy")
    parser.add_argument("--step", nargs=2, metavar=("DB", "WEEK"), help=argparse.SUPPRESS)
    parser.add_argument("weeks", nargs="*")
    args = parser.parse_args()
    if args.step:
        print(json.dumps(one_week(*args.step)))
        return
    from app.store import copy_database

    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    db = str(work / "weekly.duckdb")
    copy_database(args.db, db)
    results = []
    for week in args.weeks:
        done = subprocess.run([sys.executable, __file__, "--db", args.db, "--work", args.work, "--step", db, week],
                              capture_output=True, text=True)
        if done.returncode != 0:
            sys.exit(f"{week}: {done.stderr[-2000:]}")
        results.append(json.loads(done.stdout.strip().splitlines()[-1]))
        results[-1]["retries"] = done.stderr.count("ran out of memory")  # plans read again on one thread
        print(json.dumps(results[-1]), file=sys.stderr, flush=True)
    print("| stage | " + " | ".join(Path(r["week"]).name for r in results) + " |")
    print("|---|" + "---|" * len(results))
    for stage in STAGES:
        print(f"| {stage} | " + " | ".join(str(r["seconds"].get(stage, "")) for r in results) + " |")
    print("| wall (ingest and every stage) | " + " | ".join(str(r["wall"]) for r in results) + " |")
    print("| peak RSS (MB) | " + " | ".join(str(r["peak_mb"]) for r in results) + " |")
    print("| queries read again on one thread (out of memory) | " + " | ".join(str(r["retries"]) for r in results) + " |")
    print("| copies mode / frames passages read | "
          + " | ".join(f"{r['copies_mode']} / {r['frames_read']}" for r in results) + " |")


if __name__ == "__main__":
    main()
