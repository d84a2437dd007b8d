"""Read queries about frames, for the dashboard, the CLI and the report."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from app.store.base import StoreBase
from app.store.filters import Filters


class FrameReads(StoreBase):
    def frame(self, frame_id: int) -> dict | None:
        df = self._df(
            """SELECT f.frame_id, coalesce(f.user_label, f.label) AS label, f.label AS generated_label, f.kind,
                      f.phrases, f.status, f.exemplar_passage_id, f.exemplar_sentence, p.text AS exemplar,
                      p.article_id AS exemplar_article_id,
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

    def label_support(self, frame_ids: list[int]) -> pd.DataFrame:
        """How far each frame's label (as shown: a user's rename wins) rests on the frame's own passages:
        ``label_passages``, its passages that hold the label in some inflection (``app.frames.labels.
        label_support``, as labels are chosen), of ``passages``, all its passages. A label that holds a seeded
        frame's name or a user's rename (made longer to tell the two apart: "cannon fodder in Valdoria" beside
        the seeded "cannon fodder") also gives that name as ``core`` and the passages holding it as
        ``core_passages``.
        None for a seeded frame, whose name is the user's and whose passages are matched by its examples."""
        from app.frames.labels import label_support, lemma_phrase

        ids = [int(f) for f in frame_ids]
        frames = self._df("""SELECT frame_id, coalesce(user_label, label) AS label, kind FROM frames
                             WHERE frame_id IN (SELECT unnest(?::INTEGER[])) ORDER BY frame_id""", [ids])
        # The names a discovered label is made longer to avoid: seeded frames' names and users' renames.
        names = self._df("""SELECT frame_id, coalesce(user_label, label) AS label FROM frames
                            WHERE status = 'active' AND coalesce(user_label, label) IS NOT NULL
                              AND (kind = 'seeded' OR user_label IS NOT NULL)""")
        name_lemmas = [(f, n, lemma_phrase(n)) for f, n in names.itertuples(index=False)]
        rows = []
        for frame_id, label, kind in frames.itertuples(index=False):
            texts = [r[0] for r in self._exec(
                "SELECT p.text FROM passage_frames pf JOIN passages p USING (passage_id) WHERE pf.frame_id = ?",
                [int(frame_id)]).fetchall()]
            held = core = core_held = None
            if kind != "seeded" and label:
                held = label_support(label, texts)
                own = lemma_phrase(label)
                inside = [(len(ln), n) for f, n, ln in name_lemmas
                          if f != frame_id and ln and ln != own and f" {ln} " in f" {own} "]
                if inside:
                    core = max(inside)[1]
                    core_held = label_support(core, texts)
            rows.append({"frame_id": int(frame_id), "label": label, "label_passages": held, "passages": len(texts),
                         "core": core, "core_passages": core_held})
        return pd.DataFrame(rows, columns=["frame_id", "label", "label_passages", "passages", "core",
                                           "core_passages"]).astype(
            {"frame_id": "int64", "label_passages": "Int64", "passages": "int64", "core_passages": "Int64"})

    def frame_sentences(self) -> dict[int, str]:
        """The sentence shown beside each active frame's label (its label in use), by frame id."""
        return dict(self._exec("""SELECT frame_id, exemplar_sentence FROM frames
                                  WHERE status = 'active' AND exemplar_sentence IS NOT NULL""").fetchall())

    def frame_summary(self, filters: Filters = Filters()) -> pd.DataFrame:
        """One row per active frame with articles that carry it in the filtered range, busiest first; with the
        articles that rebut it (``rebuttals``), which the counts and the first outlet leave out."""
        where, params = filters.where()
        return self._df(
            f"""WITH fa AS (SELECT * FROM frame_carrying_articles WHERE {where}),
               reb AS (SELECT frame_id, count(*) AS rebuttals FROM frame_articles
                       WHERE stance = 'rebuts' AND {where} GROUP BY frame_id),
               ranked AS (
                   SELECT frame_id, outlet, article_id, published_at,
                          row_number() OVER (PARTITION BY frame_id ORDER BY published_at, article_id) AS rn
                   FROM frame_claim_articles WHERE {where}),
               agg AS (
                   SELECT frame_id, count(*) AS articles, count(DISTINCT outlet) AS outlets,
                          max(published_at) AS last_seen
                   FROM fa GROUP BY frame_id)
               SELECT f.frame_id, coalesce(f.user_label, f.label) AS label, f.kind, agg.articles, agg.outlets,
                      r.published_at AS first_seen, r.outlet AS first_outlet, r.article_id AS first_article_id,
                      agg.last_seen, coalesce(reb.rebuttals, 0) AS rebuttals
               FROM frames f JOIN agg USING (frame_id)
               LEFT JOIN ranked r ON r.frame_id = f.frame_id AND r.rn = 1
               LEFT JOIN reb ON reb.frame_id = f.frame_id
               WHERE f.status = 'active'
               ORDER BY agg.articles DESC, f.frame_id""",
            [*params, *params, *params],
        )

    def frame_weekly(self, filters: Filters = Filters()) -> pd.DataFrame:
        where, params = filters.where()
        return self._df(
            f"""SELECT frame_id, date_trunc('week', published_at)::DATE AS week, count(*) AS articles
                FROM frame_carrying_articles WHERE {where} GROUP BY ALL ORDER BY frame_id, week""",
            params,
        )

    def frame_timeline(self, frame_id: int, filters: Filters = Filters()) -> pd.DataFrame:
        """Per outlet and day: articles that carry the frame, how many of them are syndicated copies, how many
        its spread claims rest on (``counted``: in ``frame_claim_articles``, the core from the onset on with
        dates not flagged; the rest are earlier similar passages, loosely related or flagged), and the articles
        that rebut it (``rebuttals``; not in ``articles``)."""
        where, params = filters.where()
        return self._df(
            f"""SELECT outlet, CAST(published_at AS DATE) AS day,
                       count(*) FILTER (WHERE stance IS DISTINCT FROM 'rebuts') AS articles,
                       count(*) FILTER (WHERE NOT independent AND stance IS DISTINCT FROM 'rebuts') AS copies,
                       count(*) FILTER (WHERE stance IS DISTINCT FROM 'rebuts' AND coalesce(r.counts, TRUE)) AS counted,
                       count(*) FILTER (WHERE stance = 'rebuts') AS rebuttals
                FROM frame_articles_copies fa LEFT JOIN frame_article_roles r USING (frame_id, article_id)
                WHERE frame_id = ? AND {where} GROUP BY ALL ORDER BY day, outlet""",
            [frame_id, *params],
        )

    def frame_articles_at(self, frame_id: int, outlet: str, day: dt.date) -> pd.DataFrame:
        """The articles behind one mark of the timeline: a frame, an outlet, a day (UTC)."""
        return self._df(
            """SELECT fa.published_at, fa.title, fa.url, fa.passages, fa.independent,
                      oa.url AS copy_of, fa.stance, fa.article_id
               FROM frame_articles_copies fa LEFT JOIN articles oa ON oa.article_id = fa.original_id
               WHERE fa.frame_id = ? AND fa.outlet = ? AND CAST(fa.published_at AS DATE) = ?
               ORDER BY fa.published_at, fa.article_id""",
            [frame_id, outlet, day])

    def frame_articles(self, frame_id: int, filters: Filters = Filters()) -> pd.DataFrame:
        where, params = filters.where()
        return self._df(
            f"""SELECT article_id, published_at, outlet, title, url, score, passages, stance FROM frame_articles
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

    def frame_daily(self, frame_id: int, filters: Filters = Filters()) -> pd.DataFrame:
        """Per day: articles, independent articles, and cumulative outlets (the spread curve)."""
        where, params = filters.where()
        return self._df(
            f"""WITH fa AS (
                    SELECT article_id, outlet, CAST(published_at AS DATE) AS day, independent
                    FROM frame_carrying_articles WHERE frame_id = ? AND {where}),
                firsts AS (SELECT outlet, min(day) AS day FROM fa GROUP BY outlet),
                days AS (SELECT day, count(*) AS articles, count(*) FILTER (WHERE independent) AS independent_articles
                         FROM fa GROUP BY day),
                new_outlets AS (SELECT day, count(*) AS new_outlets FROM firsts GROUP BY day)
                SELECT d.day, d.articles, d.independent_articles, coalesce(n.new_outlets, 0) AS new_outlets,
                       sum(coalesce(n.new_outlets, 0)) OVER (ORDER BY d.day) AS cumulative_outlets
                FROM days d LEFT JOIN new_outlets n USING (day) ORDER BY d.day""",
            [frame_id, *params],
        )

    def frame_edges(self, frame_id: int) -> pd.DataFrame:
        """Lineage edges of a frame (view ``frame_edges``), with each article's title and URL, and the
        evidence in words: for a similar passage, the source passage's text instead of its id."""
        return self._df(
            """SELECT e.from_outlet, e.to_outlet, e.kind, e.score, e.evidence, e.from_published_at,
                      e.to_published_at, e.from_article, e.to_article,
                      fa.title AS from_title, fa.url AS from_url, ta.title AS to_title, ta.url AS to_url,
                      CASE WHEN e.kind = 'similar passage' THEN coalesce(p.text, e.evidence) ELSE e.evidence END
                          AS evidence_text
               FROM frame_edges e
               JOIN articles fa ON fa.article_id = e.from_article JOIN articles ta ON ta.article_id = e.to_article
               LEFT JOIN passages p ON e.kind = 'similar passage' AND p.passage_id = e.evidence
               WHERE e.frame_id = ? ORDER BY e.to_published_at, e.to_article""",
            [frame_id],
        )

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
                       r.last_repeated, i.title, i.url, i.article_id, i.passage_id, i.scope
                FROM items i LEFT JOIN repeats r ON r.repeat_of = i.passage_id
                WHERE i.is_new AND {where}
                ORDER BY i.published_at, i.article_id, i.passage_id""",
            [frame_id, *params],
        )

    def frame_evidence(self, frame_id: int, filters: Filters = Filters()) -> pd.DataFrame:
        """Per day: articles carrying the frame (rebuttals left out, as in every count), new and repeated
        evidence items (from any of the frame's articles: a denial or an admission inside a rebuttal is
        evidence too), share of articles resting on anonymous sources."""
        where, params = filters.where()
        return self._df(
            f"""WITH fa AS (SELECT * FROM frame_carrying_articles WHERE frame_id = ? AND {where}),
                every AS (SELECT article_id FROM frame_articles WHERE frame_id = ? AND {where}),
                days AS (
                    SELECT CAST(fa.published_at AS DATE) AS day, count(*) AS articles,
                           count(*) FILTER (WHERE s.anonymous AND NOT s.attributed) AS anonymous_only
                    FROM fa LEFT JOIN article_support s USING (article_id) GROUP BY ALL),
                items AS (
                    SELECT CAST(e.published_at AS DATE) AS day,
                           count(*) FILTER (WHERE e.is_new AND e.strength = 'evidence') AS new_evidence,
                           count(*) FILTER (WHERE NOT e.is_new AND e.strength = 'evidence') AS repeated_evidence
                    FROM evidence_items e WHERE e.frame_id = ? AND e.article_id IN (SELECT article_id FROM every)
                    GROUP BY ALL)
                SELECT day, coalesce(d.articles, 0) AS articles, coalesce(i.new_evidence, 0) AS new_evidence,
                       coalesce(i.repeated_evidence, 0) AS repeated_evidence, coalesce(d.anonymous_only, 0) AS anonymous_only,
                       round(coalesce(d.anonymous_only, 0) / greatest(d.articles, 1), 3) AS anonymous_share
                FROM days d FULL OUTER JOIN items i USING (day) ORDER BY day""",
            [frame_id, *params, frame_id, *params, frame_id],
        )

    def frame_compare(self, frame_ids: list[int], filters: Filters = Filters()) -> pd.DataFrame:
        """Articles and independent articles per frame and week (Monday), for several frames at once."""
        where, params = filters.where()
        return self._df(
            f"""SELECT fa.frame_id, date_trunc('week', fa.published_at)::DATE AS week, count(*) AS articles,
                       count(*) FILTER (WHERE fa.independent) AS independent_articles,
                       count(DISTINCT fa.outlet) AS outlets
                FROM frame_carrying_articles fa
                WHERE fa.frame_id IN (SELECT unnest(?::INTEGER[])) AND {where}
                GROUP BY ALL ORDER BY fa.frame_id, week""",
            [list(frame_ids), *params])

    def passage_cues(self, passage_ids: list[str]) -> pd.DataFrame:
        return self._df(
            """SELECT passage_id, kind, subtype, span, source, start_char, end_char FROM evidence_cues
               WHERE passage_id IN (SELECT unnest(?::VARCHAR[])) AND subtype <> 'none'
               ORDER BY passage_id, start_char""",
            [list(passage_ids)],
        )

    def period_frames(self, start: dt.date, end: dt.date) -> pd.DataFrame:
        """Every active frame with articles between ``start`` and ``end`` (inclusive days): its articles,
        independent articles, outlets, new and repeated evidence and unnamed-source-only articles in the
        period; its articles in the period of the same length before; when and where it was first seen."""
        lo = dt.datetime.combine(start, dt.time())
        hi = dt.datetime.combine(end + dt.timedelta(days=1), dt.time())
        before = lo - (hi - lo)
        return self._df(
            """WITH fa AS (SELECT * FROM frame_carrying_articles),
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
                           FROM frame_claim_articles GROUP BY frame_id)
               SELECT f.frame_id, coalesce(f.user_label, f.label) AS label, f.kind, c.articles,
                      c.independent_articles, c.outlets, coalesce(p.previous_articles, 0) AS previous_articles,
                      coalesce(e.new_evidence, 0) AS new_evidence, coalesce(e.repeated_evidence, 0) AS repeated_evidence,
                      c.anonymous_only, x.first_seen, x.first_outlet, x.first_article_id
               FROM cur c JOIN frames f USING (frame_id) LEFT JOIN firsts x USING (frame_id)
               LEFT JOIN prev p USING (frame_id) LEFT JOIN ev e USING (frame_id)
               WHERE f.status = 'active'
               ORDER BY c.articles DESC, f.frame_id""",
            [lo, hi, before, lo, lo, hi],
        )

    def outlet_firsts(self, frame_ids: list[int] | None = None, filters: Filters = Filters()) -> pd.DataFrame:
        """Each outlet's first appearance in each frame (of ``frame_ids``; None: every active frame) within
        the filters: when, its articles and independent articles (not syndicated copies), its first article
        and that article's URL; with the frame's label and kind. Adoption order, lag and first movers are
        derived from it in :mod:`app.spread`. Only the articles a claim may rest on count (view
        ``frame_claim_articles``): not rebuttals (an outlet that only rebuts a frame has not adopted it), and
        of the rest the frame's core from its onset on, dates not flagged."""
        where, params = filters.where()
        only = "" if frame_ids is None else "AND frame_id IN (SELECT unnest(?::INTEGER[]))"
        return self._df(
            f"""WITH per AS (
                    SELECT frame_id, outlet, min(published_at) AS first_seen, count(*) AS articles,
                           count(*) FILTER (WHERE independent) AS independent_articles,
                           arg_min(article_id, (published_at, article_id)) AS first_article_id
                    FROM frame_claim_articles WHERE {where} {only} GROUP BY frame_id, outlet)
                SELECT per.*, a.url AS first_article_url, coalesce(f.user_label, f.label) AS label, f.kind
                FROM per JOIN frames f USING (frame_id) LEFT JOIN articles a ON a.article_id = per.first_article_id
                ORDER BY frame_id, first_seen, outlet""",
            [*params, *([] if frame_ids is None else [list(frame_ids)])])
