"""An article's text and metadata from its HTML, with trafilatura: the body without the page's furniture
(navigation, cookie banners, bylines, related links, newsletter boxes, comments), the title, the author,
the hyperlinks inside the body (for lineage), the publication time with its time zone and where it came
from, and the language.

Used by collection (pages fetched from the web) and by ingest (records that carry raw HTML), so both read
a page the same way.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import lxml.html

from app.collect.language import detect_language

# The publication time as publishers mark it up: meta tags (Open Graph, Dublin Core, Parse.ly, Sailthru,
# schema.org microdata) and JSON-LD; read before htmldate's wider search so the source is known.
_META_DATE = ("article:published_time", "og:published_time", "og:article:published_time", "datepublished",
              "pubdate", "publishdate", "publish-date", "publish_date", "dc.date.issued", "dcterms.issued",
              "dc.date", "dcterms.created", "parsely-pub-date", "sailthru.date", "date", "cxenseparse:recs:publishtime")
_BLOCKS = ("p", "head", "item", "quote", "cell", "list")
_FULL_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")


@dataclass
class Extracted:
    title: str | None
    author: str | None
    text: str
    links: list[tuple[str, str]] = field(default_factory=list)  # (absolute URL, anchor text) inside the body
    published_at: dt.datetime | None = None  # aware, in the page's own zone when it gave one
    date_source: str | None = None  # 'page' (meta tags or JSON-LD), 'page-text' (htmldate's wider search)
    date_raw: str | None = None
    zone_given: bool = False  # the page's date carried a time zone
    language: str | None = None
    sitename: str | None = None


def _walk_json_ld(obj, out: list[str]) -> None:
    if isinstance(obj, list):
        for item in obj:
            _walk_json_ld(item, out)
    elif isinstance(obj, dict):
        for key in ("datePublished", "dateCreated"):
            if isinstance(obj.get(key), str):
                out.append(obj[key])
        for key in ("@graph", "mainEntity", "mainEntityOfPage", "itemListElement"):
            if key in obj:
                _walk_json_ld(obj[key], out)


def structured_date(tree) -> str | None:
    """The publication time the page states in JSON-LD or its meta tags, as written, or None."""
    found: list[str] = []
    for script in tree.xpath('//script[@type="application/ld+json"]'):
        try:
            _walk_json_ld(json.loads(script.text_content().strip() or "null"), found)
        except ValueError:
            continue  # broken JSON-LD is common: the meta tags and htmldate still apply
    if found:
        return found[0]
    metas = {}
    for meta in tree.xpath("//meta[@content]"):
        key = (meta.get("property") or meta.get("name") or meta.get("itemprop") or "").strip().lower()
        if key and key not in metas:
            metas[key] = meta.get("content").strip()
    for key in _META_DATE:
        if metas.get(key):
            return metas[key]
    for node in tree.xpath('//*[@itemprop="datePublished"][@datetime]'):
        return node.get("datetime")
    return None


def parse_page_date(text: str | None) -> tuple[dt.datetime | None, bool]:
    """An ISO 8601 (or RFC 2822) date from a page: (aware datetime, whether it carried a zone). A date
    without a zone is taken as UTC; one that cannot be read is (None, False)."""
    if not text:
        return None, False
    import email.utils

    value = text.strip()
    try:
        if re.match(r"^[A-Z][a-z]{2}, ", value):
            when = email.utils.parsedate_to_datetime(value)
        else:
            value = re.sub(r"Z$", "+00:00", value)
            value = re.sub(r"([+-]\d{2})(\d{2})$", r"\1:\2", value)  # +0100 -> +01:00
            when = dt.datetime.fromisoformat(value)
    except (ValueError, TypeError, IndexError):
        return None, False
    zoned = when.tzinfo is not None
    return (when if zoned else when.replace(tzinfo=dt.timezone.utc)), zoned


def _body(body, base_url: str | None, title: str | None) -> tuple[str, list[tuple[str, str]]]:
    paragraphs: list[str] = []
    links: list[tuple[str, str]] = []
    if body is None:
        return "", links
    for lb in body.iter("lb"):  # a <br> inside a paragraph is a space, not nothing
        lb.text = " "
    for node in body.iter(*_BLOCKS):
        if node.tag == "list" or any(a.tag in _BLOCKS and a.tag != "list" for a in node.iterancestors()):
            continue  # a list's items and a quote's paragraphs are read as their own blocks
        text = " ".join("".join(node.itertext()).split())
        if text:
            paragraphs.append(text)
    if paragraphs and title and paragraphs[0].strip().lower() == title.strip().lower():
        paragraphs = paragraphs[1:]  # the headline repeated at the top of the body is the title, not text
    for ref in body.iter("ref"):
        target = (ref.get("target") or "").strip()
        if not target or target.startswith(("#", "mailto:", "javascript:", "tel:")):
            continue
        try:
            url = urljoin(base_url, target) if base_url else target
            urlsplit(url)
        except ValueError:
            continue  # an href that cannot be parsed is not a link
        if re.match(r"^https?://", url, re.I):
            links.append((url, " ".join("".join(ref.itertext()).split())))
    return "\n\n".join(paragraphs), list(dict.fromkeys(links))


def extract(html: str, url: str | None = None) -> Extracted:
    """Read one page. The text is empty when the page holds no article (a section front, an error page)."""
    import trafilatura

    doc = None
    if html.strip():
        doc = trafilatura.bare_extraction(
            html, url=url, with_metadata=True, include_links=True, include_comments=False,
            include_tables=True, favor_precision=True, deduplicate=False,
            date_extraction_params={"outputformat": "%Y-%m-%dT%H:%M:%S%z", "original_date": True,
                                    "extensive_search": False})
    if doc is None:
        return Extracted(title=None, author=None, text="", language=None)
    title = (doc.title or "").strip() or None
    text, links = _body(doc.body, url, title)
    out = Extracted(title=title, author=(doc.author or "").strip() or None, text=text, links=links,
                    sitename=(doc.sitename or "").strip() or None)
    try:
        tree = lxml.html.document_fromstring(html)
        raw = structured_date(tree)
    except (ValueError, lxml.etree.ParserError):
        raw = None
    when, zoned = parse_page_date(raw)
    if when is not None and _FULL_DATE.match(raw.strip()) or (when is not None and raw and raw[:1].isalpha()):
        out.published_at, out.zone_given, out.date_source, out.date_raw = when, zoned, "page", raw
    elif doc.date:
        when, zoned = parse_page_date(doc.date)
        if when is not None:
            out.published_at, out.zone_given, out.date_source, out.date_raw = when, zoned, "page-text", doc.date
    if raw and out.published_at is None:
        out.date_raw = raw  # stated but unreadable: kept so a reject can say what it was
    out.language = detect_language(f"{title or ''}\n{text}")
    return out
