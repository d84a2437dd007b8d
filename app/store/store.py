"""Store: every read and write query of the application, inline and parameterised, grouped by job:

* :mod:`app.store.base`: opening, query primitives (DuckDB errors become :class:`StoreError` there),
  the public read-only :meth:`~app.store.base.StoreBase.query`, run records;
* :mod:`app.store.corpus`: outlets, articles, rejects, passages, vectors;
* :mod:`app.store.collect`: the fetch log, feeds' state and collection health;
* :mod:`app.store.stages`: inputs and outputs of the frames, copies, lineage, cues and evidence stages;
* :mod:`app.store.stance`: inputs and outputs of the stance stage, and the rebuttals of a frame;
* :mod:`app.store.edits`: frame edits by hand and frame history;
* :mod:`app.store.onsets`: onsets, date flags and date corrections;
* :mod:`app.store.frame_reads`, :mod:`app.store.story_reads` and :mod:`app.store.corpus_reads`: what the
  dashboard, CLI and report read.
"""

from __future__ import annotations

from app.store.collect import CollectStore
from app.store.corpus import CorpusStore
from app.store.corpus_reads import EXPORTABLE, CorpusReads
from app.store.edits import EditStore
from app.store.filters import Filters
from app.store.frame_reads import FrameReads
from app.store.onsets import OnsetStore
from app.store.stages import StageStore
from app.store.stance import StanceStore
from app.store.story_reads import StoryReads

__all__ = ["EXPORTABLE", "Filters", "Store"]


class Store(CorpusStore, StageStore, StanceStore, EditStore, FrameReads, StoryReads, CorpusReads, OnsetStore,
            CollectStore):
    """One database, every job; handed its connection (``Store(conn)``, ``Store.memory()``,
    ``Store.open_read(path)``, ``Store.write(path)``)."""
