"""Collection: fetch + extract throughput per page against a local HTTP server, and the extractor's body
precision and recall on the test site's pages, beside the hand-written raw-HTML parser it replaced.

    python bench/collect.py [--pages 240]

Throughput: the test site (tests/collect/server.py, a ThreadingHTTPServer on 127.0.0.1) serves its six
article pages under many addresses; `narratives collect --urls` (the real run: robots.txt, fetch, extract,
language, store in batches) collects them with no per-host delay, at 1, 4 and 8 workers. Also timed
apart: fetching alone and extracting alone, per page.

Precision/recall: the gold body of each page is its paragraphs marked ``data-body`` in the fixture; the
extracted text and the gold are compared as multisets of lower-cased word tokens (precision: share of
extracted words that are body words; recall: share of body words extracted). Also counted: links kept
that are not in the body (related stories, navigation: false lineage candidates).
"""

from __future__ import annotations

import argparse
import html as html_lib
import re
import sys
import tempfile
import time
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin

import lxml.html

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.collect.extract import extract  # noqa: E402
from app.collect.fetch import Fetcher  # noqa: E402
from app.config import load_settings  # noqa: E402
from app.store import Store  # noqa: E402
from tests.collect.server import SITE, Site  # noqa: E402

PAGES = sorted(p.name for p in (SITE / "news").glob("*.html"))


# -- the hand-written parser ingest used before (standard library only), kept here for the comparison ------
class _OldParser(HTMLParser):
    BLOCKS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "pre", "td", "dd", "dt"}
    SKIP = {"script", "style", "noscript", "nav", "header", "footer", "aside", "form", "figcaption", "svg", "button",
            "iframe", "template"}
    VOID = {"br", "img", "hr", "input", "meta", "link", "source", "wbr", "area", "base", "col", "embed", "param",
            "track"}

    def __init__(self, base):
        super().__init__(convert_charrefs=True)
        self.base, self.skip, self.depth, self.buf, self.paras, self.links = base, 0, 0, [], [], []
        self.anchor, self.href = None, None

    def handle_starttag(self, tag, attrs):
        if tag in self.VOID:
            if tag == "br" and self.depth:
                self.buf.append(" ")
            return
        if tag in self.SKIP:
            self.skip += 1
            return
        if self.skip:
            return
        if tag in self.BLOCKS:
            if self.depth == 0:
                self.flush()
            self.depth += 1
        if tag == "a":
            href = dict(attrs).get("href")
            if href and not href.startswith(("#", "mailto:", "javascript:", "tel:")):
                self.href, self.anchor = urljoin(self.base, href.strip()), []

    def handle_endtag(self, tag):
        if tag in self.VOID:
            return
        if tag in self.SKIP:
            self.skip = max(0, self.skip - 1)
            return
        if self.skip:
            return
        if tag == "a" and self.href is not None:
            if re.match(r"^https?://", self.href, re.I):
                self.links.append((self.href, " ".join("".join(self.anchor or []).split())))
            self.href, self.anchor = None, None
        if tag in self.BLOCKS and self.depth:
            self.depth -= 1
            if self.depth == 0:
                self.flush()

    def handle_data(self, data):
        if self.skip:
            return
        if self.depth:
            self.buf.append(data)
        if self.anchor is not None:
            self.anchor.append(data)

    def flush(self):
        text = " ".join("".join(self.buf).split())
        if text:
            self.paras.append(text)
        self.buf = []


def old_parse(raw: str, base: str) -> tuple[str, list]:
    p = _OldParser(base)
    p.feed(raw)
    p.close()
    p.flush()
    text = "\n\n".join(p.paras) or " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", raw)).split())
    return text, list(dict.fromkeys(p.links))


# -- measures ---------------------------------------------------------------------------------------------
def words(text: str) -> Counter:
    return Counter(re.findall(r"\w+", text.lower()))


def gold(name: str, raw: str) -> tuple[str, set[str]]:
    tree = lxml.html.fromstring(raw)
    body = tree.xpath("//p[@data-body]")
    links = {urljoin("http://127.0.0.1:8000/news/" + name, a.get("href")) for p in body for a in p.xpath(".//a[@href]")}
    return "\n\n".join(" ".join(p.text_content().split()) for p in body), links


def quality() -> list[dict]:
    rows = []
    for name in PAGES:
        raw = (SITE / "news" / name).read_text().replace("{{BASE}}", "http://127.0.0.1:8000")
        want, want_links = gold(name, raw)
        for method, (text, links) in (("trafilatura (now)", (lambda e: (e.text, e.links))(
                extract(raw, "http://127.0.0.1:8000/news/" + name))),
                                      ("hand-written parser (before)", old_parse(raw, "http://127.0.0.1:8000/news/" + name))):
            got, ref = words(text), words(want)
            common = sum((got & ref).values())
            rows.append({"page": name, "method": method, "extracted_words": sum(got.values()),
                         "body_words": sum(ref.values()), "common": common,
                         "furniture_links": len({u for u, _ in links} - want_links),
                         "body_links_kept": len({u for u, _ in links} & want_links), "body_links": len(want_links)})
    return rows


def throughput(pages: int, workers: int) -> dict:
    tmp = Path(tempfile.mkdtemp())
    with Site() as site:
        urls = tmp / "urls.txt"
        urls.write_text("".join(f"{site.url(f'/copy/{i}/news/{PAGES[i % len(PAGES)]}')}\n" for i in range(pages)))
        settings = load_settings(env={}, db=tmp / "b.duckdb", collect_host_delay=0, collect_concurrency=workers,
                                 collect_host_concurrency=workers)
        from app.collect.run import collect

        start = time.perf_counter()
        with Store.write(settings.db, "collect bench") as store:
            report = collect(store, settings, [], [urls])
        seconds = time.perf_counter() - start
        fetcher = Fetcher(settings)
        fetch_start = time.perf_counter()
        bodies = [fetcher.get(site.url(f"/copy/x{i}/news/{PAGES[i % len(PAGES)]}")).body for i in range(60)]
        fetch_s = (time.perf_counter() - fetch_start) / 60
    ext_start = time.perf_counter()
    for b in bodies:
        extract(b.decode(), "http://127.0.0.1/x")
    extract_s = (time.perf_counter() - ext_start) / len(bodies)
    return {"workers": workers, "pages": pages, "stored": report.stored, "seconds": round(seconds, 2),
            "pages_per_s": round(report.stored / seconds, 1), "ms_per_page": round(1000 * seconds / pages, 1),
            "fetch_ms_one_worker": round(1000 * fetch_s, 2), "extract_ms": round(1000 * extract_s, 2)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pages", type=int, default=240)
    args = ap.parse_args()
    import pandas as pd

    q = pd.DataFrame(quality())
    per_method = q.groupby("method")[["extracted_words", "body_words", "common", "furniture_links",
                                      "body_links_kept", "body_links"]].sum()
    per_method["precision"] = (per_method["common"] / per_method["extracted_words"]).round(3)
    per_method["recall"] = (per_method["common"] / per_method["body_words"]).round(3)
    print("body precision / recall over the six fixture pages (word multisets):")
    print(per_method.to_string())
    q["precision"] = (q["common"] / q["extracted_words"]).round(3)
    q["recall"] = (q["common"] / q["body_words"]).round(3)
    print(q[["page", "method", "precision", "recall", "furniture_links"]].to_string(index=False))
    extract(( SITE / "news" / PAGES[0]).read_text())  # load the extractor and the language model first
    print("\nfetch + extract + store, `collect --urls` against the local server:")
    rows = [throughput(args.pages, w) for w in (1, 4, 8)]
    print(pd.DataFrame(rows).to_string(index=False))


if __name__ == "__main__":
    main()
