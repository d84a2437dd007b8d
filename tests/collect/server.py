"""A real HTTP server on 127.0.0.1 (port chosen by the system) serving the test site under ``site/``: feeds,
article pages with their furniture, robots.txt, and the awkward cases (redirects and a redirect loop, a slow
page, an oversized page, a 404, a page that fails once with 500 then works, a JSON file). Every request is
counted, so tests can say what was fetched and what was never asked for."""

from __future__ import annotations

import hashlib
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

SITE = Path(__file__).resolve().parent / "site"
ROBOTS = "User-agent: *\nDisallow: /private/\n"
SLOW_SECONDS = 3.0
BIG_BYTES = 50_000_000


class Site:
    def __init__(self):
        self.hits: Counter = Counter()
        self.agents: list[str] = []
        self.big_sent = 0
        self.big_finished = False
        self.fail_once = {"/news/flaky.html"}
        self.active = 0  # requests being answered now, and the most at once
        self.most_at_once = 0
        self._failed: set[str] = set()
        self.lock = threading.Lock()
        handler = type("Handler", (_Handler,), {"site": self})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def url(self, path: str) -> str:
        return self.base + path

    def page_hits(self) -> int:
        """Requests for anything but robots.txt and feeds: article pages and the awkward cases."""
        return sum(n for p, n in self.hits.items() if p != "/robots.txt" and not p.startswith("/feeds/"))

    def file(self, path: str) -> bytes | None:
        target = (SITE / path.lstrip("/")).resolve()
        if SITE not in target.parents or not target.is_file():
            return None
        return target.read_bytes().replace(b"{{BASE}}", self.base.encode())


class _Handler(BaseHTTPRequestHandler):
    site: Site
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out at once (no 40 ms delayed-ACK stall per page)

    def log_message(self, *args):  # quiet
        pass

    def _send(self, status: int, body: bytes = b"", ctype: str = "text/html; charset=utf-8", headers=None):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if body:
            self.wfile.write(body)

    def do_GET(self):  # noqa: N802 (http.server's name)
        with self.site.lock:
            self.site.active += 1
            self.site.most_at_once = max(self.site.most_at_once, self.site.active)
        try:
            self._get()
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout, a download stopped): expected here
        finally:
            with self.site.lock:
                self.site.active -= 1

    def _get(self):
        site = self.site
        path = urlsplit(self.path).path
        with site.lock:
            site.hits[path] += 1
            site.agents.append(self.headers.get("User-Agent", ""))
        if path == "/robots.txt":
            return self._send(200, ROBOTS.encode(), "text/plain")
        if path.startswith("/feeds/"):
            body = site.file(path)
            if body is None:
                return self._send(404, b"not found")
            etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
            if self.headers.get("If-None-Match") == etag:
                return self._send(304, headers={"ETag": etag})
            ctype = "application/atom+xml" if path.endswith(".atom") else "application/xml"
            return self._send(200, body, ctype, {"ETag": etag, "Last-Modified": "Sat, 07 Mar 2026 10:00:00 GMT"})
        if path == "/go/tempete":
            return self._send(302, headers={"Location": "/news/tempete.html"})
        if path.startswith("/loop/"):
            n = int(path.rsplit("/", 1)[1])
            return self._send(301, headers={"Location": f"/loop/{n + 1}"})
        if path == "/slow.html":
            time.sleep(SLOW_SECONDS)
            return self._send(200, site.file("/news/harbour.html"))
        if path == "/big.html":
            return self._big()
        if path == "/busy.html":  # 429 with Retry-After the first time, then the page
            with site.lock:
                first = path not in site._failed
                site._failed.add(path)
            if first:
                return self._send(429, b"slow down", headers={"Retry-After": "1"})
            return self._send(200, site.file("/news/harbour.html"))
        if path.startswith("/pause/"):  # a page that takes a moment, to see how many requests come at once
            time.sleep(0.1)
            return self._send(200, site.file("/news/harbour.html"))
        if path == "/data.json":
            return self._send(200, b'{"items": []}', "application/json")
        if path in site.fail_once:
            with site.lock:
                first = path not in site._failed
                site._failed.add(path)
            if first:
                return self._send(500, b"internal error")
            return self._send(200, site.file("/news/harbour.html").replace(b"Harbour master warns", b"Harbour master repeats"))
        if path.startswith("/copy/"):  # /copy/N/news/page.html: the page under as many addresses as asked
            path = "/" + path.split("/", 3)[3]
        body = site.file(path)
        if body is None:
            return self._send(404, b"<html><body><h1>Not found</h1></body></html>")
        return self._send(200, body)

    def _big(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Transfer-Encoding", "chunked")  # no Content-Length: only reading tells the size
        self.end_headers()
        chunk = b"<p>" + b"gallery caption " * 4000 + b"</p>\n"
        try:
            while self.site.big_sent < BIG_BYTES:
                self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                self.site.big_sent += len(chunk)
            self.wfile.write(b"0\r\n\r\n")
            self.site.big_finished = True
        except (BrokenPipeError, ConnectionResetError):
            pass
