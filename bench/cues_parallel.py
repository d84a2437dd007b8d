"""The cue stage in one process against one process a core, on the same built database.

    python bench/cues_parallel.py --db BUILT.duckdb [--workers N]

Copies the database twice (``app.store.copy_database``), clears each copy's cues, and runs the cue stage
on each: once in this process, once with the texts shared among ``--workers`` reader processes (default:
the cores this process may use). Checks that both give the same rows and prints a Markdown row each for
bench/RESULTS.md. The copies are deleted.
"""

from __future__ import annotations

import argparse
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.stages import provenance  # noqa: E402
from app.store import Store, copy_database  # noqa: E402


def run(db: str, workers: int) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="cues-bench-"))
    rows, results = {}, []
    try:
        for label, n in (("one process", 1), (f"{workers} reader processes", workers)):
            copy = tmp / f"{n}.duckdb"
            copy_database(db, copy)
            provenance._cores = lambda n=n: n  # noqa: E731 - the run's workers
            provenance.CUE_PARALLEL_AT = 1 if n > 1 else 10**12
            with Store.write(copy) as store:
                store.clear_cues()
                started = time.perf_counter()
                texts, _ = provenance.cues_stage(store)
                secs = time.perf_counter() - started
                rows[label] = store.query("SELECT * FROM cues ORDER BY ALL")
            results.append((label, texts, secs))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    a, b = rows.values()
    same = a.equals(b)
    print(f"machine: {platform.machine()}, {workers} reader processes; "
          f"database {db}; same rows: {same} ({len(a):,} cues)")
    print("| cue stage | texts | seconds | texts/s |")
    print("|---|---|---|---|")
    for label, texts, secs in results:
        print(f"| {label} | {texts:,} | {secs:.1f} | {texts / secs:,.0f} |")
    if not same:
        raise SystemExit("the two runs gave different cues")


if __name__ == "__main__":  # the reader processes are started by command; this guard keeps imports side-effect free
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", required=True, help="a built database (it is copied, never written)")
    ap.add_argument("--workers", type=int, default=None, help="reader processes (default: the usable cores)")
    args = ap.parse_args()
    run(args.db, args.workers or provenance._cores())
