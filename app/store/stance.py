"""Inputs and outputs of the stance stage, and the reads about rebuttals.

Which articles count for a frame's spread claims is said once, in the view ``frame_claim_articles``
(migration 14): the frame's articles less those that rebut it. The reads of spread, first movers,
counts, the report and lineage's inputs read that view."""

from __future__ import annotations

import pandas as pd

from app.store.base import StoreBase
from app.store.filters import Filters

STANCE_COLUMNS = ["frame_id", "article_id", "stance", "rule", "passage_id", "cue_text", "cue_passage_id",
                  "cue_start", "cue_end", "speaker"]


class StanceStore(StoreBase):
    def stance_inputs(self) -> pd.DataFrame:
        """For each (active frame, article in it): the article's first passage in the frame (``in_frame``), the
        passages just before and after it, its title (seq 0) and first paragraph (seq 1); with each passage's text
        and text hash."""
        return self._df(
            """WITH firsts AS (
                   SELECT pf.frame_id, p.article_id, min(p.seq) AS first_seq
                   FROM resolved_passage_frames pf JOIN frames f USING (frame_id) JOIN passages p USING (passage_id)
                   WHERE f.status = 'active' GROUP BY ALL)
               SELECT fi.frame_id, fi.article_id, p.passage_id, p.seq, p.text_hash, p.text,
                      p.seq = fi.first_seq AS in_frame
               FROM firsts fi JOIN passages p ON p.article_id = fi.article_id
                    AND p.seq IN (0, 1, fi.first_seq - 2, fi.first_seq - 1, fi.first_seq, fi.first_seq + 1)
               ORDER BY fi.frame_id, fi.article_id, p.seq""")

    def replace_stances(self, rows: pd.DataFrame, fingerprints: dict[int, int] | None = None,
                        redo: list[int] | None = None) -> None:
        """The stance rows of the frames in ``redo`` (None: every frame), with each frame's input fingerprint."""
        self._replace_by_frame("stance", "article_stance", rows[STANCE_COLUMNS], fingerprints, redo)

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
