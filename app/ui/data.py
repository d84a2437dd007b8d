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
    from app.pipeline import run_stages

    st.info(f"No database yet at `{s.db}`: building one from the bundled illustrative sample. "
            "This takes about a minute the first time.")
    bar = st.progress(0.0, text="Reading the sample…")
    weights = {"segment": (0.0, 0.05), "embed": (0.05, 0.9), "frames": (0.9, 1.0)}

    def progress(stage: str, done: int, total: int | None) -> None:
        lo, hi = weights.get(stage, (0.0, 1.0))
        frac = lo + (hi - lo) * (done / total if total else 0)
        bar.progress(min(frac, 1.0), text=f"{stage}: {done:,}{f' of {total:,}' if total else ''}")

    with Store.write(s.db) as store:
        ingest_files(store, [s.sample], s.max_article_chars)
        if s.sample == SAMPLE_PATH and SAMPLE_OUTLETS.exists():
            store.update_outlets(pd.read_csv(SAMPLE_OUTLETS, dtype=str, keep_default_na=False))
        run_stages(store, s, progress=progress)
    bar.progress(1.0, text="Done.")
    st.cache_data.clear()


# Every cached query takes the file version ``ver`` (no leading underscore:
# it must be part of the cache key), so a swapped-in build is never mixed with
# results from the state before it.
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
    return _store().frame_spread(frame_id, filters)


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
    return _store().outlet_frames(outlet, settings().first_mover_hours, filters)


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


def sidebar_filters(v: tuple) -> Filters:
    lo, hi = date_bounds(v)
    if lo is None:
        return Filters()
    st.sidebar.header("Filters")
    picked = st.sidebar.date_input("Published between", value=(lo, hi), min_value=lo, max_value=hi,
                                   key=keys.DATE_RANGE)
    start, end = (picked if isinstance(picked, (tuple, list)) and len(picked) == 2 else (lo, hi))
    outlets = st.sidebar.multiselect("Outlets (none = all)", outlet_names(v), key=keys.OUTLETS)
    groups = st.sidebar.multiselect("Outlet groups (any of them)", outlet_groups(v), key=keys.GROUPS,
                                    help="From the outlets' attributes: `narratives outlets --load outlets.csv`.")
    return Filters(start=start, end=end, outlets=tuple(sorted(outlets)), groups=tuple(sorted(groups)))


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
