"""URL lists for `narratives collect --urls`: a text file (one URL a line, '#' comments), or any file
`narratives ingest` reads (Media Cloud CSV, GDELT DOC ArtList JSON/CSV...), or GDELT GKG/Events tables
(headerless TSV), each also gzipped or zipped. Each URL comes with what the file tells of it: title, date
(and where the date came from), outlet."""

from __future__ import annotations

import datetime as dt
import gzip
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

from app.ingest.normalize import ColumnMap, RecordProblem, date_source, parse_date
from app.ingest.readers import UnreadableFile, gdelt_table, read_records, record_format


@dataclass
class ListedUrl:
    url: str
    line: int
    title: str | None = None
    published_at: dt.datetime | None = None  # naive UTC
    date_source: str | None = None  # 'publisher' or 'crawl' (GDELT's seendate and DATEADDED are crawl times)
    outlet: str | None = None


def _texts(path: Path) -> list[tuple[str, str]]:
    """(member name, text) of a plain, gzipped or zipped file."""
    data = path.read_bytes()
    if path.suffix.lower() == ".zip":
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                return [(i.filename, _unzip(i.filename, zf.read(i))) for i in zf.infolist() if not i.is_dir()]
        except zipfile.BadZipFile as exc:
            raise UnreadableFile(f"{path}: not a valid zip file ({exc})") from exc
    return [(path.name, _unzip(path.name, data))]


def _unzip(name: str, data: bytes) -> str:
    if name.lower().endswith(".gz"):
        data = gzip.decompress(data)
    return data.decode("utf-8", "replace").lstrip("\ufeff")


def read_url_list(path: str | Path) -> tuple[list[ListedUrl], list[tuple[int, str, str]]]:
    """(URLs, problems as (record number, raw, reason)). Raises UnreadableFile when nothing can be read."""
    path = Path(path)
    if not path.is_file():
        raise UnreadableFile(f"{path}: no such file")
    members = _texts(path)
    first_line = members[0][1][:20_000].split("\n", 1)[0] if members else ""
    if gdelt_table(first_line) is not None:
        return _gdelt(members)
    if record_format(path) is None:
        return _plain(members)
    return _records(path)


def _plain(members) -> tuple[list[ListedUrl], list]:
    urls, problems, n = [], [], 0
    for _, text in members:
        for line in text.splitlines():
            n += 1
            value = line.strip()
            if not value or value.startswith("#"):
                continue
            if not value.lower().startswith(("http://", "https://")):
                problems.append((n, value[:2000], "not an http(s) address"))
                continue
            urls.append(ListedUrl(value.split()[0], n))
    return urls, problems


def _gdelt(members) -> tuple[list[ListedUrl], list]:
    urls, problems, n = [], [], 0
    for _, text in members:
        for line in text.splitlines():
            if not line.strip():
                continue
            n += 1
            spec = gdelt_table(line)
            if spec is None:
                problems.append((n, line[:2000], "not a GDELT GKG or Events row (wrong number of fields, or no URL)"))
                continue
            _, url_i, date_i, outlet_i = spec
            fields = line.rstrip("\r\n").split("\t")
            try:
                when = parse_date(fields[date_i][:14].ljust(14, "0")[:8] + "T" + fields[date_i][:14].ljust(14, "0")[8:])
            except RecordProblem:
                when = None
            urls.append(ListedUrl(fields[url_i].strip(), n, None, when, "crawl" if when else None,
                                  (fields[outlet_i].strip() or None) if outlet_i is not None else None))
    return urls, problems


def _records(path: Path) -> tuple[list[ListedUrl], list]:
    urls, problems = [], []
    maps: dict[tuple, ColumnMap] = {}
    for record_no, record, problem in read_records(path):
        if problem is not None:
            problems.append((record_no, str(record.get("_raw", ""))[:2000], problem))
            continue
        keys = tuple(record.keys())
        cmap = maps.setdefault(keys, ColumnMap.detect(keys))
        url = str(record.get(cmap.url) or "").strip() if cmap.url else ""
        if not url:
            problems.append((record_no, str(record)[:2000],
                             f"no URL (expected a column named {', '.join(('url', 'link', 'article_url'))})"))
            continue
        when, source = None, None
        if cmap.published_at and str(record.get(cmap.published_at) or "").strip():
            try:
                when, source = parse_date(record.get(cmap.published_at)), date_source(cmap.published_at)
            except RecordProblem:
                pass  # the page's own date is looked for first anyway
        title = str(record.get(cmap.title) or "").strip() or None if cmap.title else None
        outlet = str(record.get(cmap.outlet) or "").strip() or None if cmap.outlet else None
        urls.append(ListedUrl(url, record_no, title, when, source, outlet))
    return urls, problems
