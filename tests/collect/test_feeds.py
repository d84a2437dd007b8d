"""Reading feeds: RSS with relative links and HTML entities, Atom, news sitemaps behind a sitemap index, and
what is not a feed; the feeds file's checks."""

from __future__ import annotations

import datetime as dt

import pytest

from app.collect.feeds import FeedProblem, FeedsFileError, load_feeds, parse_feed
from app.collect.run import collect
from app.store import Store
from tests.collect.conftest import feeds_file
from tests.collect.server import SITE

BASE = "http://127.0.0.1:8000"


def _feed(name: str) -> bytes:
    return (SITE / "feeds" / name).read_bytes().replace(b"{{BASE}}", BASE.encode())


def test_rss_relative_links_are_resolved_and_entities_decoded():
    feed = parse_feed(_feed("daily.xml"), f"{BASE}/feeds/daily.xml")
    assert (feed.kind, feed.title) == ("rss", "The Daily Example – News")
    first, second, third = feed.entries[:3]
    assert first.url == f"{BASE}/news/storm.html?utm_source=rss&utm_medium=feed"
    assert first.title == "Storm floods three coastal towns & cuts power"
    assert first.published_at == dt.datetime(2026, 3, 3, 8, 20, tzinfo=dt.timezone.utc)
    assert (second.url, second.title) == (f"{BASE}/news/jsonld-only.html", "Ferry services resume ‘as storm passes’")
    assert third.url == f"{BASE}/news/harbour.html"


def test_atom_and_sitemaps():
    atom = parse_feed(_feed("evening.atom"), f"{BASE}/feeds/evening.atom")
    assert atom.kind == "atom" and atom.title == "Evening Post" and len(atom.entries) == 6
    assert atom.entries[1].published_at == dt.datetime(2026, 3, 7, 9, 30, tzinfo=dt.timezone.utc)
    index = parse_feed(_feed("sitemap-index.xml"), f"{BASE}/feeds/sitemap-index.xml")
    assert index.kind == "sitemap index" and index.sitemaps == [f"{BASE}/feeds/sitemap-news.xml"]
    news = parse_feed(_feed("sitemap-news.xml"), f"{BASE}/feeds/sitemap-news.xml")
    assert news.title == "The Daily Example" and [e.url for e in news.entries] == [
        f"{BASE}/news/storm.html", f"{BASE}/news/harbour.html"]
    assert news.entries[0].published_at.utcoffset() == dt.timedelta(hours=1)
    with pytest.raises(FeedProblem, match="not an RSS or Atom feed, nor a sitemap"):
        parse_feed(_feed("broken.xml"), f"{BASE}/feeds/broken.xml")


def test_a_sitemap_index_is_collected_through_its_sitemaps(tmp_path, site, quick_settings):
    feeds = load_feeds(feeds_file(tmp_path, site, ("/feeds/sitemap-index.xml", None, ("sitemaps",))))
    with Store.write(quick_settings.db, "collect") as store:
        report = collect(store, quick_settings, feeds, [])
        outlets = store.query("SELECT DISTINCT o.name, o.groups FROM articles JOIN outlets o USING (outlet_id)")
    assert report.stored == 2 and site.hits["/feeds/sitemap-news.xml"] == 1
    assert outlets.values.tolist()[0][0] == "The Daily Example" and list(outlets.values.tolist()[0][1]) == ["sitemaps"]


@pytest.mark.parametrize("text, message", [
    ('[[feed]]\nurl = "https://a.example/rss"\nouttlet = "A"\n', "feed 1: unknown key(s) outtlet"),
    ('[[feed]]\nurl = "https://a.example/rss"\ngroups = "wire"\n', "groups must be a list of strings"),
    ('[[feed]]\nurl = "https://a.example/rss"\n[[feed]]\nurl = "https://a.example/rss"\n', "listed twice"),
    ('[[feeds]]\nurl = "https://a.example/rss"\n', "unknown table(s) feeds"),
    ("[[feed]\n", "not valid TOML"),
    ("", "no [[feed]] entries"),
])
def test_the_feeds_file_is_checked_entry_by_entry(tmp_path, text, message):
    f = tmp_path / "feeds.toml"
    f.write_text(text)
    with pytest.raises(FeedsFileError, match=message.replace("[", r"\[").replace("(", r"\(").replace(")", r"\)")):
        load_feeds(f)
