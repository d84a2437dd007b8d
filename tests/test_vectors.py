"""Vectors as Parquet segments beside the database (app.store.vectors): what a write adds, what readers see,
what a crash, a discard, a compaction and a lost folder leave, and the migration of a database that held
its vectors inside the file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import numpy as np
import pytest

from app.store import Store, copy_database, discard_pending, pending_work
from app.store import vectors as segments
from app.store.vectors import vectors_dir
from tests.conftest import undo_latest_migration

pytestmark = pytest.mark.fast
ROOT = Path(__file__).resolve().parent.parent


def _vectors(n: int, dim: int = 8, seed: int = 0) -> tuple[list[str], np.ndarray]:
    rng = np.random.default_rng(seed)
    return [f"h{seed}-{i:05d}" for i in range(n)], rng.standard_normal((n, dim), dtype=np.float32)


def _stored(db: Path, model: str = "m") -> dict[str, list[float]]:
    store = Store.open_read(db)
    try:
        rows = store.query("SELECT text_hash, vector FROM embeddings WHERE model = ?", [model])
    finally:
        store.close()
    return {h: list(v) for h, v in zip(rows["text_hash"], rows["vector"])}


def _files(db: Path) -> set[str]:
    folder = vectors_dir(db)
    return {p.name for p in folder.iterdir()} if folder.is_dir() else set()


def test_vectors_go_to_a_segment_beside_the_file_and_read_back_exactly(tmp_path):
    db = tmp_path / "a.duckdb"
    hashes, vectors = _vectors(3000, dim=384)
    with Store.write(db) as store:
        assert store.add_embeddings("m", hashes, vectors) == 3000
    files = _files(db)
    assert len(files) == 1 and next(iter(files)).endswith(".parquet")
    stored = _stored(db)
    assert len(stored) == 3000
    np.testing.assert_array_equal(np.array([stored[h] for h in hashes], dtype=np.float32), vectors)
    # the file itself does not hold them: 3000 x 384 floats are 4.6 MB, the database a fraction of it
    assert db.stat().st_size < 3 * 1024 * 1024
    assert sum(p.stat().st_size for p in vectors_dir(db).iterdir()) > 4_000_000
    # the store's own queries read them through the view, from any cursor
    store = Store.open_read(db)
    try:
        cur = store.cursor()
        assert cur.query_value("SELECT count(*) FROM embeddings WHERE model = 'm'") == 3000
        assert store.vector_storage()["vectors"].tolist() == [3000]
        assert store.vector_folder() == str(vectors_dir(db))
    finally:
        store.close()


def test_a_text_already_stored_is_not_stored_twice(tmp_path):
    db = tmp_path / "a.duckdb"
    hashes, vectors = _vectors(10)
    with Store.write(db) as store:
        store.add_embeddings("m", hashes[:6], vectors[:6])
        # four new, six known, one repeated inside the call: four added
        assert store.add_embeddings("m", hashes + [hashes[-1]], np.vstack([vectors, vectors[-1:]])) == 4
        assert store.add_embeddings("other", hashes[:2], vectors[:2]) == 2  # another key is another vector
        assert store.add_embeddings("m", hashes[:3], vectors[:3]) == 0
    assert len(_stored(db)) == 10 and len(_stored(db, "other")) == 2


def test_a_reader_keeps_the_state_it_opened_while_a_write_adds_segments(tmp_path):
    db = tmp_path / "a.duckdb"
    hashes, vectors = _vectors(40)
    with Store.write(db) as store:
        store.add_embeddings("m", hashes[:20], vectors[:20])
    reader = Store.open_read(db)
    try:
        with Store.write(db) as store:
            store.add_embeddings("m", hashes[20:], vectors[20:])
            # not yet published: neither the old reader nor a new one sees the new segment
            assert reader.query_value("SELECT count(*) FROM embeddings") == 20
            assert len(_stored(db)) == 20
        assert reader.query_value("SELECT count(*) FROM embeddings") == 20  # its state, read to the end
    finally:
        reader.close()
    assert len(_stored(db)) == 40


def test_a_killed_write_resumes_with_its_segments_and_a_discarded_one_leaves_no_file(tmp_path):
    db = tmp_path / "a.duckdb"
    hashes, vectors = _vectors(30)
    with Store.write(db) as store:
        store.add_embeddings("m", hashes[:10], vectors[:10])
    published = _files(db)
    # A build killed after committing one chunk of vectors (in a process of its own, killed hard).
    code = ("import sys, os, numpy as np\nfrom app.store import Store\n"
            "rng = np.random.default_rng(0)\n"
            f"with Store.write({str(db)!r}) as store:\n"
            f"    store.add_embeddings('m', ['k%d' % i for i in range(10)], np.ones((10, 8), dtype=np.float32))\n"
            "    os._exit(9)\n")
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=False)
    assert pending_work(db) is not None
    assert len(_stored(db)) == 10  # the published state does not list the killed write's segment
    assert len(_files(db)) == len(published) + 1
    with Store.write(db) as store:  # the rerun resumes: the chunk it committed is there
        assert store.query_value("SELECT count(*) FROM embeddings WHERE text_hash LIKE 'k%'") == 10
        store.add_embeddings("m", hashes[10:], vectors[10:])
    assert len(_stored(db)) == 40
    # Another killed write, this time discarded: its file is deleted by the next write that starts afresh.
    code = code.replace("'k%d'", "'z%d'")
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=False)
    orphan = _files(db) - {f for f in _files(db) if f in _listed(db)}
    assert len(orphan) == 1
    discard_pending(db)
    with Store.write(db, "edit", resumable=False) as store:
        store.finish_run(store.start_run("edit", {}), {})
    assert not (orphan & _files(db))
    assert _files(db) == _listed(db)
    assert len(_stored(db)) == 40


def _listed(db: Path) -> set[str]:
    store = Store.open_read(db)
    try:
        return set(store.query("SELECT file FROM vector_segments")["file"])
    finally:
        store.close()


def test_small_segments_are_merged_and_the_old_files_outlive_their_readers(tmp_path, monkeypatch):
    db = tmp_path / "a.duckdb"
    monkeypatch.setattr(segments, "COMPACT_AT", 4)
    hashes, vectors = _vectors(70)
    with Store.write(db) as store:
        for start in range(0, 30, 10):
            store.add_embeddings("m", hashes[start:start + 10], vectors[start:start + 10])
    assert len(_listed(db)) == 3
    reader = Store.open_read(db)  # on the state with three small segments
    try:
        with Store.write(db) as store:
            store.add_embeddings("m", hashes[30:40], vectors[30:40])  # the fourth: the four are merged
        assert len(_listed(db)) == 1
        stored = _stored(db)
        assert len(stored) == 40
        np.testing.assert_array_equal(np.array([stored[h] for h in hashes[:40]], dtype=np.float32), vectors[:40])
        # the merged files are retired, not deleted: the reader on the old state still reads them after
        # another write
        with Store.write(db) as store:
            store.add_embeddings("m", hashes[40:50], vectors[40:50])
        assert reader.query_value("SELECT count(*) FROM embeddings") == 30
    finally:
        reader.close()
    assert len(_files(db)) == 1 + 4 + 1
    # once the grace time has passed, the next fresh write deletes them
    monkeypatch.setattr(segments, "RETIRED_GRACE_S", 0)
    with Store.write(db, "edit", resumable=False) as store:
        store.finish_run(store.start_run("edit", {}), {})
    assert _files(db) == _listed(db) and len(_files(db)) == 2
    assert len(_stored(db)) == 50


def test_dropping_a_models_vectors_unlists_its_segments(tmp_path):
    db = tmp_path / "a.duckdb"
    hashes, vectors = _vectors(12)
    with Store.write(db) as store:
        store.add_embeddings("old", hashes, vectors)
        store.add_embeddings("new", hashes, vectors)
        assert store.drop_vectors("old") == 12
        assert store.query_value("SELECT count(*) FROM embeddings WHERE model = 'old'") == 0
    assert len(_stored(db, "old")) == 0 and len(_stored(db, "new")) == 12


def test_a_copy_without_the_folder_is_reported_and_the_next_build_embeds_again(hashed_sample_db, tmp_path):
    from app.config import load_settings
    from app.pipeline import build
    from tests.conftest import HASHED_MODEL

    whole, bare = tmp_path / "whole.duckdb", tmp_path / "bare.duckdb"
    copy_database(hashed_sample_db, whole)
    assert _files(whole) == _files(hashed_sample_db)
    expected = _stored(whole, HASHED_MODEL)
    bare.write_bytes(hashed_sample_db.read_bytes())  # the file alone
    store = Store.open_read(bare)
    try:
        missing = store.missing_vector_segments()
        assert len(missing) == 1 and missing[0][1] == HASHED_MODEL
        assert store.query_value("SELECT count(*) FROM embeddings") == 0
    finally:
        store.close()
    report = build(bare, load_settings(env={}, db=bare, model=HASHED_MODEL))
    assert report.embedded_texts == len(expected)
    assert any("missing" in note for note in report.notes)
    assert _stored(bare, HASHED_MODEL) == expected
    store = Store.open_read(bare)
    try:
        assert store.missing_vector_segments() == []
    finally:
        store.close()


def test_a_database_with_its_vectors_inside_is_moved_to_segments_by_the_next_write(tmp_path):
    db = tmp_path / "old.duckdb"
    hashes, vectors = _vectors(5000, dim=64)
    with Store.write(db) as store:
        store.add_embeddings("m", hashes, vectors)
        store.add_embeddings("n", hashes[:100], vectors[:100])
        undo_latest_migration(store.conn, through=25)  # as written before segments: the vectors in a table
    for p in vectors_dir(db).iterdir():
        p.unlink()
    raw = duckdb.connect(str(db), read_only=True)
    assert raw.execute("SELECT count(*) FROM embeddings").fetchall() == [(5100,)]
    raw.close()
    size = db.stat().st_size
    out = subprocess.run(
        [sys.executable, "-c", f"from app.store import Store\nwith Store.write({str(db)!r}): pass"],
        cwd=ROOT, capture_output=True, text=True, check=True)
    assert "moving vectors into" in out.stderr and "5,100 of 5,100" in out.stderr
    assert "rewrote the database" in out.stderr
    stored = _stored(db)
    np.testing.assert_array_equal(np.array([stored[h] for h in hashes], dtype=np.float32), vectors)
    assert len(_stored(db, "n")) == 100
    assert db.stat().st_size < size  # the vectors' blocks did not stay behind in the file
    raw = duckdb.connect(str(db), read_only=True)  # any DuckDB client still opens the public views
    try:
        assert raw.execute("SELECT count(*) FROM frame_summary").fetchall() == [(0,)]
        tables = {r[0] for r in raw.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        assert "embeddings" not in tables and "vector_segments" in tables
    finally:
        raw.close()


def test_a_small_write_does_not_copy_the_vectors(tmp_path):
    """The work copy a writer makes is the file alone: its size does not follow the vectors'."""
    db = tmp_path / "a.duckdb"
    with Store.write(db) as store:
        for seed in range(4):
            hashes, vectors = _vectors(20_000, dim=384, seed=seed)
            store.add_embeddings("m", hashes, vectors)
    folder = sum(p.stat().st_size for p in vectors_dir(db).iterdir())
    assert folder > 120_000_000
    assert db.stat().st_size < folder / 20
    with Store.write(db, "edit", resumable=False) as store:
        store.finish_run(store.start_run("edit", {}), {})
    assert db.stat().st_size < folder / 20  # still: the write's copy of the file left the vectors where they were
    assert len(_stored(db)) == 80_000
    assert os.path.exists(vectors_dir(db))
