"""The extractor on the test site's pages: the body without furniture, links from the body only, the date
with its zone and where it came from, the language; and ingest's raw-HTML path reading pages the same way."""

from __future__ import annotations

import datetime as dt
import json

import lxml.html
import pytest

from app.collect.extract import extract, parse_page_date
from tests.collect.server import SITE

PAGES = sorted(p.name for p in (SITE / "news").glob("*.html"))
FURNITURE = ("cookie", "Accept all", "newsletter", "Sign up", "Related", "You may also like", "Comments",
             "reader99", "wrote:", "Trending", "Share", "©", "All rights reserved", "Cookies help us", "By Jane Roe",
             "Local government reporter", "Advertisement", "More from Local")


def gold(name: str) -> list[str]:
    """The page's body paragraphs, as marked in the fixture (data-body)."""
    tree = lxml.html.fromstring((SITE / "news" / name).read_text())
    return [" ".join(p.text_content().split()) for p in tree.xpath("//p[@data-body]")]


@pytest.mark.parametrize("name", PAGES)
def test_the_body_is_the_article_and_nothing_else(name):
    page = extract((SITE / "news" / name).read_text(), f"http://127.0.0.1:8000/news/{name}")
    assert page.text.split("\n\n") == gold(name)
    for junk in FURNITURE:
        assert junk.lower() not in page.text.lower(), (name, junk)
    assert page.title and page.title.lower() not in page.text.lower()


def test_only_links_inside_the_body_are_kept():
    storm = extract((SITE / "news" / "storm.html").read_text(), "http://127.0.0.1:8000/news/storm.html")
    assert storm.links == [("https://weather-office.example/warnings/2026-03-02", "Its warning on Monday")]
    budget = extract((SITE / "news" / "budget.html").read_text().replace("{{BASE}}", "http://127.0.0.1:8000"),
                     "http://127.0.0.1:8000/news/budget.html")
    assert [u for u, _ in budget.links] == ["http://127.0.0.1:8000/news/storm.html?utm_source=feed&utm_medium=rss"]


def test_dates_keep_their_zone_and_say_where_they_came_from():
    storm = extract((SITE / "news" / "storm.html").read_text(), "http://x.example/a")
    assert storm.published_at == dt.datetime(2026, 3, 3, 8, 15, tzinfo=dt.timezone.utc)
    assert storm.published_at.utcoffset() == dt.timedelta(hours=1) and storm.zone_given
    assert (storm.date_source, storm.author) == ("page", "Jane Roe")
    only_ld = extract((SITE / "news" / "jsonld-only.html").read_text(), "http://x.example/b")
    assert only_ld.date_source == "page" and only_ld.date_raw == "2026-03-04T06:45:00-05:00"
    assert only_ld.published_at.astimezone(dt.timezone.utc) == dt.datetime(2026, 3, 4, 11, 45, tzinfo=dt.timezone.utc)
    budget = extract((SITE / "news" / "budget.html").read_text(), "http://x.example/c")
    assert budget.published_at == dt.datetime(2026, 3, 5, 18, 30, tzinfo=dt.timezone.utc)
    undated = extract((SITE / "news" / "no-date.html").read_text(), "http://x.example/d")
    assert undated.published_at is None and undated.date_source is None
    assert parse_page_date("2026-03-04") == (dt.datetime(2026, 3, 4, tzinfo=dt.timezone.utc), False)
    assert parse_page_date("yesterday") == (None, False)


def test_language_is_an_iso_639_1_code():
    assert extract((SITE / "news" / "tempete.html").read_text()).language == "fr"
    assert extract((SITE / "news" / "storm.html").read_text()).language == "en"
    assert extract("<html><body><p>Hi</p></body></html>").language is None
    assert extract("").text == ""


def test_ingested_raw_html_loses_furniture_and_related_links_are_no_lineage(memory_store, tmp_path):
    from app.ingest import ingest_files

    raw = (SITE / "news" / "storm.html").read_text()
    src = tmp_path / "pages.jsonl"
    src.write_text(json.dumps({"url": "https://dailyexample.test/news/storm", "html": raw,
                               "published_at": "2026-03-03T08:15:00Z"}) + "\n")
    rep = ingest_files(memory_store, [src], 200_000)
    assert (rep.ingested, rep.rejected) == (1, 0)
    row = memory_store.query("SELECT title, text FROM articles").iloc[0]
    assert row["title"] == "Storm floods three coastal towns"
    assert row["text"].split("\n\n") == gold("storm.html")
    links = memory_store.query("SELECT url FROM article_links")["url"].tolist()
    assert links == ["https://weather-office.example/warnings/2026-03-02"]  # not the related stories
