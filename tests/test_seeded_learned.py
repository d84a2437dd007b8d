"""Learned matching for seeded frames: the rule, the examples' formats, the build, the command."""

import numpy as np
import pytest

import app.pipeline as pipeline
from app.cli import main
from app.frames.learned import best_threshold, combine_logits, fit_rule
from app.frames.seeded import (Example, Seed, SeedError, add_reviewed, boundary_queue, examples_file, load_seeds,
                               read_examples_csv, save_seeds, upsert_seed)
from app.store import Store


def _cloud(rng, centre, n, spread=0.35):
    v = centre + spread * rng.standard_normal((n, len(centre)))
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def test_fit_rule_learns_a_threshold_and_estimates_precision_out_of_fold():
    rng = np.random.default_rng(1)
    a, b = np.eye(16)[0], np.eye(16)[1]
    ins, outs = _cloud(rng, a, 12), _cloud(rng, b, 12)
    rule = fit_rule([v[None] for v in [*ins, *outs]], np.r_[np.ones(12), np.zeros(12)], combine="max")
    assert rule is not None and 0 < rule.threshold < 1
    assert rule.precision > 0.9 and rule.recall > 0.9 and (rule.examples_in, rule.examples_out) == (12, 12)
    fresh_in, fresh_out = _cloud(rng, a, 20), _cloud(rng, b, 20)
    assert (rule.passage_scores(fresh_in) >= rule.threshold).mean() > 0.9
    assert (rule.passage_scores(fresh_out) < rule.threshold).mean() > 0.9
    # Too few examples on a side: no learned rule (the phrase rule stays).
    assert fit_rule([v[None] for v in [*ins[:5], outs[0]]], np.r_[np.ones(5), np.zeros(1)]) is None


def test_background_passages_count_out_but_not_in_the_precision_estimate():
    rng = np.random.default_rng(2)
    a, b, c = np.eye(16)[0], np.eye(16)[1], np.eye(16)[2]
    ins, outs = _cloud(rng, a, 4), _cloud(rng, b, 4)
    background = _cloud(rng, c, 60)
    rule = fit_rule([v[None] for v in [*ins, *outs]], np.r_[np.ones(4), np.zeros(4)], background=background)
    assert (rule.examples_in, rule.examples_out) == (4, 4)  # the background is not an example
    assert (rule.passage_scores(background) < rule.threshold).mean() > 0.9


def test_combine_rules_and_threshold():
    logits = np.array([1.0, 3.0, 2.0, -1.0, 0.5, 4.0, 0.0])
    owner = np.array([0, 0, 0, 1, 2, 2, 2])
    assert combine_logits(logits, owner, 4, "max").tolist()[:3] == [3.0, -1.0, 4.0]
    assert np.isneginf(combine_logits(logits, owner, 4, "max")[3])
    assert np.allclose(combine_logits(logits, owner, 3, "mean"), [2.0, -1.0, 1.5])
    big = np.r_[logits, 10.0]
    assert np.allclose(combine_logits(big, np.r_[owner, 0], 3, "top3"), [(10 + 3 + 2) / 3, -1.0, 1.5])
    with pytest.raises(ValueError, match="unknown combine"):
        combine_logits(logits, owner, 3, "sum")
    threshold, precision, recall = best_threshold(np.array([0.9, 0.8, 0.4, 0.3]), np.array([1, 1, 0, 0]))
    assert 0.4 < threshold < 0.8 and precision == recall == 1.0


def test_seeds_file_examples_round_trip_and_errors(tmp_path):
    path = tmp_path / "frames.toml"
    seed = Seed("Cannon fodder", ("cannon fodder",), (), labelled=(
        Example("in", text='Men "spent" like ammunition.'), Example("out", url="https://example.org/a?b=1")),
        combine="mean")
    upsert_seed(path, seed)
    assert load_seeds(path) == [seed]
    assert "[[frame.example]]" in path.read_text()
    for body, message in (
            ('[[frame.example]]\ntext = "x"\nlabel = "maybe"\n', 'label must be "in" or "out"'),
            ('[[frame.example]]\ntext = "x"\nurl = "https://a.b/"\nlabel = "in"\n', "either text or url, not both"),
            ('[[frame.example]]\nurl = "javascript:alert(1)"\nlabel = "in"\n', "not an http"),
            ('[[frame.example]]\nlabel = "in"\n', "either text or url")):
        path.write_text('[[frame]]\nname = "x"\nphrases = ["a"]\n\n' + body)
        with pytest.raises(SeedError, match=message) as err:
            load_seeds(path)
        assert "frame 1 ('x') example 1" in str(err.value)
    path.write_text('[[frame]]\nname = "x"\nphrases = ["a"]\ncombine = "sum"\n')
    with pytest.raises(SeedError, match="combine must be one of"):
        load_seeds(path)
    # Examples alone make a seed (an example in the frame is enough to name it).
    path.write_text('[[frame]]\nname = "x"\n[[frame.example]]\ntext = "y"\nlabel = "in"\n')
    assert load_seeds(path)[0].labelled == (Example("in", text="y"),)


def test_reviewed_examples_live_beside_the_seeds_file_and_win(tmp_path):
    path = tmp_path / "frames.toml"
    save_seeds(path, [Seed("Waves", ("human waves",), labelled=(Example("in", text="A"),))])
    add_reviewed(path, "waves", Example("out", text="A"))  # a review overrides the file's label
    add_reviewed(path, "Waves", Example("in", text="B, with a comma\nand a line"))
    add_reviewed(path, "Waves", Example("in", text="B, with a comma\nand a line"))  # once
    assert examples_file(path).name == "frames.examples.csv"
    assert load_seeds(path)[0].labelled == (Example("out", text="A"), Example("in", text="B, with a comma\nand a line"))
    assert load_seeds(path, reviewed=False)[0].labelled == (Example("in", text="A"),)


def test_examples_csv_names_bad_rows_and_keeps_good_ones():
    good, bad = read_examples_csv("text,url,label\nfine,,in\n,,out\nx,,perhaps\n,https://a.b/c,out\ny,,in,extra\n",
                                  "ex.csv")
    assert [e for _, e in good] == [Example("in", text="fine"), Example("out", url="https://a.b/c")]
    assert [m.split(":")[0] for m in bad] == ["ex.csv row 3", "ex.csv row 4", "ex.csv row 6"]
    assert read_examples_csv("foo,bar\n1,2\n", "ex.csv")[1][0].startswith("ex.csv: needs a header")


def test_seed_examples_command_keeps_good_rows_and_exits_1_on_bad(tmp_path):
    from click.testing import CliRunner

    seeds, csv_file = tmp_path / "frames.toml", tmp_path / "ex.csv"
    csv_file.write_text("text,label\nSoldiers spent like ammunition.,in\nA trade deal.,out\n,in\nA denial.,OUT\n")
    result = CliRunner().invoke(main, ["seed", "Cannon fodder", "--phrase", "cannon fodder", "--examples", str(csv_file),
                                       "--file", str(seeds)])
    assert result.exit_code == 1
    assert "row 4" in result.output and "3 example(s) added" in result.output
    seed = load_seeds(seeds)[0]
    assert seed.phrases == ("cannon fodder",)
    assert [(e.label, e.text) for e in seed.labelled] == [
        ("in", "Soldiers spent like ammunition."), ("out", "A trade deal."), ("out", "A denial.")]
    # Changing the phrases later keeps the examples.
    assert CliRunner().invoke(main, ["seed", "Cannon fodder", "--phrase", "fodder", "--file", str(seeds)]).exit_code == 0
    assert load_seeds(seeds)[0].phrases == ("fodder",) and len(load_seeds(seeds)[0].labelled) == 3
    csv_file.write_text("text,label\nMore.,in\n")
    result = CliRunner().invoke(main, ["seed", "Cannon fodder", "--examples", str(csv_file), "--file", str(seeds)])
    assert result.exit_code == 0 and len(load_seeds(seeds)[0].labelled) == 4
    assert load_seeds(seeds)[0].phrases == ("fodder",)  # kept


def test_boundary_queue_is_nearest_first_and_leaves_literal_matches_out():
    articles = np.array(["a", "a", "b", "c", "d"])
    passages = np.array(["a:0", "a:1", "b:0", "c:0", "d:0"])
    scores = np.array([0.2, 0.58, 0.7, 0.61, 0.9])
    literal = np.array([False, False, False, False, True])
    q = boundary_queue(articles, passages, scores, None, 0.6, literal, size=3)
    assert q["article_id"].tolist() == ["c", "a", "b"] and q["passage_id"].tolist() == ["c:0", "a:1", "b:0"]
    assert q["matched"].tolist() == [True, False, True]


def test_sample_ships_seeded_frames_that_learned_from_examples(hashed_sample_db):
    r = Store.open_read(hashed_sample_db)
    rules = r.query("SELECT * FROM seeded_frame_rules WHERE status = 'active'").set_index("label")
    assert set(rules.index) == {"cannon fodder", "blood offering"}
    assert (rules["match_rule"] == "learned").all() and rules["est_precision"].between(0, 1).all()
    assert (rules["examples_in"] >= 2).all() and (rules["examples_out"] >= 2).all()
    summary = r.frame_summary()
    assert {"seeded", "discovered"} <= set(summary["kind"])  # side by side on the first screen
    how = r.query("""SELECT DISTINCT f.label, pf.match FROM frame_passages pf JOIN frames f USING (frame_id)
                     WHERE f.kind = 'seeded'""")
    assert set(how["match"]) == {"literal", "learned"}
    assert len(r.query("SELECT * FROM seed_review")) > 0


@pytest.mark.integration
def test_learned_sample_frames_find_their_written_articles(sample_db):
    """With the real model, each sample seed's learned rule finds the articles told in its written frame."""
    import importlib.util

    from app.config import DATA_DIR

    spec = importlib.util.spec_from_file_location("generate", DATA_DIR / "sample" / "generate.py")
    generate = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generate)
    r = Store.open_read(sample_db)
    articles = r.query("SELECT article_id, title, text FROM articles")
    for seed, key in (("cannon fodder", "cannon"), ("blood offering", "tribute")):
        truth = {a for a, t, x in zip(articles["article_id"], articles["title"], articles["text"])
                 if t in generate.FRAMES[key]["titles"] or any(lead in x for lead in generate.FRAMES[key]["lead"])}
        got = set(r.query("""SELECT article_id FROM frame_articles JOIN frames USING (frame_id)
                             WHERE kind = 'seeded' AND label = ?""", [seed])["article_id"])
        tp = len(truth & got)
        precision, recall = tp / max(len(got), 1), tp / len(truth)
        assert 2 * precision * recall / (precision + recall) > 0.85, (seed, precision, recall)
        # The claim a reader takes from the frame: who told it first, and when. The generator wrote each frame's
        # first article by one outlet, on the frame's first day.
        first = r.query("""SELECT first_outlet, first_seen FROM frame_summary WHERE kind = 'seeded' AND label = ?""",
                        [seed]).iloc[0]
        written = r.query("""SELECT min(published_at) AS day FROM articles WHERE article_id IN
                             (SELECT unnest(?::VARCHAR[]))""", [sorted(truth)]).iloc[0]
        assert first["first_outlet"] == generate.FRAME_FIRST[key], (seed, first)
        assert first["first_seen"] == written["day"], (seed, first, written)


def test_url_examples_are_their_articles_and_missing_ones_are_named(hashed_sample_db_copy, tmp_path, settings,
                                                                    encoder):
    db = hashed_sample_db_copy
    r = Store.open_read(db)
    urls = r.query("""SELECT a.url FROM articles a WHERE a.title ILIKE '%human wave%' ORDER BY a.url LIMIT 2""")["url"]
    others = r.query("""SELECT a.url FROM articles a WHERE a.title ILIKE '%denies%' ORDER BY a.url LIMIT 2""")["url"]
    r.close()
    seeds_file = tmp_path / "frames.toml"
    save_seeds(seeds_file, [Seed("Waves", ("human waves",), labelled=(
        *(Example("in", url=u) for u in urls), *(Example("out", url=u) for u in others),
        Example("out", url="https://nowhere.example/gone"), Example("out", text="Officials denied it all.")))])
    pipeline.build(db, settings.replace(frames_file=seeds_file, db=db), encoder)
    r = Store.open_read(db)
    rule = r.query("SELECT * FROM seeded_frame_rules WHERE label = 'Waves'").iloc[0]
    counts = r.last_run("seeded")["counts"]
    r.close()
    # phrases count in; the two found urls in, two found out plus the text out; the missing url left out, named
    assert rule["match_rule"] == "learned" and (rule["examples_in"], rule["examples_out"]) == (3, 3)
    assert counts["examples_not_found"] == ["Waves: https://nowhere.example/gone"]


def test_first_start_copies_the_sample_seeds_only_when_there_is_no_seeds_file(tmp_path):
    from app.config import SAMPLE_SEEDS
    from app.frames.seeded import start_from_sample

    target = tmp_path / "sub" / "frames.toml"
    assert start_from_sample(target) and target.read_text() == SAMPLE_SEEDS.read_text()
    target.write_text('[[frame]]\nname = "mine"\nphrases = ["x"]\n')
    assert not start_from_sample(target) and "mine" in target.read_text()
