"""Polite, bounded HTTP fetching: robots.txt honoured (a disallowed URL is never requested), a delay between
two requests to one host and a cap on requests at once per host, a User-Agent that names the project and a
contact, timeouts, a maximum size (the download stops there), redirects followed up to a cap (each hop
checked against robots.txt and the http(s) rule), retries with back-off for passing failures only
(timeouts, connection errors, 429, 5xx), and conditional requests (ETag / Last-Modified) for feeds.

A fetch never raises for a problem of the URL: it returns a :class:`Fetched` whose ``reason`` says what went
wrong and ``retry`` whether the next run should try again.
"""

from __future__ import annotations

import email.utils
import threading
import time
import urllib.robotparser
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import urllib3

from app.config import Settings

PROJECT = "NarrativeTracker"
VERSION = "0.1"
MAX_RETRY_AFTER = 60.0


def user_agent(contact: str) -> str:
    """``NarrativeTracker/0.1 (+contact)``: robots.txt rules for NarrativeTracker apply to it."""
    return f"{PROJECT}/{VERSION} (+{contact})" if contact else f"{PROJECT}/{VERSION}"


@dataclass
class Fetched:
    url: str
    final_url: str
    status: int | None = None
    body: bytes | None = None
    headers: dict = field(default_factory=dict)
    reason: str | None = None  # None: fetched
    retry: bool = False  # the failure may pass: the next run tries again
    attempts: int = 0
    seconds: float = 0.0
    not_modified: bool = False

    @property
    def ok(self) -> bool:
        return self.reason is None

    @property
    def content_type(self) -> str:
        return (self.headers.get("content-type") or "").split(";")[0].strip().lower()

    def charset(self) -> str | None:
        for part in (self.headers.get("content-type") or "").split(";")[1:]:
            key, _, value = part.partition("=")
            if key.strip().lower() == "charset" and value.strip():
                return value.strip().strip('"')
        return None


class _Host:
    def __init__(self, concurrency: int):
        self.slots = threading.Semaphore(max(1, concurrency))
        self.lock = threading.Lock()  # the rate limit's clock
        self.robots_lock = threading.Lock()  # robots.txt is read once, by the first request to the host
        self.next_at = 0.0
        self.robots: urllib.robotparser.RobotFileParser | None = None
        self.robots_problem: str | None = None  # robots.txt could not be read: every URL is refused this run
        self.delay = 0.0


class Fetcher:
    """One per run: keeps each host's robots.txt, its delay and its connections."""

    def __init__(self, settings: Settings, sleep=time.sleep, clock=time.monotonic):
        self.s = settings
        self.agent = user_agent(settings.collect_contact)
        self.headers = {"User-Agent": self.agent, "Accept-Encoding": "gzip, deflate"}
        self.pool = urllib3.PoolManager(num_pools=64, maxsize=max(1, settings.collect_host_concurrency),
                                        block=False, retries=False)
        self.timeout = urllib3.Timeout(connect=settings.collect_timeout, read=settings.collect_timeout)
        self._hosts: dict[str, _Host] = {}
        self._lock = threading.Lock()
        self._sleep, self._clock = sleep, clock
        self.requests = 0  # every request sent, robots.txt included

    # -- hosts ------------------------------------------------------------------------------------
    def _host(self, url: str) -> _Host:
        parts = urlsplit(url)
        key = f"{parts.scheme}://{parts.netloc}".lower()
        with self._lock:
            if key not in self._hosts:
                self._hosts[key] = _Host(self.s.collect_host_concurrency)
                self._hosts[key].delay = self.s.collect_host_delay
            host = self._hosts[key]
        with host.robots_lock:
            if host.robots is None and host.robots_problem is None:
                self._load_robots(key, host)
        return host

    def _load_robots(self, origin: str, host: _Host) -> None:
        """RFC 9309: a robots.txt that is missing (4xx) allows everything; one that cannot be fetched (5xx,
        timeout) refuses everything for this run."""
        got = self._request(origin + "/robots.txt", {}, host)
        parser = urllib.robotparser.RobotFileParser(origin + "/robots.txt")
        if got.ok:
            parser.parse(got.body.decode("utf-8", "replace").splitlines())
            delay = parser.crawl_delay(PROJECT)
            if delay:
                host.delay = max(host.delay, min(float(delay), 60.0))
        elif got.status is not None and 400 <= got.status < 500:
            parser.parse([])
        else:
            host.robots_problem = f"robots.txt unreadable ({got.reason})"
            return
        host.robots = parser

    def _allowed(self, url: str) -> tuple[_Host, str | None]:
        host = self._host(url)
        if host.robots_problem:
            return host, host.robots_problem
        if not host.robots.can_fetch(PROJECT, url):
            return host, "disallowed by robots.txt"
        return host, None

    def _wait_turn(self, host: _Host) -> None:
        with host.lock:
            now = self._clock()
            start = max(now, host.next_at)
            host.next_at = start + host.delay
        if start > now:
            self._sleep(start - now)

    # -- requests ---------------------------------------------------------------------------------
    def _request(self, url: str, headers: dict, host: _Host) -> Fetched:
        """One GET, read up to the size cap; no redirects, no retries."""
        out = Fetched(url, url)
        started = self._clock()
        with host.slots:
            self._wait_turn(host)
            self.requests += 1
            try:
                resp = self.pool.request("GET", url, headers={**self.headers, **headers}, redirect=False, preload_content=False,
                                         timeout=self.timeout, decode_content=True)
            except urllib3.exceptions.TimeoutError:
                out.reason, out.retry = "timeout", True
                return out
            except (urllib3.exceptions.HTTPError, OSError, ValueError) as exc:
                out.reason, out.retry = f"connection failed ({type(exc).__name__})", True
                return out
            try:
                out.status = resp.status
                out.headers = {k.lower(): v for k, v in resp.headers.items()}
                if 300 <= resp.status < 400 or resp.status == 304 or resp.status >= 400:
                    resp.drain_conn() if resp.status < 400 else None
                    out.reason = None if 300 <= resp.status < 400 else f"HTTP {resp.status}"
                    out.retry = resp.status == 429 or resp.status >= 500
                    return out
                limit = self.s.collect_max_bytes
                declared = out.headers.get("content-length")
                if declared and declared.isdigit() and int(declared) > limit:
                    out.reason = f"too big ({int(declared):,} bytes declared, limit {limit:,})"
                    return out
                chunks, total = [], 0
                for chunk in resp.stream(65536):
                    chunks.append(chunk)
                    total += len(chunk)
                    if total > limit:
                        out.reason = f"too big (over {limit:,} bytes; download stopped)"
                        return out
                out.body = b"".join(chunks)
            except urllib3.exceptions.TimeoutError:
                out.reason, out.retry = "timeout", True
            except (urllib3.exceptions.HTTPError, OSError) as exc:
                out.reason, out.retry = f"connection failed ({type(exc).__name__})", True
            finally:
                resp.release_conn() if out.ok else resp.close()
                out.seconds = self._clock() - started
        return out

    def get(self, url: str, etag: str | None = None, last_modified: str | None = None) -> Fetched:
        """Fetch ``url``: robots.txt, redirects (capped) and retries applied. ``etag``/``last_modified``
        make it conditional (a 304 comes back with ``not_modified``)."""
        started = self._clock()
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        current, hops, attempts = url, 0, 0
        while True:
            if urlsplit(current).scheme.lower() not in ("http", "https"):
                return Fetched(url, current, reason=f"not an http(s) address ({current[:80]})",
                               attempts=attempts, seconds=self._clock() - started)
            host, refused = self._allowed(current)
            if refused:
                return Fetched(url, current, reason=refused, retry=refused.startswith("robots.txt unreadable"),
                               attempts=attempts, seconds=self._clock() - started)
            for attempt in range(self.s.collect_retries + 1):
                attempts += 1
                got = self._request(current, headers, host)
                if not got.retry or attempt == self.s.collect_retries:
                    break
                self._sleep(self._backoff(attempt, got))
            got.url, got.attempts = url, attempts
            got.seconds = self._clock() - started
            if got.status == 304:
                got.not_modified, got.reason = True, None
                got.final_url = current
                return got
            if got.status is not None and 300 <= got.status < 400:
                location = got.headers.get("location")
                if not location:
                    got.reason = f"HTTP {got.status} without a Location"
                    return got
                hops += 1
                if hops > self.s.collect_max_redirects:
                    got.reason = f"too many redirects (over {self.s.collect_max_redirects})"
                    return got
                current = urljoin(current, location.strip())
                continue
            got.final_url = current
            return got

    def _backoff(self, attempt: int, got: Fetched) -> float:
        wait = self.s.collect_backoff * (2 ** attempt)
        after = got.headers.get("retry-after")
        if after:
            if after.strip().isdigit():
                wait = max(wait, float(after))
            else:
                try:
                    when = email.utils.parsedate_to_datetime(after)
                    wait = max(wait, when.timestamp() - time.time())
                except (TypeError, ValueError):
                    pass
        return min(wait, MAX_RETRY_AFTER)

    def close(self) -> None:
        self.pool.clear()
