"""Hostile text through every page of the running dashboard and the weekly report, in headless Chromium:
no dialog opens, no request leaves this machine, no link or image is made from article text."""

from __future__ import annotations

import json
import urllib.parse
from pathlib import Path

import pytest

from app.store import Store, copy_database
from tests.dashboard import CHROMIUM, dashboard, need_chromium
from tests.reliability.crash import cli
from tests.reliability.hostile import EVIL_HTML, EVIL_LINK, HOSTILE_OUTLETS, file_cases

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "build" / "screenshots" / "hostile"
LOCAL = {"127.0.0.1", "localhost"}


@pytest.fixture(scope="module")
def hostile_db(tmp_path_factory, hashed_sample_db):
    """The sample (stand-in encoder) whose busiest frame is told by outlets with hostile names and carries a
    hostile label, plus every hostile text as an article."""
    folder = tmp_path_factory.mktemp("hostile")
    db = folder / "hostile.duckdb"
    copy_database(hashed_sample_db, db)
    store = Store.open_read(db)
    try:
        top = store.frame_summary().iloc[0]
        outlets = store.outlet_firsts([int(top["frame_id"])])["outlet"].head(len(HOSTILE_OUTLETS)).tolist()
    finally:
        store.close()
    with Store.write(db) as store:
        for old, new in zip(outlets, HOSTILE_OUTLETS):
            store.conn.execute("UPDATE outlets SET name = ? WHERE name = ?", [new, old])
        store.edit_frame(int(top["frame_id"]), "rename", value=f"{EVIL_LINK} {EVIL_HTML}")
    hostile = [c for c in file_cases() if c.name == "hostile-text.jsonl"][0]
    (folder / hostile.name).write_bytes(hostile.content)
    assert cli("ingest", folder / hostile.name, db=db).returncode == 0
    return db, int(top["frame_id"]), HOSTILE_OUTLETS[0]


@pytest.fixture(scope="module")
def server(hostile_db):
    need_chromium()
    db = hostile_db[0]
    with dashboard(db, db.parent, NARRATIVES_FRAMES_FILE=str(db.parent / "frames.toml")) as url:
        yield url


def _visit(page, address: str, dialogs: list, outside: list, wait_for: str | None) -> None:
    page.goto(address)
    page.wait_for_selector("[data-testid='stAppViewContainer']", timeout=60_000)
    if wait_for:
        page.wait_for_selector(wait_for, timeout=60_000)
    page.wait_for_timeout(2500)  # let every element and chart render
    bad_links = page.eval_on_selector_all(
        "a[href]", "els => els.map(e => e.getAttribute('href')).filter(h => /^\\s*(javascript|vbscript|data):/i.test(h)"
                   " || h.includes('evil.example'))")
    injected = page.eval_on_selector_all("img[src='x'], script:not([src])", "els => els.map(e => e.outerHTML)")
    assert not bad_links, (address, bad_links)
    assert not [i for i in injected if "alert" in i], (address, injected)


def test_hostile_text_on_every_page_opens_no_dialog_and_sends_nothing_outside(server, hostile_db):
    sync_api = need_chromium()
    _, fid, outlet = hostile_db
    dialogs: list[str] = []
    outside: list[str] = []
    pages = [("", "", "[data-testid='stDataFrame']"),  # the Overview, the default page, lives at the root
             ("frame", f"?frame={fid}", ".js-plotly-plot .main-svg"),
             ("compare", "", ".js-plotly-plot .main-svg"),
             ("outlets", "?outlet=" + urllib.parse.quote(outlet), None),
             ("search", "?q=" + urllib.parse.quote(EVIL_LINK), None),
             ("frames", "", "[data-testid='stDataFrame']"),
             ("data", "", None)]
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run", "--disable-default-apps"])
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.on("request", lambda r: outside.append(r.url) if urllib.parse.urlsplit(r.url).hostname not in LOCAL
                and urllib.parse.urlsplit(r.url).scheme in ("http", "https", "ws", "wss") else None)
        for name, query, wait_for in pages:
            _visit(page, f"{server}/{name}{query}", dialogs, outside, wait_for)
            assert page.get_by_text("Page not found").count() == 0, name
            page.screenshot(path=str(SHOTS / f"{name or 'overview'}.png"), full_page=True)
        browser.close()
    assert dialogs == []
    assert outside == [], sorted(set(outside))


def test_the_weekly_report_of_hostile_text_is_inert_in_a_browser(hostile_db, tmp_path):
    sync_api = need_chromium()
    db = hostile_db[0]
    out = tmp_path / "report"
    r = cli("report", "--from", "2026-03-01", "--to", "2026-05-31", "--out", out, "--no-images", db=db)
    assert r.returncode == 0, r.stderr
    dialogs: list[str] = []
    outside: list[str] = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(("file:", "data:")) else None)
        page.goto((out / "report.html").as_uri())
        page.wait_for_timeout(1000)
        assert "evil.example" not in json.dumps(page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)"))
        assert page.eval_on_selector_all("img[src='x']", "els => els.length") == 0
        page.screenshot(path=str(SHOTS / "report.png"), full_page=True)
        browser.close()
    assert dialogs == [] and outside == []
    assert "log in here" in (out / "report.html").read_text()  # the hostile label is there, as text
