"""Cached access to the store for the pages, the first-start build, and the shared filters.

The dashboard only ever opens the *published* database read-only. Builds write
to a private copy and swap it in atomically (see app/store/db.py); the cache key
of every query includes the file's identity, so after a swap the next rerun
reads the new state and never a mix of the two.
"""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

import pandas as pd
import streamlit as st

from app.config import SAMPLE_OUTLETS, SAMPLE_PATH, Settings, load_settings
from app.store import Filters, Store, StoreError, StoreMissing, file_version
from app.ui import keys

_open_lock = threading.Lock()


@st.cache_resource
def settings() -> Settings:
    return load_settings()


@st.cache_resource(max_entries=2)
def _base_store(db: str, version: tuple) -> Store:
    return Store.open_read(db)


def version() -> tuple:
    return file_version(settings().db) or (0, 0)


def _store() -> Store:
    """A cursor on the current published state; one per query, since sessions run in threads."""
    with _open_lock:
        base = _base_store(str(settings().db), version())
    return base.cursor()


@st.cache_data(show_spinner=False)
def _schema_current(db: str, ver: tuple) -> bool:
    """Checked once per published file, not on every rerun."""
    try:
        Store.open_read(db).close()
    except StoreError:
        return False
    return True


def ensure_database() -> None:
    """On first start with no database, build one from the bundled sample, showing progress."""
    s = settings()
    if file_version(s.db) is not None:
        if not _schema_current(str(s.db), version()):
            # Written by an older version: migrate it (a write publishes the upgraded copy atomically).
            with st.spinner(f"Upgrading {s.db.name} to this version's schema…"), Store.write(s.db):
                pass
        return
    from app.ingest import ingest_files

    st.info(f"No database yet at `{s.db}`: building one from the bundled illustrative sample. "
            "This takes about a minute the first time.")

    def prepare(store: Store) -> None:
        ingest_files(store, [s.sample], s.max_article_chars)
        if s.sample == SAMPLE_PATH and SAMPLE_OUTLETS.exists():
            store.update_outlets(pd.read_csv(SAMPLE_OUTLETS, dtype=str, keep_default_na=False))

    build_with_progress(prepare, "Reading the sample…")


# Share of the progress bar each build stage takes (embedding dominates).
STAGE_SHARES = {"segment": (0.0, 0.05), "copies": (0.05, 0.08), "embed": (0.08, 0.8), "frames": (0.8, 0.85),
                "seeded": (0.85, 0.88), "lineage": (0.88, 0.94), "cues": (0.94, 0.97), "evidence": (0.97, 1.0)}


def build_with_progress(prepare=None, first_text: str = "Building…"):
    """Run ``prepare(store)`` (ingest, say) and the build in one write, with a progress bar; the
    dashboard's caches are cleared afterwards so every page reads the published result."""
    from app.pipeline import run_stages

    s = settings()
    bar = st.progress(0.0, text=first_text)

    def progress(stage: str, done: int, total: int | None) -> None:
        lo, hi = STAGE_SHARES.get(stage, (0.0, 1.0))
        frac = lo + (hi - lo) * (done / total if total else 0)
        bar.progress(min(max(frac, 0.0), 1.0), text=f"{stage}: {done:,}{f' of {total:,}' if total else ''}")

    with Store.write(s.db) as store:
        result = prepare(store) if prepare else None
        report = run_stages(store, s, progress=progress)
    bar.progress(1.0, text="Done.")
    st.cache_data.clear()
    return result, report


def edit_frame(frame_id: int, action: str, value: str | None = None, into: int | None = None) -> str:
    with Store.write(settings().db) as store:
        done = store.edit_frame(frame_id, action, value=value, into=into)
    st.cache_data.clear()
    return done


@st.cache_data(show_spinner=False)
def all_frames(ver: tuple) -> pd.DataFrame:
    return _store().editable_frames()


@st.cache_data(show_spinner=False)
def frame_history(ver: tuple, frame_id: int) -> pd.DataFrame:
    return _store().frame_history(frame_id)


@st.cache_data(show_spinner=False)
def corpus_stats(ver: tuple) -> dict:
    return _store().corpus_stats()


@st.cache_data(show_spinner=False)
def counts(ver: tuple) -> dict:
    return _store().counts()


@st.cache_data(show_spinner=False)
def date_bounds(ver: tuple):
    return _store().date_bounds()


@st.cache_data(show_spinner=False)
def outlet_names(ver: tuple) -> list[str]:
    return _store().outlet_names()


@st.cache_data(show_spinner=False)
def outlet_groups(ver: tuple) -> list[str]:
    return _store().outlet_groups()


@st.cache_data(show_spinner=False)
def frame_summary(ver: tuple, filters: Filters) -> pd.DataFrame:
    return _store().frame_summary(filters)


@st.cache_data(show_spinner=False)
def frame_weekly(ver: tuple, filters: Filters) -> pd.DataFrame:
    return _store().frame_weekly(filters)


@st.cache_data(show_spinner=False)
def frame(ver: tuple, frame_id: int) -> dict | None:
    return _store().frame(frame_id)


@st.cache_data(show_spinner=False)
def frame_timeline(ver: tuple, frame_id: int, filters: Filters) -> pd.DataFrame:
    return _store().frame_timeline(frame_id, filters)


@st.cache_data(show_spinner=False)
def frame_passages(ver: tuple, frame_id: int, filters: Filters) -> pd.DataFrame:
    return _store().frame_passages(frame_id, filters)


@st.cache_data(show_spinner=False)
def frame_spread(ver: tuple, frame_id: int, filters: Filters) -> pd.DataFrame:
    from app.spread import frame_adoption

    return frame_adoption(_store().outlet_firsts([frame_id], filters))


@st.cache_data(show_spinner=False)
def frame_daily(ver: tuple, frame_id: int, filters: Filters) -> pd.DataFrame:
    return _store().frame_daily(frame_id, filters)


@st.cache_data(show_spinner=False)
def frame_edges(ver: tuple, frame_id: int) -> pd.DataFrame:
    return _store().frame_edges(frame_id)


@st.cache_data(show_spinner=False)
def report_period(ver: tuple, today: dt.date) -> tuple[dt.date, dt.date, str]:
    from app.report import default_period

    return default_period(_store(), today)


@st.cache_data(show_spinner=False, max_entries=4)
def report_zip(ver: tuple, start: dt.date, end: dt.date, note: str) -> bytes:
    """The weekly report of the period as a zip (report.html, PNGs, CSVs)."""
    import io
    import tempfile
    import zipfile

    from app.report import build_report

    bar = st.progress(0.0, text="Drawing the report's charts…")
    with tempfile.TemporaryDirectory() as tmp:
        rep = build_report(_store(), start, end, Path(tmp), settings().first_mover_hours, note,
                           progress=lambda stage, done, total: bar.progress(done / max(total, 1), text=stage))
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
            for path in rep.files:
                zf.write(path, f"report-{start:%Y-%m-%d}/{path.name}")
    bar.empty()
    return buffer.getvalue()


@st.cache_data(show_spinner=False)
def frame_compare(ver: tuple, frame_ids: tuple[int, ...], filters: Filters) -> pd.DataFrame:
    return _store().frame_compare(list(frame_ids), filters)


@st.cache_resource(show_spinner="Loading the model…")
def encoder():
    from embeddings import load_encoder

    s = settings()
    return load_encoder(s.model, s.device, s.max_seq_length, s.batch_size, s.backend,
                        str(s.cache_dir) if s.cache_dir else None)


def model_key() -> str:
    from embeddings import model_key as key

    s = settings()
    return key(s.model, s.max_seq_length, s.backend, s.device)


@st.cache_data(show_spinner=False)
def search(ver: tuple, query: str, mode: str, filters: Filters) -> pd.DataFrame:
    if mode == "keyword":
        return _store().keyword_passages(query, filters)
    vector = encoder().encode([query])[0]
    return _store().search_passages(vector, model_key(), filters)


@st.cache_data(show_spinner=False)
def frames_like(ver: tuple, sentence: str) -> pd.DataFrame:
    return _store().frames_like(encoder().encode([sentence])[0], model_key())


@st.cache_data(show_spinner=False)
def frame_articles_at(ver: tuple, frame_id: int, outlet: str, day: dt.date) -> pd.DataFrame:
    return _store().frame_articles_at(frame_id, outlet, day)


@st.cache_data(show_spinner=False)
def frame_ledger(ver: tuple, frame_id: int, filters: Filters) -> pd.DataFrame:
    return _store().frame_ledger(frame_id, filters)


@st.cache_data(show_spinner=False)
def frame_evidence(ver: tuple, frame_id: int, filters: Filters) -> pd.DataFrame:
    return _store().frame_evidence(frame_id, filters)


@st.cache_data(show_spinner=False)
def passage_cues(ver: tuple, passage_ids: tuple[str, ...]) -> pd.DataFrame:
    return _store().passage_cues(list(passage_ids))


@st.cache_data(show_spinner=False)
def passage_texts(ver: tuple, passage_ids: tuple[str, ...]) -> dict[str, str]:
    return _store().passage_texts(list(passage_ids))


def escape_md(text: str) -> str:
    """Text from articles shown as Markdown: every Markdown and HTML character escaped."""
    return "".join("\\" + ch if ch in "\\`*_{}[]()#+-.!|<>~$" else ch for ch in str(text))


@st.cache_data(show_spinner=False)
def outlet_frames(ver: tuple, outlet: str, filters: Filters) -> pd.DataFrame:
    from app.spread import outlet_roles

    return outlet_roles(_store(), outlet, settings().first_mover_hours, filters)


def open_or_stop() -> tuple:
    """Make sure there is a database to show; return its version (stop the page if there is none)."""
    try:
        ensure_database()
        v = version()
        counts(v)
    except StoreMissing as exc:
        st.error(str(exc))
        st.stop()
    return v


def frames_or_stop(v: tuple, filters: Filters) -> tuple[pd.DataFrame, list[int], dict[int, str]]:
    """The frames in the selection (summary, ids, labels); the page stops with a warning when there are none."""
    summary = frame_summary(v, filters)
    if summary.empty:
        st.warning("No frames in this selection.")
        st.stop()
    ids = summary["frame_id"].astype(int).tolist()
    return summary, ids, dict(zip(ids, summary["label"]))


def _day(text: str | None, lo, hi):
    try:
        day = dt.date.fromisoformat(text) if text else None
    except ValueError:
        return None
    return min(max(day, lo), hi) if day else None


def sidebar_filters(v: tuple) -> Filters:
    """Date, outlet and outlet-group filters, and the report-mode switch. Their state lives in the URL
    (``from``, ``to``, ``outlets``, ``groups``, ``report``), so a view can be shared and reopened exactly."""
    report_mode()
    lo, hi = date_bounds(v)
    if lo is None:
        return Filters()
    qp = st.query_params
    st.sidebar.header("Filters")
    start0, end0 = _day(qp.get(keys.Q_FROM), lo, hi) or lo, _day(qp.get(keys.Q_TO), lo, hi) or hi
    picked = st.sidebar.date_input("Published between", value=(start0, end0), min_value=lo, max_value=hi,
                                   key=keys.DATE_RANGE)
    start, end = (picked if isinstance(picked, (tuple, list)) and len(picked) == 2 else (lo, hi))
    names = outlet_names(v)
    wanted = [o for o in qp.get(keys.Q_OUTLETS, "").split("|") if o in names]
    outlets = st.sidebar.multiselect("Outlets (none = all)", names, default=wanted, key=keys.OUTLETS)
    options = outlet_groups(v)
    wanted_groups = [g for g in qp.get(keys.Q_GROUPS, "").split("|") if g in options]
    groups = st.sidebar.multiselect("Outlet groups (any of them)", options, default=wanted_groups, key=keys.GROUPS,
                                    help="From the outlets' attributes: `narratives outlets --load outlets.csv`.")
    _set_param(keys.Q_FROM, start.isoformat() if start != lo else None)
    _set_param(keys.Q_TO, end.isoformat() if end != hi else None)
    _set_param(keys.Q_OUTLETS, "|".join(sorted(outlets)) or None)
    _set_param(keys.Q_GROUPS, "|".join(sorted(groups)) or None)
    return Filters(start=start, end=end, outlets=tuple(sorted(outlets)), groups=tuple(sorted(groups)))


def _set_param(name: str, value: str | None) -> None:
    if value is None:
        if name in st.query_params:
            del st.query_params[name]
    elif st.query_params.get(name) != value:
        st.query_params[name] = value


# Hides every control in the page body (the sidebar keeps the switch) for clean screenshots.
REPORT_CSS = """<style>
[data-testid="stMain"] [data-testid="stSelectbox"], [data-testid="stMain"] [data-testid="stMultiSelect"],
[data-testid="stMain"] [data-testid="stRadio"], [data-testid="stMain"] [data-testid="stTextInput"],
[data-testid="stMain"] [data-testid="stButton"], [data-testid="stMain"] [data-testid="stCheckbox"],
[data-testid="stMain"] [data-testid="stToggle"], [data-testid="stMain"] [data-testid="stDateInput"],
[data-testid="stMain"] [data-testid="stExpander"], [data-testid="stToolbar"], [data-testid="stDecoration"],
[data-testid="stMain"] [data-testid="stDownloadButton"], [data-testid="stMain"] [data-testid="stForm"]
{display: none !important;}
</style>"""


def report_mode() -> bool:
    on = st.sidebar.toggle("Report mode", value=st.query_params.get(keys.Q_REPORT) == "1", key=keys.REPORT_MODE,
                           help="Hides the controls for a clean screenshot; the URL keeps it (report=1).")
    _set_param(keys.Q_REPORT, "1" if on else None)
    if on:
        st.markdown(REPORT_CSS, unsafe_allow_html=True)
    return on


def caption(v: tuple, filters: Filters) -> str:
    c = counts(v)
    lo, hi = date_bounds(v)
    start = filters.start or lo
    end = filters.end or hi
    outlets = f"{len(filters.outlets)} selected outlets" if filters.outlets else f"all {c['outlets']} outlets"
    if filters.groups:
        outlets += " in " + ", ".join(filters.groups)
    return (f"{start:%d %b %Y} – {end:%d %b %Y} · {outlets} · corpus of {c['articles']:,} articles "
            f"from {settings().db.name}")
