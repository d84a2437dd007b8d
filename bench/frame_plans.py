"""The per-frame plans of the stance, lineage and evidence stages on a built database, this code against another
checkout, in turns: what each weekly update pays to decide which frames to redo, extend or keep.

    NARRATIVES_MODEL=fast python bench/frame_plans.py --db BUILT.duckdb --work W --against OLD_CHECKOUT [--rounds 4]

``--db`` is copied twice (``app.store.copy_database``: ``W/old``, ``W/new``), and each copy is written once by its
own code (brought to that code's schema). Then, in rounds, each code opens its copy read-only in a process of its
own and takes each plan four times (``Store.stance_plan``, ``Store.lineage_plan`` and ``Store.evidence_plan``,
the latter two told that every passage is embedded, as a build does after its embed stage, with the model of the
database's frames): the first read is the cold one (of a new process; the files may be in the system's page cache
still), the other three warm. The codes take turns at going first. Prints, per plan, each code's cold reads and
the median of its warm ones over the rounds, and whether both codes' plans are the same frame for frame (every
column: the fingerprints of the frames' inputs, which a code that reads the inputs differently must still give, or
an upgraded database would redo every frame). ``--db`` must be one both codes can read: built by the older code
(a code refuses a database of a newer schema). The two copies are deleted at the end, unless ``--keep``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
PLANS = ("stance", "lineage", "evidence")


def step(db: str) -> dict:
    """The three plans of ``db`` by the code on ``sys.path``: seconds of each read, and a digest of the plan."""
    from app.store import Store

    store = Store.open_read(db)
    try:
        model = store.query_value("SELECT model FROM frames WHERE status = 'active' AND model IS NOT NULL "
                                  "GROUP BY model ORDER BY count(*) DESC, model LIMIT 1")
        reads = {"stance": store.stance_plan, "lineage": lambda: store.lineage_plan(model, True),
                 "evidence": lambda: store.evidence_plan(model, True)}
        out = {}
        for name in PLANS:
            seconds, plan = [], None
            for _ in range(4):
                started = time.perf_counter()
                plan = reads[name]()
                seconds.append(time.perf_counter() - started)
            out[name] = {"seconds": seconds, "frames": len(plan),
                         "digest": hashlib.sha256(plan.to_csv(index=False).encode()).hexdigest()[:16]}
        return out
    finally:
        store.close()


def _run(code: Path, db: Path, what: str) -> dict:
    env = dict(os.environ, HF_HUB_OFFLINE="1")
    done = subprocess.run([sys.executable, __file__, "--step", str(code), what, str(db)], capture_output=True,
                          text=True, cwd=code, env=env)
    if done.returncode != 0:
        sys.exit(f"{code}, {what} {db}: {done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", help="the built database to copy")
    parser.add_argument("--work", help="a folder for the two copies")
    parser.add_argument("--against", help="the other checkout")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--keep", action="store_true", help="keep the two copies")
    parser.add_argument("--step", nargs=3, metavar=("CODE", "WHAT", "DB"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.step:
        code, what, db = args.step
        sys.path.insert(0, code)  # that checkout's app, not this one's
        if what == "prepare":
            from app.store import Store

            with Store.write(db):
                pass
            print(json.dumps({}))
        else:
            print(json.dumps(step(db)))
        return
    if not (args.db and args.work and args.against):
        parser.error("--db, --work and --against are required")
    sys.path.insert(0, str(HERE.parent))
    from app.store import copy_database

    work = Path(args.work).resolve()
    codes = {"old": Path(args.against).resolve(), "new": HERE.parent}
    dbs = {}
    for name, code in codes.items():
        dbs[name] = work / name / "plans.duckdb"
        dbs[name].parent.mkdir(parents=True, exist_ok=True)
        copy_database(str(Path(args.db).resolve()), dbs[name])
        _run(code, dbs[name], "prepare")
    results: dict[str, list[dict]] = {"old": [], "new": []}
    for r in range(args.rounds):
        for name in (("old", "new") if r % 2 == 0 else ("new", "old")):
            results[name].append(_run(codes[name], dbs[name], "plans"))
            print(f"round {r + 1}, {name}: " + ", ".join(
                f"{p} {' '.join(f'{s:.3f}' for s in results[name][-1][p]['seconds'])}" for p in PLANS),
                file=sys.stderr, flush=True)
    print("| plan | cold reads, s (old / new) | warm median, s (old / new) | frames | same plans |")
    print("|---|---|---|---|---|")
    for p in PLANS:
        cold = {n: " ".join(f"{r[p]['seconds'][0]:.2f}" for r in results[n]) for n in results}
        warm = {n: statistics.median(s for r in results[n] for s in r[p]["seconds"][1:]) for n in results}
        digests = {n: {r[p]["digest"] for r in results[n]} for n in results}
        same = "yes" if len(digests["old"] | digests["new"]) == 1 else f"no ({digests})"
        print(f"| {p} | {cold['old']} / {cold['new']} | {warm['old']:.3f} / {warm['new']:.3f} "
              f"| {results['new'][0][p]['frames']} | {same} |")
    if not args.keep:  # each copy is the archive's size again
        from weekly_stages import remove_copies  # (this folder's)

        remove_copies(list(dbs.values()))


if __name__ == "__main__":
    main()
