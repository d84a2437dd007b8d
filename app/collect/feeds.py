"""The feeds file (TOML, kept under version control) and reading feeds: RSS 0.9x/1.0/2.0 and Atom through
feedparser; sitemaps, sitemap indexes and news sitemaps through lxml (external entities and the network
off).

```toml
[[feed]]
url = "https://example.org/rss.xml"
outlet = "Example Times"      # optional: else the feed's title, else the site
groups = ["wire"]             # optional, as in the outlets CSV
```
"""

from __future__ import annotations

try:  # Python 3.11+
    import tomllib
except ModuleNotFoundError:  # pragma: no cover
    import tomli as tomllib
import calendar
import datetime as dt
import html
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from app.collect.extract import parse_page_date


class FeedsFileError(ValueError):
    """The feeds file cannot be used: the message names the entry and the problem."""


class FeedProblem(ValueError):
    """A feed's content is not a feed or a sitemap."""


@dataclass(frozen=True)
class FeedSpec:
    url: str
    outlet: str | None = None
    groups: tuple[str, ...] = ()


@dataclass
class Entry:
    url: str
    title: str | None = None
    published_at: dt.datetime | None = None  # aware (UTC when the feed gave no zone)
    date_raw: str | None = None


@dataclass
class Feed:
    kind: str  # 'rss', 'atom', 'sitemap', 'sitemap index'
    title: str | None
    entries: list[Entry] = field(default_factory=list)
    sitemaps: list[str] = field(default_factory=list)  # a sitemap index's sitemaps


def load_feeds(path: str | Path) -> list[FeedSpec]:
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise FeedsFileError(f"{path}: no such file") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise FeedsFileError(f"{path}: not valid TOML ({exc})") from exc
    unknown = set(data) - {"feed"}
    if unknown:
        raise FeedsFileError(f"{path}: unknown table(s) {', '.join(sorted(unknown))}; feeds are [[feed]] entries")
    feeds, seen = [], set()
    for i, item in enumerate(data.get("feed", []), start=1):
        where = f"{path}: feed {i}"
        if not isinstance(item, dict):
            raise FeedsFileError(f"{where}: expected a [[feed]] table")
        extra = set(item) - {"url", "outlet", "groups"}
        if extra:
            raise FeedsFileError(f"{where}: unknown key(s) {', '.join(sorted(extra))}; known: url, outlet, groups")
        url = item.get("url")
        if not isinstance(url, str) or urlsplit(url.strip()).scheme.lower() not in ("http", "https") \
                or not urlsplit(url.strip()).hostname:
            raise FeedsFileError(f"{where}: url must be an http(s) address, got {url!r}")
        outlet = item.get("outlet")
        if outlet is not None and (not isinstance(outlet, str) or not outlet.strip()):
            raise FeedsFileError(f"{where} ({url}): outlet must be a non-empty string")
        groups = item.get("groups", [])
        if not isinstance(groups, list) or not all(isinstance(g, str) and g.strip() for g in groups):
            raise FeedsFileError(f"{where} ({url}): groups must be a list of strings, e.g. [\"wire\"]")
        if url.strip() in seen:
            raise FeedsFileError(f"{where}: {url} is listed twice")
        seen.add(url.strip())
        feeds.append(FeedSpec(url.strip(), outlet.strip() if outlet else None, tuple(g.strip() for g in groups)))
    if not feeds:
        raise FeedsFileError(f"{path}: no [[feed]] entries")
    return feeds


def _struct_date(parsed) -> dt.datetime | None:
    if not parsed:
        return None
    try:
        return dt.datetime.fromtimestamp(calendar.timegm(parsed), dt.timezone.utc)
    except (OverflowError, ValueError, TypeError):
        return None


def parse_feed(body: bytes, url: str) -> Feed:
    """Entries of an RSS/Atom feed or a sitemap, with absolute URLs. Raises :class:`FeedProblem`."""
    head = body[:2048].lstrip().lower()
    if b"<urlset" in head or b"<sitemapindex" in head or (b"<?xml" in head and b"sitemaps.org" in body[:4096]):
        return _parse_sitemap(body, url)
    import feedparser

    parsed = feedparser.parse(body, response_headers={"content-location": url, "content-type": "application/xml"})
    if not parsed.version and not parsed.entries:
        why = getattr(parsed, "bozo_exception", None)
        raise FeedProblem(f"not an RSS or Atom feed, nor a sitemap{f' ({why})' if why else ''}")
    feed = Feed("atom" if parsed.version.startswith("atom") else "rss",
                html.unescape(parsed.feed.get("title", "")).strip() or None)
    for item in parsed.entries:
        link = (item.get("link") or "").strip()
        if not link:
            continue
        link = urljoin(url, link)
        raw = item.get("published") or item.get("updated") or item.get("created")
        when = _struct_date(item.get("published_parsed") or item.get("updated_parsed") or item.get("created_parsed"))
        if when is None and raw:
            when = parse_page_date(raw)[0]
        title = html.unescape(item.get("title", "") or "").strip() or None
        feed.entries.append(Entry(link, title, when, raw))
    return feed


def _parse_sitemap(body: bytes, url: str) -> Feed:
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, recover=True, huge_tree=False)
    try:
        root = etree.fromstring(body, parser)
    except etree.XMLSyntaxError as exc:
        raise FeedProblem(f"sitemap is not valid XML ({exc})") from exc
    if root is None:
        raise FeedProblem("sitemap is empty")

    def local(el):
        return etree.QName(el).localname if isinstance(el.tag, str) else ""

    def child_text(el, name):
        for c in el.iter():
            if local(c) == name and c.text and c.text.strip():
                return c.text.strip()
        return None

    if local(root) == "sitemapindex":
        feed = Feed("sitemap index", None)
        for sm in root:
            if local(sm) == "sitemap" and (loc := child_text(sm, "loc")):
                feed.sitemaps.append(urljoin(url, loc))
        return feed
    if local(root) != "urlset":
        raise FeedProblem(f"XML whose root is <{local(root)}>, not a feed or a sitemap")
    feed = Feed("sitemap", None)
    for u in root:
        if local(u) != "url" or not (loc := child_text(u, "loc")):
            continue
        # A news sitemap's publication date is the publisher's; a plain sitemap's lastmod is when the page
        # last changed, which is the best a sitemap tells.
        raw = child_text(u, "publication_date") or child_text(u, "lastmod")
        name = child_text(u, "name")
        if name and feed.title is None:
            feed.title = name
        feed.entries.append(Entry(urljoin(url, loc), child_text(u, "title"), parse_page_date(raw)[0], raw))
    return feed
