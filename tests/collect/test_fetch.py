"""Polite, bounded fetching against the test site: robots.txt, the User-Agent, redirects and their cap, the
size cap stopping the download, timeouts, retries only for passing failures, conditional requests, the
per-host delay."""

from __future__ import annotations

import time

import pytest

from app.collect.fetch import Fetcher
from tests.collect.server import BIG_BYTES


def test_robots_txt_is_honoured_and_the_user_agent_names_the_project(site, quick_settings):
    f = Fetcher(quick_settings)
    got = f.get(site.url("/private/leak.html"))
    assert got.reason == "disallowed by robots.txt" and not got.retry
    assert site.hits["/private/leak.html"] == 0  # never requested
    assert f.get(site.url("/news/storm.html")).ok
    assert site.hits["/robots.txt"] == 1  # read once per host
    assert all(a == "NarrativeTracker/0.1 (+newsdesk@example.org)" for a in site.agents)


def test_redirects_are_followed_up_to_the_cap(site, quick_settings):
    f = Fetcher(quick_settings)
    got = f.get(site.url("/go/tempete"))
    assert got.ok and got.final_url == site.url("/news/tempete.html") and got.status == 200
    loop = f.get(site.url("/loop/1"))
    assert loop.reason == "too many redirects (over 5)" and loop.status == 301
    assert site.hits["/loop/6"] == 1 and site.hits["/loop/7"] == 0


def test_failures_are_retried_only_when_they_may_pass(site, quick_settings):
    f = Fetcher(quick_settings)
    missing = f.get(site.url("/news/missing.html"))
    assert (missing.status, missing.reason, missing.retry, site.hits["/news/missing.html"]) == (404, "HTTP 404", False, 1)
    flaky = f.get(site.url("/news/flaky.html"))  # 500, then 200 on the retry
    assert flaky.ok and flaky.attempts == 2 and site.hits["/news/flaky.html"] == 2
    slow = f.get(site.url("/slow.html"))
    assert (slow.reason, slow.retry, slow.attempts) == ("timeout", True, 2)
    assert slow.seconds < 2.5  # two timeouts of 0.4 s and a back-off, not the page's 3 s


def test_an_oversized_page_stops_the_download(site, quick_settings):
    got = Fetcher(quick_settings).get(site.url("/big.html"))
    assert got.reason.startswith("too big (over 300,000 bytes") and got.body is None and not got.retry
    time.sleep(0.2)
    assert not site.big_finished and site.big_sent < BIG_BYTES / 4


def test_only_http_and_https_are_fetched(quick_settings):
    got = Fetcher(quick_settings).get("ftp://127.0.0.1/file.txt")
    assert got.reason.startswith("not an http(s) address") and got.attempts == 0


def test_feeds_are_fetched_conditionally(site, quick_settings):
    f = Fetcher(quick_settings)
    first = f.get(site.url("/feeds/daily.xml"))
    again = f.get(site.url("/feeds/daily.xml"), etag=first.headers["etag"],
                  last_modified=first.headers["last-modified"])
    assert again.not_modified and again.status == 304 and again.ok and not again.body


def test_requests_to_one_host_keep_their_distance(site, quick_settings):
    f = Fetcher(quick_settings.replace(collect_host_delay=0.15))
    start = time.monotonic()
    for _ in range(4):
        assert f.get(site.url("/news/storm.html")).ok
    assert time.monotonic() - start >= 0.15 * 4  # robots.txt and four pages, 0.15 s apart


@pytest.mark.slow
def test_a_429_waits_as_the_server_asks_then_succeeds(site, quick_settings):
    got = Fetcher(quick_settings).get(site.url("/busy.html"))
    assert got.ok and got.attempts == 2 and site.hits["/busy.html"] == 2
    assert got.seconds >= 1.0  # Retry-After: 1 wins over the 0.05 s back-off


def test_no_more_requests_at_once_to_a_host_than_the_setting(site, quick_settings):
    from concurrent.futures import ThreadPoolExecutor

    f = Fetcher(quick_settings.replace(collect_host_concurrency=2))
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(f.get, [site.url(f"/pause/{i}") for i in range(12)]))
    assert all(r.ok for r in results)
    assert site.most_at_once == 2
