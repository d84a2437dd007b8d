"""Live collection: from news feeds and URL lists to clean, dated article text in the store.

One run reads every feed (conditionally: a feed unchanged since the last run costs one 304), gathers the
URLs of feeds and URL lists, leaves out every URL already settled (an article with that address is stored,
or it failed for good before), fetches the rest politely (:mod:`app.collect.fetch`), extracts text and
metadata (:mod:`app.collect.extract`) and stores the articles in small batches, each committed with its
fetch log rows: an interrupted run resumes from the last batch without fetching what it stored. Every
fetch, good or bad, is a row of ``fetch_log`` with the URL, HTTP status and reason.
"""

from __future__ import annotations

import datetime as dt
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pandas as pd

from app.collect.extract import extract
from app.collect.feeds import FeedProblem, FeedSpec, parse_feed
from app.collect.fetch import Fetched, Fetcher
from app.collect.urls import read_url_list
from app.config import Settings
from app.ingest.normalize import ColumnMap, RecordProblem, canonical_url, normalise, site_of, url_date
from app.ingest.readers import UnreadableFile

BATCH = 20  # articles committed together: what an interrupted run can lose and fetch again
MAX_SITEMAPS = 50  # sitemaps read from one sitemap index
HTML_TYPES = ("text/html", "application/xhtml+xml")
_COLUMNS = ColumnMap(url="url", title="title", text="text", outlet="outlet", published_at="published_at",
                     language="language")

Progress = Callable[[str, int, int | None], None]


@dataclass
class Target:
    url: str
    canonical: str
    source: str  # the feed URL or the URL list's path
    outlet: str | None
    groups: tuple[str, ...] = ()
    title: str | None = None
    listed_date: dt.datetime | None = None
    listed_date_source: str | None = None  # 'feed', or what the list's date column was ('publisher'/'crawl')
    line: int | None = None


@dataclass
class SourceReport:
    source: str
    kind: str  # 'feed' or 'list'
    error: str | None = None
    not_modified: bool = False
    listed: int = 0
    already: int = 0  # settled before this run (stored, or failed for good)
    stored: int = 0
    duplicates: int = 0
    failed: int = 0
    to_retry: int = 0  # failures that may pass (timeouts, 429, 5xx): the next run tries them again
    reasons: dict[str, int] = field(default_factory=dict)
    states: list[tuple] = field(default_factory=list)  # (url, title, etag, last-modified) of feeds read


@dataclass
class CollectReport:
    run_id: int | None = None
    sources: list[SourceReport] = field(default_factory=list)
    requests: int = 0
    not_english: int = 0
    seconds: float = 0.0

    @property
    def stored(self) -> int:
        return sum(s.stored for s in self.sources)

    @property
    def failed(self) -> int:
        return sum(s.failed for s in self.sources)

    @property
    def unreadable(self) -> list[SourceReport]:
        return [s for s in self.sources if s.error]


def reason_key(reason: str) -> str:
    """A reason without its particulars (for counting): 'too big (over 5,000,000 bytes...)' -> 'too big'."""
    return reason.split(" (")[0][:60]


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def _log_row(run_id, source, url, kind, outcome, got: Fetched | None = None, reason=None, retry=False,
             canonical=None, article_id=None) -> dict:
    return {"run_id": run_id, "source": source, "url": url, "canonical_url": canonical, "kind": kind,
            "outcome": outcome, "status": got.status if got else None, "reason": reason,
            "retry": bool(retry), "final_url": got.final_url if got else None,
            "bytes": len(got.body) if got and got.body is not None else None,
            "attempts": got.attempts if got else None, "seconds": round(got.seconds, 3) if got else None,
            "article_id": article_id, "fetched_at": _now()}


def _decode(got: Fetched) -> str:
    charset = got.charset()
    if charset:
        try:
            return got.body.decode(charset, "replace")
        except LookupError:
            pass
    from trafilatura.utils import decode_file

    return decode_file(got.body)


def fetch_article(fetcher: Fetcher, target: Target, max_chars: int) -> tuple[Fetched, dict | None, str | None, bool]:
    """(the fetch, the article row or None, the reason it failed, whether to retry next run). Runs in a
    worker thread: no store access."""
    got = fetcher.get(target.url)
    if not got.ok:
        return got, None, got.reason, got.retry
    kind = got.content_type
    if kind and kind not in HTML_TYPES:
        return got, None, f"not HTML (content type {kind})", False
    if not kind and not got.body.lstrip()[:1] == b"<":
        return got, None, "not HTML (no content type, and the body is not markup)", False
    page = extract(_decode(got), got.final_url)
    if not page.text.strip():
        return got, None, "no article text (the extractor found no body on the page)", False
    when, source = page.published_at, page.date_source
    if when is None and target.listed_date is not None:
        when, source = target.listed_date, target.listed_date_source
    if when is None and (from_url := url_date(got.final_url) or url_date(target.url)) is not None:
        when, source = from_url, "url"
    if when is None:
        reason = (f"unparseable date {page.date_raw[:60]!r} on the page, and none in the feed or address"
                  if page.date_raw else "no publication date on the page, in the feed or in the address")
        return got, None, reason, False
    record = {"url": got.final_url, "title": page.title or target.title, "text": page.text,
              "outlet": target.outlet or site_of(got.final_url), "published_at": when, "language": page.language}
    try:
        article = normalise(record, _COLUMNS, max_chars)
    except RecordProblem as exc:
        return got, None, str(exc), False
    article["date_source"] = source
    article["author"] = page.author
    # The zone the page wrote its time in (minutes east of UTC), when it gave one: published_at is UTC.
    article["published_utc_offset"] = (int(page.published_at.utcoffset().total_seconds() // 60)
                                       if source in ("page", "page-text") and page.zone_given else None)
    article["links"] = page.links
    return got, article, None, False


def gather(store, fetcher: Fetcher, feeds: list[FeedSpec], url_files: list[Path], report: CollectReport,
           log: list[dict]) -> list[Target]:
    """Every URL the feeds and lists give, once (first source wins), and what each source said."""
    targets: list[Target] = []
    for spec in feeds:
        rep = SourceReport(spec.url, "feed")
        report.sources.append(rep)
        queue, entries, title = [spec.url], [], None
        while queue:
            url = queue.pop(0)
            state = store.feed_state(url)
            got = fetcher.get(url, state.get("etag"), state.get("last_modified"))
            if got.not_modified:
                rep.not_modified = True
                log.append(_log_row(report.run_id, spec.url, url, "feed", "not modified", got))
                title = title or state.get("title")
                continue
            if not got.ok:
                rep.error = f"{url}: {got.reason}"
                log.append(_log_row(report.run_id, spec.url, url, "feed", "failed", got, got.reason, got.retry))
                continue
            try:
                feed = parse_feed(got.body, got.final_url)
            except FeedProblem as exc:
                rep.error = f"{url}: {exc}"
                log.append(_log_row(report.run_id, spec.url, url, "feed", "failed", got, str(exc)))
                continue
            log.append(_log_row(report.run_id, spec.url, url, "feed", "read", got))
            rep.states.append((url, feed.title, got.headers.get("etag"), got.headers.get("last-modified")))
            title = title or feed.title or state.get("title")
            entries.extend(feed.entries)
            room = MAX_SITEMAPS - (len(queue))
            queue.extend(feed.sitemaps[:max(0, room)])
        outlet = spec.outlet or title or site_of(spec.url)
        for e in entries:
            targets.append(Target(e.url, "", spec.url, outlet, spec.groups, e.title, e.published_at,
                                  "feed" if e.published_at else None))
        rep.listed = len(entries)
    for path in url_files:
        rep = SourceReport(str(path), "list")
        report.sources.append(rep)
        try:
            listed, problems = read_url_list(path)
        except (UnreadableFile, OSError, UnicodeError) as exc:
            rep.error = str(exc)
            continue
        for line, raw, reason in problems:
            rep.failed += 1
            rep.reasons[reason_key(reason)] = rep.reasons.get(reason_key(reason), 0) + 1
            log.append(_log_row(report.run_id, str(path), raw[:2000] or f"record {line}", "list", "failed",
                                reason=f"record {line}: {reason}"))
        for u in listed:
            targets.append(Target(u.url, "", str(path), u.outlet, (), u.title, u.published_at, u.date_source, u.line))
        rep.listed = len(listed)
    unique: dict[str, Target] = {}
    by_source = {s.source: s for s in report.sources}
    for t in targets:
        try:
            t.canonical = canonical_url(t.url)
        except ValueError:
            rep = by_source[t.source]
            rep.failed += 1
            rep.reasons["malformed URL"] = rep.reasons.get("malformed URL", 0) + 1
            log.append(_log_row(report.run_id, t.source, t.url, "page", "failed", reason="malformed URL"))
            continue
        unique.setdefault(t.canonical, t)
    return list(unique.values())


def collect(store, settings: Settings, feeds: list[FeedSpec], url_files: list[Path],
            progress: Progress | None = None, fetcher: Fetcher | None = None) -> CollectReport:
    """Collect into ``store`` (a writable store: run it inside ``Store.write``)."""
    started = _now()
    own = fetcher is None
    fetcher = fetcher or Fetcher(settings)
    report = CollectReport()
    report.run_id = store.start_run("collect", {"feeds": [f.url for f in feeds], "urls": [str(p) for p in url_files]})
    log: list[dict] = []
    try:
        targets = gather(store, fetcher, feeds, url_files, report, log)
        store.add_fetches(log)
        log = []
        by_source = {s.source: s for s in report.sources}
        settled = store.settled_urls([t.canonical for t in targets])
        todo = []
        for t in targets:
            if t.canonical in settled:
                by_source[t.source].already += 1
            else:
                todo.append(t)
        _fetch_all(store, settings, fetcher, todo, report, by_source, progress)
        # A feed's validators are kept only once each of its pages is settled: a page to retry must come
        # back with the feed next run, not be hidden behind a 304.
        for rep in report.sources:
            if not rep.to_retry:
                for url, title, etag, modified in rep.states:
                    store.save_feed_state(url, title, etag, modified, _now())
        report.requests = fetcher.requests
        report.seconds = (_now() - started).total_seconds()
        store.finish_run(report.run_id, {"stored": report.stored, "failed": report.failed,
                                         "requests": report.requests,
                                         "unreadable_sources": len(report.unreadable)},
                         status="done" if not report.unreadable else "partial")
    finally:
        if own:
            fetcher.close()
    return report


def _fetch_all(store, settings, fetcher, todo, report, by_source, progress) -> None:
    if todo:  # the extractor and the language model, loaded once here rather than by every worker at once
        import trafilatura  # noqa: F401

        from app.collect.language import load

        load()
    pending: list = []
    done = 0

    def flush():
        nonlocal pending
        if pending:
            _store_batch(store, pending, report, by_source)
            pending = []

    with ThreadPoolExecutor(max_workers=max(1, settings.collect_concurrency)) as pool:
        futures = {pool.submit(fetch_article, fetcher, t, settings.max_article_chars): t for t in todo}
        taken: set = set()
        try:
            remaining = set(futures)
            while remaining:
                finished, remaining = wait(remaining, return_when=FIRST_COMPLETED)
                for fut in finished:
                    pending.append((futures[fut], *fut.result()))
                    taken.add(fut)
                    done += 1
                if len(pending) >= BATCH:
                    flush()
                if progress:
                    progress("collect pages", done, len(todo))
            flush()
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            # What was fetched is kept, so the next run does not fetch it again: the results waiting here and
            # those the workers finished meanwhile (a page still in flight is lost, one per worker at most).
            for fut, target in futures.items():
                if fut not in taken and fut.done() and not fut.cancelled() and fut.exception() is None:
                    pending.append((target, *fut.result()))
            flush()
            raise


def _store_batch(store, results, report: CollectReport, by_source) -> None:
    now = _now()
    log, articles = [], {}
    known = store.settled_urls([a["canonical_url"] for _, _, a, _, _ in results if a])
    for target, got, article, reason, retry in results:
        rep = by_source[target.source]
        if article is None:
            rep.failed += 1
            rep.to_retry += bool(retry)
            rep.reasons[reason_key(reason)] = rep.reasons.get(reason_key(reason), 0) + 1
            log.append(_log_row(report.run_id, target.source, target.url, "page", "failed", got, reason, retry,
                                target.canonical))
            continue
        if article["canonical_url"] in known or article["article_id"] in articles:
            rep.duplicates += 1
            log.append(_log_row(report.run_id, target.source, target.url, "page", "duplicate", got,
                                f"same article as {article['canonical_url']}, already stored", False,
                                target.canonical, article["article_id"]))
            continue
        article["source_file"], article["record_no"], article["ingested_at"] = target.source, target.line, now
        article["groups"] = target.groups
        articles[article["article_id"]] = article
        rep.stored += 1
        if article["language"] not in (None, "en"):
            report.not_english += 1
        log.append(_log_row(report.run_id, target.source, target.url, "page", "stored", got, None, False,
                            target.canonical, article["article_id"]))
    with store.transaction():
        if articles:
            df = pd.DataFrame(articles.values())
            store.add_outlets(df[["outlet_id", "outlet_name", "domain"]].rename(columns={"outlet_name": "name"}))
            for oid, groups in df.drop_duplicates("outlet_id")[["outlet_id", "groups"]].itertuples(index=False):
                store.add_outlet_groups(oid, list(groups))
            store.add_articles(df.drop(columns=["outlet_name", "domain", "links", "groups"]))
            store.add_links(pd.DataFrame(
                [{"article_id": a["article_id"], "url": u, "anchor": t} for a in articles.values() for u, t in a["links"]],
                columns=["article_id", "url", "anchor"]))
        store.add_fetches(log)
    if articles:
        store.apply_date_corrections()
