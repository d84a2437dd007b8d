"""Inputs and outputs of the build's analysis stages: frames, copies, lineage, cues and evidence."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from app.frames.edits import ACTIVE, EDITABLE
from app.frames.learned import LearnedRule
from app.store.base import StoreBase, list_column_to_matrix, positions, quote_ident
from app.store.db import StoreError, explain

# Rows per record batch when the frames stage reads every passage and vector (``passage_vectors``): a batch of
# 384-dimensional vectors is 100 MB at this size; the stage passes a size from its memory budget.
VECTOR_CHUNK = 65_536


# Each cued text's signature of its cues and whether one makes it evidence the ledger reads, as
# ``cued_texts`` keeps them (``cue_sum``, ``cue_count``: NULL for a text without cues; ``ledger``): the
# aggregate of a text's cues, from ``{cues}`` (the table, or rows of its columns and types) where ``{where}``.
# The cue stage writes the cues of a text and its ``cued_texts`` row together, so the signature is made once,
# when the text is cued; the plans read one row a text instead of grouping every cue of the archive each week.
CUE_SIGNATURE = """SELECT text_hash,
                          bit_xor(hash(kind, subtype, start_char, end_char, span, coalesce(source, ''))) AS cue_sum,
                          count(*) AS cue_count,
                          bool_or(kind = 'material' OR subtype IN ('named', 'anonymous', 'confirms', 'denies'))
                              AS ledger
                   FROM {cues} WHERE {where} GROUP BY text_hash"""
# A chunk's new cues (registered as ``_new_cues``) in the columns and types of the table ``cues``, so that their
# signatures are those the table's rows give.
_NEW_CUES = """(SELECT text_hash::VARCHAR AS text_hash, kind::VARCHAR AS kind, subtype::VARCHAR AS subtype,
                       start_char::INTEGER AS start_char, end_char::INTEGER AS end_char, span::VARCHAR AS span,
                       source::VARCHAR AS source FROM _new_cues)"""
# The texts whose cues can make an evidence item (material, a source on the record or not, a confirmation or
# denial, unnamed sources): the only passages the evidence stage reads.
_CUED = "SELECT text_hash FROM cued_texts WHERE ledger"
# An article's place in publication order as one string that sorts like (date, article id), the order the
# evidence ledger reads a frame in; ``{t}`` is the alias of a relation with published_at and article_id.
ORDER_KEY = "strftime({t}.published_at, '%Y-%m-%d %H:%M:%S.%f') || '|' || {t}.article_id"
_WORD = 2**64
# The articles a frame's evidence ledger reads: the frame's articles from its onset on (rebuttals included: a
# denial is evidence), not its earlier similar passages (``frame_article_roles.role = 'precursor'``), whose
# evidence concerns what they said, months or years before the frame was told (app.evidence.ledger).
_LEDGER_ARTICLES = """SELECT fa.* FROM frame_articles fa LEFT JOIN frame_article_roles r USING (frame_id, article_id)
                      WHERE r.role IS DISTINCT FROM 'precursor'"""
# The rows of passages whose text has a vector under the model (the query's parameter). A caller that knows
# every passage's text has one (a build, after its embed stage: ``all_embedded``) leaves the check out: it is a
# semi-join with every vector of the model, 0.04-0.10 s a query at 100k synthetic articles (bench/RESULTS.md,
# "reads that need not check for vectors").
_VECTORED = "AND p.text_hash IN (SELECT text_hash FROM embeddings WHERE model = ?)"


def _vectored(model: str, all_embedded: bool) -> tuple[str, list]:
    """The condition (after a WHERE clause) that keeps the passages embedded under ``model``, and its
    parameters: nothing when ``all_embedded``."""
    return ("", []) if all_embedded else (_VECTORED, [model])


# At most this many texts' vectors are read once for a whole evidence run (:meth:`StageStore.stage_evidence_rows`).
STAGED_VECTORS = 50_000


class StageStore(StoreBase):
    def passage_fingerprint(self, model: str | None, articles: list[str] | None = None) -> str:
        """Changes whenever the (embedded, when ``model`` is given) passages change: ``count:xor`` of their ids
        and text hashes, so the fingerprint of two disjoint sets of passages is their counts added and their
        hashes XORed. ``articles``: only the passages of these articles."""
        among = "" if articles is None else "WHERE p.article_id IN (SELECT unnest(?::VARCHAR[]))"
        extra = [] if articles is None else [list(articles)]
        if model is None:
            row = self._row(f"""SELECT count(*), coalesce(bit_xor(hash(p.passage_id || p.text_hash)), 0)
                                FROM passages p {among}""", extra)
            return f"{row[0]}:{row[1]}"
        row = self._row(
            f"""SELECT count(*), coalesce(bit_xor(hash(p.passage_id || p.text_hash)), 0)
               FROM passages p JOIN embeddings e ON e.text_hash = p.text_hash AND e.model = ? {among}""",
            [model, *extra],
        )
        return f"{row[0]}:{row[1]}"

    # -- what the frames stage keeps of each passage (app.stages.frames, "corpus figures") ----------------
    def passage_shapes(self, passage_ids: list[str] | None = None) -> pd.DataFrame:
        """The stored template shapes (``passage_id, shape, text, judged, short, quote_shape, quote_text, rule``)
        of ``passage_ids`` (None: all); ``rule`` is the version of the template rule that made the shape (None:
        before schema 31)."""
        where = "" if passage_ids is None else "WHERE passage_id IN (SELECT unnest(?::VARCHAR[]))"
        return self._df(f"""SELECT passage_id, shape, text_key AS text, judged, short, quote_shape,
                                   quote_key AS quote_text, rule FROM passage_shapes {where}""",
                        [] if passage_ids is None else [list(passage_ids)])

    def stored_anchoring(self, model: str) -> tuple[int, np.ndarray]:
        """How many passages of ``model`` have a stored anchoring, and the anchorings (NaN: alone in its article)."""
        values = self._arrow("SELECT anchoring FROM passage_anchoring WHERE model = ?", [model]).column(0)
        return len(values), values.to_numpy(zero_copy_only=False).astype(np.float32)

    def anchored_passages(self, model: str, passage_ids: list[str]) -> set[str]:
        """Those of ``passage_ids`` whose anchoring under ``model`` is kept (and whose vector is in its sum)."""
        return {r[0] for r in self._exec(
            """SELECT passage_id FROM passage_anchoring WHERE model = ?
               AND passage_id IN (SELECT unnest(?::VARCHAR[]))""", [model, list(passage_ids)]).fetchall()}

    def vector_sum(self, model: str) -> tuple[int, np.ndarray] | None:
        """The number of passages of ``model`` summed and the sum of their vectors (float64), or None."""
        row = self._row("SELECT passages, total FROM vector_sums WHERE model = ?", [model])
        return None if row is None else (int(row[0]), np.asarray(row[1], dtype=np.float64))

    def save_passage_figures(self, model: str, anchoring: pd.DataFrame, shapes: pd.DataFrame, summed: int,
                             total: np.ndarray, replace: bool) -> None:
        """Keep passages' anchorings (``passage_id, anchoring``), shapes (:func:`app.frames.templates.shape_rows`'
        columns with ``passage_id`` and ``rule``) and the vector sum, in one transaction. ``replace``: these are every passage of ``model``
        (its rows and sum replace the stored ones); else they are new passages, added to them. Shapes are kept
        once a passage, and made again when an earlier template rule made them."""
        with self.transaction():
            if replace:
                self._exec("DELETE FROM passage_anchoring WHERE model = ?", [model])
                self._exec("DELETE FROM vector_sums WHERE model = ?", [model])
                before = 0, np.zeros(len(total))
            else:
                before = self.vector_sum(model) or (0, np.zeros(len(total)))
                self._exec("DELETE FROM vector_sums WHERE model = ?", [model])
            rows = pa.table({"model": pa.array([model] * len(anchoring), type=pa.string()),
                             "passage_id": pa.array(anchoring["passage_id"].tolist(), type=pa.string()),
                             "anchoring": pa.array(anchoring["anchoring"].to_numpy(dtype=np.float32),
                                                   from_pandas=True)})
            self._insert("passage_anchoring", rows)
            self._exec("INSERT INTO vector_sums VALUES (?, ?, ?)",
                       [model, before[0] + summed, (before[1] + total).tolist()])
            if len(shapes):
                columns = ["passage_id", "shape", "text", "judged", "short", "quote_shape", "quote_text", "rule",
                           "outlet_id"]
                self.conn.register("_shapes", pa.Table.from_pandas(shapes[columns].astype(
                    {"short": bool, "rule": "int16", "quote_shape": "string", "quote_text": "string",
                     "outlet_id": "string"}),
                    preserve_index=False))
                try:
                    # a shape kept by an earlier rule (or without its outlet: written by a version before schema
                    # 32 into a database migrated since) is replaced by the one made now; the others are added (an
                    # anti-join, which builds on the week's few rows: NOT IN built on every kept shape, 0.05-0.14
                    # s against 0.02 s at 100k synthetic articles)
                    self._exec("""UPDATE passage_shapes SET shape = n.shape, text_key = n.text, judged = n.judged,
                                         short = n.short, quote_shape = n.quote_shape, quote_key = n.quote_text,
                                         rule = n.rule, outlet_id = n.outlet_id FROM _shapes n
                                  WHERE passage_shapes.passage_id = n.passage_id
                                    AND (passage_shapes.rule IS DISTINCT FROM n.rule
                                         OR passage_shapes.outlet_id IS DISTINCT FROM n.outlet_id)""")
                    self._exec("""INSERT INTO passage_shapes (passage_id, shape, text_key, judged, short, quote_shape,
                                                              quote_key, rule, outlet_id)
                                  SELECT passage_id, shape, text, judged, short, quote_shape, quote_text, rule, outlet_id
                                  FROM _shapes ANTI JOIN passage_shapes USING (passage_id)""")
                finally:
                    self.conn.unregister("_shapes")

    def template_shapes(self, min_outlets: int, furniture_repeat: int, quote_variants: int, rule: int) -> pd.DataFrame:
        """The template shapes among the stored shapes of the passages made by template rule ``rule``
        (``shape, variants, furniture, quoted``; ``quoted``: a quotation shape, a stock quote):
        :func:`app.frames.templates.templates_of` over the table instead of over rows in memory. Each shape keeps
        its passage's outlet (schema 32): with every passage and article joined for it, the query took 0.52-0.61 s
        at 100k synthetic articles, against 0.20 s (bench/RESULTS.md, "the template rule's outlets kept with the
        shapes"). A shape without its outlet (none, unless a version before schema 32 wrote it) counts neither here
        nor in :meth:`template_passages` until the frames stage reads its passage again and fills it."""
        return self._df(
            """WITH s AS (SELECT * FROM passage_shapes WHERE rule = $4 AND outlet_id IS NOT NULL)
               SELECT shape, count(DISTINCT text_key) AS variants, NOT any_value(judged) AS furniture,
                      false AS quoted
               FROM s WHERE judged OR short GROUP BY shape
               HAVING count(DISTINCT outlet_id) >= $1 AND count(DISTINCT text_key) >= 2
                  AND (any_value(judged) OR count(*) >= $2 * count(DISTINCT text_key))
               UNION ALL
               SELECT quote_shape, count(DISTINCT quote_key), false, true
               FROM s WHERE quote_shape IS NOT NULL GROUP BY quote_shape
               HAVING count(DISTINCT outlet_id) >= $1 AND count(DISTINCT quote_key) >= $3""",
            [min_outlets, furniture_repeat, quote_variants, rule])

    def template_passages(self, shapes: list[str], quote_shapes: list[str], rule: int) -> int:
        """Passages (their shapes made by template rule ``rule``) whose judged (or short) shape is one of
        ``shapes`` or whose quotation shape is one of ``quote_shapes``."""
        return int(self._scalar(
            """SELECT count(*) FROM passage_shapes WHERE rule = $3 AND outlet_id IS NOT NULL
                 AND (((judged OR short) AND shape IN (SELECT unnest($1::VARCHAR[])))
                      OR quote_shape IN (SELECT unnest($2::VARCHAR[])))""",
            [list(shapes), list(quote_shapes), rule]))

    def accounted_passage_fingerprint(self) -> str:
        """:meth:`passage_fingerprint` (no model) of the passages of the articles the stored copy pairs account
        for (table ``copy_accounted``): equal to the last copies run's when none of those passages changed."""
        row = self._row("""SELECT count(*), coalesce(bit_xor(hash(passage_id || text_hash)), 0) FROM passages
                           WHERE article_id IN (SELECT article_id FROM copy_accounted)""")
        return f"{row[0]}:{row[1]}"

    def passage_vectors(self, model: str, with_text: bool = True, chunk: int = VECTOR_CHUNK,
                        articles: list[str] | None = None,
                        all_embedded: bool = False) -> tuple[pd.DataFrame, np.ndarray]:
        """Every embedded passage with its article's outlet and date, in publication order, and its vector (one
        float32 row each).

        Memory: the passages are sorted without their vectors, and the vectors are then read straight from
        ``embeddings`` in record batches of ``chunk`` rows into one matrix made for them, each distinct text's
        vector copied to every passage that has it. So the peak is that matrix, the passages and one batch;
        sorting and joining the vectors inside DuckDB held them all at once (more than once), and then the
        whole result again as Arrow. The rows and values are those of the join it replaces.

        ``articles``: only the passages of these articles (an update's), and only their vectors are read, through
        the segments' sidecars (:func:`app.store.vectors.read`). ``all_embedded``: the caller knows that every
        passage's text has a vector under ``model`` (:data:`_VECTORED`); one that has none is then an error."""
        text = "p.text, " if with_text else ""
        vectored, params = _vectored(model, all_embedded)
        among = "" if articles is None else "AND p.article_id IN (SELECT unnest(?::VARCHAR[]))"
        meta = self._chunked_frame(
            f"""SELECT p.passage_id, p.article_id, p.text_hash, {text}a.outlet_id, a.published_at
               FROM passages p JOIN articles a USING (article_id)
               WHERE true {vectored} {among}
               ORDER BY a.published_at, p.passage_id""", params + ([] if articles is None else [list(articles)]),
            chunk)
        if len(meta) == 0:
            return meta, np.zeros((0, 0), dtype=np.float32)

        def missing(found: int) -> StoreError:
            if all_embedded:
                return StoreError(f"{len(meta) - found} of {len(meta)} passages have no vector under {model}, "
                                  "though every passage was said to be embedded")
            return StoreError(f"the vectors of {model} changed while they were read ({found} of {len(meta)} "
                              "passages found); build again")

        texts = pd.Index(meta["text_hash"].unique())
        if articles is not None:  # an update's few texts: their rows alone (app.store.vectors.read)
            found, matrix = self._vectors_of(model, texts)
            at = pd.Index(found).get_indexer(meta["text_hash"])
            if (at < 0).any():
                raise missing(int((at >= 0).sum()))
            return meta, matrix[at]
        dim = self._scalar("SELECT len(vector) FROM embeddings WHERE model = ? LIMIT 1", [model])
        if dim is None:
            if all_embedded:
                raise missing(0)
            return meta, np.zeros((0, 0), dtype=np.float32)
        text_of_row = texts.get_indexer(meta["text_hash"])
        # The rows of each distinct text, grouped: rows_by_text[first[t]:first[t] + count[t]] are text t's rows.
        rows_by_text = np.argsort(text_of_row, kind="stable")
        count = np.bincount(text_of_row, minlength=len(texts))
        first = np.concatenate([[0], np.cumsum(count)[:-1]])
        vectors = np.empty((len(meta), int(dim)), dtype=np.float32)
        filled = 0
        reader = self._reader("SELECT text_hash, vector FROM embeddings WHERE model = ?", [model], chunk)
        for batch in reader:
            found = texts.get_indexer(batch.column(0).to_pylist())
            keep = np.flatnonzero(found >= 0)  # vectors of texts no passage has any more are not needed
            if not len(keep):
                continue
            matrix = list_column_to_matrix(batch.column(1))
            t = found[keep]
            n = count[t]
            which = np.repeat(np.arange(len(t)), n)  # batch row (of keep) for each passage row filled
            within = np.arange(len(which)) - np.repeat(np.cumsum(n) - n, n)
            vectors[rows_by_text[first[t][which] + within]] = matrix[keep[which]]
            filled += len(which)
        if filled != len(meta):
            raise missing(filled)
        return meta, vectors

    def _chunked_frame(self, sql: str, params: list, chunk: int) -> pd.DataFrame:
        """A query's result as a DataFrame, fetched in Arrow record batches (no second whole copy of it)."""
        reader = self._reader(sql, params, chunk)
        table = pa.Table.from_batches(list(reader), schema=reader.schema)
        return table.to_pandas(split_blocks=True, self_destruct=True)

    def _reader(self, sql: str, params: list, chunk: int) -> pa.RecordBatchReader:
        try:
            return self.conn.sql(sql, params=params or None).to_arrow_reader(chunk)
        except duckdb.Error as exc:
            raise explain(exc) from exc

    def discovered_assignments(self, model: str) -> pd.DataFrame:
        """Passage memberships of the discovered frames of ``model`` (as stored, before merges resolve), with
        each passage's article and its date."""
        return self._df(
            """SELECT pf.passage_id, pf.frame_id, pf.score, p.article_id, a.published_at
               FROM passage_frames pf JOIN frames f USING (frame_id) JOIN passages p USING (passage_id)
               JOIN articles a USING (article_id)
               WHERE f.kind = 'discovered' AND f.model = ?""", [model]).astype({"frame_id": "int32", "score": "float32"})

    def frames(self, include_inactive: bool = False, edited: bool = False) -> pd.DataFrame:
        """Active frames; with ``edited`` also those a user merged or retired (they keep their ids);
        with ``include_inactive`` every frame ever made."""
        statuses = None if include_inactive else list(EDITABLE) if edited else [ACTIVE]
        where = "" if statuses is None else "WHERE status IN (SELECT unnest(?::VARCHAR[]))"
        table = self._arrow(f"SELECT * FROM frames {where} ORDER BY frame_id", [] if statuses is None else [statuses])
        df = table.drop_columns(["centroid"]).to_pandas()
        df["centroid"] = [None if c is None else np.asarray(c, dtype=np.float32)
                          for c in table.column("centroid").to_pylist()]
        return df

    def new_frame_ids(self, n: int) -> list[int]:
        """``n`` ids no frame ever had: above every id in ``frames`` (retired frames stay there) and in the
        history. Derived from committed rows, not from a sequence: a sequence moves on in a build that is
        killed before it commits, so the resumed build would number its frames differently from an
        uninterrupted one. A stage asks once, then writes its frames in one transaction."""
        high = self._scalar("""SELECT greatest(coalesce((SELECT max(frame_id) FROM frames), 0),
                                               coalesce((SELECT max(frame_id) FROM frame_history), 0))""")
        return list(range(int(high) + 1, int(high) + 1 + n))

    def save_frames(
        self,
        frames: pd.DataFrame,
        passage_frames: pd.DataFrame,
        article_frames: pd.DataFrame,
        retired: list[int],
        run_id: int,
        kind: str = "discovered",
        untouched: list[int] | None = None,
    ) -> None:
        """Replace the assignments of ``kind`` frames in one transaction.

        ``untouched`` (an update that only added passages): ``passage_frames`` and ``article_frames`` are the
        new passages' and articles' rows, added to the stored ones, ``frames`` the rows of the frames made or
        joined, and the frames of ``untouched`` keep their rows as they are (marked active in this run). The
        write then follows the update, not the archive."""
        with self.transaction():
            ids = frames["frame_id"].astype(int).tolist()
            if untouched is None:
                self._exec(
                    """DELETE FROM passage_frames WHERE frame_id IN (SELECT frame_id FROM frames WHERE kind = ?)""",
                    [kind],
                )
                self._exec(
                    """DELETE FROM article_frames WHERE frame_id IN (SELECT frame_id FROM frames WHERE kind = ?)""",
                    [kind],
                )
            elif untouched:
                self._exec("UPDATE frames SET status = 'active', last_run = ? "
                           "WHERE frame_id IN (SELECT unnest(?::INTEGER[]))", [run_id, list(untouched)])
            if retired:
                self._exec(
                    "UPDATE frames SET status = 'retired', last_run = ? WHERE frame_id IN (SELECT unnest(?::INTEGER[]))",
                    [run_id, retired],
                )
            existing = {
                r[0]
                for r in self._exec(
                    "SELECT frame_id FROM frames WHERE frame_id IN (SELECT unnest(?::INTEGER[]))", [ids]
                ).fetchall()
            }
            updates: list[dict] = []
            for row in frames.to_dict("records"):
                values = {
                    "label": row["label"], "phrases": list(row["phrases"]),
                    "exemplar_passage_id": _nullable(row["exemplar_passage_id"]),
                    "centroid": [float(x) for x in row["centroid"]] if row.get("centroid") is not None else None,
                    "model": row["model"], "seed_name": _nullable(row.get("seed_name")),
                    "threshold": row.get("threshold"), "exemplar_sentence": _nullable(row.get("exemplar_sentence")),
                }
                if kind == "seeded":  # how the frame decides, and its precision estimated on its examples
                    # a frame table mixing frames with and without a learned rule holds NaN, not None, in the
                    # text of those without ("combine"): NULL, not the text "nan"
                    values.update({"match_rule": _nullable(row.get("match_rule")),
                                   "match_combine": _nullable(row.get("combine")),
                                   "est_precision": _nullable(row.get("precision")),
                                   "est_recall": _nullable(row.get("recall")),
                                   "examples_in": _nullable(row.get("examples_in")),
                                   "examples_out": _nullable(row.get("examples_out"))})
                cols = list(values)
                if int(row["frame_id"]) in existing:
                    updates.append({"frame_id": int(row["frame_id"]), **values})
                else:
                    names = ", ".join(quote_ident(c) for c in cols)
                    marks = ", ".join("?" for _ in cols)
                    self._exec(
                        f"""INSERT INTO frames (frame_id, kind, status, created_run, last_run, {names})
                            VALUES (?, ?, 'active', ?, ?, {marks})""",
                        [int(row["frame_id"]), kind, run_id, run_id, *values.values()],
                    )
            self._update_frames(updates, run_id)
            self._insert("passage_frames", passage_frames)
            self._insert("article_frames", article_frames)
            created = sorted(set(ids) - existing)
            self.record_history(created, run_id, "created", detail=f"{kind} frame found by the build")
            self.record_history(retired, run_id, "retired", detail="no longer found by the build")
            self._apply_edits()

    # The Arrow type of each column ``save_frames`` sets (DuckDB casts to the column's own type).
    _FRAME_COLUMN_TYPES = {"phrases": pa.list_(pa.string()), "centroid": pa.list_(pa.float32()),
                           "threshold": pa.float64(), "est_precision": pa.float64(), "est_recall": pa.float64(),
                           "examples_in": pa.float64(), "examples_out": pa.float64()}

    def _update_frames(self, rows: list[dict], run_id: int) -> None:
        """Set the values of existing frames in one statement (a statement per frame took 1.2 s for the 759
        frames a week of the whole AllSides corpus touched), marked active in ``run_id``."""
        if not rows:
            return
        cols = [c for c in rows[0] if c != "frame_id"]
        table = pa.table({"frame_id": pa.array([r["frame_id"] for r in rows], type=pa.int32()),
                          **{c: pa.array([r[c] for r in rows], type=self._FRAME_COLUMN_TYPES.get(c, pa.string()))
                             for c in cols}})
        sets = ", ".join(f"{quote_ident(c)} = u.{quote_ident(c)}" for c in cols)
        self.conn.register("_frame_updates", table)
        try:
            self._exec(f"""UPDATE frames SET {sets}, status = 'active', last_run = ?
                           FROM _frame_updates u WHERE frames.frame_id = u.frame_id""", [run_id])
        finally:
            self.conn.unregister("_frame_updates")

    def passage_vectors_of_url(self, model: str, canonical_url: str) -> np.ndarray | None:
        """The vectors of the passages of the article at ``canonical_url`` (None when no article has it, or
        none of its passages has a vector)."""
        hashes = [r[0] for r in self._exec(
            """SELECT p.text_hash FROM articles a JOIN passages p USING (article_id)
               WHERE a.canonical_url = ? ORDER BY p.part""", [canonical_url]).fetchall()]
        found, matrix = self._vectors_of(model, list(dict.fromkeys(hashes)))
        at = pd.Index(found).get_indexer(hashes)
        return matrix[at[at >= 0]] if (at >= 0).any() else None

    # -- seeded frames: their learned rules, exemplars and review queues (app.stages.seeded) -------------
    def seed_rules(self) -> dict[int, tuple]:
        """frame id -> (the key it was fitted from, the learned rule, the passages the archive held when it was
        fitted, when; both None for a rule fitted before they were recorded) of every seeded frame that learned
        one."""
        rows = self._exec("""SELECT frame_id, key, weights, bias, threshold, combine, est_precision, est_recall,
                                    examples_in, examples_out, fitted_passages, fitted_at FROM seed_rules""").fetchall()
        return {int(f): (key, LearnedRule(np.asarray(w, dtype=np.float32), float(b), float(t), c, p, r, int(i),
                                          int(o)), None if n is None else int(n), at)
                for f, key, w, b, t, c, p, r, i, o, n, at in rows}

    def save_seed_rules(self, rules: dict[int, tuple]) -> None:
        """Replace the stored learned rules with ``rules`` (frame id -> (key, rule, passages when fitted, when
        fitted))."""
        with self.transaction():
            self._exec("DELETE FROM seed_rules")
            for frame_id, (key, rule, fitted_passages, fitted_at) in sorted(rules.items()):
                self._exec("INSERT INTO seed_rules VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                           [int(frame_id), key, [float(x) for x in rule.weights], float(rule.bias),
                            float(rule.threshold), rule.combine, rule.precision, rule.recall,
                            int(rule.examples_in), int(rule.examples_out),
                            None if fitted_passages is None else int(fitted_passages), fitted_at])

    def learned_rule_sizes(self) -> pd.DataFrame:
        """The active seeded frames with a learned rule: frame_id, name, fitted_passages (the passages the archive
        held when the rule was fitted; None before that was recorded), fitted_at, passages (now)."""
        return self._df(
            """WITH now AS (SELECT count(*) AS passages FROM passages)
               SELECT r.frame_id, coalesce(f.user_label, f.label) AS name, r.fitted_passages, r.fitted_at,
                      now.passages
               FROM seed_rules r JOIN frames f USING (frame_id), now
               WHERE f.status = 'active' ORDER BY r.frame_id""")

    def seeded_exemplars(self, frame_ids: list[int]) -> dict[int, dict]:
        """frame id -> its exemplar passage, that passage's match score, its article's date and the sentence
        shown, for the seeded frames of ``frame_ids`` that have one."""
        rows = self._exec(
            """SELECT f.frame_id, f.exemplar_passage_id, pf.score, a.published_at, f.exemplar_sentence
               FROM frames f JOIN passage_frames pf ON pf.frame_id = f.frame_id AND pf.passage_id = f.exemplar_passage_id
               JOIN passages p ON p.passage_id = f.exemplar_passage_id JOIN articles a ON a.article_id = p.article_id
               WHERE f.frame_id IN (SELECT unnest(?::INTEGER[]))""", [list(frame_ids)]).fetchall()
        return {int(f): {"passage_id": p, "score": float(s), "published_at": d, "sentence": sentence}
                for f, p, s, d, sentence in rows}

    def seed_review_rows(self, frame_ids: list[int]) -> dict[int, pd.DataFrame]:
        """frame id -> its stored review queue rows (``frame_id, article_id, passage_id, score, threshold,
        matched``)."""
        table = self._df("""SELECT frame_id, article_id, passage_id, score, threshold, matched FROM seed_review
                            WHERE frame_id IN (SELECT unnest(?::INTEGER[]))""", [list(frame_ids)])
        return {int(f): part.reset_index(drop=True) for f, part in table.groupby("frame_id")}

    def drop_seeded_rows_of(self, articles: list[str]) -> None:
        """Drop the seeded frames' passage and article rows of ``articles`` (an update about to write them)."""
        with self.transaction():
            self._exec("""DELETE FROM passage_frames WHERE frame_id IN (SELECT frame_id FROM frames WHERE kind = 'seeded')
                          AND passage_id IN (SELECT passage_id FROM passages
                                             WHERE article_id IN (SELECT unnest(?::VARCHAR[])))""", [list(articles)])
            self._exec("""DELETE FROM article_frames WHERE frame_id IN (SELECT frame_id FROM frames WHERE kind = 'seeded')
                          AND article_id IN (SELECT unnest(?::VARCHAR[]))""", [list(articles)])

    def count_active_seeded_frames(self) -> int:
        return int(self._scalar("SELECT count(*) FROM frames WHERE kind = 'seeded' AND status = 'active'"))

    def count_seeded_matches(self) -> int:
        return int(self._scalar("""SELECT count(*) FROM passage_frames WHERE frame_id IN
                                   (SELECT frame_id FROM frames WHERE kind = 'seeded' AND status = 'active')"""))

    def save_seed_review(self, queue: pd.DataFrame) -> None:
        """Replace every seeded frame's review queue (``frame_id, article_id, passage_id, score, threshold,
        matched``)."""
        with self.transaction():
            self._exec("DELETE FROM seed_review")
            if len(queue):
                self._insert("seed_review", queue[["frame_id", "article_id", "passage_id", "score", "threshold",
                                                   "matched"]])

    def story_members(self) -> dict[int, set[int]]:
        """The frame ids of each active story, as the last build left them (for matching story ids)."""
        out: dict[int, set[int]] = {}
        for story_id, frame_id in self._exec(
                """SELECT s.story_id, sf.frame_id FROM stories s JOIN story_frames sf USING (story_id)
                   WHERE s.status = 'active'""").fetchall():
            out.setdefault(int(story_id), set()).add(int(frame_id))
        return out

    def new_story_ids(self, n: int) -> list[int]:
        """``n`` ids no story ever had: above every id in ``stories`` (retired stories stay there). From
        committed rows, not a sequence, for the reason :meth:`new_frame_ids` gives: a killed build must not
        move the numbering of the resumed one."""
        high = self._scalar("SELECT coalesce(max(story_id), 0) FROM stories")
        return list(range(int(high) + 1, int(high) + 1 + n))

    def save_stories(self, story_of: dict[int, int], retired: list[int], run_id: int) -> None:
        """Each discovered frame's story (``story_of``: frame id -> story id) in one transaction; stories no
        longer found are retired, new ones created."""
        stories = sorted(set(story_of.values()))
        with self.transaction():
            if retired:
                self._exec("UPDATE stories SET status = 'retired', last_run = ? "
                           "WHERE story_id IN (SELECT unnest(?::INTEGER[]))", [run_id, retired])
            self._exec("UPDATE stories SET status = 'active', last_run = ? "
                       "WHERE story_id IN (SELECT unnest(?::INTEGER[]))", [run_id, stories])
            self._exec("""INSERT INTO stories (story_id, status, created_run, last_run)
                          SELECT s, 'active', ?, ? FROM unnest(?::INTEGER[]) AS t(s)
                          WHERE s NOT IN (SELECT story_id FROM stories)""", [run_id, run_id, stories])
            self._exec("DELETE FROM story_frames")
            self._insert("story_frames", pd.DataFrame({"frame_id": pd.Series(list(story_of), dtype="int32"),
                                                       "story_id": pd.Series(list(story_of.values()), dtype="int32")}))

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

    def unaccounted_articles(self) -> list[str]:
        """Articles whose copy pairs the stored ones (table ``copy_pairs``) do not account for yet: those added
        since the copies stage last finished, in id order."""
        return [r[0] for r in self._exec(
            """SELECT article_id FROM articles WHERE article_id NOT IN (SELECT article_id FROM copy_accounted)
               ORDER BY article_id""").fetchall()]

    def shared_paragraph_redo(self, fresh: list[str], max_group: int) -> list[str]:
        """The articles whose shared-paragraph pairs an update must find again: the ``fresh`` ones, and every
        article with a paragraph that the fresh ones put over ``max_group`` articles (it stops counting, so
        the sizes of its articles' paragraph sets change). Such a paragraph is one of the fresh ones', so only
        their paragraphs are counted, not every paragraph of the archive."""
        return [r[0] for r in self._exec(
            """WITH fresh AS (SELECT unnest(?::VARCHAR[]) AS article_id),
                    theirs AS (SELECT DISTINCT text_hash FROM passages
                               WHERE part = 'body' AND article_id IN (SELECT article_id FROM fresh)),
                    body AS (SELECT DISTINCT article_id, text_hash FROM passages
                             WHERE part = 'body' AND text_hash IN (SELECT text_hash FROM theirs)),
                    counts AS (SELECT text_hash, count(*) AS n,
                                      count(*) FILTER (WHERE article_id IN (SELECT article_id FROM fresh)) AS k
                               FROM body GROUP BY text_hash),
                    flipped AS (SELECT text_hash FROM counts WHERE n > ? AND n - k <= ?)
               SELECT article_id FROM fresh
               UNION SELECT article_id FROM body WHERE text_hash IN (SELECT text_hash FROM flipped)
               ORDER BY 1""", [list(fresh), max_group, max_group]).fetchall()]

    def copy_pairs_of(self, article_ids: list[str], threshold: float, max_group: int) -> pd.DataFrame:
        """The pairs of :meth:`copy_pairs` that hold at least one of ``article_ids``, reading only the paragraphs
        those articles share with others: the articles of those paragraphs are counted (a paragraph in more than
        ``max_group`` articles does not count), then each pair's articles' paragraphs, not every paragraph of the
        archive."""
        return self._df(
            """WITH redo AS (SELECT unnest($1::VARCHAR[]) AS article_id),
                    theirs AS (SELECT DISTINCT text_hash FROM passages
                               WHERE part = 'body' AND article_id IN (SELECT article_id FROM redo)),
                    body AS (SELECT DISTINCT article_id, text_hash FROM passages
                             WHERE part = 'body' AND text_hash IN (SELECT text_hash FROM theirs)),
                    near AS (SELECT * FROM body WHERE text_hash IN (
                                 SELECT text_hash FROM body GROUP BY text_hash HAVING count(*) <= $2)),
                    shared AS (
                        SELECT x.article_id AS a, y.article_id AS b, count(*) AS k
                        FROM near x JOIN near y ON x.text_hash = y.text_hash AND x.article_id < y.article_id
                        WHERE x.article_id IN (SELECT article_id FROM redo)
                           OR y.article_id IN (SELECT article_id FROM redo)
                        GROUP BY 1, 2),
                    ends AS (SELECT DISTINCT article_id, text_hash FROM passages
                             WHERE part = 'body' AND article_id IN (SELECT a FROM shared UNION SELECT b FROM shared)),
                    held AS (SELECT text_hash FROM passages
                             WHERE part = 'body' AND text_hash IN (SELECT text_hash FROM ends)
                             GROUP BY text_hash HAVING count(DISTINCT article_id) <= $2),
                    sizes AS (SELECT article_id, count(*) AS n FROM ends
                              WHERE text_hash IN (SELECT text_hash FROM held) GROUP BY 1)
               SELECT a, b, (k / (sa.n + sb.n - k))::FLOAT AS jaccard
               FROM shared JOIN sizes sa ON sa.article_id = a JOIN sizes sb ON sb.article_id = b
               WHERE k / (sa.n + sb.n - k) >= $3
               ORDER BY a, b""",
            [list(article_ids), max_group, threshold],
        )

    def stored_copy_pairs(self) -> pd.DataFrame:
        """Every copy pair the copies stage last found (a, b, jaccard, method), in order of (method, a, b)."""
        return self._df("SELECT a, b, jaccard, method FROM copy_pairs ORDER BY method, a, b")

    def save_copies(self, pairs: pd.DataFrame, links: pd.DataFrame, accounted: list[str] | None) -> None:
        """Replace the copy pairs and links (writing only the rows that differ), and mark ``accounted`` (None: every
        article) as accounted for, in one transaction: a run killed before it leaves the last state whole."""
        with self.transaction():
            self._make_rows("copy_pairs", pairs[["a", "b", "jaccard", "method"]].astype({"jaccard": "float32"}))
            if accounted is None:
                self._exec("DELETE FROM copy_accounted")
                self._exec("INSERT INTO copy_accounted SELECT article_id FROM articles")
            elif accounted:
                self._exec("INSERT INTO copy_accounted SELECT unnest(?::VARCHAR[])", [list(accounted)])
            self._make_rows("copies", links[["article_id", "original_id", "similarity", "method"]].astype(
                {"similarity": "float32"}))

    def _make_rows(self, table: str, rows: pd.DataFrame) -> None:
        """Make ``table`` hold exactly ``rows`` (distinct rows, every column of the table), deleting and adding
        only the rows that differ: a weekly update changes a few hundred of the copies stage's 50,000 pairs
        and 14,000 links at 100k synthetic articles, and writing them all again rewrote their blocks (and the
        primary key's) every week (bench/RESULTS.md, "the copies stage writes what changed")."""
        columns = list(rows.columns)
        same = " AND ".join(f"n.{quote_ident(c)} IS NOT DISTINCT FROM t.{quote_ident(c)}" for c in columns)
        listed = ", ".join(quote_ident(c) for c in columns)
        self.conn.register("_rows", pa.Table.from_pandas(rows, preserve_index=False))
        try:
            self._exec(f"""DELETE FROM {quote_ident(table)} t
                           WHERE NOT EXISTS (SELECT 1 FROM _rows n WHERE {same})""")
            self._exec(f"""INSERT INTO {quote_ident(table)} ({listed})
                           SELECT {listed} FROM _rows n
                           WHERE NOT EXISTS (SELECT 1 FROM {quote_ident(table)} t WHERE {same})""")
        finally:
            self.conn.unregister("_rows")

    def article_bodies(self, article_ids: list[str] | None = None) -> dict[str, str]:
        """article_id -> body text (title left out), for near-duplicate detection: every article with a body, or
        those of ``article_ids``."""
        where = "" if article_ids is None else "AND article_id IN (SELECT unnest(?::VARCHAR[]))"
        return dict(self._exec(
            f"SELECT article_id, coalesce(text, '') FROM articles WHERE coalesce(text, '') <> '' {where}",
            [] if article_ids is None else [list(article_ids)]).fetchall())

    def count_bodies_to_sign(self, scheme: str) -> int:
        """Articles with a body and no signature made by ``scheme`` (table ``body_signatures``)."""
        return int(self._scalar(
            """SELECT count(*) FROM articles WHERE coalesce(text, '') <> ''
               AND article_id NOT IN (SELECT article_id FROM body_signatures WHERE scheme = ?)""", [scheme]))

    def bodies_to_sign(self, scheme: str, limit: int) -> pd.DataFrame:
        """The next ``limit`` articles (article_id, text) that :meth:`count_bodies_to_sign` counts. The unsigned
        articles are found by id first, and only their bodies read (reading every body first took 0.07-0.17 s at
        100k synthetic articles with none to sign, against 0.014 s)."""
        return self._df(
            """WITH todo AS (SELECT article_id FROM articles
                             WHERE article_id NOT IN (SELECT article_id FROM body_signatures WHERE scheme = ?))
               SELECT a.article_id, a.text FROM articles a SEMI JOIN todo USING (article_id)
               WHERE coalesce(a.text, '') <> '' ORDER BY a.article_id LIMIT ?""", [scheme, limit])

    def add_body_signatures(self, scheme: str, article_ids: list[str], shingles: np.ndarray,
                            signatures: np.ndarray) -> None:
        """Keep the signatures of a chunk of bodies (one transaction; a signature made another way is replaced)."""
        signatures = np.asarray(signatures, dtype=np.uint32)
        width = signatures.shape[1] if signatures.ndim == 2 else 0
        offsets = pa.array(np.arange(len(article_ids) + 1, dtype=np.int32) * width)
        table = pa.table({"article_id": pa.array(article_ids, type=pa.string()),
                          "scheme": pa.array([scheme] * len(article_ids), type=pa.string()),
                          "shingles": pa.array(np.asarray(shingles, dtype=np.int32)),
                          "signature": pa.ListArray.from_arrays(offsets, pa.array(signatures.reshape(-1)))})
        with self.transaction():
            self.conn.register("_signed", table.select(["article_id"]))
            try:
                self._exec("DELETE FROM body_signatures WHERE article_id IN (SELECT article_id FROM _signed)")
            finally:
                self.conn.unregister("_signed")
            self._insert("body_signatures", table)

    def body_signatures(self, scheme: str, min_shingles: int, chunk: int = 65_536) -> tuple[list[str], np.ndarray]:
        """The stored signatures made by ``scheme`` of articles with at least ``min_shingles`` shingles, in order
        of article id: (ids, uint32 matrix, one row each), read in record batches."""
        reader = self._reader(
            """SELECT s.article_id, s.signature FROM body_signatures s SEMI JOIN articles a USING (article_id)
               WHERE s.scheme = ? AND s.shingles >= ? ORDER BY s.article_id""", [scheme, min_shingles], chunk)
        ids: list[str] = []
        parts: list[np.ndarray] = []
        for batch in reader:
            if batch.num_rows:
                ids += batch.column(0).to_pylist()
                column = batch.column(1)
                parts.append(column.flatten().to_numpy(zero_copy_only=False).astype(np.uint32).reshape(len(column), -1))
        return ids, np.concatenate(parts) if parts else np.zeros((0, 0), dtype=np.uint32)

    def band_candidates(self, scheme: str, min_shingles: int, max_group: int, fresh: list[str],
                        stored: pd.DataFrame) -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
        """The MinHash candidates of a weekly update (:func:`app.dedup.candidate_pairs`' rule) decided inside the
        database, over the signatures :meth:`body_signatures` reads: (the pairs (a, b), a < b, that share a band
        value held by 2 to ``max_group`` articles and hold one of ``fresh``; those of the ``stored`` pairs
        (columns a, b) that still share a band value held by at most ``max_group`` articles). A band value is the
        band's four 32-bit minima as one 128-bit number, so equal values are equal bands.

        The band values of every signature are made in one scan of the signatures and counted in one grouping
        (0.36-0.47 s at 100k synthetic articles); reading every signature into Python and bucketing it there took
        0.58-0.79 s (bench/RESULTS.md, "the copies stage's MinHash buckets counted in the database")."""
        from app.dedup import BANDS, ROWS

        value = " | ".join(f"(s.signature[t.b * {ROWS} + {r + 1}]::UHUGEINT << {32 * (ROWS - 1 - r)})"
                           for r in range(ROWS))
        fresh_table = pa.table({"article_id": pa.array(list(fresh), type=pa.string())})
        stored_table = pa.table({"a": pa.array(stored["a"].tolist(), type=pa.string()),
                                 "b": pa.array(stored["b"].tolist(), type=pa.string())})
        try:
            self._exec(
                f"""CREATE OR REPLACE TEMP TABLE _bands AS
                   SELECT s.article_id, t.b::TINYINT AS band, {value} AS v
                   FROM body_signatures s SEMI JOIN articles a USING (article_id), range({BANDS}) t(b)
                   WHERE s.scheme = ? AND s.shingles >= ?""", [scheme, min_shingles])
            self.conn.register("_fresh", fresh_table)
            self.conn.register("_stored", stored_table)
            # the band values of the buckets that propose pairs (2 to max_group articles), with their articles
            self._exec("""CREATE OR REPLACE TEMP TABLE _small AS
                          SELECT x.article_id, x.band, x.v FROM _bands x
                          SEMI JOIN (SELECT band, v FROM _bands GROUP BY band, v HAVING count(*) BETWEEN 2 AND ?)
                               USING (band, v)""", [max_group])
            found = self._exec(
                """SELECT DISTINCT least(x.article_id, y.article_id), greatest(x.article_id, y.article_id)
                   FROM _small x JOIN _small y USING (band, v)
                   WHERE x.article_id IN (SELECT article_id FROM _fresh) AND x.article_id <> y.article_id""").fetchall()
            kept = self._exec(
                """SELECT DISTINCT p.a, p.b FROM _stored p JOIN _small x ON x.article_id = p.a
                   JOIN _small y ON y.article_id = p.b AND y.band = x.band AND y.v = x.v""").fetchall()
        finally:  # (unregistering a name never registered does nothing)
            self.conn.unregister("_fresh")
            self.conn.unregister("_stored")
            self._exec("DROP TABLE IF EXISTS _bands")
            self._exec("DROP TABLE IF EXISTS _small")
        return {(a, b) for a, b in found}, {(a, b) for a, b in kept}

    def article_dates(self, article_ids: list[str]) -> pd.DataFrame:
        return self._df(
            "SELECT article_id, published_at FROM articles WHERE article_id IN (SELECT unnest(?::VARCHAR[]))",
            [list(article_ids)],
        )

    def copies(self) -> pd.DataFrame:
        return self._df("SELECT * FROM copies ORDER BY original_id, article_id")

    def lineage_plan(self, model: str, all_embedded: bool = False) -> pd.DataFrame:
        """:meth:`frame_plan` of the lineage stage. Its input rows: each article a claim about the frame's
        spread may rest on (view ``frame_claim_articles``) with its outlet, date and original, and each of the
        frame's passages in those articles embedded under ``model`` (``all_embedded``: every passage is,
        :data:`_VECTORED`)."""
        vectored, params = _vectored(model, all_embedded)
        return self.frame_plan("lineage", f"""
            SELECT c.frame_id, {ORDER_KEY.format(t="c")} AS k, hash(c.article_id, c.outlet, c.published_at, c.original_id) AS h
            FROM frame_claim_articles c
            UNION ALL
            SELECT pf.frame_id, {ORDER_KEY.format(t="c")}, hash(p.passage_id, p.text_hash)
            FROM resolved_passage_frames pf JOIN frames f USING (frame_id) JOIN passages p USING (passage_id)
            JOIN frame_claim_articles c ON c.frame_id = pf.frame_id AND c.article_id = p.article_id
            WHERE f.status = 'active' {vectored}""", params)

    def frames_with_new_outlets(self, frames: dict[int, str]) -> set[int]:
        """Of ``frames`` (frame id -> a mark), those with an outlet whose first article that a claim may rest on
        comes after the mark: the extended frames lineage has something to trace in."""
        if not frames:
            return set()
        todo = pd.DataFrame({"frame_id": pd.Series(list(frames), dtype="int32"),
                             "mark": pd.Series(list(frames.values()), dtype="string")})
        self.conn.register("_marks", todo)
        try:
            return {int(r[0]) for r in self._exec(
                f"""SELECT DISTINCT c.frame_id FROM frame_claim_articles c JOIN _marks t USING (frame_id)
                    GROUP BY c.frame_id, c.outlet HAVING min({ORDER_KEY.format(t="c")}) > any_value(t.mark)"""
            ).fetchall()}
        finally:
            self.conn.unregister("_marks")

    def lineage_inputs(self, model: str, frames: dict[int, str | None] | None = None
                       ) -> tuple[pd.DataFrame, dict[str, str], pd.DataFrame, np.ndarray]:
        """What lineage needs for ``frames`` (None: every active frame; else frame id -> a mark, or None), in
        three queries: the frame's articles that a claim about its spread may rest on (view
        ``frame_claim_articles``: not its rebuttals; its core from the onset on, dates not flagged) with their
        ``original`` and their place in publication order ``k`` (:data:`ORDER_KEY`); the texts of the articles
        an edge is traced to (each outlet's first article in the frame, after the frame's mark when it has
        one); and the frame passages of those articles with their vectors (rows aligned with the matrix). The
        caller leaves out an extended frame with no outlet new to it (nothing to trace:
        :meth:`frames_with_new_outlets`)."""
        todo = None if frames is None else pd.DataFrame({"frame_id": pd.Series(list(frames), dtype="int32"),
                                                         "mark": pd.Series(list(frames.values()), dtype="string")})
        if todo is None:
            todo = self._df("SELECT DISTINCT frame_id, NULL::VARCHAR AS mark FROM frame_claim_articles")
        self.conn.register("_todo", todo)
        try:
            self._exec(
                f"""CREATE OR REPLACE TEMP TABLE _lineage_articles AS
                   SELECT c.frame_id, c.article_id, c.outlet, c.published_at, c.original_id AS original,
                          {ORDER_KEY.format(t="c")} AS k, t.mark
                   FROM frame_claim_articles c JOIN _todo t USING (frame_id)""")
        finally:
            self.conn.unregister("_todo")
        articles = self._df("SELECT frame_id, article_id, outlet, published_at, original, k FROM _lineage_articles "
                            "ORDER BY frame_id, k")
        texts = dict(self._exec(
            """WITH firsts AS (SELECT frame_id, outlet, min(k) AS k, any_value(mark) AS mark
                               FROM _lineage_articles GROUP BY ALL)
               SELECT DISTINCT a.article_id, coalesce(a.text, '')
               FROM firsts f JOIN _lineage_articles l USING (frame_id, outlet, k) JOIN articles a USING (article_id)
               WHERE f.mark IS NULL OR f.k > f.mark""").fetchall())
        # The passages first, then the vectors of their texts only, each text once: joined in one query, the
        # vectors of the whole archive were read into the join (2.1 GB and most of lineage's time in a weekly
        # update of the whole AllSides corpus).
        rows = self._arrow(
            """SELECT pf.frame_id, p.article_id, p.passage_id, p.text_hash
               FROM resolved_passage_frames pf JOIN passages p USING (passage_id)
               SEMI JOIN _lineage_articles c ON c.frame_id = pf.frame_id AND c.article_id = p.article_id
               ORDER BY pf.frame_id, p.passage_id""")
        self._exec("DROP TABLE _lineage_articles")
        hashes = rows.column("text_hash")
        found, vectors = self._vectors_of(model, pc.unique(hashes).to_pylist())
        at = positions(hashes, found)
        vectored = at >= 0  # a passage whose text has no vector under the model is left out
        passages = rows.drop_columns(["text_hash"]).filter(pa.array(vectored)).to_pandas()
        return articles, texts, passages, vectors[at[vectored]]

    def write_lineage(self, edges: pd.DataFrame, inputs: pd.DataFrame, redo: list[int]) -> None:
        """One chunk of the lineage stage (:meth:`write_frame_rows`)."""
        self.write_frame_rows("lineage", "lineage", edges, inputs, redo)

    def drop_lineage_except(self, frames: list[int]) -> None:
        self.drop_frame_rows_except("lineage", "lineage", frames)

    def url_index(self, article_ids: list[str] | None = None) -> dict[str, str]:
        """canonical URL -> article_id, of every article or of ``article_ids``."""
        where = "" if article_ids is None else "AND article_id IN (SELECT unnest(?::VARCHAR[]))"
        return dict(self._exec(
            f"SELECT canonical_url, article_id FROM articles WHERE canonical_url IS NOT NULL {where}",
            [] if article_ids is None else [list(article_ids)]).fetchall())

    def frames_of_articles(self, article_ids: set[str]) -> set[int]:
        """The active frames holding any of ``article_ids``."""
        if not article_ids:
            return set()
        return {int(r[0]) for r in self._exec(
            "SELECT DISTINCT frame_id FROM frame_articles WHERE article_id IN (SELECT unnest(?::VARCHAR[]))",
            [sorted(article_ids)]).fetchall()}

    def clear_cues(self) -> None:
        with self.transaction():
            self._exec("DELETE FROM cues")
            self._exec("DELETE FROM cued_texts")

    def articles_naming(self, pattern: str | None) -> set[str]:
        """Articles whose text matches ``pattern`` (any case; :func:`app.outlets.names_pattern`)."""
        if not pattern:
            return set()
        return {r[0] for r in self._exec("SELECT article_id FROM articles WHERE regexp_matches(text, ?, 'i')",
                                         [pattern]).fetchall()}

    def uncue_texts_naming(self, pattern: str | None) -> None:
        """Forget the cues of every text that matches ``pattern`` (any case; :func:`app.outlets.names_pattern`),
        so they are read again."""
        if not pattern:
            return
        with self.transaction():
            self._exec(
                """CREATE TEMP TABLE _uncue AS SELECT DISTINCT text_hash FROM passages
                   WHERE regexp_matches(text, ?, 'i')""", [pattern])
            self._exec("DELETE FROM cues WHERE text_hash IN (SELECT text_hash FROM _uncue)")
            self._exec("DELETE FROM cued_texts WHERE text_hash IN (SELECT text_hash FROM _uncue)")
            self._exec("DROP TABLE _uncue")

    def count_texts_to_cue(self) -> int:
        return self._scalar("SELECT count(DISTINCT text_hash) FROM passages WHERE text_hash NOT IN "
                            "(SELECT text_hash FROM cued_texts)")

    def texts_to_cue(self, limit: int) -> pd.DataFrame:
        """The first ``limit`` passage texts (in text hash order) not cued yet; the hashes first, then their
        texts alone (as :meth:`texts_to_embed`)."""
        return self._df(
            """WITH missing AS (SELECT DISTINCT text_hash FROM passages
                                WHERE text_hash NOT IN (SELECT text_hash FROM cued_texts)
                                ORDER BY text_hash LIMIT ?)
               SELECT p.text_hash, any_value(p.text) AS text FROM passages p SEMI JOIN missing m USING (text_hash)
               GROUP BY p.text_hash ORDER BY p.text_hash""",
            [limit],
        )

    def add_cues(self, cues: pd.DataFrame, text_hashes: list[str], rules: int) -> None:
        """Cues of a chunk of texts; the texts are recorded as done in the same transaction, each with the
        signature of its cues (:data:`CUE_SIGNATURE`)."""
        done = pd.DataFrame({"text_hash": text_hashes, "rules": rules}).astype({"text_hash": "string", "rules": "int32"})
        with self.transaction():
            self._insert("cues", cues)
            # (signed from the chunk's own cues: a search of the table for them scans every cue of the archive)
            self.conn.register("_done", done)
            self.conn.register("_new_cues", cues)
            try:
                self._exec(
                    f"""INSERT INTO cued_texts (text_hash, rules, cue_sum, cue_count, ledger)
                        SELECT d.text_hash, d.rules, s.cue_sum, s.cue_count, coalesce(s.ledger, false)
                        FROM _done d LEFT JOIN ({CUE_SIGNATURE.format(cues=_NEW_CUES, where="true")}) s
                             USING (text_hash)""")
            finally:
                self.conn.unregister("_done")
                self.conn.unregister("_new_cues")

    def cues_by_text(self, text_hashes: list[str] | None = None) -> dict[str, list]:
        """text hash -> its cues in text order (then kind, end, subtype, words, source: the same order on every
        read)."""
        from app.evidence.cues import Cue

        where = "" if text_hashes is None else "WHERE text_hash IN (SELECT unnest(?::VARCHAR[]))"
        rows = self._exec(
            f"SELECT text_hash, kind, subtype, start_char, end_char, span, source FROM cues {where} "
            # every column: two cues that start together (an outlet's name inside a longer attribution) come in
            # the same order on every read, so the rules that take the first of them decide alike on every run
            "ORDER BY text_hash, start_char, kind, end_char, subtype, span, source",
            [] if text_hashes is None else [list(text_hashes)]).fetchall()
        out: dict[str, list] = {}
        for h, *rest in rows:
            out.setdefault(h, []).append(Cue(*rest))
        return out

    def frame_plan(self, stage: str, inputs: str, params: list | None = None, centre_model: str | None = None,
                   wording: bool = False, summed: bool = False) -> pd.DataFrame:
        """What a per-frame stage must do, per active frame, read in the database without loading any row.

        ``inputs`` is a query giving the stage's input rows, one per row it reads: ``frame_id``, ``k`` (the
        row's article's place in publication order, :data:`ORDER_KEY`) and ``h`` (a hash of what the row
        holds). For each frame: ``rows``, their number; ``sum``, their hashes summed modulo 2**64; ``early``
        and ``early_sum``, the same over the articles up to the ``stored_mark`` its rows were last written at
        (``stored``: the fingerprint then; 0 and no mark for a frame never written); ``mark``, its latest
        article now; ``centre``, a hash of its centre and whether it is in ``centre_model``'s space (and, with
        ``wording``, of its label and phrases, which a stage reading the frame's wording depends on). ``summed``:
        ``inputs`` gives each row's ``n`` and ``s`` already summed over several input rows (per article), not ``h``."""
        # Rows are summed per article first: the comparison with the stored mark and the joins then take a
        # row per article, not one per input row (several per article). The query's hash tables span the
        # archive: the key indexes a week's inserts loaded are written out first. Each frame's centre is hashed
        # once, after the sums: joined before them, every input row carried its frame's centroid and hashed it
        # (384 floats a row; the largest operator of each plan in a profile at 10k synthetic articles; with the
        # kept cue signatures, the three plans went from 2.31 to 1.73 s warm at 100k: bench/RESULTS.md, "the
        # plans read kept cue signatures").
        self.release_index_memory()
        return self._df_one_thread_if_short(
            f"""WITH input AS ({inputs}),
               per AS (SELECT frame_id, k, {"sum(n) AS n, sum(s) AS s" if summed else "count(*) AS n, sum(h) AS s"}
                       FROM input GROUP BY frame_id, k),
               marked AS (SELECT i.frame_id, i.k, i.n, i.s, s.mark, s.fingerprint, i.k <= s.mark AS early
                          FROM per i LEFT JOIN frame_inputs s ON s.stage = ? AND s.frame_id = i.frame_id),
               summed AS (SELECT m.frame_id, sum(m.n)::BIGINT AS rows, (sum(m.s) % {_WORD})::UBIGINT AS sum,
                                 coalesce(sum(m.n) FILTER (WHERE m.early), 0)::BIGINT AS early,
                                 (coalesce(sum(m.s) FILTER (WHERE m.early), 0) % {_WORD})::UBIGINT AS early_sum,
                                 coalesce(any_value(m.fingerprint), 0) AS stored, any_value(m.mark) AS stored_mark,
                                 max(m.k) AS mark
                          FROM marked m GROUP BY m.frame_id)
               SELECT s.*, hash(f.centroid, f.model = ?{", f.label, f.phrases" if wording else ""}) AS centre
               FROM summed s JOIN frames f USING (frame_id) ORDER BY s.frame_id""",
            [*(params or []), stage, centre_model])

    def evidence_plan(self, model: str, all_embedded: bool = False) -> pd.DataFrame:
        """:meth:`frame_plan` of the evidence stage. Its input rows: each cued passage of a frame's articles
        from its onset on (``_LEDGER_ARTICLES``: a frame whose onset moves is read again), embedded under ``model``, with its place, text, date, original and cues; each place in those articles
        taken by a frame's passage; and the frame's centre. ``all_embedded``: every passage's text has a vector
        under ``model`` (:data:`_VECTORED`)."""
        vectored, params = _vectored(model, all_embedded)
        # Summed per article before meeting the frames: an article's cued passages and the places frames take
        # in it are the same whatever frame it is read for, so they are summed once an article and joined to
        # each (frame, article) as one row; joined first, an article in many large frames gave a row per frame,
        # passage and place, which ran out of memory at 100k synthetic articles (bench/RESULTS.md).
        return self.frame_plan("evidence", f"""
            WITH ledger AS ({_LEDGER_ARTICLES}),
            fa AS (SELECT frame_id, article_id, published_at, {ORDER_KEY.format(t="ledger")} AS k
                   FROM ledger),
            art AS (SELECT d.article_id, d.published_at, count(*) AS n,
                           sum(hash(p.passage_id, p.seq, p.text_hash, d.published_at, c.original_id, t.cue_sum,
                                    t.cue_count)) AS s
                    FROM (SELECT DISTINCT article_id, published_at FROM ledger) d
                    JOIN passages p USING (article_id) JOIN cued_texts t ON t.text_hash = p.text_hash AND t.ledger
                    LEFT JOIN copies c ON c.article_id = d.article_id
                    WHERE true {vectored}
                    GROUP BY d.article_id, d.published_at),
            places AS (SELECT article_id, count(*) AS n, sum(hash('place', frame_id, seq)) AS s
                       FROM (SELECT DISTINCT fp.frame_id, fp.article_id, p.seq
                             FROM frame_passages fp JOIN passages p USING (passage_id))
                       GROUP BY article_id)
            SELECT fa.frame_id, fa.k, a.n, a.s FROM fa JOIN art a USING (article_id, published_at)
            UNION ALL
            SELECT fa.frame_id, fa.k, m.n, m.s FROM fa JOIN places m USING (article_id)""",
            params, centre_model=model, summed=True)

    def stage_evidence_rows(self, model: str, frames: dict[int, str | None], all_embedded: bool = False) -> None:
        """Select the evidence stage's input passages for every frame of ``frames`` (frame id -> a mark: only
        its articles after it, or None: all of them) into a temporary table, in one query, which
        :meth:`evidence_inputs` then reads a chunk of frames at a time (the query reads views over every
        frame's articles: seconds, whatever the chunk); :meth:`unstage_evidence_rows` drops it. ``all_embedded``:
        every passage's text has a vector under ``model`` (:data:`_VECTORED`)."""
        vectored, params = _vectored(model, all_embedded)
        todo = pd.DataFrame({"frame_id": pd.Series(list(frames), dtype="int32"),
                             "mark": pd.Series(list(frames.values()), dtype="string")})
        self.conn.register("_todo", todo)
        try:
            self._exec(
                f"""CREATE OR REPLACE TEMP TABLE _evidence_rows AS
                   WITH cued AS ({_CUED}), ledger AS ({_LEDGER_ARTICLES})
                   SELECT fa.frame_id, p.passage_id, p.article_id, p.seq, p.text_hash, fa.published_at,
                          c.original_id AS original
                   FROM ledger fa JOIN _todo t USING (frame_id) JOIN passages p USING (article_id)
                   JOIN cued USING (text_hash) LEFT JOIN copies c ON c.article_id = fa.article_id
                   WHERE (t.mark IS NULL OR {ORDER_KEY.format(t="fa")} > t.mark) {vectored}""", params)
        finally:
            self.conn.unregister("_todo")
        # Few texts (a weekly update's): their vectors are read once here and kept until the run ends. Many (a
        # full build's): each chunk reads its own, so memory stays a chunk's.
        texts = self._scalar("SELECT count(DISTINCT text_hash) FROM _evidence_rows")
        self._staged_vectors = None
        if texts <= STAGED_VECTORS:
            found, matrix = self._vectors_of(
                model, [r[0] for r in self._exec("SELECT DISTINCT text_hash FROM _evidence_rows").fetchall()])
            self._staged_vectors = (model, pd.Index(found), matrix)

    def unstage_evidence_rows(self) -> None:
        self._exec("DROP TABLE IF EXISTS _evidence_rows")
        self._staged_vectors = None

    def evidence_item_counts(self) -> dict[int, int]:
        """frame id -> the number of its stored ledger items."""
        return dict(self._exec("SELECT frame_id, count(*) FROM evidence_items GROUP BY frame_id").fetchall())

    def evidence_inputs(self, model: str, frames: dict[int, str | None],
                        staged: bool = False) -> tuple[pd.DataFrame, np.ndarray, pd.DataFrame]:
        """The evidence stage's inputs for ``frames`` only (frame id -> a mark: only its articles after it, or
        None: all of them): the cued passages of their articles (with ``seq``, the date and the article's
        ``original``), the vectors of their texts (``vector_row`` of each passage indexes the matrix), and the
        places every active frame's passages take in those articles (frame_id, article_id, seq). ``staged``:
        the passages were selected by :meth:`stage_evidence_rows` for these frames and more."""
        if not staged:
            self.stage_evidence_rows(model, frames)
        ids = [int(f) for f in frames]
        passages = self._df("""SELECT * FROM _evidence_rows WHERE frame_id IN (SELECT unnest(?::INTEGER[]))
                               ORDER BY frame_id, published_at, article_id, passage_id""", [ids])
        wanted = passages["text_hash"].unique()
        held = getattr(self, "_staged_vectors", None) if staged else None
        if held is not None and held[0] == model:
            at = held[1].get_indexer(wanted)
            found, matrix = wanted[at >= 0].tolist(), held[2][at[at >= 0]]
        else:
            found, matrix = self._vectors_of(model, wanted)
        places = self._df(
            """SELECT DISTINCT fp.frame_id, fp.article_id, p.seq FROM frame_passages fp JOIN passages p USING (passage_id)
               WHERE fp.article_id IN (SELECT unnest(?::VARCHAR[]))
               ORDER BY fp.frame_id, fp.article_id, p.seq""", [passages["article_id"].unique().tolist()])
        if not staged:
            self.unstage_evidence_rows()
        row_of = {h: i for i, h in enumerate(found)}
        rows = passages["text_hash"].map(row_of)
        if rows.isna().any():  # staged without the check against the vectors (``all_embedded``), wrongly
            raise StoreError(f"{int(rows.isna().sum())} of the evidence stage's {len(rows)} input passages have no "
                             f"vector under {model}, though every passage was said to be embedded")
        passages["vector_row"] = rows.astype("int64")
        return passages, matrix, places

    def evidence_state(self, model: str, frames: list[int], needed=None) -> tuple[pd.DataFrame, np.ndarray]:
        """The stored ledger items of ``frames`` (frame_id, passage_id, article_id, text_hash, published_at,
        gate_key: what of its keys its gates depend on, is_new, repeat_of), in reading order within each frame,
        and the vectors of their texts: ``vector_row`` of each item indexes the matrix,
        which holds each text once (a text is an item of many frames, and many times in one). What extending
        their ledgers starts from; an item whose text has no vector under ``model`` is left out. ``needed``:
        given the items, which of them to keep (a boolean array; ``app.evidence.ledger.needed_items``), before
        their vectors are read."""
        from app.evidence.ledger import GATE_KEY_SQL

        self._exec(
            f"""CREATE OR REPLACE TEMP TABLE _state_items AS
               SELECT ei.frame_id, ei.passage_id, ei.article_id, p.text_hash, ei.published_at,
                      {GATE_KEY_SQL.format(keys="ei.keys")} AS gate_key, ei.is_new, ei.repeat_of
               FROM evidence_items ei JOIN passages p USING (passage_id)
               WHERE ei.frame_id IN (SELECT unnest(?::INTEGER[]))""", [list(frames)])
        try:
            # Through Arrow: the same frame (integers, strings, a timestamp, a flag) in a third of the time of
            # DuckDB's own conversion at 100k synthetic articles (bench/RESULTS.md, "the week's largest scans").
            items = self._arrow("SELECT * FROM _state_items ORDER BY frame_id, published_at, article_id, "
                                "passage_id").to_pandas()
        finally:
            self._exec("DROP TABLE IF EXISTS _state_items")
        if needed is not None:
            items = items[needed(items)].reset_index(drop=True)
        found, matrix = self._vectors_of(model, items["text_hash"].unique().tolist())
        at = positions(items["text_hash"], found)
        items = items[at >= 0].reset_index(drop=True)
        items["vector_row"] = at[at >= 0].astype("int64")
        return items, matrix

    def write_evidence(self, items: pd.DataFrame, inputs: pd.DataFrame, redo: list[int]) -> None:
        """One chunk of the evidence stage (:meth:`write_frame_rows`)."""
        self.write_frame_rows("evidence", "evidence_items", items, inputs, redo)

    def drop_evidence_except(self, frames: list[int]) -> None:
        self.drop_frame_rows_except("evidence", "evidence_items", frames)

    def write_frame_rows(self, stage: str, table: str, rows: pd.DataFrame, inputs: pd.DataFrame,
                         redo: list[int]) -> None:
        """One chunk of a per-frame stage in one transaction: the rows of the frames in ``redo`` are replaced,
        ``rows`` added (those of extended frames come beside their stored rows), and the fingerprint and mark
        of each frame in ``inputs`` (frame_id, fingerprint, mark) recorded."""
        with self.transaction():
            self._exec(f"DELETE FROM {quote_ident(table)} WHERE frame_id IN (SELECT unnest(?::INTEGER[]))",
                       [list(redo)])
            self._insert(table, rows)
            self._exec("DELETE FROM frame_inputs WHERE stage = ? AND frame_id IN (SELECT unnest(?::INTEGER[]))",
                       [stage, inputs["frame_id"].astype(int).tolist()])
            self._insert("frame_inputs", inputs.assign(stage=stage)[["stage", "frame_id", "fingerprint", "mark"]])

    def drop_frame_rows_except(self, stage: str, table: str, frames: list[int]) -> None:
        """Drop the rows and fingerprints of every frame not in ``frames`` (gone, retired, merged, or without
        any input now)."""
        with self.transaction():
            self._exec(f"DELETE FROM {quote_ident(table)} WHERE frame_id NOT IN (SELECT unnest(?::INTEGER[]))",
                       [list(frames)])
            self._exec("DELETE FROM frame_inputs WHERE stage = ? AND frame_id NOT IN (SELECT unnest(?::INTEGER[]))",
                       [stage, list(frames)])

    def evidence_totals(self) -> tuple[int, int]:
        """Evidence items in the ledger, and how many of them are new evidence."""
        row = self._row("""SELECT count(*), count(*) FILTER (WHERE is_new AND strength = 'evidence')
                           FROM evidence_items""")
        return int(row[0]), int(row[1])

    def count_lineage_edges(self) -> int:
        return int(self._scalar("SELECT count(*) FROM lineage"))


def _nullable(value):
    """A value for a nullable column (pandas' NaN and None both become NULL)."""
    if value is None:
        return None
    try:
        return None if value != value else value  # NaN
    except TypeError:
        return value
