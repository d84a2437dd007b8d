"""Read article records from CSV, JSONL (.gz), JSON and Parquet files, also inside a .zip.

Readers yield ``(record_no, record, problem)``: a record is a dict of raw
values; ``problem`` is set when the record could not even be parsed (bad
UTF-8, a CSV row with the wrong number of fields, a JSON line that is not an
object), and the record then holds the raw text so it can be kept as a reject.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
import sys
import zipfile
from pathlib import Path
from typing import Iterator

csv.field_size_limit(sys.maxsize)

Record = tuple[int, dict, str | None]


class UnreadableFile(ValueError):
    """The file as a whole cannot be read (unknown format, not valid at all)."""


def _open_bytes(path: Path) -> bytes:
    data = path.read_bytes()
    if path.suffix == ".gz":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as exc:
            raise UnreadableFile(f"{path}: not a valid gzip file ({exc})") from exc
    return data


# GDELT's headerless tab-separated tables (shipped as .CSV inside .zip): their number of fields, which
# field holds the article URL, its date (YYYYMMDDHHMMSS) and the outlet's domain (None: not given).
GDELT_TABLES = {
    27: ("GDELT GKG 2.1", 4, 1, 3),
    61: ("GDELT Events 2.0", 60, 59, None),
    58: ("GDELT Events 1.0", 57, 56, None),
}


def gdelt_table(first_line: str) -> tuple[str, int, int, int | None] | None:
    """(name, url field, date field, outlet field) when ``first_line`` is a row of a GDELT GKG or Events
    table (headerless TSV), else None."""
    fields = first_line.rstrip("\r\n").split("\t")
    spec = GDELT_TABLES.get(len(fields))
    if spec and re.match(r"^https?://", fields[spec[1]].strip(), re.I) and re.match(r"^\d{8,14}$", fields[spec[2]]):
        return spec
    return None


def _zip_members(path: Path) -> list[tuple[str, bytes]]:
    try:
        with zipfile.ZipFile(path) as zf:
            names = [i.filename for i in zf.infolist() if not i.is_dir() and not i.filename.startswith("__MACOSX/")]
            if not names:
                raise UnreadableFile(f"{path}: the zip file holds no file")
            return [(name, zf.read(name)) for name in names]
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise UnreadableFile(f"{path}: not a valid zip file ({exc})") from exc


def record_format(path: str | Path) -> str | None:
    """The format a file is read as (``csv``, ``tsv``, ``jsonl``, ``json``, ``parquet``), None if unknown."""
    try:
        return _format(Path(path))
    except UnreadableFile:
        return None


def _format(path: Path) -> str:
    if path.suffix.lower() == ".zip":
        if not path.is_file():
            return "zip"
        return _format(Path(_zip_members(path)[0][0]))
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    ext = suffixes[-1] if suffixes else ""
    formats = {".csv": "csv", ".tsv": "tsv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json", ".parquet": "parquet"}
    if ext not in formats:
        raise UnreadableFile(
            f"{path}: unknown file type {ext or '(none)'}; expected .csv, .tsv, .jsonl, .ndjson, .json or .parquet (optionally .gz or inside a .zip)"
        )
    return formats[ext]


def _has_bad_utf8(text: str) -> int | None:
    """Position of the first undecodable byte (kept as a surrogate escape), if any."""
    for i, ch in enumerate(text):
        if "\udc80" <= ch <= "\udcff":
            return i
    return None


def _printable(text: str) -> str:
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _decode(path: Path, data: bytes) -> str:
    """UTF-8 (undecodable bytes kept as escapes, so only their records are refused); UTF-16 with its
    byte-order mark is read as such; UTF-16 without one is refused with the way out."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise UnreadableFile(f"{path}: starts as UTF-16 but is not valid UTF-16 ({exc.reason})") from exc
    head = data[:4096]
    if len(head) >= 16 and head.count(b"\x00") > len(head) // 4:
        raise UnreadableFile(f"{path}: looks like UTF-16 text without a byte-order mark (every other byte is 0); "
                             "save it as UTF-8 and ingest it again")
    text = data.decode("utf-8", "surrogateescape")
    return text[1:] if text.startswith("\ufeff") else text


def _lines(text: str) -> list[str]:
    """Physical lines as CSV and JSON Lines count them: ended by \\n, \\r\\n or \\r only. (str.splitlines
    also breaks at U+2028, U+0085 and other characters that are legal inside a JSON string.)"""
    return re.split(r"(?<=\n)|(?<=\r)(?!\n)", text)


def read_records(path: str | Path) -> Iterator[Record]:
    """The records of a file; a .zip's files one after the other, numbered on."""
    path = Path(path)
    if not path.is_file():
        raise UnreadableFile(f"{path}: no such file")
    if path.suffix.lower() != ".zip":
        yield from _read_file(path, None)
        return
    offset = 0
    for name, data in _zip_members(path):
        last = 0
        for record_no, record, problem in _read_file(Path(name), data, path):
            last = record_no
            yield offset + record_no, record, problem
        offset += last


def _read_file(path: Path, data: bytes | None, container: Path | None = None) -> Iterator[Record]:
    shown = Path(f"{container}:{path}") if container else path
    fmt = _format(path)
    if fmt == "parquet":
        yield from _read_parquet(io.BytesIO(data) if data is not None else path)
        return
    if data is not None and path.suffix == ".gz":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as exc:
            raise UnreadableFile(f"{shown}: not a valid gzip file ({exc})") from exc
    text = _decode(shown, data if data is not None else _open_bytes(path))
    if fmt in ("csv", "tsv"):
        first_line = text[:20_000].split("\n", 1)[0]
        if (table := gdelt_table(first_line)) is not None:
            raise UnreadableFile(
                f"{shown}: a {table[0]} table (headerless, tab-separated): it carries article URLs, dates and "
                f"sources but no article text; fetch the articles' text with `narratives collect --urls {container or path}`")
        yield from _read_csv(text, "\t" if fmt == "tsv" else ",")
    elif fmt == "jsonl":
        yield from _read_jsonl(text)
    else:
        yield from _read_json(shown, text)


def _read_csv(text: str, delimiter: str) -> Iterator[Record]:
    lines = _lines(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        header = next(reader)
    except StopIteration:
        return
    except csv.Error as exc:
        raise UnreadableFile(f"header row is not valid CSV: {exc}") from exc
    header = [h.strip() for h in header]
    seen: dict[str, int] = {}
    for i, name in enumerate(header, start=1):
        key = name.lower()
        if key and key in seen:
            raise UnreadableFile(f"columns {seen[key]} and {i} are both called {name!r}: rename one so it is clear "
                                 "which to read")
        seen[key] = i
    record_no = 0
    while True:
        record_no += 1
        start = reader.line_num
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            end = reader.line_num
            raw = "".join(lines[start:end])
            what = (f"row is not valid CSV ({exc})" if "end of data" not in str(exc) else
                    f"a quote opened on line {start + 1} is never closed, so lines {start + 1}-{end} "
                    f"(the rest of the file) could not be split into records")
            yield record_no, {"_raw": _printable(raw)}, what
            continue
        raw_line = delimiter.join(row)
        if not any(cell.strip() for cell in row):
            record_no -= 1
            continue
        if len(row) != len(header):
            yield record_no, {"_raw": _printable(raw_line)}, (
                f"row has {len(row)} fields but the header has {len(header)}"
            )
            continue
        bad = _has_bad_utf8(raw_line)
        if bad is not None:
            yield record_no, {"_raw": _printable(raw_line)}, f"invalid UTF-8 at character {bad} of the row"
            continue
        yield record_no, dict(zip(header, row)), None


def _read_jsonl(text: str) -> Iterator[Record]:
    for record_no, line in enumerate(_lines(text), start=1):
        line = line.rstrip("\r\n")
        if not line.strip():
            continue
        bad = _has_bad_utf8(line)
        if bad is not None:
            yield record_no, {"_raw": _printable(line)}, f"invalid UTF-8 at character {bad} of the line"
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            yield record_no, {"_raw": line}, f"line is not valid JSON ({exc.msg} at column {exc.colno})"
            continue
        if not isinstance(obj, dict):
            yield record_no, {"_raw": line}, f"line is a JSON {type(obj).__name__}, not an object"
            continue
        yield record_no, obj, None


def _read_json(path: Path, text: str) -> Iterator[Record]:
    # Undecodable bytes stay as escapes inside the strings they were in: only their records are refused.
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UnreadableFile(f"{path}: not valid JSON ({exc.msg} at line {exc.lineno})") from exc
    if isinstance(data, dict):
        lists = [v for v in data.values() if isinstance(v, list)]
        if "articles" in data and isinstance(data["articles"], list):
            data = data["articles"]
        elif len(lists) == 1:
            data = lists[0]
        else:
            data = [data]
    if not isinstance(data, list):
        raise UnreadableFile(f"{path}: expected a JSON list of articles or an object with an 'articles' list")
    for record_no, obj in enumerate(data, start=1):
        raw = json.dumps(obj, ensure_ascii=False)
        if not isinstance(obj, dict):
            yield record_no, {"_raw": _printable(raw)[:2000]}, f"item is a JSON {type(obj).__name__}, not an object"
            continue
        bad = _has_bad_utf8(raw)
        if bad is not None:
            yield record_no, {"_raw": _printable(raw)}, f"invalid UTF-8 at character {bad} of the item"
            continue
        yield record_no, obj, None


def _read_parquet(path) -> Iterator[Record]:
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(path)
    except Exception as exc:  # pyarrow raises several types for a broken file
        raise UnreadableFile(f"{path}: not a readable Parquet file ({exc})") from exc
    record_no = 0
    for batch in pf.iter_batches(batch_size=2048):
        for obj in batch.to_pylist():
            record_no += 1
            yield record_no, obj, None
