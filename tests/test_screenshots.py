"""The screenshot check: every dashboard page and the weekly report at 1400x1000 in headless Chromium, on the
bundled sample, as a newsroom would take Monday's screenshot.

Each page must show no "Page not found" and no error, must not overflow the main column sideways, must
not cut text at the viewport's edge, must fit every table column without sideways scrolling, must keep
chart text inside its chart and legend labels whole, and may fetch nothing from any host but the
dashboard's own (every request is recorded). The PNGs are saved under build/screens/ for a person to look
at: these checks catch what can be measured, not everything a reader would notice.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from app.store import Store
from tests.conftest import frame_telling
from tests.dashboard import CHROMIUM, dashboard, need_chromium

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parent.parent
SCREENS = ROOT / "build" / "screens"
WIDTH, HEIGHT = 1400, 1000
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
LOCAL_SCHEMES = {"data", "blob", "about"}

# Everything measured in one pass in the page: a list of problems, empty when the page is clean.
MEASURE = """() => {
  const problems = [];
  const vw = window.innerWidth;
  const say = (what, el) => problems.push(what + ': ' + (el.innerText || el.textContent || el.tagName)
                                          .trim().replace(/\\s+/g, ' ').slice(0, 80));
  const doc = document.documentElement;
  if (doc.scrollWidth > vw + 1) problems.push(`the page scrolls sideways (${doc.scrollWidth} > ${vw})`);
  const main = document.querySelector('[data-testid="stMain"]') || document.body;
  if (main.scrollWidth > main.clientWidth + 1)
    problems.push(`the main column overflows (${main.scrollWidth} > ${main.clientWidth})`);
  // Text cut by the viewport: any visible element with its own text whose right edge is past the viewport.
  for (const el of main.querySelectorAll('*')) {
    if (!el.offsetParent && getComputedStyle(el).position !== 'fixed') continue;
    const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
    if (!own) continue;
    const r = el.getBoundingClientRect();
    if (r.width && r.right > vw + 1) say('text past the right edge', el);
    const cs = getComputedStyle(el);
    if (cs.textOverflow === 'ellipsis' && el.scrollWidth > el.clientWidth + 1) say('text cut with an ellipsis', el);
  }
  // Tables (drawn on a canvas): every column must fit, so no table scrolls sideways.
  for (const s of main.querySelectorAll('[data-testid="stDataFrame"] .dvn-scroller')) {
    if (s.scrollWidth > s.clientWidth + 2) {
      const t = s.closest('[data-testid="stElementContainer"]');
      problems.push(`a table scrolls sideways (${s.scrollWidth} > ${s.clientWidth})` +
                    (t && t.className.match(/st-key-[\\w-]+/) ? ' ' + t.className.match(/st-key-[\\w-]+/)[0] : ''));
    }
  }
  // Charts: text inside the chart, legend labels whole.
  for (const plot of main.querySelectorAll('.js-plotly-plot')) {
    const box = plot.getBoundingClientRect();
    for (const t of plot.querySelectorAll('.main-svg text, .main-svg .legendtext')) {
      const r = t.getBoundingClientRect();
      if (!r.width) continue;
      if (r.right > box.right + 1 || r.left < box.left - 1) say('chart text outside its chart', t);
    }
    for (const t of plot.querySelectorAll('.legendtext'))
      if (t.textContent.trim().endsWith('…')) say('legend label cut', t);
    // The legend stays clear of the title and its caption (a legend that wraps to a second row grows upward).
    const heads = [...plot.querySelectorAll('.gtitle, .gtitle-subtitle, .g-gtitle text')]
      .map(t => t.getBoundingClientRect()).filter(r => r.width);
    for (const item of plot.querySelectorAll('.legend .traces')) {
      const r = item.getBoundingClientRect();
      if (!r.width) continue;
      if (heads.some(h => r.left < h.right && h.left < r.right && r.top < h.bottom - 1 && h.top < r.bottom - 1))
        say('legend over the chart title or caption', item);
    }
  }
  return problems;
}"""


def _local(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in LOCAL_SCHEMES or parts.hostname in LOCAL_HOSTS or parts.scheme == "file"


def _settle(page) -> None:
    """Wait until Streamlit has finished the run and drawn every placeholder."""
    page.wait_for_selector("[data-testid='stMain']", timeout=60_000)
    page.wait_for_timeout(1000)
    page.wait_for_function("""() => !document.querySelector('[data-testid="stStatusWidget"]')
                                    && !document.querySelector('[data-testid="stSkeleton"]')""", timeout=120_000)
    page.wait_for_timeout(1500)


def _shoot(page, name: str) -> None:
    """A PNG of the whole page at 1400 px wide (the viewport grown to the page's height, width unchanged)."""
    height = page.evaluate("""() => { const m = document.querySelector('[data-testid="stMain"]');
                                      return m ? m.scrollHeight : document.documentElement.scrollHeight; }""")
    page.set_viewport_size({"width": WIDTH, "height": max(HEIGHT, min(height, 16_000))})
    page.wait_for_timeout(1500)
    page.screenshot(path=str(SCREENS / f"{name}.png"), full_page=True)
    page.set_viewport_size({"width": WIDTH, "height": HEIGHT})


def _browser(p):
    return p.chromium.launch(executable_path=CHROMIUM, args=[
        "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync"])


def test_every_page_at_1400_px(sample_db_copy, tmp_path):
    from playwright.sync_api import sync_playwright

    need_chromium()
    sample = sample_db_copy
    r = Store.open_read(sample)
    try:
        cannon = frame_telling(r, "cannon fodder")
        summary = r.frame_summary()
    finally:
        r.close()
    compared = summary["frame_id"].astype(int).tolist()[:3]
    pages = {
        "overview": "/",
        "frame": f"/frame?frame={cannon}",
        "compare": "/compare?compare=" + ",".join(map(str, compared)),
        "outlets": "/outlets?outlet=The+Lessen+Herald",
        "search-meaning": "/search?q=young+conscripts+sent+to+die+as+cannon+fodder",
        "search-words": "/search?q=cannon+fodder&mode=keyword",
        "frames": "/frames",
        "data": "/data",
    }
    SCREENS.mkdir(parents=True, exist_ok=True)
    problems: dict[str, list[str]] = {}
    requests: list[str] = []
    with dashboard(sample, tmp_path) as url, sync_playwright() as p:
        browser = _browser(p)
        page = browser.new_page(viewport={"width": WIDTH, "height": HEIGHT})
        page.on("request", lambda req: requests.append(req.url))
        for name, path in pages.items():
            page.goto(url + path)
            _settle(page)
            if name in ("frame", "compare", "outlets", "data"):
                page.wait_for_selector(".js-plotly-plot .main-svg", timeout=60_000)
                page.wait_for_timeout(500)
            found = page.evaluate(MEASURE)
            if page.get_by_text("Page not found").count():
                found.append("Page not found")
            if page.locator("[data-testid='stException']").count():
                found.append("an error: " + page.locator("[data-testid='stException']").first.inner_text()[:300])
            if name == "frame":  # chart subtitles name the period and outlets, not the database file
                shown = " ".join(page.locator(".js-plotly-plot .main-svg text").all_text_contents())
                if sample.name in shown:
                    found.append(f"a chart names the database file {sample.name}")
            if name == "compare":  # each chip has the colour of its line, in the legend's order
                chips = page.locator(".st-key-compare [data-tag-index]").evaluate_all(
                    "els => els.map(e => getComputedStyle(e).backgroundColor)")
                lines = page.locator(".js-plotly-plot .legend .traces .js-line").evaluate_all(
                    "els => els.map(e => getComputedStyle(e).stroke)")
                if len(chips) != len(compared) or chips != lines[:len(chips)]:
                    found.append(f"chips {chips} do not match the lines {lines}")
            _shoot(page, name)
            problems[name] = found
        browser.close()
    outside = sorted({u for u in requests if not _local(u)})
    assert not outside, f"requests to outside hosts: {outside}"
    assert requests, "no request was recorded"
    assert not {k: v for k, v in problems.items() if v}, problems
    for name in pages:
        assert (SCREENS / f"{name}.png").stat().st_size > 20_000


class ReportLayout(AssertionError):
    """What the report shows wrong at 1400 px."""


def test_the_weekly_report_at_1400_px(sample_db, tmp_path):
    from playwright.sync_api import sync_playwright

    need_chromium()
    report = tmp_path / "report"
    done = subprocess.run([sys.executable, "-m", "app.cli", "report", "--db", str(sample_db), "--out", str(report)],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    SCREENS.mkdir(parents=True, exist_ok=True)
    requests: list[str] = []
    with sync_playwright() as p:
        browser = _browser(p)
        page = browser.new_page(viewport={"width": WIDTH, "height": HEIGHT})
        page.on("request", lambda req: requests.append(req.url))
        page.goto((report / "report.html").as_uri())
        page.wait_for_load_state("load")
        page.wait_for_timeout(500)
        found = page.evaluate(MEASURE.replace('[data-testid="stMain"]', "body"))
        if page.get_by_text("Page not found").count():
            found.append("Page not found")
        page.screenshot(path=str(SCREENS / "report.png"), full_page=True)
        browser.close()
    outside = sorted({u for u in requests if not _local(u)})
    assert not outside, f"requests to outside hosts: {outside}"
    assert (SCREENS / "report.png").stat().st_size > 20_000
    if found:
        raise ReportLayout(found)
