"""Read queries about stories (the level above frames), for the dashboard and the CLI."""

from __future__ import annotations

import pandas as pd

from app.store.base import StoreBase
from app.store.filters import Filters


class StoryReads(StoreBase):
    def story_summary(self, filters: Filters = Filters()) -> pd.DataFrame:
        """One row per active story with articles in the filtered range, busiest first: the columns of the
        public view ``story_summary``, counted over the filtered articles that carry a frame (rebuttals
        left out, as in every count); the label is that of the story's largest frame in the range."""
        where, params = filters.where()
        return self._df(
            f"""WITH fa AS (SELECT * FROM frame_carrying_articles WHERE {where}),
               members AS (
                   SELECT sf.story_id, f.frame_id, coalesce(f.user_label, f.label) AS label
                   FROM frames f JOIN story_frames sf USING (frame_id) JOIN stories s USING (story_id)
                   WHERE f.status = 'active' AND s.status = 'active'),
               sized AS (
                   SELECT m.story_id, m.frame_id, m.label, count(*) AS articles
                   FROM members m JOIN fa USING (frame_id) GROUP BY ALL),
               largest AS (
                   SELECT *, row_number() OVER (PARTITION BY story_id ORDER BY articles DESC, frame_id) AS rn
                   FROM sized),
               agg AS (
                   SELECT m.story_id, count(DISTINCT m.frame_id) AS frames, count(DISTINCT fa.article_id) AS articles,
                          count(DISTINCT fa.outlet) AS outlets, min(fa.published_at) AS first_seen,
                          max(fa.published_at) AS last_seen
                   FROM members m JOIN fa USING (frame_id) GROUP BY m.story_id)
               SELECT a.story_id, l.label, l.frame_id AS largest_frame_id, a.frames, a.articles, a.outlets,
                      a.first_seen, a.last_seen
               FROM agg a JOIN largest l ON l.story_id = a.story_id AND l.rn = 1
               ORDER BY a.articles DESC, a.story_id""",
            params,
        )

    def frame_stories(self) -> pd.DataFrame:
        """``frame_id`` and ``story_id`` of every active frame (story_id NULL when it belongs to none)."""
        return self._df("""SELECT f.frame_id, s.story_id FROM frames f LEFT JOIN story_frames sf USING (frame_id)
                           LEFT JOIN stories s ON s.story_id = sf.story_id AND s.status = 'active'
                           WHERE f.status = 'active' ORDER BY f.frame_id""")
