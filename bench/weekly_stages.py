"""Weeks added one after another to a copy of a built database: each stage's seconds and each update's peak RSS.

    NARRATIVES_MODEL=fast python bench/weekly_stages.py --db BUILT.duckdb --work /tmp/w WEEK1.jsonl WEEK2.jsonl
    NARRATIVES_MODEL=fast python bench/weekly_stages.py --db BUILT.duckdb --work /tmp/w --against OLD_CHECKOUT WEEKS...

Copies ``--db`` with its vectors and index (``app.store.copy_database``) to ``--work``, then for each week, in a
process of its own: ingest it and run every build stage (``app.pipeline.run_stages``: the nearest-neighbour
index, which a build refreshes after publishing, is left out; bench/ann_recall.py measures it). Prints a
Markdown table: one row a stage, one column a week, seconds from the database's ``runs`` table (the copies
and cue stages are timed there too), then the update's wall time and peak RSS. The first week after a
database made by older code also pays what that code did not keep (stored copy pairs, passages' figures).

``--against OLD_CHECKOUT`` compares two codes on the same weeks, interleaved so that both see the same machine
noise: the database is copied twice (``old/``, ``new/``); each copy is written once by its own code first,
outside the timing (brought to that code's schema, and with the spare a later write starts from), and the
writes are flushed to disk; then each week is added by the old code (its own ``bench/weekly_stages.py
--step``, run from its folder) and by this one, the two taking turns at going first (the first step after the
copies were made runs slower, whichever code it is: compare the weeks after the first). Prints one table with
both codes' figures per week, then whether the two databases hold the same rows: every table a build writes is
digested order-free (``Store.table_digest``), the old database being read through a copy upgraded by this
code, over the columns both databases then have (a column a migration added is compared as the migration
filled it). The three copies (the size of the database each, with its vectors' folder linked) are then
deleted, unless ``--keep``: only the files of the copies (``weekly.duckdb`` and what lies beside it under that
name), and their folders when that leaves them empty. A failed step stops the run and leaves them.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
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
    parser.add_argument("--against", type=Path, default=None,
                        help="another checkout: add each week with its code too, interleaved, and compare")
    parser.add_argument("--keep", action="store_true", help="with --against: keep the copies it compared")
    parser.add_argument("weeks", nargs="*")
    args = parser.parse_args()
    if args.step:
        print(json.dumps(one_week(*args.step)))
        return
    if args.against:
        # (absolute: each code's steps run in that checkout's folder)
        compare(str(Path(args.db).resolve()), Path(args.work).resolve(), args.against.resolve(),
                [str(Path(week).resolve()) for week in args.weeks], keep=args.keep)
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


# The tables a build writes from its articles (run records, timestamps and run ids left out of the digests).
COMPARED = ("passages", "copies", "copy_pairs", "copy_accounted", "body_signatures", "passage_shapes", "frames",
            "passage_frames", "article_frames", "stories", "story_frames", "article_stance", "frame_onsets",
            "frame_article_roles", "date_flags", "lineage", "cues", "cued_texts", "evidence_items")
NOT_COMPARED = {"created_at", "updated_at", "run_id", "built_at", "applied_at", "ingested_at"}


def _step(code: Path, db: Path, week: str) -> dict:
    """One week added to ``db`` by the checkout ``code``, in a process of its own."""
    env = dict(os.environ, HF_HUB_OFFLINE="1", PYTHONPATH=str(code))
    done = subprocess.run([sys.executable, str(code / "bench" / "weekly_stages.py"), "--db", "x", "--work", "x",
                           "--step", str(db), week], capture_output=True, text=True, cwd=code, env=env)
    if done.returncode != 0:
        sys.exit(f"{code}, {week}: {done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _prepare(code: Path, db: Path) -> None:
    """An empty write to ``db`` by the checkout ``code``, in a process of its own."""
    env = dict(os.environ, HF_HUB_OFFLINE="1", PYTHONPATH=str(code))
    script = "import sys\nfrom app.store import Store\nwith Store.write(sys.argv[1]):\n    pass\n"
    done = subprocess.run([sys.executable, "-c", script, str(db)], capture_output=True, text=True, cwd=code, env=env)
    if done.returncode != 0:
        sys.exit(f"{code}, preparing {db}: {done.stderr[-2000:]}")


def compare(built: str, work: Path, against: Path, weeks: list[str], keep: bool = False) -> None:
    from app.store import Store, copy_database

    dbs = {"old": work / "old" / "weekly.duckdb", "new": work / "new" / "weekly.duckdb"}
    for db in dbs.values():
        db.parent.mkdir(parents=True, exist_ok=True)
        copy_database(built, db)
    # Each copy is written once by its own code before any week is timed: brought to that code's schema, and
    # with the spare a later write starts from (app.store.db). Without it, the first timed week of a copy
    # not written yet paid its upgrade and a whole copy of the file (13-18 s against 9-10 s for the old code's
    # first 100k week, which alone went unprepared).
    _prepare(against, dbs["old"])
    _prepare(HERE.parent, dbs["new"])
    # The first step after the copies were made runs slower whichever code it is (on the 100k archive, old then
    # new: 12.4 and 9.5 s; new then old: 10.9 and 9.8 s; the same code twice: 10.8 and 9.7 s), and neither
    # flushing the copies' writes nor reading every file of both copies first removed it (bench/RESULTS.md,
    # "copy links as arrays, and the bench's first week"): so the two codes take turns at going first, and
    # the weeks after the first are those to compare.
    os.sync()
    runs: list[tuple[str, dict, dict]] = []
    codes = {"old": against, "new": HERE.parent}
    for i, week in enumerate(weeks):
        done = {}
        for name in (("old", "new") if i % 2 == 0 else ("new", "old")):
            done[name] = _step(codes[name], dbs[name], week)
        old, new = done["old"], done["new"]
        runs.append((Path(week).name, old, new))
        print(json.dumps({"week": week, "old": old, "new": new}), file=sys.stderr, flush=True)
    print("| stage (old / new) | " + " | ".join(w for w, _, _ in runs) + " |")
    print("|---|" + "---|" * len(runs))
    for stage in STAGES:
        print(f"| {stage} | " + " | ".join(f"{o['seconds'].get(stage, '')} / {n['seconds'].get(stage, '')}"
                                           for _, o, n in runs) + " |")
    print("| wall | " + " | ".join(f"{o['wall']} / {n['wall']}" for _, o, n in runs) + " |")
    print("| peak RSS (MB) | " + " | ".join(f"{o['peak_mb']} / {n['peak_mb']}" for _, o, n in runs) + " |")
    # The old database read through an upgraded copy (this code reads its own schema only).
    readable = work / "old-read" / "weekly.duckdb"
    readable.parent.mkdir(parents=True, exist_ok=True)
    copy_database(dbs["old"], readable)
    with Store.write(readable):
        pass
    stores = {name: Store.open_read(db) for name, db in (("old", readable), ("new", dbs["new"]))}
    try:
        same = []
        for table in COMPARED:
            theirs = set(stores["old"].table_columns(table))
            columns = [c for c in stores["new"].table_columns(table) if c in theirs and c not in NOT_COMPARED]
            if not columns:
                continue
            a, b = (stores[k].table_digest(table, columns) for k in ("old", "new"))
            same.append(a == b)
            print(f"{'same' if a == b else 'DIFFERENT'}: {table} ({a[0]:,} rows old, {b[0]:,} new)")
        print(f"{sum(same)} of {len(same)} tables the same")
    finally:
        for store in stores.values():
            store.close()
    if not keep:  # each copy is the archive's size again: a few runs at 100k articles filled a disk
        remove_copies([dbs["old"], dbs["new"], readable])
        print(f"deleted the copies under {work} (--keep keeps them)", file=sys.stderr)


def remove_copies(dbs: list[Path]) -> None:
    """Delete copies of a database made by a benchmark: each file and what lies beside it under its name (its
    spare, its vectors' folder, its index files, its lock), then its folder when that leaves it empty."""
    for db in dbs:
        for path in db.parent.glob(db.name + "*"):
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()
        try:
            db.parent.rmdir()
        except OSError:  # something else lies there
            pass


if __name__ == "__main__":
    main()
