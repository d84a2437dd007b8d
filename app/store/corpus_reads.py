"""Read queries about the corpus as a whole: counts, outlets, search, exports."""

from __future__ import annotations

import datetime as dt
import re

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from app.store.base import StoreBase, list_column_to_matrix, quote_ident
from app.store.db import StoreError, explain
from app.store.filters import Filters
from app.store.schema import PUBLIC_VIEWS

EXPORTABLE = PUBLIC_VIEWS + ("rejects", "outlets", "copies")


class CorpusReads(StoreBase):
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

    def outlet_groups(self) -> list[str]:
        """Every "attribute:value" an outlet has, for filters."""
        return [r[0] for r in self._exec(
            """SELECT DISTINCT v FROM (
                   SELECT unnest(['country:' || country, 'language:' || language, 'kind:' || kind, 'lean:' || lean]
                                 || list_transform(coalesce(groups, []), lambda g: 'group:' || g)) AS v FROM outlets)
               WHERE v IS NOT NULL ORDER BY v""").fetchall()]

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

    def search_passages(self, vector: np.ndarray, model: str, filters: Filters = Filters(), limit: int = 50,
                        candidates: dict[str, float] | None = None, searched: int | None = None) -> pd.DataFrame:
        """Distinct passage texts nearest in meaning to ``vector`` (cosine), at most ``limit``: the earliest
        passage with each text, how many passages repeat it (copies), the frames it is in, and ``searched``,
        the number of distinct passage texts in the selection (what the first ``limit`` were chosen from).

        ``candidates``: the texts to rank, text hash -> cosine similarity (a nearest-neighbour index's
        answer, computed there from the full-precision vectors, see :mod:`app.ann`), instead of comparing
        every vector of the model; only the candidates' passages are read. ``searched``, when the caller knows it
        (:meth:`searchable_texts` of the same filters), saves counting the whole selection."""
        where, params = filters.where("a.published_at", "o.name")
        q = [float(x) for x in np.asarray(vector, dtype=np.float32).ravel()]
        scope_filter = ""
        hits = """SELECT e.text_hash, list_cosine_similarity(e.vector, ?::FLOAT[]) AS similarity
                  FROM embeddings e WHERE e.model = ? AND e.text_hash IN (SELECT text_hash FROM scope)"""
        hit_params = [q, model]
        if candidates is not None:
            scope_filter = "p.text_hash IN (SELECT text_hash FROM cand) AND"
            hits = "SELECT text_hash, similarity FROM cand WHERE text_hash IN (SELECT text_hash FROM scope)"
            hit_params = []
        count = ("(SELECT count(DISTINCT p.text_hash) FROM passages p JOIN articles a USING (article_id) "
                 f"JOIN outlets o USING (outlet_id) WHERE {where})")
        count_params = list(params)
        if searched is not None:
            count, count_params = "?::BIGINT", [int(searched)]
        cand = ("cand AS (SELECT unnest(?::VARCHAR[]) AS text_hash, unnest(?::FLOAT[]) AS similarity),"
                if candidates is not None else "")
        cand_params = [list(candidates), [float(x) for x in candidates.values()]] if candidates is not None else []
        # With candidates, the passages of their texts are read from the table once (a scan of its text hashes),
        # and the selection, the hits' frames and their texts come from those rows.
        source = "passages"
        if candidates is not None:
            cand += """ cand_passages AS (
                    SELECT passage_id, text_hash, article_id, text FROM passages
                    WHERE text_hash IN (SELECT text_hash FROM cand)),"""
            source, scope_filter = "cand_passages", ""
        return self._df(
            f"""WITH {cand} scope AS (
                    SELECT p.passage_id, p.text_hash, a.published_at
                    FROM {source} p JOIN articles a USING (article_id) JOIN outlets o USING (outlet_id)
                    WHERE {scope_filter} {where}),
                hits AS ({hits} ORDER BY similarity DESC, text_hash LIMIT ?),
                firsts AS (
                    SELECT text_hash, arg_min(passage_id, (published_at, passage_id)) AS passage_id,
                           count(*) AS passages
                    FROM scope WHERE text_hash IN (SELECT text_hash FROM hits) GROUP BY text_hash),
                -- The active frames of every passage with a hit's text, merged frames resolved (as the view
                -- resolved_passage_frames does), read for the hits' passages only: the view itself would be
                -- aggregated over every membership of the archive first.
                hit_frames AS (
                    SELECT q.text_hash, list(DISTINCT f.frame_id ORDER BY f.frame_id) AS frames
                    FROM {source} q JOIN passage_frames pf USING (passage_id)
                    LEFT JOIN frame_merges m ON m.frame_id = pf.frame_id
                    JOIN frames f ON f.frame_id = coalesce(m.into_frame, pf.frame_id)
                    WHERE q.text_hash IN (SELECT text_hash FROM hits) AND f.status = 'active'
                    GROUP BY q.text_hash)
                SELECT h.similarity, a.published_at, o.name AS outlet, p.text, x.passages AS repeated_in,
                       a.title, a.url, p.passage_id, p.article_id, hf.frames, {count} AS searched
                FROM hits h JOIN firsts x USING (text_hash) JOIN {source} p ON p.passage_id = x.passage_id
                JOIN articles a ON a.article_id = p.article_id JOIN outlets o USING (outlet_id)
                LEFT JOIN hit_frames hf ON hf.text_hash = h.text_hash
                ORDER BY h.similarity DESC, p.passage_id""",
            [*cand_params, *params, *hit_params, limit, *count_params])

    def searchable_texts(self, filters: Filters = Filters()) -> int:
        """The number of distinct passage texts in the selection (``searched`` of :meth:`search_passages`)."""
        where, params = filters.where("a.published_at", "o.name")
        return int(self._scalar(
            f"""SELECT count(DISTINCT p.text_hash) FROM passages p JOIN articles a USING (article_id)
                JOIN outlets o USING (outlet_id) WHERE {where}""", params))

    # -- the vectors of one model, for the nearest-neighbour index (app/ann.py) --------------------------
    def database_path(self) -> str | None:
        """The file this store reads (the published file for a reader); None in memory."""
        path = self._scalar("SELECT path FROM duckdb_databases() WHERE database_name = current_database()")
        return str(path) if path else None

    def vector_fingerprint(self, model: str) -> tuple[int, int]:
        """(how many vectors ``model`` has, an order-free checksum of their text hashes): it changes whenever
        a vector is added or dropped. A vector never changes under its key (the model key names what the
        vectors are), so the set of keys identifies the set of vectors."""
        n, check = self._row("SELECT count(*), coalesce(bit_xor(hash(text_hash)), 0) FROM embeddings WHERE model = ?",
                             [model])
        return int(n), int(check)

    def vector_hashes(self, model: str) -> list[str]:
        return [r[0] for r in self._exec("SELECT text_hash FROM embeddings WHERE model = ?", [model]).fetchall()]

    def vector_chunks(self, model: str, chunk: int = 65_536, only: list[str] | None = None):
        """The vectors of ``model`` (or only those of the text hashes ``only``) in chunks of at most ``chunk``:
        yields (text hashes, float32 matrix), so memory stays bounded whatever the number of vectors. ``only``
        is read ``chunk`` distinct hashes at a time through the segments' sidecars
        (:func:`app.store.vectors.read`), each found hash once."""
        if only is not None:
            asked = list(dict.fromkeys(only))
            for start in range(0, len(asked), chunk):
                hashes, matrix = self._vectors_of(model, asked[start:start + chunk])
                if hashes:
                    yield hashes, matrix
            return
        try:
            reader = self.conn.sql("SELECT text_hash, vector FROM embeddings WHERE model = ?",
                                   params=[model]).to_arrow_reader(chunk)
        except duckdb.Error as exc:
            raise explain(exc) from exc
        for batch in reader:
            if batch.num_rows:
                yield batch.column(0).to_pylist(), list_column_to_matrix(batch.column(1))

    def keyword_passages(self, words: str, filters: Filters = Filters(), limit: int = 200) -> pd.DataFrame:
        """Passages containing every word of ``words`` (any case), newest first, at most ``limit``, with their
        frames and ``matches``, the number of passages that contain them all (the true total)."""
        terms = [t for t in re.findall(r"[\w'’-]+", words.lower()) if t]
        if not terms:
            return pd.DataFrame(columns=["published_at", "outlet", "text", "title", "url", "passage_id", "article_id",
                                         "frames", "matches"])
        where, params = filters.where("a.published_at", "o.name")
        contains = " AND ".join("contains(lower(p.text), ?)" for _ in terms)
        return self._df(
            f"""SELECT a.published_at, o.name AS outlet, p.text, a.title, a.url, p.passage_id, p.article_id,
                       (SELECT list(DISTINCT rp.frame_id ORDER BY rp.frame_id) FROM resolved_passage_frames rp
                        JOIN frames f USING (frame_id) WHERE rp.passage_id = p.passage_id AND f.status = 'active')
                           AS frames,
                       count(*) OVER () AS matches
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

    def export(self, name: str) -> pa.Table:
        if name not in EXPORTABLE:
            raise StoreError(f"unknown view {name!r}; exportable: {', '.join(EXPORTABLE)}")
        return self._arrow(f"SELECT * FROM {quote_ident(name)}")
