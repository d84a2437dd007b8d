"""The Compare, Search, Frames and Data pages through Streamlit's AppTest, against the store."""

import json

import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from app.frames.stories import frames_by_story
from app.store import Filters, Store
from app.ui import keys
from tests.conftest import HASHED_MODEL, frame_telling, plotly_values

PAGES = "app/ui/pages/"


def _env(monkeypatch, db, tmp_path, model=None):
    monkeypatch.setenv("NARRATIVES_DB", str(db))
    monkeypatch.setenv("NARRATIVES_FRAMES_FILE", str(tmp_path / "frames.toml"))
    if model:
        monkeypatch.setenv("NARRATIVES_MODEL", model)
    monkeypatch.chdir(db.parent)
    st.cache_resource.clear()
    st.cache_data.clear()


@pytest.fixture
def app_env(monkeypatch, hashed_sample_db_copy, tmp_path):
    """The dashboard on the sample built with the stand-in encoder (these tests need no real model)."""
    _env(monkeypatch, hashed_sample_db_copy, tmp_path, HASHED_MODEL)
    yield hashed_sample_db_copy
    st.cache_resource.clear()
    st.cache_data.clear()


@pytest.fixture
def real_app_env(monkeypatch, sample_db_copy, tmp_path):
    """The dashboard on the sample built with the real model, for what only the real model finds."""
    _env(monkeypatch, sample_db_copy, tmp_path)
    yield sample_db_copy
    st.cache_resource.clear()
    st.cache_data.clear()


def _app(page=None, params=None, timeout=120):
    from pathlib import Path

    at = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "streamlit_app.py"), default_timeout=timeout)
    for k, val in (params or {}).items():
        at.query_params[k] = val
    at.run()
    if page:
        at.switch_page(PAGES + page).run()
    assert not at.exception, at.exception
    return at


def _read(db, fn):
    r = Store.open_read(db)
    try:
        return fn(r)
    finally:
        r.close()


def test_compare_puts_the_chosen_frames_on_one_chart(app_env):
    summary = _read(app_env, lambda r: r.frame_summary())
    chosen = summary["frame_id"].astype(int).tolist()[1:4]
    at = _app("compare.py", {keys.COMPARE: ",".join(map(str, chosen))})
    assert at.multiselect(key=keys.COMPARE).value == chosen
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    lines = [t for t in spec["data"] if t.get("showlegend", True)]  # one per frame; partial weeks drawn apart
    assert [t["name"].split(" ")[0] for t in lines] == [f"#{f}" for f in chosen]
    weekly = _read(app_env, lambda r: r.frame_compare(chosen, Filters(*_read(app_env, lambda r: r.date_bounds()))))

    def points(spec, fid):
        """Each week's value of a frame's line, the partial weeks' segments included (each week once)."""
        return {x: y for t in spec["data"] if t.get("legendgroup") == str(fid)
                for x, y in zip(plotly_values(t["x"]), plotly_values(t["y"]))}

    for fid in chosen:
        assert sum(points(spec, fid).values()) == weekly[weekly["frame_id"] == fid]["articles"].sum()
    at.toggle(key=keys.COMPARE_INDEPENDENT).set_value(True).run()
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert sum(points(spec, chosen[0]).values()) == weekly[weekly["frame_id"] == chosen[0]]["independent_articles"].sum()
    assert at.query_params[keys.COMPARE] == ",".join(map(str, chosen))


@pytest.mark.integration
def test_search_by_meaning_finds_paraphrases_and_frames_like_the_sentence(real_app_env):
    app_env = real_app_env
    at = _app("search.py", {keys.SEARCH: "young conscripts are being used as cannon fodder in this war"})
    like = at.dataframe[0].value
    hits = at.dataframe[1].value
    assert len(hits) == 50
    assert (hits["similarity"].diff().dropna() <= 1e-6).all()  # best first
    assert hits["text"].str.contains("cannon fodder|expendable", case=False).head(5).any()
    cannon = _read(app_env, lambda r: frame_telling(r, "cannon fodder"))
    assert cannon in like["frame_id"].head(3).tolist()


def test_keyword_search_needs_every_word(app_env):
    at = _app("search.py", {keys.SEARCH: "satellite Dorsk", keys.SEARCH_MODE: "keyword"})
    hits = at.dataframe[0].value
    assert len(hits) > 0
    assert hits["text"].str.lower().str.contains("satellite").all()
    assert hits["text"].str.lower().str.contains("dorsk").all()


def test_frames_page_renames_merges_and_restores(app_env):
    summary = _read(app_env, lambda r: r.frame_summary())
    a, b = (int(f) for f in summary["frame_id"].iloc[:2])
    at = _app("edit_frames.py")
    at.selectbox(key=keys.EDIT_FRAME).set_value(a).run()
    at.text_input(key=keys.EDIT_LABEL).set_value("Soldiers as cannon fodder").run()
    at.button(key=keys.EDIT_RENAME).click().run()
    assert not at.exception and "renamed" in at.success[0].value
    assert _read(app_env, lambda r: r.frame_summary()).set_index("frame_id").loc[a, "label"] == \
        "Soldiers as cannon fodder"
    at.selectbox(key=keys.EDIT_FRAME).set_value(b).run()
    # Nothing is preselected as the merge target, and the merge waits for a confirmation naming both frames.
    assert at.selectbox(key=keys.EDIT_INTO).value is None
    assert at.button(key=keys.EDIT_MERGE).disabled
    at.selectbox(key=keys.EDIT_INTO).set_value(a).run()
    assert at.button(key=keys.EDIT_MERGE).disabled
    confirm = at.checkbox(key=f"{keys.EDIT_CONFIRM}_{b}_{a}")
    assert f"#{b}" in confirm.label and f"#{a}" in confirm.label and "cannon fodder" in confirm.label
    assert b in _read(app_env, lambda r: r.frame_summary())["frame_id"].tolist()  # not merged yet
    confirm.check().run()
    at.button(key=keys.EDIT_MERGE).click().run()
    assert "merged into" in at.success[0].value
    after = _read(app_env, lambda r: r.frame_summary()).set_index("frame_id")
    assert b not in after.index and after.loc[a, "articles"] >= summary.set_index("frame_id").loc[a, "articles"]
    table = at.dataframe[0].value.set_index("frame_id")
    assert table.loc[b, "status"] == "merged" and table.loc[b, "merged_into"] == a
    at.selectbox(key=keys.EDIT_FRAME).set_value(b).run()
    at.button(key=keys.EDIT_RESTORE).click().run()
    assert b in _read(app_env, lambda r: r.frame_summary())["frame_id"].tolist()


def test_frames_page_review_queue_keeps_examples_and_rebuilds(app_env, tmp_path):
    from app.config import SAMPLE_SEEDS
    from app.frames.seeded import examples_file, load_seeds

    seeds_file = tmp_path / "frames.toml"
    seeds_file.write_text(SAMPLE_SEEDS.read_text())
    seeded = _read(app_env, lambda r: r.query("SELECT frame_id, label FROM seeded_frame_rules WHERE status = 'active'"))
    assert set(seeded["label"]) == {"cannon fodder", "blood offering"}
    fid = int(seeded.set_index("label").loc["cannon fodder", "frame_id"])
    queue = _read(app_env, lambda r: r.seed_review(fid))
    assert len(queue) > 2 and not queue["text"].isna().any() and queue["text"].is_unique
    margins = (queue["score"] - queue["threshold"]).abs().to_numpy()
    assert (margins[:-1] <= margins[1:] + 1e-6).all()  # nearest the boundary first
    at = _app("edit_frames.py")
    at.selectbox(key=keys.REVIEW_FRAME).set_value(fid).run()
    first = queue.iloc[0]
    second = queue[queue["text"] != first["text"]].iloc[0]  # a copy of the same passage leaves with it
    assert any(first["text"] == t.value for t in at.text)  # the passage, shown as text
    at.button(key=keys.review_button("in", first["article_id"])).click().run()
    assert not at.exception and "Kept as an example in" in at.success[0].value
    at.button(key=keys.review_button("out", second["article_id"])).click().run()
    assert not at.exception
    kept = examples_file(seeds_file).read_text()
    assert "cannon fodder" in kept and ",in" in kept and ",out" in kept
    labelled = {e.text: e.label for e in load_seeds(seeds_file)[0].labelled}
    assert labelled[first["text"]] == "in" and labelled[second["text"]] == "out"
    # Reviewed articles leave the queue; the rebuild learns from them.
    assert not any(f"review_in_{first['article_id']}" == b.key for b in at.button)
    before = _read(app_env, lambda r: r.query(f"SELECT examples_in, examples_out FROM seeded_frame_rules "
                                              f"WHERE frame_id = {fid}")).iloc[0]
    at.button(key=keys.REVIEW_REFIT).click().run()
    assert not at.exception and not at.error
    after = _read(app_env, lambda r: r.query(f"SELECT examples_in, examples_out, est_precision FROM seeded_frame_rules "
                                             f"WHERE frame_id = {fid}")).iloc[0]
    assert (after["examples_in"], after["examples_out"]) == (before["examples_in"] + 1, before["examples_out"] + 1)


def test_frames_page_says_when_a_learned_rule_was_fitted_on_a_much_smaller_archive(app_env):
    seeded = _read(app_env, lambda r: r.query("SELECT frame_id, label FROM seeded_frame_rules WHERE status = 'active'"))
    fid = int(seeded.set_index("label").loc["cannon fodder", "frame_id"])
    at = _app("edit_frames.py")
    at.selectbox(key=keys.REVIEW_FRAME).set_value(fid).run()
    assert not at.warning  # fitted on the archive as it is
    with Store.write(app_env) as store:
        passages = int(store.query_value("SELECT count(*) FROM passages"))
        store.conn.execute("UPDATE seed_rules SET fitted_passages = ? WHERE frame_id = ?", [passages // 4, fid])
    st.cache_data.clear()
    at = _app("edit_frames.py")
    at.selectbox(key=keys.REVIEW_FRAME).set_value(fid).run()
    assert not at.exception
    warning = at.warning[0].value
    assert f"fitted on {passages // 4:,} passages" in warning and f"now holds {passages:,}" in warning
    assert "--refit-seeds" in warning
    assert f"of today's {passages:,} passages" in at.selectbox(key=keys.REVIEW_FRAME).format_func(fid)
    # a rule fitted before its size was recorded (a database upgraded from before): nothing said of it
    with Store.write(app_env) as store:
        store.conn.execute("UPDATE seed_rules SET fitted_passages = NULL, fitted_at = NULL")
    st.cache_data.clear()
    at = _app("edit_frames.py")
    at.selectbox(key=keys.REVIEW_FRAME).set_value(fid).run()
    assert not at.exception and not at.warning
    assert "learned from examples" in at.selectbox(key=keys.REVIEW_FRAME).format_func(fid)


def test_frames_page_seeds_a_frame_and_builds(app_env, tmp_path):
    at = _app("edit_frames.py")
    at.text_input(key=keys.SEED_NAME).set_value("Human waves")
    at.text_area(key=keys.SEED_PHRASES).set_value("human waves\nhuman wave")
    at.text_area(key=keys.SEED_EXAMPLES).set_value("The soldiers are thrown forward in waves across open ground.")
    at.number_input(key=keys.SEED_MIN_PASSAGES).set_value(2)
    at.get("form")[0]  # the seed form is there
    at.button[-1].click().run()  # the form's submit button
    assert not at.exception and not at.error
    assert "Human waves" in (tmp_path / "frames.toml").read_text()
    assert "min_passages = 2" in (tmp_path / "frames.toml").read_text()
    seeded = _read(app_env, lambda r: r.frame_summary().query("kind == 'seeded'"))
    assert "Human waves" in seeded["label"].tolist()
    assert seeded.set_index("label").loc["Human waves", "articles"] > 5
    assert at.get("progress")


def test_data_page_ingests_an_upload_and_reports_rejects(app_env, tmp_path):
    before = _read(app_env, lambda r: r.counts())
    rows = [{"url": "https://newsite.example/a1", "title": "A new report", "published_at": "2026-05-11T10:00:00Z",
             "text": "Officials said the soldiers were sent as cannon fodder, according to a new report."},
            {"url": "https://newsite.example/a2", "title": "Undated", "published_at": "",
             "text": "A record with no date is kept as a reject, not dropped."}]
    at = _app("corpus.py")
    assert at.metric[0].value == f"{before['articles']:,}"
    upload = pd.DataFrame(rows).to_json(orient="records", lines=True).encode()
    at.file_uploader(key=keys.UPLOAD).set_value(("new.jsonl", upload, "application/json")).run()
    at.button(key=keys.UPLOAD_GO).click().run()
    assert not at.exception and not at.error
    report = at.dataframe[0].value
    assert report.iloc[0]["ingested"] == 1 and report.iloc[0]["rejected"] == 1
    assert "no publication date" in report.iloc[0]["reasons"]
    after = _read(app_env, lambda r: r.counts())
    assert after["articles"] == before["articles"] + 1 and after["rejects"] == before["rejects"] + 1
    assert after["unsegmented"] == 0  # built, not just ingested
    # the page is read again from the published build: its counts are the new ones
    assert at.metric[0].value == f"{after['articles']:,}"
    assert at.success[0].value == "Ingested and built."


def test_a_dashboard_build_refreshes_the_search_index_and_shows_its_notes(app_env, tmp_path, monkeypatch):
    """What `narratives build` does after its stages, a build from the dashboard does too: the search index is
    brought up to date, and the build's notes are shown (here: the database's seeded frames kept, as there is
    no seeds file at the configured path), once."""
    from app import ann

    monkeypatch.setattr(ann, "MIN_VECTORS", 0)  # the sample is smaller than the size an index is kept from
    assert not (tmp_path / "frames.toml").exists()
    seeded = _read(app_env, lambda r: len(r.frame_summary().query("kind == 'seeded'")))
    assert seeded
    row = {"url": "https://newsite.example/b1", "title": "Another report", "published_at": "2026-05-12T10:00:00Z",
           "text": "Officials said the troops were sent forward in human waves, according to a second report."}
    at = _app("corpus.py")
    at.file_uploader(key=keys.UPLOAD).set_value(("b.jsonl", json.dumps(row).encode(), "application/json")).run()
    at.button(key=keys.UPLOAD_GO).click().run()
    assert not at.exception and not at.error
    notes = [w.value for w in at.warning if w.value.startswith("The build notes")]
    assert len(notes) == 1 and "no seeds file at" in notes[0] and f"{seeded:,} seeded frame" in notes[0]
    model = _read(app_env, lambda r: r.last_run("embed")["parameters"]["model"])
    r = Store.open_read(app_env)
    try:
        assert ann.load(r, model) is not None  # an index that describes the published vectors
    finally:
        r.close()
    at.run()  # shown once
    assert not [w for w in at.warning if w.value.startswith("The build notes")]

    # An index that cannot be refreshed: the build is published all the same, and the note says so.
    def fails(*args, **kwargs):
        raise OSError("no space left on device")

    monkeypatch.setattr(ann, "refresh", fails)
    row["url"] = "https://newsite.example/b2"
    at.file_uploader(key=keys.UPLOAD).set_value(("c.jsonl", json.dumps(row).encode(), "application/json")).run()
    at.button(key=keys.UPLOAD_GO).click().run()
    notes = [w.value for w in at.warning if w.value.startswith("The build notes")]
    # (the warnings' text is Markdown with every special character escaped: read without the escapes)
    assert any("search index not refreshed (no space left on device)" in n.replace("\\", "") for n in notes)
    assert _read(app_env, lambda r: r.counts())["unsegmented"] == 0


def test_data_page_shows_corpus_statistics(app_env):
    at = _app("corpus.py")
    c = _read(app_env, lambda r: r.counts())
    assert [m.value for m in at.metric] == [f"{c['articles']:,}", f"{c['outlets']:,}", f"{c['passages']:,}",
                                            f"{c['rejects']:,}"]
    outlets = at.dataframe[0].value
    assert outlets["articles"].sum() == c["articles"]
    # What the last frames run did, with the same counts as the store's frames and assignments.
    frames, in_frame = _read(app_env, lambda r: (
        r.query_value("SELECT count(*) FROM frames WHERE kind = 'discovered' AND status <> 'retired'"),
        r.query_value("SELECT count(*) FROM passage_frames JOIN frames USING (frame_id) WHERE kind = 'discovered'")))
    text = " ".join(m.value for m in at.markdown)
    assert f"{frames:,} discovered frames" in text and f"{in_frame:,} of {c['passages']:,} passages" in text
    assert "boilerplate" in text
    # the templates set aside (the analyst line, six names) and the stories, as the run recorded them
    run = _read(app_env, lambda r: r.last_run("frames")["counts"])
    assert run["templates"] == 1 and run["template_passages"] > 100
    quotes = run.get("quote_shapes", 0)
    assert (f"1 template ({run['furniture_shapes']:,} of them short page furniture" in text
            and f"{quotes:,} stock quote{'' if quotes == 1 else 's'}: a quotation told again with other names or "
            f"numbers in it), {run['template_passages']:,} passages." in text)
    assert "1 templates" not in text
    assert f"Stories (the events or topics the frames belong to): {run['stories']:,}." in text
    # each count of that sentence in the right number, one or several
    for templates, quotes, passages in ((2, 1, 1), (1, 2, 0)):
        with Store.write(app_env) as store:
            last = store.last_run("frames")
            store.conn.execute("UPDATE runs SET counts = ? WHERE run_id = ?", [json.dumps(
                {**last["counts"], "templates": templates, "quote_shapes": quotes, "template_passages": passages}),
                last["run_id"]])
        st.cache_resource.clear()
        st.cache_data.clear()
        text = " ".join(m.value for m in _app("corpus.py").markdown)
        assert (f"across outlets): {templates} template{'' if templates == 1 else 's'} (" in text
                and f"{quotes} stock quote{'' if quotes == 1 else 's'}: a quotation" in text
                and f"in it), {passages} passage{'' if passages == 1 else 's'}. Set aside" in text), text
    # and the sentence's other counts
    for n in (1, 2):
        many = "" if n == 1 else "s"
        with Store.write(app_env) as store:
            last = store.last_run("frames")
            store.conn.execute("UPDATE runs SET counts = ? WHERE run_id = ?", [json.dumps(
                {**last["counts"], "frames": n, "boilerplate": n, "boilerplate_passages": n, "merged": n, "narrow": n,
                 "joined_existing": n, "new_frames": n, "mode": "incremental"}), last["run_id"]])
        st.cache_resource.clear()
        st.cache_data.clear()
        text = " ".join(m.value for m in _app("corpus.py").markdown)
        assert (f"{n} discovered frame{many} (incremental run)" in text
                and f"bylines): {n} cluster{many}, {n} passage{many}; merged" in text
                and f"word for word): {n} cluster{many}, " in text and f"outlets): {n} cluster{many}. Stories" in text
                and f" {n} passage{many} joined existing frames and {n} new frame{many} "
                    f"{'was' if n == 1 else 'were'} made." in text), text


def test_the_url_carries_filters_and_report_mode(app_env):
    lo, hi = _read(app_env, lambda r: r.date_bounds())
    import datetime as dt

    start = lo + dt.timedelta(days=7)
    params = {keys.Q_FROM: start.isoformat(), keys.Q_OUTLETS: "Daily Meridian|The Lessen Herald",
              keys.Q_GROUPS: "kind:national", keys.Q_REPORT: "1"}
    at = _app(None, params)
    assert at.date_input(key=keys.DATE_RANGE).value == (start, hi)
    assert at.multiselect(key=keys.OUTLETS).value == ["Daily Meridian", "The Lessen Herald"]
    assert at.multiselect(key=keys.GROUPS).value == ["kind:national"]
    assert at.toggle(key=keys.REPORT_MODE).value is True
    assert any("stMain" in m.value for m in at.markdown)  # the controls are hidden for screenshots
    table = at.dataframe[1].value  # the frames, under their stories
    narrowed = Filters(start, hi, ("Daily Meridian", "The Lessen Herald"), ("kind:national",))
    expected = _read(app_env, lambda r: frames_by_story(r.frame_summary(narrowed), r.story_summary(narrowed),
                                                        r.frame_stories()))
    assert table["articles"].tolist() == expected["articles"].tolist()
    # changing a filter rewrites the URL; leaving report mode drops it from the URL
    at.multiselect(key=keys.OUTLETS).set_value(["Daily Meridian"]).run()
    assert at.query_params[keys.Q_OUTLETS] == "Daily Meridian"
    at.toggle(key=keys.REPORT_MODE).set_value(False).run()
    assert keys.Q_REPORT not in at.query_params
    assert not any("stMain" in m.value for m in at.markdown)


# Main column at 1400 px with the sidebar open: what the screenshot check (tests/test_screenshots.py) measures.
MAIN_COLUMN_PX = 938


@pytest.mark.parametrize("page, params", [
    (None, {}),
    ("frame_detail.py", {}),
    ("compare.py", {}),
    ("outlets.py", {keys.OUTLET: "The Lessen Herald"}),
    ("search.py", {keys.SEARCH: "cannon fodder", keys.SEARCH_MODE: "keyword"}),
    ("corpus.py", {}),
])
def test_every_table_speaks_to_readers(app_env, page, params):
    """Column names a reader understands (no `adoption_rank`), a blank or '—' for a missing value (never
    'None'), and columns whose set widths fit the main column at 1400 px."""
    at = _app(page, params)
    assert at.dataframe
    for table in at.dataframe:
        config = json.loads(table.proto.columns or "{}")
        data = table.value
        shown = list(table.proto.column_order) or [c for c in data.columns if not str(c).startswith("_")]
        labels = {c: config.get(c, {}).get("label") or c for c in shown}
        raw = [label for label in labels.values() if "_" in str(label)]
        assert not raw, f"raw column names shown: {raw}"
        if data[[c for c in shown if c in data]].isna().any().any():
            assert table.proto.HasField("placeholder") and table.proto.placeholder != "None", labels
        widths = [config.get(c, {}).get("width") for c in shown]
        if all(isinstance(w, int) for w in widths):
            assert sum(widths) + (36 if table.proto.selection_mode else 0) <= MAIN_COLUMN_PX, (labels, widths)
