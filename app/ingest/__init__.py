"""Ingest article files into the store. Nothing is dropped silently: every
unusable record is kept in ``rejects`` with its raw content and the reason."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

import pandas as pd

from app.ingest.normalize import ColumnMap, RecordProblem, normalise, slashed_order
from app.ingest.readers import UnreadableFile, read_records, record_format
from app.store import Store

RAW_LIMIT = 20_000  # characters of a rejected record that are kept
CHUNK = 2_000

Progress = Callable[[str, int, int | None], None]


@dataclass
class FileReport:
    path: str
    ingested: int = 0
    already_present: int = 0
    rejected: int = 0
    error: str | None = None
    reasons: dict[str, int] = field(default_factory=dict)
    dates: str | None = None  # how N/N/YYYY dates were read, when the file has any
    note: str | None = None  # e.g. a file of URLs and titles without text (Media Cloud, GDELT DOC exports)


@dataclass
class IngestReport:
    files: list[FileReport] = field(default_factory=list)

    @property
    def ingested(self) -> int:
        return sum(f.ingested for f in self.files)

    @property
    def already_present(self) -> int:
        return sum(f.already_present for f in self.files)

    @property
    def rejected(self) -> int:
        return sum(f.rejected for f in self.files)

    @property
    def nothing_read(self) -> bool:
        return all(f.error is not None for f in self.files) or not self.files


def _raw_text(record: dict) -> str:
    if set(record) == {"_raw"}:
        return str(record["_raw"])[:RAW_LIMIT]
    return json.dumps(record, default=str, ensure_ascii=False)[:RAW_LIMIT]


def _reason_key(reason: str) -> str:
    return reason.split(" (")[0].split(" '")[0][:60]


def ingest_files(store: Store, paths: Iterable[str | Path], max_article_chars: int, progress: Progress | None = None,
                 dayfirst: bool | None = None) -> IngestReport:
    """Ingest each file. ``dayfirst`` sets how N/N/YYYY dates are read (None: decided per file, see
    :func:`date_order`)."""
    report = IngestReport()
    for path in paths:
        report.files.append(ingest_file(store, Path(path), max_article_chars, progress, dayfirst))
    return report


def date_order(path: Path) -> tuple[bool, str | None]:
    """How a file's N/N/YYYY dates are read: one order for the whole file, never guessed value by value
    (01/02/2026 and 13/03/2026 in one file are both day first). Day first when some date can only be read
    day first and none only month first; otherwise month first. Returns (dayfirst, a note for the report,
    or None when the file has no such dates)."""
    seen = {"day": 0, "month": 0, "either": 0}
    maps: dict[tuple, ColumnMap] = {}
    try:
        for _, record, problem in read_records(path):
            if problem is not None:
                continue
            keys = tuple(record.keys())
            cmap = maps.setdefault(keys, ColumnMap.detect(keys))
            order = slashed_order(record.get(cmap.published_at)) if cmap.published_at else None
            if order:
                seen[order] += 1
    except UnreadableFile:
        return False, None
    if not any(seen.values()):
        return False, None
    dayfirst = seen["day"] > 0 and seen["month"] == 0
    how = "day first" if dayfirst else "month first"
    why = (f"{seen['day']} can only be day first" if dayfirst else
           f"{seen['month']} can only be month first" if seen["month"] else "none tells the order; use --dayfirst if they are")
    mixed = " (the file mixes both orders: those that cannot be read month first are rejected)" if (
        seen["day"] and seen["month"]) else ""
    return dayfirst, f"N/N/YYYY dates read {how}: {sum(seen.values())} such dates, {why}{mixed}"


def ingest_file(store: Store, path: Path, max_article_chars: int, progress: Progress | None = None,
                dayfirst: bool | None = None) -> FileReport:
    rep = FileReport(str(path))
    try:
        records = read_records(path)
        first = next(records, None)
    except UnreadableFile as exc:
        rep.error = str(exc)
        return rep
    if first is None:
        rep.error = f"{path}: no records"
        return rep
    # A table's columns are its header: when they cannot give articles, the file is refused as a whole.
    # JSON records each have their own keys: one lacking a field is a reject of its own (see _store_batch).
    tabular = record_format(path) in ("csv", "tsv", "parquet")
    columns = ColumnMap.detect(first[1].keys()) if first[2] is None and tabular else None
    if columns is not None and (missing := columns.missing_reason(list(first[1].keys()))):
        rep.error = f"{path}: {missing}"
        return rep

    if first[2] is None:
        found = ColumnMap.detect(first[1].keys())
        if found.url and not found.text and not found.html:
            rep.note = (f"{path} holds URLs and titles but no article text (a Media Cloud or GDELT export?): its "
                        f"articles are stored with their titles only; `narratives collect --urls {path}` fetches "
                        "their text")
    if dayfirst is None:
        dayfirst, rep.dates = date_order(path)
    else:
        rep.dates = f"N/N/YYYY dates read {'day' if dayfirst else 'month'} first (as asked)"

    def all_records():
        yield first
        yield from records

    batch: list = []
    seen = 0
    try:
        for item in all_records():
            batch.append(item)
            seen += 1
            if len(batch) >= CHUNK:
                _store_batch(store, path, batch, max_article_chars, rep, dayfirst)
                batch = []
                if progress:
                    progress(f"ingest {path.name}", seen, None)
        _store_batch(store, path, batch, max_article_chars, rep, dayfirst)
    except UnreadableFile as exc:
        rep.error = str(exc)
    if progress:
        progress(f"ingest {path.name}", seen, seen)
    return rep


def _store_batch(store: Store, path: Path, batch, max_chars: int, rep: FileReport, dayfirst: bool = False) -> None:
    if not batch:
        return
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    good, rejects = [], []

    def reject(record_no, record, reason):
        rejects.append({"source_file": str(path), "record_no": record_no, "raw": _raw_text(record),
                        "reason": reason, "rejected_at": now})
        key = _reason_key(reason)
        rep.reasons[key] = rep.reasons.get(key, 0) + 1

    maps: dict[tuple, ColumnMap] = {}
    for record_no, record, problem in batch:
        if problem is not None:
            reject(record_no, record, problem)
            continue
        # JSON records may differ in their keys (an html field on some only): map each key set once.
        keys = tuple(record.keys())
        if keys not in maps:
            maps[keys] = ColumnMap.detect(keys)
        missing = maps[keys].missing_reason(list(keys))
        if missing:
            reject(record_no, record, f"record has {missing}")
            continue
        try:
            article = normalise(record, maps[keys], max_chars, dayfirst)
        except RecordProblem as exc:
            reject(record_no, record, str(exc))
            continue
        article["record_no"] = record_no
        good.append(article)

    # Duplicates: against the store and within the batch, by article id (canonical URL when present).
    known = store.known_article_ids([a["article_id"] for a in good])
    known_hashes = store.known_articles([a["canonical_url"] for a in good if a["canonical_url"]])
    fresh: dict[str, dict] = {}
    present_sources: dict[str, str] = {}  # where the dates of articles stored before it was recorded came from
    for article in good:
        aid = article["article_id"]
        earlier = fresh.get(aid)
        if aid in known or earlier is not None:
            same = (known_hashes.get(article["canonical_url"]) if aid in known else earlier["content_hash"])
            if aid in known and article["canonical_url"] is None:
                same = article["content_hash"]
            if same == article["content_hash"]:
                rep.already_present += 1
                if aid in known:
                    present_sources[aid] = article["date_source"]
            else:
                where = "an article already stored" if aid in known else f"record {earlier['record_no']}"
                reject(article["record_no"], {k: article[k] for k in ("url", "title", "published_at", "outlet_name")},
                       f"duplicate URL {article['url']} with different content from {where}")
            continue
        fresh[aid] = article

    with store.transaction():
        if fresh:
            df = pd.DataFrame(fresh.values())
            store.add_outlets(df[["outlet_id", "outlet_name", "domain"]].rename(columns={"outlet_name": "name"}))
            df["source_file"] = str(path)
            df["ingested_at"] = now
            store.add_articles(df.drop(columns=["outlet_name", "domain", "links"]))
            store.add_links(pd.DataFrame(
                [{"article_id": a["article_id"], "url": u, "anchor": t} for a in fresh.values() for u, t in a["links"]],
                columns=["article_id", "url", "anchor"]))
        if rejects:
            store.add_rejects(pd.DataFrame(rejects))
        store.fill_date_sources(pd.DataFrame({"article_id": list(present_sources),
                                              "date_source": list(present_sources.values())}))
    if fresh:
        store.apply_date_corrections()  # a correction loaded before its article was
    rep.ingested += len(fresh)
    rep.rejected += len(rejects)


def ingest_sample(store: Store, path: Path, max_article_chars: int) -> IngestReport:
    """A sample file and, for the bundled sample, its outlets' attributes (the first start reads them so)."""
    from app.config import SAMPLE_OUTLETS, SAMPLE_PATH

    report = ingest_files(store, [path], max_article_chars)
    if Path(path) == SAMPLE_PATH and SAMPLE_OUTLETS.exists():
        store.update_outlets(pd.read_csv(SAMPLE_OUTLETS, dtype=str, keep_default_na=False))
    return report
