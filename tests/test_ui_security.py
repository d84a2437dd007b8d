"""What the dashboard does with text and files it did not write: outlet names, labels and upload names
from articles and users are shown as text, never as Markdown, HTML or a path; `serve` listens on this
machine only unless told otherwise."""

import html
import json
import re
try:  # Python 3.11+
    import tomllib
except ModuleNotFoundError:  # Python 3.10: the same parser, as a package
    import tomli as tomllib
from pathlib import Path

import pandas as pd
import pytest
import streamlit as st
from click.testing import CliRunner
from streamlit.testing.v1 import AppTest

from app.store import Store
from app.ui import keys
from app.ui.text import chart_text, md, web_url, web_urls
from app.ui.uploads import SUFFIXES, UploadRejected, display_name, saved_upload, upload_path

ROOT = Path(__file__).resolve().parent.parent
EVIL_OUTLET = "[log in here](https://evil.example) <img src=x onerror=alert(1)>"
EVIL_LABEL = "**Urgent** [verify your account](https://evil.example/login) <img src=x onerror=alert(1)> `x` # h"
EVIL_GROUP = "[group](https://evil.example)"


def _render(markdown: str) -> str:
    """``markdown`` as CommonMark renders it to HTML."""
    markdown_it = pytest.importorskip("markdown_it")
    return markdown_it.MarkdownIt("commonmark").render(markdown)


# What remark-gfm (Streamlit's Markdown) turns into links in the text left after parsing, escapes resolved.
GFM_URL = re.compile(r"(https?://|www(?=\.))[-.\w]+", re.IGNORECASE)
GFM_EMAIL = re.compile(r"[-.\w+]+@[-\w]+(?:\.[-\w]+)+")


def _autolinked(rendered: str) -> bool:
    text = html.unescape(re.sub(r"<[^>]+>", "", rendered))
    return bool(GFM_URL.search(text) or GFM_EMAIL.search(text))


# --- Markdown -------------------------------------------------------------------------------------

@pytest.mark.parametrize("text", [EVIL_OUTLET, EVIL_LABEL, EVIL_GROUP, "https://evil.example/x", "www.evil.example",
                                  "a@evil.example", "<a href='https://evil.example'>x</a>", "\\[x\\](y)",
                                  "line one\n\n# heading\n- item", ":red[alarm] $x^2$ ~~gone~~ | a | b |",
                                  "[x][1]\n\n[1]: https://evil.example"])
def test_md_shows_text_exactly_and_never_a_link_or_markup(text):
    escaped = md(text)
    assert "](" not in escaped and "<" not in escaped.replace("\\<", "")
    assert "://" not in escaped and "www." not in escaped
    rendered = _render(escaped)
    assert "<a " not in rendered and "<img" not in rendered and "<strong>" not in rendered
    assert "<code>" not in rendered and "<h1>" not in rendered and "<li>" not in rendered
    assert not _autolinked(rendered)
    # What the reader sees is the text as written (line breaks folded into spaces).
    paragraph = rendered.strip()
    assert paragraph.startswith("<p>") and paragraph.endswith("</p>")
    assert html.unescape(paragraph[3:-4]).replace("\u2060", "") == " ".join(text.splitlines())


def test_chart_text_keeps_plotly_from_reading_html():
    assert chart_text("<a href='https://evil.example'>x</a> & co") == \
        "&lt;a href='https://evil.example'&gt;x&lt;/a&gt; &amp; co"


def test_only_http_addresses_become_links():
    assert web_url("https://a.example/x") == "https://a.example/x"
    assert web_url("HTTP://a.example") == "HTTP://a.example"
    for bad in ("javascript:alert(1)", "JavaScript:alert(1)", " javascript:alert(1)", "data:text/html,<b>x</b>",
                "file:///etc/passwd", "//evil.example", "https://", "", None, float("nan")):
        assert web_url(bad) is None, bad
    table = web_urls(pd.DataFrame({"url": ["https://a.example", "javascript:alert(1)"], "n": [1, 2]}), "url", "gone")
    assert table["url"].isna().tolist() == [False, True] and table["n"].tolist() == [1, 2]


# --- Uploads --------------------------------------------------------------------------------------

EVIL_NAMES = ["/tmp/evil/x.jsonl", "../../x.jsonl", "..\\x.jsonl", "..\\..\\x.jsonl", "x.jsonl\x00",
              "C:\\Windows\\x.csv", "/x.jsonl", "~/x.json", "....//x.ndjson", "a/../../../x.tsv",
              "..", ".jsonl", "x y\n.parquet", "dossier/Évènements 2026.JSONL.GZ", "%2e%2e%2fx.csv"]


@pytest.mark.parametrize("sent", EVIL_NAMES)
def test_an_upload_name_never_leaves_the_temporary_folder(sent, tmp_path):
    folder = tmp_path / "upload"
    folder.mkdir()
    try:
        path = upload_path(folder, sent)
    except UploadRejected:
        return  # refused outright: nothing is written
    assert path.parent == folder.resolve()
    assert path.resolve().parent == folder.resolve()
    assert any(path.name.endswith(s) for s in SUFFIXES)
    assert set(path.name) <= set("abcdefghijklmnopqrstuvwxyz0123456789_-.")
    assert not path.name.startswith(".")


@pytest.mark.parametrize("sent", ["x.jsonl\x00.txt", "x.txt", "x.py", "x", "x.gz", "x.jsonl/", "x.jsonl.sh"])
def test_an_upload_of_another_type_is_refused(sent, tmp_path):
    with pytest.raises(UploadRejected):
        upload_path(tmp_path, sent)


def test_an_upload_keeps_its_type_and_is_removed_afterwards(tmp_path):
    with saved_upload("/etc/cron.d/Weekly Articles.JSONL.gz", b"data") as path:
        assert path.name == "weekly_articles.jsonl.gz" and path.read_bytes() == b"data"
        folder = path.parent
        assert folder.name.startswith("narratives-upload-")
    assert not folder.exists()
    assert display_name("x.jsonl\x00.txt") == "x.jsonl.txt"


# --- The pages, on the sample database with hostile names -----------------------------------------

@pytest.fixture
def hostile_db(monkeypatch, sample_db_copy, tmp_path):
    """The sample with the top frame's first outlet renamed EVIL_OUTLET (in group EVIL_GROUP) and the
    frame relabelled EVIL_LABEL."""
    r = Store.open_read(sample_db_copy)
    try:
        top = r.frame_summary().iloc[0]
    finally:
        r.close()
    with Store.write(sample_db_copy) as store:
        store.conn.execute("UPDATE outlets SET name = ? WHERE name = ?", [EVIL_OUTLET, top["first_outlet"]])
        store.update_outlets(pd.DataFrame({"name": [EVIL_OUTLET], "groups": [EVIL_GROUP]}))
        store.edit_frame(int(top["frame_id"]), "rename", value=EVIL_LABEL)
    monkeypatch.setenv("NARRATIVES_DB", str(sample_db_copy))
    monkeypatch.setenv("NARRATIVES_FRAMES_FILE", str(tmp_path / "frames.toml"))
    monkeypatch.chdir(sample_db_copy.parent)
    st.cache_resource.clear()
    st.cache_data.clear()
    yield sample_db_copy, int(top["frame_id"])
    st.cache_resource.clear()
    st.cache_data.clear()


def _app(page: str, params: dict) -> AppTest:
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=120)
    for k, val in params.items():
        at.query_params[k] = val
    at.run()
    at.switch_page(f"app/ui/pages/{page}").run()
    assert not at.exception, at.exception
    return at


def _shown_as_markdown(at: AppTest) -> list[str]:
    """Every text the page renders as Markdown."""
    texts = [e.value for kind in ("markdown", "title", "header", "subheader", "caption", "info", "warning",
                                  "success", "error") for e in getattr(at, kind)]
    texts += [m.label for m in at.metric]
    return [t for t in texts if "<style>" not in t]  # report mode's own CSS


def _assert_inert(texts: list[str]) -> None:
    for text in texts:
        assert not re.search(r"(?<!\\)(\]\(|<)", text), text  # no unescaped "](" or "<"
        rendered = _render(text)
        assert "<a " not in rendered and "<img" not in rendered, text
        assert not _autolinked(rendered), text


def test_frame_page_shows_hostile_outlets_and_labels_as_text(hostile_db):
    _, fid = hostile_db
    at = _app("frame_detail.py", {keys.FRAME: str(fid), keys.Q_GROUPS: "group:" + EVIL_GROUP})
    texts = _shown_as_markdown(at)
    _assert_inert(texts)
    joined = "\n".join(texts)
    assert md(EVIL_LABEL) in at.header[0].value  # the header, and
    assert f"First told by **{md(EVIL_OUTLET)}**" in joined  # the first outlet and the first movers
    assert any(t.startswith("**First movers**") and md(EVIL_OUTLET) in t for t in texts)
    assert any(md("group:" + EVIL_GROUP) in c.value for c in at.caption)  # the caption of the filters
    for chart in at.get("plotly_chart"):
        title = json.loads(chart.proto.spec)["layout"]["title"]["text"]
        assert "<img" not in title and "<a " not in title
    for block in at.get("html"):  # passages with their cues highlighted: escaped HTML
        assert "<img" not in block.proto.body


def test_outlets_page_shows_a_hostile_outlet_name_as_text(hostile_db):
    at = _app("outlets.py", {keys.OUTLET: EVIL_OUTLET})
    assert at.header[0].value == md(EVIL_OUTLET)
    _assert_inert(_shown_as_markdown(at))


def test_frames_page_shows_a_hostile_label_as_text(hostile_db):
    _, fid = hostile_db
    at = _app("edit_frames.py", {})
    table = at.dataframe[0].value.set_index("frame_id")
    assert table.loc[fid, "label"] == EVIL_LABEL  # in a table, as text
    at.selectbox(key=keys.EDIT_FRAME).set_value(fid).run()
    at.text_input(key=keys.EDIT_LABEL).set_value(EVIL_LABEL + " again").run()
    at.button(key=keys.EDIT_RENAME).click().run()
    assert not at.exception and "renamed" in at.success[0].value
    _assert_inert(_shown_as_markdown(at))


def test_data_page_never_writes_where_the_browser_says(hostile_db, tmp_path):
    db, _ = hostile_db
    target = tmp_path / "elsewhere" / "written-here.jsonl"
    target.parent.mkdir()
    rows = [{"url": "https://newsite.example/b1", "title": "A report", "published_at": "2026-05-11T10:00:00Z",
             "text": "Officials said the soldiers were sent as cannon fodder, according to a new report."}]
    at = _app("corpus.py", {})
    content = pd.DataFrame(rows).to_json(orient="records", lines=True).encode()
    # The name a rewritten request could send: an absolute path elsewhere.
    at.file_uploader(key=keys.UPLOAD).set_value((str(target), content, "application/json")).run()
    at.button(key=keys.UPLOAD_GO).click().run()
    assert not at.exception and not at.error
    assert not target.exists()
    report = at.dataframe[0].value
    assert report.iloc[0]["file"] == str(target) and report.iloc[0]["ingested"] == 1
    _assert_inert(_shown_as_markdown(at))


# --- Listening address ----------------------------------------------------------------------------

def _serve_argv(monkeypatch, *args: str) -> list[str]:
    import app.cli as cli
    import app.cli.corpus as commands

    calls = []
    monkeypatch.setattr(commands, "start_dashboard", lambda cmd, env: calls.append(cmd) or 0)
    result = CliRunner().invoke(cli.main, ["serve", *args], env={})
    assert result.exit_code == 0, result.output
    assert len(calls) == 1
    return calls[0]


def test_serve_listens_on_this_machine_only_by_default(monkeypatch):
    argv = _serve_argv(monkeypatch)
    assert argv[argv.index("--server.address") + 1] == "127.0.0.1"
    assert argv.count("--server.address") == 1


def test_serve_listens_where_it_is_told(monkeypatch):
    argv = _serve_argv(monkeypatch, "--address", "0.0.0.0", "--port", "8600")
    assert argv[argv.index("--server.address") + 1] == "0.0.0.0"
    assert argv[argv.index("--server.port") + 1] == "8600"


def test_streamlit_run_from_the_project_listens_on_this_machine_only():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["address"] == "127.0.0.1"


# --- Charts: Plotly reads HTML in labels, legends and hovers ---------------------------------------

def test_every_chart_shows_outlet_names_labels_and_evidence_as_text():
    import json as _json

    from app.charts import compare_figure, lineage_figure, timeline_figure

    evil = EVIL_OUTLET
    timeline = pd.DataFrame({"outlet": [evil, "Plain"], "day": pd.to_datetime(["2024-01-01", "2024-01-02"]),
                             "articles": [1, 2], "copies": [0, 0], "rebuttals": [0, 1]})
    events = pd.DataFrame({"published_at": pd.to_datetime(["2024-01-01"]), "outlet": [evil],
                           "description": ["on the record: <a href='https://evil.example'>x</a>"]})
    adoption = pd.DataFrame({"outlet": [evil, "Plain"], "first_seen": pd.to_datetime(["2024-01-01", "2024-01-02"]),
                             "adoption_rank": [1, 2]})
    edges = pd.DataFrame({"from_outlet": [evil], "to_outlet": ["Plain"], "kind": ["attribution"]})
    weekly = pd.DataFrame({"frame_id": [1], "week": pd.to_datetime(["2024-01-01"]), "articles": [3]})
    figures = [timeline_figure(timeline, "t", "", events), lineage_figure(adoption, edges, "l"),
               compare_figure(weekly, {1: EVIL_LABEL}, "articles", "c")]
    for fig in figures:
        text = _json.dumps(fig.to_plotly_json(), default=str)
        assert "<img" not in text and "<a " not in text and "<a href" not in text
    shown = set(figures[0].data[0].y) | set(figures[0].layout.yaxis.categoryarray)
    assert html.escape(evil, quote=False) in shown  # the name itself, as Plotly will show it


def test_direction_controls_cannot_show_a_name_reversed():
    from app.charts import plotly_text

    spoof = "Outlet\u202eevil\u202c \u2067x\u2069"
    for shown in (md(spoof), chart_text(spoof), plotly_text(spoof)):
        assert not set(shown) & set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
    assert "Outletevil" in md(spoof)
    assert md("\u200fالجزيرة") == "\u200fالجزيرة"  # right-to-left text and its marks are left as they are
