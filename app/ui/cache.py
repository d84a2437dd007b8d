"""Every cached read of the store for the pages (``st.cache_data`` / ``st.cache_resource``), in one place.

The dashboard only ever opens the *published* database read-only. Builds write to a private copy
and swap it in atomically (see app/store/db.py); the first argument of every accessor is the
published file's :func:`version`, so after a swap the next rerun reads the new state and never a mix
of the two. Writes (app/ui/writes.py) clear these caches when they finish.
"""

from __future__ import annotations

import datetime as dt
import threading

import pandas as pd
import streamlit as st

from app.config import Settings, load_settings
from app.store import Filters, Store, StoreError, file_version
from app.ui.text import md

_open_lock = threading.Lock()


@st.cache_resource
def settings() -> Settings:
    return load_settings()


@st.cache_resource(max_entries=1)
def _base_store(db: str, version: tuple) -> Store:
    # One state at a time: a superseded state is let go once the queries running on it end (their cursors hold
    # it), so the next write may bring it up to date as its work copy (app.store.db.refresh_spare).
    return Store.open_read(db)


def version() -> tuple:
    """The published database's identity; (0, 0) when there is none yet."""
    return file_version(settings().db) or (0, 0)


def _store() -> Store:
    """A cursor on the current published state; one per query, since sessions run in threads."""
    with _open_lock:
        base = _base_store(str(settings().db), version())
    return base.cursor()


def clear() -> None:
    """Forget every cached query (after a write)."""
    st.cache_data.clear()


@st.cache_data(show_spinner=False)
def schema_current(db: str, ver: tuple) -> bool:
    """Whether the published file has this version's schema; checked once per published file."""
    try:
        Store.open_read(db).close()
    except StoreError:
        return False
    return True


@st.cache_data(show_spinner=False)
def all_frames(ver: tuple) -> pd.DataFrame:
    return _store().editable_frames()


@st.cache_data(show_spinner=False)
def seed_review(ver: tuple, frame_id: int) -> pd.DataFrame:
    return _store().seed_review(frame_id)


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
def story_summary(ver: tuple, filters: Filters) -> pd.DataFrame:
    return _store().story_summary(filters)


@st.cache_data(show_spinner=False)
def frames_by_story(ver: tuple, filters: Filters) -> pd.DataFrame:
    """The filtered frame summary grouped under stories (``app.frames.stories.frames_by_story``)."""
    from app.frames.stories import frames_by_story as group

    return group(frame_summary(ver, filters), story_summary(ver, filters), _store().frame_stories())


@st.cache_data(show_spinner=False)
def frame_sentences(ver: tuple) -> dict[int, str]:
    return _store().frame_sentences()


@st.cache_data(show_spinner=False)
def frame_weekly(ver: tuple, filters: Filters) -> pd.DataFrame:
    return _store().frame_weekly(filters)


@st.cache_data(show_spinner=False)
def frame(ver: tuple, frame_id: int) -> dict | None:
    return _store().frame(frame_id)


@st.cache_data(show_spinner=False)
def label_support(ver: tuple, frame_id: int) -> dict | None:
    """How many of the frame's passages hold its label (``Store.label_support``)."""
    df = _store().label_support([frame_id])
    return df.iloc[0].to_dict() if len(df) else None


@st.cache_data(show_spinner=False)
def frame_timeline(ver: tuple, frame_id: int, filters: Filters) -> pd.DataFrame:
    return _store().frame_timeline(frame_id, filters)


@st.cache_data(show_spinner=False)
def frame_passages(ver: tuple, frame_id: int, filters: Filters) -> pd.DataFrame:
    return _store().frame_passages(frame_id, filters)


@st.cache_data(show_spinner=False)
def frame_profile(ver: tuple, frame_id: int, filters: Filters):
    """The frame's spread within the filters (:func:`app.spread.frame_profile`)."""
    from app.spread import frame_profile as profile

    return profile(_store(), frame_id, settings().first_mover_hours, filters)


@st.cache_data(show_spinner=False)
def frame_edges(ver: tuple, frame_id: int) -> pd.DataFrame:
    return _store().frame_edges(frame_id)


@st.cache_data(show_spinner=False)
def frame_compare(ver: tuple, frame_ids: tuple[int, ...], filters: Filters) -> pd.DataFrame:
    return _store().frame_compare(list(frame_ids), filters)


@st.cache_data(show_spinner=False)
def frame_articles_at(ver: tuple, frame_id: int, outlet: str, day: dt.date) -> pd.DataFrame:
    return _store().frame_articles_at(frame_id, outlet, day)


@st.cache_data(show_spinner=False)
def frame_ledger(ver: tuple, frame_id: int, filters: Filters) -> pd.DataFrame:
    return _store().frame_ledger(frame_id, filters)


@st.cache_data(show_spinner=False)
def frame_rebuttals(ver: tuple, frame_id: int, filters: Filters) -> pd.DataFrame:
    return _store().frame_rebuttals(frame_id, filters)


@st.cache_data(show_spinner=False)
def frame_evidence(ver: tuple, frame_id: int, filters: Filters) -> pd.DataFrame:
    return _store().frame_evidence(frame_id, filters)


@st.cache_data(show_spinner=False)
def passage_cues(ver: tuple, passage_ids: tuple[str, ...]) -> pd.DataFrame:
    return _store().passage_cues(list(passage_ids))


@st.cache_data(show_spinner=False)
def passage_texts(ver: tuple, passage_ids: tuple[str, ...]) -> dict[str, str]:
    return _store().passage_texts(list(passage_ids))


@st.cache_data(show_spinner=False)
def outlet_frames(ver: tuple, outlet: str, filters: Filters) -> pd.DataFrame:
    from app.spread import outlet_roles

    return outlet_roles(_store(), outlet, settings().first_mover_hours, filters)


@st.cache_data(show_spinner=False)
def report_period(ver: tuple, today: dt.date) -> tuple[dt.date, dt.date, str]:
    from app.report import default_period

    return default_period(_store(), today)


@st.cache_data(show_spinner=False, max_entries=4)
def report_zip(ver: tuple, start: dt.date, end: dt.date, note: str) -> bytes:
    """The weekly report of the period as a zip (report.html, PNGs, CSVs), with a progress bar."""
    from app.report import build_report_zip

    bar = st.progress(0.0, text="Drawing the report's charts…")
    zipped = build_report_zip(_store(), start, end, settings().first_mover_hours, note,
                              progress=lambda stage, done, total: bar.progress(done / max(total, 1), text=md(stage)))
    bar.empty()
    return zipped


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
    from app.ann import search_passages

    return search_passages(_store(), vector, model_key(), filters)


@st.cache_data(show_spinner=False)
def frames_like(ver: tuple, sentence: str) -> pd.DataFrame:
    return _store().frames_like(encoder().encode([sentence])[0], model_key())


@st.cache_data(show_spinner=False)
def outlets_summary(ver: tuple, filters: Filters) -> pd.DataFrame:
    """Every outlet, its attributes and its roles in the frames (:func:`app.spread.outlets_summary`)."""
    from app.spread import outlets_summary as summary

    return summary(_store(), settings().first_mover_hours, filters)


@st.cache_data(show_spinner=False)
def collect_health(ver: tuple) -> pd.DataFrame:
    return _store().collect_health()
