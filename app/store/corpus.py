"""The corpus tables: outlets, articles and their links, rejects, passages and vectors (ingest, segment
and embed write them)."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from app.store import vectors as vector_segments
from app.store.base import StoreBase, list_column_to_matrix
from app.store.db import StoreBusy, connect, explain, pin_file, same_file
from app.store.stages import CUE_SIGNATURE


class CorpusStore(StoreBase):
    def known_articles(self, canonical_urls: list[str]) -> dict[str, str]:
        """canonical_url -> content_hash for the URLs already stored."""
        if not canonical_urls:
            return {}
        rows = self._exec(
            "SELECT canonical_url, content_hash FROM articles WHERE canonical_url IN (SELECT unnest(?::VARCHAR[]))",
            [list(canonical_urls)],
        ).fetchall()
        return dict(rows)

    def known_article_ids(self, article_ids: list[str]) -> set[str]:
        if not article_ids:
            return set()
        rows = self._exec(
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
            self._exec(
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
        rows = self._exec(
            f"SELECT article_id, canonical_url, url FROM article_links WHERE canonical_url IS NOT NULL {where} "
            "ORDER BY article_id, url", [] if article_ids is None else [list(article_ids)]).fetchall()
        out: dict[str, list[tuple[str, str]]] = {}
        for a, canon, url in rows:
            out.setdefault(a, []).append((canon, url))
        return out

    def add_rejects(self, rejects: pd.DataFrame) -> int:
        """Store rejected records; one already stored (same file, record number, raw text and reason: the
        same file ingested again) is not stored twice. Returns how many were new."""
        if rejects.empty:
            return 0
        data = pa.Table.from_pandas(rejects, preserve_index=False)
        self.conn.register("_rejects_in", data)
        try:
            cols = ", ".join(data.column_names)
            return self._scalar(
                f"""WITH new AS (
                        INSERT INTO rejects ({cols})
                        SELECT {cols} FROM _rejects_in d
                        WHERE NOT EXISTS (SELECT 1 FROM rejects r
                                          WHERE r.source_file IS NOT DISTINCT FROM d.source_file
                                            AND r.record_no IS NOT DISTINCT FROM d.record_no
                                            AND r.raw IS NOT DISTINCT FROM d.raw AND r.reason = d.reason)
                        RETURNING 1)
                    SELECT count(*) FROM new""")
        finally:
            self.conn.unregister("_rejects_in")

    def rejects(self) -> pd.DataFrame:
        return self._df("SELECT * FROM rejects ORDER BY reject_id")

    def articles_to_segment(self, limit: int) -> pd.DataFrame:
        """The first ``limit`` articles (in id order) not segmented yet, with their title and text. The ids are
        found first and only their texts read: read with every article's text before the anti-join, a week's 96
        took 0.07-0.11 s a call at 100k synthetic articles, against 0.02-0.04 s (bench/RESULTS.md, "the plans read
        kept cue signatures, and the week's reads find their articles first")."""
        return self._df(
            """WITH todo AS (SELECT article_id FROM articles
                             WHERE article_id NOT IN (SELECT article_id FROM segmented_articles)
                             ORDER BY article_id LIMIT ?)
               SELECT a.article_id, a.title, a.text FROM articles a SEMI JOIN todo USING (article_id)
               ORDER BY a.article_id""",
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

    def count_texts_to_embed(self, model: str) -> int:
        return self._scalar(
            """SELECT count(DISTINCT text_hash) FROM passages
               WHERE text_hash NOT IN (SELECT text_hash FROM embeddings WHERE model = ?)""",
            [model],
        )

    def texts_to_embed(self, model: str, limit: int) -> pd.DataFrame:
        """The first ``limit`` passage texts (in text hash order) without a vector under ``model``. The hashes
        are found first and only their texts read: the texts of every passage, read before the missing ones
        were known, made the query twice as long when few are missing (a weekly update's)."""
        return self._df(
            """WITH missing AS (SELECT DISTINCT text_hash FROM passages
                                WHERE text_hash NOT IN (SELECT text_hash FROM embeddings WHERE model = ?)
                                ORDER BY text_hash LIMIT ?)
               SELECT p.text_hash, any_value(p.text) AS text FROM passages p SEMI JOIN missing m USING (text_hash)
               GROUP BY p.text_hash ORDER BY p.text_hash""",
            [model, limit],
        )

    def add_embeddings(self, model: str, text_hashes: list[str], vectors: np.ndarray) -> int:
        """Store vectors under ``model``: a new segment beside the database (:mod:`app.store.vectors`),
        listed in its own transaction; texts that already have a vector under ``model`` are skipped (the
        vector is the same). The number added."""
        try:
            return vector_segments.add(self.conn, model, list(text_hashes), vectors)
        except duckdb.Error as exc:
            raise explain(exc) from exc

    def missing_vector_segments(self) -> list[tuple[str, str, int]]:
        """Listed vector segments whose file is not in the database's ``.vectors`` folder: (file, model, rows)."""
        return vector_segments.missing(self.conn)

    def forget_missing_vectors(self) -> list[tuple[str, str, int]]:
        """Unlist the missing segments (their texts are embedded again by the next embed stage)."""
        return vector_segments.forget_missing(self.conn)

    def vector_storage(self) -> pd.DataFrame:
        """Each model's listed segments: how many, their vectors, the bytes of their Parquet files and
        ``sidecar_bytes``, those of their fixed-width sidecars beside them (:mod:`app.store.vectors`)."""
        storage = self._df("""SELECT model, count(*) AS segments, sum(rows) AS vectors, sum(bytes) AS bytes
                              FROM vector_segments GROUP BY model ORDER BY model""")
        sidecars = vector_segments.disk_bytes(self.conn)
        storage["sidecar_bytes"] = [int(sidecars.get(m, 0)) for m in storage["model"]]
        return storage

    def vector_folder(self) -> str:
        """The folder beside the database that holds its vector segments."""
        return str(vector_segments.home(self.conn))

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
            n = vector_segments.drop(self.conn, model)
        vector_segments.refresh_view(self.conn)
        return n

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
                self._exec(
                    "UPDATE outlets SET country = ?, language = ?, kind = ?, lean = ?, groups = ? WHERE outlet_id = ?",
                    [*values, groups, oid])
                updated += 1
        return updated, unknown

    def outlet_names(self) -> list[str]:
        return [r[0] for r in self._exec("SELECT name FROM outlets ORDER BY name").fetchall()]

    def articles_ingested_after(self, when) -> set[str]:
        return {r[0] for r in self._exec("SELECT article_id FROM articles WHERE ingested_at > ?",
                                                [when]).fetchall()}

    def title_passages(self, articles: list[str] | None = None) -> list[str]:
        """Passage ids of the headlines (part ``title``) of the given articles, or of every article."""
        if articles is None:
            return [r[0] for r in self._exec("SELECT passage_id FROM passages WHERE part = 'title'").fetchall()]
        return [r[0] for r in self._exec(
            "SELECT passage_id FROM passages WHERE part = 'title' AND article_id IN (SELECT unnest(?::VARCHAR[]))",
            [list(articles)]).fetchall()]

    def passage_texts(self, passage_ids: list[str]) -> dict[str, str]:
        return dict(self._exec("SELECT passage_id, text FROM passages WHERE passage_id IN "
                                      "(SELECT unnest(?::VARCHAR[]))", [list(passage_ids)]).fetchall())

    def copy_cache_from(self, path: str) -> None:
        """Take the vectors and evidence cues of another database (same texts, same model) instead of
        computing them again: a benchmark or a migration of a corpus already embedded elsewhere."""
        source = connect(path, read_only=True)
        try:
            for (model,) in source.execute("SELECT DISTINCT model FROM embeddings").fetchall():
                # In record batches (a separate connection, so the writes here do not end the stream).
                for batch in source.sql("SELECT text_hash, vector FROM embeddings WHERE model = ?",
                                        params=[model]).to_arrow_reader(vector_segments.MIGRATE_CHUNK):
                    if batch.num_rows:
                        self.add_embeddings(model, batch.column(0).to_pylist(),
                                            list_column_to_matrix(batch.column(1)))
        except duckdb.Error as exc:
            raise explain(exc, path) from exc
        finally:
            source.close()
        # pinned while attached, as a reader's file is (app.store.db.pin_file): it cannot be written over meanwhile
        pin = pin_file(Path(path))
        try:
            self._exec(f"ATTACH '{str(path).replace(chr(39), chr(39) * 2)}' AS cache_source (READ_ONLY)")
        except BaseException:
            if pin is not None:
                os.close(pin)
            raise
        try:
            if pin is not None and not same_file(pin, Path(path)):
                raise StoreBusy(f"{path} changed while it was being read; try again")
            with self.transaction():
                self._exec("""INSERT INTO cues SELECT * FROM cache_source.cues
                              WHERE text_hash NOT IN (SELECT text_hash FROM cued_texts)""")
                # each text with the signature of its cues, as the cue stage records it (the source may be of an
                # earlier schema, without one)
                self._exec(
                    f"""INSERT INTO cued_texts (text_hash, rules, cue_sum, cue_count, ledger)
                        SELECT c.text_hash, c.rules, s.cue_sum, s.cue_count, coalesce(s.ledger, false)
                        FROM cache_source.cued_texts c LEFT JOIN ({CUE_SIGNATURE.format(
                            cues="cues", where="text_hash IN (SELECT text_hash FROM cache_source.cued_texts)")}) s
                             USING (text_hash)
                        WHERE c.text_hash NOT IN (SELECT text_hash FROM cued_texts)""")
        finally:
            try:
                self._exec("DETACH cache_source")
            finally:
                if pin is not None:
                    os.close(pin)
