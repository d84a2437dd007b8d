"""What every page does first: make sure there is a database to show.

On a first start with no database, the dashboard builds one from the bundled sample (ingest, then
the core's build); a database written by an older version is upgraded in place."""

from __future__ import annotations

import streamlit as st

from app.store import Store, StoreError, file_version
from app.ui import cache
from app.ui.text import md
from app.ui.writes import build_with_progress, show_build_notes


def ensure_database() -> None:
    """Build the sample database when there is none; upgrade one written by an older version."""
    s = cache.settings()
    if file_version(s.db) is not None:
        if not cache.schema_current(str(s.db), cache.version()):
            # Written by an older version: migrate it (a write publishes the upgraded copy atomically).
            with st.spinner(f"Upgrading {md(s.db.name)} to this version's schema…"), Store.write(s.db, "upgrade", resumable=False):
                pass
        return
    from app.frames.seeded import start_from_sample
    from app.ingest import ingest_sample

    # The notice and the progress bar live in one placeholder, emptied once the build is done: a page
    # built on first start then looks like any other (no "building" notice or "Done." bar left behind).
    notice = st.empty()
    with notice.container():
        st.info(f"No database yet at {md(s.db)}: building one from the bundled illustrative sample. "
                "This takes about a minute the first time.")

        def prepare(store: Store) -> None:
            start_from_sample(s.frames_file)  # the sample's seeded frames, when there is no seeds file yet
            ingest_sample(store, s.sample, s.max_article_chars)

        build_with_progress(prepare, "Reading the sample…", purpose=f"ingest {s.sample}")
    notice.empty()
    show_build_notes()


def open_or_stop(needs_frames: bool = True) -> tuple:
    """Make sure there is a database to show; return its version. Stop the page, saying what to do, when
    there is no database, when it holds no article yet (a first file whose every record was rejected), or,
    for pages that show frames (``needs_frames``), when it was never built."""
    try:
        ensure_database()
        v = cache.version()
        c = cache.counts(v)
    except StoreError as exc:  # no database, an unfinished write of another kind, a damaged file
        st.error(md(exc))
        st.stop()
    if not needs_frames:
        return v
    if not c["articles"]:
        rejected = f" ({c['rejects']:,} rejected records, with their reasons, are on the Data page)" if c["rejects"] else ""
        st.info(f"{md(cache.settings().db.name)} holds no article yet{rejected}. Add a file of articles on the "
                "Data page, or run `narratives ingest FILE` and `narratives build`.")
        st.page_link("app/ui/pages/corpus.py", label="Open the Data page")
        st.stop()
    if not c["frames"]:
        st.info(f"{c['articles']:,} articles are stored but no frames are built yet: run `narratives build` (or add "
                "a file on the Data page, which builds).")
        st.stop()
    return v
