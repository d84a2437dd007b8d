"""The weekly report on a week of the bundled sample: every PNG exists, is not blank and shows the
counts in its CSV; the HTML escapes article-derived text and describes every chart in words."""

import datetime as dt
import os
import shutil

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from PIL import Image

from app.cli import main
from app.report import build_report, default_period, last_full_week
from app.store import Store

WEEK = (dt.date(2026, 3, 16), dt.date(2026, 3, 22))  # the week the sample's satellite images appear


@pytest.fixture(scope="module")
def browser():
    if not (shutil.which("chromium") or shutil.which("google-chrome") or os.environ.get("BROWSER_PATH")):
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is not installed (apt-get install chromium)")
        pytest.skip("kaleido needs chromium (apt-get install chromium)")


def _bars(fig, name):
    trace = [t for t in fig.data if t.name == name][0]
    return list(trace.x)


def test_last_full_week():
    assert last_full_week(dt.date(2026, 11, 28)) == (dt.date(2026, 11, 16), dt.date(2026, 11, 22))
    assert last_full_week(dt.date(2026, 11, 23)) == (dt.date(2026, 11, 16), dt.date(2026, 11, 22))


@pytest.mark.browser
def test_report_for_a_week_of_the_sample(browser, sample_db_copy, tmp_path):
    with Store.write(sample_db_copy) as store:  # a hostile label must come out escaped
        fid = int(store.period_frames(*WEEK).iloc[0]["frame_id"])
        store.edit_frame(fid, "rename", value="<script>alert(1)</script> cannon fodder")
    store = Store.open_read(sample_db_copy)
    try:
        rep = build_report(store, *WEEK, tmp_path / "r")
        expected = store.period_frames(*WEEK)
    finally:
        store.close()
    names = {p.name for p in rep.files}
    assert {"report.html", "top_frames.png", "top_frames.csv", "new_frames.csv", "echo_frames.csv",
            "first_movers.csv"} <= names
    for chart in rep.charts:
        png = tmp_path / "r" / f"{chart.name}.png"
        assert png.exists()
        pixels = np.asarray(Image.open(png).convert("L"), dtype=np.float32)
        assert pixels.shape == (max(720, int(chart.figure.layout.height)), 1280)
        # marks and text, not a blank page (a title and axes alone: 0.22% dark, std 9)
        assert (pixels < 128).mean() > 0.003 and pixels.std() > 10, chart.name
        assert (tmp_path / "r" / chart.csv).exists()

    top = pd.read_csv(tmp_path / "r" / "top_frames.csv")
    assert top["articles"].tolist() == expected["articles"].head(10).tolist()
    fig = next(c.figure for c in rep.charts if c.name == "top_frames")
    shown = np.add(_bars(fig, "independent articles"), _bars(fig, "syndicated copies"))[::-1]
    assert shown.tolist() == top["articles"].tolist()
    assert _bars(fig, "independent articles")[::-1] == top["independent_articles"].tolist()

    # the busiest frame's timeline: its CSV holds the marks, the evidence CSV the stars
    tl = next(c for c in rep.charts if c.name.startswith("timeline_"))
    counts = pd.read_csv(tmp_path / "r" / tl.csv)
    assert sum(len(t.x) for t in tl.figure.data if t.name != "new evidence") == len(counts)
    stars = pd.read_csv(tmp_path / "r" / tl.csv.replace(".csv", "_evidence.csv"))
    star_trace = [t for t in tl.figure.data if t.name == "new evidence"]
    per_day = stars.assign(day=pd.to_datetime(stars["published_at"]).dt.normalize()).groupby(["outlet", "day"]).size()
    assert len(per_day) == (len(star_trace[0].x) if star_trace else 0)
    assert sum(int(c[0]) for c in star_trace[0].customdata) == len(stars)
    assert any("satellite" in d for d in stars["description"]), "the satellite images arrive this week"

    page = (tmp_path / "r" / "report.html").read_text()
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert page.count("<img ") == len(rep.charts)
    assert page.count(' alt="') == len(rep.charts) and "Bar chart of the 10 frames" in page


def test_report_cli_defaults_to_the_latest_full_week_with_articles(hashed_sample_db, tmp_path):
    sample_db = hashed_sample_db  # no images: no browser, and any built sample will do
    out = tmp_path / "weekly"
    result = CliRunner().invoke(main, ["report", "--db", str(sample_db), "--out", str(out), "--no-images"])
    assert result.exit_code == 0, result.output
    assert "latest full week with articles" in result.output
    store = Store.open_read(sample_db)
    start, end, _ = default_period(store, dt.date.today())
    _, last = store.date_bounds()
    store.close()
    assert start.weekday() == 0 and end - start == dt.timedelta(days=6) and end <= last
    assert (out / "report.html").exists() and not list(out.glob("*.png"))
    result = CliRunner().invoke(main, ["report", "--db", str(sample_db), "--out", str(out),
                                       "--from", "2026-03-10", "--to", "2026-03-01"])
    assert result.exit_code != 0 and "before it starts" in result.output


@pytest.mark.browser
def test_dashboard_prepares_the_report_for_download(browser, monkeypatch, sample_db_copy):
    import io
    import zipfile
    from pathlib import Path

    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from app.ui import keys

    monkeypatch.setenv("NARRATIVES_DB", str(sample_db_copy))
    monkeypatch.chdir(sample_db_copy.parent)
    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "streamlit_app.py"), default_timeout=120).run()
    at.date_input(key=keys.REPORT_WEEK).set_value(WEEK[0]).run()
    at.button(key=keys.REPORT_BUILD).click().run()
    assert not at.exception and not at.error
    monday, blob = at.session_state[keys.REPORT_ZIP]
    assert monday == WEEK[0]
    names = zipfile.ZipFile(io.BytesIO(blob)).namelist()
    assert "report-2026-03-16/report.html" in names and "report-2026-03-16/top_frames.png" in names
    assert any(n.endswith("top_frames.csv") for n in names)
    st.cache_data.clear()
    st.cache_resource.clear()
