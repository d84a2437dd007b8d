"""The AllSides North Korea slice (the articles that mention North Korea, about 1,200), ingested and built
from scratch with the real packaged model into ``FOLDER/nk.duckdb``:

    python -m tests.nk_slice FOLDER

The test session starts this in the background, at low priority, as soon as it knows a test will need the
slice (tests/conftest.py, ``nk_slice_db``): the build takes minutes, mostly embedding, and runs on the core
the other tests leave idle. Writes ``FOLDER/build.log`` (the stage seconds) and exits non-zero on failure."""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def build(folder: Path) -> Path:
    sys.path.insert(0, str(ROOT / "bench"))
    from corpora import allsides_rows, write_jsonl

    from app.config import load_settings
    from app.ingest import ingest_files
    from app.pipeline import run_stages
    from app.store import Store

    src = write_jsonl(allsides_rows("north korea"), folder / "nk.jsonl")
    settings = load_settings(env={}, db=folder / "nk.duckdb")
    started = time.perf_counter()
    with Store.write(settings.db) as store:
        ingest_files(store, [src], settings.max_article_chars)
        report = run_stages(store, settings)
    print(f"NK slice ingested and built in {time.perf_counter() - started:.0f} s; stage seconds {report.seconds}",
          flush=True)
    return settings.db


if __name__ == "__main__":
    build(Path(sys.argv[1]))
