"""Time the spread computation on a built database.

    python bench/spread.py --db PATH [--frames 50]

On a private copy of the database it reruns the two spread stages of the build
(copies: syndicated copies linked to originals; lineage: each outlet's first
article in each frame linked to its likely source), then times the dashboard's
and the CLI's per-frame queries (adoption table, spread curve, lineage edges) on
the largest frames, and the `frame_spread` view over every frame. Prints a
Markdown block for bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from app.config import load_settings  # noqa: E402
from app.pipeline import copies_stage, lineage_stage  # noqa: E402
from app.spread import frame_adoption  # noqa: E402
from app.store import Store, copy_database  # noqa: E402


def _timed(fn, repeat: int = 1) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", type=Path, required=True)
    ap.add_argument("--frames", type=int, default=50, help="time per-frame queries on this many largest frames")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="nt-spread-"))
    work = tmp / "copy.duckdb"
    copy_database(args.db, work)
    settings = load_settings()

    with Store.write(work) as store:
        counts = store.counts()
        model = (store.last_run("lineage") or {}).get("parameters", {}).get("model")
        if model is None:
            raise SystemExit(f"{args.db}: no lineage run recorded; build it first")
        t_copies, (n_copies, _) = _timed(lambda: copies_stage(store, settings, force=True))
        t_lineage, (n_edges, _) = _timed(lambda: lineage_stage(store, model, force=True))
        n_frames = store.query_value("SELECT count(DISTINCT frame_id) FROM lineage")

    store = Store.open_read(work)
    top = store.query("SELECT frame_id FROM frame_summary ORDER BY articles DESC LIMIT ?", [args.frames])["frame_id"]
    per_query = {"adoption table (`outlet_firsts` + `spread.frame_adoption`)":
                     lambda f: frame_adoption(store.outlet_firsts([f])),
                 "spread curve (`frame_daily`)": store.frame_daily,
                 "lineage edges (`frame_edges`)": store.frame_edges}
    latencies = {}
    for name, fn in per_query.items():
        times = [_timed(lambda f=int(f): fn(f), repeat=3)[0] * 1000 for f in top]
        latencies[name] = (statistics.median(times), max(times))
    t_view, rows = _timed(lambda: store.query("SELECT * FROM frame_spread"), repeat=3)
    store.close()
    shutil.rmtree(tmp)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    print(f"## {dt.date.today()}, spread computation on {counts['articles']:,} articles\n")
    print(f"- machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"- command: `python bench/spread.py --db {args.db.name} --frames {args.frames}`")
    print(f"- database: {counts['articles']:,} articles, {counts['passages']:,} passages, "
          f"{counts.get('frames', 0):,} frames; peak RSS of this script {peak:.0f} MB\n")
    print("| step | time | output |\n|---|---|---|")
    print(f"| copies stage (shared paragraphs → copy links) | {t_copies:.1f} s | {n_copies:,} copies |")
    print(f"| lineage stage (first article per outlet per frame → source) | {t_lineage:.1f} s | "
          f"{n_edges:,} edges in {n_frames:,} frames |")
    for name, (median, worst) in latencies.items():
        print(f"| {name}, one frame: median / worst of the {len(top)} largest | {median:.0f} / {worst:.0f} ms | |")
    print(f"| `SELECT * FROM frame_spread` (every frame × outlet) | {t_view * 1000:.0f} ms | {len(rows):,} rows |")


if __name__ == "__main__":
    main()
