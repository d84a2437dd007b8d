"""kill -9 at random moments of `build` and `ingest`: the published database is always a whole state, and
a rerun ends with every table identical to a clean run's."""

from __future__ import annotations

import json
import random

import pytest

from app.config import SAMPLE_PATH
from app.store import copy_database, file_version, pending_work
from tests.reliability.crash import cli, digest, killed_at

MODEL = "hashing-384"  # the deterministic stand-in encoder: the test is about the store, not meaning
TRIALS = 3  # random moments of a build (each trial about 16 s on 2 cores)


@pytest.fixture(scope="module")
def ingested(tmp_path_factory):
    db = tmp_path_factory.mktemp("kill") / "ingested.duckdb"
    assert cli("ingest", SAMPLE_PATH, db=db).returncode == 0
    return db


@pytest.fixture(scope="module")
def clean_build(ingested, tmp_path_factory):
    db = tmp_path_factory.mktemp("clean") / "built.duckdb"
    copy_database(ingested, db)
    r = cli("build", "--model", MODEL, db=db)
    assert r.returncode == 0, r.stderr
    return digest(db)


@pytest.mark.parametrize("trial", range(TRIALS))
def test_a_build_killed_at_a_random_moment_resumes_to_the_clean_result(trial, ingested, clean_build, tmp_path):
    db = tmp_path / "k.duckdb"
    copy_database(ingested, db)
    before = digest(db)
    published = file_version(db)
    after = random.Random(1000 + trial).uniform(1.0, 8.0)
    if killed_at(["build", "--model", MODEL], db, after):
        # The published file is the state before the build or, if the kill came after the swap, the whole
        # result: never a half state.
        assert digest(db) == (before if file_version(db) == published else clean_build)
        pending = pending_work(db)  # none when it was killed before it began to write
        if pending:
            assert pending["purpose"] == "build"
            refused = cli("ingest", SAMPLE_PATH, db=db)  # another write may not publish the half build
            assert refused.returncode == 1 and "interrupted build" in refused.stderr
    r = cli("build", "--model", MODEL, db=db)
    assert r.returncode == 0, r.stderr
    assert digest(db) == clean_build
    assert pending_work(db) is None


def _big_file(path, copies: int = 12):
    """The sample twelve times over under other URLs: an ingest that takes a few seconds."""
    lines = SAMPLE_PATH.read_text(encoding="utf-8").splitlines()
    with path.open("w", encoding="utf-8") as fh:
        for k in range(copies):
            for line in lines:
                rec = json.loads(line)
                rec["url"] = rec["url"].replace("/news/", f"/news{k}/").replace("/world/", f"/world{k}/")
                fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
        fh.write('{"title": "a bad record", "text": "x", "outlet": "O", "date": "not a date"}\n')


@pytest.mark.parametrize("trial", range(3))
def test_an_ingest_killed_at_a_random_moment_resumes_to_the_clean_result(trial, tmp_path):
    big = tmp_path / "big.jsonl"
    _big_file(big)
    clean = tmp_path / "clean.duckdb"
    assert cli("ingest", big, db=clean).returncode == 0
    db = tmp_path / "k.duckdb"
    assert cli("ingest", SAMPLE_PATH, db=db).returncode == 0
    before = digest(db)
    published = file_version(db)
    if killed_at(["ingest", big], db, random.Random(2000 + trial).uniform(0.5, 4.0)):
        if file_version(db) == published:
            assert digest(db) == before
        if pending_work(db):
            other = cli("ingest", SAMPLE_PATH, db=db)  # an unrelated ingest may not publish half of big.jsonl
            assert other.returncode == 1 and "interrupted ingest" in other.stderr
    r = cli("ingest", big, db=db)
    assert r.returncode == 0, r.stderr
    expected = digest(clean)
    got = digest(db)
    # The same articles and rejects as one clean ingest (the sample's originals were already present).
    assert got["articles"].split(":")[0] == str(int(expected["articles"].split(":")[0]) + 348)
    assert got["rejects"] == expected["rejects"]
