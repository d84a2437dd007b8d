"""Concurrent writers, readers and exports on one database: one writer at a time (the others are told to
wait, and lose nothing when they run again), and readers and exports see the state before a build or the
state after it, never half of one."""

from __future__ import annotations

import json
import subprocess
import sys
import threading

import pytest

from app.config import SAMPLE_PATH
from app.store import Store
from tests.reliability.crash import ROOT, cli

MODEL = "hashing-384"


def _file(path, n: int, tag: str):
    with path.open("w", encoding="utf-8") as fh:
        for i in range(n):
            fh.write(json.dumps({"url": f"https://{tag}.example/{i}", "title": f"{tag} {i}", "text": f"Text {tag} {i}.",
                                 "outlet": f"{tag} Daily", "date": "2024-05-01T10:00:00Z"}) + "\n")
    return path


def test_simultaneous_ingests_each_succeed_or_are_told_to_wait_and_nothing_is_lost(tmp_path):
    db = tmp_path / "c.duckdb"
    assert cli("ingest", SAMPLE_PATH, db=db).returncode == 0
    files = [_file(tmp_path / f"f{k}.jsonl", 3000, f"w{k}") for k in range(3)]
    procs = [subprocess.Popen([sys.executable, "-m", "app.cli", "ingest", str(f), "--db", str(db)], cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for f in files]
    outcomes = [p.communicate(timeout=600) + (p.returncode,) for p in procs]
    refused = [f for f, (_, err, rc) in zip(files, outcomes) if rc != 0]
    for _, err, rc in outcomes:
        assert rc == 0 or "another ingest or build is writing" in err, err
    for f in refused:  # told to wait: run again, as the message says
        assert cli("ingest", f, db=db).returncode == 0
    store = Store.open_read(db)
    try:
        assert store.query_value("SELECT count(*) FROM articles") == 348 + 3 * 3000
    finally:
        store.close()


def _state(db) -> tuple:
    store = Store.open_read(db)
    try:
        return (store.query_value("SELECT count(*) FROM articles"), store.query_value("SELECT count(*) FROM frames"),
                store.query_value("SELECT count(*) FROM article_frames"), store.query_value("SELECT count(*) FROM lineage"),
                store.query_value("SELECT count(*) FROM evidence_items"))
    finally:
        store.close()


def test_readers_and_exports_during_a_build_see_before_or_after(tmp_path):
    db = tmp_path / "c.duckdb"
    assert cli("ingest", SAMPLE_PATH, db=db).returncode == 0
    before = _state(db)
    seen: list[tuple] = []
    exports: list[int] = []
    stop = threading.Event()

    def read():
        while not stop.is_set():
            seen.append(_state(db))

    reader = threading.Thread(target=read)
    reader.start()
    build = subprocess.Popen([sys.executable, "-m", "app.cli", "build", "--model", MODEL, "--db", str(db)], cwd=ROOT,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    k = 0
    while build.poll() is None:
        out = tmp_path / f"e{k}.csv"
        r = cli("export", "frame_articles", "--format", "csv", "--out", out, db=db)
        assert r.returncode == 0, r.stderr
        exports.append(len(out.read_text().splitlines()) - 1)
        k += 1
    stop.set()
    reader.join(60)
    assert build.returncode == 0, build.stderr.read()
    after = _state(db)
    assert after != before and len(seen) > 3
    assert set(seen) <= {before, after}
    store = Store.open_read(db)
    try:
        rows_after = store.query_value("SELECT count(*) FROM frame_articles")
    finally:
        store.close()
    assert set(exports) <= {0, rows_after}


@pytest.fixture(scope="module")
def halves(tmp_path_factory):
    """The sample in two files (the first 200 articles, then the rest), shared by every run of the module:
    an article's stored source is the path of the file it came from."""
    rows = SAMPLE_PATH.read_text(encoding="utf-8").splitlines()
    folder = tmp_path_factory.mktemp("halves")
    first, second = folder / "first.jsonl", folder / "second.jsonl"
    first.write_text("\n".join(rows[:200]) + "\n", encoding="utf-8")
    second.write_text("\n".join(rows[200:]) + "\n", encoding="utf-8")
    return first, second


def _weekly_update_digest(halves, folder, zone: str):
    """Ingest the first half and build, then the second and build again (an incremental update), every
    command under TZ=zone: the digest of every table."""
    from tests.reliability.crash import digest

    first, second = halves
    db = folder / f"{zone.replace('/', '-')}.duckdb"
    for step in (["ingest", first], ["build", "--model", MODEL], ["ingest", second], ["build", "--model", MODEL]):
        r = subprocess.run([sys.executable, "-m", "app.cli", *map(str, step), "--db", str(db)], cwd=ROOT,
                           capture_output=True, text=True, timeout=600, env={**_env(), "TZ": zone})
        assert r.returncode == 0, r.stderr
    store = Store.open_read(db)
    try:
        mode = json.loads(store.query_value(
            "SELECT counts FROM runs WHERE stage = 'frames' ORDER BY run_id DESC LIMIT 1"))
    finally:
        store.close()
    assert mode["mode"] == "incremental" and mode["considered"] > 0
    return digest(db)


@pytest.fixture(scope="module")
def utc_update(halves, tmp_path_factory):
    """The weekly update under UTC (made once for the module): what every time zone must come to."""
    return _weekly_update_digest(halves, tmp_path_factory.mktemp("utc"), "UTC")


# Behind UTC, and furthest ahead of it (UTC+14: the local date is a day later than UTC's for ten hours a day).
@pytest.mark.parametrize("tz", ["America/Los_Angeles", "Pacific/Kiritimati"])
def test_a_weekly_update_is_the_same_in_every_time_zone(tz, halves, utc_update, tmp_path):
    """Ingest part of the sample and build, then the rest and build again (an incremental update), under
    TZ=tz and under UTC: every table comes out the same."""
    assert _weekly_update_digest(halves, tmp_path, tz) == utc_update


def _env() -> dict:
    import os

    return dict(os.environ)
