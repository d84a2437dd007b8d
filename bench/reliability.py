"""The reliability probe's figures: hostile and broken inputs through ingest, kill -9 during build and
ingest, and the slowest cue time on hostile text. Prints a Markdown block for bench/RESULTS.md.

    python bench/reliability.py [--kills 6]

The same inputs and checks run as tests in tests/reliability/ (python -m pytest tests/reliability).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from click.testing import CliRunner  # noqa: E402

from app.cli import main as cli_main  # noqa: E402
from app.config import SAMPLE_PATH, load_settings  # noqa: E402
from app.evidence.cues import CueFinder  # noqa: E402
from app.store import Store, copy_database, file_version, pending_work  # noqa: E402
from tests.reliability.crash import cli, digest, killed_at  # noqa: E402
from tests.reliability.hostile import HOSTILE_TEXTS, file_cases  # noqa: E402
from tests.reliability.test_cue_cost import SHAPES  # noqa: E402


def files(tmp: Path) -> dict:
    tried = refused_clearly = rejects = kept = lost = expected_mismatch = 0
    for case in file_cases():
        folder = tmp / case.name.replace(".", "_")
        folder.mkdir()
        path = folder / case.name
        path.write_bytes(case.content)
        db = folder / "r.duckdb"
        result = CliRunner().invoke(cli_main, ["ingest", str(path), "--db", str(db)])
        tried += 1
        clean = "Traceback" not in result.output and (result.exception is None or isinstance(result.exception, SystemExit))
        if case.refused:
            refused_clearly += int(clean and result.exit_code == 1)
            continue
        got_articles = got_rejects = 0
        if db.exists():
            store = Store.open_read(db)
            try:
                got_articles = store.query_value("SELECT count(*) FROM articles")
                got_rejects = store.query_value("SELECT count(*) FROM rejects WHERE length(raw) > 0 AND length(reason) > 0")
            finally:
                store.close()
        kept += got_articles
        rejects += got_rejects
        if case.bad >= 0:
            lost += max(0, case.good + case.bad - got_articles - got_rejects - _already_present(result.output))
        expected_mismatch += int(got_articles != case.good or (case.bad >= 0 and got_rejects != case.bad) or not clean)
    return {"files": tried, "refused with a message": refused_clearly, "good records kept": kept,
            "bad records kept as rejects with raw text and reason": rejects, "records lost": lost,
            "files not handled as expected": expected_mismatch}


def _already_present(output: str) -> int:
    for line in output.splitlines():
        if line.startswith("total:"):
            return int(line.split(",")[1].split()[0])
    return 0


def kills(tmp: Path, trials: int) -> dict:
    ing = tmp / "ingested.duckdb"
    cli("ingest", SAMPLE_PATH, db=ing)
    clean = tmp / "clean.duckdb"
    copy_database(ing, clean)
    t0 = time.perf_counter()
    cli("build", "--model", "hashing-384", db=clean)
    build_s = time.perf_counter() - t0
    reference = digest(clean)
    rng = random.Random(7)
    killed = identical = half_published = 0
    for k in range(trials):
        db = tmp / f"k{k}.duckdb"
        copy_database(ing, db)
        before, published = digest(db), file_version(db)
        if killed_at(["build", "--model", "hashing-384"], db, rng.uniform(1.0, build_s)):
            killed += 1
            now = digest(db)
            half_published += int(now != before and now != reference)
            if pending_work(db):
                assert cli("ingest", SAMPLE_PATH, db=db).returncode == 1
        cli("build", "--model", "hashing-384", db=db)
        identical += int(digest(db) == reference)
        del published
    return {"build kill trials": trials, "killed mid-run": killed, "half state published": half_published,
            "identical to a clean build after the rerun": identical, "clean build seconds": round(build_s, 1)}


def cue_times() -> dict:
    finder = CueFinder(["Continental Wire", "Reuters"])
    limit = load_settings(env={}).max_article_chars
    slowest_text = 0.0
    for t in HOSTILE_TEXTS:
        s = time.perf_counter()
        finder.find(t)
        slowest_text = max(slowest_text, time.perf_counter() - s)
    shapes = {}
    for name, make in SHAPES.items():
        text = make(limit)
        s = time.perf_counter()
        finder.find(text)
        shapes[name] = round(time.perf_counter() - s, 3)
    return {"slowest hostile text (s)": round(slowest_text, 4), "slowest article of max length (s)": max(shapes.values()),
            "per shape (s)": shapes}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--kills", type=int, default=6)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        (tmp / "f").mkdir()
        (tmp / "k").mkdir()
        f = files(tmp / "f")
        k = kills(tmp / "k", args.kills)
    c = cue_times()
    print(f"## {dt.date.today()}, {platform.node()}: reliability probe\n")
    print(f"- command: `python bench/reliability.py --kills {args.kills}`; Python {platform.python_version()}\n")
    for title, table in (("Broken and hostile files through `narratives ingest`", f),
                         ("kill -9 during `narratives build` (sample, stand-in encoder)", k), ("Cue rules on hostile text", c)):
        print(f"**{title}**\n")
        print("| measure | value |\n|---|---|")
        for key, value in table.items():
            print(f"| {key} | {json.dumps(value) if isinstance(value, dict) else value} |")
        print()


if __name__ == "__main__":
    main()
