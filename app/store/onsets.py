"""Onsets and dates: the onsets stage's inputs and outputs, date corrections, and what the Frame page, the
CLI and the report read about them."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from app.store.base import StoreBase


# What an article's own date flags depend on: its date, where the date came from, and its content.
_DATE_FINGERPRINT = "hash(a.published_at, a.date_source, a.content_hash)"


class OnsetStore(StoreBase):
    # -- the onsets stage --------------------------------------------------------------------------------
    def onset_inputs(self) -> pd.DataFrame:
        """Every active frame's articles that carry it (not its rebuttals; merges resolved) with their outlet,
        date and best passage score, and whether one of their passages matched a seeded frame literally."""
        return self._df(
            """WITH lit AS (SELECT frame_id, p.article_id, bool_or(pf.match = 'literal') AS literal
                            FROM resolved_passage_frames pf JOIN passages p USING (passage_id) GROUP BY ALL)
               SELECT fa.frame_id, fa.article_id, fa.outlet, fa.published_at, fa.score,
                      coalesce(lit.literal, FALSE) AS literal
               FROM frame_carrying_articles fa LEFT JOIN lit USING (frame_id, article_id)""")

    def dates_to_check(self, limit: int) -> pd.DataFrame:
        """Up to ``limit`` articles whose own date has not been checked as it stands (new, or their date, its
        source or their content changed since): title, text, date, where the date came from, and the
        ``fingerprint`` of what was checked (the date flag rules' input). The articles are found first and only
        their titles and texts read (as :meth:`articles_to_segment`)."""
        return self._df(
            f"""WITH todo AS (SELECT a.article_id FROM articles a LEFT JOIN date_checks c USING (article_id)
                              WHERE c.fingerprint IS DISTINCT FROM {_DATE_FINGERPRINT}
                              ORDER BY a.article_id LIMIT ?)
                SELECT a.article_id, a.title, a.text, a.published_at, a.date_source, {_DATE_FINGERPRINT} AS fingerprint
                FROM articles a SEMI JOIN todo USING (article_id)
                ORDER BY a.article_id""", [limit])

    def count_dates_to_check(self) -> int:
        return int(self._scalar(
            f"""SELECT count(*) FROM articles a LEFT JOIN date_checks c USING (article_id)
                WHERE c.fingerprint IS DISTINCT FROM {_DATE_FINGERPRINT}"""))

    def add_date_checks(self, checked: pd.DataFrame, flags: pd.DataFrame) -> None:
        """The articles just checked (article_id, fingerprint) and their own date flags, in one transaction:
        their earlier flags of their own go."""
        with self.transaction():
            ids = checked["article_id"].tolist()
            self._exec("DELETE FROM date_flags WHERE frame_id IS NULL AND article_id IN (SELECT unnest(?::VARCHAR[]))",
                       [ids])
            self._exec("DELETE FROM date_checks WHERE article_id IN (SELECT unnest(?::VARCHAR[]))", [ids])
            self._insert("date_checks", checked[["article_id", "fingerprint"]].astype({"fingerprint": "uint64"}))
            self._insert("date_flags", flags)

    def clear_date_checks(self) -> None:
        """Forget every check (other rules): every article's date is checked again."""
        with self.transaction():
            self._exec("DELETE FROM date_checks")
            self._exec("DELETE FROM date_flags WHERE frame_id IS NULL")

    def own_date_flags(self) -> pd.DataFrame:
        """Every flag on an article's own date (frame_id empty)."""
        return self._df("SELECT article_id, frame_id, reason, detail FROM date_flags WHERE frame_id IS NULL "
                        "ORDER BY article_id, reason")

    def dates_fingerprint(self) -> str:
        """Changes whenever an article, its date or its date's source changes."""
        row = self._row("""SELECT count(*), coalesce(bit_xor(hash(article_id, published_at, date_source, content_hash)), 0)
                           FROM articles""")
        return f"{row[0]}:{row[1]}"

    def replace_onsets(self, onsets: pd.DataFrame, roles: pd.DataFrame, flags: pd.DataFrame) -> None:
        """Write every frame's onset, every article's role in its frames and every flag of an article's date
        within a frame (frame_id set), in one transaction; the flags on articles' own dates are kept
        (:meth:`add_date_checks` writes them)."""
        prints = _frame_prints(onsets, roles, flags)
        stored = dict(self._exec("SELECT frame_id, fingerprint FROM frame_inputs WHERE stage = 'onsets'").fetchall())
        # Only the frames whose rows changed are written (a weekly update's few), each frame's rows whole; the
        # fingerprint of a frame's rows is kept for the next run.
        changed = [f for f, h in prints.items() if stored.get(f) != h]
        gone = [f for f in stored if f not in prints]
        redo = changed + gone
        with self.transaction():
            if stored:
                for table, where in (("frame_onsets", ""), ("date_flags", "frame_id IS NOT NULL AND ")):
                    self._exec(f"DELETE FROM {table} WHERE {where}frame_id IN (SELECT unnest(?::INTEGER[]))", [redo])
                self._exec("DELETE FROM frame_article_roles WHERE frame_id IN (SELECT unnest(?::INTEGER[]))", [gone])
                self._update_roles(roles[roles["frame_id"].isin(set(changed))], changed)
            else:  # nothing kept yet (a database from before the fingerprints): every row is written
                self._exec("DELETE FROM frame_onsets")
                self._exec("DELETE FROM frame_article_roles")
                self._exec("DELETE FROM date_flags WHERE frame_id IS NOT NULL")
                self._insert("frame_article_roles", roles)
            some = set(changed) if stored else set(prints)
            self._insert("frame_onsets", onsets[onsets["frame_id"].isin(some)])
            self._insert("date_flags", flags[flags["frame_id"].isin(some)])
            self._exec("DELETE FROM frame_inputs WHERE stage = 'onsets'")
            self._insert("frame_inputs", pd.DataFrame({
                "stage": "onsets", "frame_id": pd.Series(list(prints), dtype="int32"),
                "fingerprint": pd.Series(list(prints.values()), dtype="uint64"), "mark": pd.Series([None] * len(prints),
                                                                                                  dtype=object)}))

    def _update_roles(self, roles: pd.DataFrame, frames: list[int]) -> None:
        """Make the article roles of ``frames`` those of ``roles``, deleting and inserting only the rows that
        differ: a frame that gained a week's articles keeps nearly every row (a delete and insert of a large
        frame's rows costs seconds in the table's key index)."""
        if not frames:
            return
        self.conn.register("_roles_new", roles)
        try:
            self._exec(
                """DELETE FROM frame_article_roles r WHERE r.frame_id IN (SELECT unnest(?::INTEGER[]))
                   AND NOT EXISTS (SELECT 1 FROM _roles_new n WHERE n.frame_id = r.frame_id
                                   AND n.article_id = r.article_id AND n.role = r.role
                                   AND n.score IS NOT DISTINCT FROM r.score AND n.core = r.core
                                   AND n.date_flagged = r.date_flagged AND n.counts = r.counts)""", [list(frames)])
            self._exec(
                """INSERT INTO frame_article_roles (frame_id, article_id, role, score, core, date_flagged, counts)
                   SELECT n.frame_id, n.article_id, n.role, n.score, n.core, n.date_flagged, n.counts
                   FROM _roles_new n WHERE NOT EXISTS (
                       SELECT 1 FROM frame_article_roles r
                       WHERE r.frame_id = n.frame_id AND r.article_id = n.article_id)""")
        finally:
            self.conn.unregister("_roles_new")

    # -- corrections ---------------------------------------------------------------------------------------
    def add_date_corrections(self, rows: pd.DataFrame) -> int:
        """Store corrections (canonical_url, url, published_at, note, corrected_by, corrected_at) and apply them."""
        with self.transaction():
            self._insert("date_corrections", rows)
            n = self._apply_date_corrections()
        return n

    def apply_date_corrections(self) -> int:
        """Apply every stored correction to the articles it names (after an ingest: a correction may name an
        article stored later); the latest correction of a URL wins. Returns the articles changed."""
        with self.transaction():
            return self._apply_date_corrections()

    def _apply_date_corrections(self) -> int:
        # DuckDB answers an UPDATE with the number of rows it changed.
        return int(self._scalar(
            """UPDATE articles SET original_published_at = coalesce(articles.original_published_at,
                                                                  articles.published_at),
                                 published_at = latest.published_at, date_source = 'corrected'
               FROM (SELECT canonical_url, arg_max(published_at, correction_id) AS published_at
                     FROM date_corrections GROUP BY canonical_url) AS latest
               WHERE articles.canonical_url = latest.canonical_url
                 AND (articles.published_at <> latest.published_at OR articles.date_source <> 'corrected')""") or 0)

    def date_corrections(self) -> pd.DataFrame:
        return self._df(
            """SELECT c.url, c.published_at, c.note, c.corrected_by, c.corrected_at, a.article_id,
                      a.original_published_at
               FROM date_corrections c LEFT JOIN articles a USING (canonical_url) ORDER BY c.correction_id""")

    def fill_date_sources(self, sources: pd.DataFrame) -> int:
        """Record where the date of already stored articles came from (article_id, date_source), for those
        stored before it was recorded ('unknown')."""
        if sources.empty:
            return 0
        self.conn.register("_sources", sources)
        try:
            return int(self._scalar(
                """UPDATE articles SET date_source = s.date_source FROM _sources s
                   WHERE articles.article_id = s.article_id AND articles.date_source = 'unknown'""") or 0)
        finally:
            self.conn.unregister("_sources")

    # -- reads -----------------------------------------------------------------------------------------------
    def frame_onset(self, frame_id: int) -> dict | None:
        """A frame's onset row (frame_onsets), or None before the onsets stage has run on it."""
        df = self._df("SELECT * FROM frame_onsets WHERE frame_id = ?", [frame_id])
        return None if df.empty else df.iloc[0].to_dict()

    def frame_onsets(self, frame_ids: list[int] | None = None) -> pd.DataFrame:
        only = "" if frame_ids is None else "WHERE frame_id IN (SELECT unnest(?::INTEGER[]))"
        return self._df(f"SELECT * FROM frame_onsets {only} ORDER BY frame_id",
                        [] if frame_ids is None else [list(frame_ids)])

    def frame_precursors(self, frame_id: int) -> pd.DataFrame:
        """A frame's earlier similar passages: each precursor article with its best passage in the frame."""
        return self._df(
            """WITH best AS (
                   SELECT article_id, arg_max(text, score) AS passage, max(score) AS passage_score
                   FROM frame_passages WHERE frame_id = ? GROUP BY article_id)
               SELECT p.published_at, p.outlet, p.title, b.passage, p.score, p.core, p.date_flagged,
                      p.days_before_onset, p.url, p.article_id
               FROM frame_precursors p JOIN best b USING (article_id)
               WHERE p.frame_id = ? ORDER BY p.published_at, p.article_id""",
            [frame_id, frame_id])

    def frame_date_flags(self, frame_id: int) -> pd.DataFrame:
        """The flagged dates among a frame's articles: its articles' own flags and the frame's own."""
        return self._df(
            """SELECT d.article_id, d.reason, d.detail
               FROM date_flags d JOIN frame_articles fa ON fa.article_id = d.article_id AND fa.frame_id = ?
               WHERE d.frame_id IS NULL OR d.frame_id = ?
               ORDER BY d.article_id, d.reason""", [frame_id, frame_id])

    def flagged_dates(self) -> pd.DataFrame:
        """Every flagged date, with the article, where its date came from and any correction."""
        return self._df(
            """SELECT a.url, o.name AS outlet, a.published_at, a.date_source, d.reason, d.frame_id, d.detail,
                      a.original_published_at, a.title, a.article_id
               FROM date_flags d JOIN articles a USING (article_id) JOIN outlets o USING (outlet_id)
               ORDER BY a.published_at, a.article_id, d.frame_id NULLS FIRST""")

    def date_source_counts(self) -> dict[str, int]:
        return dict(self._exec("SELECT date_source, count(*) FROM articles GROUP BY ALL").fetchall())


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def _frame_prints(onsets: pd.DataFrame, roles: pd.DataFrame, flags: pd.DataFrame) -> dict[int, int]:
    """A fingerprint of each frame's rows in the three tables (an order-free sum of the rows' hashes, per table)."""
    total: dict[int, int] = {}
    for salt, part in enumerate((onsets, roles, flags)):
        if len(part) == 0:
            continue
        keep = part["frame_id"].notna().to_numpy()
        part = part[keep]
        hashes = pd.util.hash_pandas_object(part, index=False).to_numpy(dtype=np.uint64)
        frames, codes = np.unique(part["frame_id"].astype("int64").to_numpy(), return_inverse=True)
        sums = np.zeros(len(frames), dtype=np.uint64)
        np.add.at(sums, codes.ravel(), hashes)  # wraps modulo 2**64
        for f, h in zip(frames.tolist(), sums.tolist()):
            total[f] = (total.get(f, 0) * 1_000_003 + (salt + 1) * 7919 + h) % 2**64
    return total
