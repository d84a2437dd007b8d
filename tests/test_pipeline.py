"""The build with the deterministic stand-in encoder: incremental, idempotent, resumable."""

import pandas as pd
import pytest

import app.pipeline as pipeline
from app.config import SAMPLE_PATH, SAMPLE_SEEDS, load_settings
from app.ingest import ingest_files
from app.store import Store, has_pending_work
from tests.conftest import ingest_sample


def _ingest(db, settings, path=SAMPLE_PATH):
    with Store.write(db) as store:
        ingest_files(store, [path], settings.max_article_chars)


def _snapshot(db):
    r = Store.open_read(db)
    try:
        summary = r.frame_summary()[["frame_id", "label", "articles", "outlets", "first_seen", "first_outlet"]]
        pf = r.query("SELECT passage_id, frame_id, round(score, 5) AS score FROM passage_frames ORDER BY ALL")
        emb = r.query_value("SELECT count(*) FROM embeddings")
    finally:
        r.close()
    return summary, pf, emb


def test_build_then_rerun_changes_nothing(hashed_sample_db_copy, settings, encoder):
    db = hashed_sample_db_copy  # the sample, built with the encoder
    settings = settings.replace(frames_file=SAMPLE_SEEDS)  # and with its seeded frames
    before = _snapshot(db)
    assert len(before[0]) > 3 and before[2] > 100
    r = Store.open_read(db)
    seeded_run = r.last_run("seeded")["run_id"]
    r.close()
    second = pipeline.build(db, settings, encoder)
    assert (second.new_passages, second.embedded_texts, second.frames_skipped) == (0, 0, True)
    r = Store.open_read(db)
    # the frames and seeded stages skip on one reading of the embedded passages, the one a scan gives now
    assert r.last_run("seeded")["run_id"] == seeded_run
    fingerprint = r.passage_fingerprint(second.model)
    assert r.last_run("frames")["parameters"]["fingerprint"] == fingerprint
    assert r.last_run("seeded")["parameters"]["fingerprint"] == fingerprint
    # identical passages (syndicated copies) are embedded once
    assert r.query_value("SELECT count(*) FROM embeddings") == r.query_value("SELECT count(DISTINCT text_hash) FROM passages")
    assert r.query_value("SELECT count(*) FROM passages") > r.query_value("SELECT count(*) FROM embeddings")
    r.close()
    after = _snapshot(db)
    pd.testing.assert_frame_equal(before[0], after[0])
    pd.testing.assert_frame_equal(before[1], after[1])


def test_the_encoder_notes_reach_the_build_report(tmp_path, settings, encoder, monkeypatch):
    """What the encoder says about its run (a GPU batch lowered for memory) is among the build's notes."""
    monkeypatch.setattr(encoder, "notes", ["the GPU ran out of memory: batches of 512 texts from now on"],
                        raising=False)
    db = tmp_path / "n.duckdb"
    _ingest(db, settings)
    report = pipeline.build(db, settings, encoder)
    assert report.embedded_texts > 0
    assert "the GPU ran out of memory: batches of 512 texts from now on" in report.notes


@pytest.mark.slow
def test_interrupted_build_resumes_to_the_same_result(tmp_path, settings, encoder, monkeypatch, hashed_sample_db):
    clean, broken = hashed_sample_db, tmp_path / "broken.duckdb"  # clean: the sample built in one go
    settings = load_settings(env={}, db=settings.db, frames_file=SAMPLE_SEEDS)  # with its seeds, as the clean one
    with Store.write(broken) as store:
        ingest_sample(store, settings.max_article_chars)
    monkeypatch.setattr(pipeline, "EMBED_CHUNK", 100)

    def crash(stage, done, total):
        if stage == "embed" and done >= 250:
            raise KeyboardInterrupt("killed mid-embedding")

    with pytest.raises(KeyboardInterrupt):
        pipeline.build(broken, settings, encoder, progress=crash)
    assert has_pending_work(broken)
    resumed = pipeline.build(broken, settings, encoder)
    total = _snapshot(clean)[2]
    assert 0 < resumed.embedded_texts < total  # only what was not committed before the crash
    assert resumed.new_passages == 0
    a, b = _snapshot(clean), _snapshot(broken)
    pd.testing.assert_frame_equal(a[0], b[0])
    pd.testing.assert_frame_equal(a[1], b[1])
    assert a[2] == b[2]


@pytest.mark.slow
def test_a_build_stopped_while_saving_its_stories_resumes_to_the_same_story_ids(tmp_path, settings, encoder,
                                                                               monkeypatch, hashed_sample_db):
    """Stopped after numbering its stories and before writing them, a resumed build numbers them as a build
    that ran in one go (story ids come from committed rows: a sequence moved on in the stopped build)."""
    broken = tmp_path / "broken.duckdb"
    settings = load_settings(env={}, db=settings.db, frames_file=SAMPLE_SEEDS)
    with Store.write(broken) as store:
        ingest_sample(store, settings.max_article_chars)
    save = Store.save_stories

    def stop_once(self, *args, **kwargs):
        monkeypatch.setattr(Store, "save_stories", save)
        raise KeyboardInterrupt("stopped while saving stories")

    monkeypatch.setattr(Store, "save_stories", stop_once)
    with pytest.raises(KeyboardInterrupt):
        pipeline.build(broken, settings, encoder)
    pipeline.build(broken, settings, encoder)

    def stories(db):
        r = Store.open_read(db)
        try:
            return r.query("SELECT story_id, frame_id FROM story_frames ORDER BY ALL")
        finally:
            r.close()

    clean = stories(hashed_sample_db)
    assert len(clean) > 10
    pd.testing.assert_frame_equal(clean, stories(broken))


def test_frames_roll_up_to_articles_and_views_agree(hashed_sample_db, settings):
    r = Store.open_read(hashed_sample_db)
    summary = r.frame_summary()
    fid = int(summary.iloc[0]["frame_id"])
    every = r.frame_articles(fid)
    arts = every[every["stance"] != "rebuts"]  # counts are of the articles that carry the frame
    timeline = r.frame_timeline(fid)
    assert len(arts) == summary.iloc[0]["articles"] == timeline["articles"].sum()
    assert len(every) - len(arts) == summary.iloc[0]["rebuttals"] == timeline["rebuttals"].sum()
    assert arts["outlet"].nunique() == summary.iloc[0]["outlets"]
    first = arts.iloc[0]
    assert first["outlet"] == summary.iloc[0]["first_outlet"] and first["published_at"] == summary.iloc[0]["first_seen"]
    # every frame meets the minimum spread
    assert (summary["articles"] >= settings.min_frame_articles).all()
    assert (summary["outlets"] >= settings.min_frame_outlets).all()
    r.close()


def _split_sample(tmp_path, num: int, den: int):
    """The sample in two files: the first num/den of it by date, and the rest (a later week)."""
    rows = pd.read_json(SAMPLE_PATH, lines=True)
    early, late = tmp_path / "early.jsonl", tmp_path / "late.jsonl"
    cut = rows["published_at"].sort_values().iloc[len(rows) * num // den]
    rows[rows["published_at"] < cut].to_json(early, orient="records", lines=True)
    rows[rows["published_at"] >= cut].to_json(late, orient="records", lines=True)
    return early, late


@pytest.mark.slow
def test_new_articles_keep_frame_ids_and_never_reuse_retired_ones(tmp_path, settings, encoder):
    early, late = _split_sample(tmp_path, 2, 3)
    db = tmp_path / "a.duckdb"
    _ingest(db, settings, early)
    pipeline.build(db, settings, encoder)
    r = Store.open_read(db)
    before = r.frames(include_inactive=True)
    members_before = r.discovered_assignments(encoder.name)
    r.close()

    # A new week joins the existing frames: no frame changes id or loses a passage.
    _ingest(db, settings, late)
    pipeline.build(db, settings, encoder)
    r = Store.open_read(db)
    after = r.frames(include_inactive=True)
    members_after = r.discovered_assignments(encoder.name)
    run = r.last_run("frames")
    r.close()
    assert run["counts"]["mode"] == "incremental" and run["counts"]["joined_existing"] > 0
    assert set(before["frame_id"]) <= set(after[after["status"] == "active"]["frame_id"])
    kept = members_before.merge(members_after, on="passage_id", suffixes=("_before", "_after"))
    assert len(kept) == len(members_before)
    assert (kept["frame_id_before"] == kept["frame_id_after"]).all()
    # Only the new week's passages were placed; what the last run left out stays out until a recluster.
    r = Store.open_read(db)
    late_passages = set(r.query("SELECT passage_id FROM passages JOIN articles USING (article_id) WHERE source_file = ?",
                              [str(late)])["passage_id"])
    r.close()
    # The update added its rows to the stored ones: every discovered frame's article rows are still the roll-up of
    # its passage rows, as a whole write makes them.
    r = Store.open_read(db)
    rolled = r.query("""SELECT p.article_id, pf.frame_id, max(pf.score) AS score, count(*) AS passages
                        FROM passage_frames pf JOIN passages p USING (passage_id) JOIN frames f USING (frame_id)
                        WHERE f.kind = 'discovered' GROUP BY 1, 2 ORDER BY 1, 2""")
    stored = r.query("""SELECT af.article_id, af.frame_id, af.score, af.passages FROM article_frames af
                        JOIN frames f USING (frame_id) WHERE f.kind = 'discovered' ORDER BY 1, 2""")
    r.close()
    pd.testing.assert_frame_equal(stored, rolled, check_dtype=False)
    # The onsets stage wrote only the frames whose rows changed: the tables hold what every frame's rows are now.
    from app.frames import onsets as onset_rules

    r = Store.open_read(db)
    onsets, roles, _ = onset_rules.frame_onsets(r.onset_inputs(), r.own_date_flags())
    kept_onsets = r.query("SELECT * FROM frame_onsets ORDER BY frame_id")
    kept_roles = r.query("SELECT * FROM frame_article_roles ORDER BY frame_id, article_id")
    onset_run = r.last_run("onsets")
    r.close()
    assert onset_run["run_id"] > run["run_id"]  # the onsets stage ran after this update's frames
    pd.testing.assert_frame_equal(kept_onsets, onsets[kept_onsets.columns].sort_values("frame_id")
                                  .reset_index(drop=True), check_dtype=False)
    pd.testing.assert_frame_equal(kept_roles, roles[kept_roles.columns].sort_values(["frame_id", "article_id"])
                                  .reset_index(drop=True), check_dtype=False)
    placed = set(members_after["passage_id"]) - set(members_before["passage_id"])
    assert placed and placed <= late_passages
    assert run["counts"]["considered"] <= len(late_passages)
    new_ids = set(after["frame_id"]) - set(before["frame_id"])
    assert all(i > before["frame_id"].max() for i in new_ids)

    # A full recluster keeps the id of every frame still found, retires the rest, never reuses an id.
    pipeline.build(db, settings, encoder, recluster=True)
    r = Store.open_read(db)
    again = r.frames(include_inactive=True)
    full = r.last_run("frames")["counts"]
    assert full["mode"] == "full"
    r.close()
    # The update read only the new week's passages, and took the corpus figures from what was kept of the rest:
    # the same boilerplate bar and template verdicts as the recluster, which read every passage.
    assert run["counts"]["read"] <= len(late_passages) < run["counts"]["passages"] == full["passages"]
    for figure in ("anchoring_floor", "templates", "template_texts", "template_passages", "quote_shapes"):
        assert run["counts"][figure] == full[figure], figure
    assert full["templates"] > 0 and full["anchoring_floor"] > 0
    kept = set(after["frame_id"]) & set(again[again["status"] == "active"]["frame_id"])
    assert len(kept) >= len(after) // 2
    assert all(i > after["frame_id"].max() for i in set(again["frame_id"]) - set(after["frame_id"]))
    retired = again[again["status"] == "retired"]
    assert set(retired["frame_id"]) <= set(after["frame_id"])


def _ledgers(store):
    lineage = store.query("SELECT * FROM lineage ORDER BY frame_id, to_article")
    evidence = store.query("SELECT * FROM evidence_items ORDER BY frame_id, passage_id")
    return lineage, evidence


def _assert_same_as_a_full_run(store, settings, encoder):
    partial = _ledgers(store)
    pipeline.lineage_stage(store, encoder.name, force=True)
    pipeline.evidence_stage(store, encoder.name, settings, force=True)
    full = _ledgers(store)
    assert len(full[0]) and len(full[1])
    pd.testing.assert_frame_equal(partial[0], full[0])
    pd.testing.assert_frame_equal(partial[1], full[1])


@pytest.mark.slow
def test_lineage_and_evidence_redo_only_the_frames_that_changed(tmp_path, settings, encoder):
    early, late = _split_sample(tmp_path, 4, 5)
    db = tmp_path / "l.duckdb"
    _ingest(db, settings, early)
    pipeline.build(db, settings, encoder)

    # A later week: only the frames it touched are traced and written again, with the result of a full run.
    _ingest(db, settings, late)
    pipeline.build(db, settings, encoder)
    with Store.write(db) as store:
        lineage, evidence = store.last_run("lineage")["counts"], store.last_run("evidence")["counts"]
        assert 0 < lineage["traced"] < lineage["frames"], lineage
        assert 0 < evidence["written"] < evidence["frames"], evidence
        _assert_same_as_a_full_run(store, settings, encoder)
        summary = store.frame_summary()
        a, b = (int(f) for f in summary["frame_id"].iloc[:2])
        store.edit_frame(b, "merge", into=a)

    # A merge by hand changes two frames: one is traced again, the other's rows go.
    pipeline.build(db, settings, encoder)
    with Store.write(db) as store:
        lineage = store.last_run("lineage")["counts"]
        assert lineage["traced"] == 1, lineage
        assert store.query_value("SELECT count(*) FROM lineage WHERE frame_id = ?", [b]) == 0
        assert store.query_value("SELECT count(*) FROM lineage WHERE frame_id = ?", [a]) > 0
        _assert_same_as_a_full_run(store, settings, encoder)

    # A new outlet: only the frames of articles whose text names it are traced again (they may now credit
    # it), not every frame. Its own article is unrelated to every frame.
    with Store.write(db) as store:
        article, text = store.query("SELECT article_id, text FROM articles ORDER BY article_id LIMIT 1").iloc[0]
        named = set(store.query("SELECT frame_id FROM frame_articles WHERE article_id = ?", [article])["frame_id"])
    assert named
    new_outlet = tmp_path / "new-outlet.jsonl"
    pd.DataFrame([{"title": "Garden notes", "text": "Frost is likely on Sunday; cover the seedlings overnight.",
                   "published_at": "2026-04-20T09:00:00Z", "outlet": " ".join(text.split()[3:7]),
                   "url": "https://garden-notes.example/frost"}]).to_json(new_outlet, orient="records", lines=True)
    _ingest(db, settings, new_outlet)
    pipeline.build(db, settings, encoder)
    with Store.write(db) as store:
        lineage, evidence = store.last_run("lineage")["counts"], store.last_run("evidence")["counts"]
        assert len(named) <= lineage["traced"] < lineage["frames"], lineage
        assert evidence["written"] < evidence["frames"], evidence
        _assert_same_as_a_full_run(store, settings, encoder)


class _Renamed:
    """The same vectors under another cache key, as another form of a model would give."""

    def __init__(self, inner, name):
        self.inner, self.name, self.dim = inner, name, inner.dim

    def encode(self, texts):
        return self.inner.encode(texts)


def test_another_form_of_the_model_reembeds_and_keeps_frame_ids(hashed_sample_db_copy, settings, encoder):
    settings = settings.replace(frames_file=SAMPLE_SEEDS)  # the seeds the sample was built with
    db = hashed_sample_db_copy  # built with the encoder
    r = Store.open_read(db)
    summary = r.frame_summary()
    before = set(summary["frame_id"])
    discovered = set(summary[summary["kind"] == "discovered"]["frame_id"])
    texts = r.query_value("SELECT count(*) FROM embeddings WHERE model = ?", [encoder.name])
    r.close()
    assert before and texts > 100

    # Another form of the same model (an int8 export, a newer int8 recipe): every text is embedded again
    # under the new key, the old vectors stay, and the frames found again keep their ids.
    report = pipeline.build(db, settings, _Renamed(encoder, encoder.name + "+int8v2"))
    assert report.embedded_texts == texts and not report.frames_skipped
    r = Store.open_read(db)
    assert set(r.query("SELECT DISTINCT model FROM embeddings")["model"]) == {encoder.name, encoder.name + "+int8v2"}
    after = r.frames(include_inactive=True)
    r.close()
    assert set(after[after["status"] == "active"]["frame_id"]) == before
    assert set(after[after["status"] == "active"]["model"]) == {encoder.name + "+int8v2"}

    # A model in another vector space (a static model) cannot be compared: its discovered frames are new
    # (seeded frames keep their ids, which follow their seed's name).
    pipeline.build(db, settings, _Renamed(encoder, encoder.name + "+static256"))
    r = Store.open_read(db)
    again = r.frames(include_inactive=True)
    r.close()
    active = again[again["status"] == "active"]
    assert len(active) and not set(active[active["kind"] == "discovered"]["frame_id"]) & discovered
    assert set(again[again["frame_id"].isin(discovered)]["status"]) == {"retired"}
    assert set(active[active["kind"] == "seeded"]["frame_id"]) == before - discovered


@pytest.mark.slow
def test_user_edits_survive_a_full_recluster_and_an_incremental_week(tmp_path, settings, encoder):
    from click.testing import CliRunner

    from app.cli import main

    early, late = _split_sample(tmp_path, 3, 4)
    db = tmp_path / "e.duckdb"
    _ingest(db, settings, early)
    pipeline.build(db, settings, encoder)
    r = Store.open_read(db)
    summary = r.frame_summary()
    r.close()
    a, b, c = (int(f) for f in summary["frame_id"].iloc[:3])
    articles_a_b = set()
    r = Store.open_read(db)
    for f in (a, b):
        articles_a_b |= set(r.query("SELECT article_id FROM frame_articles WHERE frame_id = ?", [f])["article_id"])
    r.close()
    run = CliRunner()
    assert run.invoke(main, ["edit", str(a), "--rename", "Soldiers as cannon fodder", "--db", str(db)]).exit_code == 0
    out = run.invoke(main, ["edit", str(b), "--merge-into", str(a), "--db", str(db)])
    assert out.exit_code == 0 and f"frame {b} merged into {a}" in out.output
    assert run.invoke(main, ["edit", str(c), "--retire", "--db", str(db)]).exit_code == 0

    def check(db):
        r = Store.open_read(db)
        try:
            s = r.frame_summary().set_index("frame_id")
            assert s.loc[a, "label"] == "Soldiers as cannon fodder"
            assert b not in s.index and c not in s.index  # merged and retired frames are not listed
            merged = set(r.query("SELECT article_id FROM frame_articles WHERE frame_id = ?", [a])["article_id"])
            return merged, r.frames(include_inactive=True).set_index("frame_id")["status"]
        finally:
            r.close()

    merged, status = check(db)
    assert articles_a_b <= merged  # b's articles count in a
    assert (status[b], status[c]) == ("merged", "hidden")

    # a full recluster (another discovery setting) keeps ids and edits
    reclustered = settings.replace(discovery_iterations=settings.discovery_iterations + 1)
    pipeline.build(db, reclustered, encoder)
    merged2, status2 = check(db)
    assert (status2[b], status2[c]) == ("merged", "hidden")
    # a new week, built incrementally: the frames keep every article and gain the new ones
    _ingest(db, settings, late)
    pipeline.build(db, reclustered, encoder)
    merged3, status3 = check(db)
    assert merged2 < merged3
    assert (status3[b], status3[c]) == ("merged", "hidden")

    out = run.invoke(main, ["edit", str(b), "--restore", "--db", str(db)])
    assert out.exit_code == 0
    r = Store.open_read(db)
    assert b in set(r.frame_summary()["frame_id"])
    r.close()
    hist = run.invoke(main, ["history", str(a), "--db", str(db)])
    assert hist.exit_code == 0
    for event in ("created", "renamed", "merged into"):
        assert event in hist.output
    bad = run.invoke(main, ["edit", str(a), "--merge-into", "999999", "--db", str(db)])
    assert bad.exit_code != 0 and "no frame 999999" in bad.output
