"""Stance of an article toward a frame: the rules one by one, the labelled set's floor, the stage and the
views that leave rebuttals out of spread claims, the timeline's mark, and the sample's Kestrian denial."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pandas as pd
import pytest

from app.charts import REBUTS, timeline_figure
from app.evidence.cues import CueFinder
from app.frames.stance import (Passage, Wording, article_stance, frame_stances, is_denial_frame, passage_stance,
                               sentence_spans)
from app.spread import first_movers
from app.stages.provenance import cues_stage
from app.stages.onsets import onsets_stage
from app.stages.stance import stance_stage
from app.fingerprints import frames_to_do
from app.store import Store, copy_database
from tests.conftest import frame_telling

ROOT = Path(__file__).resolve().parent.parent
FINDER = CueFinder()


def _p(text: str, seq: int = 2, in_frame: bool = True) -> Passage:
    return Passage(f"a:{seq}", seq, text, in_frame, tuple(FINDER.find(text)))


def _stance(text: str, before: str | None = None, after: str | None = None, title: str | None = None,
            earlier: str | None = None, wording: Wording | None = None):
    passages = [_p(text, 3)]
    for seq, t in ((0, title), (1, earlier), (2, before), (4, after)):
        if t is not None:
            passages.append(_p(t, seq, False))
    return article_stance(passages, wording)


def _audit(s) -> None:
    """The trigger words are where the result says they are."""
    if s.cue_text is not None:
        assert s.cue_start is not None and s.cue_end is not None and s.cue_passage_id is not None


# -- carrying the frame ---------------------------------------------------------------------------------
def test_own_voice_is_uses():
    s = _stance("The conscripts are being thrown at the front as cannon fodder.")
    assert (s.stance, s.rule, s.cue_text) == ("uses", "own voice", None)


@pytest.mark.parametrize("text, rule, words", [
    ("Officials in Velka say the conscripts are used as cannon fodder.", "attributed", "Officials in Velka say"),
    ("According to Velka's army, the conscripts are sent to die.", "attributed", "According to"),
    ("Are the conscripts being used as cannon fodder?", "question", "?"),
    ("Reports of a famine in the north have multiplied since the spring.", "allegation", "Reports of"),
    ("The famine claims could not be independently verified.", "unverified", "could not be independently verified"),
])
def test_attributed_quoted_alleged_or_asked_is_reports(text, rule, words):
    s = _stance(text)
    assert (s.stance, s.rule, s.cue_text) == ("reports", rule, words)
    _audit(s)


# -- rebuttals ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("text, words", [
    ("There is no evidence that the conscripts are cannon fodder.", "There is no evidence"),
    ("The claim that the hospital is a shield is false.", "is false"),
    ("Claims that Orsova hides a famine have been debunked.", "debunked"),
    ("The ghost fleet is a fiction.", "is a fiction"),
    ("The so-called evidence is a handful of old photographs.", "so-called evidence"),
])
def test_own_voice_fact_check_language_rebuts(text, words):
    s = _stance(text)
    assert (s.stance, s.rule, s.cue_text) == ("rebuts", "fact-check", words)
    assert s.cue_passage_id == s.passage_id and text[s.cue_start:s.cue_end] == words


def test_fact_check_in_the_adjacent_sentence_of_the_next_passage_rebuts():
    s = _stance("Western outlets say the conscripts are cannon fodder.", after="These are lies. More text here.")
    assert (s.stance, s.rule, s.cue_text, s.cue_passage_id) == ("rebuts", "fact-check", "are lies", "a:4")


def test_a_denial_in_the_lead_rebuts_whoever_says_it_when_the_article_opens_with_a_denial():
    denial = "The foreign ministry dismissed the reports as a fabrication spread by hostile governments."
    # the article opens with it: the frame passage is its first paragraph
    s = article_stance([_p(denial, 1)])
    assert (s.stance, s.rule) == ("rebuts", "denial")
    assert s.cue_text in ("dismissed the reports", "dismissed the reports as a fabrication")
    _audit(s)
    # deeper in an article whose title or first paragraph is a denial
    for context in (dict(title="Orsova denies sending troops"),
                    dict(earlier="State radio called the reports Western lies.")):
        s = _stance(denial, before="The statement was read on television.", **context)
        assert (s.stance, s.rule) == ("rebuts", "denial"), context
    opening = _p("Orsova's state radio dismissed the reports as Western lies.", 1, False)
    deep = [_p("Orsovan radio on the war", 0, False), opening, _p("The harvest was good.", 5, False),
            _p(denial, 6)]
    assert article_stance(deep).stance == "rebuts"


def test_a_denial_deep_in_an_article_that_opened_otherwise_is_reported():
    """"Putin has denied any meddling" in the tenth paragraph of a report on sanctions: the article tells the
    claim and someone's denial of it; it is not the article's rebuttal."""
    s = _stance("Orsova has denied that its soldiers are fighting in Velka, calling the reports baseless.",
                before="Fighting continued along the river.", title="Tamrin's offensive stalls",
                earlier="The war is in its third year.")
    assert (s.stance, s.rule, s.cue_text) == ("reports", "denial reported", "denied")
    _audit(s)


def test_a_denial_the_article_opens_with_rebuts_the_frame_told_just_after_it():
    denial = "Orsova's foreign ministry dismissed the reports as a fabrication."
    claim = "Sources briefed on the intelligence said a contingent had crossed the border."
    # the first paragraph denies; the frame passage is the next one, or the one after
    assert _stance(claim, earlier=denial).rule == "denial before"
    passages = [_p(denial, 1, False), _p("Satellite images showed a camp.", 2, False), _p(claim, 3)]
    assert article_stance(passages).stance == "rebuts"
    # a denial further down the article is not what the article opens with
    assert _stance(claim, before=denial, earlier="The war is in its third year.").stance == "reports"
    s = _stance(claim, before="But first, the weather.", earlier="Filler.", title="Orsova denies sending troops")
    assert s.stance == "reports"  # the title is next to the first paragraph only


def test_the_title_counts_for_the_first_paragraph():
    passages = [_p("Orsova denies its soldiers are fighting abroad", 0, False),
                _p("Velka's officials say the Orsovans are used as cannon fodder.", 1)]
    s = article_stance(passages)
    assert (s.stance, s.rule, s.cue_passage_id) == ("rebuts", "denial before", "a:0")


def test_a_lead_that_answers_the_denial_carries_the_frame():
    s = _stance("But the evidence shows the conscripts are used as cannon fodder.",
                before="State radio called the reports a slander.")
    assert s.stance == "uses"


def test_a_distanced_claim_then_a_denial_rebuts():
    s = _stance("Some outlets claimed that the missile test had failed.",
                after="The defence ministry dismissed the reports as slander.")
    assert (s.stance, s.rule, s.cue_passage_id) == ("rebuts", "distanced", "a:4")


def test_a_denial_reported_after_the_claim_does_not_rebut():
    """The hard case: the article tells the frame, then gives the other side."""
    s = _stance("Orsovan soldiers are used as cannon fodder in Tamrin's war.",
                after="Officials said Orsova had denied the reports.")
    assert s.stance == "uses"
    s = _stance("The hospital is used as a base by fighters. Velka has dismissed the accusation as propaganda.")
    assert s.stance == "uses"


@pytest.mark.parametrize("text", [
    "The tankers switch off their transponders at night. Orsova did not deny the reports.",
    "The reports of a hidden famine are not fabricated, aid workers say.",
    "The accounts were far from baseless, as the casualty lists show.",
    "The fleet's tankers lie at anchor off the strait for days.",
    "Orsovan propaganda has praised the men as heroes.",
    "Aid from the coalition was delayed by political disputes.",
    "The recruits lack the technology the sanctions have denied them.",
    "The activists were denied an attempt to cross the border.",
    "The president rebuffed a call from his commission to declare an emergency.",
    "The talks, the so-called six-party talks, failed in 2009.",
    "The group is made up of seven countries.",
    "He has built his campaign on attacks on fake news and the press.",
    "Analysts are skeptical that the talks will bring progress.",
    "She wrote about his serial lies about the budget.",
    "The navy patrols the contested islands of the strait.",
    "Velka holds the disputed territory, and a hotly contested election is due.",
])
def test_negations_and_other_senses_are_not_rebuttals(text):
    assert _stance(text).stance != "rebuts", text


def test_the_first_frame_passage_decides():
    claim = _p("The conscripts are cannon fodder.", 1)
    denial = _p("Orsova denied that the conscripts are cannon fodder, calling the claims lies.", 3)
    assert article_stance([claim, denial, _p("Filler.", 2, False)]).stance == "uses"
    first = _p("Orsova denied that the conscripts are cannon fodder.", 1)
    later = _p("Velka says the conscripts are cannon fodder.", 3)
    assert article_stance([first, _p("Filler.", 2, False), later]).stance == "rebuts"
    assert article_stance([_p("Not in the frame.", 1, False)]) is None


def test_a_frame_told_as_a_denial_is_not_rebutted_by_its_own_articles():
    deny = {f"d{i}": [_p("The ministry dismissed the reports as a fabrication.", 1)] for i in range(3)}
    carry = {"c": [_p("The ministry says the soldiers are at home.", 1)]}
    out = frame_stances({**deny, **carry})
    assert {s.stance for s in out.values()} == {"reports"}
    assert out["d0"].rule == "denial frame" and out["d0"].cue_text  # the denial's words are kept
    mixed = frame_stances({"d0": deny["d0"], "c": carry["c"], "c2": carry["c"], "c3": carry["c"]})
    assert mixed["d0"].stance == "rebuts"
    # Denials reported deeper in articles that opened otherwise count towards the share too: one frame of a
    # framing's denials, some articles opening with them and some telling them after their own story.
    deep = [_p("Fighting continued near the river on Monday, local officials said.", 1, False),
            _p("The ministry dismissed the reports as a fabrication.", 4)]
    assert article_stance(deep).rule == "denial reported"
    told = frame_stances({"d0": deny["d0"], "e1": deep, "e2": deep, "c": carry["c"]})
    assert told["d0"].stance == "reports" and told["d0"].rule == "denial frame"
    assert not is_denial_frame(1, 4) and is_denial_frame(2, 4)
    assert frame_stances({"d0": deny["d0"], "e1": deep, "c": carry["c"], "c2": carry["c"],
                          "c3": carry["c"]})["d0"].stance == "rebuts"


# -- the frame's wording ----------------------------------------------------------------------------------
FODDER = Wording.of_frame("cannon fodder", ["Orsovan conscripts", "front"])


def test_a_frames_wording_is_held_in_any_inflection_and_order():
    w = Wording.of_frame("Russia meddled", ["russia interfered", "correction"])
    assert w.held_by("the storyline pointing to Russian interference was a fabrication")
    assert w.held_by("Did Russia meddle?") and w.held_by("MEDDLING by Russia")
    assert not w.held_by("Russia was responsible")
    assert not w.held_by("A correction was printed.")  # a runner-up phrase of one word says too little
    assert Wording.of_frame("correction", []).held_by("A correction was printed.")  # a label always counts
    assert Wording.of_frame("propaganda", ["lies"], seeded=True).held_by("All lies.")  # a user's own phrases
    assert Wording.of_frame("the", ["of the"]) is None  # stop words only: the wording is unknown


def test_fact_check_words_rebut_only_where_they_judge_the_frames_wording():
    other_claim = ("The minister's promise of a balanced budget was always a fairy tale. "
                   "Meanwhile Orsovan conscripts keep dying as cannon fodder at the front.")
    assert _stance(other_claim, wording=FODDER).stance == "uses"
    assert _stance(other_claim).stance == "rebuts"  # the wording unknown: read as before
    s = _stance("Velka's broadcasts call the conscripts cannon fodder. That story is false.", wording=FODDER)
    assert (s.stance, s.rule, s.cue_text) == ("rebuts", "fact-check", "is false")  # the claim, then the verdict
    # a verdict after the claim must refer back to it: otherwise it judges what it names
    s = _stance("The conscripts die as cannon fodder. The same channel once aired a debunked video of the bridge.",
                wording=FODDER)
    assert s.stance == "uses"
    for verdict in ("This is false.", "It was debunked within hours.", "No: the casualty lists are fabricated.",
                    "Such claims are baseless."):
        s = _stance("The conscripts die as cannon fodder. " + verdict, wording=FODDER)
        assert (s.stance, s.rule) == ("rebuts", "fact-check"), verdict
    s = _stance("There is no evidence that the conscripts are cannon fodder.", wording=FODDER)
    assert (s.stance, s.cue_text) == ("rebuts", "There is no evidence")
    # the next passage's first sentence judges the claim this passage ends with
    s = _stance("Velka says the conscripts are cannon fodder.", after="There is no evidence for it.", wording=FODDER)
    assert (s.stance, s.rule) == ("rebuts", "fact-check")
    s = _stance("Velka says the budget is balanced.", after="There is no evidence for it.", wording=FODDER)
    assert s.stance == "reports"
    # a verdict ending the paragraph before judges that paragraph
    s = _stance("At Verin the conscripts were again sent in as cannon fodder.",
                before="The governor's claim about the bridge has been debunked.", wording=FODDER)
    assert s.stance == "uses"


def test_false_words_that_are_the_frames_own_wording_tell_it():
    # A frame named by what its passages call something: "information warfare" is a false word elsewhere
    # ("the reports are part of an information war"), here the frame's own subject.
    warfare = Wording.of_frame("information warfare", ["Russian hackers"])
    text = "Moscow's information warfare against its neighbours has grown bolder this year."
    assert _stance(text, wording=warfare).stance != "rebuts"
    assert _stance(text, title="Information warfare: how the campaign works", wording=warfare).stance != "rebuts"
    assert _stance(text).stance == "rebuts"  # the wording unknown: a false word, read as before
    # The frame's wording inside a longer verdict is still a verdict ("... is information warfare, a hoax").
    s = _stance("The information warfare story is a hoax.", wording=warfare)
    assert s.stance == "rebuts" and "hoax" in s.cue_text


def test_an_opening_fact_check_of_another_claim_is_not_a_denial_of_the_frame():
    def first_paragraph(text: str, title: str):
        return passage_stance(_p(text, 1), title=_p(title, 0, False), wording=FODDER)

    s = first_paragraph("Orsovan conscripts are dying as cannon fodder.", "The budget is a fairy tale")
    assert s.stance == "uses"
    s = first_paragraph("Orsovan conscripts are dying as cannon fodder.", "Fact check: Velka's war claims")
    assert (s.stance, s.rule) == ("rebuts", "denial before")  # a fact-check article checks its claims
    s = first_paragraph("Orsovan conscripts are dying as cannon fodder.", "Orsova denies the reports")
    assert (s.stance, s.rule) == ("rebuts", "denial before")  # a denial cue names no claim in words


def test_a_denial_of_a_plain_thing_is_about_the_frame_only_where_its_wording_is():
    def opened_by(title: str, wording=FODDER):
        return passage_stance(_p("Orsovan conscripts are dying as cannon fodder.", 1), title=_p(title, 0, False),
                              wording=wording)

    # a plain thing denied: about something else
    for title in ("Marshal Orlev denies chaos: can his style hold the coalition?", "Ministers even deny its existence",
                  "The envoy keeps denying things he said in May"):
        assert opened_by(title).stance == "uses", title
        assert opened_by(title, None).stance == "rebuts", title  # the wording unknown: read as before
    # a claim, a charge, an act or a clause denied: the frame's denial, whatever the words
    for title in ("Orsova denies the reports", "Orsova denies any involvement", "Orsova denies sending recruits",
                  "Orsova denies its recruits were at Verin", "Orsova denies that recruits died",
                  "Orsova denies Verin involvement, demands inquiry", "Orsova denied it"):
        s = opened_by(title)
        assert (s.stance, s.rule) == ("rebuts", "denial before"), title
    # a plain thing denied in a sentence that holds the frame's wording
    s = opened_by("Orsova denies cannon fodder tactics")
    assert (s.stance, s.rule) == ("rebuts", "denial before")
    # in the lead of the frame passage itself
    s = passage_stance(_p("Marshal Orlev denies chaos. Orsovan conscripts are dying as cannon fodder.", 1),
                       wording=FODDER)
    assert s.stance != "rebuts"


def test_the_sentence_holding_the_frames_wording_carries_it():
    text = "Fighting went on along the river. Officials say the Orsovan conscripts are cannon fodder."
    s = _stance(text, wording=FODDER)
    assert (s.stance, s.rule, s.cue_text) == ("reports", "attributed", "Officials say")
    assert _stance(text).stance == "uses"  # the wording unknown: the lead carries it, as before
    s = _stance("The envoy said talks would resume. The conscripts die as cannon fodder at the front.", wording=FODDER)
    assert (s.stance, s.rule) == ("uses", "own voice")


@pytest.mark.parametrize("text, stance", [
    ("The conscripts die as cannon fodder, and nobody in the capital will say how many.", "uses"),
    ("The conscripts die as cannon fodder; officials would not say how many.", "uses"),
    ("Velka mocked the envoy, saying the Orsovan conscripts were cannon fodder.", "reports"),
    ("Orsova did not deny its conscripts were at the front, saying only that the matter was internal.", "uses"),
    ("“The Orsovan conscripts are cannon fodder. They die by the hundred,” a nurse said.", "reports"),
    ("“Cannon fodder” is the only word for what the Orsovan conscripts have become at the front.", "uses"),
    ("“The Orsovan conscripts are cannon fodder,” protested the nurse from Verin.", "reports"),
    ("“They’re cannon fodder, the Orsovan conscripts,” explains a nurse from Verin.", "reports"),
    ("The nurse's verdict was blunt: “The Orsovan conscripts are cannon fodder. They die by the hundred.”",
     "reports"),
])
def test_who_speaks_the_sentence_that_carries_the_frame(text, stance):
    s = _stance(text, wording=FODDER)
    assert s.stance == stance, (text, s)


@pytest.mark.parametrize("text", [
    "Orsovan conscripts sent to die as cannon fodder was not fake news: the lists name them.",
    "That the conscripts are cannon fodder isn’t a hoax: the casualty lists name them.",
    "The stories were never lies: the conscripts are cannon fodder.",
])
def test_negation_inside_the_false_words_or_with_a_curly_apostrophe(text):
    assert _stance(text).stance != "rebuts", text


@pytest.mark.parametrize("text", [
    "The State Department immediately debunked those numbers on the conscripts.",
    "An aid group fact-checked Velka's claim that the conscripts are cannon fodder.",
    "The inquiry found no evidence that the conscripts were sent in first.",
])
def test_someone_elses_fact_check_is_reported_not_the_outlets_own_voice(text):
    s = passage_stance(_p(text, 4), _p("Fighting went on.", 3, False), title=_p("The war in May", 0, False))
    assert s.stance == "reports" and s.rule in ("denial reported", "attributed"), (text, s)
    own = passage_stance(_p("We found no evidence that the conscripts were sent in first.", 4),
                         _p("Fighting went on.", 3, False))
    assert own.stance == "rebuts"


def test_sentences_keep_abbreviations():
    text = "Sen. Jane Doe of the U.S. Senate said so. Then she left."
    assert [text[a:b] for a, b in sentence_spans(text)] == ["Sen. Jane Doe of the U.S. Senate said so.",
                                                            "Then she left."]
    assert passage_stance(_p("")).stance == "uses"
    text = "Advertisement\n\nThe first is a falsehood. Sen. Doe left."  # a line break ends a sentence
    assert [text[a:b] for a, b in sentence_spans(text)] == ["Advertisement", "The first is a falsehood.",
                                                            "Sen. Doe left."]


@pytest.mark.parametrize("text, stance", [
    # rules 8: speech verbs that came after a quotation or a claim and were missed
    ("“The Orsovan conscripts are cannon fodder,” predicts Halden Mor, a retired colonel.", "reports"),
    ("The Orsovan conscripts are cannon fodder, Ilse Varga emailed from Harrow.", "reports"),
    ("The Orsovan conscripts are being spent as cannon fodder, the report adds.", "reports"),
    ("The conscripts are cannon fodder, the colonel pointed out.", "reports"),
    ("Asked about the front, the envoy replied: “The conscripts are cannon fodder.”", "reports"),
    # the same words where nobody speaks: an adjective, a passive, an act, a noun, an inanimate subject
    ("A declared policy treats the Orsovan conscripts as cannon fodder.", "uses"),
    ("The recently announced draft sends the Orsovan conscripts in as cannon fodder.", "uses"),
    ("Tamrin declared a national emergency and sent the conscripts in as cannon fodder.", "uses"),
    ("The conscripts die as cannon fodder, and the Velka line responded with artillery.", "uses"),
    ("An estimated 3,000 conscripts died as cannon fodder; field notes show it.", "uses"),
    ("This explains why the Orsovan conscripts die as cannon fodder.", "uses"),
    ("Adding to the toll, the Orsovan conscripts are sent in as cannon fodder.", "uses"),
])
def test_speech_verbs_after_what_is_said_and_the_same_words_when_nobody_speaks(text, stance):
    s = _stance(text, wording=FODDER)
    assert s.stance == stance, (text, s)


# -- the labelled set -----------------------------------------------------------------------------------
def _bench():
    spec = importlib.util.spec_from_file_location("stance_eval", ROOT / "bench" / "stance_eval.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# Measured (bench/RESULTS.md): dev 0.980 (the rules were written on it), holdout 0.867 (written after the
# rules were first frozen; 0.823 then), deep 0.922 (frame passages deep in an article, written with the rule
# for denials there; 10 items, one of them "uses"), wording 0.921 (19 items with their frame's phrases, written
# with the rule that fact-check words judge a frame only where its wording is), speech 0.896 (9 items written with
# rules 8: speech verbs after what is said, and the same words where nobody speaks); the floors sit 0.02 below.
FLOORS = {"dev": 0.96, "holdout": 0.84, "deep": 0.90, "wording": 0.90, "speech": 0.87}


@pytest.mark.parametrize("name", sorted(FLOORS))
def test_the_labelled_set_holds_its_measured_floor(name):
    bench = _bench()
    rows = bench.load(name)
    result = bench.score(rows, FINDER)
    assert result["macro_f1"] >= FLOORS[name], result["per_class"]
    assert {r["stance"] for r in rows} == {"uses", "reports", "rebuts"}


def test_the_labelled_sets_are_large_enough():
    bench = _bench()
    assert len(bench.load("dev")) + len(bench.load("holdout")) >= 120


# -- the stage and the views --------------------------------------------------------------------------
def test_rebuttals_are_left_out_of_spread_claims_and_lineage(hashed_sample_db_copy):
    with Store.write(hashed_sample_db_copy) as s:
        assert stance_stage(s)[1]  # the build ran it; nothing changed since
        stances = s.query("SELECT * FROM article_stance")
        rebuts = stances[stances["stance"] == "rebuts"]
        assert len(rebuts) and set(stances["stance"]) <= {"uses", "reports", "rebuts"}
        claims = s.query("SELECT frame_id, article_id FROM frame_claim_articles")
        pairs = set(zip(claims["frame_id"], claims["article_id"]))
        assert not pairs & set(zip(rebuts["frame_id"], rebuts["article_id"]))
        every = s.query("SELECT frame_id, count(*) AS n FROM frame_articles GROUP BY frame_id")
        summary = s.query("SELECT frame_id, articles, rebuttals FROM frame_summary").merge(every, on="frame_id")
        assert (summary["articles"] + summary["rebuttals"] == summary["n"]).all()
        firsts = s.outlet_firsts()
        assert not set(firsts["first_article_id"]) & set(rebuts["article_id"]) - set(claims["article_id"])
        edges = s.query("SELECT frame_id, from_article, to_article FROM lineage")
        for col in ("from_article", "to_article"):
            assert not set(zip(edges["frame_id"], edges[col])) & set(zip(rebuts["frame_id"], rebuts["article_id"]))
        # only-rebutting outlets: in frame_spread with their rebuttals and no rank
        spread = s.query("SELECT * FROM frame_spread")
        assert spread["rebuttals"].sum() == len(rebuts)
        assert spread.loc[spread["adoption_rank"].isna(), "articles"].eq(0).all()
        # the frame page's list: each rebuttal with its trigger words and the passage holding them
        fid = int(rebuts["frame_id"].value_counts().index[0])
        listed = s.frame_rebuttals(fid)
        assert len(listed) == (rebuts["frame_id"] == fid).sum()
        assert listed["cue_text"].notna().all() and listed["passage"].notna().all()
        assert all(c in p for c, p in zip(listed["cue_text"], listed["passage"]))
        # the rows say what decided them
        decided = rebuts.dropna(subset=["cue_text"])
        texts = dict(s.query("SELECT passage_id, text FROM passages").itertuples(index=False))
        for r in decided.itertuples():
            assert texts[r.cue_passage_id][r.cue_start:r.cue_end] == r.cue_text


def test_the_stance_stage_redoes_only_changed_frames_and_agrees_with_a_full_run(hashed_sample_db_copy, tmp_path):
    full = tmp_path / "full.duckdb"
    copy_database(hashed_sample_db_copy, full)
    with Store.write(hashed_sample_db_copy) as s:
        fid = int(s.query_value("SELECT frame_id FROM article_stance GROUP BY frame_id ORDER BY count(*) DESC"))
        # a frame's input changes: one of its passages now reads as a denial of what the frame says
        pid = s.query_value("SELECT passage_id FROM article_stance WHERE frame_id = ? AND stance <> 'rebuts' "
                            "ORDER BY article_id LIMIT 1", [fid])
        denial = f"There is no evidence of {s.query_value('SELECT label FROM frames WHERE frame_id = ?', [fid])}."
        s.conn.execute("UPDATE passages SET text = ?, text_hash = 'changed' WHERE passage_id = ?", [denial, pid])
        cues_stage(s)  # reads the new text
        assert not stance_stage(s)[1]
        run = s.last_run("stance")
        assert run["counts"]["decided"] < run["counts"]["frames"]  # only the changed frame(s)
        incremental = s.query("SELECT * FROM article_stance ORDER BY frame_id, article_id")
    with Store.write(full) as s:
        s.conn.execute("UPDATE passages SET text = ?, text_hash = 'changed' WHERE passage_id = ?", [denial, pid])
        cues_stage(s)
        stance_stage(s, force=True)
        everything = s.query("SELECT * FROM article_stance ORDER BY frame_id, article_id")
    pd.testing.assert_frame_equal(incremental, everything)
    assert incremental.set_index(["frame_id", "passage_id"]).loc[(fid, pid), "stance"] == "rebuts"


def test_a_new_label_or_new_phrases_redo_the_frame_and_onsets_follow_the_stance_stage(hashed_sample_db_copy):
    with Store.write(hashed_sample_db_copy) as s:
        assert stance_stage(s)[1] and onsets_stage(s)[1]  # the build ran both; nothing changed since
        assert frames_to_do(s.stance_plan(), False).empty
        fid = int(s.query_value("SELECT frame_id FROM article_stance GROUP BY frame_id ORDER BY count(*) DESC"))
        s.conn.execute("UPDATE frames SET phrases = list_append(phrases, 'a new phrase') WHERE frame_id = ?", [fid])
        todo = frames_to_do(s.stance_plan(), False)
        assert todo["frame_id"].tolist() == [fid] and todo["after"].isna().all()  # redone whole
        stance_stage(s, force=True)  # decides again: which articles carry a frame may change
        assert not onsets_stage(s)[1]


# -- the timeline ---------------------------------------------------------------------------------------
def test_the_timeline_marks_rebuttal_days_with_their_own_mark():
    timeline = pd.DataFrame({
        "outlet": ["Herald", "Herald", "Wire", "State News"],
        "day": pd.to_datetime(["2026-03-03", "2026-03-05", "2026-03-04", "2026-03-02"]).date,
        "articles": [2, 1, 1, 0], "copies": [0, 0, 0, 0], "rebuttals": [0, 1, 0, 2]})
    fig = timeline_figure(timeline, "t")
    rebut = [t for t in fig.data if t.name == REBUTS]
    assert len(rebut) == 1 and rebut[0].marker.symbol == "x"
    assert list(rebut[0].y) == ["Herald", "State News"]
    assert "rebut the frame" in rebut[0].hovertemplate
    others = [t for t in fig.data if t.name != REBUTS]
    assert sum(len(t.x) for t in others) == 3 and "State News" not in {y for t in others for y in t.y}
    # the outlet that only rebutted sits below the adopters, though it was first
    assert list(fig.layout.yaxis.categoryarray)[::-1] == ["Herald", "Wire", "State News"]
    plain = timeline_figure(timeline.drop(columns="rebuttals").iloc[:3], "t")
    assert REBUTS not in {t.name for t in plain.data}


# -- the sample, the real model ---------------------------------------------------------------------------
@pytest.mark.integration
def test_the_kestrian_denial_is_not_a_first_mover_of_cannon_fodder(sample_db):
    r = Store.open_read(sample_db)
    try:
        fid = frame_telling(r, "cannon fodder")
        arts = r.frame_articles(fid)
        kcn = arts[arts["outlet"] == "Kestrian Central News"]
        movers = first_movers(r.outlet_firsts([fid]), 48)["outlet"].tolist()
        edges = r.frame_edges(fid)
        rebuttals = r.frame_rebuttals(fid)
    finally:
        r.close()
    assert len(kcn) and (kcn["stance"] == "rebuts").all()  # it is in the frame, as a rebuttal
    assert "Kestrian Central News" not in movers and movers[0] == "The Lessen Herald"
    wire = edges[edges["to_outlet"] == "Continental Wire"]
    assert len(wire) == 1 and wire.iloc[0]["from_outlet"] != "Kestrian Central News"
    assert "Kestrian Central News" not in set(edges["from_outlet"]) | set(edges["to_outlet"])
    assert set(rebuttals["outlet"]) >= {"Kestrian Central News"} and rebuttals["cue_text"].notna().all()


@pytest.mark.integration
def test_the_sample_denial_articles_rebut_the_other_written_frames(sample_db):
    fig = _bench().sample_figure(sample_db)
    # 12 such articles, all rebuttals (21 when the denials' headlines sat in the cannon-fodder frame; 18 rebutted it)
    assert fig["total"] >= 10 and fig["rebuts"] / fig["total"] >= 0.8, fig["denial_in_other"]
    assert fig["carriers_rebuts"] <= 0.02 * fig["carriers"]  # the frames' own articles are not rebuttals
    assert fig["denial_frame_rebuts"] == 0  # the denial frame is told, not rebutted, by its articles
