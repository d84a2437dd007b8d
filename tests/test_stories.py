"""Frames at the grain of a story's framing: templates set aside, fragments of one framing merged, and
stories above frames with stable ids."""

import numpy as np
import pandas as pd
import pytest

import app.pipeline as pipeline
from app.config import SAMPLE_SEEDS
from app.frames import discover
from app.frames.discovery import (centred, fragments, headlines_with_leads, sentence_keys, without_sentences,
                                  shared_sentences)
from app.frames.incremental import headlines_join_leads
from app.frames.stories import NO_STORY, frames_by_story, match_stories, number_stories, story_groups
from app.frames.templates import find_templates, shape, shape_rows
from app.store import Store
from tests.test_pipeline import _ingest, _split_sample

ANALYST = "{}, a security analyst, said the coming weeks would show whether the reports changed the course of the war."


# -- templates ----------------------------------------------------------------------------------------
def test_shape_masks_names_numbers_and_quotations():
    a = shape(ANALYST.format("Mira Solberg"))
    assert a == shape(ANALYST.format("Jonah Ekwe")) == shape(ANALYST.format("Piotr Van Halden"))
    assert a.startswith("N , a security analyst")
    assert shape("About 3,000 troops moved on 12 May, 'officials' said.") == \
        shape("About 45 troops moved on 1 June, 'sources close to him' said.")
    assert shape("The troops are cannon fodder.") != shape("The troops are human waves.")


def test_the_same_sentence_with_other_names_across_outlets_is_a_template():
    names = ["Mira Solberg", "Tomas Reyni", "Anika Vos", "Jonah Ekwe"]
    texts = [ANALYST.format(n) for n in names] + [
        "Kestrian soldiers are being sent to the front as little more than cannon fodder for the offensive."] * 4
    outlets = np.array(["a", "b", "c", "d"] * 2)
    found = find_templates(texts, outlets, min_outlets=3)
    assert found.mask.tolist() == [True] * 4 + [False] * 4  # a paragraph repeated word for word is not one
    assert (found.shapes, found.texts) == (1, 4)
    # too few outlets, or the rule off
    assert not find_templates(texts, np.array(["a", "b", "a", "b"] * 2), min_outlets=3).mask.any()
    assert not find_templates(texts, outlets, min_outlets=0).mask.any()


def test_short_lines_outlets_repeat_are_furniture_and_short_lines_told_once_are_not():
    outlets = ["Ekta News", "Topel Gazette", "Mier Record", "Volta Post"]
    lines, quotes, owners, quote_owners = [], [], [], []
    for year in (2018, 2019):
        for outlet in outlets:
            for _ in range(4):  # each outlet prints its own line under article after article
                lines.append(f"Copyright {year} {outlet}. All rights reserved.")
                owners.append(outlet)
    said = ["We will not leave", "This is our home", "Nobody warned us", "The water came at night",
            "We lost everything", "They must answer for this", "It was chaos", "I have never seen it so bad",
            "Help came too late", "We are staying", "The roads are closed", "Our school is gone",
            "We need the bridge", "Prices keep rising", "The harvest failed", "Nobody is listening"]
    for i, outlet in enumerate(outlets * 4):  # short quotes of one shape, each told once, in words of their own
        quotes.append(f"'{said[i]}', {outlet.split()[0]} said in a statement.")
        quote_owners.append(outlet)
    found = find_templates(lines + quotes, np.array(owners + quote_owners), min_outlets=3)
    assert found.mask[:len(lines)].all() and not found.mask[len(lines):].any()
    assert (found.shapes, found.furniture, found.texts) == (1, 1, 8)
    # repeated too little (each text once or twice) or by too few outlets: not furniture
    once = [f"Copyright {2000 + i} {outlets[i % 4]}. All rights reserved." for i in range(8)]
    assert not find_templates(once, np.array([outlets[i % 4] for i in range(8)]), min_outlets=3).mask.any()
    assert not find_templates(lines, np.array(["a", "b"] * (len(lines) // 2)), min_outlets=3).mask.any()
    # a stored shape says the same (the frames stage keeps the verdict's inputs per passage)
    rows = shape_rows(lines + quotes)
    assert rows["short"].tolist()[:len(lines)] == [True] * len(lines) and not rows["judged"][:len(lines)].any()


STOCK = ["'We need answers about the flooding in {}, and we need them now,' said {}, a union leader.",
         "'Nobody should be surprised by the fire in {}; the signs were there,' said {}, an analyst."]


def test_stock_quotes_are_templates_and_one_quote_told_by_many_is_not():
    places, speakers = ["Tamar", "Kavi", "Ostmi", "Ralo"], ["Noor Loer", "Elif Riha", "Kofi Tobel", "Ivan Sel"]
    outlets = ["a", "b", "c", "d"]
    stock = [STOCK[k].format(places[i], speakers[i]) for k in (0, 1) for i in range(4)]
    # one quotation (a frame's key quote) attributed to other spellings and in other words, in four outlets
    key = ["'They are sending them as cannon fodder,' said Kim Byung-kee, a lawmaker.",
           "'They are sending them as cannon fodder,' said Kim Byung Kee, a lawmaker.",
           "'They are sending them as cannon fodder,' said Kim Byung-Kee, a lawmaker.",
           "'They are sending them as cannon fodder,' said Mr Kim, a lawmaker."]
    found = find_templates(stock + key, np.array(outlets * 2 + outlets), min_outlets=3)
    assert found.mask.tolist() == [True] * 8 + [False] * 4
    assert (found.shapes, found.quotes, found.texts) == (2, 2, 8)
    # the plain shape masks the quotation whole and keeps too few words to judge: the quotation shape judges
    rows = shape_rows(stock + key)
    assert not rows["judged"].any() and rows["quote_shape"].notna().all()
    assert rows["quote_shape"].nunique() == 3 and rows["quote_text"].nunique() == 9
    # too few outlets, or too few different quotations
    assert not find_templates(stock, np.array(["a", "b"] * 4), min_outlets=3).mask.any()
    assert not find_templates(stock[:2] + stock[4:6], np.array(outlets), min_outlets=3).mask.any()
    # a quotation inside a longer passage is judged by the passage's own shape, as before
    long = [f"Residents of {p} gathered in the square on Monday evening to demand that the council explain "
            f"its plans, and 'we will not leave' was heard again and again." for p in places]
    assert find_templates(long, np.array(outlets), min_outlets=3).mask.all()
    assert shape_rows(long)["quote_shape"].isna().all()


def test_a_key_quote_with_a_name_spelled_other_ways_inside_it_is_not_a_template():
    """Spellings of a name, spacing, case and punctuation inside one quotation are one quotation or a few, under
    the number a stock quote needs; an apostrophe inside a single-quoted quotation does not hide it."""
    ways = ["the United States", "the U.S.", "the US", "the  U.S.", "the United\u00a0States"]
    quoted = [f'Kim Jong Un: "We are ready to talk with {w} about peace," he said.' for w in ways]
    assert not find_templates(quoted, np.array(["a", "b", "c", "d", "e"]), min_outlets=3).mask.any()
    told = ["'They don't care about the soldiers at all,' said Kim Byung-kee, a lawmaker.",
            "'They don't care about the soldiers at all,' said Kim Byung Kee, a lawmaker.",
            "'They don't care about the soldiers at all,' said Mr Kim, a lawmaker."]
    assert shape(told[0]) == "Q said N , a lawmaker."
    assert not find_templates(told, np.array(["a", "b", "c"]), min_outlets=3).mask.any()
    # the same quotation with three different places in it, in three outlets: a stock quote
    stock = [f"'They don't care about the soldiers in {p} at all,' said {n}, a lawmaker."
             for p, n in [("Tamar", "Ann Lo"), ("Kavi", "Ivo Sel"), ("Ralo", "Ed Mar")]]
    assert find_templates(stock, np.array(["a", "b", "c"]), min_outlets=3).mask.all()


def test_page_furniture_holding_a_quotation_stays_furniture():
    outlets = ["Ekta News", "Topel Gazette", "Mier Record"]
    lines = [f'Read our "terms of use and privacy policy" at {o}.' for o in outlets for _ in range(4)]
    found = find_templates(lines, np.array([o for o in outlets for _ in range(4)]), min_outlets=3)
    assert found.mask.all() and (found.furniture, found.quotes) == (1, 0)


def test_headlines_in_title_case_are_never_templates():
    titles = ["Trump Says North Korea Summit Is Off", "Kim Jong Un Meets Moon Jae-in At Border",
              "Pompeo Arrives In Pyongyang For Talks", "Seoul Hails Historic Day"]
    assert not find_templates(titles, np.array(["a", "b", "c", "d"]), min_outlets=2).mask.any()


def test_templates_are_left_out_of_every_frame():
    rng = np.random.default_rng(0)
    base = rng.normal(size=32)
    x = np.array([base + rng.normal(scale=0.05, size=32) for _ in range(12)], dtype=np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    texts = np.array([f"t{i}" for i in range(12)])
    arts, outs = np.array([f"a{i}" for i in range(12)]), np.array(["o1", "o2", "o3"] * 4)
    kept = discover(x, texts, arts, outs, threshold=0.9, min_anchoring=0)
    assert (kept.labels >= 0).all()
    template = np.zeros(12, dtype=bool)
    template[:8] = True
    out = discover(x, texts, arts, outs, threshold=0.9, min_anchoring=0, template=template)
    assert (out.labels[template] == -1).all() and out.set_aside[template].all()
    assert out.counts["template_passages"] == 8


# -- fragments of one framing ---------------------------------------------------------------------
def _fragment_corpus():
    """One story (a shared direction every passage carries) told in six framings; framing A written two ways
    (two leads)."""
    rng = np.random.default_rng(1)
    dim = 64
    story, a, lead1, lead2 = (rng.normal(size=dim) for _ in range(4))
    groups = {"a1": 3 * story + a + 0.6 * lead1, "a2": 3 * story + a + 0.6 * lead2}
    for name in "bcdef":
        groups[name] = 3 * story + rng.normal(size=dim)
    rows, truth = [], []
    for name, centre in groups.items():
        for _ in range(15):
            rows.append(centre + rng.normal(scale=0.15, size=dim))
            truth.append(name)
    x = np.asarray(rows, dtype=np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x, np.array(truth)


def test_fragments_of_one_framing_merge_and_other_framings_do_not():
    x, truth = _fragment_corpus()
    centres = np.array([x[truth == g].mean(axis=0) for g in ("a1", "a2", "b")])
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    raw = centres @ centres.T
    assert raw[0, 1] > 0.85 and raw[0, 2] > 0.85  # raw cosines: every centre looks like every other
    c = centred(centres, x.mean(axis=0))
    assert (c @ c.T)[0, 1] > 0.45 > (c @ c.T)[0, 2]
    group = fragments(centres, x.mean(axis=0), 0.45)
    assert group[0] == group[1] != group[2]
    assert len(set(fragments(centres, x.mean(axis=0), 1.0))) == 3  # 1.0 merges nothing


def test_discover_merges_fragments_into_one_frame():
    x, truth = _fragment_corpus()
    n = len(x)
    texts, arts = np.array([f"t{i}" for i in range(n)]), np.array([f"a{i}" for i in range(n)])
    outs = np.array([f"o{i % 5}" for i in range(n)])
    apart = discover(x, texts, arts, outs, threshold=0.97, min_anchoring=0, merge_threshold=1.0)
    merged = discover(x, texts, arts, outs, threshold=0.97, min_anchoring=0, merge_threshold=1.0,
                      fragment_threshold=0.45)
    assert len(apart.centroids) == 7
    assert len(merged.centroids) == 6
    assert merged.counts["merged"] == 1
    frame_of = {g: set(merged.labels[truth == g]) for g in ("a1", "a2", "b")}
    assert frame_of["a1"] == frame_of["a2"] != frame_of["b"]
    assert all(len(v) == 1 and -1 not in v for v in frame_of.values())  # merging left no passage out


# -- shared supporting sentences --------------------------------------------------------------------
DETAILS = {
    "a": ["Few of them speak the language, and several reports say they were trained for only a few weeks.",
          "Casualty estimates among the conscripts are already high, though no independent count exists.",
          "Officers say the conscripts arrive with old rifles and almost no protective equipment."],
    "b": ["Sanctions have cut the country off from most foreign trade for more than a decade.",
          "Economists estimate the arrangement could be worth hundreds of millions a year.",
          "Neither government has published the terms of any agreement so far."],
}


def test_sentence_keys_ignore_case_punctuation_and_short_sentences():
    a = sentence_keys("The troops are cannon fodder, analysts say. Few of them speak the language at all! Yes.")
    b = sentence_keys("Few of them speak THE language at all? Something else entirely is said here today.")
    assert len(a) == 2 and len(b) == 2  # "Yes." is too short to count
    assert len(set(a.tolist()) & set(b.tolist())) == 1
    assert sentence_keys("").size == 0 and sentence_keys("Too short.").size == 0


def _texts_of(groups: dict[int, list[str]]):
    texts, text_group = [], []
    for g, items in groups.items():
        texts += items
        text_group += [g] * len(items)
    return texts, np.array(text_group)


def test_groups_sharing_supporting_sentences_merge_and_others_do_not():
    leads = {0: "The conscripts are sent to the front as cannon fodder for the offensive.",
             1: "Commanders treat the newly arrived conscripts as disposable infantry in the assaults.",
             2: "In return for the troops, the regime receives oil and missile technology from its ally.",
             3: "The troops are the price of a deal that brings hard currency to the regime."}
    details = {0: DETAILS["a"], 1: DETAILS["a"], 2: DETAILS["b"], 3: DETAILS["b"]}
    groups = {g: [f"{leads[g]} {details[g][i % 3]} {details[g][(i + 1) % 3]}" for i in range(6)] for g in leads}
    groups[4] = [f"Shelling continued overnight in district number {i}, local authorities said on Monday."
                 for i in range(6)]
    texts, text_group = _texts_of(groups)
    keys = [sentence_keys(t) for t in texts]

    def keys_of(idx):
        return [keys[i] for i in idx]

    links = {}
    out = shared_sentences(text_group, keys_of, 0.25, 2, links=links)
    assert out[0] == out[1] != out[2] == out[3] != out[4] and out[4] != out[0]
    # What linked each merged group: the supporting sentences its parts share, not their own leads.
    assert links == {int(out[0]): {int(k) for d in DETAILS["a"] for k in sentence_keys(d)},
                     int(out[2]): {int(k) for d in DETAILS["b"] for k in sentence_keys(d)}}
    assert (shared_sentences(text_group, keys_of, 2.0, 2) == np.arange(5)).all()  # above 1: off
    # One shared sentence is not enough at a minimum of two; a share below the bound is not enough either.
    one = {g: [f"{leads[g]} {DETAILS['a'][0]}" for _ in range(3)] for g in (0, 1)}
    texts1, group1 = _texts_of(one)
    keys1 = [sentence_keys(t) for t in texts1]
    assert (shared_sentences(group1, lambda idx: [keys1[i] for i in idx], 0.25, 2) == [0, 1]).all()
    assert (shared_sentences(group1, lambda idx: [keys1[i] for i in idx], 0.25, 1) == [0, 0]).all()
    # Groups that took hold far apart in time are never linked.
    starts = np.array(["2026-01-01", "2026-06-01", "2026-01-01", "2026-01-02", "2026-01-01"], dtype="datetime64[s]")
    apart = shared_sentences(text_group, keys_of, 0.25, 2, starts, 28.0)
    assert apart[0] != apart[1] and apart[2] == apart[3]


def test_the_sentences_that_linked_a_frame_can_be_taken_out_of_its_texts():
    lead = "Each soldier at the front is, in effect, a payment towards rocket engines and oil."
    text = f'{lead} {DETAILS["a"][0]} "{DETAILS["a"][1]}" Short one.'
    keys = set(sentence_keys(" ".join(DETAILS["a"])).tolist())
    out = without_sentences(text, keys)
    assert out.startswith(lead) and out.endswith("Short one.")
    assert DETAILS["a"][0] not in out and DETAILS["a"][1] not in out
    # The gap breaks a phrase: the sentences either side of it are never read as one.
    assert "\n" in out and sentence_keys(out).tolist() == sentence_keys(lead).tolist()
    assert without_sentences(text, set()) == text == without_sentences(text, {12345})


def test_a_sentence_every_group_repeats_links_none_and_links_do_not_chain():
    stock = "This story was first published by the Continental Wire news agency."
    more = "It has been updated with reactions from both governments since then."
    groups = {g: [f"Lead number {g} says something of its own about the war. {stock} {more}"] * 3 for g in range(4)}
    texts, text_group = _texts_of(groups)
    keys = [sentence_keys(t) for t in texts]
    # Held by four groups (more than GENERIC_GROUPS): a stock line, not a framing's detail.
    assert (shared_sentences(text_group, lambda idx: [keys[i] for i in idx], 0.25, 2) == np.arange(4)).all()
    # a-b and b-c linked, a-c not: complete link merges one pair, never all three.
    chain = {0: [f"First lead of its own here. {DETAILS['a'][0]} {DETAILS['a'][1]}"] * 3,
             1: [f"Second lead of its own here. {DETAILS['a'][0]} {DETAILS['a'][1]} {DETAILS['b'][0]} {DETAILS['b'][1]}"] * 3,
             2: [f"Third lead of its own here. {DETAILS['b'][0]} {DETAILS['b'][1]}"] * 3}
    texts, text_group = _texts_of(chain)
    keys = [sentence_keys(t) for t in texts]
    out = shared_sentences(text_group, lambda idx: [keys[i] for i in idx], 0.25, 2)
    assert len(set(out.tolist())) == 2 and (out[0] == out[1]) != (out[1] == out[2])


def test_discover_merges_groups_that_share_sentences_only_with_the_texts_given():
    x, truth = _fragment_corpus()
    n = len(x)
    texts, arts = np.array([f"t{i}" for i in range(n)]), np.array([f"a{i}" for i in range(n)])
    outs = np.array([f"o{i % 5}" for i in range(n)])
    body = {g: " ".join(DETAILS["a"]) if g in ("a1", "a2") else f"Something said only by framing {g} here today."
            for g in set(truth)}
    keys = [sentence_keys(body[g]) for g in truth]
    common = dict(threshold=0.97, min_anchoring=0, merge_threshold=1.0)
    assert len(discover(x, texts, arts, outs, **common).centroids) == 7
    merged = discover(x, texts, arts, outs, **common, sentences_of=lambda rows: [keys[r] for r in rows],
                      shared_share=0.25)
    assert len(merged.centroids) == 6 and merged.counts["merged_by_sentences"] == 1
    assert set(merged.labels[truth == "a1"]) == set(merged.labels[truth == "a2"])
    # The merged frame knows the sentences that linked its parts (its label is not read from them).
    frame = int(merged.labels[truth == "a1"][0])
    assert merged.linking == {frame: frozenset(k for d in DETAILS["a"] for k in sentence_keys(d).tolist())}


# -- headlines with their articles ------------------------------------------------------------------
def test_a_headline_joins_its_leads_frame_when_close_enough():
    rng = np.random.default_rng(3)
    dim = 16
    centres = rng.normal(size=(2, dim)).astype(np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)

    def near(c, cos):
        other = rng.normal(size=dim)
        other -= (other @ centres[c]) * centres[c]
        other /= np.linalg.norm(other)
        return (cos * centres[c] + np.sqrt(1 - cos ** 2) * other).astype(np.float32)

    # Texts: 0 a headline nearest frame 1 (0.6) and 0.45 from frame 0; 1 a headline 0.3 from frame 0; 2 and 3
    # leads in frame 0; 4 a headline in no frame, 0.42 from frame 0.
    v = np.stack([near(1, 0.6), near(0, 0.3), near(0, 0.9), near(0, 0.8), near(0, 0.42)])
    v[0] = v[0] + 0.45 * centres[0] - (v[0] @ centres[0]) * centres[0]
    v[0] /= np.linalg.norm(v[0])
    assert v[0] @ centres[1] > v[0] @ centres[0] >= 0.4
    rows = np.arange(5)
    # Passage rows: text 0 is the headline of two articles (leads 2 and 3), text 1 of one (lead 2), text 4 of one.
    to_row = np.array([0, 0, 1, 4, 2, 3])
    title_leads = np.array([4, 5, 4, 4, -1, -1])
    text_group = np.array([1, -1, 0, 0, -1])
    out, moved = headlines_with_leads(v, rows, to_row, text_group, centres, title_leads, 0.4, np.ones(5, bool))
    assert out.tolist() == [0, -1, 0, 0, 0] and moved == 2  # 1 reads too far (0.3) from its lead's frame
    kept, none = headlines_with_leads(v, rows, to_row, text_group, centres, title_leads, 0.7, np.ones(5, bool))
    assert kept.tolist() == text_group.tolist() and none == 0
    # The same rule in an update: the headline moves to the existing frame its lead joined.
    frames = pd.DataFrame({"frame_id": [7, 8], "centroid": list(centres)})
    ids = np.array(["x:0", "x:1", "y:0"])
    joined = pd.DataFrame({"passage_id": ["x:0", "x:1"], "frame_id": np.array([8, 7], "int32"),
                           "score": np.array([0.6, 0.9], "float32")})
    after, near_mask, count = headlines_join_leads(v[[0, 2, 1]], ids, frames, joined,
                                                   np.array([True, True, False]), np.array([1, -1, -1]), 0.4)
    assert count == 1 and near_mask.tolist() == [True, True, False]
    assert dict(zip(after["passage_id"], after["frame_id"])) == {"x:0": 7, "x:1": 7}


# -- stories --------------------------------------------------------------------------------------
def test_frames_alike_in_subject_or_told_by_the_same_articles_are_one_story():
    rng = np.random.default_rng(2)
    summit, tests, other = (rng.normal(size=32) for _ in range(3))
    centres = np.array([summit + 0.5 * rng.normal(size=32), summit + 0.5 * rng.normal(size=32),
                        tests, other], dtype=np.float32)
    af = pd.DataFrame({"article_id": [f"x{i}" for i in range(6)] + ["y1", "y2", "y3", "y1", "y2", "z"],
                       "frame_id": [10, 10, 10, 11, 11, 11, 12, 12, 12, 13, 13, 13]})
    groups = story_groups(centres, af, [10, 11, 12, 13], threshold=0.5)
    # 10 and 11 share a subject; 12 and 13 share two of three articles; nothing ties the two pairs
    assert groups[0] == groups[1] and groups[2] == groups[3] and groups[0] != groups[2]
    apart = story_groups(centres, af.assign(article_id=[f"u{i}" for i in range(12)]), [10, 11, 12, 13],
                         threshold=0.5)
    assert apart[2] != apart[3]  # without shared articles they are two stories
    assert story_groups(centres[:1], af, [10], threshold=0.5).tolist() == [0]


def test_story_ids_follow_their_frames_and_are_never_reused():
    counter = iter(range(100, 200))

    def fresh(n):
        return [next(counter) for _ in range(n)]

    old = {1: {10, 11, 12, 13}, 2: {20, 21}, 3: {30}}
    # story 1 split into {10, 11, 12} and {13, 14}; story 2 kept; story 3's only frame is gone
    frame_ids = [10, 11, 12, 13, 14, 20, 21, 40]
    groups = np.array([0, 0, 0, 1, 1, 2, 2, 3])
    story_of, retired = number_stories(groups, frame_ids, old, fresh)
    assert story_of[10] == story_of[11] == story_of[12] == 1  # the larger part keeps the id
    assert story_of[20] == story_of[21] == 2
    assert story_of[13] == story_of[14] == 100 and story_of[40] == 101
    assert retired == [3]
    # half of a story is enough, and each old id goes to one story only
    assert match_stories([{1, 2}, {3, 4}], {7: {1, 2, 3, 4}}) == {0: 7}
    assert match_stories([{1, 5, 6}], {7: {1, 2, 3, 4}}) == {}


def test_frames_by_story_groups_frames_under_their_stories():
    frames = pd.DataFrame({"frame_id": [1, 2, 3, 4], "label": ["a", "b", "c", "seeded"],
                           "articles": [5, 50, 20, 30]})
    stories = pd.DataFrame({"story_id": [9, 8], "label": ["story nine", "story eight"]})
    members = pd.DataFrame({"frame_id": [1, 2, 3, 4], "story_id": [8, 9, 8, None]})
    out = frames_by_story(frames, stories, members)
    assert out["frame_id"].tolist() == [4, 2, 3, 1]  # the seeded frame (no story) first
    assert out["story"].tolist() == [NO_STORY, "story nine", "story eight", "story eight"]


@pytest.mark.slow
def test_story_ids_hold_across_a_rebuild_and_an_incremental_update(tmp_path, settings, encoder):
    early, late = _split_sample(tmp_path, 3, 4)
    db = tmp_path / "s.duckdb"
    _ingest(db, settings, early)
    pipeline.build(db, settings, encoder)

    def read(db):
        r = Store.open_read(db)
        try:
            members = r.frame_stories().dropna()
            stories = r.story_summary()
            summary = r.query("SELECT frame_id, story_id FROM frame_summary WHERE kind = 'discovered'")
            return members, stories, summary, r.last_run("frames")["counts"]
        finally:
            r.close()

    members, stories, summary, counts = read(db)
    assert len(stories) == counts["stories"] > 1
    assert summary["story_id"].notna().all()  # every discovered frame is in a story, shown in frame_summary
    assert sorted(members["frame_id"]) == sorted(summary["frame_id"])
    before = {int(s): set(members[members["story_id"] == s]["frame_id"]) for s in stories["story_id"]}

    # a full recluster (another discovery setting): the frames keep their ids, so the stories keep theirs
    pipeline.build(db, settings.replace(discovery_iterations=settings.discovery_iterations + 1), encoder)
    members2, stories2, _, counts2 = read(db)
    assert counts2["mode"] == "full"
    after = {int(s): set(members2[members2["story_id"] == s]["frame_id"]) for s in stories2["story_id"]}
    kept = [s for s in before if s in after]
    assert kept and all(2 * len(before[s] & after[s]) >= min(len(before[s]), len(after[s])) for s in kept)
    new_ids = set(after) - set(before)
    assert not new_ids or min(new_ids) > max(before)  # ids are never reused

    # a new week, built incrementally: frames keep their stories
    _ingest(db, settings, late)
    pipeline.build(db, settings.replace(discovery_iterations=settings.discovery_iterations + 1), encoder)
    members3, stories3, _, counts3 = read(db)
    assert counts3["mode"] == "incremental"
    story_before = dict(zip(members2["frame_id"], members2["story_id"]))
    story_after = dict(zip(members3["frame_id"], members3["story_id"]))
    same = [f for f in story_before if f in story_after and story_after[f] == story_before[f]]
    assert len(same) >= 0.8 * len(story_before)
    r = Store.open_read(db)
    retired = r.query("SELECT story_id FROM stories WHERE status = 'retired'")["story_id"].tolist()
    r.close()
    assert not set(retired) & set(stories3["story_id"])


def test_fragments_that_took_hold_weeks_apart_stay_apart():
    from app.frames.discovery import took_hold

    x, truth = _fragment_corpus()
    centres = np.array([x[truth == g].mean(axis=0) for g in ("a1", "a2", "b")])
    day = np.datetime64("2026-03-01T00:00:00")
    together = np.array([day, day + np.timedelta64(3, "D"), day])
    apart = np.array([day, day + np.timedelta64(40, "D"), day])
    assert fragments(centres, x.mean(axis=0), 0.45, together, 14)[:2].tolist() == [0, 0]
    group = fragments(centres, x.mean(axis=0), 0.45, apart, 14)
    assert group[0] != group[1]  # a later coinage in the same vein is a framing of its own
    # when a cluster took hold: the date by which a tenth of its texts had appeared, not its first date
    times = np.array([day - np.timedelta64(400, "D")] + [day + np.timedelta64(i, "D") for i in range(19)])
    labels = np.r_[np.zeros(20, dtype=np.int64)]
    assert took_hold(times, labels, 1)[0] == day  # the 2nd of 20 dates; the first, 400 days early, is not it


def test_shapes_kept_by_an_earlier_rule_are_made_again(hashed_sample_db_copy, settings, encoder):
    """A database whose kept shapes an earlier template rule made (``passage_shapes.rule`` older or NULL, as
    before schema 31) gets every shape made again by its next full reading, and the verdicts are the rule's."""
    from app.frames.templates import RULE_VERSION

    db = hashed_sample_db_copy
    with Store.write(db) as store:
        store.conn.execute("UPDATE passage_shapes SET shape = 'stale', text_key = 'stale', rule = NULL "
                           "WHERE passage_id IN (SELECT passage_id FROM passage_shapes ORDER BY passage_id LIMIT 500)")
        store.conn.execute("UPDATE passage_shapes SET rule = 2 WHERE rule IS NOT NULL AND passage_id IN "
                           "(SELECT passage_id FROM passage_shapes ORDER BY passage_id DESC LIMIT 300)")
    pipeline.build(db, settings.replace(frames_file=SAMPLE_SEEDS), encoder, recluster=True)
    r = Store.open_read(db)
    kept = r.query("SELECT s.*, p.text FROM passage_shapes s JOIN passages p USING (passage_id) ORDER BY passage_id")
    counts = r.last_run("frames")["counts"]
    r.close()
    assert (kept["rule"] == RULE_VERSION).all() and len(kept) > 800
    made = shape_rows(kept["text"].tolist())
    assert kept["shape"].tolist() == made["shape"].tolist() and kept["text_key"].tolist() == made["text"].tolist()
    assert counts["templates"] == 1 and counts["template_passages"] == 182  # the sample's analyst line


def test_kept_shapes_carry_their_outlet_and_an_older_database_gets_it(hashed_sample_db_copy, settings, encoder):
    """Every kept shape holds its article's outlet, which the template rule counts (schema 32); a database
    written before is given them by its next write, with the same verdicts; and shapes a version before schema
    32 wrote into a migrated database (no outlet) get theirs from the next build that reads their passages."""
    from app.frames.templates import FURNITURE_REPEAT, QUOTE_VARIANTS, RULE_VERSION
    from tests.conftest import undo_latest_migration

    def shapes_and_verdicts(store):
        owners = store.query("""SELECT s.passage_id, s.outlet_id AS kept, a.outlet_id FROM passage_shapes s
                                JOIN passages p USING (passage_id) JOIN articles a USING (article_id)""")
        found = store.template_shapes(3, FURNITURE_REPEAT, QUOTE_VARIANTS, RULE_VERSION)
        return owners, found.sort_values(["quoted", "shape"]).reset_index(drop=True)

    db = hashed_sample_db_copy
    r = Store.open_read(db)
    owners, found = shapes_and_verdicts(r)
    r.close()
    assert len(owners) > 800 and (owners["kept"] == owners["outlet_id"]).all() and len(found) >= 1
    with Store.write(db) as store:
        undo_latest_migration(store.conn, through=32)  # as written before the outlets were kept
        assert "outlet_id" not in store.query("DESCRIBE passage_shapes")["column_name"].tolist()
    with Store.write(db):
        pass
    r = Store.open_read(db)
    owners_after, found_after = shapes_and_verdicts(r)
    r.close()
    assert len(owners_after) == len(owners) and (owners_after["kept"] == owners_after["outlet_id"]).all()
    pd.testing.assert_frame_equal(found_after, found)

    with Store.write(db) as store:
        store.conn.execute("UPDATE passage_shapes SET outlet_id = NULL WHERE passage_id IN "
                           "(SELECT passage_id FROM passage_shapes ORDER BY passage_id LIMIT 400)")
    pipeline.build(db, settings.replace(frames_file=SAMPLE_SEEDS), encoder, recluster=True)
    r = Store.open_read(db)
    owners_built, _ = shapes_and_verdicts(r)
    r.close()
    assert (owners_built["kept"] == owners_built["outlet_id"]).all()


def test_the_template_rule_over_kept_shapes_equals_the_rule_in_memory(memory_store):
    """An update applies the rule over the kept shapes inside the database (``Store.template_shapes``): the
    same verdicts, counts and passages as :func:`templates_of` over the same rows, stock quotes and furniture
    among them; shapes an earlier rule made take no part."""
    import datetime as dt

    from app.frames.templates import FURNITURE_REPEAT, QUOTE_VARIANTS, RULE_VERSION, templates_of

    outlets = ["Ekta News", "Topel Gazette", "Mier Record", "Volta Post"]
    texts, owners = [], []
    for i, place in enumerate(["Tamar", "Kavi", "Ostmi", "Ralo", "Lins"]):
        for k, line in enumerate(STOCK):
            texts.append(line.format(place, f"Speaker {i}{k}"))
            owners.append(outlets[(i + k) % 4])
    for i in range(4):
        texts.append(ANALYST.format(["Mira Solberg", "Tomas Reyni", "Anika Vos", "Jonah Ekwe"][i]))
        owners.append(outlets[i])
    for o in outlets[:3]:
        for _ in range(4):
            texts.append(f'Read our "terms of use and privacy policy" at {o}.')
            owners.append(o)
    texts += ["'They are sending them as cannon fodder,' said Kim Byung-kee, a lawmaker."] * 3
    owners += outlets[:3]
    texts.append("A paragraph of its own about the harvest, told once and by one outlet only today.")
    owners.append(outlets[0])
    n = len(texts)
    ids = [f"a{i}" for i in range(n)]
    memory_store.add_articles(pd.DataFrame({
        "article_id": ids, "outlet_id": owners, "text": texts, "published_at": dt.datetime(2026, 1, 1),
        "content_hash": ids, "ingested_at": dt.datetime(2026, 1, 2)}))
    memory_store.add_passages(pd.DataFrame({
        "passage_id": [f"{a}:1" for a in ids], "article_id": ids, "seq": 1, "part": "body", "start_char": 0,
        "end_char": [len(t) for t in texts], "text": texts, "text_hash": [f"h{i}" for i in range(n)]}),
        pd.DataFrame({"article_id": ids, "passages": 1}))
    shapes = shape_rows(texts).assign(passage_id=[f"{a}:1" for a in ids], rule=RULE_VERSION, outlet_id=owners)
    memory_store.save_passage_figures("m", pd.DataFrame({"passage_id": shapes["passage_id"], "anchoring": 0.5}),
                                      shapes, n, np.zeros(4), replace=True)
    # passages in three outlets whose kept shapes an earlier rule made: one shape, three texts, which would be a
    # template of its own (and three more template passages) if they counted
    stale = [f"s{i}" for i in range(3)]
    memory_store.add_articles(pd.DataFrame({
        "article_id": stale, "outlet_id": outlets[:3], "text": "old", "published_at": dt.datetime(2026, 1, 1),
        "content_hash": stale, "ingested_at": dt.datetime(2026, 1, 2)}))
    memory_store.add_passages(pd.DataFrame({
        "passage_id": [f"{a}:1" for a in stale], "article_id": stale, "seq": 1, "part": "body", "start_char": 0,
        "end_char": 3, "text": "old", "text_hash": [f"old{i}" for i in range(3)]}),
        pd.DataFrame({"article_id": stale, "passages": 1}))
    for i, a in enumerate(stale):
        memory_store.conn.execute("INSERT INTO passage_shapes VALUES (?, 'old', ?, true, false, 2, NULL, NULL, ?)",
                                  [f"{a}:1", f"old{i}", outlets[i]])
    expected = templates_of(shapes.assign(outlet=owners), min_outlets=3)
    found = memory_store.template_shapes(3, FURNITURE_REPEAT, QUOTE_VARIANTS, RULE_VERSION)
    quoted = found["quoted"].to_numpy(dtype=bool)
    mask = shapes["shape"].isin(found["shape"][~quoted]).to_numpy() & (shapes["judged"] | shapes["short"]).to_numpy()
    mask |= shapes["quote_shape"].isin(found["shape"][quoted]).to_numpy()
    assert mask.tolist() == expected.mask.tolist()
    assert (len(found), int(quoted.sum()), int(found["furniture"].sum()), int(found["variants"].sum())) == \
        (expected.shapes, expected.quotes, expected.furniture, expected.texts) == (4, 2, 1, 17)
    passages = memory_store.template_passages(found["shape"][~quoted].tolist(), found["shape"][quoted].tolist(),
                                              RULE_VERSION)
    assert passages == int(expected.mask.sum()) == 26
