import json
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings as hsettings
from hypothesis import strategies as st

import app.pipeline as pipeline
from app.cli import main
from app.config import SAMPLE_SEEDS
from app.frames.seeded import (Seed, SeedError, describe_rule, literal_matches, load_seeds, phrase_pattern,
                               save_seeds, upsert_seed)
from app.stages.seeded import merge_queues, seeded_stage
from app.store import Store
from tests.test_pipeline import _ingest, _split_sample


@pytest.mark.parametrize("phrase,text,hit", [
    ("cannon fodder", "They were used as Cannon Fodder.", True),
    ("send to die", "Conscripts sent to die, officials said", False),  # 'send' vs 'sent' differ in the stem
    ("human wave", "attacks in human waves across fields", True),
    ("blood offering", "a blood-offering to the president", True),
    ("blood offering", "blood was spilled; an offering", False),
    ("deny", "the ministry denies it", False),
    ("denial", "repeated denials", True),
])
def test_phrase_matching_is_case_and_inflection_tolerant(phrase, text, hit):
    assert bool(phrase_pattern(phrase).search(text)) is hit


SEED_PHRASES = ["cannon fodder", "sent to die", "blood offering", "Istanbul talks", "Süddeutsche", "kill chain",
                "fire and fury"]
TEXT_PIECES = ["cannon", "fodder", "Cannon-fodders", "CANNON FODDER", "sent", "to", "die", "dying", "blood",
               "offerings", "İstanbul", "ıstanbul", "ISTANBUL", "talks", "Süddeutsche", "SÜDDEUTSCHE", "kill",
               "chains", "fire", "and", "fury", "furyſ", "ſent", "cannonball", ",", ".", "\n", " ", "Kelvin \u212a",
               "the", "fodderx", "x" * 30]


@hsettings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.sampled_from(TEXT_PIECES), max_size=12).map(" ".join), max_size=8),
       st.lists(st.sampled_from(SEED_PHRASES), min_size=1, max_size=3, unique=True))
def test_literal_matches_are_what_every_pattern_finds(texts, phrases):
    # A text is searched only when it holds a phrase's longest word stem in lower case: the same texts as a
    # search of every text with every pattern, whatever the case, the "İ", "ı" and "ſ" a case-insensitive
    # expression takes for "i" and "s", and stems of letters other than ASCII.
    plain = np.array([any(phrase_pattern(p).search(t) for p in phrases) for t in texts], dtype=bool)
    assert literal_matches(texts, phrases).tolist() == plain.tolist()


def test_literal_matches_read_texts_a_chunk_at_a_time(monkeypatch):
    import app.frames.seeded as seeded

    monkeypatch.setattr(seeded, "LITERAL_CHUNK", 3)
    texts = ["no", "Cannon fodder here", "none", "x", "they were SENT TO DIE", "", "ſent to die", "cannon"]
    assert literal_matches(texts, ["cannon fodder", "sent to die"]).tolist() == \
        [False, True, False, False, True, False, True, False]
    assert literal_matches([], ["cannon fodder"]).tolist() == []
    assert literal_matches(texts, []).tolist() == [False] * len(texts)


def test_seeds_file_round_trip_and_errors(tmp_path):
    path = tmp_path / "frames.toml"
    upsert_seed(path, Seed("Cannon fodder", ("cannon fodder",), ('A "quoted" example.',), 0.7))
    upsert_seed(path, Seed("Waves", ("human waves",)))
    upsert_seed(path, Seed("cannon FODDER", ("expendable",)))  # same name: replaced
    seeds = load_seeds(path)
    assert [s.name for s in seeds] == ["Waves", "cannon FODDER"]
    assert seeds[1].phrases == ("expendable",)
    path.write_text('[[frame]]\nname = "x"\n')
    with pytest.raises(SeedError, match="at least one phrase or example"):
        load_seeds(path)
    path.write_text('[[frame]]\nname = "x"\nphrases = ["a"]\ncolour = "red"\n')
    with pytest.raises(SeedError, match="unknown key"):
        load_seeds(path)
    path.write_text('[[frame]]\nname = "x"\nphrases = ["a"]\n[[frame]]\nname = "X"\nphrases = ["b"]\n')
    with pytest.raises(SeedError, match="used twice"):
        load_seeds(path)
    assert load_seeds(tmp_path / "missing.toml") == []
    upsert_seed(path.with_name("g.toml"), Seed("Gated", examples=("An example.",), min_passages=2))
    assert load_seeds(path.with_name("g.toml"))[0].min_passages == 2
    for bad in ("0", "1.5", "true"):
        path.write_text(f'[[frame]]\nname = "x"\nphrases = ["a"]\nmin_passages = {bad}\n')
        with pytest.raises(SeedError, match="min_passages must be a whole number"):
            load_seeds(path)


def test_article_gate_keeps_literal_matches_and_well_supported_articles():
    from app.frames.seeded import article_gate

    articles = np.array(["a", "a", "b", "c", "c", "c", "d"])
    how = np.array(["paraphrase", "paraphrase", "paraphrase", "paraphrase", "literal", "paraphrase", "paraphrase"])
    assert article_gate(articles, how, 1).all()
    assert article_gate(articles, how, 2).tolist() == [True, True, False, True, True, True, False]
    assert article_gate(articles, how, 3).tolist() == [False, False, False, True, True, True, False]


def _build(db, settings, encoder):
    return pipeline.build(db, settings, encoder)


def test_seeded_frames_match_keep_ids_and_retire(hashed_sample_db_copy, tmp_path, settings, encoder):
    seeds_file = tmp_path / "frames.toml"
    db = hashed_sample_db_copy  # built with the encoder, no seeds yet
    settings = settings.replace(frames_file=seeds_file, db=db)
    save_seeds(seeds_file, [Seed("Human waves", ("human waves", "wave after wave")),
                            Seed("Satellite", ("satellite images",))])
    report = _build(db, settings, encoder)
    assert report.seeded_frames == 2
    r = Store.open_read(db)
    summary = r.frame_summary()
    seeded = summary[summary["kind"] == "seeded"].set_index("label")
    assert set(seeded.index) == {"Human waves", "Satellite"}
    assert (summary["kind"] == "discovered").any()  # side by side
    waves_id = int(seeded.loc["Human waves", "frame_id"])
    passages = r.query("SELECT passage_id, text FROM passages")
    expected = {pid for pid, t in zip(passages["passage_id"], passages["text"])
                if re.search(r"human\W+waves?|wave\W+after\W+waves?", t, re.I)}
    matched = r.frame_passages(waves_id)
    literal = set(matched[matched["match"] == "literal"]["passage_id"])
    assert literal == expected and expected
    r.close()

    # Rebuild unchanged: skipped. Edit one seed: same id. Remove one: retired, id not reused.
    assert _build(db, settings, encoder).seeded_frames == 2
    save_seeds(seeds_file, [Seed("Human waves", ("human waves",), threshold=0.9)])
    _build(db, settings, encoder)
    r = Store.open_read(db)
    frames = r.frames(include_inactive=True).set_index("seed_name")
    assert int(frames.loc["Human waves", "frame_id"]) == waves_id
    assert frames.loc["Satellite", "status"] == "retired"
    r.close()


def test_seed_command(tmp_path):
    from click.testing import CliRunner

    f = tmp_path / "frames.toml"
    r = CliRunner().invoke(main, ["seed", "Cannon fodder", "--phrase", "cannon fodder", "--example", "Sent to die.",
                                  "--file", str(f)])
    assert r.exit_code == 0, r.output
    assert load_seeds(f)[0].examples == ("Sent to die.",)
    r = CliRunner().invoke(main, ["seed", "Other", "--file", str(f)])
    assert r.exit_code != 0 and "--phrase or --example" in r.output
    r = CliRunner().invoke(main, ["seed", "Cannon fodder", "--remove", "--file", str(f)])
    assert r.exit_code == 0 and load_seeds(f) == []


@pytest.mark.integration
def test_paraphrases_are_found_with_the_real_model(sample_db_copy, settings, tmp_path):
    seeds_file = tmp_path / "frames.toml"
    save_seeds(seeds_file, [Seed("Expendable troops", examples=(
        "Kestria's young conscripts are thrown into Valdoria's war as expendable infantry.",))])
    s = settings.replace(db=sample_db_copy, frames_file=seeds_file)
    pipeline.build(sample_db_copy, s)
    r = Store.open_read(sample_db_copy)
    fid = int(r.frame_summary().query("kind == 'seeded'").iloc[0]["frame_id"])
    matched = r.frame_passages(fid, limit=100_000)
    r.close()
    assert (matched["match"] == "paraphrase").all() and len(matched) > 20
    top = " ".join(matched.sort_values("score", ascending=False)["text"].head(20)).lower()
    assert "cannon fodder" in top  # found by meaning: the seed never says "cannon fodder"
    assert "satellite" not in top

    # Asking for three matching passages keeps exactly the articles that have them.
    per_article = matched.groupby("article_id").size()
    save_seeds(seeds_file, [Seed("Expendable troops", examples=(
        "Kestria's young conscripts are thrown into Valdoria's war as expendable infantry.",), min_passages=3)])
    pipeline.build(sample_db_copy, s)
    r = Store.open_read(sample_db_copy)
    gated = set(r.frame_passages(fid, limit=100_000)["article_id"])
    r.close()
    assert gated == set(per_article[per_article >= 3].index) and 0 < len(gated) < len(per_article)


# -- an update matches only the new articles ----------------------------------------------------------------
SEEDED_TABLES = {
    "passage_frames": ("""SELECT pf.* FROM passage_frames pf JOIN frames f USING (frame_id) WHERE f.kind = 'seeded'""",
                       ["frame_id", "passage_id"]),
    "article_frames": ("""SELECT af.* FROM article_frames af JOIN frames f USING (frame_id) WHERE f.kind = 'seeded'""",
                       ["frame_id", "article_id"]),
    "seed_review": ("SELECT * FROM seed_review", ["frame_id", "article_id"]),
    "frames": ("""SELECT frame_id, label, status, exemplar_passage_id, exemplar_sentence, threshold, match_rule,
                         est_precision FROM frames WHERE kind = 'seeded'""", ["frame_id"]),
    "seed_rules": ("SELECT * FROM seed_rules", ["frame_id"]),
}


def _seeded_tables(store) -> dict[str, pd.DataFrame]:
    return {name: store.query(sql).sort_values(keys).reset_index(drop=True)
            for name, (sql, keys) in SEEDED_TABLES.items()}


@pytest.mark.slow
def test_an_update_matches_only_the_new_articles_and_equals_matching_every_passage(tmp_path, settings, encoder):
    seeds_file = tmp_path / "frames.toml"
    save_seeds(seeds_file, [*load_seeds(SAMPLE_SEEDS, reviewed=False), Seed("Human waves", ("human waves",))])
    settings = settings.replace(frames_file=seeds_file)
    early, late = _split_sample(tmp_path, 2, 3)
    db = tmp_path / "s.duckdb"
    _ingest(db, settings, early)
    pipeline.build(db, settings, encoder)
    with Store.write(db) as store:
        assert store.last_run("seeded")["counts"]["mode"] == "full"
        first = _seeded_tables(store)
        # frames with and without a learned rule written together: the one without has no combine rule (NULL)
        assert store.query_value("""SELECT match_combine IS NULL FROM frames WHERE seed_name = 'Human waves'""")
        fitted = first["seed_rules"]
    assert len(fitted) == 2  # the sample's two seeds with examples learned rules; "Human waves" has none

    with Store.write(db) as store:
        earlier = store.query_value("SELECT count(*) FROM passages")
    _ingest(db, settings, late)
    # An update interrupted after it wrote the week's matches, before its review queues and its run's end: the
    # build after it decides those articles again, as if it had not been.
    with Store.write(db) as store:
        pipeline.segment_stage(store, settings)
        pipeline.copies_stage(store, settings)
        pipeline.embed_stage(store, encoder.name, lambda: encoder, settings.batch_size)
        pipeline.frames_stage(store, encoder.name, settings)

        def interrupted(queue):
            raise KeyboardInterrupt

        store.save_seed_review, keep = interrupted, store.save_seed_review
        with pytest.raises(KeyboardInterrupt):
            seeded_stage(store, encoder.name, lambda: encoder, settings)
        store.save_seed_review = keep
        assert store.query_value("SELECT count(*) FROM passage_frames pf JOIN passages p USING (passage_id) "
                                 "JOIN frames f USING (frame_id) WHERE f.kind = 'seeded'") > len(first["passage_frames"])
    pipeline.build(db, settings, encoder)
    with Store.write(db) as store:
        counts = store.last_run("seeded")["counts"]
        # only the new articles' passages were read
        assert counts["mode"] == "update" and counts["fitted"] == 0
        assert 0 < counts["read"] == store.query_value("SELECT count(*) FROM passages") - earlier
        updated = _seeded_tables(store)
        # the rules were kept, not fitted again on a background drawn from a larger archive
        pd.testing.assert_frame_equal(updated["seed_rules"], fitted)
        assert updated["passage_frames"]["passage_id"].isin(
            store.query("SELECT passage_id FROM passages")["passage_id"]).all()
        # every passage matched again, the rules kept: the same rows
        seeded_stage(store, encoder.name, lambda: encoder, settings, force=True)
        assert store.last_run("seeded")["counts"]["mode"] == "full"
        every = _seeded_tables(store)
    for name in SEEDED_TABLES:
        pd.testing.assert_frame_equal(updated[name], every[name], obj=name)
    # the update found matches among the new articles, and some of them are nearer the boundary than before
    assert len(updated["passage_frames"]) > len(first["passage_frames"])
    assert not set(updated["seed_review"]["article_id"]) <= set(first["seed_review"]["article_id"])


def test_an_edited_seed_or_a_changed_passage_matches_every_passage_again(hashed_sample_db_copy, tmp_path,
                                                                         settings, encoder):
    db = hashed_sample_db_copy
    seeds_file = tmp_path / "frames.toml"
    save_seeds(seeds_file, [Seed("Human waves", ("human waves",))])
    settings = settings.replace(frames_file=seeds_file, db=db)
    pipeline.build(db, settings, encoder)
    with Store.write(db) as store:
        assert store.last_run("seeded")["counts"]["mode"] == "full"
        # a passage's text changed (no article added): every passage again
        store.conn.execute("UPDATE passages SET text_hash = (SELECT min(text_hash) FROM embeddings) "
                           "WHERE passage_id = (SELECT min(passage_id) FROM passages)")
        assert not seeded_stage(store, encoder.name, lambda: encoder, settings)[1]
        assert store.last_run("seeded")["counts"]["mode"] == "full"
    save_seeds(seeds_file, [Seed("Human waves", ("human waves", "wave after wave"))])
    pipeline.build(db, settings, encoder)
    with Store.write(db) as store:
        assert store.last_run("seeded")["counts"]["mode"] == "full"


def test_merged_review_queues_are_the_nearest_of_both():
    stored = pd.DataFrame({"frame_id": 1, "article_id": ["a", "c", "e"], "passage_id": ["a:1", "c:1", "e:1"],
                           "score": np.float32([0.50, 0.58, 0.70]), "threshold": np.float32(0.55),
                           "matched": [False, True, True]})
    new = pd.DataFrame({"frame_id": 1, "article_id": ["b", "d"], "passage_id": ["b:1", "d:1"],
                        "score": np.float32([0.60, 0.52]), "threshold": np.float32(0.55), "matched": [True, False]})
    merged = merge_queues(stored, new, 0.55, 1, size=3)
    assert merged["article_id"].tolist() == ["c", "d", "a"]  # 0.03, 0.03 (ties by article id: c < d), 0.05
    assert merge_queues(None, new.iloc[:0], 0.55, 1).empty


def test_learned_rules_are_fitted_when_their_seed_changes_or_when_asked(tmp_path, settings, encoder):
    db = tmp_path / "r.duckdb"
    settings = settings.replace(frames_file=SAMPLE_SEEDS, db=db)
    _ingest(db, settings)
    pipeline.build(db, settings, encoder)
    with Store.write(db) as store:
        assert store.last_run("seeded")["counts"]["fitted"] == 2
        rules = store.query("SELECT * FROM seed_rules ORDER BY frame_id")
        # matched again (forced), the seeds unchanged: the same rules, none fitted
        assert not seeded_stage(store, encoder.name, lambda: encoder, settings, force=True)[1]
        assert store.last_run("seeded")["counts"]["fitted"] == 0
        pd.testing.assert_frame_equal(store.query("SELECT * FROM seed_rules ORDER BY frame_id"), rules)
        # each rule keeps the archive's size when it was fitted (its background was drawn from those passages)
        passages = store.query_value("SELECT count(*) FROM passages")
        assert set(rules["fitted_passages"]) == {passages} and rules["fitted_at"].notna().all()
        # an archive that grew threefold since (made so here): the build, status and the Frames page say so
        store.conn.execute("UPDATE seed_rules SET fitted_passages = fitted_passages // 3")
        outgrown = store.editable_frames().query("rule == 'learned'")
    assert all("fitted on" in describe_rule(row) and f"of today's {passages:,} passages" in describe_rule(row)
               for _, row in outgrown.iterrows())
    from click.testing import CliRunner

    status = json.loads(CliRunner().invoke(main, ["status", "--db", str(db)]).output)
    stale = status["learned_rules_fitted_on_a_smaller_archive"]
    assert len(stale) == 2 and {r["passages_now"] for r in stale} == {passages}
    report = pipeline.build(db, settings, encoder)
    notes = [n for n in report.notes if "--refit-seeds" in n]
    assert len(notes) == 2 and all(f"now holds {passages:,} (3.0x)" in n for n in notes), report.notes
    with Store.write(db) as store:  # a rule fitted before its size was recorded: nothing said of it
        store.conn.execute("UPDATE seed_rules SET fitted_passages = NULL WHERE frame_id = (SELECT min(frame_id) "
                           "FROM seed_rules)")
    result = CliRunner().invoke(main, ["status", "--db", str(db)])
    assert result.exit_code == 0, (result.output, result.exception)
    assert len(json.loads(result.output)["learned_rules_fitted_on_a_smaller_archive"]) == 1
    pipeline.build(db, settings, encoder, refit_seeds=True)  # asked: fitted again, on the passages as they are
    with Store.write(db) as store:
        counts = store.last_run("seeded")["counts"]
        assert (counts["fitted"], counts["mode"]) == (2, "full")
        assert set(store.query("SELECT fitted_passages FROM seed_rules")["fitted_passages"]) == {passages}
    report = pipeline.build(db, settings, encoder)
    assert not [n for n in report.notes if "--refit-seeds" in n]
    assert describe_rule({"rule": "learned", "est_precision": 0.9, "fitted_passages": None, "passages_now": 10}) == \
        "learned from examples, precision about 90% on them"  # a rule fitted before its size was recorded

    assert "--refit-seeds" in CliRunner().invoke(main, ["build", "--help"]).output


# -- a build without a seeds file keeps the seeded frames ---------------------------------------------------
KEPT_TABLES = {
    **SEEDED_TABLES,
    "evidence_items": ("""SELECT e.* FROM evidence_items e JOIN frames f USING (frame_id) WHERE f.kind = 'seeded'""",
                       ["frame_id", "passage_id"]),
    "seeded_runs": ("SELECT run_id, parameters, counts FROM runs WHERE stage = 'seeded'", ["run_id"]),
}


def _kept_tables(db) -> dict[str, pd.DataFrame]:
    r = Store.open_read(db)
    try:
        return {name: r.query(sql).sort_values(keys).reset_index(drop=True)
                for name, (sql, keys) in KEPT_TABLES.items()}
    finally:
        r.close()


@pytest.mark.parametrize("seeds", ["empty", "other"])
def test_a_build_without_a_seeds_file_keeps_the_seeded_frames(hashed_sample_db_copy, tmp_path, settings, encoder,
                                                              seeds):
    from click.testing import CliRunner

    from tests.conftest import HASHED_MODEL

    db = hashed_sample_db_copy  # built with the sample's seeds
    before = _kept_tables(db)
    sample_ids = set(before["frames"]["frame_id"])
    assert len(sample_ids) >= 2 and set(before["frames"]["status"]) == {"active"}
    assert len(before["passage_frames"]) and len(before["evidence_items"]) and len(before["seed_rules"])
    seeds_file = tmp_path / "frames.toml"
    assert not seeds_file.exists()
    result = CliRunner().invoke(main, ["build", "--db", str(db), "--model", HASHED_MODEL],
                                env={"NARRATIVES_FRAMES_FILE": str(seeds_file)}, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    notes = [line for line in result.output.splitlines() if "seeds file" in line]
    assert notes == [f"note: no seeds file at {seeds_file}: the database's {len(sample_ids)} seeded frames are kept "
                     f"as they were, and no passage is matched against them; set frames_file to their seeds file to "
                     f"match them, or build with an empty {seeds_file} to retire them"], result.output
    # the frames, their matches, memberships, rules, review queues and evidence as they were; no seeded run
    after = _kept_tables(db)
    for name in KEPT_TABLES:
        pd.testing.assert_frame_equal(before[name], after[name], obj=name)

    # A seeds file that exists decides as before: a frame whose seed is not in it is retired.
    save_seeds(seeds_file, [] if seeds == "empty" else [Seed("Satellite", ("satellite images",))])
    report = pipeline.build(db, settings.replace(frames_file=seeds_file, db=db), encoder)
    assert not [n for n in report.notes if "seeds file" in n]
    retired = _kept_tables(db)
    frames = retired["frames"].set_index("frame_id")
    assert set(frames.loc[sorted(sample_ids), "status"]) == {"retired"}
    assert set(frames.loc[~frames.index.isin(sample_ids), "label"]) == (set() if seeds == "empty" else {"Satellite"})
    for name in ("passage_frames", "article_frames", "evidence_items"):
        assert not retired[name]["frame_id"].isin(sample_ids).any(), name
    assert len(retired["seeded_runs"]) == len(before["seeded_runs"]) + 1
    # the file gone again: what is active then is kept (nothing, once an empty file retired every frame)
    seeds_file.unlink()
    notes = [n for n in pipeline.build(db, settings.replace(frames_file=seeds_file, db=db), encoder).notes
             if "seeds file" in n]
    assert notes == ([] if seeds == "empty" else [
        f"no seeds file at {seeds_file}: the database's 1 seeded frame is kept as it was, and no passage is matched "
        f"against it; set frames_file to its seeds file to match it, or build with an empty {seeds_file} to retire it"])
    pd.testing.assert_frame_equal(_kept_tables(db)["frames"], retired["frames"])


@pytest.mark.slow
def test_a_build_with_the_seeds_file_after_one_without_it_updates_as_if_that_one_had_not_run(tmp_path, settings,
                                                                                              encoder):
    seeds_file = tmp_path / "frames.toml"
    save_seeds(seeds_file, [*load_seeds(SAMPLE_SEEDS, reviewed=False), Seed("Human waves", ("human waves",))])
    early, late = _split_sample(tmp_path, 2, 3)
    db = tmp_path / "s.duckdb"
    with_seeds = settings.replace(frames_file=seeds_file, db=db)
    _ingest(db, with_seeds, early)
    pipeline.build(db, with_seeds, encoder)
    first = _kept_tables(db)
    with Store.write(db) as store:
        earlier = store.query_value("SELECT count(*) FROM passages")
    # a week added while the seeds file is elsewhere: the seeded frames keep their rows, none for the new articles
    _ingest(db, with_seeds, late)
    report = pipeline.build(db, with_seeds.replace(frames_file=tmp_path / "elsewhere" / "frames.toml"), encoder)
    assert report.seeded_frames == 0 and [n for n in report.notes if "no seeds file at" in n]
    kept = _kept_tables(db)
    for name in SEEDED_TABLES:
        pd.testing.assert_frame_equal(first[name], kept[name], obj=name)
    pd.testing.assert_frame_equal(first["seeded_runs"], kept["seeded_runs"])
    # the seeds file back: the new articles' passages alone are matched, as if the build without it had not run
    assert pipeline.build(db, with_seeds, encoder).seeded_frames == len(load_seeds(seeds_file))
    with Store.write(db) as store:
        counts = store.last_run("seeded")["counts"]
        assert (counts["mode"], counts["fitted"], counts["retired"]) == ("update", 0, 0)
        assert 0 < counts["read"] == store.query_value("SELECT count(*) FROM passages") - earlier
        updated = _seeded_tables(store)
        seeded_stage(store, encoder.name, lambda: encoder, with_seeds, force=True)  # every passage matched again
        every = _seeded_tables(store)
    for name in SEEDED_TABLES:
        pd.testing.assert_frame_equal(updated[name], every[name], obj=name)
    assert len(updated["passage_frames"]) > len(first["passage_frames"])
