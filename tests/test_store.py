import datetime as dt
import multiprocessing as mp
import os
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pytest

from app.store import (NothingToPublish, Store, StoreBusy, StoreMissing, StorePending, discard_pending, file_version,
                       has_pending_work, pending_work)
from app.store.db import StoreError, one_thread_if_short
from app.store.schema import MIGRATIONS, PUBLIC_VIEWS
from tests.conftest import undo_latest_migration
from tests.writers import hold_lock


def _add_outlet(store, name: str) -> None:
    store.add_outlets(pd.DataFrame({"outlet_id": [name.lower()], "name": [name], "domain": [None]}))


def test_migrations_are_recorded_and_idempotent(memory_store):
    from app.store.db import migrate

    versions = memory_store.query("SELECT version FROM schema_migrations ORDER BY 1")["version"].tolist()
    assert versions == [m[0] for m in MIGRATIONS]
    assert migrate(memory_store.conn) == []


def test_public_views_exist_and_export_their_columns(memory_store):
    views = set(memory_store.query("SELECT view_name FROM duckdb_views() WHERE NOT internal")["view_name"])
    assert set(PUBLIC_VIEWS) <= views
    for view in PUBLIC_VIEWS:
        table = memory_store.export(view)
        assert isinstance(table, pa.Table), view
        assert table.num_rows == 0, view  # a new store has no frames
        columns = memory_store.query(f"DESCRIBE {view}")["column_name"].tolist()
        assert columns and table.column_names == columns, view


def test_export_refuses_unknown_names(memory_store):
    from app.store import StoreError

    with pytest.raises(StoreError, match="exportable"):
        memory_store.export("articles; DROP TABLE articles")


def test_reading_a_missing_database_says_what_to_do(tmp_path):
    with pytest.raises(StoreMissing, match="narratives ingest"):
        Store.open_read(tmp_path / "none.duckdb")


def test_write_publishes_atomically(tmp_path):
    db = tmp_path / "a.duckdb"
    with Store.write(db) as store:
        _add_outlet(store, "O")
        assert not db.exists()  # nothing published until the block succeeds
    assert db.exists() and not has_pending_work(db)
    reader = Store.open_read(db)
    assert reader.outlet_names() == ["O"]
    reader.close()


def test_failed_write_leaves_published_state_and_resumes(tmp_path):
    db = tmp_path / "a.duckdb"
    with Store.write(db) as store:
        _add_outlet(store, "A")
    before = file_version(db)
    with pytest.raises(RuntimeError):
        with Store.write(db) as store:
            _add_outlet(store, "B")
            raise RuntimeError("crash")
    assert file_version(db) == before
    assert has_pending_work(db)
    r = Store.open_read(db)
    assert r.outlet_names() == ["A"]
    r.close()
    with Store.write(db) as store:  # resumes from the committed work
        assert sorted(store.outlet_names()) == ["A", "B"]
    r = Store.open_read(db)
    assert r.outlet_names() == ["A", "B"]
    r.close()


def test_interrupted_write_is_resumed_only_by_a_write_of_its_kind(tmp_path):
    """A build killed half-way must not be published by the next ingest (its frames would have no
    lineage and no evidence, and nothing would say so); the build itself resumes it."""
    db = tmp_path / "a.duckdb"
    with Store.write(db, "ingest a.jsonl") as store:
        _add_outlet(store, "A")
    before = file_version(db)
    with pytest.raises(RuntimeError):
        with Store.write(db, "build") as store:
            _add_outlet(store, "Half")
            raise RuntimeError("killed")
    assert pending_work(db)["purpose"] == "build"
    for other in ("ingest b.jsonl", "edit 3", "upgrade"):
        with pytest.raises(StorePending, match=r"interrupted build.*narratives build.*status --discard"):
            with Store.write(db, other) as store:
                _add_outlet(store, "Other")
    assert file_version(db) == before and pending_work(db)["purpose"] == "build"
    with Store.write(db, "build") as store:
        assert sorted(store.outlet_names()) == ["A", "Half"]
    assert not has_pending_work(db)


def test_interrupted_ingest_names_its_files_and_can_be_dropped(tmp_path):
    db = tmp_path / "a.duckdb"
    with Store.write(db, "ingest a.jsonl") as store:
        _add_outlet(store, "A")
    with pytest.raises(RuntimeError):
        with Store.write(db, "ingest 'big file.jsonl'") as store:
            _add_outlet(store, "Half")
            raise RuntimeError("killed")
    with pytest.raises(StorePending, match=r"narratives ingest 'big file.jsonl'"):
        with Store.write(db, "ingest other.jsonl"):
            pass
    assert discard_pending(db)["purpose"] == "ingest 'big file.jsonl'"
    assert not has_pending_work(db) and discard_pending(db) is None
    with Store.write(db, "ingest other.jsonl") as store:
        assert store.outlet_names() == ["A"]


def test_nothing_to_publish_drops_the_work(tmp_path):
    db = tmp_path / "new.duckdb"
    with pytest.raises(NothingToPublish):
        with Store.write(db, "ingest x.csv") as store:
            _add_outlet(store, "A")
            raise NothingToPublish("nothing read")
    assert not db.exists() and not has_pending_work(db)
    assert sorted(p.name for p in tmp_path.iterdir()) in ([], ["new.duckdb.lock"])


def test_stale_work_copy_is_discarded_when_published_file_changed(tmp_path):
    db = tmp_path / "a.duckdb"
    with Store.write(db) as store:
        _add_outlet(store, "A")
    with pytest.raises(RuntimeError):
        with Store.write(db) as store:
            _add_outlet(store, "B")
            raise RuntimeError("crash")
    # Someone replaces the published file by another state.
    other = tmp_path / "other.duckdb"
    with Store.write(other) as store:
        _add_outlet(store, "Z")
    os.replace(other, db)
    with Store.write(db) as store:
        assert store.outlet_names() == ["Z"]


def test_second_writer_is_told_to_wait(tmp_path):
    db = tmp_path / "a.duckdb"
    ctx = mp.get_context("spawn")
    ready, release = ctx.Event(), ctx.Event()
    p = ctx.Process(target=hold_lock, args=(db, ready, release))
    p.start()
    try:
        assert ready.wait(30)
        with pytest.raises(StoreBusy, match="wait for it to finish"):
            with Store.write(db):
                pass
    finally:
        release.set()
        p.join(30)


def test_reader_keeps_its_snapshot_and_a_new_open_sees_the_swap(tmp_path):
    db = tmp_path / "a.duckdb"
    with Store.write(db) as store:
        _add_outlet(store, "A")
    old = Store.open_read(db)
    with Store.write(db) as store:
        _add_outlet(store, "B")
    assert old.outlet_names() == ["A"]  # consistent old snapshot, no error
    new = Store.open_read(db)
    assert new.outlet_names() == ["A", "B"]
    old.close()
    new.close()


def test_published_file_opens_in_any_duckdb_client(tmp_path):
    db = tmp_path / "a.duckdb"
    with Store.write(db) as store:
        _add_outlet(store, "A")
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT count(*) FROM frame_summary").fetchall() == [(0,)]
    con.close()


def test_an_older_database_is_named_and_upgraded_by_the_next_write(tmp_path, capsys):
    from app.store import StoreError
    from app.store.schema import MIGRATIONS

    db = tmp_path / "old.duckdb"
    with Store.write(db) as store:
        undo_latest_migration(store.conn)
    assert "upgrading" not in capsys.readouterr().err  # a new database takes every migration silently
    with pytest.raises(StoreError, match="run `narratives build"):
        Store.open_read(db)
    with Store.write(db):
        pass
    err = capsys.readouterr().err  # an upgrade says what it does, and how long it took
    assert f"upgrading the database to schema {MIGRATIONS[-1][0]}: " in err
    assert f"upgraded to schema {MIGRATIONS[-1][0]} in " in err
    Store.open_read(db).close()


def test_articles_naming_finds_a_name_in_any_case_and_spacing(memory_store):
    from app.outlets import names_pattern

    texts = ["As first reported by the  Daily\nPlanet, troops moved.", "Nothing here.", None]
    memory_store.add_articles(pd.DataFrame({
        "article_id": [f"a{i}" for i in range(3)], "outlet_id": "o", "text": texts,
        "published_at": dt.datetime(2026, 1, 1), "content_hash": [f"h{i}" for i in range(3)],
        "ingested_at": dt.datetime(2026, 1, 2)}))
    assert memory_store.articles_naming(names_pattern(["Daily Planet"])) == {"a0"}
    assert memory_store.articles_naming(names_pattern(["daily planet", "Nothing"])) == {"a0", "a1"}
    assert memory_store.articles_naming(names_pattern(["Daily Planet (Web)"])) == set()
    assert memory_store.articles_naming(names_pattern([])) == set()


def test_copy_cache_from_takes_another_databases_vectors_and_cues(tmp_path):
    import numpy as np

    source, target = tmp_path / "source.duckdb", tmp_path / "target.duckdb"
    with Store.write(source) as store:
        store.add_embeddings("m", ["h1", "h2"], np.eye(2, dtype=np.float32))
        store.add_cues(pd.DataFrame({"text_hash": ["h1"], "kind": ["material"], "subtype": ["video"],
                                     "start_char": [0], "end_char": [5], "span": ["video"], "source": [None]})
                       .astype({"start_char": "int32", "end_char": "int32"}), ["h1", "h2"], 2)
        # as an earlier version left it: its cued texts without the signatures of their cues (schema 33)
        undo_latest_migration(store.conn)
    with Store.write(target) as store:
        store.add_embeddings("m", ["h1"], np.ones((1, 2), dtype=np.float32))
        store.copy_cache_from(source)
        store.copy_cache_from(source)  # again: nothing twice
    store = Store.open_read(target)
    try:
        vectors = store.query("SELECT text_hash, vector FROM embeddings ORDER BY text_hash")
        assert vectors["text_hash"].tolist() == ["h1", "h2"]
        assert list(vectors["vector"][0]) == [1.0, 1.0]  # its own vector is kept
        assert store.query_value("SELECT count(*) FROM cues") == 1
        assert store.query_value("SELECT count(*) FROM cued_texts") == 2
        # each text with its cues' signature, as the cue stage keeps it: the source's own is not read
        signed = store.query("""SELECT t.text_hash, t.cue_sum, t.cue_count, t.ledger,
                                       hash('material', 'video', 0::INTEGER, 5::INTEGER, 'video', '') AS own
                                FROM cued_texts t ORDER BY t.text_hash""")
        assert signed["cue_count"].fillna(0).tolist() == [1, 0] and signed["cue_count"].isna().tolist() == [False, True]
        assert signed["cue_sum"].isna().tolist() == [False, True] and signed["cue_sum"][0] == signed["own"][0]
        assert signed["ledger"].tolist() == [True, False]
    finally:
        store.close()


@pytest.mark.parametrize("tz", ["Asia/Tokyo", "America/Los_Angeles", "Pacific/Kiritimati", "UTC"])
def test_stored_times_are_utc_whatever_the_machines_time_zone(tz, tmp_path):
    """Run records (``now()`` in the database) and ingested articles (UTC from Python) must agree, or an
    incremental build under TZ=Asia/Tokyo takes a new week's articles for old ones."""
    import subprocess
    import sys

    code = ("import datetime as dt, sys\n"
            "from app.store import Store\n"
            "with Store.write(sys.argv[1]) as s:\n"
            "    before = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)\n"
            "    run = s.start_run('probe', {})\n"
            "    started = s.query_value('SELECT started_at FROM runs WHERE run_id = ?', [run])\n"
            "    print(abs((started - before).total_seconds()))\n")
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path / "tz.duckdb")], capture_output=True, text=True,
                         env={**os.environ, "TZ": tz}, cwd=Path(__file__).resolve().parent.parent, timeout=120)
    assert out.returncode == 0, out.stderr
    assert float(out.stdout.strip()) < 60, (tz, out.stdout)


def test_a_failed_short_write_leaves_nothing_to_resume(tmp_path):
    db = tmp_path / "a.duckdb"
    with Store.write(db) as store:
        _add_outlet(store, "A")
    with pytest.raises(ValueError):
        with Store.write(db, "edit 3", resumable=False) as store:
            _add_outlet(store, "B")
            raise ValueError("no such frame")
    assert not has_pending_work(db)
    with Store.write(db, "ingest x.csv") as store:
        assert store.outlet_names() == ["A"]


def _reflink_dirs(tmp_path: Path) -> list[Path]:
    """tmp_path, and a folder on a file system with reference links when NARRATIVES_TEST_REFLINK_DIR names one
    (a Btrfs or XFS mount: the work copy is then a clone)."""
    extra = os.environ.get("NARRATIVES_TEST_REFLINK_DIR")
    return [tmp_path] + ([Path(extra)] if extra else [])


def test_the_work_copy_is_a_clone_where_the_file_system_allows_and_a_copy_elsewhere(tmp_path):
    from app.store.db import clone_file

    for i, folder in enumerate(_reflink_dirs(tmp_path)):
        db = folder / f"clone-{os.getpid()}-{i}.duckdb"
        try:
            with Store.write(db, "build") as store:
                store.add_embeddings("m", [f"h{j}" for j in range(500)], pd.DataFrame(
                    {"v": range(500)}).to_numpy(dtype="float32").repeat(8, axis=1))
            work = db.with_name(db.name + ".copy")
            how = clone_file(db, work)
            assert how in ("clone", "copy")
            if folder != tmp_path:
                assert how == "clone", f"{folder} was named as a file system with reference links"
            assert work.read_bytes() == db.read_bytes()
            # DuckDB writing the copy in place leaves the published file as it was (a clone shares blocks, not
            # writes)
            published = db.read_bytes()
            conn = duckdb.connect(str(work))
            conn.execute("CREATE TABLE scratch AS SELECT range AS x FROM range(100000)")
            conn.execute("CHECKPOINT")
            conn.close()
            assert db.read_bytes() == published and work.read_bytes() != published
            # and the write protocol, which makes its work copy this way, publishes what it wrote
            with Store.write(db, "build") as store:
                store.add_embeddings("m", ["extra"], pd.DataFrame({"v": [1.0] * 8}).to_numpy(dtype="float32").T)
            reader = Store.open_read(db)
            try:
                assert reader.query_value("SELECT count(*) FROM embeddings") == 501
            finally:
                reader.close()
        finally:
            for p in folder.glob(f"clone-{os.getpid()}-{i}.duckdb*"):
                shutil.rmtree(p) if p.is_dir() else p.unlink()


def _work_copy_made(db: Path) -> str | None:
    """How the running write made its work copy (its marker says)."""
    import json

    return json.loads(db.with_name(db.name + ".work.base").read_text()).get("copy")


def _hold_open_read(db: Path, ready, release) -> None:
    reader = Store.open_read(db)
    try:
        assert reader.outlet_names()
        ready.set()
        release.wait(30)
    finally:
        reader.close()


def _written_with_a_spare(tmp_path: Path, names: str) -> Path:
    """A database written once per outlet of ``names``, which has a spare (skips where clones are made instead)."""
    from app.store.db import spare_path

    db = tmp_path / "a.duckdb"
    for name in names:
        with Store.write(db) as store:
            _add_outlet(store, name)
    if not spare_path(db).exists():
        pytest.skip("reference links here: the work copy is a clone and no spare is kept")
    return db


def test_the_next_write_brings_the_previous_state_up_to_date_instead_of_copying_the_file(tmp_path):
    from app.store.db import spare_path

    db = tmp_path / "a.duckdb"
    spare = spare_path(db)
    with Store.write(db) as store:
        _add_outlet(store, "A")
        assert _work_copy_made(db) is None  # a new database: nothing to copy
    assert not spare.exists()
    with Store.write(db) as store:
        _add_outlet(store, "B")
        assert _work_copy_made(db) in ("copy", "clone")
    how = "clone" if not spare.exists() else "refresh"  # where reference links exist, the clone costs nothing
    for name in "CDE":
        published = db.read_bytes()
        with Store.write(db) as store:
            assert _work_copy_made(db) == how
            work = db.with_name(db.name + ".work")
            assert work.read_bytes() == published or how == "clone"
            _add_outlet(store, name)
        assert spare.exists() == (how == "refresh")
        if how == "refresh":
            assert spare.read_bytes() == published  # the state just replaced, kept under a second name
    reader = Store.open_read(db)
    try:
        assert reader.outlet_names() == ["A", "B", "C", "D", "E"]
    finally:
        reader.close()


def test_the_spare_is_brought_up_to_date_byte_for_byte_writing_only_the_blocks_that_differ(tmp_path):
    import numpy as np

    from app.store.db import SPARE_BLOCK, refresh_spare

    rng = np.random.default_rng(3)
    src, spare = tmp_path / "src", tmp_path / "spare"
    body = rng.integers(0, 256, 10 * SPARE_BLOCK + 123, dtype=np.uint8).tobytes()
    src.write_bytes(body)
    changed = bytearray(body)
    changed[5] ^= 1  # block 0
    changed[7 * SPARE_BLOCK + 9] ^= 1  # block 7
    for extra in (b"", b"x" * (3 * SPARE_BLOCK)):  # the spare as long as the file, and longer
        spare.write_bytes(bytes(changed) + extra)
        assert refresh_spare(src, spare) == 2 * SPARE_BLOCK
        assert spare.read_bytes() == body
    spare.write_bytes(bytes(changed[: 4 * SPARE_BLOCK]))  # shorter: the missing tail is written
    assert refresh_spare(src, spare) == SPARE_BLOCK + (10 * SPARE_BLOCK + 123 - 4 * SPARE_BLOCK)
    assert spare.read_bytes() == body
    assert refresh_spare(src, spare) == 0


@pytest.mark.parametrize("where", ["this process", "another process"])
def test_a_spare_that_a_reader_still_has_open_is_never_written(tmp_path, where):
    db = _written_with_a_spare(tmp_path, "AB")
    # A reader opens the state [A, B]; the next write publishes [A, B, C] and keeps [A, B] as the spare, still
    # open in the reader; the write after that must not bring it up to date under the reader.
    if where == "this process":
        reader = Store.open_read(db)
        release = None
    else:
        ctx = mp.get_context("spawn")
        ready, release = ctx.Event(), ctx.Event()
        reader = ctx.Process(target=_hold_open_read, args=(db, ready, release))
        reader.start()
        assert ready.wait(60)
    held = os.open(db, os.O_RDONLY)  # the reader's state, to compare byte for byte after
    try:
        before = os.pread(held, 1 << 30, 0)
        with Store.write(db) as store:
            _add_outlet(store, "C")
        with Store.write(db) as store:
            assert _work_copy_made(db) == "copy"  # the spare is the reader's: copied whole instead
            _add_outlet(store, "D")
        assert os.pread(held, 1 << 30, 0) == before
        if where == "this process":
            assert reader.outlet_names() == ["A", "B"]
    finally:
        os.close(held)
        if release is None:
            reader.close()
        else:
            release.set()
            reader.join(30)
    with Store.write(db) as store:  # the reader gone, the spare is used again
        assert _work_copy_made(db) == "refresh"
        _add_outlet(store, "E")
    check = Store.open_read(db)
    try:
        assert check.outlet_names() == ["A", "B", "C", "D", "E"]
    finally:
        check.close()


def test_a_cursor_keeps_its_state_pinned_after_the_store_it_came_from_is_gone(tmp_path):
    """The dashboard's queries run on cursors of a cached store, which a newer state replaces while they run."""
    import gc

    db = _written_with_a_spare(tmp_path, "AB")
    base = Store.open_read(db)
    cursor = base.cursor()
    del base
    gc.collect()
    for name in "CD":
        with Store.write(db) as store:
            _add_outlet(store, name)
            if name == "D":
                assert _work_copy_made(db) == "copy"
    assert cursor.outlet_names() == ["A", "B"]
    del cursor
    gc.collect()
    with Store.write(db) as store:
        assert _work_copy_made(db) == "refresh"
        _add_outlet(store, "E")


def test_a_closed_reader_lets_go_of_its_state_at_once(tmp_path):
    db = _written_with_a_spare(tmp_path, "AB")
    reader = Store.open_read(db)
    with Store.write(db) as store:
        _add_outlet(store, "C")
    reader.close()  # still referenced: closing alone lets go of the pin
    with Store.write(db) as store:
        assert _work_copy_made(db) == "refresh"
        _add_outlet(store, "D")
    assert reader is not None


def test_a_reader_is_never_left_open_on_a_file_it_could_not_pin(tmp_path, monkeypatch):
    """A file that keeps changing between the pin and the attach: the open fails instead of reading unpinned."""
    import app.store.db as db_module

    db = tmp_path / "a.duckdb"
    with Store.write(db) as store:
        _add_outlet(store, "A")
    probe = db_module.pin_file(db)
    if probe is None:
        pytest.skip("no open-file-description locks here")
    os.close(probe)
    for check in ("the pin", "the attach"):
        # each pin is checked once, then the attached file once: one or the other always found changed
        calls = iter(range(10**6))
        monkeypatch.setattr(db_module, "same_file",
                            lambda fd, path: next(calls) % 2 == (0 if check == "the attach" else 1))
        with pytest.raises(StoreBusy, match="changed 5 times"):
            Store.open_read(db)


def _killed_while_refreshing(db: str) -> None:
    """A write killed (no cleanup at all) after it wrote the first differing block of the spare."""
    import app.store.db as db_module

    real = os.pwrite

    def pwrite_then_die(fd, data, offset):
        real(fd, data, offset)
        os._exit(9)

    db_module.os.pwrite = pwrite_then_die
    with Store.write(db) as store:
        _add_outlet(store, "never")


def test_a_write_killed_while_it_brings_the_spare_up_to_date_loses_nothing(tmp_path):
    from app.store.db import spare_path

    db = _written_with_a_spare(tmp_path, "ABC")
    published = db.read_bytes()
    child = mp.get_context("spawn").Process(target=_killed_while_refreshing, args=(str(db),))
    child.start()
    child.join(60)
    assert child.exitcode == 9  # it died inside the refresh
    assert db.read_bytes() == published and spare_path(db).exists()  # half brought up to date, nothing published
    with Store.write(db) as store:  # the next write finishes the refresh and works on the right state
        assert _work_copy_made(db) == "refresh"
        assert store.outlet_names() == ["A", "B", "C"]
        _add_outlet(store, "D")
    reader = Store.open_read(db)
    try:
        assert reader.outlet_names() == ["A", "B", "C", "D"]
    finally:
        reader.close()


def _churning_writer(db: str, writes: int, done, made) -> None:
    import json

    try:
        for i in range(writes):
            with Store.write(db) as store:
                made.put(json.loads(Path(db + ".work.base").read_text()).get("copy"))
                _add_outlet(store, f"W{i:03d}")
                # a table written again each time, so that many blocks differ from the spare
                store.conn.execute("CREATE OR REPLACE TABLE churn AS SELECT range AS x FROM range(100000)")
    finally:
        done.set()


def _checking_reader(db: str, done, errors, hold: float) -> None:
    import time

    while not done.is_set():
        try:
            reader = Store.open_read(db)
            try:
                before = reader.outlet_names()
                time.sleep(hold)
                assert reader.query_value("SELECT sum(x) FROM churn") == 99999 * 100000 // 2
                assert reader.outlet_names() == before
            finally:
                reader.close()
        except Exception as exc:  # noqa: BLE001 - every failure is reported to the test
            errors.put(repr(exc)[:300])


def test_readers_in_other_processes_read_whole_states_while_writes_use_the_spare(tmp_path):
    """Three processes open, read, hold and read again while forty writes publish, most of them from the spare."""
    from app.store.db import spare_path

    db = tmp_path / "a.duckdb"
    for name in "AB":
        with Store.write(db) as store:
            _add_outlet(store, name)
            store.conn.execute("CREATE OR REPLACE TABLE churn AS SELECT range AS x FROM range(100000)")
    if not spare_path(db).exists():
        pytest.skip("reference links here: the work copy is a clone and no spare is kept")
    ctx = mp.get_context("spawn")
    done, errors, made = ctx.Event(), ctx.Queue(), ctx.Queue()
    readers = [ctx.Process(target=_checking_reader, args=(str(db), done, errors, hold)) for hold in (0.0, 0.2, 1.0)]
    for r in readers:
        r.start()
    writer = ctx.Process(target=_churning_writer, args=(str(db), 40, done, made))
    writer.start()
    writer.join(300)
    for r in readers:
        r.join(60)
    assert writer.exitcode == 0
    ways = [made.get() for _ in range(40)]
    failures = []
    while not errors.empty():
        failures.append(errors.get())
    assert not failures, failures[:3]
    assert ways.count("refresh") >= 5, ways  # the spare was used, readers beside it
    check = Store.open_read(db)
    try:
        assert len(check.outlet_names()) == 42
    finally:
        check.close()


def test_a_spare_that_is_still_the_published_file_is_never_written(tmp_path):
    """A write stopped between keeping the spare and publishing leaves the spare a second name of the published
    file: the next write copies the file instead of writing over it."""
    from app.store.db import spare_path

    db = tmp_path / "a.duckdb"
    with Store.write(db) as store:
        _add_outlet(store, "A")
    spare = spare_path(db)
    spare.unlink(missing_ok=True)
    os.link(db, spare)
    published = db.read_bytes()
    held = os.open(db, os.O_RDONLY)
    try:
        with Store.write(db) as store:
            assert _work_copy_made(db) in ("copy", "clone")
            _add_outlet(store, "B")
        assert os.pread(held, 1 << 30, 0) == published
    finally:
        os.close(held)


def test_a_read_that_runs_out_of_memory_is_read_again_on_one_thread(capsys):
    """DuckDB's own advice for an out-of-memory query is fewer threads: a per-frame plan that runs out is
    read again on one thread, the setting put back after; any other error is not retried."""
    conn = duckdb.connect()
    conn.execute("SET threads = 2")
    threads = []

    def read(error):
        def run():
            threads.append(conn.execute("SELECT current_setting('threads')").fetchone()[0])
            if len(threads) == 1:
                raise error
            return "read"
        return run

    refused = StoreError("the database refused a statement: Binder Error")
    refused.__cause__ = duckdb.BinderException("Binder Error")
    with pytest.raises(StoreError, match="Binder"):
        one_thread_if_short(conn, read(refused))
    assert threads == [2]
    threads.clear()
    short = StoreError("the database refused a statement: Out of Memory Error")
    short.__cause__ = duckdb.OutOfMemoryException("Out of Memory Error: failed to allocate")
    assert one_thread_if_short(conn, read(short)) == "read"
    assert threads == [2, 1]
    assert conn.execute("SELECT current_setting('threads')").fetchone()[0] == 2
    assert "ran out of memory" in capsys.readouterr().err  # the user learns the budget is tight
    # what it can let go of is released before the second try; a second failure says what held the memory
    threads.clear()
    released = []

    def always_short():
        threads.append(conn.execute("SELECT current_setting('preserve_insertion_order')").fetchone()[0])
        raise short

    with pytest.raises(StoreError, match="on one thread too; DuckDB's memory held by.*memory_budget"):
        one_thread_if_short(conn, always_short, release=lambda: released.append(True))
    assert released == [True] and threads == [True, False]
    assert conn.execute("SELECT current_setting('threads'), current_setting('preserve_insertion_order')").fetchone() \
        == (2, True)


def test_key_indexes_loaded_by_inserts_are_written_out_before_a_large_read(tmp_path):
    """A week's inserts load the tables' key indexes, which stay pinned in DuckDB's memory until a checkpoint:
    the per-frame plans write them out first when they hold more than a threshold, and not otherwise."""
    def held(store):
        return store.query_value("SELECT coalesce(sum(memory_usage_bytes), 0) FROM duckdb_memory() WHERE tag = 'ART_INDEX'")

    with Store.write(tmp_path / "k.duckdb") as store:
        store.conn.execute("CREATE TABLE keyed (k VARCHAR PRIMARY KEY)")
        store.conn.execute("INSERT INTO keyed SELECT 'key-' || i FROM range(300000) t(i)")
        assert held(store) > 2_000_000
        assert not store.release_index_memory(above_mb=10_000)  # under the threshold: nothing done
        assert held(store) > 2_000_000
        with store.transaction():  # inside a transaction nothing is tried (a failed checkpoint would abort it)
            store.conn.execute("INSERT INTO keyed VALUES ('in-transaction')")
            assert not store.release_index_memory(above_mb=1)
            store.conn.execute("INSERT INTO keyed VALUES ('still-usable')")
        assert store.query_value("SELECT count(*) FROM keyed WHERE k IN ('in-transaction', 'still-usable')") == 2
        assert store.release_index_memory(above_mb=1)
        assert held(store) < 1_000_000
        with pytest.raises(duckdb.ConstraintException):  # the key still holds once its index is read back
            store.conn.execute("INSERT INTO keyed VALUES ('key-7')")


def test_a_write_that_leaves_much_free_space_publishes_a_rewritten_file(tmp_path, monkeypatch, capsys):
    """DuckDB never shrinks a file: a write that leaves a third of it free (and more than a floor) publishes
    it rewritten without those blocks, every row, view, index and sequence kept; one under the share does not."""
    import app.store.db as db

    monkeypatch.setattr(db, "COMPACT_FREE_MB", 1)
    path = tmp_path / "c.duckdb"
    with Store.write(path) as store:
        store.conn.execute("CREATE TABLE big AS SELECT i, repeat('x', 200) || i AS t FROM range(200000) r(i)")
        store.conn.execute("CREATE TABLE kept (k VARCHAR PRIMARY KEY)")
        store.conn.execute("INSERT INTO kept VALUES ('a'), ('b')")
    full = path.stat().st_size
    reader = Store.open_read(path)
    run_before = int(reader.query_value("SELECT coalesce(max(run_id), 0) FROM runs"))
    reader.close()
    with Store.write(path) as store:  # a small change: nothing freed, nothing rewritten
        store.conn.execute("INSERT INTO kept VALUES ('c')")
    assert "rewrote" not in capsys.readouterr().err
    with Store.write(path) as store:  # most of the file freed
        store.conn.execute("DROP TABLE big")
        run_id = store.start_run("test", {})
    assert "rewrote the database without its free space" in capsys.readouterr().err
    assert path.stat().st_size < full / 2
    store = Store.open_read(path)
    try:
        assert store.query("SELECT k FROM kept ORDER BY k")["k"].tolist() == ["a", "b", "c"]
        assert run_id > run_before
    finally:
        store.close()
    with Store.write(path) as store:
        with pytest.raises(duckdb.ConstraintException):  # the key still holds in the rewritten file
            store.conn.execute("INSERT INTO kept VALUES ('a')")
        assert store.start_run("test", {}) == run_id + 1  # the run ids' sequence goes on


def test_cues_come_in_one_order_whatever_order_they_were_written_in(memory_store):
    """Two cues that start together (an outlet's name inside a longer attribution): the stance rules take the
    first, so every read gives them in the same order (the shorter first), not in the order rows happen to be
    stored."""
    rows = [("h", "attribution", "anonymous", 0, 41, "According to a Pew Research Center report", None),
            ("h", "attribution", "outlet", 0, 34, "According to a Pew Research Center", "Pew Research Center")]
    columns = ["text_hash", "kind", "subtype", "start_char", "end_char", "span", "source"]
    for order in (rows, rows[::-1]):
        memory_store.conn.execute("DELETE FROM cues")
        memory_store.add_cues(pd.DataFrame(order, columns=columns).astype({"start_char": "int32", "end_char": "int32"}),
                              [], 1)
        assert [c.subtype for c in memory_store.cues_by_text(["h"])["h"]] == ["outlet", "anonymous"]


def test_table_digests_ignore_row_order_and_see_any_changed_value(tmp_path):
    """``Store.table_digest``: what a benchmark compares two codes' databases with."""
    frames = [pd.DataFrame({"article_id": ids, "outlet_id": "o", "text": "t", "published_at": dt.datetime(2026, 1, 1),
                            "content_hash": ids, "ingested_at": dt.datetime(2026, 1, 2)})
              for ids in (["a", "b", "c"], ["c", "a", "b"])]
    digests = []
    for i, rows in enumerate(frames):
        with Store.write(tmp_path / f"{i}.duckdb") as store:
            store.add_articles(rows)
            assert {"article_id", "outlet_id", "text"} <= set(store.table_columns("articles"))
            digests.append(store.table_digest("articles", ["article_id", "outlet_id", "text"]))
    assert digests[0] == digests[1] and digests[0][0] == 3
    with Store.write(tmp_path / "0.duckdb") as store:
        store.conn.execute("UPDATE articles SET text = 'u' WHERE article_id = 'b'")
        assert store.table_digest("articles", ["article_id", "outlet_id", "text"]) != digests[0]
        assert store.table_columns("no_such_table") == []
        changed = store.table_digest("articles", ["article_id", "outlet_id"])
    other = Store.open_read(tmp_path / "1.duckdb")
    try:
        assert other.table_digest("articles", ["article_id", "outlet_id"]) == changed  # the changed column left out
    finally:
        other.close()


def test_a_database_from_a_newer_version_is_neither_read_nor_written(tmp_path):
    """A database a newer version migrated further (a schema this version does not know): reading it says to
    upgrade the tool (not to build, which cannot help), and a write refuses before changing anything, leaving
    no work behind; older databases still upgrade (the test above)."""
    from app.store import StoreTooNew, file_version, pending_work
    from app.store.schema import MIGRATIONS

    db = tmp_path / "newer.duckdb"
    latest = max(m[0] for m in MIGRATIONS)
    with Store.write(db) as store:
        _add_outlet(store, "A")
        store.conn.execute("INSERT INTO schema_migrations VALUES (?, 'from a later version', now()::TIMESTAMP)",
                           [latest + 1])
    before = file_version(db)
    with pytest.raises(StoreTooNew, match=f"newer version of Narrative Tracker \\(schema {latest + 1}; this "
                                          f"version knows schema {latest}\\): upgrade Narrative Tracker to read"):
        Store.open_read(db)
    with pytest.raises(StoreTooNew, match="upgrade Narrative Tracker to write it"):
        with Store.write(db) as store:
            _add_outlet(store, "B")
    assert file_version(db) == before and pending_work(db) is None
    assert not list(tmp_path.glob("newer.duckdb.work*"))
