"""A weekly update on synthetic archives of several sizes: wall time, peak RSS and stage seconds.

    NARRATIVES_MODEL=fast python bench/weekly_synth.py --articles 1000 10000 --out build/weekly [--code DIR]

For each size, writes the archive with bench/synth.py (seed 1, two years from 2018-01-01), takes its last
week (``--week``, by default 2019-12-23) apart, then runs, each command in its own process under
bench/_peak.py: ingest everything before the week, build, ingest the week, build again (the weekly update).
``--code`` runs the product from another checkout (the code to compare with; its ``app`` is imported
because the commands run with that folder first on ``PYTHONPATH``); the archives are written once and
shared between runs. ``--week-from N`` adds the week of the N-article archive to every archive (the
same articles whatever the archive's size). Prints a Markdown table for bench/RESULTS.md; each run's figures are also kept as JSON
in the output folder (``<label>-<size>.json``), and each command's output in ``<label>-<size>-<step>.out``
and ``.err`` (the build's progress lines, to follow a long run).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
STAGES = ("segment", "copies", "embed", "frames", "seeded", "cues", "stance", "onsets", "lineage", "evidence")


def run(cmd: list[str], cwd: Path, log: Path) -> tuple[str, float, int]:
    """Run ``cmd``; its stdout and stderr go to ``log``.out and ``log``.err as it runs (the build's progress
    lines can be followed there during a long run)."""
    # PYTHONPATH: bench/_peak.py runs from bench/, so without it ``app`` would come from the installed copy.
    env = dict(os.environ, HF_HUB_OFFLINE="1", PYTHONPATH=str(cwd))
    out_file, err_file = log.with_name(log.name + ".out"), log.with_name(log.name + ".err")
    with open(out_file, "w") as out, open(err_file, "w") as err:
        code = subprocess.run(cmd, stdout=out, stderr=err, text=True, cwd=cwd, env=env).returncode
    stdout, stderr = out_file.read_text(), err_file.read_text()
    if code != 0:
        raise SystemExit(f"{cmd} failed:\n{stdout[-2000:]}\n{stderr[-3000:]}")
    peak = re.search(r"PEAK wall_s=([\d.]+) peak_rss_mb=(\d+)", stderr)
    return stdout, float(peak.group(1)), int(peak.group(2))


def stage_seconds(stdout: str) -> dict[str, float]:
    line = next((x for x in stdout.splitlines() if x.startswith("seconds: ")), "seconds: ")
    parts = [p.split() for p in line[len("seconds: "):].split(", ") if p.strip()]
    return {k: float(v) for k, v in parts}


def archive(articles: int, week: str, folder: Path) -> tuple[Path, Path]:
    """The archive before the week and the week, written once per size."""
    base, week_file = folder / f"base-{articles}.jsonl", folder / f"week-{articles}.jsonl"
    if not base.exists():
        whole = folder / f"all-{articles}.jsonl"
        subprocess.run([sys.executable, str(HERE / "synth.py"), "--articles", str(articles), "--out", str(whole)],
                       check=True, capture_output=True)
        subprocess.run([sys.executable, str(HERE / "synth.py"), "--articles", str(articles), "--week", week,
                        "--out", str(week_file)], check=True, capture_output=True)
        lines = set(week_file.read_text().splitlines())
        with open(whole) as src, open(base, "w") as dst:
            dst.writelines(line for line in src if line.rstrip("\n") not in lines)
        whole.unlink()
    return base, week_file


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--articles", type=int, nargs="+", required=True)
    ap.add_argument("--out", type=Path, required=True, help="folder for the archives, databases and figures")
    ap.add_argument("--week", default="2019-12-23", help="Monday of the week to add (in the archive's last weeks)")
    ap.add_argument("--code", type=Path, default=HERE.parent, help="the checkout whose product runs")
    ap.add_argument("--label", default="this")
    ap.add_argument("--week-from", type=int, default=None,
                    help="add the week of the archive of this size to every archive (the same week for all sizes; "
                         "stories are functions of the seed, so they are the same stories)")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    out, code = args.out.resolve(), args.code.resolve()
    cli = [sys.executable, str(HERE / "_peak.py"), "-m", "app.cli"]
    which = subprocess.run([sys.executable, "-c", "import app; print(app.__file__)"], capture_output=True, text=True,
                           cwd=code, env=dict(os.environ, PYTHONPATH=str(code))).stdout
    assert which.startswith(str(code)), f"the product would come from {which}, not {code}"
    rows = []
    for n in args.articles:
        base, week = archive(n, args.week, out)
        name = f"{args.label}-{n}"
        if args.week_from is not None:
            week = archive(args.week_from, args.week, out)[1]
            name += f"-week{args.week_from}"
        db = out / f"{name}.duckdb"
        for f in out.glob(f"{db.name}*"):
            shutil.rmtree(f) if f.is_dir() else f.unlink()
        _, t_ingest, m_ingest = run(cli + ["ingest", "--db", str(db), str(base)], code, out / f"{name}-ingest")
        build, t_build, m_build = run(cli + ["build", "--db", str(db)], code, out / f"{name}-build")
        _, t_week_ingest, m_week_ingest = run(cli + ["ingest", "--db", str(db), str(week)], code,
                                              out / f"{name}-week-ingest")
        update, t_update, m_update = run(cli + ["build", "--db", str(db)], code, out / f"{name}-update")
        result = {"label": args.label, "articles": n, "week_of": args.week_from or n, "week_articles": sum(1 for _ in open(week)),
                  "ingest": [t_ingest, m_ingest], "build": [t_build, m_build, stage_seconds(build)],
                  "week_ingest": [t_week_ingest, m_week_ingest], "update": [t_update, m_update, stage_seconds(update)],
                  "load": os.getloadavg()}
        (out / f"{name}.json").write_text(json.dumps(result, indent=1))
        rows.append(result)
    print("| code | archive | week of | step | wall s | peak RSS MB | " + " | ".join(STAGES) + " |")
    print("|---|---|---|---|---|---|" + "---|" * len(STAGES))
    for r in rows:
        for step in ("build", "update"):
            t, m, secs = r[step]
            print(f"| {r['label']} | {r['articles']:,} | {r['week_of']:,} ({r['week_articles']}) | {step} | {t:.1f} | {m:,} | "
                  + " | ".join(f"{secs.get(s, 0):.1f}" for s in STAGES) + " |")


if __name__ == "__main__":
    main()
