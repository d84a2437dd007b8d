"""Turn a raw record into an article: recognise columns, canonicalise the URL,
derive the outlet, parse the date to UTC. Anything unusable raises
:class:`RecordProblem` with the reason."""

from __future__ import annotations

import datetime as dt
import email.utils
import hashlib
import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pandas as pd

from app.ingest.html import read_html

COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "url": ("url", "link", "article_url", "source_url_full", "href"),
    "title": ("title", "headline", "heading"),
    "text": ("text", "content", "body", "article", "full_text", "maintext"),
    "outlet": ("outlet", "source", "media_name", "publisher", "site_name", "source_name", "domain"),
    "published_at": ("published_at", "date", "publish_date", "published", "pubdate", "datetime", "timestamp",
                     "seendate", "seen_date", "seen_at", "crawl_date", "crawled_at", "crawled", "fetched_at",
                     "fetched", "date_crawled", "retrieved_at"),
    "language": ("language", "lang"),
    "html": ("html", "raw_html", "content_html", "body_html", "article_html"),
}

# Date columns that hold when a crawler saw the article, not when its publisher dated it (GDELT's
# seendate, a scraper's fetch time): articles dated by them have date_source 'crawl'.
CRAWL_DATE_COLUMNS = frozenset({"seendate", "seen_date", "seen_at", "crawl_date", "crawled_at", "crawled",
                                "fetched_at", "fetched", "date_crawled", "retrieved_at"})
# /2017/08/09/, /2017/8/9/, /20170809/ in a URL's path: the date a publisher put in the address.
_URL_DATE = re.compile(r"/((?:19|20)\d{2})/(\d{1,2})/(\d{1,2})(?:/|$)|/((?:19|20)\d{2})(\d{2})(\d{2})(?:/|$)")

TRACKING_PARAMS = re.compile(r"^(utm_\w+|fbclid|gclid|mc_cid|mc_eid|ocid|cmpid|smid|ref|_ga)$", re.I)


class RecordProblem(ValueError):
    pass


@dataclass(frozen=True)
class ColumnMap:
    url: str | None
    title: str | None
    text: str | None
    outlet: str | None
    published_at: str | None
    language: str | None
    html: str | None = None

    @classmethod
    def detect(cls, columns) -> "ColumnMap":
        lowered = {str(c).strip().lower(): c for c in columns}
        found = {}
        for field, aliases in COLUMN_ALIASES.items():
            found[field] = next((lowered[a] for a in aliases if a in lowered), None)
        return cls(**found)

    def missing_reason(self, columns) -> str | None:
        """Why a file with these columns cannot give articles at all, or None."""
        names = ", ".join(map(str, columns)) or "(none)"
        if self.text is None and self.title is None and self.html is None:
            return (
                f"no text, title or html column; found: {names}; expected one of "
                f"{', '.join(COLUMN_ALIASES['text'] + COLUMN_ALIASES['title'] + COLUMN_ALIASES['html'])}"
            )
        if self.published_at is None:
            return f"no date column; found: {names}; expected one of {', '.join(COLUMN_ALIASES['published_at'])}"
        if self.outlet is None and self.url is None:
            return (
                f"no outlet or URL column to tell who published each article; found: {names}; expected one of "
                f"{', '.join(COLUMN_ALIASES['outlet'] + COLUMN_ALIASES['url'])}"
            )
        return None


# Hosts that serve a site's mobile or AMP edition: the same article as the site's own address.
_EDITION_HOST = re.compile(r"^(?:m|mobile|amp)\.", re.I)
_AMP_QUERY = re.compile(r"^(amp|outputtype)$", re.I)


def _tracking_free(url: str) -> str:
    """``url`` without the tracking parameters courlan knows (a longer, maintained list than ours)."""
    try:
        from courlan import normalize_url

        cleaned = normalize_url(url)
    except Exception:  # courlan refuses some odd addresses: our own list still applies
        return url
    return cleaned if urlsplit(cleaned).hostname else url


def canonical_url(url: str) -> str:
    """Lower-case scheme and host, no ``www.``, no fragment, no tracking parameters (ours and courlan's),
    no trailing slash; a mobile or AMP edition (``m.``/``mobile.``/``amp.`` hosts, a trailing ``/amp``, an
    ``amp``/``outputType=amp`` parameter) is the article's own address."""
    url = url.strip()
    if not re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", url):
        url = "https://" + url.lstrip("/")
    parts = urlsplit(_tracking_free(url))
    host = (parts.hostname or "").lower()
    if host.startswith("www."):
        host = host[4:]
    if _EDITION_HOST.match(host) and site_of_host(host[host.index(".") + 1:]) is not None:
        host = host[host.index(".") + 1:]
    if parts.port and parts.port not in (80, 443):
        host = f"{host}:{parts.port}"
    query = urlencode(sorted((k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
                             if not TRACKING_PARAMS.match(k) and not _AMP_QUERY.match(k)))
    path = re.sub(r"/{2,}", "/", parts.path or "/")
    if len(path) > 1:
        path = path.rstrip("/")
    if path.lower().endswith("/amp") and len(path) > 4:
        path = path[:-4]
    return urlunsplit(("https", host, path, query, ""))


def domain_of(url: str) -> str | None:
    host = urlsplit(canonical_url(url)).hostname
    return host or None


_EXTRACT = None


def site_of_host(host: str) -> str | None:
    """The site a host belongs to, its registered domain under the public suffix list ("news.bbc.co.uk"
    -> "bbc.co.uk"), from tldextract's bundled snapshot of the list (never downloaded at run time); an IP
    address or a name under no public suffix is its own site... unless it has no dot at all (None)."""
    global _EXTRACT
    host = host.lower().strip(".")
    if not host:
        return None
    if _EXTRACT is None:
        import tldextract

        _EXTRACT = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)
    parts = _EXTRACT(host)
    if parts.domain and parts.suffix:
        return f"{parts.domain}.{parts.suffix}"
    if re.match(r"^[\d.]+$|^\[", host) or "." in host:
        return host
    return None


def site_of(url: str) -> str | None:
    """The site (one outlet) of a URL: its registered domain, with the port when it is not the default."""
    parts = urlsplit(canonical_url(url))
    site = site_of_host(parts.hostname or "")
    if site and parts.port and parts.port not in (80, 443):
        site = f"{site}:{parts.port}"
    return site


def _latin(text: str) -> bool:
    return all(not ch.isalpha() or unicodedata.name(ch, "").startswith("LATIN") for ch in text)


def slug(text: str) -> str:
    """The outlet id made from a name: lower case, words joined by "-". A name in Latin script loses
    its accents ("Süddeutsche" -> "suddeutsche", as ever); a name with letters of any other script keeps
    them ("Голос Америки" -> "голос-америки", "조선일보"), so outlets in Cyrillic, Hangul, Arabic or
    CJK are told apart instead of all becoming one outlet. A name with no letter or digit at all gets
    an id from a hash of it."""
    text = unicodedata.normalize("NFKC", text).strip()
    if _latin(text):
        folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
        out = re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-")
    else:
        out = re.sub(r"[\W_]+", "-", text.casefold()).strip("-")
    if out:
        return out
    return "outlet-" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:10] if text else "unknown"


_NUMERIC = re.compile(r"^\d{9,13}(\.\d+)?$")
_GDELT = re.compile(r"^(\d{8})T?(\d{6})Z?$")
_EARLIEST = pd.Timestamp("1900-01-01", tz="UTC")


_SLASHED = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{2}|\d{4})\b(.*)$")


def slashed_order(value) -> str | None:
    """For a date written N/N/YYYY: "day" when it can only be day first (13/03/2026), "month" when it can
    only be month first (03/13/2026), "either" when both read (01/02/2026); None for other forms."""
    m = _SLASHED.match(str(value).strip()) if isinstance(value, str) else None
    if not m:
        return None
    a, b = int(m.group(1)), int(m.group(2))
    if a > 12 >= b:
        return "day"
    if b > 12 >= a:
        return "month"
    return "either"


def parse_date(value, dayfirst: bool = False) -> dt.datetime:
    """Any common date form to a naive UTC datetime. Dates without a zone are taken as UTC.

    A date written N/N/YYYY is read month first, or day first with ``dayfirst``: one order for a whole
    file (see :func:`app.ingest.date_order`), never guessed value by value."""
    try:
        return _parse_date(value, dayfirst)
    except RecordProblem:
        raise
    except Exception as exc:  # any other failure of a parser is a problem of this record, not of the file
        raise RecordProblem(f"unparseable date {str(value)[:80]!r} ({type(exc).__name__})") from exc


def _parse_date(value, dayfirst: bool) -> dt.datetime:
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if value is None or (isinstance(value, float) and pd.isna(value)):
        raise RecordProblem("no publication date")
    if isinstance(value, (list, tuple, dict, set)):
        raise RecordProblem(f"the date is a {type(value).__name__}, not a date: {str(value)[:80]!r}")
    if isinstance(value, (dt.datetime, dt.date, pd.Timestamp)):
        ts = pd.Timestamp(value)
    else:
        text = str(value).strip()
        if not text:
            raise RecordProblem("no publication date")
        try:
            if _NUMERIC.match(text):
                number = float(text)
                ts = pd.Timestamp(number, unit="ms" if number > 1e11 else "s")
            elif m := _GDELT.match(text):
                ts = pd.Timestamp(dt.datetime.strptime(m.group(1) + m.group(2), "%Y%m%d%H%M%S"))
            elif re.match(r"^[A-Z][a-z]{2}, ", text):
                ts = pd.Timestamp(email.utils.parsedate_to_datetime(text))
            elif m := _SLASHED.match(text):
                first, second, year = int(m.group(1)), int(m.group(2)), m.group(3)
                day, month = (first, second) if dayfirst else (second, first)
                if month > 12:
                    raise RecordProblem(
                        f"date {text[:40]!r} cannot be read {'day' if dayfirst else 'month'} first, the order this "
                        f"file's N/N/YYYY dates are read in (other dates in it can only be read that way); fix it, "
                        f"or ingest with --{'monthfirst' if dayfirst else 'dayfirst'}")
                year = int(year) + (2000 if int(year) < 70 else 1900) if len(year) == 2 else int(year)
                rest = m.group(4).strip().lstrip(",").strip()
                ts = pd.Timestamp(dt.datetime(year, month, day))
                if rest:
                    ts = pd.Timestamp(pd.to_datetime(f"{ts.date().isoformat()} {rest}", utc=False, format="mixed"))
            else:
                ts = pd.Timestamp(pd.to_datetime(text, utc=False, format="mixed"))
        except RecordProblem:
            raise
        except (ValueError, TypeError, OverflowError) as exc:
            raise RecordProblem(f"unparseable date {text[:80]!r}") from exc
    if pd.isna(ts):
        raise RecordProblem(f"unparseable date {str(value)[:80]!r}")
    ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
    now = pd.Timestamp.now(tz="UTC")
    if ts < _EARLIEST or ts > now + pd.Timedelta(days=2):
        raise RecordProblem(f"implausible date {str(value)[:40]!r}, year {ts.year} (before 1900 or in the future)")
    return ts.tz_localize(None).to_pydatetime()


def date_source(column: str | None) -> str:
    """Where a date read from ``column`` came from: 'crawl' for a crawl or "seen" time, else 'publisher'."""
    if column is None:
        return "unknown"
    return "crawl" if str(column).strip().lower() in CRAWL_DATE_COLUMNS else "publisher"


def url_date(url: str | None) -> dt.datetime | None:
    """The date in a URL's path (/2017/08/09/ or /20170809/), or None."""
    if not url:
        return None
    m = _URL_DATE.search(urlsplit(url).path or "")
    if not m:
        return None
    y, mo, d = (m.group(1), m.group(2), m.group(3)) if m.group(1) else (m.group(4), m.group(5), m.group(6))
    try:
        return dt.datetime(int(y), int(mo), int(d))
    except ValueError:
        return None


def _clean(value, field: str = "value", paragraphs: bool = False) -> str:
    """A field's text. For a field of ``paragraphs`` (text, html) a list of strings, as some exports
    give them, is joined by blank lines; bytes are read as UTF-8; any other structure is a problem of the
    record, never stored as its repr."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, (bytes, bytearray)):
        try:
            value = bytes(value).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise RecordProblem(f"{field} is bytes that are not UTF-8 ({exc.reason} at byte {exc.start})") from exc
    elif isinstance(value, (list, tuple)):
        if not paragraphs:
            raise RecordProblem(f"{field} is a list, not text")
        if not all(isinstance(v, str) for v in value):
            raise RecordProblem(f"{field} is a list holding {', '.join(sorted({type(v).__name__ for v in value}))}, "
                                "not text")
        value = "\n\n".join(v.strip() for v in value if v.strip())
    elif isinstance(value, (dict, set)):
        raise RecordProblem(f"{field} is a JSON {'object' if isinstance(value, dict) else 'set'}, not text")
    elif not isinstance(value, str):
        value = str(value)
    text = value.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    return unicodedata.normalize("NFC", text).strip()


def normalise(record: dict, columns: ColumnMap, max_article_chars: int, dayfirst: bool = False) -> dict:
    """A stored article row (without bookkeeping columns) or :class:`RecordProblem`."""
    title = _clean(record.get(columns.title), "title") if columns.title else ""
    text = _clean(record.get(columns.text), "text", paragraphs=True) if columns.text else ""
    url = _clean(record.get(columns.url), "url") if columns.url else ""
    raw_html = _clean(record.get(columns.html), "html", paragraphs=True) if columns.html else ""
    links: list[tuple[str, str]] = []
    if raw_html:
        if len(raw_html) > 10 * max_article_chars:
            raise RecordProblem(f"html is {len(raw_html):,} characters, over 10 x the {max_article_chars:,} limit "
                                "(setting max_article_chars)")
        page = read_html(raw_html, url or None)
        text, links = text or page.text, page.links
        title = title or page.title or ""
    if not title and not text:
        raise RecordProblem("no text and no title")
    if len(text) > max_article_chars:
        raise RecordProblem(
            f"text is {len(text):,} characters, over the {max_article_chars:,} limit (setting max_article_chars)"
        )
    canon = None
    domain = None
    if url:
        scheme = re.match(r"^([a-zA-Z][a-zA-Z0-9+.-]*):", url)
        if scheme and scheme.group(1).lower() not in ("http", "https") and not re.match(r"^[^:/]+:\d+(/|$)", url):
            raise RecordProblem(f"URL {url[:120]!r} is not a web address (scheme {scheme.group(1).lower()!r}; "
                                "only http and https are kept)")
        try:
            canon = canonical_url(url)
            domain = domain_of(url)
        except ValueError as exc:
            raise RecordProblem(f"malformed URL {url[:120]!r} ({exc})") from exc
        if not domain or "." not in domain:
            raise RecordProblem(f"malformed URL {url[:120]!r} (no host name)")
    outlet_name = _clean(record.get(columns.outlet), "outlet") if columns.outlet else ""
    if not outlet_name:
        if not domain:
            raise RecordProblem("no outlet and no URL to derive it from")
        outlet_name = site_of(url) or domain  # one outlet per site: news.example.com and example.com
    raw_date = record.get(columns.published_at) if columns.published_at else None
    source = date_source(columns.published_at)
    if _clean(raw_date, "date") == "" and (from_url := url_date(url)) is not None:
        raw_date, source = from_url, "url"  # no date given: the one in the address
    published_at = parse_date(raw_date, dayfirst)
    language = _clean(record.get(columns.language), "language") if columns.language else ""
    content_hash = hashlib.sha1(f"{title}\n{text}".encode("utf-8")).hexdigest()
    if canon:
        article_id = hashlib.sha1(canon.encode("utf-8")).hexdigest()[:16]
    else:
        key = f"{slug(outlet_name)}\n{published_at.isoformat()}\n{content_hash}"
        article_id = hashlib.sha1(key.encode("utf-8")).hexdigest()[:16]
    return {
        "article_id": article_id,
        "url": url or None,
        "canonical_url": canon,
        "outlet_id": slug(outlet_name),
        "outlet_name": outlet_name,
        "domain": domain,
        "title": title or None,
        "text": text or None,
        "published_at": published_at,
        "date_source": source,
        "language": language or None,
        "content_hash": content_hash,
        "links": links,
    }
