import multiprocessing as mp
import os

import duckdb
import pytest

from app.store import Store, StoreBusy, StoreMissing, file_version, has_pending_work
from app.store.schema import MIGRATIONS, PUBLIC_VIEWS
from tests.conftest import undo_latest_migration


def test_migrations_are_recorded_and_idempotent(memory_store):
    from app.store.db import migrate

    versions = [r[0] for r in memory_store.conn.execute("SELECT version FROM schema_migrations ORDER BY 1").fetchall()]
    assert versions == [m[0] for m in MIGRATIONS]
    assert migrate(memory_store.conn) == []


def test_public_views_exist(memory_store):
    for view in PUBLIC_VIEWS:
        memory_store.export(view)


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
        store.conn.execute("INSERT INTO outlets (outlet_id, name) VALUES ('o', 'O')")
        assert not db.exists()  # nothing published until the block succeeds
    assert db.exists() and not has_pending_work(db)
    reader = Store.open_read(db)
    assert reader.outlet_names() == ["O"]
    reader.close()


def test_failed_write_leaves_published_state_and_resumes(tmp_path):
    db = tmp_path / "a.duckdb"
    with Store.write(db) as store:
        store.conn.execute("INSERT INTO outlets (outlet_id, name) VALUES ('a', 'A')")
    before = file_version(db)
    with pytest.raises(RuntimeError):
        with Store.write(db) as store:
            store.conn.execute("INSERT INTO outlets (outlet_id, name) VALUES ('b', 'B')")
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


def test_stale_work_copy_is_discarded_when_published_file_changed(tmp_path):
    db = tmp_path / "a.duckdb"
    with Store.write(db) as store:
        store.conn.execute("INSERT INTO outlets (outlet_id, name) VALUES ('a', 'A')")
    with pytest.raises(RuntimeError):
        with Store.write(db) as store:
            store.conn.execute("INSERT INTO outlets (outlet_id, name) VALUES ('b', 'B')")
            raise RuntimeError("crash")
    # Someone replaces the published file by another state.
    other = tmp_path / "other.duckdb"
    with Store.write(other) as store:
        store.conn.execute("INSERT INTO outlets (outlet_id, name) VALUES ('z', 'Z')")
    os.replace(other, db)
    with Store.write(db) as store:
        assert store.outlet_names() == ["Z"]


def _hold_lock(db, ready, release):
    with Store.write(db):
        ready.set()
        release.wait(10)


def test_second_writer_is_told_to_wait(tmp_path):
    db = tmp_path / "a.duckdb"
    ctx = mp.get_context("spawn")
    ready, release = ctx.Event(), ctx.Event()
    p = ctx.Process(target=_hold_lock, args=(db, ready, release))
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
        store.conn.execute("INSERT INTO outlets (outlet_id, name) VALUES ('a', 'A')")
    old = Store.open_read(db)
    with Store.write(db) as store:
        store.conn.execute("INSERT INTO outlets (outlet_id, name) VALUES ('b', 'B')")
    assert old.outlet_names() == ["A"]  # consistent old snapshot, no error
    new = Store.open_read(db)
    assert new.outlet_names() == ["A", "B"]
    old.close()
    new.close()


def test_published_file_opens_in_any_duckdb_client(tmp_path):
    db = tmp_path / "a.duckdb"
    with Store.write(db) as store:
        store.conn.execute("INSERT INTO outlets (outlet_id, name) VALUES ('a', 'A')")
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT count(*) FROM frame_summary").fetchall() == [(0,)]
    con.close()


def test_an_older_database_is_named_and_upgraded_by_the_next_write(tmp_path):
    from app.store import StoreError

    db = tmp_path / "old.duckdb"
    with Store.write(db) as store:
        undo_latest_migration(store.conn)
    with pytest.raises(StoreError, match="run `narratives build"):
        Store.open_read(db)
    with Store.write(db):
        pass
    Store.open_read(db).close()


def test_articles_naming_finds_a_name_in_any_case_and_spacing(memory_store):
    from app.outlets import names_pattern

    for i, text in enumerate(["As first reported by the  Daily\nPlanet, troops moved.", "Nothing here.", None]):
        memory_store.conn.execute(
            """INSERT INTO articles (article_id, outlet_id, text, published_at, content_hash, ingested_at)
               VALUES (?, 'o', ?, TIMESTAMP '2026-01-01', ?, TIMESTAMP '2026-01-02')""", [f"a{i}", text, f"h{i}"])
    assert memory_store.articles_naming(names_pattern(["Daily Planet"])) == {"a0"}
    assert memory_store.articles_naming(names_pattern(["daily planet", "Nothing"])) == {"a0", "a1"}
    assert memory_store.articles_naming(names_pattern(["Daily Planet (Web)"])) == set()
    assert memory_store.articles_naming(names_pattern([])) == set()
