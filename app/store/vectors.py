"""Vectors kept as immutable Parquet segments beside the database, not inside it.

The vectors are most of an archive's bytes (384 floats a text: 1.2 GB at the whole AllSides corpus, against
a few hundred MB for everything else) and they never change under their key: a vector belongs to a model
key and a text hash. So they live in files of their own, which a write adds and never rewrites::

    <db>                                   the database (DuckDB): every other table, and the list of segments
    <db>.vectors/<model>-<stamp>-<id>.parquet   a segment: model, text_hash, vector (FLOAT list), sorted by
                                           text hash; one model a file
    <db>.vectors/<model>-<stamp>-<id>.parquet.f32   its sidecar: the same vectors as raw little-endian
                                           float32, rows x dim, in the segment's own row order, nothing else

The table ``vector_segments`` (in the database) lists the live segments. A writer writes and fsyncs a segment
under its final name *before* listing it, and the listing is a row of the database, which the write-and-swap
protocol (:func:`app.store.db.writing`) publishes with everything else: a reader sees the segments of the
state it opened, a killed write leaves at worst files nobody lists, and the work copy a writer clones
(or, on ext4, copies) no longer holds the vectors, so a small write to a large archive no longer costs a copy
of every vector.

Every connection gets a view ``embeddings`` (model, text_hash, vector) over the listed segments that exist,
in an in-memory catalog of the connection's own (``session.main``, after the database in the search path, so
every cursor of the connection sees it): the store's queries read it as they read the table it replaces.
Segment files missing from the folder (a database copied without its ``.vectors`` folder) are left out of the
view and reported by :func:`missing`; a build forgets them and embeds those texts again.

Reading the vectors of some texts (:func:`read`) goes through the sidecars. DuckDB decodes a FLOAT list column
whole, so asking the view for a few thousand vectors cost a decode of every vector of every segment (0.8 s at
670k vectors, whatever was asked). :func:`read` has DuckDB read only the segments' ``text_hash`` column to
find each asked text's (segment, row), then reads those rows from a memory map of each segment's sidecar: the
operating system reads the pages they are on. A sidecar is written with its segment (through a ``.part`` file,
fsynced and renamed before the segment is listed), is never written again, and goes with its segment; it
doubles the vectors' disk. A segment whose sidecar is absent or not ``rows * dim * 4`` bytes long is read from
its Parquet file instead, as the view reads it, so a missing sidecar can make a read slower, never wrong. A
database whose segments were written before sidecars gets them from its next write
(:func:`write_missing_sidecars`, with progress on stderr); readers never write them. Whole-archive scans (the
frames stage, the nearest-neighbour index's build) still read the view.

Segments are written per embed chunk, so many small ones pile up during a build: once a model has
``COMPACT_AT`` segments under ``SMALL`` rows, they are merged into segments of up to ``SEGMENT_ROWS`` rows.
A segment that leaves the list (merged, or its model's vectors dropped) is recorded in
``vector_segments_retired``; its file is deleted by a later write, at least ``RETIRED_GRACE_S`` after, so a
reader still on the state that listed it keeps reading it. Files no state lists (a discarded write's) are
deleted by the next write that starts afresh; a sidecar goes with its segment, and a sidecar without one, or
a ``.part`` file a killed write left, goes too.
"""

from __future__ import annotations

import atexit
import datetime as dt
import os
import re
import shutil
import sys
import tempfile
import uuid
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

SEGMENT_ROWS = 131_072  # a merged segment's most rows (about 200 MB at 384 dimensions)
SMALL = SEGMENT_ROWS // 4  # a segment under this many rows is merged once there are COMPACT_AT of them
COMPACT_AT = 16
ROW_GROUP = 16_384
RETIRED_GRACE_S = 3600
MIGRATE_CHUNK = 65_536
SESSION = "session"  # the connection's own in-memory catalog: where the segments live, and the view over them
SIDECAR = ".f32"  # a segment's fixed-width copy of its vectors: <segment>.parquet.f32

SEGMENTS_SQL = """
    CREATE TABLE vector_segments (
        file VARCHAR PRIMARY KEY,
        model VARCHAR NOT NULL,
        rows BIGINT NOT NULL,
        dim INTEGER NOT NULL,
        bytes BIGINT NOT NULL,
        created_at TIMESTAMP NOT NULL
    );
    CREATE TABLE vector_segments_retired (
        file VARCHAR PRIMARY KEY,
        retired_at TIMESTAMP NOT NULL
    );
"""

_SCHEMA = pa.schema([("model", pa.string()), ("text_hash", pa.string()), ("vector", pa.list_(pa.float32()))])
_temp_homes: list[str] = []


def _run(conn: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[tuple]:
    """Execute and fetch everything (DuckDB refuses new work while a result, even an INSERT's count, is
    unfinished)."""
    return conn.execute(sql, params or []).fetchall()


def vectors_dir(path: str | os.PathLike) -> Path:
    """``<db>.vectors``: the folder of a database's vector segments."""
    path = Path(path)
    return path.with_name(path.name + ".vectors")


def install(conn: duckdb.DuckDBPyConnection, folder: Path | None) -> None:
    """Record where this connection's segments live and define its ``embeddings`` view (when the database
    lists segments: before migration 25 the vectors are still a table of the database)."""
    _run(conn, f"ATTACH ':memory:' AS {SESSION}")
    _run(conn, f"CREATE OR REPLACE TABLE {SESSION}.main.vector_home (folder VARCHAR)")
    _run(conn, f"INSERT INTO {SESSION}.main.vector_home VALUES (?)", [None if folder is None else str(folder)])
    refresh_view(conn)


def search_path(conn: duckdb.DuckDBPyConnection) -> None:
    """Let unqualified names find the ``embeddings`` view of the in-memory catalog after the database's own."""
    catalog = conn.execute("SELECT current_database()").fetchall()[0][0]
    _run(conn, f"SET search_path = '{catalog}.main,{SESSION}.main'")


def home(conn: duckdb.DuckDBPyConnection) -> Path:
    """The folder of this connection's segments (an in-memory database gets a temporary one)."""
    folder = conn.execute(f"SELECT folder FROM {SESSION}.main.vector_home").fetchall()[0][0]
    if folder is None:
        folder = tempfile.mkdtemp(prefix="narratives-vectors-")
        _temp_homes.append(folder)
        _run(conn, f"UPDATE {SESSION}.main.vector_home SET folder = ?", [folder])
    return Path(folder)


@atexit.register
def _remove_temp_homes() -> None:
    for folder in _temp_homes:
        shutil.rmtree(folder, ignore_errors=True)


def _lists_segments(conn: duckdb.DuckDBPyConnection) -> bool:
    return bool(conn.execute(
        """SELECT count(*) FROM duckdb_tables()
           WHERE table_name = 'vector_segments' AND database_name = current_database()""").fetchall()[0][0])


def listed(conn: duckdb.DuckDBPyConnection) -> list[tuple[str, str, int]]:
    """The live segments: (file, model, rows), oldest first."""
    return [tuple(r) for r in conn.execute(
        "SELECT file, model, rows FROM vector_segments ORDER BY created_at, file").fetchall()]


def missing(conn: duckdb.DuckDBPyConnection) -> list[tuple[str, str, int]]:
    """Listed segments whose file is not in the folder."""
    if not _lists_segments(conn):
        return []
    folder = _folder_or_none(conn)
    return [s for s in listed(conn) if folder is None or not (folder / s[0]).exists()]


def _folder_or_none(conn) -> Path | None:
    folder = conn.execute(f"SELECT folder FROM {SESSION}.main.vector_home").fetchall()[0][0]
    return None if folder is None else Path(folder)


def _quote(text: str) -> str:
    return text.replace("'", "''")


def refresh_view(conn: duckdb.DuckDBPyConnection) -> None:
    """(Re)define ``session.main.embeddings`` over the listed segments present in the folder. Run outside a
    transaction that wrote the database (DuckDB writes one attached database a transaction)."""
    if not _lists_segments(conn):
        return
    folder = _folder_or_none(conn)
    files = [folder / f for f, _, _ in listed(conn) if folder is not None and (folder / f).exists()]
    if files:
        source = "read_parquet([" + ", ".join(f"'{_quote(str(f))}'" for f in files) + "])"
        sql = f"SELECT model, text_hash, vector FROM {source}"
    else:
        sql = "SELECT NULL::VARCHAR AS model, NULL::VARCHAR AS text_hash, NULL::FLOAT[] AS vector WHERE false"
    _run(conn, f"CREATE OR REPLACE VIEW {SESSION}.main.embeddings AS {sql}")
    search_path(conn)


def _safe(model: str) -> str:
    return (re.sub(r"[^A-Za-z0-9._+-]+", "_", model).strip("._") or "model")[:80]


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_file(folder: Path, model: str, table: pa.Table) -> tuple[str, int]:
    """Write one segment and its sidecar under their final names (each through a ``.part`` file, fsynced);
    (name, bytes of the segment)."""
    folder.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%S")
    name = f"{_safe(model)}-{stamp}-{uuid.uuid4().hex[:12]}.parquet"
    part = folder / (name + ".part")
    pq.write_table(table, part, row_group_size=ROW_GROUP, compression={"model": "zstd", "text_hash": "zstd",
                                                                          "vector": "none"})
    with open(part, "rb") as fh:
        os.fsync(fh.fileno())
    _write_sidecar(folder, name, [table.column("vector")])
    os.replace(part, folder / name)
    _fsync_dir(folder)
    return name, (folder / name).stat().st_size


def sidecar_name(segment: str) -> str:
    """The name of a segment's sidecar (its vectors as raw little-endian float32)."""
    return segment + SIDECAR


def _segment_of(name: str) -> str | None:
    """The segment a file of the folder belongs to (itself for a segment), or None for a file not the
    store's."""
    for suffix in (".part", SIDECAR, SIDECAR + ".part"):
        if name.endswith(suffix):
            stem = name[: -len(suffix)]
            if stem.endswith(".parquet"):
                return stem
    return name if name.endswith(".parquet") else None


def _write_sidecar(folder: Path, segment: str, columns) -> bool:
    """Write the sidecar of ``segment`` from ``columns`` (its vector column, as one or more FLOAT list arrays
    in the segment's row order): raw little-endian float32, through a ``.part`` file, fsynced and renamed
    (the caller syncs the folder). False, writing nothing, when the vectors are not all one length (no
    fixed-width copy can hold them: reads go to the Parquet file)."""
    part = folder / (sidecar_name(segment) + ".part")
    dim = None
    try:
        with open(part, "wb") as fh:
            for column in columns:
                chunks = column.chunks if isinstance(column, pa.ChunkedArray) else [column]
                for chunk in chunks:
                    if len(chunk) == 0:
                        continue
                    if chunk.null_count:
                        raise _Ragged
                    lengths = pc.list_value_length(chunk)
                    low, high = pc.min(lengths).as_py(), pc.max(lengths).as_py()
                    if low != high or (dim is not None and low != dim) or not low:
                        raise _Ragged
                    dim = low
                    flat = chunk.flatten()  # the slice's own values (an array's offset respected)
                    if flat.null_count:
                        raise _Ragged
                    values = np.ascontiguousarray(flat.to_numpy(zero_copy_only=False), dtype="<f4")
                    fh.write(memoryview(values).cast("B"))
            fh.flush()
            os.fsync(fh.fileno())
    except _Ragged:
        part.unlink(missing_ok=True)
        return False
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    os.replace(part, folder / sidecar_name(segment))
    return True


class _Ragged(Exception):
    """Vectors of unequal lengths (or missing ones): no sidecar can hold them."""


def _sidecar_ok(folder: Path, segment: str, rows: int, dim: int) -> bool:
    try:
        return (folder / sidecar_name(segment)).stat().st_size == int(rows) * int(dim) * 4 and rows > 0 and dim > 0
    except OSError:
        return False


def vector_table(model: str, text_hashes, vectors: np.ndarray) -> pa.Table:
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    if vectors.ndim != 2 or len(vectors) != len(text_hashes) or not vectors.shape[1]:
        raise ValueError(f"{len(text_hashes)} text hashes for vectors of shape {vectors.shape}")
    offsets = pa.array(np.arange(0, vectors.size + 1, vectors.shape[1], dtype=np.int32))
    return pa.table({"model": pa.array([model] * len(text_hashes), type=pa.string()),
                     "text_hash": pa.array(list(text_hashes), type=pa.string()),
                     "vector": pa.ListArray.from_arrays(offsets, pa.array(vectors.reshape(-1), type=pa.float32()))},
                    schema=_SCHEMA)


def _add_files(folder: Path, model: str, table: pa.Table) -> list[tuple[str, int, int, int]]:
    """Write ``table`` (one model, deduplicated) as segments of at most SEGMENT_ROWS; (file, rows, dim, bytes)."""
    table = table.sort_by("text_hash")
    out = []
    for start in range(0, table.num_rows, SEGMENT_ROWS):
        part = table.slice(start, SEGMENT_ROWS)
        dim = len(part["vector"][0]) if part.num_rows else 0
        name, size = _write_file(folder, model, part)
        out.append((name, part.num_rows, dim, size))
    return out


def _list_files(conn, model: str, files: list[tuple[str, int, int, int]]) -> None:
    for name, rows, dim, size in files:
        _run(conn, "INSERT INTO vector_segments VALUES (?, ?, ?, ?, ?, now()::TIMESTAMP)",
             [name, model, rows, dim, size])


def new_only(conn, model: str, table: pa.Table) -> pa.Table:
    """The rows of ``table`` whose text has no vector under ``model`` yet, each text once (a vector never
    changes under its key, so a second one for the same text is the same vector)."""
    if table.num_rows == 0:
        return table
    conn.register("_incoming_vectors", table.select(["text_hash"]))
    try:
        known = {r[0] for r in conn.execute(
            """SELECT text_hash FROM embeddings WHERE model = ?
               AND text_hash IN (SELECT text_hash FROM _incoming_vectors)""", [model]).fetchall()}
    finally:
        conn.unregister("_incoming_vectors")
    hashes = table["text_hash"].to_pylist()
    seen: set[str] = set(known)
    keep = []
    for i, h in enumerate(hashes):
        if h not in seen:
            seen.add(h)
            keep.append(i)
    return table if len(keep) == table.num_rows else table.take(pa.array(keep, type=pa.int64()))


def add(conn, model: str, text_hashes, vectors: np.ndarray) -> int:
    """Store vectors under ``model`` as a new segment; the number added (texts already stored are skipped).
    Lists it in its own transaction, then merges small segments when enough have piled up."""
    table = new_only(conn, model, vector_table(model, text_hashes, vectors))
    if table.num_rows == 0:
        return 0
    files = _add_files(home(conn), model, table)
    _run(conn, "BEGIN TRANSACTION")
    try:
        _list_files(conn, model, files)
        _run(conn, "COMMIT")
    except BaseException:
        _run(conn, "ROLLBACK")
        raise
    refresh_view(conn)
    compact(conn, model)
    return table.num_rows


def read(conn, model: str, hashes) -> tuple[list[str], np.ndarray]:
    """The vectors of the text hashes ``hashes`` under ``model``: (the hashes found, a float32 matrix, a row
    each), each hash at most once however often it is asked (or stored), in the order a scan of the segments
    gives them (segment by segment, in text hash order within one); hashes without a vector are left out.

    DuckDB reads only the ``text_hash`` column of the model's listed segments (those in the folder) to find
    each asked hash's segment and row; the rows are then read from each segment's sidecar through a memory
    map, in row order. Segments whose sidecar is absent or of the wrong size are read as the view reads them
    (their vector column decoded whole). The values are those the ``embeddings`` view gives."""
    hashes = hashes.tolist() if isinstance(hashes, (np.ndarray, pd.Index, pd.Series)) else list(hashes)
    if not _lists_segments(conn):  # before migration 25: the vectors are a table of the database
        return _read_table(conn, model, hashes)
    folder = _folder_or_none(conn)
    segments = [(f, int(rows), int(dim)) for f, rows, dim in conn.execute(
        "SELECT file, rows, dim FROM vector_segments WHERE model = ? ORDER BY created_at, file", [model]).fetchall()
        if folder is not None and (folder / f).exists()]
    dims = {dim for _, _, dim in segments}
    if len(dims) > 1:
        raise ValueError(f"the segments of {model} hold vectors of {len(dims)} lengths: {sorted(dims)}")
    dim = dims.pop() if dims else 0
    if not segments or not hashes:
        return [], np.zeros((0, dim), dtype=np.float32)
    mapped = [_sidecar_ok(folder, f, rows, dim) for f, rows, _ in segments]
    paths = [str(folder / f) for f, _, _ in segments]
    asked = f"_vector_ask_{uuid.uuid4().hex}"
    conn.register(asked, pa.table({"text_hash": pa.array(hashes, type=pa.string())}))
    try:
        # (segment, row, hash) of every asked hash, and the vectors of those in segments without a sidecar
        parts = [_find(conn, [p for p, m in zip(paths, mapped) if m == sidecar], asked, with_vectors=not sidecar)
                 for sidecar in (True, False)]
    finally:
        conn.unregister(asked)
    which = {p: i for i, p in enumerate(paths)}
    segment = np.concatenate([np.asarray([which[p] for p in t.column("filename").to_pylist()], dtype=np.int64)
                              for t in parts])
    row = np.concatenate([t.column("file_row_number").to_numpy().astype(np.int64, copy=False) for t in parts])
    found = np.asarray(parts[0].column("text_hash").to_pylist() + parts[1].column("text_hash").to_pylist(),
                       dtype=object)
    read_here = np.concatenate([np.full(parts[0].num_rows, -1, dtype=np.int64),
                                np.arange(parts[1].num_rows, dtype=np.int64)])  # a row of parts[1]'s vectors
    order = np.lexsort((row, segment))
    first = ~pd.Series(found[order]).duplicated().to_numpy()  # a text stored in two segments: the first one's
    order = order[first]
    segment, row, found, read_here = segment[order], row[order], found[order], read_here[order]
    decoded = None
    if parts[1].num_rows:
        column = parts[1].column("vector").combine_chunks()
        decoded = column.flatten().to_numpy(zero_copy_only=False).astype(np.float32, copy=False).reshape(-1, dim)
    matrix = np.empty((len(found), dim), dtype=np.float32)
    bounds = np.searchsorted(segment, np.arange(len(segments) + 1))
    for i, (name, count, _) in enumerate(segments):
        lo, hi = bounds[i], bounds[i + 1]
        if lo == hi:
            continue
        if mapped[i]:
            rows = np.memmap(folder / sidecar_name(name), dtype="<f4", mode="r", shape=(count, dim))
            matrix[lo:hi] = rows[row[lo:hi]]
            del rows
        else:
            matrix[lo:hi] = decoded[read_here[lo:hi]]
    return found.tolist(), matrix


_FOUND_SCHEMA = pa.schema([("filename", pa.string()), ("file_row_number", pa.int64()), ("text_hash", pa.string())])


def _find(conn, paths: list[str], asked: str, with_vectors: bool) -> pa.Table:
    """filename, file_row_number and text_hash (and vector, ``with_vectors``) of the rows of the segments
    ``paths`` whose text hash is in the registered table ``asked``."""
    if not paths:
        schema = _FOUND_SCHEMA.append(pa.field("vector", pa.list_(pa.float32()))) if with_vectors else _FOUND_SCHEMA
        return schema.empty_table()
    source = ("read_parquet([" + ", ".join(f"'{_quote(p)}'" for p in paths)
              + "], filename = true, file_row_number = true)")
    return conn.sql(f"""SELECT filename, file_row_number, text_hash{", vector" if with_vectors else ""}
                        FROM {source} WHERE text_hash IN (SELECT text_hash FROM {asked})""").to_arrow_table()


def _read_table(conn, model: str, hashes: list[str]) -> tuple[list[str], np.ndarray]:
    """:func:`read` of a database whose vectors are still the table ``embeddings`` (before migration 25)."""
    rows = conn.execute("""SELECT text_hash, vector FROM embeddings
                           WHERE model = ? AND text_hash IN (SELECT unnest(?::VARCHAR[]))""",
                        [model, hashes]).fetchall()
    if not rows:
        return [], np.zeros((0, 0), dtype=np.float32)
    return [r[0] for r in rows], np.asarray([r[1] for r in rows], dtype=np.float32)


def write_missing_sidecars(conn, progress: bool = True) -> int:
    """Write the sidecar of every listed segment in the folder that lacks one (or whose sidecar has the wrong
    size: a new one replaces it), with progress on stderr; the number written. For a writer (a database made
    before sidecars, or one copied without them): a reader never writes. A failure to write one (a full
    disk) is reported and leaves that segment to be read from its Parquet file."""
    if not _lists_segments(conn):
        return 0
    folder = _folder_or_none(conn)
    if folder is None or not folder.is_dir():
        return 0
    todo = [(f, rows, dim) for f, rows, dim in conn.execute(
        "SELECT file, rows, dim FROM vector_segments ORDER BY created_at, file").fetchall()
        if rows and dim and (folder / f).exists() and not _sidecar_ok(folder, f, rows, dim)]
    written = 0
    for i, (name, _, _) in enumerate(todo, 1):
        try:
            reader = pq.ParquetFile(folder / name)
            written += _write_sidecar(folder, name, (batch.column(0) for batch in
                                                     reader.iter_batches(batch_size=ROW_GROUP, columns=["vector"])))
        except OSError as exc:
            print(f"could not write the vector sidecar of {name} ({exc}); its vectors are read from the segment",
                  file=sys.stderr, flush=True)
            break
        if progress:
            print(f"writing vector sidecars: {i} of {len(todo)} segments", file=sys.stderr, flush=True)
    if todo:
        _fsync_dir(folder)
    return written


def disk_bytes(conn) -> dict[str, int]:
    """model -> the bytes its listed segments' sidecars take on disk (those present)."""
    if not _lists_segments(conn):
        return {}
    folder = _folder_or_none(conn)
    out: dict[str, int] = {}
    for name, model, _ in listed(conn):
        try:
            size = (folder / sidecar_name(name)).stat().st_size if folder is not None else 0
        except OSError:
            size = 0
        out[model] = out.get(model, 0) + size
    return out


def _retire(conn, files: list[str]) -> None:
    for name in files:
        _run(conn, "DELETE FROM vector_segments WHERE file = ?", [name])
        _run(conn, "INSERT OR REPLACE INTO vector_segments_retired VALUES (?, now()::TIMESTAMP)", [name])


def compact(conn, model: str, at: int | None = None) -> int:
    """Merge ``model``'s small segments into larger ones once there are ``at`` (default ``COMPACT_AT``) of
    them; the number of segments merged."""
    at = COMPACT_AT if at is None else at
    small = [r for r in conn.execute(
        "SELECT file, rows FROM vector_segments WHERE model = ? AND rows < ? ORDER BY created_at, file",
        [model, SMALL]).fetchall()]
    if len(small) < max(at, 2):
        return 0
    folder = home(conn)
    merged = 0
    group: list[str] = []
    rows = 0
    groups = []
    for name, n in small:
        if group and rows + n > SEGMENT_ROWS:
            groups.append(group)
            group, rows = [], 0
        group.append(name)
        rows += n
    if len(group) > 1:
        groups.append(group)
    for group in groups:
        table = pa.concat_tables([pq.read_table(folder / name, schema=_SCHEMA) for name in group])
        files = _add_files(folder, model, table)
        del table
        _run(conn, "BEGIN TRANSACTION")
        try:
            _list_files(conn, model, files)
            _retire(conn, group)
            _run(conn, "COMMIT")
        except BaseException:
            _run(conn, "ROLLBACK")
            raise
        merged += len(group)
    refresh_view(conn)
    return merged


def drop(conn, model: str) -> int:
    """Unlist every segment of ``model`` (the files go with a later write); the number of vectors dropped.
    Runs inside the caller's transaction; the caller refreshes the view after it."""
    n = conn.execute("SELECT coalesce(sum(rows), 0) FROM vector_segments WHERE model = ?", [model]).fetchall()[0][0]
    _retire(conn, [r[0] for r in conn.execute("SELECT file FROM vector_segments WHERE model = ?",
                                              [model]).fetchall()])
    return int(n)


def forget_missing(conn) -> list[tuple[str, str, int]]:
    """Unlist segments whose file is gone, so that a build embeds their texts again; what was forgotten."""
    gone = missing(conn)
    if gone:
        _run(conn, "BEGIN TRANSACTION")
        try:
            for name, _, _ in gone:
                _run(conn, "DELETE FROM vector_segments WHERE file = ?", [name])
            _run(conn, "COMMIT")
        except BaseException:
            _run(conn, "ROLLBACK")
            raise
        refresh_view(conn)
    return gone


def collect_garbage(conn, grace_s: float | None = None) -> list[str]:
    """Delete segment files no state can still read: those neither listed nor retired, and those retired
    more than ``grace_s`` ago, each with its sidecar; sidecars whose segment went, and the ``.part`` files a
    killed write left. Call only on a work copy just made from the published state (it then lists what the
    published state lists). The deleted names."""
    grace_s = RETIRED_GRACE_S if grace_s is None else grace_s
    if not _lists_segments(conn):
        return []
    folder = _folder_or_none(conn)
    if folder is None or not folder.is_dir():
        return []
    live = {r[0] for r in conn.execute("SELECT file FROM vector_segments").fetchall()}
    retired = dict(conn.execute("SELECT file, retired_at FROM vector_segments_retired").fetchall())
    now = conn.execute("SELECT now()::TIMESTAMP").fetchall()[0][0]
    deleted = []
    for entry in folder.iterdir():
        name = entry.name
        segment = _segment_of(name)
        if segment is None:
            continue
        if not name.endswith(".part"):  # a killed write's unfinished file goes whatever it is for
            if segment in live:
                continue
            when = retired.get(segment)
            if when is not None and (now - when).total_seconds() < grace_s:
                continue
        entry.unlink(missing_ok=True)
        deleted.append(name)
    expired = [n for n, when in retired.items() if (now - when).total_seconds() >= grace_s]
    if expired:
        _run(conn, "DELETE FROM vector_segments_retired WHERE file IN (SELECT unnest(?::VARCHAR[]))", [expired])
    return deleted


def migrate_table(conn) -> None:
    """Migration 25: move the ``embeddings`` table's vectors into segments, a chunk at a time, with progress
    on stderr; then drop the table. Runs inside the migration's transaction (a failure leaves the table as
    it was, and segment files nobody lists, which the next write deletes)."""
    conn.execute(SEGMENTS_SQL)
    total = conn.execute("SELECT count(*) FROM embeddings").fetchall()[0][0]
    if total:
        folder = home(conn)
        models = [r[0] for r in conn.execute("SELECT DISTINCT model FROM embeddings ORDER BY model").fetchall()]
        done = 0
        for model in models:
            # Ranges of text hashes, each read whole: a streaming result would end at the first insert.
            hashes = [r[0] for r in conn.execute(
                "SELECT text_hash FROM embeddings WHERE model = ? ORDER BY text_hash", [model]).fetchall()]
            for start in range(0, len(hashes), MIGRATE_CHUNK):
                low, high = hashes[start], hashes[min(start + MIGRATE_CHUNK, len(hashes)) - 1]
                table = conn.sql(
                    """SELECT model, text_hash, vector FROM embeddings
                       WHERE model = ? AND text_hash BETWEEN ? AND ? ORDER BY text_hash""",
                    params=[model, low, high]).to_arrow_table().cast(_SCHEMA)
                _list_files(conn, model, _add_files(folder, model, table))
                done += table.num_rows
                print(f"moving vectors into {folder}: {done:,} of {total:,}", file=sys.stderr, flush=True)
    _run(conn, "DROP TABLE embeddings")


def copy_folder(src: Path, dst: Path) -> None:
    """Copy a database's segments and their sidecars to another database's folder: hard links where the file
    system allows (neither is ever written again: a sidecar of the wrong size is replaced, not rewritten),
    else copies."""
    if not src.is_dir():
        return
    dst.mkdir(parents=True, exist_ok=True)
    for entry in src.iterdir():
        if not entry.name.endswith((".parquet", ".parquet" + SIDECAR)):
            continue
        target = dst / entry.name
        if target.exists():
            continue
        try:
            os.link(entry, target)
        except OSError:
            shutil.copyfile(entry, target)
