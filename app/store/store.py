"""Store: every read and write query of the application, inline and parameterised."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from app.store.db import StoreError, connect, migrate, writing
from app.store.schema import MIGRATIONS, PUBLIC_VIEWS

EXPORTABLE = PUBLIC_VIEWS + ("rejects", "outlets", "copies")


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@dataclass(frozen=True)
class Filters:
    """What the dashboard and CLI narrow a view to. Dates are inclusive days (UTC)."""

    start: dt.date | None = None
    end: dt.date | None = None
    outlets: tuple[str, ...] = field(default_factory=tuple)
    # Outlet groups as "attribute:value" ("kind:wire", "lean:left", "group:regional"); any of them.
    groups: tuple[str, ...] = field(default_factory=tuple)

    def where(self, date_col: str = "published_at", outlet_col: str = "outlet") -> tuple[str, list]:
        clauses, params = ["TRUE"], []
        if self.start is not None:
            clauses.append(f"{date_col} >= ?")
            params.append(dt.datetime.combine(self.start, dt.time()))
        if self.end is not None:
            clauses.append(f"{date_col} < ?")
            params.append(dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time()))
        if self.outlets:
            clauses.append(f"{outlet_col} IN (SELECT unnest(?::VARCHAR[]))")
            params.append(list(self.outlets))
        if self.groups:
            clauses.append(
                f"""{outlet_col} IN (SELECT name FROM outlets WHERE list_has_any(
                    ['country:' || coalesce(country, ''), 'language:' || coalesce(language, ''),
                     'kind:' || coalesce(kind, ''), 'lean:' || coalesce(lean, '')]
                    || list_transform(coalesce(groups, []), lambda g: 'group:' || g), ?::VARCHAR[]))""")
            params.append(list(self.groups))
        return " AND ".join(clauses), params


class Store:
    def __init__(self, conn: duckdb.DuckDBPyConnection):
        self.conn = conn

    # -- opening -----------------------------------------------------------
    @classmethod
    def memory(cls) -> "Store":
        conn = connect(None)
        migrate(conn)
        return cls(conn)

    @classmethod
    def open_read(cls, path: str | Path) -> "Store":
        store = cls(connect(path, read_only=True))
        latest = max(m[0] for m in MIGRATIONS)
        try:
            have = store._scalar("SELECT max(version) FROM schema_migrations")
        except duckdb.Error:
            have = None
        if have != latest:
            store.close()
            raise StoreError(
                f"{path} was written by another version of Narrative Tracker (schema {have}, this version reads "
                f"{latest}): run `narratives build --db {path}` once to upgrade it")
        return store

    @classmethod
    @contextlib.contextmanager
    def write(cls, path: str | Path):
        """A writable store on a private copy, published atomically when the block succeeds."""
        with writing(path) as conn:
            yield cls(conn)

    def close(self) -> None:
        self.conn.close()

    def cursor(self) -> "Store":
        """A store on a new cursor of the same database, for use from another thread."""
        catalog = self._scalar("SELECT current_database()")
        cur = self.conn.cursor()
        cur.execute(f"USE {quote_ident(catalog)}")
        return Store(cur)

    @contextlib.contextmanager
    def transaction(self):
        self.conn.execute("BEGIN TRANSACTION")
        try:
            yield self
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    def _df(self, sql: str, params: list | None = None) -> pd.DataFrame:
        return self.conn.execute(sql, params or []).df()

    def _row(self, sql: str, params: list | None = None) -> tuple | None:
        # Fetch everything: DuckDB refuses new work while a result is unfinished.
        rows = self.conn.execute(sql, params or []).fetchall()
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
            self.conn.execute(f"INSERT INTO {quote_ident(table)} ({cols}) SELECT {cols} FROM _incoming")
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
        self.conn.execute(
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

    # -- ingest --------------------------------------------------------------
    def known_articles(self, canonical_urls: list[str]) -> dict[str, str]:
        """canonical_url -> content_hash for the URLs already stored."""
        if not canonical_urls:
            return {}
        rows = self.conn.execute(
            "SELECT canonical_url, content_hash FROM articles WHERE canonical_url IN (SELECT unnest(?::VARCHAR[]))",
            [list(canonical_urls)],
        ).fetchall()
        return dict(rows)

    def known_article_ids(self, article_ids: list[str]) -> set[str]:
        if not article_ids:
            return set()
        rows = self.conn.execute(
            "SELECT article_id FROM articles WHERE article_id IN (SELECT unnest(?::VARCHAR[]))",
            [list(article_ids)],
        ).fetchall()
        return {r[0] for r in rows}

    def add_outlets(self, outlets: pd.DataFrame) -> int:
        if outlets.empty:
            return 0
        self.conn.register("_outlets", pa.Table.from_pandas(outlets, preserve_index=False))
        try:
            before = self._scalar("SELECT count(*) FROM outlets")
            self.conn.execute(
                """INSERT INTO outlets (outlet_id, name, domain)
                   SELECT outlet_id, any_value(name), any_value(domain) FROM _outlets
                   WHERE outlet_id NOT IN (SELECT outlet_id FROM outlets) GROUP BY outlet_id"""
            )
            return self._scalar("SELECT count(*) FROM outlets") - before
        finally:
            self.conn.unregister("_outlets")

    def add_articles(self, articles: pd.DataFrame) -> int:
        return self._insert("articles", articles)

    def add_links(self, links: pd.DataFrame) -> int:
        """Hyperlinks found in articles' raw HTML, with the canonical form of each URL."""
        from app.ingest.normalize import canonical_url

        if links.empty:
            return 0
        canon = []
        for url in links["url"]:
            try:
                canon.append(canonical_url(url))
            except ValueError:
                canon.append(None)
        return self._insert("article_links", links.assign(canonical_url=canon).drop_duplicates(["article_id", "url"]))

    def article_links(self, article_ids: list[str] | None = None) -> dict[str, list[tuple[str, str]]]:
        """article_id -> [(canonical URL, URL as written)] of its hyperlinks."""
        where = "" if article_ids is None else "AND article_id IN (SELECT unnest(?::VARCHAR[]))"
        rows = self.conn.execute(
            f"SELECT article_id, canonical_url, url FROM article_links WHERE canonical_url IS NOT NULL {where} "
            "ORDER BY article_id, url", [] if article_ids is None else [list(article_ids)]).fetchall()
        out: dict[str, list[tuple[str, str]]] = {}
        for a, canon, url in rows:
            out.setdefault(a, []).append((canon, url))
        return out

    def add_rejects(self, rejects: pd.DataFrame) -> int:
        return self._insert("rejects", rejects)

    def rejects(self) -> pd.DataFrame:
        return self._df("SELECT * FROM rejects ORDER BY reject_id")

    # -- segment -------------------------------------------------------------
    def articles_to_segment(self, limit: int) -> pd.DataFrame:
        return self._df(
            """SELECT article_id, title, text FROM articles
               WHERE article_id NOT IN (SELECT article_id FROM segmented_articles)
               ORDER BY article_id LIMIT ?""",
            [limit],
        )

    def count_articles_to_segment(self) -> int:
        return self._scalar(
            "SELECT count(*) FROM articles WHERE article_id NOT IN (SELECT article_id FROM segmented_articles)"
        )

    def add_passages(self, passages: pd.DataFrame, segmented: pd.DataFrame) -> None:
        with self.transaction():
            self._insert("passages", passages)
            self._insert("segmented_articles", segmented)

    # -- embed ---------------------------------------------------------------
    def count_texts_to_embed(self, model: str) -> int:
        return self._scalar(
            """SELECT count(DISTINCT text_hash) FROM passages
               WHERE text_hash NOT IN (SELECT text_hash FROM embeddings WHERE model = ?)""",
            [model],
        )

    def texts_to_embed(self, model: str, limit: int) -> pd.DataFrame:
        return self._df(
            """SELECT text_hash, any_value(text) AS text FROM passages
               WHERE text_hash NOT IN (SELECT text_hash FROM embeddings WHERE model = ?)
               GROUP BY text_hash ORDER BY text_hash LIMIT ?""",
            [model, limit],
        )

    def add_embeddings(self, model: str, text_hashes: list[str], vectors: np.ndarray) -> None:
        vectors = np.asarray(vectors, dtype=np.float32)
        flat = pa.array(vectors.reshape(-1), type=pa.float32())
        offsets = pa.array(np.arange(0, vectors.size + 1, vectors.shape[1], dtype=np.int32))
        table = pa.table(
            {
                "model": pa.array([model] * len(text_hashes), type=pa.string()),
                "text_hash": pa.array(text_hashes, type=pa.string()),
                "vector": pa.ListArray.from_arrays(offsets, flat),
            }
        )
        with self.transaction():
            self._insert("embeddings", table)

    def vector_sets(self) -> pd.DataFrame:
        """Each model's vectors: how many, how many of the passages' distinct texts they cover, and the
        last embed run that wrote them (when, with which runtime)."""
        sets = self._df(
            """WITH texts AS (SELECT DISTINCT text_hash FROM passages)
               SELECT e.model, count(*) AS vectors, count(t.text_hash) AS texts_covered,
                      (SELECT count(*) FROM texts) AS texts
               FROM embeddings e LEFT JOIN texts t USING (text_hash)
               GROUP BY e.model ORDER BY e.model""")
        runs = self._df(
            """SELECT parameters->>'model' AS model, max(finished_at) AS last_embedded,
                      arg_max(parameters->>'runtime', finished_at) AS runtime
               FROM runs WHERE stage = 'embed' AND status = 'done' GROUP BY ALL""")
        return sets.merge(runs, on="model", how="left")

    def drop_vectors(self, model: str) -> int:
        """Delete one model's vectors; the number deleted."""
        with self.transaction():
            n = self._scalar("SELECT count(*) FROM embeddings WHERE model = ?", [model])
            self.conn.execute("DELETE FROM embeddings WHERE model = ?", [model])
        return int(n)

    # -- frames --------------------------------------------------------------
    def passage_fingerprint(self, model: str | None) -> str:
        """Changes whenever the (embedded, when ``model`` is given) passages change."""
        if model is None:
            row = self._row("SELECT count(*), coalesce(bit_xor(hash(passage_id || text_hash)), 0) FROM passages")
            return f"{row[0]}:{row[1]}"
        row = self._row(
            """SELECT count(*), coalesce(bit_xor(hash(p.passage_id || p.text_hash)), 0)
               FROM passages p JOIN embeddings e ON e.text_hash = p.text_hash AND e.model = ?""",
            [model],
        )
        return f"{row[0]}:{row[1]}"

    def passage_vectors(self, model: str, with_text: bool = True) -> tuple[pd.DataFrame, np.ndarray]:
        """Every embedded passage with its article's outlet and date, in publication order."""
        text = "p.text, " if with_text else ""
        table = self.conn.sql(
            f"""SELECT p.passage_id, p.article_id, p.text_hash, {text}a.outlet_id, a.published_at, e.vector
               FROM passages p
               JOIN articles a USING (article_id)
               JOIN embeddings e ON e.text_hash = p.text_hash AND e.model = ?
               ORDER BY a.published_at, p.passage_id""",
            params=[model],
        ).to_arrow_table()
        vectors = _list_column_to_matrix(table.column("vector"))
        meta = table.drop_columns(["vector"]).to_pandas()
        return meta, vectors

    def articles_ingested_after(self, when) -> set[str]:
        return {r[0] for r in self.conn.execute("SELECT article_id FROM articles WHERE ingested_at > ?",
                                                [when]).fetchall()}

    def discovered_assignments(self, model: str) -> pd.DataFrame:
        """Passage memberships of the discovered frames of ``model`` (as stored, before merges resolve)."""
        return self._df(
            """SELECT pf.passage_id, pf.frame_id, pf.score FROM passage_frames pf JOIN frames f USING (frame_id)
               WHERE f.kind = 'discovered' AND f.model = ?""", [model]).astype({"frame_id": "int32", "score": "float32"})

    def frames(self, include_inactive: bool = False, edited: bool = False) -> pd.DataFrame:
        """Active frames; with ``edited`` also those a user merged or retired (they keep their ids);
        with ``include_inactive`` every frame ever made."""
        where = "" if include_inactive else (
            "WHERE status IN ('active', 'merged', 'hidden')" if edited else "WHERE status = 'active'")
        table = self.conn.sql(f"SELECT * FROM frames {where} ORDER BY frame_id").to_arrow_table()
        df = table.drop_columns(["centroid"]).to_pandas()
        df["centroid"] = [None if c is None else np.asarray(c, dtype=np.float32)
                          for c in table.column("centroid").to_pylist()]
        return df

    def new_frame_ids(self, n: int) -> list[int]:
        return [self._scalar("SELECT nextval('frame_ids')") for _ in range(n)]

    def save_frames(
        self,
        frames: pd.DataFrame,
        passage_frames: pd.DataFrame,
        article_frames: pd.DataFrame,
        retired: list[int],
        run_id: int,
        kind: str = "discovered",
    ) -> None:
        """Replace the assignments of ``kind`` frames in one transaction."""
        with self.transaction():
            ids = frames["frame_id"].astype(int).tolist()
            self.conn.execute(
                """DELETE FROM passage_frames WHERE frame_id IN (SELECT frame_id FROM frames WHERE kind = ?)""",
                [kind],
            )
            self.conn.execute(
                """DELETE FROM article_frames WHERE frame_id IN (SELECT frame_id FROM frames WHERE kind = ?)""",
                [kind],
            )
            if retired:
                self.conn.execute(
                    "UPDATE frames SET status = 'retired', last_run = ? WHERE frame_id IN (SELECT unnest(?::INTEGER[]))",
                    [run_id, retired],
                )
            existing = {
                r[0]
                for r in self.conn.execute(
                    "SELECT frame_id FROM frames WHERE frame_id IN (SELECT unnest(?::INTEGER[]))", [ids]
                ).fetchall()
            }
            for row in frames.to_dict("records"):
                values = {
                    "label": row["label"], "phrases": list(row["phrases"]),
                    "exemplar_passage_id": row["exemplar_passage_id"],
                    "centroid": [float(x) for x in row["centroid"]] if row.get("centroid") is not None else None,
                    "model": row["model"], "seed_name": row.get("seed_name"),
                    "threshold": row.get("threshold"),
                }
                cols = list(values)
                if int(row["frame_id"]) in existing:
                    sets = ", ".join(f"{quote_ident(c)} = ?" for c in cols)
                    self.conn.execute(
                        f"UPDATE frames SET {sets}, status = 'active', last_run = ? WHERE frame_id = ?",
                        [*values.values(), run_id, int(row["frame_id"])],
                    )
                else:
                    names = ", ".join(quote_ident(c) for c in cols)
                    marks = ", ".join("?" for _ in cols)
                    self.conn.execute(
                        f"""INSERT INTO frames (frame_id, kind, status, created_run, last_run, {names})
                            VALUES (?, ?, 'active', ?, ?, {marks})""",
                        [int(row["frame_id"]), kind, run_id, run_id, *values.values()],
                    )
            self._insert("passage_frames", passage_frames)
            self._insert("article_frames", article_frames)
            created = sorted(set(ids) - existing)
            self.record_history(created, run_id, "created", detail=f"{kind} frame found by the build")
            self.record_history(retired, run_id, "retired", detail="no longer found by the build")
            self._apply_edits()

    # -- frame edits and history ----------------------------------------------
    def record_history(self, frame_ids, run_id: int | None, event: str, other: list | None = None,
                       detail: str | None = None) -> None:
        if len(frame_ids) == 0:
            return
        now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
        self._insert("frame_history", pd.DataFrame({
            "frame_id": pd.array(list(frame_ids), dtype="int32"), "happened_at": now,
            "run_id": pd.array([run_id] * len(frame_ids), dtype="Int64"), "event": event,
            "other_frame_id": pd.array(other if other is not None else [None] * len(frame_ids), dtype="Int32"),
            "detail": detail}))

    def _apply_edits(self) -> None:
        """Give merged and user-retired frames their status again after a build re-activated them."""
        self.conn.execute(
            """UPDATE frames SET status = CASE e.action WHEN 'merge' THEN 'merged' WHEN 'retire' THEN 'hidden'
                                                      ELSE frames.status END
               FROM (SELECT frame_id, action FROM (
                         SELECT frame_id, action, row_number() OVER (PARTITION BY frame_id ORDER BY edit_id DESC) AS rn
                         FROM frame_edits WHERE action IN ('merge', 'retire', 'restore')) WHERE rn = 1) e
               WHERE frames.frame_id = e.frame_id AND frames.status IN ('active', 'merged', 'hidden')""")

    def edit_frame(self, frame_id: int, action: str, value: str | None = None, into: int | None = None) -> str:
        """Rename, merge into another frame, retire or restore a frame; kept across rebuilds. Returns what was done."""
        row = self._row("SELECT status, coalesce(user_label, label) FROM frames WHERE frame_id = ?", [frame_id])
        if row is None:
            raise StoreError(f"no frame {frame_id}")
        status, label = row
        now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
        with self.transaction():
            if action == "rename":
                if not value or not value.strip():
                    raise StoreError("a new label is needed")
                self.conn.execute("UPDATE frames SET user_label = ? WHERE frame_id = ?", [value.strip(), frame_id])
                done, other, detail = "renamed", None, f"{label} -> {value.strip()}"
            elif action == "merge":
                target = self._row("SELECT status FROM frames WHERE frame_id = ?", [into]) if into is not None else None
                if target is None:
                    raise StoreError(f"no frame {into} to merge into")
                final = self._scalar("SELECT into_frame FROM frame_merges WHERE frame_id = ?", [into]) or into
                if final == frame_id:
                    raise StoreError(f"frame {into} is merged into frame {frame_id} already")
                if status not in ("active", "hidden"):
                    raise StoreError(f"frame {frame_id} is {status}: only an active frame can be merged")
                # Frames merged into this one follow it.
                followers = [r[0] for r in self.conn.execute(
                    "SELECT frame_id FROM frame_merges WHERE into_frame = ?", [frame_id]).fetchall()]
                for f in [frame_id, *followers]:
                    self.conn.execute("INSERT INTO frame_edits (frame_id, action, into_frame, edited_at) VALUES (?, 'merge', ?, ?)",
                                      [f, final, now])
                done, other, detail = "merged into", final, f"{label} merged into frame {final}"
            elif action in ("retire", "restore"):
                if action == "restore" and status not in ("merged", "hidden"):
                    raise StoreError(f"frame {frame_id} is {status}: only a merged or retired-by-hand frame can be restored")
                if action == "retire" and status != "active":
                    raise StoreError(f"frame {frame_id} is {status}, not active")
                if action == "restore":
                    self.conn.execute("UPDATE frames SET status = 'active' WHERE frame_id = ?", [frame_id])
                done, other, detail = ("retired by hand" if action == "retire" else "restored"), None, label
            else:
                raise StoreError(f"unknown edit {action!r}: rename, merge, retire or restore")
            if action != "merge":
                self.conn.execute("INSERT INTO frame_edits (frame_id, action, value, edited_at) VALUES (?, ?, ?, ?)",
                                  [frame_id, action, value, now])
            self.record_history([frame_id], None, done, [other], detail)
            self._apply_edits()
        return f"frame {frame_id} {done}" + (f" {other}" if other is not None else "")

    def editable_frames(self) -> pd.DataFrame:
        """Active frames and those a user merged or retired, with their counts and merge target."""
        return self._df(
            """SELECT f.frame_id, coalesce(f.user_label, f.label) AS label, f.kind, f.status,
                      coalesce(s.articles, 0) AS articles, coalesce(s.outlets, 0) AS outlets, m.into_frame AS merged_into
               FROM frames f LEFT JOIN frame_summary s USING (frame_id) LEFT JOIN frame_merges m USING (frame_id)
               WHERE f.status IN ('active', 'merged', 'hidden') ORDER BY f.status, articles DESC, f.frame_id""")

    def corpus_stats(self) -> dict:
        """Articles per outlet and per week, rejected records grouped by reason, and what the last frames
        run did (``frames_run``: its counts, empty before the first build)."""
        last = self.last_run("frames")
        return {
            "frames_run": dict(last["counts"]) if last else {},
            "per_outlet": self._df(
                """SELECT o.name AS outlet, o.kind, o.lean, count(a.article_id) AS articles,
                          min(a.published_at) AS first, max(a.published_at) AS last
                   FROM outlets o LEFT JOIN articles a USING (outlet_id) GROUP BY ALL ORDER BY articles DESC, outlet"""),
            "per_week": self._df(
                """SELECT date_trunc('week', published_at)::DATE AS week, count(*) AS articles FROM articles
                   GROUP BY ALL ORDER BY week"""),
            "rejects": self._df(
                """SELECT regexp_replace(reason, '[0-9][0-9,]*', 'N', 'g') AS reason, count(*) AS records,
                          any_value(source_file) AS example_file
                   FROM rejects GROUP BY 1 ORDER BY records DESC"""),
        }

    def last_edit_id(self) -> int:
        return self._scalar("SELECT coalesce(max(edit_id), 0) FROM frame_edits")

    def frame_history(self, frame_id: int) -> pd.DataFrame:
        return self._df(
            """SELECT happened_at, frame_id, event, other_frame_id, run_id, detail FROM frame_history
               WHERE frame_id = ? OR other_frame_id = ? ORDER BY happened_at, frame_id, event""",
            [frame_id, frame_id])

    # -- copies --------------------------------------------------------------
    def copy_pairs(self, threshold: float, max_group: int) -> pd.DataFrame:
        """Article pairs whose sets of body paragraphs have Jaccard similarity >= threshold."""
        return self._df(
            """WITH body AS (SELECT DISTINCT article_id, text_hash FROM passages WHERE part = 'body'),
               common AS (SELECT text_hash FROM body GROUP BY text_hash HAVING count(*) > ?),
               b AS (SELECT * FROM body WHERE text_hash NOT IN (SELECT text_hash FROM common)),
               sizes AS (SELECT article_id, count(*) AS n FROM b GROUP BY article_id),
               shared AS (
                   SELECT x.article_id AS a, y.article_id AS b, count(*) AS k
                   FROM b x JOIN b y ON x.text_hash = y.text_hash AND x.article_id < y.article_id
                   GROUP BY 1, 2)
               SELECT a, b, (k / (sa.n + sb.n - k))::FLOAT AS jaccard
               FROM shared JOIN sizes sa ON sa.article_id = a JOIN sizes sb ON sb.article_id = b
               WHERE k / (sa.n + sb.n - k) >= ?
               ORDER BY a, b""",
            [max_group, threshold],
        )

    def article_bodies(self) -> dict[str, str]:
        """article_id -> body text (title left out), for near-duplicate detection."""
        return dict(self.conn.execute(
            "SELECT article_id, coalesce(text, '') FROM articles WHERE coalesce(text, '') <> ''").fetchall())

    def article_dates(self, article_ids: list[str]) -> pd.DataFrame:
        return self._df(
            "SELECT article_id, published_at FROM articles WHERE article_id IN (SELECT unnest(?::VARCHAR[]))",
            [list(article_ids)],
        )

    def replace_copies(self, copies: pd.DataFrame) -> None:
        with self.transaction():
            self.conn.execute("DELETE FROM copies")
            self._insert("copies", copies)

    def copies(self) -> pd.DataFrame:
        return self._df("SELECT * FROM copies ORDER BY original_id, article_id")

    # -- lineage -------------------------------------------------------------
    def lineage_inputs(self, model: str) -> tuple[pd.DataFrame, dict[str, str], pd.DataFrame, np.ndarray]:
        """Everything lineage needs, in three queries: every active frame's articles, the texts of those
        articles, and every frame passage with its vector (rows aligned with the matrix)."""
        articles = self._df("SELECT frame_id, article_id, outlet, published_at FROM frame_articles")
        texts = dict(self.conn.execute(
            """SELECT article_id, coalesce(text, '') FROM articles
               WHERE article_id IN (SELECT DISTINCT article_id FROM article_frames)""").fetchall())
        table = self.conn.sql(
            """SELECT pf.frame_id, p.article_id, p.passage_id, e.vector
               FROM resolved_passage_frames pf JOIN frames f USING (frame_id) JOIN passages p USING (passage_id)
               JOIN embeddings e ON e.text_hash = p.text_hash AND e.model = ?
               WHERE f.status = 'active' ORDER BY pf.frame_id, p.passage_id""",
            params=[model],
        ).to_arrow_table()
        return articles, texts, table.drop_columns(["vector"]).to_pandas(), _list_column_to_matrix(table.column("vector"))

    def copy_map(self) -> dict[str, str]:
        return dict(self.conn.execute("SELECT article_id, original_id FROM copies").fetchall())

    def url_index(self) -> dict[str, str]:
        return dict(self.conn.execute(
            "SELECT canonical_url, article_id FROM articles WHERE canonical_url IS NOT NULL").fetchall())

    def replace_lineage(self, edges: pd.DataFrame, fingerprints: dict[int, int] | None = None,
                        redo: list[int] | None = None) -> None:
        self._replace_by_frame("lineage", "lineage", edges, fingerprints, redo)

    def frame_inputs(self, stage: str) -> dict[int, int]:
        """The fingerprint of each frame's inputs when ``stage`` last wrote its rows."""
        return dict(self.conn.execute("SELECT frame_id, fingerprint FROM frame_inputs WHERE stage = ?",
                                      [stage]).fetchall())

    def _replace_by_frame(self, stage: str, table: str, rows: pd.DataFrame, fingerprints: dict[int, int] | None,
                          redo: list[int] | None) -> None:
        """Write a per-frame stage's rows in one transaction: every row when ``redo`` is None, else the rows of
        the frames in ``redo`` (those of frames no longer in ``fingerprints`` go too); then the fingerprint
        of each current frame's inputs."""
        fingerprints = fingerprints or {}
        current = pd.DataFrame({"frame_id": pd.Series(list(fingerprints), dtype="int32"),
                                "fingerprint": pd.Series(list(fingerprints.values()), dtype="uint64")})
        with self.transaction():
            if redo is None:
                self.conn.execute(f"DELETE FROM {table}")
            else:
                gone = pd.DataFrame({"frame_id": pd.Series(sorted(set(redo)), dtype="int32")})
                self.conn.register("_redo", gone)
                self.conn.register("_current", current)
                self.conn.execute(f"""DELETE FROM {table} WHERE frame_id IN (SELECT frame_id FROM _redo)
                                      OR frame_id NOT IN (SELECT frame_id FROM _current)""")
                self.conn.unregister("_redo")
                self.conn.unregister("_current")
            self._insert(table, rows)
            self.conn.execute("DELETE FROM frame_inputs WHERE stage = ?", [stage])
            self._insert("frame_inputs", current.assign(stage=stage)[["stage", "frame_id", "fingerprint"]])

    def frame_edges(self, frame_id: int) -> pd.DataFrame:
        return self._df(
            """SELECT from_outlet, to_outlet, kind, score, evidence, from_published_at, to_published_at,
                      from_article, to_article
               FROM frame_edges WHERE frame_id = ? ORDER BY to_published_at, to_article""",
            [frame_id],
        )

    # -- evidence -------------------------------------------------------------
    def clear_cues(self) -> None:
        with self.transaction():
            self.conn.execute("DELETE FROM cues")
            self.conn.execute("DELETE FROM cued_texts")

    @staticmethod
    def _naming_pattern(names: list[str]) -> str:
        """A regular expression for any of ``names`` (use it case-insensitively), any spacing between words."""
        return "|".join(re.escape(n).replace(r"\ ", r"\s+") for n in names)

    def articles_naming(self, names: list[str]) -> set[str]:
        """Articles whose text mentions one of ``names`` (any case, any spacing)."""
        if not names:
            return set()
        return {r[0] for r in self.conn.execute("SELECT article_id FROM articles WHERE regexp_matches(text, ?, 'i')",
                                                [self._naming_pattern(names)]).fetchall()}

    def uncue_texts_naming(self, names: list[str]) -> None:
        """Forget the cues of every text that mentions one of ``names`` (any case), so they are read again."""
        if not names:
            return
        pattern = self._naming_pattern(names)
        with self.transaction():
            self.conn.execute(
                """CREATE TEMP TABLE _uncue AS SELECT DISTINCT text_hash FROM passages
                   WHERE regexp_matches(text, ?, 'i')""", [pattern])
            self.conn.execute("DELETE FROM cues WHERE text_hash IN (SELECT text_hash FROM _uncue)")
            self.conn.execute("DELETE FROM cued_texts WHERE text_hash IN (SELECT text_hash FROM _uncue)")
            self.conn.execute("DROP TABLE _uncue")

    def count_texts_to_cue(self) -> int:
        return self._scalar("SELECT count(DISTINCT text_hash) FROM passages WHERE text_hash NOT IN "
                            "(SELECT text_hash FROM cued_texts)")

    def texts_to_cue(self, limit: int) -> pd.DataFrame:
        return self._df(
            """SELECT text_hash, any_value(text) AS text FROM passages
               WHERE text_hash NOT IN (SELECT text_hash FROM cued_texts)
               GROUP BY text_hash ORDER BY text_hash LIMIT ?""",
            [limit],
        )

    def add_cues(self, cues: pd.DataFrame, text_hashes: list[str], rules: int) -> None:
        """Cues of a chunk of texts; the texts are recorded as done in the same transaction."""
        with self.transaction():
            self._insert("cues", cues)
            self._insert("cued_texts", pd.DataFrame({"text_hash": text_hashes, "rules": rules}).astype(
                {"text_hash": "string", "rules": "int32"}))

    def cues_by_text(self, text_hashes: list[str] | None = None) -> dict[str, list]:
        from app.evidence.cues import Cue

        where = "" if text_hashes is None else "WHERE text_hash IN (SELECT unnest(?::VARCHAR[]))"
        rows = self.conn.execute(
            f"SELECT text_hash, kind, subtype, start_char, end_char, span, source FROM cues {where} "
            "ORDER BY text_hash, start_char, kind", [] if text_hashes is None else [list(text_hashes)]).fetchall()
        out: dict[str, list] = {}
        for h, *rest in rows:
            out.setdefault(h, []).append(Cue(*rest))
        return out

    def evidence_inputs(self, model: str) -> tuple[pd.DataFrame, np.ndarray]:
        """Passages with evidence cues in every active frame's articles, and the vectors of their texts
        (``vector_row`` of each passage indexes the matrix)."""
        passages = self._df(
            """WITH cued AS (
                   SELECT DISTINCT text_hash FROM cues
                   WHERE kind = 'material' OR subtype IN ('named', 'anonymous', 'confirms', 'denies'))
               SELECT fa.frame_id, p.passage_id, p.article_id, p.text_hash, fa.published_at
               FROM frame_articles fa JOIN passages p USING (article_id) JOIN cued USING (text_hash)
               ORDER BY fa.frame_id, fa.published_at, p.article_id, p.passage_id""")
        table = self.conn.sql(
            """SELECT e.text_hash, e.vector FROM embeddings e
               WHERE e.model = ? AND e.text_hash IN (SELECT DISTINCT text_hash FROM cues
                   WHERE kind = 'material' OR subtype IN ('named', 'anonymous', 'confirms', 'denies'))""",
            params=[model]).to_arrow_table()
        row_of = {h: i for i, h in enumerate(table.column("text_hash").to_pylist())}
        passages["vector_row"] = passages["text_hash"].map(row_of)
        passages = passages[passages["vector_row"].notna()].astype({"vector_row": "int64"})
        return passages.reset_index(drop=True), _list_column_to_matrix(table.column("vector"))

    def replace_evidence(self, items: pd.DataFrame, fingerprints: dict[int, int] | None = None,
                         redo: list[int] | None = None) -> None:
        self._replace_by_frame("evidence", "evidence_items", items, fingerprints, redo)

    def cue_signatures(self) -> pd.DataFrame:
        """A fingerprint of each text's cues (text_hash, cue_signature)."""
        return self._df(
            """SELECT text_hash, bit_xor(hash(kind, subtype, start_char, end_char, span, coalesce(source, '')))
                      || ':' || count(*) AS cue_signature
               FROM cues GROUP BY text_hash""")

    def evidence_totals(self) -> tuple[int, int]:
        """Evidence items in the ledger, and how many of them are new evidence."""
        row = self._row("""SELECT count(*), count(*) FILTER (WHERE is_new AND strength = 'evidence')
                           FROM evidence_items""")
        return int(row[0]), int(row[1])

    def frame_ledger(self, frame_id: int, filters: Filters = Filters()) -> pd.DataFrame:
        """New evidence items of a frame in order, with how often and by how many outlets each was repeated."""
        where, params = filters.where()
        return self._df(
            f"""WITH items AS (
                    SELECT e.*, o.name AS outlet, a.title, a.url
                    FROM evidence_items e JOIN articles a USING (article_id) JOIN outlets o USING (outlet_id)
                    WHERE e.frame_id = ?),
                repeats AS (
                    SELECT repeat_of, count(*) AS repeats, count(DISTINCT outlet) AS repeat_outlets,
                           max(published_at) AS last_repeated
                    FROM items WHERE NOT is_new GROUP BY repeat_of)
                SELECT i.published_at, i.outlet, i.strength, i.description, i.keys,
                       coalesce(r.repeats, 0) AS repeats, coalesce(r.repeat_outlets, 0) AS repeat_outlets,
                       r.last_repeated, i.title, i.url, i.article_id, i.passage_id
                FROM items i LEFT JOIN repeats r ON r.repeat_of = i.passage_id
                WHERE i.is_new AND {where}
                ORDER BY i.published_at, i.article_id, i.passage_id""",
            [frame_id, *params],
        )

    def frame_evidence(self, frame_id: int, filters: Filters = Filters()) -> pd.DataFrame:
        """Per day: articles, new and repeated evidence items, share of articles resting on anonymous sources."""
        where, params = filters.where()
        return self._df(
            f"""WITH fa AS (SELECT * FROM frame_articles WHERE frame_id = ? AND {where}),
                days AS (
                    SELECT CAST(fa.published_at AS DATE) AS day, count(*) AS articles,
                           count(*) FILTER (WHERE s.anonymous AND NOT s.attributed) AS anonymous_only
                    FROM fa LEFT JOIN article_support s USING (article_id) GROUP BY ALL),
                items AS (
                    SELECT CAST(e.published_at AS DATE) AS day,
                           count(*) FILTER (WHERE e.is_new AND e.strength = 'evidence') AS new_evidence,
                           count(*) FILTER (WHERE NOT e.is_new AND e.strength = 'evidence') AS repeated_evidence
                    FROM evidence_items e WHERE e.frame_id = ? AND e.article_id IN (SELECT article_id FROM fa)
                    GROUP BY ALL)
                SELECT d.day, d.articles, coalesce(i.new_evidence, 0) AS new_evidence,
                       coalesce(i.repeated_evidence, 0) AS repeated_evidence, d.anonymous_only,
                       round(d.anonymous_only / d.articles, 3) AS anonymous_share
                FROM days d LEFT JOIN items i USING (day) ORDER BY d.day""",
            [frame_id, *params, frame_id],
        )

    # -- search ------------------------------------------------------------------
    def search_passages(self, vector: np.ndarray, model: str, filters: Filters = Filters(), limit: int = 50
                        ) -> pd.DataFrame:
        """Distinct passage texts nearest in meaning to ``vector`` (cosine): the earliest passage with
        each text, how many passages repeat it (copies), and the frames it is in."""
        where, params = filters.where("a.published_at", "o.name")
        q = [float(x) for x in np.asarray(vector, dtype=np.float32).ravel()]
        return self._df(
            f"""WITH scope AS (
                    SELECT p.passage_id, p.text_hash, a.published_at
                    FROM passages p JOIN articles a USING (article_id) JOIN outlets o USING (outlet_id)
                    WHERE {where}),
                hits AS (
                    SELECT e.text_hash, list_cosine_similarity(e.vector, ?::FLOAT[]) AS similarity
                    FROM embeddings e WHERE e.model = ? AND e.text_hash IN (SELECT text_hash FROM scope)
                    ORDER BY similarity DESC LIMIT ?),
                firsts AS (
                    SELECT text_hash, arg_min(passage_id, (published_at, passage_id)) AS passage_id,
                           count(*) AS passages
                    FROM scope WHERE text_hash IN (SELECT text_hash FROM hits) GROUP BY text_hash)
                SELECT h.similarity, a.published_at, o.name AS outlet, p.text, x.passages AS repeated_in,
                       a.title, a.url, p.passage_id, p.article_id,
                       (SELECT list(DISTINCT rp.frame_id ORDER BY rp.frame_id) FROM resolved_passage_frames rp
                        JOIN frames f USING (frame_id) JOIN passages q USING (passage_id)
                        WHERE q.text_hash = h.text_hash AND f.status = 'active') AS frames
                FROM hits h JOIN firsts x USING (text_hash) JOIN passages p ON p.passage_id = x.passage_id
                JOIN articles a ON a.article_id = p.article_id JOIN outlets o USING (outlet_id)
                ORDER BY h.similarity DESC, p.passage_id""",
            [*params, q, model, limit])

    def keyword_passages(self, words: str, filters: Filters = Filters(), limit: int = 200) -> pd.DataFrame:
        """Passages containing every word of ``words`` (any case), newest first, with their frames."""
        terms = [t for t in re.findall(r"[\w'’-]+", words.lower()) if t]
        if not terms:
            return pd.DataFrame(columns=["published_at", "outlet", "text", "title", "url", "passage_id", "article_id",
                                         "frames"])
        where, params = filters.where("a.published_at", "o.name")
        contains = " AND ".join("contains(lower(p.text), ?)" for _ in terms)
        return self._df(
            f"""SELECT a.published_at, o.name AS outlet, p.text, a.title, a.url, p.passage_id, p.article_id,
                       (SELECT list(DISTINCT rp.frame_id ORDER BY rp.frame_id) FROM resolved_passage_frames rp
                        JOIN frames f USING (frame_id) WHERE rp.passage_id = p.passage_id AND f.status = 'active')
                           AS frames
                FROM passages p JOIN articles a USING (article_id) JOIN outlets o USING (outlet_id)
                WHERE {contains} AND {where}
                ORDER BY a.published_at DESC, p.passage_id LIMIT ?""",
            [*terms, *params, limit])

    def frames_like(self, vector: np.ndarray, model: str, limit: int = 10) -> pd.DataFrame:
        """Active frames whose centre (discovered) is nearest in meaning to ``vector``."""
        q = [float(x) for x in np.asarray(vector, dtype=np.float32).ravel()]
        return self._df(
            """SELECT s.frame_id, s.label, s.kind, s.articles, s.outlets,
                      list_cosine_similarity(f.centroid, ?::FLOAT[]) AS similarity
               FROM frames f JOIN frame_summary s USING (frame_id)
               WHERE f.status = 'active' AND f.model = ? AND f.centroid IS NOT NULL
               ORDER BY similarity DESC LIMIT ?""",
            [q, model, limit])

    def frame_compare(self, frame_ids: list[int], filters: Filters = Filters()) -> pd.DataFrame:
        """Articles and independent articles per frame and week (Monday), for several frames at once."""
        where, params = filters.where()
        return self._df(
            f"""SELECT fa.frame_id, date_trunc('week', fa.published_at)::DATE AS week, count(*) AS articles,
                       count(*) FILTER (WHERE fa.independent) AS independent_articles,
                       count(DISTINCT fa.outlet) AS outlets
                FROM frame_articles_copies fa
                WHERE fa.frame_id IN (SELECT unnest(?::INTEGER[])) AND {where}
                GROUP BY ALL ORDER BY fa.frame_id, week""",
            [list(frame_ids), *params])

    def passage_texts(self, passage_ids: list[str]) -> dict[str, str]:
        return dict(self.conn.execute("SELECT passage_id, text FROM passages WHERE passage_id IN "
                                      "(SELECT unnest(?::VARCHAR[]))", [list(passage_ids)]).fetchall())

    def passage_cues(self, passage_ids: list[str]) -> pd.DataFrame:
        return self._df(
            """SELECT passage_id, kind, subtype, span, source, start_char, end_char FROM evidence_cues
               WHERE passage_id IN (SELECT unnest(?::VARCHAR[])) AND subtype <> 'none'
               ORDER BY passage_id, start_char""",
            [list(passage_ids)],
        )

    # -- reading (dashboard, CLI) -------------------------------------------
    def counts(self) -> dict:
        row = self._row(
            """SELECT (SELECT count(*) FROM articles), (SELECT count(*) FROM outlets),
                      (SELECT count(*) FROM passages), (SELECT count(*) FROM rejects),
                      (SELECT count(*) FROM frames WHERE status = 'active'),
                      (SELECT count(*) FROM articles WHERE article_id NOT IN (SELECT article_id FROM segmented_articles))"""
        )
        keys = ("articles", "outlets", "passages", "rejects", "frames", "unsegmented")
        return dict(zip(keys, row))

    def date_bounds(self) -> tuple[dt.date | None, dt.date | None]:
        lo, hi = self._row("SELECT min(published_at), max(published_at) FROM articles")
        return (lo.date() if lo else None, hi.date() if hi else None)

    def outlet_table(self) -> pd.DataFrame:
        return self._df(
            """SELECT o.outlet_id, o.name, o.domain, o.country, o.language, o.kind, o.lean,
                      array_to_string(coalesce(o.groups, []), ';') AS groups, count(a.article_id) AS articles
               FROM outlets o LEFT JOIN articles a USING (outlet_id) GROUP BY ALL ORDER BY o.name""")

    def update_outlets(self, table: pd.DataFrame) -> tuple[int, list[str]]:
        """Set outlet attributes from a table keyed by outlet_id or name; returns (updated, unknown keys)."""
        known = self._df("SELECT outlet_id, name FROM outlets")
        by_id = set(known["outlet_id"])
        by_name = dict(zip(known["name"].str.lower(), known["outlet_id"]))
        updated, unknown = 0, []
        with self.transaction():
            for row in table.to_dict("records"):
                oid = row.get("outlet_id") if row.get("outlet_id") in by_id else by_name.get(str(row.get("name", "")).lower())
                if oid is None:
                    unknown.append(str(row.get("outlet_id") or row.get("name")))
                    continue
                groups = [g.strip() for g in str(row.get("groups") or "").split(";") if g.strip()]
                values = [None if pd.isna(row.get(c)) or row.get(c) == "" else str(row.get(c))
                          for c in ("country", "language", "kind", "lean")]
                self.conn.execute(
                    "UPDATE outlets SET country = ?, language = ?, kind = ?, lean = ?, groups = ? WHERE outlet_id = ?",
                    [*values, groups, oid])
                updated += 1
        return updated, unknown

    def outlet_groups(self) -> list[str]:
        """Every "attribute:value" an outlet has, for filters."""
        return [r[0] for r in self.conn.execute(
            """SELECT DISTINCT v FROM (
                   SELECT unnest(['country:' || country, 'language:' || language, 'kind:' || kind, 'lean:' || lean]
                                 || list_transform(coalesce(groups, []), lambda g: 'group:' || g)) AS v FROM outlets)
               WHERE v IS NOT NULL ORDER BY v""").fetchall()]

    def outlet_names(self) -> list[str]:
        return [r[0] for r in self.conn.execute("SELECT name FROM outlets ORDER BY name").fetchall()]

    def frame_summary(self, filters: Filters = Filters()) -> pd.DataFrame:
        """One row per active frame with articles in the filtered range, busiest first."""
        where, params = filters.where()
        return self._df(
            f"""WITH fa AS (SELECT * FROM frame_articles WHERE {where}),
               ranked AS (
                   SELECT frame_id, outlet, article_id,
                          row_number() OVER (PARTITION BY frame_id ORDER BY published_at, article_id) AS rn
                   FROM fa),
               agg AS (
                   SELECT frame_id, count(*) AS articles, count(DISTINCT outlet) AS outlets,
                          min(published_at) AS first_seen, max(published_at) AS last_seen
                   FROM fa GROUP BY frame_id)
               SELECT f.frame_id, coalesce(f.user_label, f.label) AS label, f.kind, agg.articles, agg.outlets,
                      agg.first_seen, r.outlet AS first_outlet, r.article_id AS first_article_id, agg.last_seen
               FROM frames f JOIN agg USING (frame_id)
               JOIN ranked r ON r.frame_id = f.frame_id AND r.rn = 1
               WHERE f.status = 'active'
               ORDER BY agg.articles DESC, f.frame_id""",
            params,
        )

    def period_frames(self, start: dt.date, end: dt.date) -> pd.DataFrame:
        """Every active frame with articles between ``start`` and ``end`` (inclusive days): its articles,
        independent articles, outlets, new and repeated evidence and unnamed-source-only articles in the
        period; its articles in the period of the same length before; when and where it was first seen."""
        lo = dt.datetime.combine(start, dt.time())
        hi = dt.datetime.combine(end + dt.timedelta(days=1), dt.time())
        before = lo - (hi - lo)
        return self._df(
            """WITH fa AS (SELECT * FROM frame_articles_copies),
                cur AS (
                    SELECT fa.frame_id, count(*) AS articles, count(*) FILTER (WHERE independent) AS independent_articles,
                           count(DISTINCT outlet) AS outlets,
                           count(*) FILTER (WHERE s.anonymous AND NOT s.attributed) AS anonymous_only
                    FROM fa LEFT JOIN article_support s USING (article_id)
                    WHERE fa.published_at >= ? AND fa.published_at < ? GROUP BY fa.frame_id),
                prev AS (SELECT frame_id, count(*) AS previous_articles FROM fa
                         WHERE published_at >= ? AND published_at < ? GROUP BY frame_id),
                ev AS (SELECT frame_id,
                              count(*) FILTER (WHERE is_new AND strength = 'evidence') AS new_evidence,
                              count(*) FILTER (WHERE NOT is_new AND strength = 'evidence') AS repeated_evidence
                       FROM evidence_items WHERE published_at >= ? AND published_at < ? GROUP BY frame_id),
                firsts AS (SELECT frame_id, min(published_at) AS first_seen,
                                  arg_min(outlet, (published_at, article_id)) AS first_outlet,
                                  arg_min(article_id, (published_at, article_id)) AS first_article_id
                           FROM fa GROUP BY frame_id)
               SELECT f.frame_id, coalesce(f.user_label, f.label) AS label, f.kind, c.articles,
                      c.independent_articles, c.outlets, coalesce(p.previous_articles, 0) AS previous_articles,
                      coalesce(e.new_evidence, 0) AS new_evidence, coalesce(e.repeated_evidence, 0) AS repeated_evidence,
                      c.anonymous_only, x.first_seen, x.first_outlet, x.first_article_id
               FROM cur c JOIN frames f USING (frame_id) JOIN firsts x USING (frame_id)
               LEFT JOIN prev p USING (frame_id) LEFT JOIN ev e USING (frame_id)
               WHERE f.status = 'active'
               ORDER BY c.articles DESC, f.frame_id""",
            [lo, hi, before, lo, lo, hi],
        )

    def period_first_movers(self, frame_ids: list[int], hours: float) -> pd.DataFrame:
        """For each frame: the outlets whose first article in it came within ``hours`` of the frame's first."""
        return self._df(
            """WITH per AS (
                   SELECT frame_id, outlet, min(published_at) AS first_seen, arg_min(article_id, published_at) AS article_id
                   FROM frame_articles WHERE frame_id IN (SELECT unnest(?::INTEGER[])) GROUP BY ALL),
               ranked AS (
                   SELECT *, date_diff('second', min(first_seen) OVER (PARTITION BY frame_id), first_seen) / 3600.0
                              AS lag_hours FROM per)
               SELECT r.frame_id, coalesce(f.user_label, f.label) AS label, r.outlet, r.first_seen,
                      round(r.lag_hours, 1) AS lag_hours, a.url
               FROM ranked r JOIN frames f USING (frame_id) JOIN articles a USING (article_id)
               WHERE r.lag_hours <= ? ORDER BY r.frame_id, r.first_seen, r.outlet""",
            [list(frame_ids), hours],
        )

    def frame_weekly(self, filters: Filters = Filters()) -> pd.DataFrame:
        where, params = filters.where()
        return self._df(
            f"""SELECT frame_id, date_trunc('week', published_at)::DATE AS week, count(*) AS articles
                FROM frame_articles WHERE {where} GROUP BY ALL ORDER BY frame_id, week""",
            params,
        )

    def frame(self, frame_id: int) -> dict | None:
        df = self._df(
            """SELECT f.frame_id, coalesce(f.user_label, f.label) AS label, f.label AS generated_label, f.kind,
                      f.phrases, f.status, f.exemplar_passage_id, p.text AS exemplar, p.article_id AS exemplar_article_id,
                      a.url AS exemplar_url, o.name AS exemplar_outlet
               FROM frames f
               LEFT JOIN passages p ON p.passage_id = f.exemplar_passage_id
               LEFT JOIN articles a ON a.article_id = p.article_id
               LEFT JOIN outlets o ON o.outlet_id = a.outlet_id
               WHERE f.frame_id = ?""",
            [frame_id],
        )
        if df.empty:
            return None
        row = df.iloc[0].to_dict()
        row["phrases"] = list(row["phrases"]) if row["phrases"] is not None else []
        return row

    def frame_timeline(self, frame_id: int, filters: Filters = Filters()) -> pd.DataFrame:
        """Per outlet and day: articles, and how many of them are syndicated copies."""
        where, params = filters.where()
        return self._df(
            f"""SELECT outlet, CAST(published_at AS DATE) AS day, count(*) AS articles,
                       count(*) FILTER (WHERE NOT independent) AS copies
                FROM frame_articles_copies
                WHERE frame_id = ? AND {where} GROUP BY ALL ORDER BY day, outlet""",
            [frame_id, *params],
        )

    def frame_articles_at(self, frame_id: int, outlet: str, day: dt.date) -> pd.DataFrame:
        """The articles behind one mark of the timeline: a frame, an outlet, a day (UTC)."""
        return self._df(
            """SELECT fa.published_at, fa.title, fa.url, fa.passages, fa.independent,
                      oa.url AS copy_of, fa.article_id
               FROM frame_articles_copies fa LEFT JOIN articles oa ON oa.article_id = fa.original_id
               WHERE fa.frame_id = ? AND fa.outlet = ? AND CAST(fa.published_at AS DATE) = ?
               ORDER BY fa.published_at, fa.article_id""",
            [frame_id, outlet, day])

    def frame_articles(self, frame_id: int, filters: Filters = Filters()) -> pd.DataFrame:
        where, params = filters.where()
        return self._df(
            f"""SELECT article_id, published_at, outlet, title, url, score, passages FROM frame_articles
                WHERE frame_id = ? AND {where} ORDER BY published_at, article_id""",
            [frame_id, *params],
        )

    def frame_passages(self, frame_id: int, filters: Filters = Filters(), limit: int = 500) -> pd.DataFrame:
        where, params = filters.where()
        return self._df(
            f"""SELECT published_at, outlet, title, text, score, match, url, article_id, passage_id, start_char,
                       end_char, part
                FROM frame_passages WHERE frame_id = ? AND {where}
                ORDER BY published_at, passage_id LIMIT ?""",
            [frame_id, *params, limit],
        )

    def frame_spread(self, frame_id: int, filters: Filters = Filters()) -> pd.DataFrame:
        """Adoption table: one row per outlet in order of first appearance (within the filters)."""
        where, params = filters.where()
        return self._df(
            f"""WITH fa AS (SELECT * FROM frame_articles_copies WHERE frame_id = ? AND {where}),
                per_outlet AS (
                    SELECT outlet, min(published_at) AS first_seen, count(*) AS articles,
                           count(*) FILTER (WHERE independent) AS independent_articles,
                           arg_min(article_id, (published_at, article_id)) AS first_article_id
                    FROM fa GROUP BY outlet)
                SELECT row_number() OVER (ORDER BY first_seen, outlet) AS adoption_rank, outlet, first_seen,
                       round(date_diff('second', min(first_seen) OVER (), first_seen) / 3600.0, 1) AS lag_hours,
                       articles, independent_articles, first_article_id,
                       (SELECT url FROM articles a WHERE a.article_id = first_article_id) AS first_article_url
                FROM per_outlet ORDER BY adoption_rank""",
            [frame_id, *params],
        )

    def outlet_frames(self, outlet: str, first_mover_hours: float, filters: Filters = Filters()) -> pd.DataFrame:
        """The frames an outlet carried, with when it joined each and whether it led or followed."""
        where, params = filters.where()
        return self._df(
            f"""WITH fa AS (SELECT * FROM frame_articles_copies WHERE {where}),
                per AS (
                    SELECT frame_id, outlet, min(published_at) AS first_seen, count(*) AS articles,
                           count(*) FILTER (WHERE independent) AS independent_articles
                    FROM fa GROUP BY frame_id, outlet),
                ranked AS (
                    SELECT *, row_number() OVER (PARTITION BY frame_id ORDER BY first_seen, outlet) AS adoption_rank,
                           count(*) OVER (PARTITION BY frame_id) AS outlets,
                           date_diff('second', min(first_seen) OVER (PARTITION BY frame_id), first_seen) / 3600.0
                               AS lag_hours
                    FROM per)
                SELECT r.frame_id, coalesce(f.user_label, f.label) AS label, f.kind, r.first_seen, r.adoption_rank,
                       r.outlets, round(r.lag_hours, 1) AS lag_hours, r.articles, r.independent_articles,
                       CASE WHEN r.adoption_rank = 1 THEN 'first'
                            WHEN r.lag_hours <= ? THEN 'first mover'
                            ELSE 'follower' END AS role
                FROM ranked r JOIN frames f USING (frame_id)
                WHERE r.outlet = ? ORDER BY r.first_seen, r.frame_id""",
            [*params, first_mover_hours, outlet],
        )

    def frame_daily(self, frame_id: int, filters: Filters = Filters()) -> pd.DataFrame:
        """Per day: articles, independent articles, and cumulative outlets (the spread curve)."""
        where, params = filters.where()
        return self._df(
            f"""WITH fa AS (
                    SELECT article_id, outlet, CAST(published_at AS DATE) AS day, independent
                    FROM frame_articles_copies WHERE frame_id = ? AND {where}),
                firsts AS (SELECT outlet, min(day) AS day FROM fa GROUP BY outlet),
                days AS (SELECT day, count(*) AS articles, count(*) FILTER (WHERE independent) AS independent_articles
                         FROM fa GROUP BY day),
                new_outlets AS (SELECT day, count(*) AS new_outlets FROM firsts GROUP BY day)
                SELECT d.day, d.articles, d.independent_articles, coalesce(n.new_outlets, 0) AS new_outlets,
                       sum(coalesce(n.new_outlets, 0)) OVER (ORDER BY d.day) AS cumulative_outlets
                FROM days d LEFT JOIN new_outlets n USING (day) ORDER BY d.day""",
            [frame_id, *params],
        )

    def export(self, name: str) -> pa.Table:
        if name not in EXPORTABLE:
            raise StoreError(f"unknown view {name!r}; exportable: {', '.join(EXPORTABLE)}")
        return self.conn.sql(f"SELECT * FROM {quote_ident(name)}").to_arrow_table()

    def query(self, sql: str, params: list | None = None) -> pd.DataFrame:
        """A read-only query for analysts, benchmarks and tests."""
        return self._df(sql, params)

    def query_value(self, sql: str, params: list | None = None):
        """The first value of a read-only query (None when it returns no row)."""
        return self._scalar(sql, params)


def _list_column_to_matrix(column: pa.ChunkedArray) -> np.ndarray:
    column = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    if len(column) == 0:
        return np.zeros((0, 0), dtype=np.float32)
    flat = column.flatten().to_numpy(zero_copy_only=False).astype(np.float32, copy=False)
    return flat.reshape(len(column), -1)
