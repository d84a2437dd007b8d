"""The weekly report on a week of the bundled sample: every PNG exists, is not blank and shows the
counts in its CSV; the HTML escapes article-derived text and describes every chart in words."""

import datetime as dt
import html
from html.parser import HTMLParser
import os
import shutil

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from PIL import Image

from app.cli import main
from app.report import build_report, default_period, last_full_week, period_for
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
        assert pixels.shape == (int(chart.figure.layout.height), 1280)
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


LATE_WEEK = (dt.date(2026, 4, 27), dt.date(2026, 5, 3))  # most outlets took their frames up weeks before
LONG_LABEL = ("Kestria sends its conscripts to the Lessen front as cannon fodder while officials deny any "
              "deployment at all, say families")


def _report_html(db, tmp_path, week=LATE_WEEK, rename=None):
    """The report of ``week`` without PNGs (no browser), after renaming the busiest frame to ``rename``."""
    if rename is not None:
        with Store.write(db) as store:
            store.edit_frame(int(store.period_frames(*week).iloc[0]["frame_id"]), "rename", value=rename)
    store = Store.open_read(db)
    try:
        rep = build_report(store, *week, tmp_path / "r", images=False)
        timelines = {int(c.name.removeprefix("timeline_")): store.frame_timeline(int(c.name.removeprefix("timeline_")))
                     for c in rep.charts if c.name.startswith("timeline_")}
    finally:
        store.close()
    return rep, (tmp_path / "r" / "report.html").read_text(), timelines


class _Page(HTMLParser):
    """Every tag with its attributes, the text of the table headers and of the h2 headings."""

    def __init__(self):
        super().__init__()
        self.tags, self.headers, self.headings, self._in = [], [], [], None

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag in ("th", "h2"):
            self._in, self._text = tag, ""

    def handle_endtag(self, tag):
        if tag == self._in:
            (self.headers if tag == "th" else self.headings).append(self._text)
            self._in = None

    def handle_data(self, data):
        if self._in:
            self._text += data


def test_timeline_diamond_marks_the_outlets_adoption_not_its_first_article_of_the_week(hashed_sample_db_copy,
                                                                                       tmp_path):
    rep, _, timelines = _report_html(hashed_sample_db_copy, tmp_path)
    assert timelines
    earlier_seen = 0
    for fid, whole in timelines.items():
        fig = next(c.figure for c in rep.charts if c.name == f"timeline_{fid}")
        carried = whole[whole["articles"] > 0]
        # An outlet adopts the frame with its first article the spread claims count (not one before the onset,
        # loosely related or date flagged: those are drawn apart).
        adopted = whole[whole["counted"] > 0].groupby("outlet")["day"].min().map(pd.Timestamp)
        week = carried[(carried["day"] >= pd.Timestamp(LATE_WEEK[0])) & (carried["day"] <= pd.Timestamp(LATE_WEEK[1]))]
        expected = {(o, pd.Timestamp(d)) for o, d, n in zip(week["outlet"], week["day"], week["counted"])
                    if n > 0 and adopted[o] == pd.Timestamp(d)}
        diamonds = [t for t in fig.data if t.name == "first article from the outlet"]
        shown = {(html.unescape(o), pd.Timestamp(d)) for t in diamonds for o, d in zip(t.y, t.x)}
        assert shown == expected, fid
        earlier = set(week["outlet"][week["outlet"].map(adopted) < pd.Timestamp(LATE_WEEK[0])])
        earlier_seen += len(earlier)
        assert not earlier & {o for o, _ in shown}, fid  # adopted before the week: no diamond in it
        # their rows say since when; rows follow adoption, earliest at the top
        labels = dict(zip(fig.layout.yaxis.tickvals, fig.layout.yaxis.ticktext))
        for outlet in earlier:
            assert labels[outlet] == f"{outlet} · since {adopted[outlet]:%d %b}"
        rows = [o for o in list(fig.layout.yaxis.categoryarray)[::-1] if o in adopted]
        assert [adopted[o] for o in rows] == sorted(adopted[o] for o in rows), fid
        # the period's days on the axis, whatever days have marks
        lo, hi = (pd.Timestamp(x) for x in fig.layout.xaxis.range)
        assert lo < pd.Timestamp(LATE_WEEK[0]) and hi > pd.Timestamp(LATE_WEEK[1]) and hi - lo < pd.Timedelta(days=8)
    assert earlier_seen > 0, "the week must hold outlets that adopted earlier, or the test shows nothing"


def test_report_tables_speak_to_people_and_cut_long_labels_with_the_whole_label_at_hand(hashed_sample_db_copy,
                                                                                        tmp_path):
    hostile = LONG_LABEL + ' "><img src=x onerror=alert(1)>'
    rep, page, timelines = _report_html(hashed_sample_db_copy, tmp_path, rename=hostile)
    parsed = _Page()
    parsed.feed(page)
    assert parsed.headers[:10] == ["Frame", "Articles", "Independent", "Outlets", "Period before", "Change",
                                   "New evidence", "Repeated evidence", "Unnamed sources only", "First seen"]
    assert not [h for h in parsed.headers if "_" in h], parsed.headers  # no raw column names
    assert {"Outlet", "First article", "Hours after the first", "Published", "Evidence", "Repeated", "Article"} \
        <= set(parsed.headers)
    # the label: cut in the table, whole in its tooltip, whole (as text) in the heading of its timeline
    assert not [t for t, _ in parsed.tags if t in ("img", "script")]
    tips = [a["title"] for t, a in parsed.tags if t == "span" and "title" in a]
    assert hostile in tips
    assert f"How #{next(iter(timelines))} “{hostile}” spread, outlet by outlet" in parsed.headings
    assert "&lt;img src=x" in page and "<img src=x" not in page
    # the CSV keeps every value and the program-readable names
    top = pd.read_csv(tmp_path / "r" / "top_frames.csv")
    assert top.loc[0, "label"] == hostile and "independent_articles" in top.columns
    # chart labels: at most two lines, cut with an ellipsis, never silently
    fig = next(c.figure for c in rep.charts if c.name == "top_frames")
    label = [y for y in fig.data[0].y if y.startswith(f"#{top.loc[0, 'frame_id']} ")][0]
    assert label.count("<br>") == 1 and label.endswith("…")
    assert (" ".join(html.unescape(label).removesuffix("…").split("<br>"))) in f"#{top.loc[0, 'frame_id']} {hostile}"


def test_evidence_and_first_mover_addresses_are_links_only_when_http():
    from app.report import _link, safe_href

    for bad in ("javascript:alert(1)", "JavaScript:alert(1)", "java\tscript:alert(1)", " javascript:alert(1)",
                "data:text/html,<script>alert(1)</script>", "vbscript:msgbox(1)", "file:///etc/passwd",
                "//evil.example/a", "http:///nohost", "https://ex ample.org/", "https://a.example/\x00", None, 3.5):
        assert safe_href(bad) is None, bad
        assert "<a " not in _link(bad, "title")
    assert "<script>" not in _link("data:text/html,<script>alert(1)</script>")
    link = _link('https://news.example/a?b=1&c="><script>alert(1)</script>', '<b>Title</b> & more')
    assert link.startswith('<a href="https://news.example/a?b=1&amp;c=&quot;&gt;&lt;script&gt;')
    assert 'rel="noopener noreferrer nofollow"' in link and "&lt;b&gt;Title&lt;/b&gt; &amp; more</a>" in link
    assert "<script>" not in link and "<b>" not in link
    assert _link("HTTP://News.Example/x", None).startswith('<a href="HTTP://News.Example/x"')


def test_the_report_links_every_article_it_names(hashed_sample_db_copy, tmp_path):
    rep, page, _ = _report_html(hashed_sample_db_copy, tmp_path)
    parsed = _Page()
    parsed.feed(page)
    links = [a for t, a in parsed.tags if t == "a"]
    articles = [a for a in links if a["href"].startswith(("http://", "https://"))]
    named = sum(len(t) for n, t in rep.tables.items() if n.endswith("_evidence")) + len(rep.tables["first_movers"])
    assert named > 0 and len(articles) == named
    assert all(a.get("rel") == "noopener noreferrer nofollow" for a in articles)
    assert all(a["href"].endswith(".csv") for a in links if a not in articles)


@pytest.mark.browser
def test_report_fits_a_1400_px_window_and_an_a4_page(hashed_sample_db_copy, tmp_path):
    """No horizontal scrolling at 1400 px, nor in print on A4 (794 px less 12 mm margins: 718 px)."""
    from tests.dashboard import CHROMIUM, need_chromium

    sync_api = need_chromium()
    _report_html(hashed_sample_db_copy, tmp_path, rename=LONG_LABEL + " " + "Standardbearer" * 3)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        for width, media in ((1400, "screen"), (718, "print")):
            page = browser.new_page(viewport={"width": width, "height": 1000})
            page.emulate_media(media=media)
            page.goto((tmp_path / "r" / "report.html").as_uri())
            assert page.evaluate("document.documentElement.scrollWidth") <= width, media
            rights = page.eval_on_selector_all("table, h2, figure", "els => els.map(e => e.getBoundingClientRect().right)")
            assert rights and max(rights) <= width, media
            page.close()
        browser.close()


def test_the_default_week_is_never_one_without_articles():
    d = dt.date
    today = d(2026, 12, 2)  # a Wednesday; the last full week is 23-29 Nov
    assert period_for(d(2026, 3, 3), d(2026, 11, 30), today)[:2] == (d(2026, 11, 23), d(2026, 11, 29))
    # articles stop on Saturday 7 Mar: the week of 2 Mar is not whole, the one before has articles: take it
    start, end, note = period_for(d(2026, 2, 10), d(2026, 3, 7), today)
    assert (start, end) == (d(2026, 2, 23), d(2026, 3, 1)) and "latest full week" in note
    # every article falls in 3-7 Mar: the week before has none, so the report covers the week of 2 Mar
    start, end, note = period_for(d(2026, 3, 3), d(2026, 3, 7), today)
    assert (start, end) == (d(2026, 3, 2), d(2026, 3, 8)) and "may be incomplete" in note


def test_a_chart_kaleido_did_not_write_is_drawn_again_then_named(monkeypatch, tmp_path):
    """Kaleido may return with a file not written (seen with other browsers drawing at once): the chart is
    drawn once more, and a chart still missing fails the report with its name instead of leaving it out."""
    import plotly.graph_objects as go
    import plotly.io as pio

    from app.report import ReportError, _write_pngs

    calls, never_b = [], [False]

    def skips(figures, paths, **kwargs):  # b.png is not written the first time (or never)
        calls.append([p.name for p in paths])
        for p in paths:
            if p.name != "b.png" or (len(calls) > 1 and not never_b[0]):
                p.write_bytes(b"\x89PNG")

    monkeypatch.setattr(pio, "write_images", skips)
    figures = [go.Figure(), go.Figure()]
    _write_pngs(figures, [tmp_path / "a.png", tmp_path / "b.png"])
    assert calls == [["a.png", "b.png"], ["b.png"]] and (tmp_path / "b.png").exists()

    calls.clear()
    never_b[0] = True
    (tmp_path / "b.png").unlink()
    with pytest.raises(ReportError, match=r"kaleido wrote no file for b\.png"):
        _write_pngs(figures, [tmp_path / "a.png", tmp_path / "b.png"])
    assert calls == [["a.png", "b.png"], ["b.png"]]
