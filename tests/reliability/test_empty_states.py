"""Every page of the dashboard on the states a careless user reaches: a database whose only content is
rejected records (a first ingest of a bad file), and one ingested but never built."""

from __future__ import annotations

from pathlib import Path

import pytest
import streamlit as st
from click.testing import CliRunner
from streamlit.testing.v1 import AppTest

from app.cli import main
from app.config import SAMPLE_PATH

ROOT = Path(__file__).resolve().parents[2]
PAGES = ["overview.py", "frame_detail.py", "compare.py", "outlets.py", "search.py", "edit_frames.py", "corpus.py"]


def _db(tmp_path: Path, state: str) -> Path:
    db = tmp_path / f"{state}.duckdb"
    if state == "rejects-only":
        bad = tmp_path / "bad.csv"
        bad.write_text("url,title,text,outlet,date\nhttps://a.example/1,T,Text,O,not a date\n")
        result = CliRunner().invoke(main, ["ingest", str(bad), "--db", str(db)])
    else:
        result = CliRunner().invoke(main, ["ingest", str(SAMPLE_PATH), "--db", str(db)])
    assert result.exit_code == 0, result.output
    return db


@pytest.mark.parametrize("state", ["rejects-only", "not-built"])
def test_every_page_explains_an_empty_state_instead_of_crashing(state, tmp_path, monkeypatch):
    db = _db(tmp_path, state)
    monkeypatch.setenv("NARRATIVES_DB", str(db))
    monkeypatch.setenv("NARRATIVES_FRAMES_FILE", str(tmp_path / "frames.toml"))
    monkeypatch.chdir(tmp_path)
    st.cache_resource.clear()
    st.cache_data.clear()
    try:
        for page in PAGES:
            at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=120)
            at.run()
            if page != "overview.py":
                at.switch_page(f"app/ui/pages/{page}").run()
            assert not at.exception, (page, at.exception)
            shown = " ".join(e.value for kind in ("info", "warning", "markdown", "caption", "title")
                             for e in getattr(at, kind))
            assert "Traceback" not in shown
    finally:
        st.cache_resource.clear()
        st.cache_data.clear()
