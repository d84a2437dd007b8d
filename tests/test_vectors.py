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


def _everything(db: Path) -> set[str]:
    folder = vectors_dir(db)
    return {p.name for p in folder.iterdir()} if folder.is_dir() else set()


def _files(db: Path) -> set[str]:
    """The segment files in the folder (their sidecars and unfinished files left out)."""
    return {name for name in _everything(db) if name.endswith(".parquet")}


def test_vectors_go_to_a_segment_beside_the_file_and_read_back_exactly(tmp_path):
    db = tmp_path / "a.duckdb"
    hashes, vectors = _vectors(3000, dim=384)
    with Store.write(db) as store:
        assert store.add_embeddings("m", hashes, vectors) == 3000
    files = _files(db)
    assert len(files) == 1 and _everything(db) == files | {f + ".f32" for f in files}
    # beside it, its fixed-width sidecar: the vectors as raw little-endian float32, in the segment's row order
    sidecar = np.fromfile(vectors_dir(db) / (next(iter(files)) + ".f32"), dtype="<f4").reshape(-1, 384)
    np.testing.assert_array_equal(sidecar, vectors[np.argsort(hashes)])
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


def _small_segments(tmp_path, monkeypatch, total: int, stored: int):
    """A database whose model "m" got ``stored`` of ``total`` vectors in segments of ten, merged at four."""
    db = tmp_path / "a.duckdb"
    monkeypatch.setattr(segments, "COMPACT_AT", 4)
    hashes, vectors = _vectors(total)
    with Store.write(db) as store:
        for start in range(0, stored, 10):
            store.add_embeddings("m", hashes[start:start + 10], vectors[start:start + 10])
    return db, hashes, vectors


def test_small_segments_are_merged_and_the_old_files_outlive_their_readers(tmp_path, monkeypatch):
    db, hashes, vectors = _small_segments(tmp_path, monkeypatch, 70, 30)
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


# -- reading some texts' vectors through the segments' fixed-width sidecars ---------------------------------
def _scanned(store, model: str, hashes: list[str]) -> dict[str, np.ndarray]:
    """What the view gives for ``hashes``: the Parquet scan the store's reads used before the sidecars."""
    rows = store.query("""SELECT text_hash, vector FROM embeddings
                          WHERE model = ? AND text_hash IN (SELECT unnest(?::VARCHAR[]))""", [model, hashes])
    return {h: np.asarray(v, dtype=np.float32) for h, v in zip(rows["text_hash"], rows["vector"])}


def _read(store, model: str, hashes) -> dict[str, np.ndarray]:
    found, matrix = segments.read(store.conn, model, hashes)
    assert len(found) == len(set(found)) == len(matrix) and matrix.dtype == np.float32
    return dict(zip(found, matrix))


def _same(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> None:
    assert sorted(a) == sorted(b)
    for h in a:
        np.testing.assert_array_equal(a[h], b[h])


def _asks(hashes: list[str], seed: int = 1) -> list[list[str]]:
    rng = np.random.default_rng(seed)
    some = [hashes[i] for i in rng.choice(len(hashes), size=len(hashes) // 3, replace=False)]
    return [some, some + ["not-stored", "nor-this"], some[:50] * 3 + some[::7], ["not-stored"], hashes]


def _write_segments(db: Path, monkeypatch, n: int = 2000, parts: int = 4, dim: int = 24) -> list[str]:
    """``parts`` segments of model m (and one of model other), with row groups of 64 rows."""
    monkeypatch.setattr(segments, "ROW_GROUP", 64)
    hashes, vectors = _vectors(n, dim=dim, seed=3)
    order = np.random.default_rng(4).permutation(n)  # segments whose hashes interleave
    with Store.write(db) as store:
        for part in np.array_split(order, parts):
            store.add_embeddings("m", [hashes[i] for i in part], vectors[part])
        store.add_embeddings("other", hashes[:100], vectors[:100] + 1)
    return hashes


def test_read_gives_what_the_view_gives_each_text_once(tmp_path, monkeypatch):
    db = tmp_path / "a.duckdb"
    hashes = _write_segments(db, monkeypatch)
    assert len(_files(db)) == 5 and _everything(db) == _files(db) | {f + ".f32" for f in _files(db)}
    store = Store.open_read(db)
    try:
        for ask in _asks(hashes):
            _same(_read(store, "m", ask), _scanned(store, "m", ask))
            _same(_read(store, "other", ask), _scanned(store, "other", ask))
        # the order a scan gives (segment by segment), the asked order whatever it is
        found, _ = segments.read(store.conn, "m", list(reversed(hashes)))
        assert found == segments.read(store.conn, "m", hashes)[0] == store.query(
            "SELECT text_hash FROM embeddings WHERE model = 'm'")["text_hash"].tolist()
        # nothing asked, nothing found, a model without vectors
        found, matrix = segments.read(store.conn, "m", [])
        assert found == [] and matrix.shape == (0, 24) and matrix.dtype == np.float32
        found, matrix = segments.read(store.conn, "m", ["not-stored"])
        assert found == [] and matrix.shape == (0, 24)
        found, matrix = segments.read(store.conn, "nobody", hashes[:10])
        assert found == [] and matrix.shape == (0, 0)
        # the store's reads of given texts go through it
        chunks = list(store.vector_chunks("m", 300, only=hashes[:1000] + hashes[:10]))
        assert [len(h) for h, _ in chunks] == [300, 300, 300, 100]
        _same({h: v for hs, m in chunks for h, v in zip(hs, m)}, _scanned(store, "m", hashes[:1000]))
        assert store.vector_storage()["sidecar_bytes"].tolist() == [2000 * 24 * 4, 100 * 24 * 4]
    finally:
        store.close()


def test_a_text_stored_in_two_segments_is_read_once(tmp_path, monkeypatch):
    db = tmp_path / "a.duckdb"
    hashes = _write_segments(db, monkeypatch, parts=2)
    with Store.write(db, "edit", resumable=False) as store:
        # a second listing of the same vectors under another name (what no write makes, but a reader must bear)
        first = store.query("SELECT file, rows, dim, bytes FROM vector_segments WHERE model = 'm' "
                            "ORDER BY created_at, file").iloc[0]
        folder = vectors_dir(db)
        for suffix in ("", ".f32"):
            (folder / ("copy-" + first["file"] + suffix)).write_bytes((folder / (first["file"] + suffix)).read_bytes())
        store.conn.execute("INSERT INTO vector_segments VALUES (?, 'm', ?, ?, ?, now()::TIMESTAMP)",
                           ["copy-" + first["file"], int(first["rows"]), int(first["dim"]), int(first["bytes"])])
        segments.refresh_view(store.conn)
        assert store.query_value("SELECT count(*) FROM embeddings WHERE model = 'm'") == 2000 + first["rows"]
        for ask in _asks(hashes):
            _same(_read(store, "m", ask), _scanned(store, "m", ask))


def test_a_segment_without_its_sidecar_or_with_a_short_one_is_read_from_its_file(tmp_path, monkeypatch):
    db = tmp_path / "a.duckdb"
    hashes = _write_segments(db, monkeypatch)
    folder = vectors_dir(db)
    files = sorted(_listed(db) - {f for f in _listed(db) if f.startswith("other")})
    (folder / (files[0] + ".f32")).unlink()
    with open(folder / (files[1] + ".f32"), "r+b") as fh:
        fh.truncate(fh.seek(0, 2) - 4)
    with open(folder / (files[2] + ".f32"), "ab") as fh:
        fh.write(b"\0" * 96)  # a row too many
    store = Store.open_read(db)
    try:
        for ask in _asks(hashes):
            _same(_read(store, "m", ask), _scanned(store, "m", ask))
    finally:
        store.close()
    # a reader writes no sidecar
    assert not (folder / (files[0] + ".f32")).exists()
    # the next write replaces the missing and the wrong ones, saying so
    out = subprocess.run(
        [sys.executable, "-c", f"from app.store import Store\nwith Store.write({str(db)!r}, 'edit', resumable=False): pass"],
        cwd=ROOT, capture_output=True, text=True, check=True)
    assert "writing vector sidecars: 3 of 3 segments" in out.stderr
    listed = _segment_rows(db)
    rows = dict(zip(listed["file"], listed["rows"]))
    for f in files:
        assert (folder / (f + ".f32")).stat().st_size == rows[f] * 24 * 4
    store = Store.open_read(db)
    try:
        _same(_read(store, "m", hashes), _scanned(store, "m", hashes))
    finally:
        store.close()


def _segment_rows(db: Path):
    store = Store.open_read(db)
    try:
        return store.query("SELECT file, rows FROM vector_segments")
    finally:
        store.close()


def test_an_archive_written_before_sidecars_gets_them_on_its_next_write(tmp_path, monkeypatch):
    db = tmp_path / "a.duckdb"
    hashes = _write_segments(db, monkeypatch)
    for sidecar in vectors_dir(db).glob("*.f32"):
        sidecar.unlink()
    store = Store.open_read(db)
    try:
        before = _read(store, "m", hashes)  # read from the segments themselves
        _same(before, _scanned(store, "m", hashes))
    finally:
        store.close()
    assert not list(vectors_dir(db).glob("*.f32"))
    out = subprocess.run(
        [sys.executable, "-c", f"from app.store import Store\nwith Store.write({str(db)!r}, 'edit', resumable=False): pass"],
        cwd=ROOT, capture_output=True, text=True, check=True)
    assert "writing vector sidecars: 1 of 5 segments" in out.stderr and "5 of 5 segments" in out.stderr
    assert _everything(db) == _files(db) | {f + ".f32" for f in _files(db)}
    store = Store.open_read(db)
    try:
        _same(_read(store, "m", hashes), before)
        _same(_read(store, "other", hashes), _scanned(store, "other", hashes))
    finally:
        store.close()
    # and the write after that has nothing to write
    out = subprocess.run(
        [sys.executable, "-c", f"from app.store import Store\nwith Store.write({str(db)!r}, 'edit', resumable=False): pass"],
        cwd=ROOT, capture_output=True, text=True, check=True)
    assert "sidecars" not in out.stderr


def test_a_write_killed_while_writing_a_sidecar_leaves_part_files_the_next_fresh_write_deletes(tmp_path):
    db = tmp_path / "a.duckdb"
    hashes, vectors = _vectors(30)
    with Store.write(db) as store:
        store.add_embeddings("m", hashes[:10], vectors[:10])
    # killed between writing a sidecar and renaming it: the segment itself is still a .part too
    code = ("import os, numpy as np\nfrom app.store import Store\n"
            "real = os.replace\n"
            "def dying(src, dst):\n"
            "    if str(src).endswith('.f32.part'):\n"
            "        os._exit(9)\n"
            "    real(src, dst)\n"
            "os.replace = dying\n"
            f"with Store.write({str(db)!r}) as store:\n"
            "    store.add_embeddings('m', ['k%d' % i for i in range(10)], np.ones((10, 8), dtype=np.float32))\n")
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=False)
    left = _everything(db) - _files(db) - {f + ".f32" for f in _files(db)}
    assert len(left) == 2 and all(n.endswith(".part") for n in left)
    # an orphan sidecar too (its segment gone by hand)
    orphan = vectors_dir(db) / "m-20000101T000000-000000000000.parquet.f32"
    orphan.write_bytes(b"\0" * 32)
    discard_pending(db)
    with Store.write(db, "edit", resumable=False) as store:
        store.finish_run(store.start_run("edit", {}), {})
    assert _everything(db) == _listed(db) | {f + ".f32" for f in _listed(db)}
    assert len(_stored(db)) == 10


def test_a_copy_carries_the_sidecars(tmp_path, monkeypatch):
    db, copy = tmp_path / "a.duckdb", tmp_path / "b.duckdb"
    hashes = _write_segments(db, monkeypatch)
    copy_database(db, copy)
    assert _everything(copy) == _everything(db) and any(n.endswith(".f32") for n in _everything(copy))
    store = Store.open_read(copy)
    try:
        _same(_read(store, "m", hashes[:500]), _scanned(store, "m", hashes[:500]))
    finally:
        store.close()


def test_compaction_writes_the_merged_segments_sidecars_and_a_retired_ones_goes_with_it(tmp_path, monkeypatch):
    db, hashes, vectors = _small_segments(tmp_path, monkeypatch, 60, 40)
    merged = _listed(db)
    assert len(merged) == 1 and len(_files(db)) == 5
    assert _everything(db) == _files(db) | {f + ".f32" for f in _files(db)}  # the retired ones keep theirs a while
    store = Store.open_read(db)
    try:
        _same(_read(store, "m", hashes), _scanned(store, "m", hashes))
        assert len(_read(store, "m", hashes)) == 40
    finally:
        store.close()
    monkeypatch.setattr(segments, "RETIRED_GRACE_S", 0)
    with Store.write(db, "edit", resumable=False) as store:
        store.finish_run(store.start_run("edit", {}), {})
    assert _everything(db) == merged | {f + ".f32" for f in merged}
