"""The running dashboard in a real headless Chromium."""

from pathlib import Path

import pytest

from app.store import Store
from tests.conftest import frame_telling
from tests.dashboard import CHROMIUM, dashboard, need_chromium

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "build" / "screenshots"


@pytest.fixture
def server(sample_db_copy, tmp_path):
    need_chromium()
    with dashboard(sample_db_copy, tmp_path) as url:
        yield url, sample_db_copy


def test_timeline_renders_in_a_real_browser(server):
    from playwright.sync_api import sync_playwright

    url, db = server
    r = Store.open_read(db)
    summary = r.frame_summary()
    fid = frame_telling(r, "cannon fodder")
    r.close()
    row = summary.set_index("frame_id").loc[fid]
    r = Store.open_read(db)
    timeline = r.frame_timeline(fid)
    # a mark per outlet-day with articles that carry the frame, an x per outlet-day with rebuttals
    marks = int((timeline["articles"] > 0).sum() + (timeline["rebuttals"] > 0).sum())
    ledger = r.frame_ledger(fid)
    strong = ledger[ledger["strength"] == "evidence"]
    stars = int(strong.assign(day=strong["published_at"].dt.normalize()).groupby(["outlet", "day"]).ngroups)
    r.close()
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync"])
        page = browser.new_page(viewport={"width": 1280, "height": 720})
        page.goto(url + "/")  # the Overview is the default page: its address is the root
        page.get_by_text("Narrative frames").first.wait_for(timeout=60_000)
        page.wait_for_selector("[data-testid='stDataFrame']", timeout=60_000)
        page.screenshot(path=str(SHOTS / "overview.png"), full_page=True)

        page.goto(f"{url}/frame?frame={fid}")
        page.wait_for_selector(".js-plotly-plot .main-svg", timeout=60_000)
        page.wait_for_timeout(500)
        title = page.locator(".js-plotly-plot .gtitle").first.text_content()
        assert "spread, outlet by outlet" in title
        timeline = page.locator(".js-plotly-plot").first
        points = timeline.locator(".scatterlayer .point").count()
        assert points == marks + stars  # the marks above, and a star per outlet-day with new evidence
        assert stars > 0
        ticks = timeline.locator(".ytick text").all_text_contents()
        assert row["first_outlet"] in ticks
        page.screenshot(path=str(SHOTS / "frame-top.png"))
        page.locator(".js-plotly-plot").first.scroll_into_view_if_needed()
        page.wait_for_timeout(300)
        page.screenshot(path=str(SHOTS / "frame.png"))
        curve = page.locator(".js-plotly-plot").nth(1)
        curve.scroll_into_view_if_needed()
        assert "Spread curve" in curve.locator(".gtitle").first.text_content()
        page.wait_for_timeout(300)
        page.screenshot(path=str(SHOTS / "spread.png"))
        evidence = page.locator(".js-plotly-plot").nth(2)
        evidence.scroll_into_view_if_needed()
        assert "Articles vs new evidence" in evidence.locator(".gtitle").first.text_content()
        page.wait_for_timeout(300)
        page.screenshot(path=str(SHOTS / "evidence.png"))
        graph = page.locator(".js-plotly-plot").nth(3)
        graph.scroll_into_view_if_needed()
        assert "Lineage" in graph.locator(".gtitle").first.text_content()
        page.wait_for_timeout(300)
        page.screenshot(path=str(SHOTS / "lineage.png"))
        browser.close()
    assert (SHOTS / "frame.png").stat().st_size > 20_000


@pytest.mark.parametrize("entry", ["package", "checkout"])
def test_a_link_straight_to_a_page_opens_it(entry, hashed_sample_db_copy, tmp_path):
    """The addresses users share (./frame?frame=12, ./outlets, ./overview...) open their page with no "Page
    not found", from the entry `narratives serve` runs and from a checkout's streamlit_app.py."""
    from playwright.sync_api import sync_playwright

    from app.config import DASHBOARD_SCRIPT

    need_chromium()
    r = Store.open_read(hashed_sample_db_copy)
    fid = int(r.frame_summary()["frame_id"].iloc[0])
    r.close()
    script = DASHBOARD_SCRIPT if entry == "package" else ROOT / "streamlit_app.py"
    with dashboard(hashed_sample_db_copy, tmp_path, entry=script) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        for path, shows in ((f"/frame?frame={fid}", f"#{fid}"), ("/outlets", "Outlets"), ("/data", "Data")):
            page.goto(url + path)
            page.get_by_text(shows).first.wait_for(timeout=60_000)
            page.wait_for_timeout(1500)  # the modal, when there is one, comes with the first run
            assert page.get_by_text("Page not found").count() == 0, (entry, path)
        browser.close()
