"""About sixty broken, hostile or odd files through `narratives ingest`: each gets a clear message, its
bad records are kept as rejects with their raw text, its good records are kept, and no record is lost."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from app.cli import main
from app.store import Store
from tests.reliability.hostile import file_cases

CASES = file_cases()


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_a_file_is_read_or_refused_with_a_message_and_nothing_is_lost(case, tmp_path):
    path = tmp_path / case.name
    path.write_bytes(case.content)
    db = tmp_path / "r.duckdb"
    result = CliRunner().invoke(main, ["ingest", str(path), "--db", str(db)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    if case.refused:
        assert result.exit_code == 1
        assert case.name in result.output or "no database was made" in result.output, result.output
        return
    assert result.exit_code == 0 or (case.good == 0 and "no database was made" in result.output), result.output
    if not db.exists():
        assert case.good == 0
        return
    store = Store.open_read(db)
    try:
        ingested = store.query_value("SELECT count(*) FROM articles")
        rejects = store.rejects()
    finally:
        store.close()
    assert ingested == case.good, result.output
    if case.bad >= 0:
        assert len(rejects) == case.bad, (result.output, rejects[["record_no", "reason"]].to_string())
    else:
        assert len(rejects) >= 1
    assert rejects["raw"].str.len().gt(0).all() and rejects["reason"].str.len().gt(0).all()
    assert rejects["record_no"].notna().all()
