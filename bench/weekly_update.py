"""A weekly update on the whole AllSides corpus: incremental frames vs a full recluster.

    python bench/weekly_update.py --cache all.duckdb [--week 2020-07-13] [--keep DIR] [--no-recluster]
    NARRATIVES_MODEL=fast python bench/weekly_update.py [--week 2020-07-13] [--keep DIR] --no-recluster

Ingests every AllSides article published before the week into a new database and builds it, then
ingests the week's articles and builds again (the incremental path: new passages join the existing
frames, only the unassigned are clustered), then rebuilds the frames from scratch with
``narratives build --recluster`` for comparison. Each command runs in its own process under
bench/_peak.py (wall time, peak RSS); stage times come from the build's own report.

``--cache`` names a database already built from the same corpus with the same model: its passage
vectors and evidence cues are copied in first (both are keyed by text hash, so this is the product's own
"never embed twice" cache), which keeps the run to minutes; embedding is timed in bench/embed.py. Without
``--cache`` the builds embed for themselves (the fast tier, ``NARRATIVES_MODEL=fast``, embeds the whole
corpus in minutes). ``--no-recluster`` leaves out the recluster.
Articles after the week are left out. The build before the week is kept in ``--keep`` (base.duckdb)
and reused by a rerun. Checks printed with the figures: no frame present before the update lost a
passage or changed its id in the incremental build.

Prints a Markdown block for bench/RESULTS.md. Nothing from the corpus is written into the repository.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
from pathlib import Path


HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))
from corpora import allsides_rows, write_jsonl  # noqa: E402

from app.store import Store, copy_database  # noqa: E402


def run(cmd: list[str], env: dict) -> tuple[str, float, int]:
    out = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if out.returncode != 0:
        raise SystemExit(f"{cmd} failed:\n{out.stdout}\n{out.stderr[-3000:]}")
    peak = re.search(r"PEAK wall_s=([\d.]+) peak_rss_mb=(\d+)", out.stderr)
    return out.stdout, float(peak.group(1)), int(peak.group(2))


def stage_seconds(stdout: str) -> dict[str, float]:
    line = next(x for x in stdout.splitlines() if x.startswith("seconds: "))
    return {k: float(v) for k, v in (p.split() for p in line[len("seconds: "):].split(", "))}


def run_seconds(db: Path) -> dict[str, float]:
    """Seconds of each stage's last run, from the store's own run log."""
    store = Store.open_read(db)
    try:
        rows = store.query("""SELECT stage, epoch(finished_at) - epoch(started_at) AS secs FROM runs
                              QUALIFY row_number() OVER (PARTITION BY stage ORDER BY run_id DESC) = 1""")
    finally:
        store.close()
    return {stage: float(secs) for stage, secs in rows.itertuples(index=False)}


def frames_state(db: Path):
    store = Store.open_read(db)
    try:
        members = store.query("""SELECT pf.passage_id, pf.frame_id FROM passage_frames pf JOIN frames f USING (frame_id)
                                 WHERE f.kind = 'discovered'""")
        run = store.query_value("SELECT counts FROM runs WHERE stage = 'frames' ORDER BY run_id DESC LIMIT 1")
        active = store.query_value("SELECT count(*) FROM frames WHERE kind = 'discovered' AND status = 'active'")
    finally:
        store.close()
    return members, json.loads(run), active


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cache", type=Path, default=None, help="a database built from the same corpus and model")
    ap.add_argument("--no-recluster", action="store_true", help="leave out the build with --recluster")
    ap.add_argument("--week", default="2020-07-13", help="Monday of the week to add")
    ap.add_argument("--keep", type=Path, default=None, help="keep the database in this folder")
    args = ap.parse_args()
    week0 = dt.date.fromisoformat(args.week)
    week1 = week0 + dt.timedelta(days=7)
    tmp = args.keep or Path(tempfile.mkdtemp(prefix="nt-weekly-"))
    tmp.mkdir(parents=True, exist_ok=True)
    rows = allsides_rows()
    day = lambda r: str(r.get("date") or "")[:10]  # noqa: E731
    before = [r for r in rows if day(r) and day(r) < week0.isoformat()]
    week = [r for r in rows if week0.isoformat() <= day(r) < week1.isoformat()]
    src_before, src_week = write_jsonl(before, tmp / "before.jsonl"), write_jsonl(week, tmp / "week.jsonl")
    db = tmp / "weekly.duckdb"
    # PYTHONPATH: bench/_peak.py runs from bench/, so without it ``app`` would come from the installed copy.
    env = dict(os.environ, HF_HUB_OFFLINE="1", PYTHONPATH=str(HERE.parent))
    cli = [sys.executable, str(HERE / "_peak.py"), "-m", "app.cli"]
    base = tmp / "base.duckdb"  # the build before the week, kept so that a rerun starts from it
    if not base.exists():
        run(cli + ["ingest", str(src_before), "--db", str(db)], env)
        if args.cache is not None:
            with Store.write(db) as store:
                store.copy_cache_from(args.cache)
        _, t_base, m_base = run(cli + ["build", "--db", str(db)], env)
        copy_database(db, base)
    else:
        t_base = m_base = None
        copy_database(base, db)
    s_base = run_seconds(base)
    members0, _, active0 = frames_state(db)

    out_i, _, _ = run(cli + ["ingest", str(src_week), "--db", str(db)], env)
    out_inc, t_inc, m_inc = run(cli + ["build", "--db", str(db)], env)
    members1, counts_inc, active1 = frames_state(db)
    kept = members0.merge(members1, on="passage_id", how="left", suffixes=("_before", "_after"))
    lost = int(kept["frame_id_after"].isna().sum())
    moved = int((kept["frame_id_after"].notna() & (kept["frame_id_before"] != kept["frame_id_after"])).sum())

    if args.no_recluster:
        out_full, t_full, m_full, counts_full, active2 = None, None, None, {}, 0
    else:
        out_full, t_full, m_full = run(cli + ["build", "--db", str(db), "--recluster"], env)
        _, counts_full, active2 = frames_state(db)
    s_inc, s_full = stage_seconds(out_inc), (stage_seconds(out_full) if out_full else {})

    print(f"## {dt.date.today()}, dev-2c: a weekly update of the whole AllSides corpus, incremental vs recluster\n")
    print(f"- machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"- command: `python bench/weekly_update.py {' '.join(sys.argv[1:])}`; model {os.environ.get('NARRATIVES_MODEL', 'default')}; "
          f"{len(before):,} records before the week, {len(week):,} in it ({out_i.strip().splitlines()[-1]})")
    if args.cache is not None:
        print("- vectors and cues copied from the cache database (keyed by text hash), so embedding and cue "
              "reading of the week's texts cost nothing here")
    print()
    print("| build | frames stage s | seeded s | stance s | onsets s | lineage s | evidence s | whole command s | "
          "peak RSS MB | active frames |\n|---|---|---|---|---|---|---|---|---|---|")
    for name, st, t, m, n in (("everything before the week (full)", s_base, t_base, m_base, active0),
                              ("+ the week, incremental (default)", s_inc, t_inc, m_inc, active1),
                              *([] if out_full is None else [("+ the week, `--recluster`", s_full, t_full, m_full,
                                                              active2)])):
        whole = "(an earlier run)" if t is None else f"{t:.0f}"
        peak = "" if m is None else f"{m:,}"
        print(f"| {name} | {st.get('frames', 0):.1f} | {st.get('seeded', 0):.1f} | {st.get('stance', 0):.1f} | "
              f"{st.get('onsets', 0):.1f} | {st.get('lineage', 0):.1f} | "
              f"{st.get('evidence', 0):.1f} | {whole} | {peak} | {n:,} |")
    print(f"\nIncremental run: {counts_inc.get('joined_existing', 0):,} passages joined existing frames, "
          f"{counts_inc.get('new_frames', 0)} new frames, {counts_inc.get('assigned', 0):,} of "
          f"{counts_inc.get('passages', 0):,} passages in a frame; of {len(members0):,} frame memberships "
          f"before the week, {lost} lost and {moved} moved to another frame.")
    print("Stage seconds of the weekly update: " + ", ".join(f"{k} {v}" for k, v in s_inc.items()))
    if out_full is not None:
        print(f"Recluster: {counts_full.get('frames', 0):,} frames, {counts_full.get('retired', 0):,} retired, "
              f"{counts_full.get('assigned', 0):,} passages in a frame.")


if __name__ == "__main__":
    main()
