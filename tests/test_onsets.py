"""Onsets: core and precursors, the core onset, date flags, where dates come from and corrections."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from app.cli import main
from app.frames.onsets import (CorrectionProblem, basis_line, core_threshold, corrections, date_flags, frame_onset,
                               frame_onsets, later_dates, sustained_onset, time_outliers)
from app.ingest.normalize import ColumnMap, RecordProblem, normalise, url_date
from app.stages.onsets import onsets_stage
from app.store import Store

D = pd.Timestamp


def arts(rows):
    """A frame's articles from (id, outlet, day, score)."""
    return pd.DataFrame([{"article_id": a, "outlet": o, "published_at": D(d), "score": s} for a, o, d, s in rows])


# -- core -----------------------------------------------------------------------------------------------

def test_the_core_threshold_is_relative_to_the_frames_own_scores():
    scores = np.array([0.80, 0.82, 0.78, 0.81, 0.79, 0.60])
    t = core_threshold(scores)
    assert 0.60 < t < 0.78  # the loose tail is out, the body is in
    # The same frame on another model's similarity scale keeps the same core.
    assert ((scores + 0.1) >= core_threshold(scores + 0.1)).tolist() == (scores >= t).tolist()


def test_a_literal_match_of_a_seeded_frame_is_always_core():
    a = arts([("a", "X", "2020-01-01", 0.1), ("b", "Y", "2020-01-02", 0.9), ("c", "Z", "2020-01-03", 0.9),
              ("d", "X", "2020-01-04", 0.9), ("e", "Y", "2020-01-05", 0.9)])
    loose = frame_onset(a)
    assert not loose.roles.set_index("article_id").at["a", "core"]
    literal = frame_onset(a.assign(literal=[True, False, False, False, False]))
    assert literal.roles.set_index("article_id").at["a", "core"] and literal.onset_article_id == "a"


# -- onset ----------------------------------------------------------------------------------------------

def test_an_isolated_early_article_is_a_precursor_and_the_onset_is_where_the_frame_keeps_being_told():
    a = arts([("early", "Newsmax", "2016-03-26", 0.80),  # close to the frame, but nobody follows
              ("x1", "Vox", "2017-08-09", 0.81), ("x2", "CBN", "2017-08-09", 0.82),
              ("x3", "The Hill", "2017-08-10", 0.80), ("x4", "Guardian", "2017-08-11", 0.79),
              ("x5", "Politico", "2017-09-30", 0.80)])
    o = frame_onset(a)
    assert o.onset_article_id in {"x1", "x2"} and o.onset_at == D("2017-08-09") and o.basis == "sustained"
    roles = o.roles.set_index("article_id")
    assert roles.at["early", "role"] == "precursor" and not roles.at["early", "counts"]
    assert roles.loc[["x1", "x2", "x3", "x4", "x5"], "counts"].all()


def test_a_nearly_core_article_just_before_the_onset_starts_its_run_and_one_far_before_does_not():
    # Scores bunched tightly (outlets repeating the same sentences): the first telling sits just under two
    # deviations below the median, followed within days by the rest.
    body = [("b1", "Y", "2026-03-07", 0.80), ("b2", "X", "2026-03-08", 0.84), ("b3", "X", "2026-03-09", 0.78),
            ("b4", "Y", "2026-03-11", 0.82), ("b5", "Z", "2026-03-13", 0.86), ("b6", "Y", "2026-03-14", 0.80),
            ("b7", "X", "2026-03-20", 0.84), ("b8", "Z", "2026-03-25", 0.82), ("b9", "Y", "2026-04-02", 0.78)]
    first = ("first", "X", "2026-03-05", 0.735)  # median 0.81, deviation 0.03: core from 0.75, nearly from 0.72
    assert 0.735 < core_threshold([r[3] for r in [first, *body]])  # outside the core by the core rule alone
    o = frame_onset(arts([first, *body]))
    assert o.onset_article_id == "first" and o.onset_at == D("2026-03-05") and o.basis == "sustained"
    roles = o.roles.set_index("article_id")
    assert roles.at["first", "core"] and roles.at["first", "counts"] and roles.at["first", "role"] == "core"
    # Far lower (a loosely similar passage), or dated more than the onset's window before it: a precursor.
    for early in [("loose", "X", "2026-03-05", 0.70), ("weeks", "X", "2026-02-20", 0.735)]:
        o = frame_onset(arts([early, *body]))
        assert o.onset_article_id == "b1", early
        assert o.roles.set_index("article_id").at[early[0], "role"] == "precursor"


def test_a_burst_from_one_outlet_is_not_an_onset():
    when = pd.Series(pd.to_datetime(["2020-01-01", "2020-01-01", "2020-01-02", "2020-03-01", "2020-03-02",
                                     "2020-03-03"]))
    assert sustained_onset(when, ["A", "A", "A", "B", "C", "B"]) == 3
    assert sustained_onset(when[:3], ["A", "A", "A"]) is None
    # Two outlets but only one follower within the window: not yet.
    assert sustained_onset(pd.Series(pd.to_datetime(["2020-01-01", "2020-01-02", "2020-01-20"])), ["A", "B", "C"]) is None


def test_a_frame_never_told_by_several_outlets_within_days_starts_at_its_first_core_article():
    a = arts([("a", "X", "2015-01-01", 0.80), ("b", "Y", "2016-01-01", 0.81), ("c", "Z", "2017-01-01", 0.79)])
    o = frame_onset(a)
    assert o.onset_article_id == "a" and o.basis == "first core"
    assert "never told by 2 outlets within 7 days" in basis_line({"onset_at": o.onset_at, "basis": o.basis,
                                                                  "onset_outlet": "X", "precursors": 0, "flagged": 0})


def test_a_flagged_date_takes_no_part_in_the_onset_nor_in_the_claims():
    a = arts([("vox", "Vox", "2017-07-06", 0.85), ("a", "Atlantic", "2017-07-07", 0.84),
              ("b", "CBN", "2017-07-08", 0.84), ("c", "USA Today", "2017-07-09", 0.85),
              ("d", "The Hill", "2017-07-10", 0.84), ("e", "Guardian", "2017-07-11", 0.85)])
    assert frame_onset(a).onset_article_id == "vox"
    o = frame_onset(a, flagged={"vox"})
    assert o.onset_article_id == "a"
    roles = o.roles.set_index("article_id")
    assert roles.at["vox", "date_flagged"] and not roles.at["vox", "counts"]


def test_when_every_core_date_is_flagged_the_claim_rests_on_them_and_says_so():
    a = arts([("a", "X", "2020-01-01", 0.8), ("b", "Y", "2020-01-02", 0.8), ("c", "Z", "2020-01-03", 0.8)])
    o = frame_onset(a, flagged={"a", "b", "c"})
    assert o.basis == "flagged" and o.onset_article_id == "a" and o.roles["counts"].all()
    line = basis_line({"onset_at": o.onset_at, "basis": o.basis, "onset_outlet": "X", "precursors": 0,
                       "flagged": 3})
    assert "every core date in this frame is flagged" in line and "3 dates flagged" in line


def test_a_close_article_far_before_the_rest_of_the_frame_stands_apart_in_time():
    when = pd.Series(pd.to_datetime(["2013-02-14", "2017-09-01", "2017-09-20", "2017-10-01"]))
    assert time_outliers(when) == [0]
    # A frame told steadily over years has no outlier: no gap is larger than the span after it.
    steady = pd.Series(pd.to_datetime(["2015-01-01", "2016-01-01", "2017-01-01", "2018-01-01"]))
    assert time_outliers(steady) == []
    a = arts([("old", "Fox", "2013-02-14", 0.8), ("a", "X", "2017-09-01", 0.8), ("b", "Y", "2017-09-20", 0.8),
              ("c", "Z", "2017-10-01", 0.8)])
    o = frame_onset(a)
    assert o.outliers == ["old"] and o.onset_article_id == "a" and o.basis == "first core"


def test_every_frame_at_once_gives_what_each_frame_alone_gives():
    rng = np.random.default_rng(7)
    rows = []
    for f in range(40):
        for i in range(int(rng.integers(1, 15))):
            rows.append({"frame_id": f, "article_id": f"f{f}a{i}", "outlet": f"o{rng.integers(0, 4)}",
                         "published_at": D("2020-01-01") + pd.Timedelta(days=int(rng.integers(0, 200))),
                         "score": float(rng.uniform(0.5, 0.9))})
    df = pd.DataFrame(rows)
    flags = pd.DataFrame({"article_id": df["article_id"].sample(10, random_state=1)})
    onsets, roles, outliers = frame_onsets(df, flags)
    for f, group in df.groupby("frame_id"):
        one = frame_onset(group.drop(columns="frame_id"), set(flags["article_id"]))
        row = onsets.set_index("frame_id").loc[f]
        assert row["onset_article_id"] == one.onset_article_id and row["basis"] == one.basis
        mine = roles[roles["frame_id"] == f].drop(columns="frame_id").reset_index(drop=True)
        pd.testing.assert_frame_equal(mine, one.roles[mine.columns].reset_index(drop=True), check_dtype=False)
        assert sorted(outliers.loc[outliers["frame_id"] == f, "article_id"]) == sorted(one.outliers)


def test_the_basis_line_says_how_first_seen_was_found_in_plain_words():
    line = basis_line({"onset_at": D("2017-08-09"), "basis": "sustained", "onset_outlet": "CBN", "precursors": 3,
                       "flagged": 1})
    assert line == "First seen: core onset, 2017-08-09 by CBN; 3 earlier similar passages; 1 date flagged."
    assert "not traced yet" in basis_line(None)


# -- dates in the text ----------------------------------------------------------------------------------

PUBLISHED = "2017-07-06"
# Fictional sentences, each with whether it tells, as having happened, a date after 2017-07-06.
LATER = [
    ("On July 28, the minister said the talks had failed.", True),
    ("The army detonated its largest device yet on August 3.", True),
    ("The army detonated its largest device yet on September 3, 2017.", True),
    ("Updated July 30, 3:55 p.m.", True),
    ("On August 8, 2017, the president warned the neighbour.", True),
    ("The leaders will meet on June 12 in the capital.", False),
    ("The summit is scheduled for August 8.", False),
    ("Officials said the two sides agreed to hold discussions on July 12.", False),
    ("Anticipation about the August 12 meeting is turning to pessimism.", False),
    ("The sanctions expire Aug. 22.", False),
    ("The first wave of new sanctions is to take effect Aug. 22.", False),
    ("He said he had no thoughts about the impending election on Dec. 12.", False),
    ("The talks may resume on August 8.", False),
    ("Next round: talks on August 8 if both sides agree.", False),
    ("The state, which holds its caucus on July 20, has invested heavily.", False),
    ("It was the final debate before Election Day on July 20.", False),
    ("The day is celebrated annually on July 19.", False),
    ("The book is being released through a small publisher on July 20.", False),
    ("The adviser is sentenced on July 20.", False),
    ("On July 2, the minister said the talks had failed.", False),      # before publication
    ("On July 7, the minister said the talks had failed.", False),      # within two days
    ("On November 9, the minister conceded the vote.", False),          # no year, months after: last November
    ("Finally, on October 21, the spokesman resigned.", False),         # no year, months after: last October
]


@pytest.mark.parametrize("sentence,later", LATER)
def test_a_later_date_counts_only_when_told_as_having_happened(sentence, later):
    found = later_dates(f"Some context here. {sentence} More context follows.", PUBLISHED)
    assert bool(found) == later, found


def test_a_date_without_a_year_takes_the_year_nearest_after_publication_only_within_weeks():
    assert later_dates("On Jan. 3, the minister resigned.", "2017-12-20")[0][0] == dt.date(2018, 1, 3)
    assert later_dates("On Dec. 28, the minister resigned.", "2018-01-05") == []  # last December


def test_date_flags_name_the_reason_and_leave_corrected_dates_alone():
    df = pd.DataFrame([
        {"article_id": "a", "title": "t", "text": "On July 28, the minister said it was over.",
         "published_at": D(PUBLISHED), "date_source": "publisher"},
        {"article_id": "b", "title": "t", "text": "Nothing dated.", "published_at": D(PUBLISHED),
         "date_source": "crawl"},
        {"article_id": "c", "title": "t", "text": "On July 28, the minister said it was over.",
         "published_at": D(PUBLISHED), "date_source": "corrected"},
        {"article_id": "d", "title": None, "text": "Nothing dated.", "published_at": D(PUBLISHED),
         "date_source": "publisher"},
    ])
    flags = date_flags(df).set_index("article_id")
    assert flags.at["a", "reason"] == "refers to a later date" and flags.at["a", "detail"].startswith("2017-07-28")
    assert flags.at["b", "reason"] == "crawl date"
    assert set(flags.index) == {"a", "b"}


def test_the_bundled_sample_has_no_flagged_date():
    from app.config import SAMPLE_PATH
    from app.ingest.readers import read_records

    rows = [r for _, r, _ in read_records(SAMPLE_PATH)]
    df = pd.DataFrame({"article_id": [r["url"] for r in rows], "title": [r["title"] for r in rows],
                       "text": [r["text"] for r in rows], "published_at": [D(r["published_at"]) for r in rows],
                       "date_source": "publisher"})
    assert date_flags(df).empty


# -- where dates come from ------------------------------------------------------------------------------

@pytest.mark.parametrize("column,value,url,source", [
    ("published_at", "2020-05-01T10:00:00Z", "https://x.org/a", "publisher"),
    ("date", "2020-05-01", "https://x.org/a", "publisher"),
    ("seendate", "20200501T101500Z", "https://x.org/a", "crawl"),
    ("crawled_at", "2020-05-01", "https://x.org/a", "crawl"),
    ("date", "", "https://x.org/world/2020/05/01/story", "url"),
])
def test_ingest_records_where_each_date_came_from(column, value, url, source):
    record = {"url": url, "title": "t", "text": "body", column: value}
    article = normalise(record, ColumnMap.detect(record.keys()), 10_000)
    assert article["date_source"] == source
    assert article["published_at"] == dt.datetime(2020, 5, 1) or source in ("publisher", "crawl")


def test_a_date_in_the_address_is_read_in_its_usual_forms():
    assert url_date("https://www.vox.com/world/2017/7/6/15922824/slug") == dt.datetime(2017, 7, 6)
    assert url_date("https://x.com/news/20170809/slug") == dt.datetime(2017, 8, 9)
    assert url_date("https://x.com/news/2017/13/45/slug") is None
    assert url_date("https://x.com/a") is None
    with pytest.raises(RecordProblem, match="no publication date"):
        normalise({"url": "https://x.com/a", "title": "t", "date": ""}, ColumnMap.detect(["url", "title", "date"]),
                  10_000)


# -- corrections ----------------------------------------------------------------------------------------

def test_corrections_find_the_article_however_its_address_was_written():
    table = pd.DataFrame({"url": ["HTTP://WWW.Example.com/a/?utm_source=x"], "published_at": ["2017-08-09"],
                          "note": ["the page was updated"]})
    rows = corrections(table, "ana", dt.datetime(2026, 1, 1))
    assert rows.iloc[0]["canonical_url"] == "https://example.com/a"
    assert rows.iloc[0]["published_at"] == dt.datetime(2017, 8, 9) and rows.iloc[0]["corrected_by"] == "ana"
    with pytest.raises(CorrectionProblem, match="row 2: unparseable date"):
        corrections(pd.DataFrame({"url": ["https://x.com/a"], "published_at": ["someday"]}), "ana", dt.datetime.now())
    with pytest.raises(CorrectionProblem, match="published_at"):
        corrections(pd.DataFrame({"url": ["https://x.com/a"]}), "ana", dt.datetime.now())


# -- the store: one place decides what counts --------------------------------------------------------------

def _frame_store() -> Store:
    """A store with one frame: an isolated early article, then four outlets within days."""
    store = Store.memory()
    days = {"early": "2016-03-26", "a": "2017-08-09", "b": "2017-08-09", "c": "2017-08-10", "d": "2017-08-11"}
    outlets = {"early": "n", "a": "v", "b": "c", "c": "h", "d": "g"}
    store.add_outlets(pd.DataFrame({"outlet_id": list(set(outlets.values())),
                                    "name": [o.upper() for o in set(outlets.values())], "domain": None}))
    store.add_articles(pd.DataFrame({
        "article_id": list(days), "url": [f"https://{outlets[a]}.com/{a}" for a in days],
        "canonical_url": [f"https://{outlets[a]}.com/{a}" for a in days], "outlet_id": [outlets[a] for a in days],
        "title": "t", "text": "body", "published_at": [D(d) for d in days.values()], "content_hash": list(days),
        "ingested_at": D("2026-01-01"), "date_source": "publisher"}))
    store.add_passages(pd.DataFrame({"passage_id": [f"{a}:1" for a in days], "article_id": list(days), "seq": 1,
                                     "part": "body", "start_char": 0, "end_char": 4, "text": "body",
                                     "text_hash": [f"h{a}" for a in days]}),
                       pd.DataFrame({"article_id": list(days), "passages": 1}))
    store.query("SELECT 1")  # the frame itself, as the frames stage writes it:
    frames = pd.DataFrame([{"frame_id": 1, "label": "fury", "phrases": ["fury"], "exemplar_passage_id": "a:1",
                            "centroid": None, "model": "m"}])
    pf = pd.DataFrame({"passage_id": [f"{a}:1" for a in days], "frame_id": 1, "score": 0.8})
    af = pd.DataFrame({"article_id": list(days), "frame_id": 1, "score": 0.8, "passages": 1})
    run = store.start_run("frames", {})
    store.save_frames(frames, pf.astype({"frame_id": "int32", "score": "float32"}),
                      af.astype({"frame_id": "int32", "score": "float32", "passages": "int32"}), [], run)
    return store


def test_first_seen_adoption_and_lineage_inputs_rest_on_the_core_from_the_onset_on():
    store = _frame_store()
    # Before the onsets stage has run every article counts (an upgraded database reads as before).
    assert store.frame_summary().iloc[0]["first_seen"] == D("2016-03-26")
    flagged, skipped = onsets_stage(store)
    assert not skipped and onsets_stage(store)[1]  # nothing changed: skipped
    row = store.frame_summary().iloc[0]
    assert row["first_seen"] == D("2017-08-09") and row["articles"] == 5
    view = store.query("SELECT * FROM frame_summary").iloc[0]
    assert view["first_seen"] == D("2017-08-09") and view["precursors"] == 1 and view["onset_basis"] == "sustained"
    firsts = store.outlet_firsts([1])
    assert "N" not in set(firsts["outlet"]) and len(firsts) == 4
    assert set(store.query("SELECT outlet FROM frame_spread")["outlet"]) == set(firsts["outlet"])
    assert "early" not in set(store.query("SELECT article_id FROM frame_claim_articles")["article_id"])
    precursors = store.frame_precursors(1)
    assert precursors["article_id"].tolist() == ["early"] and precursors["days_before_onset"].iloc[0] > 500
    assert set(store.query("SELECT article_id FROM frame_precursors")["article_id"]) == {"early"}
    assert store.frame_onset(1)["onset_outlet"] in {"V", "C"}
    # Lineage traces among the same articles: the precursor is nobody's source.
    articles, _, _, _ = store.lineage_inputs("m")
    assert sorted(articles["article_id"]) == ["a", "b", "c", "d"]
    store.close()


def test_a_corrected_date_moves_the_onset_and_is_kept_with_the_original():
    store = _frame_store()
    onsets_stage(store)
    rows = corrections(pd.DataFrame({"url": ["https://n.com/early"], "published_at": ["2017-08-08"]}), "ana",
                       dt.datetime(2026, 1, 1))
    assert store.add_date_corrections(rows) == 1
    _, skipped = onsets_stage(store)
    assert not skipped  # a changed date runs the stage again
    row = store.frame_summary().iloc[0]
    assert row["first_seen"] == D("2017-08-08") and row["first_outlet"] == "N"
    art = store.query("SELECT published_at, original_published_at, date_source FROM articles "
                      "WHERE article_id = 'early'").iloc[0]
    assert art["original_published_at"] == D("2016-03-26") and art["date_source"] == "corrected"
    store.close()


# -- the command -------------------------------------------------------------------------------------------

def test_dates_load_corrects_a_date_that_survives_a_rebuild_and_a_reingest(hashed_sample_db_copy, tmp_path):
    from app.config import SAMPLE_PATH
    from tests.conftest import HASHED_MODEL

    db = hashed_sample_db_copy
    r = Store.open_read(db)
    target = r.query("SELECT url, published_at FROM articles ORDER BY published_at DESC, article_id LIMIT 1").iloc[0]
    r.close()
    new_date = D("2026-03-01 05:00")
    csv = tmp_path / "dates.csv"
    pd.DataFrame({"url": [target["url"]], "published_at": [new_date.isoformat()],
                  "note": ["the page kept its update time"]}).to_csv(csv, index=False)
    runner = CliRunner()
    out = runner.invoke(main, ["dates", "--db", str(db), "--load", str(csv), "--by", "ana"])
    assert out.exit_code == 0, out.output
    assert "1 correction(s) stored" in out.output and "1 article date(s) changed" in out.output
    for command in (["build", "--db", str(db), "--model", HASHED_MODEL],
                    ["ingest", str(SAMPLE_PATH), "--db", str(db)]):
        out = runner.invoke(main, command)
        assert out.exit_code == 0, out.output
        r = Store.open_read(db)
        art = r.query("SELECT published_at, original_published_at, date_source FROM articles WHERE url = ?",
                      [target["url"]]).iloc[0]
        r.close()
        assert art["published_at"] == new_date and art["original_published_at"] == target["published_at"]
        assert art["date_source"] == "corrected"
    out = runner.invoke(main, ["dates", "--db", str(db), "--corrections", "--format", "csv"])
    assert out.exit_code == 0 and "ana" in out.output and target["url"] in out.output
    out = runner.invoke(main, ["dates", "--db", str(db), "--format", "csv"])
    assert out.exit_code == 0 and out.output.startswith("url,outlet,published_at,date_source,reason")
    bad = tmp_path / "bad.csv"
    bad.write_text("url,when\nhttps://x.com/a,2020-01-01\n")
    out = runner.invoke(main, ["dates", "--db", str(db), "--load", str(bad)])
    assert out.exit_code != 0 and "url and published_at" in out.output


def test_a_flagged_date_gets_one_mark_naming_every_reason():
    from app.spread import flag_marks

    flags = pd.DataFrame({"article_id": ["a", "a", "b"],
                          "reason": ["refers to a later date", "apart in time", "crawl date"], "detail": ""})
    assert flag_marks(flags) == {"a": "⚠ refers to a later date; apart in time", "b": "⚠ crawl date"}
    assert flag_marks(flags.iloc[:0]) == {}


def test_the_frame_page_states_the_basis_and_lists_the_earlier_similar_passages(monkeypatch, hashed_sample_db_copy):
    import streamlit as st

    from app.ui import keys
    from tests.conftest import dashboard_on

    db = hashed_sample_db_copy
    r = Store.open_read(db)
    row = r.query("SELECT frame_id, precursors FROM frame_summary WHERE precursors > 0 "
                  "ORDER BY precursors DESC, frame_id LIMIT 1").iloc[0]
    frame_id, n = int(row["frame_id"]), int(row["precursors"])
    basis = basis_line(r.frame_onset(frame_id))
    r.close()
    at = dashboard_on(monkeypatch, db, {keys.FRAME: str(frame_id)})
    at.switch_page("app/ui/pages/frame_detail.py").run()
    assert not at.exception, at.exception
    assert basis.startswith("First seen: ") and f"{n} earlier similar passage" in basis
    from app.ui.text import md

    assert md(basis) in [m.value for m in at.markdown]
    labels = [e.label for e in at.expander]
    assert any(label.startswith(f"Earlier similar passages ({n})") for label in labels), labels
    assert n in [len(d.value) for d in at.dataframe]
    st.cache_resource.clear()
    st.cache_data.clear()


def test_the_weekly_report_states_the_basis_of_each_first_seen(hashed_sample_db, tmp_path):
    from app.report import build_report

    r = Store.open_read(hashed_sample_db)
    try:
        end = r.query_value("SELECT max(published_at) FROM articles").date()
        rep = build_report(r, end - dt.timedelta(days=6), end, tmp_path, 48, images=False)
        onsets = r.frame_onsets().set_index("frame_id")
    finally:
        r.close()
    top = rep.tables["top_frames"]
    assert len(top) and top["first_seen_basis"].str.startswith("First seen: ").all()
    for row in top.itertuples():
        assert row.first_seen_basis == basis_line(onsets.loc[row.frame_id].to_dict() | {"frame_id": row.frame_id})
    assert "first_seen_basis" in (tmp_path / "report.html").read_text()
