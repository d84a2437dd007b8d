"""The dashboard driven by Streamlit's AppTest, from streamlit_app.py through every page."""

import json
import multiprocessing as mp

import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from app.store import Filters, Store
from app.spread import frame_adoption
from app.ui import keys
from tests.conftest import HASHED_MODEL, frame_telling, plotly_values, undo_latest_migration
from tests.writers import hold_build_open

APP = "streamlit_app.py"
FRAME_PAGE = "app/ui/pages/frame_detail.py"


@pytest.fixture
def app_env(monkeypatch, hashed_sample_db_copy):
    """The dashboard on the sample built with the stand-in encoder (these tests need no real model)."""
    monkeypatch.setenv("NARRATIVES_DB", str(hashed_sample_db_copy))
    monkeypatch.setenv("NARRATIVES_MODEL", HASHED_MODEL)
    monkeypatch.chdir(hashed_sample_db_copy.parent)  # no stray narratives.toml
    st.cache_resource.clear()
    st.cache_data.clear()
    yield hashed_sample_db_copy
    st.cache_resource.clear()
    st.cache_data.clear()


def _app(timeout=60):
    from pathlib import Path

    return AppTest.from_file(str(Path(__file__).resolve().parent.parent / APP), default_timeout=timeout)


def _store_summary(db, filters=Filters()):
    r = Store.open_read(db)
    try:
        return r.frame_summary(filters)
    finally:
        r.close()


def _cannon_fodder(db) -> int:
    r = Store.open_read(db)
    try:
        return frame_telling(r, "cannon fodder")
    finally:
        r.close()


def _grouped_summary(db, filters=Filters()):
    """The frame summary grouped under stories, as the Overview lists it."""
    from app.frames.stories import frames_by_story

    r = Store.open_read(db)
    try:
        return frames_by_story(r.frame_summary(filters), r.story_summary(filters), r.frame_stories())
    finally:
        r.close()


def test_overview_lists_every_story_and_every_frame_under_its_story(app_env):
    at = _app().run()
    assert not at.exception
    assert at.title[0].value == "Narrative frames"
    r = Store.open_read(app_env)
    stories = r.story_summary()
    r.close()
    assert len(stories) > 1
    story_table = at.dataframe[0].value
    assert story_table["story"].tolist() == stories["story_id"].tolist()
    assert story_table["frames"].tolist() == stories["frames"].tolist()
    table = at.dataframe[1].value
    expected = _grouped_summary(app_env)
    assert sorted(table["frame"]) == sorted(_store_summary(app_env)["frame_id"])  # every frame, once
    assert table["frame"].tolist() == expected["frame_id"].tolist()
    assert table["articles"].tolist() == expected["articles"].tolist()
    # grouped: each story's frames are one run of rows, stories in the order of the story table
    # (seeded frames belong to no story: their story is empty, NA in a nullable column)
    story_of = [None if pd.isna(s) else int(s) for s in table["story"]]
    runs = [s for i, s in enumerate(story_of) if i == 0 or s != story_of[i - 1]]
    assert [s for s in runs if s is not None] == stories["story_id"].tolist()
    assert all(len(s) > 1 for s in table["weekly articles"])
    assert "corpus of" in at.caption[0].value
    # the sample's seeded frames come first, marked as seeded, so the first screen shows them
    seeded = expected[expected["kind"] == "seeded"]
    assert len(seeded) >= 2 and table["frame"].tolist()[:len(seeded)] == seeded["frame_id"].tolist()
    assert table["label"].head(len(seeded)).str.endswith("(seeded)").all()


def test_overview_narrows_the_frames_to_one_story(app_env):
    at = _app().run()
    r = Store.open_read(app_env)
    stories = r.story_summary()
    members = r.frame_stories()
    r.close()
    story = int(stories.iloc[1]["story_id"])
    at.selectbox(key=keys.OVERVIEW_STORY).set_value(story).run()
    assert not at.exception
    assert at.query_params[keys.OVERVIEW_STORY] == str(story)  # the URL carries the choice
    table = at.dataframe[1].value
    assert set(table["frame"]) == set(members[members["story_id"] == story]["frame_id"])
    assert len(table) == int(stories.iloc[1]["frames"])


def test_outlet_filter_narrows_the_counts(app_env):
    at = _app().run()
    outlets = ["The Lessen Herald", "Daily Meridian"]
    at.multiselect(key=keys.OUTLETS).set_value(outlets).run()
    assert not at.exception
    table = at.dataframe[1].value
    lo, hi = at.date_input(key=keys.DATE_RANGE).value
    expected = _grouped_summary(app_env, Filters(lo, hi, tuple(sorted(outlets))))
    assert table["articles"].tolist() == expected["articles"].tolist()
    assert "2 selected outlets" in at.caption[0].value


def test_date_filter_narrows_the_counts(app_env):
    at = _app().run()
    lo, hi = at.date_input(key=keys.DATE_RANGE).value
    import datetime as dt

    at.date_input(key=keys.DATE_RANGE).set_value((lo, lo + dt.timedelta(days=14))).run()
    table = at.dataframe[1].value
    full = _store_summary(app_env)
    assert table["articles"].sum() < full["articles"].sum()
    assert table["articles"].tolist() == _grouped_summary(app_env, Filters(lo, lo + dt.timedelta(days=14)))["articles"].tolist()


def test_frame_page_shows_timeline_in_adoption_order_and_passages(app_env):
    summary = _store_summary(app_env)
    fid = _cannon_fodder(app_env)
    at = _app()
    at.query_params[keys.FRAME] = str(fid)
    at.run()
    at.switch_page(FRAME_PAGE).run()
    assert not at.exception
    assert at.header[0].value.startswith(f"#{fid} ·")
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert "spread, outlet by outlet" in spec["layout"]["title"]["text"]
    order = spec["layout"]["yaxis"]["categoryarray"][::-1]
    assert order[0] == summary[summary["frame_id"] == fid].iloc[0]["first_outlet"]
    points = sum(len(t["x"]) for t in spec["data"] if t["name"] not in ("new evidence", "rebuts the frame"))
    r = Store.open_read(app_env)
    timeline = r.frame_timeline(fid)
    passages = r.frame_passages(fid)
    r.close()
    assert points == (timeline["articles"] > 0).sum()
    adoption = at.dataframe[2].value
    r = Store.open_read(app_env)
    expected_spread = frame_adoption(r.outlet_firsts([fid]))
    daily = r.frame_daily(fid)
    r.close()
    assert adoption["outlet"].tolist() == expected_spread["outlet"].tolist()
    curve = json.loads(at.get("plotly_chart")[1].proto.spec)
    line = [t for t in curve["data"] if t["type"] == "scatter"][0]
    assert plotly_values(line["y"])[-1] == len(expected_spread) == daily["cumulative_outlets"].iloc[-1]
    lineage = json.loads(at.get("plotly_chart")[3].proto.spec)
    assert "Lineage" in lineage["layout"]["title"]["text"]
    shown = at.dataframe[4].value
    assert len(shown) == len(passages)
    assert shown["url"].str.startswith("https://").all()


def test_frame_page_diamonds_mark_adoption_not_the_first_day_shown(app_env):
    """With dates narrowed past a frame's start, an outlet that took the frame up earlier gets no diamond."""
    fid = _cannon_fodder(app_env)
    r = Store.open_read(app_env)
    whole = r.frame_timeline(fid)
    r.close()
    carried = whole[whole["articles"] > 0]
    firsts = carried.groupby("outlet")["day"].min()
    start = (pd.Timestamp(firsts.min()) + pd.Timedelta(days=21)).date()
    later = carried[pd.to_datetime(carried["day"]) >= pd.Timestamp(start)]
    joined_later = {o for o, d in firsts.items() if pd.Timestamp(d) >= pd.Timestamp(start)}
    assert set(later["outlet"]) - joined_later, "the sample should have outlets carrying the frame on both sides"
    at = _app()
    at.query_params[keys.FRAME] = str(fid)
    at.query_params[keys.Q_FROM] = start.isoformat()
    at.run()
    at.switch_page(FRAME_PAGE).run()
    assert not at.exception
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    diamonds = [t for t in spec["data"] if t["name"] == "first article from the outlet"]
    marked = {y for t in diamonds for y in t["y"]}
    assert marked == joined_later & set(later["outlet"])
    assert "took the frame up before these dates" in spec["layout"]["title"]["subtitle"]["text"]


def test_frame_page_says_which_outlets_carried_the_frame_only_loosely(app_env):
    """Outlets whose articles in a frame the claims never count (grey squares only) are named under the
    timeline, so its adopters and the outlets figure can be told apart; a frame without them gets no line."""
    r = Store.open_read(app_env)
    try:
        loose_of = {}
        for fid in r.frame_summary()["frame_id"].astype(int):
            t = r.frame_timeline(fid)
            counted = set(t.loc[t["counted"] > 0, "outlet"])
            loose_of[fid] = sorted(set(t.loc[t["articles"] > 0, "outlet"]) - counted), len(set(t.loc[t["articles"] > 0,
                                                                                                     "outlet"]))
    finally:
        r.close()
    with_loose = [f for f, (loose, _) in loose_of.items() if loose]
    without = [f for f, (loose, _) in loose_of.items() if not loose]
    assert with_loose and without, "the sample should have frames with and without loosely carrying outlets"
    for fid in (with_loose[0], without[0]):
        at = _app()
        at.query_params[keys.FRAME] = str(fid)
        at.run()
        at.switch_page(FRAME_PAGE).run()
        assert not at.exception
        lines = [c.value for c in at.caption if "outlets shown took the frame up" in c.value]
        loose, carried = loose_of[fid]
        if not loose:
            assert not lines
            continue
        assert len(lines) == 1 and lines[0].startswith(f"{carried - len(loose)} of the {carried} outlets shown")
        assert all(name in lines[0] for name in loose[:5])


def test_choosing_another_frame_updates_the_page(app_env):
    at = _app().run()
    at.switch_page(FRAME_PAGE).run()
    ids = at.selectbox(key=keys.FRAME).options
    assert len(ids) > 3
    second = at.selectbox(key=keys.FRAME).options[1]
    at.selectbox(key=keys.FRAME).select_index(1).run()
    assert not at.exception
    assert at.header[0].value.startswith(second.split(" · ")[0])
    assert at.query_params[keys.FRAME] == second.split(" · ")[0].lstrip("#")  # the URL carries the choice


def test_dashboard_keeps_serving_the_published_state_during_a_build(app_env):
    before = _app().run().dataframe[1].value
    ctx = mp.get_context("spawn")
    ready, release = ctx.Event(), ctx.Event()
    p = ctx.Process(target=hold_build_open, args=(str(app_env), ready, release))
    p.start()
    try:
        assert ready.wait(60)
        st.cache_data.clear()
        during = _app().run()
        assert not during.exception
        assert during.dataframe[1].value["articles"].tolist() == before["articles"].tolist()
    finally:
        release.set()
        p.join(60)
    after = _app().run()  # the build published: the new state, never a mix
    assert not after.exception
    assert "No frames" in after.warning[0].value


def test_first_start_builds_the_sample_with_progress(monkeypatch, tmp_path):
    db = tmp_path / "fresh.duckdb"
    monkeypatch.setenv("NARRATIVES_DB", str(db))
    monkeypatch.setenv("NARRATIVES_MODEL", HASHED_MODEL)
    monkeypatch.chdir(tmp_path)
    st.cache_resource.clear()
    st.cache_data.clear()
    at = _app(timeout=300).run()
    assert not at.exception
    assert db.exists()
    assert len(at.dataframe[1].value) > 5  # the frames under their stories
    # The "building" notice and its progress bar were shown while it built, and are gone once it is done.
    assert not any("building one from the bundled illustrative sample" in i.value for i in at.info)
    assert not at.get("progress")
    st.cache_resource.clear()
    st.cache_data.clear()


def test_outlet_group_filter(app_env):
    at = _app().run()
    assert "kind:wire" in at.multiselect(key=keys.GROUPS).options
    at.multiselect(key=keys.GROUPS).set_value(["kind:state media"]).run()
    assert not at.exception
    table = at.dataframe[1].value
    lo, hi = at.date_input(key=keys.DATE_RANGE).value
    expected = _grouped_summary(app_env, Filters(lo, hi, groups=("kind:state media",)))
    assert table["articles"].tolist() == expected["articles"].tolist()
    r = Store.open_read(app_env)
    state = r.query("SELECT name FROM outlets WHERE kind = 'state media'")["name"].tolist()
    r.close()
    assert sorted(state) == ["Kestrian Central News", "Valdoria Today"]
    # Blank where none of the frame's articles in range counts for first seen (precursors, flagged dates).
    assert set(table["first outlet"].dropna()) <= set(state)
    assert "kind:state media" in at.caption[0].value


def test_outlet_page_says_what_the_outlet_led_and_followed(app_env):
    at = _app()
    at.query_params[keys.OUTLET] = "The Lessen Herald"
    at.run()
    at.switch_page("app/ui/pages/outlets.py").run()
    assert not at.exception
    assert at.header[0].value == "The Lessen Herald"
    every = at.dataframe[0].value  # every outlet, its attributes and roles, above the chosen outlet's frames
    herald = every.set_index("outlet").loc["The Lessen Herald"]
    assert herald["kind"] == "national" and "front-line press" in herald["groups"]
    table = at.dataframe[1].value
    assert herald["frames"] == len(table) and herald["first"] == (table["role"] == "first").sum()
    r = Store.open_read(app_env)
    try:
        for row in table.head(5).itertuples():
            spread = frame_adoption(r.outlet_firsts([int(row.frame_id)])).set_index("outlet")
            assert spread.loc["The Lessen Herald", "adoption_rank"] == row.adoption_rank
            assert spread.loc["The Lessen Herald", "articles"] == row.articles
        # The frames it carried from their onset on (its articles there that a claim may rest on).
        carried = r.query("SELECT count(DISTINCT frame_id) FROM frame_claim_articles "
                          "WHERE outlet = 'The Lessen Herald'").iloc[0, 0]
    finally:
        r.close()
    assert len(table) == carried
    assert (table.loc[table["adoption_rank"] == 1, "role"] == "first").all()
    # The sample opens the cannon fodder frame with The Lessen Herald.
    assert "first" in set(table["role"])


def test_dashboard_upgrades_a_database_from_an_older_version(app_env):
    with Store.write(app_env) as store:
        undo_latest_migration(store.conn)
    at = _app().run()
    assert not at.exception
    assert at.title[0].value == "Narrative frames"
    Store.open_read(app_env).close()


def test_dashboard_refuses_a_database_from_a_newer_version(app_env):
    """Not a traceback, not an upgrade: the message names the schema and says to upgrade the tool; the file
    is left as it was."""
    from app.store import file_version
    from app.store.schema import MIGRATIONS

    latest = max(m[0] for m in MIGRATIONS)
    with Store.write(app_env) as store:
        store.conn.execute("INSERT INTO schema_migrations VALUES (?, 'later', now()::TIMESTAMP)", [latest + 1])
    before = file_version(app_env)
    at = _app().run()
    assert not at.exception
    assert any(f"schema {latest + 1}" in e.value and "upgrade Narrative Tracker" in e.value.replace("\\", "")
               for e in at.error)
    assert file_version(app_env) == before


def test_frame_page_marks_new_evidence_and_lists_the_ledger(app_env):
    fid = _cannon_fodder(app_env)
    r = Store.open_read(app_env)
    ledger = r.frame_ledger(fid)
    r.close()
    strong = ledger[ledger["strength"] == "evidence"]
    at = _app()
    at.query_params[keys.FRAME] = str(fid)
    at.run()
    at.switch_page(FRAME_PAGE).run()
    assert not at.exception
    timeline = json.loads(at.get("plotly_chart")[0].proto.spec)
    stars = [t for t in timeline["data"] if t["name"] == "new evidence"][0]
    per_day = strong.assign(day=strong["published_at"].dt.normalize()).groupby(["outlet", "day"]).size()
    assert len(stars["x"]) == len(per_day)  # one star per outlet and day
    assert sorted(int(d[0]) for d in stars["customdata"]) == sorted(per_day.tolist())  # items behind each
    assert any("satellite" in d[1] for d in stars["customdata"])
    chart = json.loads(at.get("plotly_chart")[2].proto.spec)
    assert "Articles vs new evidence" in chart["layout"]["title"]["text"]
    line = [t for t in chart["data"] if t["type"] == "scatter"][0]
    assert sum(plotly_values(line["y"])) == len(strong)
    table = at.dataframe[1].value
    assert table["description"].tolist() == strong["description"].tolist()
    assert at.metric[3].value == str(len(strong))  # "new evidence items"
    # weak items appear when asked for
    at.toggle(key=keys.EVIDENCE_ALL).set_value(True).run()
    assert len(at.dataframe[1].value) == len(ledger) > len(strong)
    # cue spans are highlighted, and article text is escaped
    html_blocks = [e.proto.body for e in at.get("html")]
    assert any("<mark" in b for b in html_blocks)


def test_highlight_escapes_article_text():
    from app.evidence import highlight

    text = "<script>alert(1)</script> Officials said a <b>video</b> exists."
    a, b = text.index("Officials said"), text.index("video")
    cues = [{"kind": "attribution", "subtype": "anonymous", "start_char": a, "end_char": a + 14},
            {"kind": "material", "subtype": "video", "start_char": b, "end_char": b + 5}]
    out = highlight(text, cues)
    assert "<script>" not in out and "&lt;script&gt;" in out
    assert '<mark title="attribution: anonymous"' in out and ">Officials said</mark>" in out
    assert '&lt;b&gt;<mark title="material: video"' in out and "<b>" not in out
    assert out.count("<mark") == 2


def test_the_articles_behind_a_timeline_mark(app_env):
    fid = _cannon_fodder(app_env)
    r = Store.open_read(app_env)
    timeline = r.frame_timeline(fid)
    busiest = timeline.sort_values(["articles", "day"], ascending=[False, True]).iloc[0]
    expected = r.frame_articles_at(fid, busiest["outlet"], busiest["day"])
    r.close()
    at = _app()
    at.query_params[keys.FRAME] = str(fid)
    at.run()
    at.switch_page(FRAME_PAGE).run()
    at.selectbox(key=keys.MARK_OUTLET).set_value(busiest["outlet"]).run()
    at.selectbox(key=keys.MARK_DAY).set_value(busiest["day"]).run()
    assert not at.exception
    shown = at.dataframe[0].value
    assert len(shown) == busiest["articles"] == len(expected)
    assert shown["url"].tolist() == expected["url"].tolist()
    assert (~shown["independent"]).sum() == busiest["copies"]
