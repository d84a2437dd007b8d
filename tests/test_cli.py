import json
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
from click.testing import CliRunner

from app.cli import main
from app.config import SAMPLE_PATH


def _run(*args, env=None):
    result = CliRunner().invoke(main, list(map(str, args)), env=env or {}, catch_exceptions=False)
    return result


def test_ingest_build_frames_export(tmp_path, monkeypatch):
    db = tmp_path / "cli.duckdb"
    r = _run("ingest", SAMPLE_PATH, "--db", db)
    assert r.exit_code == 0, r.output
    assert "ingested, 0 already present, 0 rejected" in r.output
    r = _run("ingest", SAMPLE_PATH, "--db", db)
    assert "total: 0 ingested" in r.output
    r = _run("build", "--db", db, "--model", "hashing-384")
    assert r.exit_code == 0, r.output
    assert "frames" in r.output
    r = _run("frames", "--db", db, "--format", "json")
    rows = json.loads(r.output)
    assert rows and set(rows[0]) == {"frame_id", "label", "kind", "articles", "outlets", "first_seen", "first_outlet", "last_seen"}
    r = _run("frames", "--db", db, "--format", "csv")
    assert r.output.splitlines()[0] == "frame_id,label,kind,articles,outlets,first_seen,first_outlet,last_seen"
    out = tmp_path / "fa.parquet"
    r = _run("export", "frame_articles", "--db", db, "--format", "parquet", "--out", out)
    assert r.exit_code == 0, r.output
    table = pq.read_table(out)
    for col in ("frame_id", "article_id", "url", "outlet", "published_at", "score"):
        assert col in table.column_names
    r = _run("export", "frame_timeline", "--db", db)
    df = pd.read_csv(pd.io.common.StringIO(r.output))
    assert list(df.columns) == ["frame_id", "outlet", "day", "articles", "rebuttals"]
    assert df["articles"].sum() + df["rebuttals"].sum() == table.num_rows
    r = _run("status", "--db", db)
    status = json.loads(r.output)
    assert status["interrupted_build_pending"] is False
    spare = Path(db).with_name(Path(db).name + ".spare")  # kept where the work copy is not a clone
    assert status["spare_file_mb"] == (round(spare.stat().st_size / 1e6, 1) if spare.exists() else None)


def test_nothing_readable_exits_nonzero(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n")
    r = CliRunner().invoke(main, ["ingest", str(bad), "--db", str(tmp_path / "x.duckdb")])
    assert r.exit_code != 0
    assert "no text, title or html column" in r.output


def test_some_rejects_still_exit_zero(tmp_path):
    f = tmp_path / "mixed.csv"
    f.write_text("url,title,text,outlet,date\nhttps://a.example/1,T,Text,O,2024-01-01\nhttps://a.example/2,T,Text,O,bad\n")
    r = CliRunner().invoke(main, ["ingest", str(f), "--db", str(tmp_path / "x.duckdb")])
    assert r.exit_code == 0
    assert "1 ingested, 0 already present, 1 rejected" in r.output
    assert "unparseable date" in r.output


def test_frames_on_missing_db_is_a_clean_error(tmp_path):
    r = CliRunner().invoke(main, ["frames", "--db", str(tmp_path / "none.duckdb")])
    assert r.exit_code != 0 and "narratives ingest" in r.output


def test_outlets_round_trip(tmp_path):
    from app.config import SAMPLE_OUTLETS

    db = tmp_path / "o.duckdb"
    _run("ingest", SAMPLE_PATH, "--db", db)
    r = _run("outlets", "--db", db, "--load", SAMPLE_OUTLETS)
    assert r.exit_code == 0 and "updated 20 outlets" in r.output
    out = tmp_path / "outlets.csv"
    _run("outlets", "--db", db, "--out", out)
    table = pd.read_csv(out).set_index("name")
    assert table.loc["Continental Wire", "kind"] == "wire"
    assert table.loc["Daily Meridian", "groups"] == "syndicates wire"
    assert table["articles"].sum() > 300
    bad = tmp_path / "bad.csv"
    bad.write_text("name,kind\nNobody Gazette,blog\n")
    r = CliRunner().invoke(main, ["outlets", "--db", str(db), "--load", str(bad)])
    assert "not in the store" in r.output and "Nobody Gazette" in r.output


def test_vectors_lists_each_key_and_drops_only_an_old_one(hashed_sample_db_copy):
    db = hashed_sample_db_copy  # built with hashing-384
    assert _run("build", "--db", db, "--model", "hashing-64").exit_code == 0
    env = {"NARRATIVES_MODEL": "hashing-64"}
    out = _run("vectors", "--db", db, env=env).output
    lines = {line.split()[0]: line.split() for line in out.splitlines()[1:]}
    assert set(lines) == {"hashing-384", "hashing-64"}
    assert lines["hashing-64"][1] == "True" and lines["hashing-384"][1] == "False"
    assert lines["hashing-384"][3] == lines["hashing-64"][3] == "100%"
    # the key in use is refused, an unknown key is named, an old key goes
    r = CliRunner().invoke(main, ["vectors", "--db", str(db), "--drop", "hashing-64"], env=env)
    assert r.exit_code != 0 and "the key the settings use" in r.output
    r = CliRunner().invoke(main, ["vectors", "--db", str(db), "--drop", "hashing-32"], env=env)
    assert r.exit_code != 0 and "no vectors under 'hashing-32'" in r.output and "hashing-384" in r.output
    r = _run("vectors", "--db", db, "--drop", "hashing-384", env=env)
    assert r.exit_code == 0 and "deleted" in r.output
    out = _run("vectors", "--db", db, env=env).output
    assert "hashing-384" not in out and "hashing-64" in out


def test_python_dash_m_runs_the_cli():
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-m", "app.cli", "--help"], capture_output=True, text=True, timeout=60,
                         cwd=Path(__file__).resolve().parent.parent)
    assert out.returncode == 0, out.stderr
    assert "ingest" in out.stdout and "spread" in out.stdout


def test_stories_lists_each_story_and_its_frames(hashed_sample_db):
    from app.store import Store

    r = _run("stories", "--db", hashed_sample_db, "--format", "json")
    assert r.exit_code == 0, r.output
    rows = json.loads(r.output)
    assert rows and list(rows[0]) == ["story_id", "label", "frames", "articles", "outlets", "first_seen",
                                      "last_seen"]
    store = Store.open_read(hashed_sample_db)
    try:
        expected = store.story_summary()
        frames = store.frame_summary()
    finally:
        store.close()
    assert [row["story_id"] for row in rows] == expected["story_id"].tolist()
    r = _run("stories", "--db", hashed_sample_db, "--frames", "--format", "json")
    listed = json.loads(r.output)
    assert sorted(row["frame_id"] for row in listed) == sorted(frames["frame_id"])  # every frame, once
    by_story = [row["story_id"] for row in listed if row["story_id"] is not None]
    assert list(dict.fromkeys(by_story)) == expected["story_id"].tolist()  # grouped, busiest story first
    assert sum(row["frames"] for row in rows) == len(by_story)


def test_failed_ingest_into_a_new_path_makes_no_database(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n")
    db = tmp_path / "new.duckdb"
    r = CliRunner().invoke(main, ["ingest", str(bad), "--db", str(db)])
    assert r.exit_code != 0
    assert "no database was made" in r.output
    assert not db.exists()
    r = CliRunner().invoke(main, ["status", "--db", str(db)])
    assert r.exit_code != 0 and "no database at" in r.output
    rows = tmp_path / "all-bad.csv"
    rows.write_text("url,title,text,outlet,date\nhttps://a.example/1,T,Text,O,yesterday-ish\n")
    r = CliRunner().invoke(main, ["ingest", str(rows), "--db", str(db)])
    assert r.exit_code == 0 and "0 ingested" in r.output and "1 rejected" in r.output
    assert db.exists()  # the rejected record is kept, with its raw text, for `export rejects`


def test_a_file_that_fails_among_good_ones_exits_nonzero_and_keeps_the_good(tmp_path):
    good = tmp_path / "good.csv"
    good.write_text("url,title,text,outlet,date\nhttps://a.example/1,T,Text,O,2024-01-01\n")
    db = tmp_path / "x.duckdb"
    r = CliRunner().invoke(main, ["ingest", str(good), str(tmp_path / "missing.jsonl"), "--db", str(db)])
    assert r.exit_code != 0
    assert "1 of 2 files could not be read" in r.output and "missing.jsonl" in r.output
    assert "total: 1 ingested" in r.output
    r = _run("status", "--db", db)
    assert json.loads(r.output)["articles"] == 1


def test_ingesting_a_file_again_keeps_one_copy_of_each_reject(tmp_path):
    f = tmp_path / "mixed.csv"
    f.write_text("url,title,text,outlet,date\nhttps://a.example/1,T,Text,O,2024-01-01\nhttps://a.example/2,T,Text,O,bad\n")
    db = tmp_path / "x.duckdb"
    for _ in range(3):
        assert _run("ingest", f, "--db", db).exit_code == 0
    out = tmp_path / "rejects.csv"
    assert _run("export", "rejects", "--db", db, "--format", "csv", "--out", out).exit_code == 0
    assert len(pd.read_csv(out)) == 1


def test_ingest_after_a_killed_build_is_refused_until_the_build_is_finished_or_dropped(tmp_path):
    from app.store import Store

    db = tmp_path / "x.duckdb"
    assert _run("ingest", SAMPLE_PATH, "--db", db).exit_code == 0
    try:
        with Store.write(db, "build") as store:  # a build that dies after writing part of its work
            store.query_value("SELECT 1")
            raise KeyboardInterrupt
    except KeyboardInterrupt:
        pass
    other = tmp_path / "more.csv"
    other.write_text("url,title,text,outlet,date\nhttps://b.example/1,T,Text,O,2024-01-01\n")
    r = CliRunner().invoke(main, ["ingest", str(other), "--db", str(db)])
    assert r.exit_code != 0
    assert "interrupted build" in r.output and "narratives build" in r.output
    status = json.loads(_run("status", "--db", db).output)
    assert status["pending_write"]["resume_with"] == "narratives build"
    r = _run("status", "--db", db, "--discard")
    assert "dropped the unpublished work of `narratives build`" in r.output
    assert _run("ingest", other, "--db", db).exit_code == 0


def test_a_damaged_database_gets_a_message_and_is_not_republished(tmp_path):
    db = tmp_path / "x.duckdb"
    assert _run("ingest", SAMPLE_PATH, "--db", db).exit_code == 0
    with db.open("r+b") as fh:
        fh.truncate(db.stat().st_size // 2)
    damaged = db.read_bytes()
    for args in (["frames"], ["ingest", str(SAMPLE_PATH)], ["export", "frame_articles"]):
        r = CliRunner().invoke(main, [*args, "--db", str(db)])
        assert r.exit_code == 1, (args, r.output)
        assert "is damaged or unreadable" in r.output and "Traceback" not in r.output
    assert db.read_bytes() == damaged
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.duckdb", "x.duckdb.lock"]


def test_export_will_not_overwrite_a_database(tmp_path):
    db = tmp_path / "x.duckdb"
    assert _run("ingest", SAMPLE_PATH, "--db", db).exit_code == 0
    before = db.read_bytes()
    r = CliRunner().invoke(main, ["export", "rejects", "--db", str(db), "--format", "csv", "--out", str(db)])
    assert r.exit_code != 0 and "is a DuckDB database" in r.output
    assert db.read_bytes() == before


def test_a_database_held_by_another_duckdb_client_is_refused_not_replaced(tmp_path):
    import subprocess
    import sys

    db = tmp_path / "x.duckdb"
    assert _run("ingest", SAMPLE_PATH, "--db", db).exit_code == 0
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys; c = duckdb.connect(sys.argv[1]); print('held', flush=True); "
                               "sys.stdin.read()", str(db)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        inode = db.stat().st_ino
        for args in (["frames"], ["ingest", str(SAMPLE_PATH)]):
            r = CliRunner().invoke(main, [*args, "--db", str(db)])
            assert r.exit_code == 1, (args, r.output)
            assert "open for writing" in r.output and f"process {holder.pid}" in r.output, r.output
        assert db.stat().st_ino == inode
    finally:
        holder.communicate("", timeout=30)
    assert _run("frames", "--db", db).exit_code == 0


def test_version():
    r = _run("--version")
    assert r.exit_code == 0 and r.output.startswith("narratives, version ")


def test_listing_commands_speak_csv_and_json(tmp_path):
    db = tmp_path / "x.duckdb"
    assert _run("ingest", SAMPLE_PATH, "--db", db).exit_code == 0
    assert _run("build", "--db", db, "--model", "hashing-384").exit_code == 0
    fid = json.loads(_run("frames", "--db", db, "--format", "json").output)[0]["frame_id"]
    for args in (["history", str(fid)], ["vectors"], ["outlets"]):
        rows = json.loads(_run(*args, "--db", db, "--format", "json").output)
        assert isinstance(rows, list) and rows, args
        header = _run(*args, "--db", db, "--format", "csv").output.splitlines()[0]
        assert header.split(",")[0] == list(rows[0])[0], args
    assert json.loads(_run("status", "--db", db, "--format", "json").output)["articles"] == 348
    assert "articles" in _run("status", "--db", db, "--format", "table").output


def test_progress_in_a_log_is_plain_lines(tmp_path):
    """Without a terminal (a log, a pipe, CI) progress is one line per stage step: no carriage returns or
    cursor codes; ingest shows its progress too."""
    import subprocess
    import sys

    db = tmp_path / "x.duckdb"
    for args in (["ingest", str(SAMPLE_PATH)], ["build", "--model", "hashing-384"]):
        r = subprocess.run([sys.executable, "-m", "app.cli", *args, "--db", str(db)], capture_output=True, text=True,
                           timeout=600, cwd=Path(__file__).resolve().parent.parent)
        assert r.returncode == 0, r.stderr
        assert "\r" not in r.stderr and "\x1b[" not in r.stderr, r.stderr[:500]
        lines = [line for line in r.stderr.splitlines() if ": " in line]
        assert lines and len(lines) < 200, r.stderr[:2000]
    assert "frames: " in r.stderr and "embed: " in r.stderr


def test_spread_and_evidence_json_carry_the_summary_table_mode_prints(hashed_sample_db):
    """--format json is one object, the summary table mode prints above its rows and the rows; csv is the
    rows alone, every line a row."""
    import io

    import pandas as pd

    fid = json.loads(_run("frames", "--db", hashed_sample_db, "--format", "json").output)[0]["frame_id"]
    table = _run("spread", fid, "--db", hashed_sample_db).output
    doc = json.loads(_run("spread", fid, "--db", hashed_sample_db, "--format", "json").output)
    s = doc["summary"]
    assert s["frame_id"] == fid and s["first_outlet"] and s["first_movers"]
    assert f"in {s['first_outlet']} (article {s['first_article_id']}); {s['outlets']} outlets" in table
    assert f"first movers (within 48 h): {', '.join(s['first_movers'])}" in table
    assert s["first_seen_basis"] in table and f"peak {s['peak_day']} ({s['peak_articles']} articles)" in table
    assert isinstance(s["outlets"], int) and isinstance(s["half_life_days"], int)
    # how far the label rests on the frame's passages, as the Frame page says it
    from app.frames.labels import support_line
    assert s["passages"] >= 1 and (s["label_passages"] is None or 0 <= s["label_passages"] <= s["passages"])
    if s["label_passages"] is not None:
        assert support_line(s["label_passages"], s["passages"]) in table
    rows = pd.read_csv(io.StringIO(_run("spread", fid, "--db", hashed_sample_db, "--format", "csv").output))
    assert len(doc["rows"]) == len(rows) == s["outlets"] and doc["rows"][0]["outlet"] == s["first_outlet"]
    assert list(doc["rows"][0]) == list(rows.columns) and "source" in rows.columns

    table = _run("evidence", fid, "--db", hashed_sample_db).output
    doc = json.loads(_run("evidence", fid, "--db", hashed_sample_db, "--format", "json").output)
    s = doc["summary"]
    assert f"{s['articles']} articles, {s['new_evidence']} new evidence items, {s['repeated_evidence']} " \
           f"repetitions; {s['anonymous_share']:.0%} of articles" in table
    assert f"{s['echo_weeks']} week(s) grew without new evidence" in table and isinstance(s["echo"], bool)
    csv_text = _run("evidence", fid, "--db", hashed_sample_db, "--format", "csv").output
    assert csv_text.splitlines()[0].startswith("published_at,")
    assert len(doc["rows"]) == len(pd.read_csv(io.StringIO(csv_text))) == s["new_evidence"]
