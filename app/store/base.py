"""The store's foundation: opening, the query primitives every part of the store uses (each converts
DuckDB's errors to :class:`StoreError` in one place), the public read-only query, and run records."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from app.store import vectors as vector_segments
from app.store.db import (StoreDamaged, StoreError, connect, explain, migrate, one_thread_if_short,
                           release_pin, share_pin, too_new, writing)
from app.store.schema import MIGRATIONS


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def positions(values, among) -> np.ndarray:
    """Where each of ``values`` (strings) is in ``among`` (distinct strings), -1 where it is not: an Arrow hash
    lookup, 17-43% of the time of ``pd.Index.get_indexer`` for 177,210 text hashes (bench/RESULTS.md, "the
    copies stage's MinHash buckets counted in the database")."""
    import pyarrow.compute as pc

    if isinstance(values, (pa.Array, pa.ChunkedArray)):
        values = values.cast(pa.string())  # (DuckDB may give large or view strings)
    else:
        values = pa.array(values, type=pa.string())
    return np.asarray(pc.index_in(values, value_set=pa.array(among, type=pa.string())).fill_null(-1),
                      dtype=np.int64)


def list_column_to_matrix(column: pa.ChunkedArray) -> np.ndarray:
    """A column of equal-length float lists (vectors) as one float32 matrix, one row each."""
    column = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    if len(column) == 0:
        return np.zeros((0, 0), dtype=np.float32)
    flat = column.flatten().to_numpy(zero_copy_only=False).astype(np.float32, copy=False)
    return flat.reshape(len(column), -1)


class StoreBase:
    def __init__(self, conn: duckdb.DuckDBPyConnection):
        self.conn = conn
        self._open_transactions = 0  # :meth:`transaction`s open now (no CHECKPOINT inside one)

    # -- opening -----------------------------------------------------------
    @classmethod
    def memory(cls):
        conn = connect(None)
        migrate(conn)
        return cls(conn)

    @classmethod
    def open_read(cls, path: str | Path):
        store = cls(connect(path, read_only=True))
        latest = max(m[0] for m in MIGRATIONS)
        try:
            have = store._scalar("SELECT max(version) FROM schema_migrations")
        except StoreDamaged:
            store.close()
            raise
        except StoreError:
            have = None
        if have is not None and have > latest:
            store.close()
            raise too_new(path, have, latest, "read")
        if have != latest:
            store.close()
            raise StoreError(
                f"{path} was written by another version of Narrative Tracker (schema {have}, this version reads "
                f"{latest}): run `narratives build --db {path}` once to upgrade it")
        return store

    @classmethod
    @contextlib.contextmanager
    def write(cls, path: str | Path, purpose: str = "build", resumable: bool = True,
              memory_budget: int | None = None):
        """A writable store on a private copy, published atomically when the block succeeds.

        ``purpose`` names the write as the command that repeats it (see :func:`app.store.db.writing`):
        an interrupted write is resumed only by one of the same purpose. A short write (an edit, loading
        outlet attributes) is not ``resumable``: when it fails, its work is dropped. ``memory_budget``
        (MB, the setting) caps DuckDB's memory at its share (:func:`app.store.db.duckdb_memory_mb`)."""
        with writing(path, purpose, resumable, memory_budget) as conn:
            yield cls(conn)

    def close(self) -> None:
        self.conn.close()
        release_pin(self.conn)

    def cursor(self):
        """A store on a new cursor of the same database, for use from another thread."""
        catalog = self._scalar("SELECT current_database()")
        cur = self.conn.cursor()
        share_pin(self.conn, cur)
        cur.execute(f"USE {quote_ident(catalog)}")
        vector_segments.search_path(cur)  # the vectors' view lives in the in-memory catalog
        return type(self)(cur)

    @contextlib.contextmanager
    def transaction(self):
        self._exec("BEGIN TRANSACTION")
        self._open_transactions += 1
        try:
            try:
                yield self
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            self._exec("COMMIT")
        finally:
            self._open_transactions -= 1

    # -- the public read-only query --------------------------------------------
    def query(self, sql: str, params: list | None = None) -> pd.DataFrame:
        """A read-only query (one SELECT, values bound as parameters) for analysts, benchmarks and tests;
        anything that would change the database is refused."""
        try:
            statements = self.conn.extract_statements(sql)
        except duckdb.Error as exc:
            raise StoreError(f"cannot read query: {exc}") from exc
        if len(statements) != 1 or statements[0].type != duckdb.StatementType.SELECT:
            raise StoreError("query takes one read-only SELECT statement")
        return self._df(sql, params)

    def query_value(self, sql: str, params: list | None = None):
        """The first value of a read-only :meth:`query` (None when it returns no row)."""
        df = self.query(sql, params)
        return None if df.empty else df.iat[0, 0]

    def table_columns(self, table: str) -> list[str]:
        """The columns of ``table`` in the database (not the session's views), in order; empty when it has none."""
        return [r[0] for r in self._exec(
            """SELECT column_name FROM duckdb_columns() WHERE table_name = ? AND database_name = current_database()
               ORDER BY column_index""", [table]).fetchall()]

    def table_digest(self, table: str, columns: list[str]) -> tuple[int, int]:
        """(rows, a digest of their ``columns``) of ``table``, independent of row order: the XOR of a hash of
        each row. Two databases whose tables give the same digests hold the same rows (to a 64-bit hash): how
        benchmarks check that two codes wrote the same tables."""
        if not columns:
            raise ValueError(f"no columns to digest for {table}")
        row = self._row(f"""SELECT count(*), coalesce(bit_xor(hash({", ".join(quote_ident(c) for c in columns)})), 0)
                            FROM {quote_ident(table)}""")
        return int(row[0]), int(row[1])

    def memory_settings(self) -> tuple[str, str]:
        """DuckDB's memory limit and spill folder on this connection, as DuckDB reports them."""
        row = self._row("SELECT current_setting('memory_limit'), current_setting('temp_directory')")
        return str(row[0]), str(row[1])

    # -- primitives: every statement of the store goes through these --------------
    def _exec(self, sql: str, params: list | None = None) -> duckdb.DuckDBPyConnection:
        try:
            return self.conn.execute(sql, params or [])
        except duckdb.Error as exc:
            raise explain(exc) from exc

    def _arrow(self, sql: str, params: list | None = None) -> pa.Table:
        try:
            return self.conn.sql(sql, params=params or None).to_arrow_table()
        except duckdb.Error as exc:
            raise explain(exc) from exc

    def _vectors_of(self, model: str, hashes) -> tuple[list[str], np.ndarray]:
        """The vectors of some text hashes (:func:`app.store.vectors.read`: each found hash once, rows read
        through the segments' fixed-width sidecars)."""
        try:
            return vector_segments.read(self.conn, model, hashes)
        except duckdb.Error as exc:
            raise explain(exc) from exc

    def _df(self, sql: str, params: list | None = None) -> pd.DataFrame:
        result = self._exec(sql, params)
        try:
            return result.df()
        except duckdb.Error as exc:  # reading the rows can fail too (a damaged file)
            raise explain(exc) from exc

    def release_index_memory(self, above_mb: int = 64) -> bool:
        """Checkpoint when the tables' key indexes hold more than ``above_mb`` of DuckDB's memory: inserts load
        them (214 MB at 100k synthetic articles after a week's ingest) and they stay pinned until a
        checkpoint writes them out, leaving a large query less room than the memory limit says. Returns
        whether it checkpointed; a connection that cannot (read-only, inside a transaction) is left as it is."""
        if self._open_transactions:  # a failed CHECKPOINT would abort the transaction
            return False
        held = self._scalar("SELECT coalesce(sum(memory_usage_bytes), 0) FROM duckdb_memory() WHERE tag = 'ART_INDEX'")
        if int(held or 0) <= above_mb * 1_000_000:
            return False
        try:
            self._exec("CHECKPOINT")
        except StoreError:
            return False
        return True

    def _df_one_thread_if_short(self, sql: str, params: list | None = None) -> pd.DataFrame:
        """:meth:`_df` of a read that is run again on one thread if DuckDB runs out of memory
        (:func:`app.store.db.one_thread_if_short`)."""
        return one_thread_if_short(self.conn, lambda: self._df(sql, params),
                                   release=lambda: self.release_index_memory(above_mb=0))

    def _row(self, sql: str, params: list | None = None) -> tuple | None:
        # Fetch everything: DuckDB refuses new work while a result is unfinished.
        result = self._exec(sql, params)
        try:
            rows = result.fetchall()
        except duckdb.Error as exc:
            raise explain(exc) from exc
        return rows[0] if rows else None

    def _scalar(self, sql: str, params: list | None = None):
        row = self._row(sql, params)
        return None if row is None else row[0]

    def _insert(self, table: str, frame: pd.DataFrame | pa.Table) -> int:
        """Bulk insert through Arrow; columns matched by name."""
        data = frame if isinstance(frame, pa.Table) else pa.Table.from_pandas(frame, preserve_index=False)
        if data.num_rows == 0:
            return 0
        self.conn.register("_incoming", data)
        try:
            cols = ", ".join(quote_ident(c) for c in data.column_names)
            self._exec(f"INSERT INTO {quote_ident(table)} ({cols}) SELECT {cols} FROM _incoming")
        finally:
            self.conn.unregister("_incoming")
        return data.num_rows

    # -- runs ----------------------------------------------------------------
    def start_run(self, stage: str, parameters: dict) -> int:
        return self._scalar(
            "INSERT INTO runs (stage, started_at, status, parameters) VALUES (?, now()::TIMESTAMP, 'running', ?) RETURNING run_id",
            [stage, json.dumps(parameters, default=str)],
        )

    def finish_run(self, run_id: int, counts: dict, status: str = "done") -> None:
        self._exec(
            "UPDATE runs SET finished_at = now()::TIMESTAMP, status = ?, counts = ? WHERE run_id = ?",
            [status, json.dumps(counts, default=str), run_id],
        )

    def last_run(self, stage: str) -> dict | None:
        df = self._df(
            "SELECT * FROM runs WHERE stage = ? AND status = 'done' ORDER BY run_id DESC LIMIT 1", [stage]
        )
        if df.empty:
            return None
        row = df.iloc[0].to_dict()
        for key in ("parameters", "counts"):
            row[key] = json.loads(row[key]) if row[key] else {}
        return row

    def runs(self) -> pd.DataFrame:
        return self._df("SELECT * FROM runs ORDER BY run_id")

