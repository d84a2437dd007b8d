"""`narratives collect` end to end against the test site: the acceptance (two feeds, `collect --build`, the
articles in the store's public views, a second run fetching no article page), every failure in fetch_log,
exit codes, the lock, resuming an interrupted run, URL lists, collection health."""

from __future__ import annotations

import fcntl
import zipfile

import pandas as pd
import pytest
from click.testing import CliRunner

from app.cli import main
from app.collect.feeds import load_feeds
from app.collect.run import collect
from app.store import Store
from tests.collect.conftest import feeds_file
from tests.collect.test_urls import gkg_row
from tests.conftest import HASHED_MODEL

TWO_FEEDS = (("/feeds/daily.xml", None, ("wire",)), ("/feeds/evening.atom", "Evening Post", ()))


def run(args, env):
    return CliRunner().invoke(main, args, env=env, catch_exceptions=False)


@pytest.mark.slow
def test_acceptance_two_feeds_collect_build_then_nothing_fetched_again(tmp_path, site, quick_env):
    db = tmp_path / "news.duckdb"
    feeds = feeds_file(tmp_path, site, *TWO_FEEDS)
    env = {**quick_env, "NARRATIVES_MODEL": HASHED_MODEL, "NARRATIVES_MIN_FRAME_ARTICLES": "2"}
    first = run(["collect", "--feeds", feeds, "--db", str(db), "--build"], env)
    assert first.exit_code == 0, first.output
    assert "total: 7 stored, 6 failed" in first.output
    store = Store.open_read(db)
    try:
        articles = store.query("SELECT a.url, o.name AS outlet, o.groups, a.date_source, a.language, "
                               "a.published_at, a.published_utc_offset "
                               "FROM articles a JOIN outlets o USING (outlet_id) ORDER BY a.url")
        assert len(articles) == 7
        assert set(articles["outlet"]) == {"The Daily Example – News", "Evening Post"}
        assert all(list(g) == ["wire"] for g in articles[articles["outlet"] != "Evening Post"]["groups"])
        assert dict(zip(articles["url"].str.rsplit("/", n=1).str[-1], articles["date_source"]))["no-date.html"] == "feed"
        assert sorted(articles["language"]) == ["en"] * 6 + ["fr"]
        ferry = articles[articles["url"].str.endswith("jsonld-only.html")].iloc[0]  # dated only in JSON-LD
        assert (str(ferry["published_at"]), ferry["published_utc_offset"], ferry["date_source"]) == (
            "2026-03-04 11:45:00", -300, "page")
        # The build ran: passages and a frame from the shared framing ("neglected sea walls") across both outlets.
        framed = store.query("SELECT DISTINCT outlet FROM frame_articles")
        assert set(framed["outlet"]) >= {"The Daily Example – News", "Evening Post"}
        stored = store.query("SELECT count(*) AS n FROM fetch_log WHERE outcome = 'stored'")["n"].iloc[0]
        assert stored == 7
    finally:
        store.close()
    pages_before = site.page_hits()
    retry_pages = site.hits["/slow.html"]
    second = run(["collect", "--feeds", feeds, "--db", str(db), "--build"], env)
    assert second.exit_code == 0, second.output
    # No article page is fetched again: only the page whose failure may pass (a timeout) is tried again.
    assert site.page_hits() - pages_before == site.hits["/slow.html"] - retry_pages == 2
    assert "feed unchanged since the last run" in second.output  # the daily feed answered 304


@pytest.mark.slow
def test_every_failure_is_logged_with_url_status_and_reason(tmp_path, site, quick_settings):
    feeds = load_feeds(feeds_file(tmp_path, site, *TWO_FEEDS))
    with Store.write(quick_settings.db, "collect test") as store:
        report = collect(store, quick_settings, feeds, [])
    assert (report.stored, report.failed, report.unreadable) == (7, 6, [])
    store = Store.open_read(quick_settings.db)
    try:
        log = store.query("SELECT url, status, reason, retry FROM fetch_log WHERE outcome = 'failed' ORDER BY url")
        health = store.collect_health()
    finally:
        store.close()
    got = {row.url.replace(site.base, ""): (None if pd.isna(row.status) else int(row.status), row.reason, bool(row.retry))
           for row in log.itertuples()}
    assert got == {
        "/private/leak.html": (None, "disallowed by robots.txt", False),
        "/news/missing.html": (404, "HTTP 404", False),
        "/big.html": (200, "too big (over 300,000 bytes; download stopped)", False),
        "/data.json": (200, "not HTML (content type application/json)", False),
        "/loop/1": (301, "too many redirects (over 5)", False),
        "/slow.html": (None, "timeout", True),
    }
    assert site.hits["/private/leak.html"] == 0
    by_feed = health.set_index("source")
    assert by_feed.loc[site.url("/feeds/daily.xml"), "new_articles"] == 5
    assert by_feed.loc[site.url("/feeds/evening.atom"), "failed"] == 4
    assert "timeout: 1" in by_feed.loc[site.url("/feeds/evening.atom"), "failures_by_reason"]


def test_a_feed_that_cannot_be_read_fails_the_run_but_the_others_are_collected(tmp_path, site, quick_env):
    db = tmp_path / "c.duckdb"
    feeds = feeds_file(tmp_path, site, ("/feeds/daily.xml", None, ()), ("/feeds/broken.xml", "Broken", ()),
                       ("/feeds/nowhere.xml", "Gone", ()))
    result = run(["collect", "--feeds", feeds, "--db", str(db)], quick_env)
    assert result.exit_code == 1
    assert "2 of 3 feeds or lists could not be read" in result.output
    assert "not an RSS or Atom feed, nor a sitemap" in result.output and "HTTP 404" in result.output
    store = Store.open_read(db)
    try:
        assert store.query_value("SELECT count(*) FROM articles") == 5
        bad = store.query("SELECT url, kind, reason FROM fetch_log WHERE kind = 'feed' AND outcome = 'failed'")
        assert len(bad) == 2
    finally:
        store.close()


def test_a_bad_feeds_file_is_named_and_nothing_runs(tmp_path, quick_env):
    f = tmp_path / "feeds.toml"
    f.write_text('[[feed]]\nurl = "ftp://x.example/rss"\n')
    result = run(["collect", "--feeds", str(f), "--db", str(tmp_path / "c.duckdb")], quick_env)
    assert result.exit_code == 1 and "feed 1: url must be an http(s) address" in result.output
    assert not (tmp_path / "c.duckdb").exists()


def test_a_second_run_while_one_holds_the_lock_does_nothing(tmp_path, site, quick_env):
    db = tmp_path / "c.duckdb"
    feeds = feeds_file(tmp_path, site, ("/feeds/daily.xml", None, ()))
    with open(db.with_name(db.name + ".collect.lock"), "a+") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        result = run(["collect", "--feeds", feeds, "--db", str(db)], quick_env)
    assert result.exit_code == 75 and "another `narratives collect` is running" in result.output
    assert site.hits == {}


@pytest.mark.slow
def test_an_interrupted_run_resumes_without_fetching_what_it_stored(tmp_path, site, quick_settings, monkeypatch):
    import app.collect.run as run_module

    monkeypatch.setattr(run_module, "BATCH", 2)
    feeds = load_feeds(feeds_file(tmp_path, site, *TWO_FEEDS))
    settings = quick_settings.replace(collect_concurrency=1)

    def interrupt(stage, done, total):
        if done >= 5:
            raise KeyboardInterrupt  # Ctrl-C, or the machine going down, after five pages

    with pytest.raises(KeyboardInterrupt):
        with Store.write(settings.db, "collect --feeds x") as store:
            collect(store, settings, feeds, [], progress=interrupt)
    assert not settings.db.exists()  # nothing published...
    hits = dict(site.hits)
    with Store.write(settings.db, "collect --feeds x") as store:  # ...the same command resumes the work copy
        report = collect(store, settings, feeds, [])
    first_pages = {p for p in hits if p.startswith("/news/") or p.startswith("/go/")}
    assert first_pages  # the first run did fetch pages
    store = Store.open_read(settings.db)
    try:
        assert store.query_value("SELECT count(*) FROM articles") == 7
    finally:
        store.close()
    # What was stored before the interruption is not fetched again; only the page in flight at that moment
    # (fetched, not yet stored) may be.
    again = {p for p in first_pages if site.hits[p] > hits[p]}
    assert len(again) <= 1, again
    assert report.stored + sum(s.already for s in report.sources) >= 7


def test_url_lists_from_a_gdelt_table_and_a_text_file(tmp_path, site, quick_env):
    gkg = tmp_path / "20260303.gkg.csv.zip"
    with zipfile.ZipFile(gkg, "w") as zf:
        zf.writestr("20260303.gkg.csv", gkg_row(site.url("/news/storm.html"), source="dailyexample.test") + "\n"
                    + gkg_row(site.url("/news/no-date.html"), date="20260307120000") + "\n")
    txt = tmp_path / "urls.txt"
    txt.write_text(f"{site.url('/news/budget.html')}\n{site.url('/news/storm.html?utm_source=x')}\nnot a url\n"
                   f"{site.url('/sections/front.html')}\n")
    db = tmp_path / "c.duckdb"
    result = run(["collect", "--urls", str(gkg), "--urls", str(txt), "--db", str(db)], quick_env)
    assert result.exit_code == 0, result.output
    store = Store.open_read(db)
    try:
        rows = store.query("SELECT a.url, o.name AS outlet, a.date_source FROM articles a JOIN outlets o "
                           "USING (outlet_id) ORDER BY a.url")
        failed = store.query("SELECT reason FROM fetch_log WHERE outcome = 'failed'")["reason"].tolist()
    finally:
        store.close()
    assert [(u.replace(site.base, ""), o, d) for u, o, d in rows.itertuples(index=False)] == [
        ("/news/budget.html", "127.0.0.1:" + site.base.rsplit(":", 1)[1], "page"),
        ("/news/no-date.html", "dailyexample.test", "crawl"),  # GKG's source name
        ("/news/storm.html", "dailyexample.test", "page")]
    assert sorted(failed) == ["no article text (the extractor found no body on the page)",
                              "record 3: not an http(s) address"]  # a section front: links, no article
    assert site.hits["/news/storm.html"] == 1  # listed twice (tracking parameter), fetched once


@pytest.mark.slow
def test_reruns_with_unchanged_feeds_complete(tmp_path, site, quick_env):
    """Run after run on the same feeds: once a feed's state is kept, the next runs read it and still finish
    (a kept feed state once left a query open and the run crashed on writing its log)."""
    db = tmp_path / "news.duckdb"
    feeds = feeds_file(tmp_path, site, *TWO_FEEDS)
    env = {**quick_env, "NARRATIVES_COLLECT_TIMEOUT": "5"}  # the slow page too is stored: every page settles
    outputs = [run(["collect", "--feeds", feeds, "--db", str(db)], env) for _ in range(3)]
    assert [o.exit_code for o in outputs] == [0, 0, 0], outputs[-1].output
    assert outputs[-1].output.count("feed unchanged since the last run") == 2
