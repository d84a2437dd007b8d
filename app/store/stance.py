"""Inputs and outputs of the stance stage, and the reads about rebuttals.

Which articles count for a frame's spread claims is said once, in the view ``frame_claim_articles``
(migration 14): the frame's articles less those that rebut it. The reads of spread, first movers,
counts, the report and lineage's inputs read that view."""

from __future__ import annotations

import pandas as pd

from app.store.base import StoreBase
from app.store.stages import ORDER_KEY
from app.store.filters import Filters

# Each (active frame, article in it) with the article's first passage in the frame, and the passages the
# stance rules read around it: the title, the first paragraph, two before, the passage itself and the one after.
_FIRSTS = """firsts AS (
    SELECT pf.frame_id, p.article_id, min(p.seq) AS first_seq
    FROM resolved_passage_frames pf JOIN frames f USING (frame_id) JOIN passages p USING (passage_id)
    WHERE f.status = 'active' GROUP BY ALL)"""
_AROUND = "p.seq IN (0, 1, fi.first_seq - 2, fi.first_seq - 1, fi.first_seq, fi.first_seq + 1)"
STANCE_COLUMNS = ["frame_id", "article_id", "stance", "rule", "passage_id", "cue_text", "cue_passage_id",
                  "cue_start", "cue_end", "speaker"]


class StanceStore(StoreBase):
    def stance_plan(self) -> pd.DataFrame:
        """:meth:`frame_plan` of the stance stage. Its input rows: for each (active frame, article in it), the
        article's first passage in the frame, the passages just before and after it, its title and first
        paragraph, each with its place, text and cues (:meth:`stance_inputs` reads the same rows); and the
        frame's label and phrases (:meth:`frame_wordings`)."""
        return self.frame_plan("stance", f"""
            WITH {_FIRSTS}
            SELECT fi.frame_id, {ORDER_KEY.format(t="a")} AS k,
                   hash(p.passage_id, p.seq, p.seq = fi.first_seq, p.text_hash, sig.cue_sum, sig.cue_count) AS h
            FROM firsts fi JOIN articles a ON a.article_id = fi.article_id
            JOIN passages p ON p.article_id = fi.article_id AND {_AROUND}
            LEFT JOIN cued_texts sig ON sig.text_hash = p.text_hash""", wording=True)

    def frame_wordings(self, frames: list[int]) -> dict[int, tuple[str, list[str], bool]]:
        """frame id -> its label, its phrases (as made: a user's rename is not read) and whether it is seeded:
        what the stance rules take for the frame's wording."""
        rows = self._exec("""SELECT frame_id, label, phrases, kind = 'seeded' FROM frames
                             WHERE frame_id IN (SELECT unnest(?::INTEGER[]))""", [list(frames)]).fetchall()
        return {int(f): (label, list(phrases or []), bool(seeded)) for f, label, phrases, seeded in rows}

    def stance_inputs(self, frames: dict[int, str | None] | None = None) -> pd.DataFrame:
        """For each (active frame, article in it): the article's first passage in the frame (``in_frame``), the
        passages just before and after it, its title (seq 0) and first paragraph (seq 1); with each passage's
        text and text hash. ``frames``: only these frames (frame id -> a mark: only its articles after it, :data:`ORDER_KEY`; or
        None: all of them)."""
        where = ""
        if frames is not None:
            where = f"""JOIN _todo t ON t.frame_id = fi.frame_id
                        WHERE t.mark IS NULL OR {ORDER_KEY.format(t="a")} > t.mark"""
            self.conn.register("_todo", pd.DataFrame({"frame_id": pd.Series(list(frames), dtype="int32"),
                                                     "mark": pd.Series(list(frames.values()), dtype="string")}))
        try:
            return self._df(
                f"""WITH {_FIRSTS}
                   SELECT fi.frame_id, fi.article_id, p.passage_id, p.seq, p.text_hash, p.text,
                          p.seq = fi.first_seq AS in_frame
                   FROM firsts fi JOIN articles a ON a.article_id = fi.article_id
                   JOIN passages p ON p.article_id = fi.article_id AND {_AROUND}
                   {where}
                   ORDER BY fi.frame_id, fi.article_id, p.seq""")
        finally:
            if frames is not None:
                self.conn.unregister("_todo")

    def stored_stances(self, frames: list[int]) -> pd.DataFrame:
        """For each of ``frames``: its stored stance rows, the denials among them by the articles' own stance
        (``app.frames.stance.denies``: rebuttals, stored as ``reports``, rule ``denial frame``, in a denial frame;
        and denials reported deeper in an article), and whether it was read as a denial frame."""
        return self._df(
            """SELECT frame_id, count(*) AS articles,
                      count(*) FILTER (WHERE stance = 'rebuts' OR rule IN ('denial frame', 'denial reported'))
                          AS denials,
                      bool_or(rule = 'denial frame') AS denial_frame
               FROM article_stance WHERE frame_id IN (SELECT unnest(?::INTEGER[])) GROUP BY frame_id""",
            [list(frames)])

    def write_stances(self, rows: pd.DataFrame, inputs: pd.DataFrame, redo: list[int]) -> None:
        """One chunk of the stance stage (:meth:`write_frame_rows`)."""
        self.write_frame_rows("stance", "article_stance", rows[STANCE_COLUMNS], inputs, redo)

    def drop_stances_except(self, frames: list[int]) -> None:
        self.drop_frame_rows_except("stance", "article_stance", frames)

    def stance_counts(self) -> dict[str, int]:
        return dict(self._exec("SELECT stance, count(*) FROM article_stance GROUP BY stance").fetchall())

    def frame_rebuttals(self, frame_id: int, filters: Filters = Filters()) -> pd.DataFrame:
        """The articles that rebut a frame, with the words that made them a rebuttal and where they are."""
        where, params = filters.where()
        return self._df(
            f"""SELECT fa.published_at, fa.outlet, fa.title, fa.url, s.cue_text, s.rule, s.speaker,
                       p.text AS passage, fa.article_id, s.passage_id, s.cue_passage_id, s.cue_start, s.cue_end
                FROM frame_articles fa JOIN article_stance s USING (frame_id, article_id)
                LEFT JOIN passages p ON p.passage_id = s.cue_passage_id
                WHERE fa.frame_id = ? AND fa.stance = 'rebuts' AND {where}
                ORDER BY fa.published_at, fa.article_id""",
            [frame_id, *params])
