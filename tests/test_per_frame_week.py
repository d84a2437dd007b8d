"""A weekly update of the per-frame stages (stance, onsets, lineage, evidence) against a forced rebuild of
them: every table the same, whether a frame was kept, extended from its stored rows or redone."""

from __future__ import annotations

import pandas as pd
import pytest

import app.pipeline as pipeline
import app.store.stages as stages_store
from app.fingerprints import frames_to_do
from app.store import Store, copy_database
from tests.test_pipeline import _ingest, _split_sample

TABLES = {"article_stance": ["frame_id", "article_id"], "frame_onsets": ["frame_id"],
          "frame_article_roles": ["frame_id", "article_id"], "date_flags": ["article_id", "reason", "frame_id"],
          "lineage": ["frame_id", "to_article"], "evidence_items": ["frame_id", "passage_id"]}


def _tables(store) -> dict[str, pd.DataFrame]:
    return {t: store.query(f"SELECT * FROM {t}").sort_values(keys).reset_index(drop=True)
            for t, keys in TABLES.items()}


def _assert_same_as_forced(store, settings, encoder) -> None:
    """Every per-frame table as the build left it equals the one a forced run of each stage writes."""
    built = _tables(store)
    pipeline.stance_stage(store, force=True)
    pipeline.onsets_stage(store, force=True)
    pipeline.lineage_stage(store, encoder.name, force=True)
    pipeline.evidence_stage(store, encoder.name, settings, force=True)
    forced = _tables(store)
    assert len(forced["evidence_items"]) and len(forced["lineage"]) and len(forced["article_stance"])
    for table in TABLES:
        pd.testing.assert_frame_equal(built[table], forced[table], obj=table)


@pytest.mark.slow
def test_a_week_extends_the_frames_it_adds_to_and_equals_a_forced_rebuild(tmp_path, settings, encoder, monkeypatch):
    early, late = _split_sample(tmp_path, 5, 6)
    week = pd.read_json(late, lines=True)
    cut = week["published_at"].min()
    db = tmp_path / "w.duckdb"
    _ingest(db, settings, early)
    pipeline.build(db, settings, encoder)

    # The later week: frames it adds to are extended from their stored ledgers (no earlier article came).
    _ingest(db, settings, late)
    small = tmp_path / "small.duckdb"
    copy_database(db, small)
    pipeline.build(db, settings, encoder)
    # The same week in chunks of a frame or two (stance, lineage and evidence), the ledger's chunks each reading
    # their texts' vectors themselves (the path of a week with more texts than are read once for the run): the
    # same rows.
    with monkeypatch.context() as m:
        m.setattr(stages_store, "STAGED_VECTORS", 0)
        m.setattr(pipeline, "FRAME_CHUNK", 40)
        pipeline.build(small, settings, encoder)
    stores = [Store.open_read(db), Store.open_read(small)]
    try:
        assert stores[1].last_run("evidence")["counts"]["extended"] == stores[0].last_run("evidence")["counts"]["extended"]
        for table, keys in TABLES.items():
            pd.testing.assert_frame_equal(*(s.query(f"SELECT * FROM {table}").sort_values(keys).reset_index(drop=True)
                                            for s in stores), obj=table)
    finally:
        for s in stores:
            s.close()
    with Store.write(db) as store:
        evidence = store.last_run("evidence")["counts"]
        assert 0 < evidence["extended"] <= evidence["written"] < evidence["frames"], evidence
        stance = store.last_run("stance")["counts"]
        assert 0 < stance["extended"] <= stance["decided"] < stance["frames"], stance
        # Only the week's articles have their own dates checked (their texts read).
        assert store.last_run("onsets")["counts"]["dates_checked"] == len(week)
        lineage = store.last_run("lineage")["counts"]
        assert 0 < lineage["extended"] <= lineage["traced"] < lineage["frames"], lineage
        _assert_same_as_forced(store, settings, encoder)
        # An extended frame's stored mark is its latest article now.
        extended_frames = store.query(
            """SELECT i.frame_id, i.mark, max(strftime(fa.published_at, '%Y-%m-%d %H:%M:%S.%f') || '|' || fa.article_id) AS latest
               FROM frame_inputs i JOIN frame_articles fa USING (frame_id) WHERE i.stage = 'evidence' GROUP BY ALL""")
        assert (extended_frames["mark"] == extended_frames["latest"]).all()
        # An article like one of the week's, dated before everything in the frames it joins.
        frame_id, article_id = store.query(
            """SELECT frame_id, article_id FROM evidence_items WHERE published_at >= ? AND how = 'new'
               ORDER BY frame_id, passage_id LIMIT 1""", [cut]).iloc[0]
        article = store.query("SELECT title, text FROM articles WHERE article_id = ?", [article_id]).iloc[0]
        first = store.query_value("SELECT min(published_at) FROM frame_articles WHERE frame_id = ?", [int(frame_id)])
    earlier = tmp_path / "earlier.jsonl"
    pd.DataFrame([{"title": article["title"], "text": article["text"], "outlet": "Late Filer",
                   "published_at": (first - pd.Timedelta(days=1)).isoformat() + "Z",
                   "url": "https://late-filer.example/a"}]).to_json(earlier, orient="records", lines=True)
    _ingest(db, settings, earlier)
    pipeline.build(db, settings, encoder)
    with Store.write(db) as store:
        assert store.query_value("SELECT count(*) FROM frame_articles WHERE frame_id = ? AND outlet = 'Late Filer'",
                                 [int(frame_id)]) == 1
        evidence = store.last_run("evidence")["counts"]
        # That frame is redone over all its articles (and so is any other the article joined).
        assert evidence["written"] > evidence["extended"], evidence
        # Each stage recorded the fingerprints its plan gives now: nothing to redo on the next run, also for
        # lineage, which joins a second plan when an outlet is new (as "Late Filer" is).
        for plan in (store.stance_plan(), store.lineage_plan(encoder.name), store.evidence_plan(encoder.name)):
            assert frames_to_do(plan, False).empty
        _assert_same_as_forced(store, settings, encoder)


def test_later_rebuttals_that_make_a_frame_a_denial_frame_redo_it(hashed_sample_db_copy):
    """An extended frame whose new articles turn it into a denial frame is decided again whole: its earlier
    rebuttals, if any, now tell it too (rule ``denial frame``), as a forced run says."""
    with Store.write(hashed_sample_db_copy) as s:
        fid, n, last, outlet = s.query(
            """SELECT frame_id, count(*), max(a.published_at), any_value(a.outlet_id)
               FROM article_stance JOIN articles a USING (article_id) GROUP BY frame_id
               HAVING bool_and(rule <> 'denial frame') AND count(*) >= 3 ORDER BY count(*), frame_id LIMIT 1""").iloc[0]
        fid, n = int(fid), int(n)
        # More later articles than the frame holds, each opening on a rebuttal of what it says (its label), placed
        # in the frame.
        rebuttal = f"There is no evidence of {s.query_value('SELECT label FROM frames WHERE frame_id = ?', [fid])}."
        for i in range(n + 1):
            article = f"late-rebuttal-{i}"
            s.conn.execute(
                """INSERT INTO articles (article_id, outlet_id, title, text, published_at, content_hash, ingested_at)
                   VALUES (?, ?, 'Claims', ?, ?, ?, now()::TIMESTAMP)""",
                [article, outlet, rebuttal, last + pd.Timedelta(hours=i + 1), article])
            s.conn.execute(
                """INSERT INTO passages (passage_id, article_id, seq, part, start_char, end_char, text, text_hash)
                   VALUES (?, ?, 0, 'title', 0, 6, 'Claims', 'late-title'),
                          (?, ?, 1, 'body', 0, ?, ?, 'late-rebuttal')""",
                [f"{article}:0", article, f"{article}:1", article, len(rebuttal), rebuttal])
            s.conn.execute("INSERT INTO passage_frames (passage_id, frame_id, score) VALUES (?, ?, 0.9)",
                           [f"{article}:1", fid])
            s.conn.execute("INSERT INTO article_frames (article_id, frame_id, score, passages) VALUES (?, ?, 0.9, 1)",
                           [article, fid])
        pipeline.cues_stage(s)
        pipeline.stance_stage(s)
        counts = s.last_run("stance")["counts"]
        built = s.query("SELECT * FROM article_stance ORDER BY frame_id, article_id")
        assert counts["decided"] == 1 and counts["extended"] == 0, counts  # the frame was read whole again
        mine = built[built["frame_id"] == fid]
        assert len(mine) == 2 * n + 1 and (mine["rule"] == "denial frame").sum() >= n + 1
        pipeline.stance_stage(s, force=True)
        pd.testing.assert_frame_equal(built, s.query("SELECT * FROM article_stance ORDER BY frame_id, article_id"))


def test_fingerprints_stay_exact_when_two_plans_are_joined():
    """A plan whose fingerprints all sit below 2**63 joined to one with a larger one: still exact (as int64 and
    uint64 columns, the join was float64, rounding every fingerprint the lineage stage then recorded)."""
    def plan(frame_id, total):
        return pd.DataFrame({"frame_id": [frame_id], "sum": [total], "rows": [3], "early": [3], "early_sum": [total],
                             "stored": [0], "stored_mark": [None], "mark": ["m"], "centre": [0]})
    parts = [frames_to_do(plan(1, 5), True), frames_to_do(plan(2, 2**64 - 7), True), frames_to_do(plan(3, 0).iloc[:0], True)]
    joined = pd.concat(parts, ignore_index=True)
    assert joined["fingerprint"].dtype == "uint64"
    assert [int(f) for f in joined["fingerprint"]] == [int(p["fingerprint"].iloc[0]) for p in parts[:2]]


def test_the_evidence_plan_summed_per_article_equals_the_plan_over_every_input_row(hashed_sample_db_copy):
    """The evidence plan sums an article's cued passages and the places frames take in it once per article, then
    joins them to each (frame, article): the same rows, sums and marks as summing every (frame, passage) and
    (frame, place) row, which ran out of memory on a large archive."""
    from app.store.stages import ORDER_KEY

    cued = ("SELECT DISTINCT text_hash FROM cues "
            "WHERE kind = 'material' OR subtype IN ('named', 'anonymous', 'confirms', 'denies')")

    with Store.write(hashed_sample_db_copy) as store:
        model = store.query_value("SELECT DISTINCT model FROM frames WHERE model IS NOT NULL")
        # some articles with an original, so the copies join counts too
        store.conn.execute("""INSERT INTO copies (article_id, original_id, similarity, method)
                              SELECT a.article_id, b.article_id, 1.0, 'test'
                              FROM (SELECT article_id, row_number() OVER (ORDER BY article_id) AS i FROM articles) a
                              JOIN (SELECT article_id, row_number() OVER (ORDER BY article_id) AS i FROM articles) b
                                ON b.i = a.i + 1
                              WHERE a.i % 7 = 0 AND a.article_id NOT IN (SELECT article_id FROM copies)""")
        every_row = store.frame_plan("evidence", f"""
            WITH cued AS ({cued}),
            sig AS (SELECT text_hash, bit_xor(hash(kind, subtype, start_char, end_char, span, coalesce(source, '')))
                           AS s, count(*) AS n FROM cues GROUP BY text_hash),
            fa AS (SELECT frame_id, article_id, published_at, {ORDER_KEY.format(t="f")} AS k
                   FROM frame_articles f LEFT JOIN frame_article_roles r USING (frame_id, article_id)
                   WHERE r.role IS DISTINCT FROM 'precursor'),
            places AS (SELECT DISTINCT fp.frame_id, fp.article_id, p.seq
                       FROM frame_passages fp JOIN passages p USING (passage_id))
            SELECT fa.frame_id, fa.k, hash(p.passage_id, p.seq, p.text_hash, fa.published_at, c.original_id,
                                           sig.s, sig.n) AS h
            FROM fa JOIN passages p USING (article_id) JOIN cued USING (text_hash)
            LEFT JOIN sig USING (text_hash) LEFT JOIN copies c ON c.article_id = fa.article_id
            WHERE p.text_hash IN (SELECT text_hash FROM embeddings WHERE model = ?)
            UNION ALL
            SELECT fa.frame_id, fa.k, hash('place', m.frame_id, m.seq) FROM fa JOIN places m USING (article_id)""",
            [model], centre_model=model)
        summed = store.evidence_plan(model)
    assert len(summed) > 5 and (summed["rows"] > 0).all()
    pd.testing.assert_frame_equal(summed, every_row)


def test_the_ledger_starts_at_the_onset_and_a_frame_whose_article_becomes_earlier_is_read_again(
        hashed_sample_db_copy, settings):
    """An article whose date is corrected to long before its frame's sustained onset becomes an earlier similar
    passage: its evidence leaves the frame's ledger (no item of it is new, none repeats it), the evidence stage
    reads that frame again after the onsets stage, and the rows equal a forced run's."""
    with Store.write(hashed_sample_db_copy) as s:
        model = s.query_value("SELECT DISTINCT model FROM frames WHERE model IS NOT NULL")
        # A new evidence item, repeated later, in an article of the core of a frame with a sustained onset.
        fid, article, passage, url, onset = s.query(
            """SELECT e.frame_id, e.article_id, e.passage_id, a.canonical_url, o.onset_at
               FROM evidence_items e JOIN frame_onsets o USING (frame_id) JOIN articles a USING (article_id)
               JOIN frame_article_roles r USING (frame_id, article_id)
               WHERE e.is_new AND e.strength = 'evidence' AND o.basis = 'sustained' AND r.role = 'core'
                 AND o.onset_article_id <> e.article_id
                 AND e.passage_id IN (SELECT repeat_of FROM evidence_items x WHERE x.frame_id = e.frame_id)
               ORDER BY e.frame_id, e.passage_id LIMIT 1""").iloc[0]
        fid = int(fid)
        repeaters = set(s.query("SELECT passage_id FROM evidence_items WHERE frame_id = ? AND repeat_of = ?",
                                [fid, passage])["passage_id"])
        assert repeaters
        s.add_date_corrections(pd.DataFrame({
            "canonical_url": [url], "url": [url], "published_at": [onset - pd.Timedelta(days=400)],
            "note": ["test"], "corrected_by": ["test"], "corrected_at": [pd.Timestamp("2026-01-01")]}))
        pipeline.onsets_stage(s)
        assert s.query_value("SELECT role FROM frame_article_roles WHERE frame_id = ? AND article_id = ?",
                             [fid, article]) == "precursor"
        pipeline.evidence_stage(s, model, settings)
        assert s.last_run("evidence")["counts"]["written"] >= 1
        items = s.query("SELECT * FROM evidence_items WHERE frame_id = ?", [fid])
        assert len(items) and article not in set(items["article_id"])
        assert passage not in set(items["repeat_of"].dropna())
        # what repeated it is now new, or the repeat of another item
        assert repeaters <= set(items["passage_id"])
        built = s.query("SELECT * FROM evidence_items ORDER BY frame_id, passage_id")
        pipeline.evidence_stage(s, model, settings, force=True)
        pd.testing.assert_frame_equal(built, s.query("SELECT * FROM evidence_items ORDER BY frame_id, passage_id"))
        # every frame's ledger leaves its earlier similar passages out
        assert s.query_value("""SELECT count(*) FROM evidence_items e JOIN frame_article_roles r
                                USING (frame_id, article_id) WHERE r.role = 'precursor'""") == 0


def test_the_plans_hash_what_they_hashed_before(hashed_sample_db_copy):
    """Each frame's centre is hashed once after the sums, and the stance plan reads each text's kept cue signature
    instead of grouping the cues: the plans' values are those the earlier forms gave (written out here as they
    were), or every database upgraded would redo every frame once. (The evidence plan's form is held by the test
    above.)"""
    from app.store.stages import ORDER_KEY

    store = Store.open_read(hashed_sample_db_copy)
    try:
        model = store.query_value("SELECT DISTINCT model FROM frames WHERE model IS NOT NULL")
        before = store.frame_plan("stance", f"""
            WITH firsts AS (
                SELECT pf.frame_id, p.article_id, min(p.seq) AS first_seq
                FROM resolved_passage_frames pf JOIN frames f USING (frame_id) JOIN passages p USING (passage_id)
                WHERE f.status = 'active' GROUP BY ALL),
            sig AS (SELECT text_hash, bit_xor(hash(kind, subtype, start_char, end_char, span, coalesce(source, '')))
                           AS s, count(*) AS n FROM cues GROUP BY text_hash)
            SELECT fi.frame_id, {ORDER_KEY.format(t="a")} AS k,
                   hash(p.passage_id, p.seq, p.seq = fi.first_seq, p.text_hash, sig.s, sig.n) AS h
            FROM firsts fi JOIN articles a ON a.article_id = fi.article_id
            JOIN passages p ON p.article_id = fi.article_id
                 AND p.seq IN (0, 1, fi.first_seq - 2, fi.first_seq - 1, fi.first_seq, fi.first_seq + 1)
            LEFT JOIN sig ON sig.text_hash = p.text_hash""", wording=True)
        stance = store.stance_plan()
        pd.testing.assert_frame_equal(stance, before)
        assert store.query_value("SELECT count(*) FROM cued_texts WHERE cue_count IS NULL") > 0  # texts without cues
        # each plan's centre: the stance plan's with the frame's wording, the evidence plan's in the model's space
        for plan, wording, space in ((stance, True, None), (store.lineage_plan(model), False, None),
                                     (store.evidence_plan(model), False, model)):
            centres = store.query(f"""SELECT frame_id, hash(centroid, model = ?{", label, phrases" if wording else ""})
                                          AS centre FROM frames""", [space])
            expected = plan[["frame_id"]].merge(centres, on="frame_id", how="left")
            assert len(plan) > 10 and (plan["centre"].to_numpy() == expected["centre"].to_numpy()).all()
    finally:
        store.close()
