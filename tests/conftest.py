"""Shared fixtures: in-memory stores, the deterministic stand-in encoder, and the bundled sample built once
per session, with the stand-in encoder (the fast tier) or with the real model (``integration`` tests)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from app.config import SAMPLE_PATH, load_settings
from embeddings import HashingEncoder

ROOT = Path(__file__).resolve().parent.parent
HASHED_MODEL = "hashing-384"  # the deterministic stand-in encoder's setting (embeddings.HashingEncoder)
CORPORA = ROOT.parent / "shared" / "corpora"


# Tests marked with one of these are left out of the fast tier (`python -m pytest -m fast`); the rest are
# marked `fast` here. A plain `python -m pytest` runs everything.
SLOWER_TIERS = ("integration", "browser", "corpus", "slow", "reliability")


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    for item in items:
        if "/tests/reliability/" in str(item.path).replace("\\", "/"):
            item.add_marker(pytest.mark.reliability)
        if not any(item.get_closest_marker(name) for name in SLOWER_TIERS):
            item.add_marker(pytest.mark.fast)
    # The tests that need the North Korea slice last: it is built in the background meanwhile.
    later = [item for item in items if "nk_slice_db" in getattr(item, "fixturenames", ())]
    items[:] = [item for item in items if item not in later] + later


def pytest_collection_finish(session):
    if not session.config.option.collectonly:  # the tests left after -m and -k
        _start_nk_build(session.items)


@pytest.fixture
def settings(tmp_path):
    return load_settings(env={}, db=tmp_path / "test.duckdb")


@pytest.fixture
def encoder():
    return HashingEncoder(384)


@pytest.fixture
def memory_store():
    from app.store import Store

    store = Store.memory()
    yield store
    store.close()


def ingest_sample(store, max_article_chars: int) -> None:
    """The bundled sample and its outlets' attributes, as the dashboard's first start reads them."""
    from app.ingest import ingest_sample as ingest

    ingest(store, SAMPLE_PATH, max_article_chars)


def _build_sample(db: Path, **settings) -> Path:
    from app.pipeline import build_sample

    return build_sample(db, **settings)


@pytest.fixture(scope="session")
def sample_db(tmp_path_factory) -> Path:
    """The bundled sample built with the real packaged model (built once): for tests of what the model
    finds, marked ``integration``."""
    return _build_sample(tmp_path_factory.mktemp("sample") / "sample.duckdb")


@pytest.fixture
def sample_db_copy(sample_db, tmp_path) -> Path:
    from app.store import copy_database

    dest = tmp_path / "copy.duckdb"
    copy_database(sample_db, dest)
    return dest


@pytest.fixture(scope="session")
def hashed_sample_db(tmp_path_factory) -> Path:
    """The bundled sample built with the stand-in encoder (``HASHED_MODEL``, built once in seconds): for
    tests that need a built database but not the real model's sense of meaning."""
    return _build_sample(tmp_path_factory.mktemp("hashed") / "sample.duckdb", model=HASHED_MODEL)


@pytest.fixture
def hashed_sample_db_copy(hashed_sample_db, tmp_path) -> Path:
    from app.store import copy_database

    dest = tmp_path / "copy.duckdb"
    copy_database(hashed_sample_db, dest)
    return dest


# The AllSides North Korea slice's build in the background (tests.nk_slice), started once the session knows
# a selected test needs it: (process, folder), or None.
_NK_BUILD: list = []


def _start_nk_build(items) -> None:
    """Start building the North Korea slice in a process of its own at the lowest priority when a selected
    test needs it (those tests run last): the build (minutes, mostly embedding) uses the core the other
    tests leave idle instead of holding the session up."""
    import subprocess
    import sys
    import tempfile

    needs = [item for item in items if "nk_slice_db" in getattr(item, "fixturenames", ())]
    if not needs or not (CORPORA / "allsides" / "articles.jsonl.gz").exists() or _NK_BUILD:
        return
    folder = Path(tempfile.mkdtemp(prefix="narratives-nk-"))
    log = open(folder / "build.log", "w")
    command = [sys.executable, "-m", "tests.nk_slice", str(folder)]
    if os.name == "posix":
        command = ["nice", "-n", "19", *command]
    proc = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                            env={**os.environ, "HF_HUB_OFFLINE": "1"})
    log.close()
    _NK_BUILD.append((proc, folder))


def pytest_sessionfinish(session, exitstatus):
    import shutil

    for proc, folder in _NK_BUILD:
        if proc.poll() is None:  # the session ended before it (interrupted, or no test got to wait for it)
            proc.kill()
            proc.wait()
        shutil.rmtree(folder, ignore_errors=True)
    _NK_BUILD.clear()


@pytest.fixture(scope="session")
def nk_slice_db(tmp_path_factory) -> Path:
    """The AllSides articles that mention North Korea (about 1,200), ingested and built from scratch with the
    real packaged model (``tests.nk_slice``), once per session; skipped without the corpora. Built in the
    background from the start of the session when tests that need it are selected, else here. Its vectors
    also serve other AllSides tests as the product's own cache (``Store.copy_cache_from``)."""
    corpus_path("allsides", "articles.jsonl.gz")
    import subprocess

    from tests.nk_slice import build

    if not _NK_BUILD:
        return build(tmp_path_factory.mktemp("nk"))
    proc, folder = _NK_BUILD[0]
    try:
        code = proc.wait(timeout=3600)
    except subprocess.TimeoutExpired:
        proc.kill()
        code = proc.wait()
    log = (folder / "build.log").read_text(encoding="utf-8", errors="replace")
    assert code == 0, f"the North Korea slice's build failed (exit {code}):\n{log[-4000:]}"
    print("\n" + log.strip().splitlines()[-1])
    return folder / "nk.duckdb"


def dashboard_on(monkeypatch, db: Path, params: dict | None = None):
    """Streamlit's AppTest of the whole dashboard on ``db`` (built with the stand-in encoder), run once on
    its first page, with fresh caches and ``params`` in the URL."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("NARRATIVES_DB", str(db))
    monkeypatch.setenv("NARRATIVES_MODEL", HASHED_MODEL)
    monkeypatch.chdir(db.parent)  # no stray narratives.toml
    st.cache_resource.clear()
    st.cache_data.clear()
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=120)
    for key, value in (params or {}).items():
        at.query_params[key] = value
    return at.run()


def corpus_path(*parts: str) -> Path:
    path = CORPORA.joinpath(*parts)
    if not path.exists():
        if os.environ.get("CI") == "true" and CORPORA.exists():
            pytest.fail(f"{path} is missing from the corpora folder")
        pytest.skip(f"{path} not present (the real corpora live in ../shared/corpora)")
    return path


def undo_latest_migration(conn, through: int | None = None) -> None:
    """Make a database look written by an earlier version: forget the latest migration (or every migration
    from version ``through`` on) and drop what it created (views first)."""
    from app.store.schema import MIGRATIONS

    undone = [MIGRATIONS[-1]] if through is None else [m for m in MIGRATIONS if m[0] >= through]
    for migration in reversed(undone):
        _undo_migration(conn, migration)


def _undo_migration(conn, migration) -> None:
    version, _, step = migration
    conn.execute("DELETE FROM schema_migrations WHERE version = ?", [version])
    if callable(step):  # it moved data: the vectors' segments back into their table (migration 25)
        assert version == 25, "say how to undo this migration"
        conn.execute("""CREATE TABLE embeddings (model VARCHAR NOT NULL, text_hash VARCHAR NOT NULL,
                        vector FLOAT[] NOT NULL, PRIMARY KEY (model, text_hash))""")
        conn.execute("INSERT INTO embeddings SELECT * FROM session.main.embeddings")
        conn.execute("DROP TABLE vector_segments")
        conn.execute("DROP TABLE vector_segments_retired")
        conn.execute("DROP VIEW session.main.embeddings")
        return
    # Objects it created (views first); those it only replaced existed before and stay.
    created = re.findall(r"CREATE (VIEW|TABLE|SEQUENCE) (\w+)", step)
    order = {"VIEW": 0, "TABLE": 1, "SEQUENCE": 2}
    for kind, name in sorted(created, key=lambda kn: order[kn[0]]):
        conn.execute(f"DROP {kind} IF EXISTS {name}")
    # Columns it added to a table that stays (migration 29, for one)
    for table, column in re.findall(r"ALTER TABLE (\w+) ADD COLUMN (?:IF NOT EXISTS )?(\w+)", step):
        if (table, "TABLE") not in {(n, k) for k, n in created}:
            conn.execute(f"ALTER TABLE {table} DROP COLUMN IF EXISTS {column}")


def plotly_values(v) -> list:
    """A plotly JSON array as a list (plotly may send numeric arrays as typed binary)."""
    if isinstance(v, dict) and "bdata" in v:
        import base64

        import numpy as np

        return np.frombuffer(base64.b64decode(v["bdata"]), dtype=v["dtype"]).tolist()
    return list(v)


def frame_telling(store, phrase: str) -> int:
    """The active discovered frame that tells ``phrase`` most: the one holding the most passages that contain it
    (found by its passages, not by its label, which depends on the label rules and on how frames were merged;
    the sample's seeded frames of the same name are left out)."""
    return int(store.query_value(
        """SELECT frame_id FROM frame_passages WHERE text ILIKE '%' || ? || '%'
              AND frame_id IN (SELECT frame_id FROM frames WHERE kind = 'discovered')
           GROUP BY frame_id ORDER BY count(*) DESC, frame_id LIMIT 1""", [phrase]))
