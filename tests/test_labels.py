"""Frame labels: one verbatim, distinctive phrase per frame, unique among active frames, never a stop-word
fragment, chosen with diversity; the sentence beside it; the label-quality check."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from app.frames.labels import (label_clusters, label_quality, lemma_phrase, lemma_word, normalise, occurs,
                               occurs_inflected, sentence_with, stop_word_fragment, taken_labels)
from app.store import Store


def _label(texts_by_cluster: dict[int, list[str]], background: list[str] = (), **kw):
    texts, labels = [], []
    for c, texts_c in texts_by_cluster.items():
        texts += texts_c
        labels += [c] * len(texts_c)
    texts += list(background)
    labels += [-1] * len(background)
    return label_clusters(texts, np.array(labels), **kw)


BACKGROUND = ["The weather was fine on the coast.", "Markets closed higher on the day.",
              "A new bridge opened in the capital.", "The weather report said rain."]


def test_a_label_occurs_verbatim_in_its_frame_in_the_case_it_is_written():
    frames = {0: ["Officials said the Kestrian conscripts were cannon fodder, nothing more.",
                  "Critics called them cannon fodder for Valdoria's war.",
                  "They are cannon fodder, a defector said."],
              1: ["Satellite images showed tents at the Dorsk range.",
                  "New satellite images of the Dorsk range were released.",
                  "The satellite images, taken on Monday, show trains."]}
    out = _label(frames, BACKGROUND)
    assert out[0].label == "cannon fodder"
    assert out[1].label in {"satellite images", "Dorsk range"}
    for c, found in out.items():
        assert any(occurs(found.label, t) for t in frames[c])
        # the label is written as the passages write it
        assert any(found.label in t for t in frames[c])


def test_a_phrase_never_spans_punctuation():
    # "fodder troops" recurs only across a sentence end: it is no phrase of the text.
    frames = {0: ["They were used as fodder. Troops then moved north.", "Used as fodder. Troops moved again.",
                  "Fodder. Troops were seen."]}
    out = _label(frames, BACKGROUND)
    assert normalise(out[0].label) != "fodder troops"
    assert any(occurs(out[0].label, t) for t in frames[0])
    assert not occurs("fodder troops", frames[0][0])
    assert occurs("robert mueller", "Robert Mueller's report") and not occurs("mexico", "the ex-Mexico text")


def test_no_two_frames_share_a_label_nor_one_another_frame_shows():
    # Both clusters are told with the same stock phrase; the smaller takes its next-best phrase.
    same = "Critics call the troops cannon fodder"
    frames = {0: [f"{same} and blood tribute.", f"{same}, a blood tribute.", f"{same} in the war.",
                  f"{same} today."],
              1: [f"{same} sent by the marshal.", f"{same}, sent by the marshal.", f"{same} again."]}
    out = _label(frames, BACKGROUND)
    assert normalise(out[0].label) != normalise(out[1].label)
    assert all(any(occurs(out[c].label, t) for t in frames[c]) for c in frames)
    # A name a user gave another frame (a rename, a seed) is taken too.
    again = _label(frames, BACKGROUND, taken={normalise(out[0].label), "Sent by the marshal"})
    shown = {normalise(again[0].label), normalise(again[1].label)}
    assert len(shown) == 2 and not shown & {normalise(out[0].label), "sent by the marshal"}


def test_when_every_phrase_is_taken_a_word_tells_frames_apart_never_a_bare_number():
    frames = {0: ["cannon fodder", "cannon fodder"], 1: ["cannon fodder", "cannon fodder"]}
    out = _label(frames, taken={"cannon", "fodder"})
    labels = [out[0].label, out[1].label]
    assert len({normalise(x) for x in labels}) == 2
    assert not any(re.search(r"\d\)?$", x) for x in labels)
    assert not any(normalise(x) in {"cannon", "fodder"} for x in labels)


def test_frames_of_passages_with_no_word_are_labelled_by_their_start():
    # Separator lines long enough to be passages ("* * *", rows of dashes) make frames of their own on a large
    # corpus: labelling them must not fail, and two of them still get two labels.
    texts = ["— … — … — … —", "— … — … — … —", "• • • • • • •", "• • • • • • •",
             "The army said the troops had moved north today.", "Another passage about something else entirely."]
    out = label_clusters(texts, np.array([0, 0, 1, 1, -1, -1]))
    assert out[0].label == "— … — … — … —" and out[1].label == "• • • • • • • (another)", out


def test_no_label_starts_or_ends_with_a_stop_word():
    # The commonest n-grams are stop-word fragments ("of the", "said the", "it was").
    frames = {0: ["It was said that the army of the north said the bridge fell.",
                  "It was said the army of the north held the bridge.",
                  "Officials said the army of the north lost the bridge, it was said."]}
    out = _label(frames, BACKGROUND)
    assert not stop_word_fragment(out[0].label), out[0].label
    assert "north" in normalise(out[0].label) or "bridge" in normalise(out[0].label)
    for label in ["of the", "said the army", "the army", "army of the", "it was", "Tuesday", "on"]:
        assert stop_word_fragment(label), label
    for label in ["army of the north", "cannon fodder", "fire and fury", "Kestria's border"]:
        assert not stop_word_fragment(label), label


def test_a_label_is_not_cut_before_the_word_that_always_follows():
    # "Special Counsel Robert" is always followed by "Mueller": a label never stops there.
    frames = {0: [f"Special Counsel Robert Mueller {x}." for x in ["spoke", "testified", "wrote", "left"]]
              + ["Robert Mueller's report was out.", "Robert Mueller declined."]}
    out = _label(frames, BACKGROUND + ["Robert Mueller was seen."])
    assert not normalise(out[0].label).endswith("robert"), out[0].label


def test_labels_are_chosen_with_diversity_against_other_frames():
    # Frame 1's best phrase on its own ("cannon fodder story") repeats frame 0's label; a nearly as good
    # phrase of its own ("blood tribute") is chosen instead.
    frames = {0: ["Cannon fodder.", "Cannon fodder!", "Cannon fodder?", "Cannon fodder...", "Cannon fodder;"],
              1: [f"Cannon fodder story; a blood tribute {x}." for x in ["now", "again", "today", "there"]]}
    out = _label(frames, BACKGROUND)
    assert normalise(out[0].label) == "cannon fodder"
    assert normalise(out[1].label) == "blood tribute"
    alone = _label({1: frames[1]}, BACKGROUND)
    assert normalise(alone[1].label) == "cannon fodder story"


def test_the_sentence_beside_a_label_is_from_the_passage_closest_to_the_centre():
    frames = {0: ["Intro line. The army called it a blood tribute to Vell. More follows.",
                  "A blood tribute, critics say. Then other news.",
                  "Blood tribute again."]}
    texts = frames[0] + BACKGROUND
    labels = np.array([0, 0, 0, -1, -1, -1, -1])
    scores = np.array([0.6, 0.9, 0.7, 0, 0, 0, 0])
    out = label_clusters(texts, labels, scores=scores)
    assert normalise(out[0].label) == "blood tribute"
    assert out[0].sentence == "A blood tribute, critics say."
    assert sentence_with("Sen. Jane Doe of the U.S. Senate denied it. She called it fodder!", "fodder") == \
        "She called it fodder!"
    assert sentence_with("Sen. Jane Doe of the U.S. Senate denied it. Then more.", "Jane Doe") == \
        "Sen. Jane Doe of the U.S. Senate denied it."


def test_taken_labels_are_user_names_seed_names_and_kept_labels():
    frames = pd.DataFrame({"frame_id": [1, 2, 3], "kind": ["discovered", "seeded", "discovered"],
                           "label": ["war footing", "Human waves", "old label"],
                           "user_label": [None, None, "My Name"]})
    kept = pd.DataFrame({"label": ["kept phrase"]})
    assert taken_labels(frames) == {"human waves", "my name"}
    assert taken_labels(frames, kept) == {"human waves", "my name", "kept phrase"}


def test_inflections_of_a_word_are_one_form():
    assert [lemma_word(w) for w in ("waves", "losses", "offerings", "children")] == ["wave", "loss", "offering", "child"]
    # a base form of any part of speech stays itself (else "media" would be "medium", "left" "leave"), and so
    # does a verb
    assert [lemma_word(w) for w in ("troops", "media", "left", "ground", "news", "sent", "banning")] == \
        ["troops", "media", "left", "ground", "news", "sent", "banning"]
    assert lemma_word("kestrians") == "kestrians"  # a word the lexicon does not know
    assert lemma_phrase("Human  Waves") == lemma_phrase("human wave") == "human wave"
    assert lemma_phrase("the waves of 2020") == "the wave of 2020"  # stop words and numbers as written
    assert occurs_inflected("human wave", "They came in human waves.")
    assert not occurs_inflected("human wave", "human, waves")  # never across punctuation
    assert not occurs("human wave", "They came in human waves.")


FRAME_OF_WAVES = ["Troops advanced in human waves across the fields.",
                  "Witnesses saw a human wave of infantry at dawn.",
                  "Another human wave crossed the river.",
                  "Human waves again, the defenders said.",
                  "The drone operators watched the assaults.",
                  "Commanders thank the drone operators.",
                  "For the drone operators, the targets are easy."]


def test_a_phrase_is_counted_in_all_its_inflections_and_written_as_the_passages_write_it():
    # As written, "human waves" and "human wave" are in two passages each and "drone operators" in three;
    # counted together, the frame's phrase is in four of its seven passages.
    out = _label({0: FRAME_OF_WAVES, 1: ["Satellite images of the Dorsk range.", "New satellite images came.",
                                         "The satellite images show tents."]}, BACKGROUND)
    assert lemma_phrase(out[0].label) == "human wave"
    assert any(out[0].label in t for t in FRAME_OF_WAVES)  # a form the passages write, as they write it
    q = label_quality({0: out[0].label}, {0: FRAME_OF_WAVES}, exemplars={0: FRAME_OF_WAVES[0]})
    assert q["coverage"] == pytest.approx(4 / 7) and q["in_exemplar"] == 1


def test_no_frame_takes_another_frames_label_in_another_inflection():
    waves = ["Troops came in human waves.", "Human waves crossed the river.", "More human waves at dawn."]
    wave = ["A human wave of conscripts near Verin.", "One human wave after another near Verin.",
            "The human wave reached the Verin road."]
    out = _label({0: waves + waves[:1], 1: wave}, BACKGROUND)
    assert lemma_phrase(out[0].label) == "human wave"
    assert lemma_phrase(out[1].label) != "human wave"
    # nor a seeded frame's name, or a rename
    out = _label({1: wave}, BACKGROUND, taken=["Human waves"])
    assert lemma_phrase(out[1].label) != "human wave"


def test_label_quality_reports_each_rule():
    passages = {1: ["They are cannon fodder.", "Cannon fodder again.", "More text."],
                2: ["A blood tribute.", "Critics call it cannon fodder."],
                3: ["The army of the north moved."],
                4: ["Nothing about it."],
                5: ["Some tribute paid.", "Tribute paid again."],
                6: ["Some tribute paid here."]}
    labels = {1: "cannon fodder", 2: "blood tribute", 3: "of the north", 4: "war footing", 5: "tribute paid",
              6: "Tribute Paid"}
    q = label_quality(labels, passages, background=["Cannon fodder in the background."])
    assert q["frames"] == 6
    assert q["verbatim"] == pytest.approx(5 / 6)  # "war footing" is in none of its passages
    assert q["duplicates"] == 2 and q["duplicate_labels"] == ["tribute paid"]
    assert q["stop_word"] == pytest.approx(1 / 6)
    assert q["mean_words"] == pytest.approx((2 + 2 + 3 + 2 + 2 + 2) / 6)
    # cannon fodder: 2 of its 4 passages are in frame 1; blood tribute 1/1; of the north 1/1;
    # tribute paid (frames 5 and 6): 2/3 and 1/3; war footing occurs nowhere and is left out.
    assert q["distinctiveness"] == pytest.approx(np.mean([2 / 4, 1, 1, 2 / 3, 1 / 3]))
    assert q["failing"] == [3, 4, 5, 6]
    # coverage: cannon fodder 2 of 3 own passages; blood tribute 1 of 2; of the north 1 of 1; war footing 0 of
    # 1; tribute paid 2 of 2 and 1 of 1.
    assert q["coverage"] == pytest.approx(np.mean([2 / 3, 1 / 2, 1, 0, 1, 1]))
    assert "in_exemplar" not in q
    # a label in another inflection is the same label to a reader
    q = label_quality({1: "human wave", 2: "Human Waves"}, {1: ["A human wave."], 2: ["Human waves."]})
    assert q["duplicates"] == 2 and q["duplicate_labels"] == ["human wave", "human waves"]
    # in_exemplar: of the frames with a passage shown as the most representative, those whose label is in it
    # (frame 1's shown passage has another subject; frame 3 has none shown and is left out).
    shown = {1: "More text.", 2: "A blood tribute.", 4: "Nothing about it.", 5: "Tribute paid again.",
             6: "Some tribute paid here."}
    assert label_quality(labels, passages, exemplars=shown)["in_exemplar"] == pytest.approx(3 / 5)


@pytest.mark.integration
def test_every_label_on_the_sample_passes_the_check(sample_db_copy):
    from app.pipeline import run_stages  # noqa: F401  (the sample is built by the fixture)

    store = Store.open_read(sample_db_copy)
    try:
        frames = store.query("""SELECT frame_id, label, exemplar_sentence FROM frames
                                WHERE status = 'active' AND kind = 'discovered'""")
        passages = store.query("SELECT frame_id, text FROM frame_passages")
        background = store.query("""SELECT text FROM passages
                                    WHERE passage_id NOT IN (SELECT passage_id FROM frame_passages)""")["text"]
    finally:
        store.close()
    by_frame = {int(f): g["text"].tolist() for f, g in passages.groupby("frame_id")}
    labels = dict(zip(frames["frame_id"].astype(int), frames["label"]))
    q = label_quality(labels, by_frame, background.tolist())
    assert q["failing"] == [], [labels[f] for f in q["failing"]]
    assert q["verbatim"] == 1 and q["duplicates"] == 0 and q["stop_word"] == 0
    assert 1.5 <= q["mean_words"] <= 4
    assert q["distinctiveness"] >= 0.6
    # The phrase of the frame written into the sample is the name of the sample's seeded frame, which no
    # discovered label repeats; the sentence beside each label holds it.
    assert "cannon fodder" not in {normalise(x) for x in labels.values()}
    for row in frames.itertuples():
        assert row.exemplar_sentence and occurs(row.label, row.exemplar_sentence), (row.label, row.exemplar_sentence)


def test_a_rename_wins_and_no_label_repeats_it_after_a_rebuild(hashed_sample_db_copy):
    from app.config import load_settings
    from app.pipeline import run_stages
    from tests.conftest import HASHED_MODEL

    db = hashed_sample_db_copy
    with Store.write(db) as store:
        frames = store.frames()
        a, b = (int(f) for f in frames.loc[frames["kind"] == "discovered", "frame_id"].iloc[:2])
        name = frames.set_index("frame_id").loc[b, "label"]
        store.edit_frame(a, "rename", name)
        run_stages(store, load_settings(env={}, db=db, model=HASHED_MODEL), recluster=True)
    store = Store.open_read(db)
    try:
        shown = store.query("""SELECT frame_id, coalesce(user_label, label) AS shown, label, exemplar_sentence
                               FROM frames WHERE status = 'active'""").set_index("frame_id")
        sentences = store.frame_sentences()
        page = store.frame(b)
    finally:
        store.close()
    assert shown.loc[a, "shown"] == name  # the user's name wins
    assert normalise(shown.loc[b, "label"]) != normalise(name)  # and no other frame's label repeats it
    assert shown["shown"].map(normalise).is_unique
    assert all(occurs(row.label, row.exemplar_sentence) for row in shown.itertuples()
               if row.Index != a and "(" not in row.label)
    assert sentences[b] == page["exemplar_sentence"] == shown.loc[b, "exemplar_sentence"]


def test_a_seeded_frame_keeps_its_name_with_the_sentence_that_holds_a_seed_phrase():
    from app.frames.seeded import Seed, seed_frame

    seed = Seed("Human waves", ("human wave",), ("Troops were sent forward in dense waves.",))
    texts = ["Officials met on Monday. Brigades report human wave attacks near Verin. Losses were high.",
             "The weather was fine."]
    vectors = np.array([[1.0, 0.0], [0.0, 1.0]], dtype=np.float32)
    row, matched, _ = seed_frame(seed, np.array([[1.0, 0.0], [1.0, 0.0]], dtype=np.float32), 7, texts=texts,
                              vectors=vectors, passage_ids=np.array(["p1", "p2"]),
                              article_ids=np.array(["a1", "a2"]), model="m", default_threshold=0.6,
                              default_min_passages=1)
    assert row["label"] == "Human waves"
    assert row["exemplar_sentence"] == "Brigades report human wave attacks near Verin."


@pytest.mark.slow
def test_an_incremental_week_keeps_labels_and_gives_new_frames_labels_of_their_own(tmp_path, settings, encoder):
    from app import pipeline
    from tests.test_pipeline import _ingest, _split_sample

    early, late = _split_sample(tmp_path, 1, 2)
    db = tmp_path / "w.duckdb"
    _ingest(db, settings, early)
    pipeline.build(db, settings, encoder)
    r = Store.open_read(db)
    before = r.query("SELECT frame_id, label, exemplar_sentence FROM frames WHERE status = 'active'")
    r.close()
    _ingest(db, settings, late)
    pipeline.build(db, settings, encoder)
    r = Store.open_read(db)
    try:
        assert r.last_run("frames")["counts"]["mode"] == "incremental"
        after = r.query("SELECT frame_id, label, exemplar_sentence FROM frames WHERE status = 'active'")
    finally:
        r.close()
    kept = before.merge(after, on="frame_id", suffixes=("_before", "_after"))
    assert len(kept) and (kept["label_before"] == kept["label_after"]).all()
    assert (kept["exemplar_sentence_before"] == kept["exemplar_sentence_after"]).all()
    assert len(after) > len(kept)  # the later week made frames of its own
    assert after["label"].map(normalise).is_unique


def test_the_frame_page_and_the_overview_show_the_sentence_beside_the_label(monkeypatch, hashed_sample_db_copy,
                                                                            tmp_path):
    import streamlit as st

    from app.ui import keys
    from app.ui.text import md
    from tests.conftest import HASHED_MODEL
    from tests.test_pages import _app, _env

    _env(monkeypatch, hashed_sample_db_copy, tmp_path, HASHED_MODEL)
    try:
        store = Store.open_read(hashed_sample_db_copy)
        summary, sentences = store.frame_summary(), store.frame_sentences()
        store.close()
        fid = int(summary["frame_id"].iloc[0])
        at = _app()  # the Overview
        table = at.dataframe[1].value  # the frames, under their stories
        assert table.set_index("frame").loc[fid, "in a sentence"] == sentences[fid]
        at = _app("frame_detail.py", {keys.FRAME: str(fid)})
        assert f"> {md(sentences[fid])}" in [m.value for m in at.markdown]
    finally:
        st.cache_resource.clear()
        st.cache_data.clear()


def test_a_frame_whose_phrase_a_seeded_frame_shows_keeps_it_in_a_longer_phrase():
    # Every passage of the frame says "cannon fodder"; the details after it differ from passage to passage,
    # each told twice. A seeded frame is already named "cannon fodder": the discovered frame's label still
    # holds the phrase, not one of the details.
    details = ["The Kestrians arrive with old rifles.", "Officers report no protective equipment.",
               "Recruits had a week of instruction.", "Families were told nothing."]
    leads = ["Kestrian soldiers are cannon fodder for Valdoria's offensive.",
             "The conscripts are cannon fodder in this war.", "Young recruits sent as cannon fodder for Valdoria.",
             "Critics call the troops cannon fodder, plainly."]
    frame = [f"{lead} {d}" for lead, d in zip(leads, details) for _ in (0, 1)]
    free = _label({0: frame}, BACKGROUND)
    assert free[0].label == "cannon fodder"
    out = _label({0: frame}, BACKGROUND, taken={"cannon fodder"})
    assert "cannon fodder" in normalise(out[0].label) and normalise(out[0].label) != "cannon fodder"
    assert any(occurs(out[0].label, t) for t in frame)
    assert not stop_word_fragment(out[0].label)
    # A frame whose best phrase is free is labelled as before, taken names or not.
    other = ["Satellite images showed tents at the Dorsk range.", "New satellite images of the Dorsk range.",
             "The satellite images show trains at Dorsk range."]
    assert _label({0: other}, BACKGROUND, taken={"cannon fodder"})[0].label == _label({0: other}, BACKGROUND)[0].label


def test_a_label_does_not_end_half_way_through_a_clause():
    from app.frames.labels import clause_word

    assert clause_word("arrive") and clause_word("gets") and clause_word("twice")
    # nouns too, participles that name the noun before them, and words the lexicon does not know
    assert not any(clause_word(w) for w in ("attack", "calls", "fodder", "invented", "treated", "dorsk"))
    # "Kestrians arrive" and "old rifles" are in every passage, read in that order: the phrase that ends in a
    # verb loses the tie.
    frame = [f"Kestrians arrive with old rifles. {d}"
             for d in ("They went north.", "Nobody came back.", "The road was shelled.")]
    label = _label({0: frame}, BACKGROUND)[0].label
    assert not clause_word(normalise(label).split()[-1]), label
    # a name written with capitals is not a verb, whatever the lexicon says of its lower-case form ("sung")
    from app.frames.labels import _edges, _tokenise

    tok = _tokenise(["Portraits of Kim Il Sung hang in every classroom.", "Kim Il Sung founded the state.",
                     "The choir sung loudly.", "Crowds arrive early."])
    verb = dict(zip(tok.words, _edges(tok)[2]))
    assert not verb["sung"] and verb["arrive"]
    q = label_quality({1: "Kestrians arrive", 2: "newly arrived Kestrians"},
                      {1: ["The Kestrians arrive."], 2: ["The newly arrived Kestrians."]})
    assert q["clause_end"] == pytest.approx(0.5)


def test_a_label_does_not_start_with_the_tail_of_a_clause():
    from app.frames.labels import _ngrams, _phrase, _tokenise, adverb_word, clause_tail

    assert adverb_word("instead") and adverb_word("fully") and adverb_word("actually")
    # words that are other parts of speech too, and words the lexicon does not know
    assert not any(adverb_word(w) for w in ("right", "still", "north", "fodder", "dorsk", "military"))
    assert clause_tail(["instead", "of", "military"]) and clause_tail(["actually", "taking", "place"])
    assert clause_tail(["reportedly", "executed"]) and clause_tail(["strongly"])
    # an adverb before an adjective is a characterisation, the words a frame is often told in
    assert not clause_tail(["mentally", "deranged"]) and not clause_tail(["truly", "terrifying"])
    assert not clause_tail(["military", "options"]) and not clause_tail([])
    assert not clause_tail(["newly", "arrived", "kestrians"]) and clause_tail(["newly", "arrived"])
    assert clause_tail(["precisely", "mirrored", "1938"]) and clause_tail(["recently", "diagnosed", "with", "brain"])
    # "instead of military" and "military options" are in every passage; the first reads as the tail of a
    # clause ("... instead of military options"), so it is never a candidate, whatever its score.
    frame = [f"Talks with Dorsk instead of military options. {d}"
             for d in ("They went north.", "Nobody came back.", "The road was shelled.")]
    label = _label({0: frame}, BACKGROUND)[0].label
    assert not clause_tail(normalise(label).split()), label
    def grams(texts):
        tok = _tokenise(texts)
        found = _ngrams(tok, 4)
        return {_phrase(tok, int(p), int(n)) for p, n in zip(found["pos"], found["n"])}

    found = grams(["The mentally deranged dotard.", "A mentally deranged man.", "They talked instead of fighting.",
                   "It was strongly worded.", "Strongly, it was."])
    assert {"mentally deranged dotard", "mentally deranged man", "fighting"} <= found
    assert not any(g.startswith(("instead", "strongly")) for g in found)
    # a word written as a name ("Instead", mid-sentence) is not read as an adverb
    assert "instead" in grams(["The band Instead played.", "Fans of Instead came.", "We went instead."])
    q = label_quality({1: "instead of military", 2: "military options"},
                      {1: ["Talks instead of military options."], 2: ["Talks instead of military options."]})
    assert q["clause_start"] == pytest.approx(0.5)


def test_a_label_does_not_cut_a_name_short():
    from app.frames.labels import _whole_name

    texts = ["The South China Sea is contested.", "Ships in the South China Sea.", "Near the South China coast."]
    assert _whole_name("South China", texts, set()) == "South China Sea"  # 2 of 3 go on to "Sea"
    assert _whole_name("South China", texts[2:] + texts[:1], set()) == "South China"  # 1 of 2: not most
    assert _whole_name("South China", texts, {"south china sea"}) == "South China"  # another frame's label
    assert _whole_name("contested waters", ["Contested waters Near Dorsk."] * 3, set()) == "contested waters"


def test_a_label_does_not_start_inside_a_name():
    from app.frames.labels import _name_start

    own = ["The Los Angeles Clippers owner was banned for life.", "Fans booed the Los Angeles Clippers owner.",
           "Critics of Clippers owner Steve Ballmer spoke.", "The Los Angeles Clippers owner apologised."]
    assert _name_start("Clippers owner", own, set()) == "Los Angeles Clippers owner"
    assert _name_start("Clippers owner", own, {"los angeles clippers owner"}) == "Angeles Clippers owner"
    # under the share of passages, nothing joins
    assert _name_start("Clippers owner", own[1:3], set()) == "Clippers owner"
    # a title, page furniture in capitals and a stop word are not part of the name; "New" is
    assert _name_start("Jim Jordan", ["Rep. Jim Jordan spoke.", "Said Rep. Jim Jordan."], set()) == "Jim Jordan"
    assert _name_start("Mike Pence", ["Vice President Mike Pence left."] * 2, set()) == "Mike Pence"
    assert _name_start("Snowden", ["JUST WATCHED Snowden speaks", "JUST WATCHED Snowden again"], set()) == "Snowden"
    assert _name_start("German Marshall Fund", ["The German Marshall Fund said."] * 2, set()) == "German Marshall Fund"
    label = _name_start("York City prosecutors", ["Since New York City prosecutors filed.",
                                                  "New York City prosecutors said."], set())
    assert label == "New York City prosecutors" and not stop_word_fragment(label)
    assert stop_word_fragment("new sanctions") and stop_word_fragment("New sanctions")
    # a label in lower case has no name to finish
    assert _name_start("owner", ["Clippers owner"] * 2, set()) == "owner"
    # a label that starts with a whole name is left alone; a surname gets its given names, not the title
    assert _name_start("Eric Holder", ["Attorney General Eric Holder said."] * 2, set()) == "Eric Holder"
    assert _name_start("Terry dead", ["Agent Brian Terry dead at 40", "Border Patrol Agent Brian Terry dead"],
                       set()) == "Brian Terry dead"
    assert _name_start("Ginsburg and Stephen Breyer", ["Justices Ruth Bader Ginsburg and Stephen Breyer"] * 2,
                       set()) == "Ruth Bader Ginsburg and Stephen Breyer"
    # a common word cut from its name, and a headline's verb left out
    assert _name_start("Air Act", ["the Clean Air Act"] * 2, set()) == "Clean Air Act"
    assert _name_start("Obamacare tax penalties", ["Bill Eliminates Obamacare tax penalties"] * 2,
                       set()) == "Obamacare tax penalties"


def test_tokens_numbered_a_chunk_of_texts_at_a_time_are_numbered_as_all_at_once(monkeypatch):
    """The labeller tokenises a chunk of texts at a time (bounded memory); the codes must be those of one pass
    over every text (first appearance order), or labels would change with the chunk size."""
    from app.frames import labels as L

    texts = ["Cannon fodder for the Kremlin, officials said.", "The troops were used as cannon fodder.",
             "A blood offering to Putin.", "", "Human waves; human-wave attacks, officials said again."] * 3
    whole = L._tokenise(texts)
    monkeypatch.setattr(L, "TOKENISE_CHUNK", 2)
    chunked = L._tokenise(texts)
    assert list(whole.words) == list(chunked.words) and len(whole.words) > 15
    for name in ("codes", "doc", "stop", "digits", "names"):
        assert np.array_equal(getattr(whole, name), getattr(chunked, name)), name


def test_the_label_s_support_is_counted_in_its_frame_s_passages_and_shown_with_its_limit(
        monkeypatch, hashed_sample_db_copy, tmp_path):
    import streamlit as st

    from app.frames.labels import WEAK_SHARE, label_support, occurs_inflected, support_line
    from app.ui import keys
    from tests.conftest import HASHED_MODEL
    from tests.test_pages import _app, _env

    # counted in any inflection, as labels are chosen, each passage once
    texts = ["Human waves again.", "A human wave, then another human wave.", "Waves of humans.", "teeth marks"]
    assert label_support("human waves", texts) == 2
    assert label_support("tooth", texts) == 1  # an irregular plural is still found ("teeth")
    assert label_support("", texts) == 0
    assert support_line(None, 10) == "" and support_line(3, 0) == ""
    assert support_line(5, 10) == "Label found in 5 of the frame's 10 passages (50%)."
    assert "a topic more than a wording" in support_line(1, 40) and WEAK_SHARE == 0.1
    # a label made longer to tell it from another frame's name: the shared words' count is given, and a wide
    # one means the frame has a wording after all
    from app.frames.labels import weak_label
    line = support_line(25, 289, "cannon fodder", 155)
    assert line == ("Label found in 25 of the frame's 289 passages (9%); “cannon fodder”, the words it shares "
                    "with another frame's name, in 155 (54%).")
    assert not weak_label(25, 289, 155) and weak_label(25, 289, 20) and weak_label(25, 289, None)
    assert "a topic more than a wording" in support_line(25, 289, "cannon fodder", 20)
    assert support_line(25, 289, float("nan"), None) == support_line(25, 289)

    store = Store.open_read(hashed_sample_db_copy)
    try:
        frames = store.frames()
        ids = frames.loc[frames["status"] == "active", "frame_id"].astype(int).tolist()
        support = store.label_support(ids).set_index("frame_id")
        for fid in ids[:5]:
            texts = store.query("SELECT p.text FROM passage_frames pf JOIN passages p USING (passage_id) "
                                "WHERE pf.frame_id = ?", [fid])["text"].tolist()
            label = support.loc[fid, "label"]
            assert support.loc[fid, "passages"] == len(texts)
            if frames.set_index("frame_id").loc[fid, "kind"] == "seeded":
                assert pd.isna(support.loc[fid, "label_passages"])
            else:  # every label occurs in its frame, so at least one passage holds it
                assert support.loc[fid, "label_passages"] == sum(occurs_inflected(label, t) for t in texts) >= 1
        for fid, row in support.iterrows():  # a core is another active frame's name, inside this label
            if isinstance(row["core"], str):
                others = set(frames.loc[(frames["frame_id"] != fid) & (frames["status"] == "active"), "label"])
                assert row["core"] in others and row["core"].lower() in row["label"].lower()
                assert row["core_passages"] >= row["label_passages"]
        fid = next(f for f in ids if not pd.isna(support.loc[f, "label_passages"]))
        line = support_line(support.loc[fid, "label_passages"], int(support.loc[fid, "passages"]))
    finally:
        store.close()
    _env(monkeypatch, hashed_sample_db_copy, tmp_path, HASHED_MODEL)
    try:
        at = _app("frame_detail.py", {keys.FRAME: str(fid)})
        assert line and line in [c.value for c in at.caption]
    finally:
        st.cache_resource.clear()
        st.cache_data.clear()


def test_the_weekly_report_gives_each_label_s_support_and_marks_a_weak_one(hashed_sample_db_copy, tmp_path):
    import datetime as dt

    from app.report import build_report

    with Store.write(hashed_sample_db_copy) as w:  # one frame renamed to words none of its passages hold
        end = w.query_value("SELECT max(published_at) FROM articles").date()
        period = w.period_frames(end - dt.timedelta(days=6), end)
        top_id = int(period.loc[period["kind"] != "seeded", "frame_id"].iloc[0])  # a seeded frame has no count
        w.edit_frame(top_id, "rename", "zebra crossing")
    r = Store.open_read(hashed_sample_db_copy)
    try:
        rep = build_report(r, end - dt.timedelta(days=6), end, tmp_path, 48, images=False)
        support = r.label_support(rep.tables["top_frames"]["frame_id"].tolist()).set_index("frame_id")
    finally:
        r.close()
    top = rep.tables["top_frames"].set_index("frame_id")
    assert (top["label_passages"] == support["label_passages"].reindex(top.index)).all()
    assert (top["passages"] == support["passages"].reindex(top.index)).all()
    assert top.loc[top_id, "label_passages"] == 0
    page = (tmp_path / "report.html").read_text()
    assert f"label in 0 of {int(top.loc[top_id, 'passages']):,} passages" in page
    assert "label_passages" in (tmp_path / "top_frames.csv").read_text().splitlines()[0]
