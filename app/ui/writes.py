"""Every write the dashboard makes: a build (after an upload, a new seed, or on first start) and frame
edits. Each goes through one :meth:`Store.write`, which publishes atomically, and clears the read
caches afterwards so every page reads the published result."""

from __future__ import annotations

from typing import Callable

import streamlit as st

from app.store import Store
from app.ui import cache, keys
from app.ui.text import md


class _StageBar:
    """A progress bar for the build's progress callback: the current stage's share done, and its name.

    The stages are whatever the build reports, in the order it reports them; nothing here lists them."""

    def __init__(self, first_text: str):
        self._bar = st.progress(0.0, text=first_text)
        self._stages: list[str] = []

    def __call__(self, stage: str, done: int, total: int | None) -> None:
        if stage not in self._stages:
            self._stages.append(stage)
        frac = min(max(done / total, 0.0), 1.0) if total else 0.0
        count = f"{done:,}{f' of {total:,}' if total else ''}"
        self._bar.progress(frac, text=f"Step {len(self._stages)} · {md(stage)}: {count}")

    def done(self) -> None:
        self._bar.progress(1.0, text="Done.")


def build_with_progress(prepare: Callable[[Store], object] | None = None, first_text: str = "Building…",
                        purpose: str = "build"):
    """Run ``prepare(store)`` (an ingest, say) and the core's build (app.pipeline.run_stages) in one
    write, with a progress bar. ``first_text`` is Markdown: escape what comes from users. ``purpose``
    names the write for resuming it (see :meth:`Store.write`): an ingest's is ``ingest FILE``.

    Then, with the build published, brings the search index up to date as ``narratives build`` does, and
    keeps the build's notes (what the command prints after its report: seeded frames kept without a seeds file,
    vectors embedded again, an index that could not be refreshed) for :func:`show_build_notes`.

    Returns what ``prepare`` returned and the build's report."""
    from app.pipeline import refresh_index, run_stages

    s = cache.settings()
    bar = _StageBar(first_text)
    try:
        with Store.write(s.db, purpose, memory_budget=s.memory_budget) as store:
            result = prepare(store) if prepare else None
            report = run_stages(store, s, progress=bar)
    finally:
        cache.clear()
    bar.done()
    notes = list(report.notes)
    with st.spinner("Updating the search index…"):
        report.index = refresh_index(s.db, report.model)
    if report.index.startswith("not refreshed"):
        notes.append(f"search index {report.index}")
    st.session_state[keys.BUILD_NOTES] = notes
    return result, report


def show_build_notes() -> None:
    """The notes of the dashboard's last build, each as a warning, once (a page calls this after its build,
    or at its top when the build was followed by a rerun). Their text names files and counts: shown as text."""
    for note in st.session_state.pop(keys.BUILD_NOTES, None) or []:
        st.warning(f"The build notes: {md(note)}")


def edit_frame(frame_id: int, action: str, value: str | None = None, into: int | None = None) -> str:
    """Rename, merge, retire or restore a frame (see Store.edit_frame); returns what was done."""
    with Store.write(cache.settings().db, f"edit {frame_id}", resumable=False) as store:
        done = store.edit_frame(frame_id, action, value=value, into=into)
    cache.clear()
    return done
