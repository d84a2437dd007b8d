"""Stages that trace and back frames: lineage (who said it first), evidence cues, the evidence ledger.

Lineage and evidence are written per frame: each run fingerprints every frame's inputs
(``app.fingerprints``) and redoes only the frames whose inputs changed.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from app.config import Settings
from app.evidence.cue_worker import cue_tuples
from app.evidence.cues import RULES_VERSION, CueFinder
from app.evidence.ledger import COLUMNS as LEDGER_COLUMNS
from app.evidence.ledger import STRONG, LedgerState, describe, frame_ledger, item_keys, later_queries, needed_items
from app.evidence.scope import SCOPE_VERSION, frame_scope
from app.fingerprints import chunks, frames_to_do, marks, redo_every_frame
from app.lineage import Attributions, frame_lineage
from app.outlets import names_pattern
from app.stages.common import Progress, no_progress
from app.store import Store

# Bump when the lineage or ledger logic changes: every frame is then traced and written again.
PER_FRAME_VERSION = 1
# Distinct texts read for cues per committed chunk: the cue rules are regular expressions over sentences,
# far cheaper per text than embedding, so a chunk holds more texts and still loses little to an interruption.
CUE_CHUNK = 5000
# Texts a cue run must read before it reads them in processes of its own, one a core: the rules are pure
# Python (one core each), and below this starting the processes costs more than they save.
CUE_PARALLEL_AT = 10_000
# The per-frame stages report progress every this many frames (and at the last one): enough for a bar to
# move on a corpus of thousands of frames without a callback per frame.
PROGRESS_EVERY = 50
# Bump when the ledger's reading or its fingerprints change: every frame's ledger is then written again.
LEDGER_VERSION = 4  # 4: the ledger starts at the frame's onset (its earlier similar passages take no part)
# Bump when the lineage stage's reading or its fingerprints change: every frame is then traced again.
LINEAGE_VERSION = 3  # 3: page widgets read as blank (app.widgets) when finding who credits whom
# Input rows (articles and passages) lineage loads per chunk of frames (each chunk committed).
LINEAGE_CHUNK = 200_000
# Input passages the evidence stage loads per chunk of frames (each chunk is committed): bounds its memory
# whatever the archive's size; a frame larger than this is read alone.
EVIDENCE_CHUNK = 200_000
LINEAGE_COLUMNS = ["frame_id", "from_article", "to_article", "kind", "score", "evidence"]
CUE_COLUMNS = ["text_hash", "kind", "subtype", "start_char", "end_char", "span", "source"]


def lineage_stage(store: Store, encoder_key: str, progress: Progress = no_progress,
                  force: bool = False, chunk_rows: int = LINEAGE_CHUNK, all_embedded: bool = False) -> tuple[int, bool]:
    """Edges from each outlet's first article in each frame to its most likely source.

    What each frame must do is read in the database (``Store.lineage_plan``: a fingerprint of its articles,
    dates, outlets, copy relations and passages). A frame whose fingerprint is unchanged keeps its edges; a
    frame that only gained articles dated after everything it held is *extended*: an outlet's edge depends on
    earlier articles alone, so only the outlets new to the frame are traced (with their texts read); any other
    change traces the frame again. Only those frames' inputs are loaded, a chunk of frames at a time, each
    chunk committed. A new outlet traces again the frames with an article naming it (they may now credit it);
    another model, or an outlet gone or renamed, traces every frame. ``all_embedded``: the caller knows that
    every passage's text has a vector under the model (a build, after its embed stage), so the plan does not
    check it."""
    outlets = sorted(store.outlet_names())
    context = {"model": encoder_key, "version": PER_FRAME_VERSION, "stage": LINEAGE_VERSION}
    params = {"context": context, "outlets": outlets,
              "after": {stage: (store.last_run(stage) or {}).get("run_id")
                        for stage in ("copies", "frames", "seeded", "stance", "onsets")},
              "edits": store.last_edit_id()}
    last = store.last_run("lineage")
    if not force and last is not None and last["parameters"] == params:
        return last["counts"].get("edges", 0), True
    run_id = store.start_run("lineage", params)
    credited: dict = {}
    attributions = Attributions(outlets)
    before = (last or {}).get("parameters", {}).get("outlets")
    if before is None or set(before) - set(outlets):
        force = True  # an outlet gone or renamed (or a run that kept no list): attributions may change anywhere
    plan = store.lineage_plan(encoder_key, all_embedded)
    todo = frames_to_do(plan, redo_every_frame(last, context, force))
    if not force and set(outlets) - set(before):
        # A new outlet: frames with an article that names it may now credit it; they are traced whole.
        naming = store.frames_of_articles(store.articles_naming(names_pattern(set(outlets) - set(before))))
        again = plan[plan["frame_id"].isin(naming) & ~plan["frame_id"].isin(todo["frame_id"])]
        todo = pd.concat([todo, frames_to_do(again, True)], ignore_index=True).sort_values("frame_id")
        named = todo["frame_id"].isin(naming).to_numpy()
        todo["after"] = [None if n else m for n, m in zip(named, todo["after"])]
        todo["load"] = np.where(named, todo["rows"], todo["load"])
    traced, extended = 0, 0
    progress("lineage", 0, len(todo))
    # A frame's articles and passages are read whole; an extended frame with no outlet new to it reads nothing
    # (its fingerprint is recorded all the same), so it does not count towards a chunk.
    extending = {f: m for f, m in marks(todo).items() if m is not None}
    tracing = store.frames_with_new_outlets(extending)
    todo["held"] = [0 if int(f) in extending and int(f) not in tracing else int(n)
                    for f, n in zip(todo["frame_id"], todo["rows"])]
    for chunk in chunks(todo, chunk_rows, "held"):
        after = marks(chunk)
        reading = {f: m for f, m in after.items() if f in tracing or f not in extending}
        if not reading:  # only extended frames with nothing to trace: their fingerprints are recorded below
            edges = pd.DataFrame(columns=LINEAGE_COLUMNS)
            _write_lineage(store, chunk, edges, after)
            traced += len(chunk)
            extended += len(after)
            progress("lineage", traced, len(todo))
            continue
        articles, texts, passages, vectors = store.lineage_inputs(encoder_key, reading)
        copies = {a: o for a, o in zip(articles["article_id"], articles["original"]) if isinstance(o, str)}
        articles["text"] = articles["article_id"].map(texts)
        # Links count only to an earlier article of the frame: the chunk's articles' own URLs are enough.
        urls = store.url_index(articles["article_id"].unique().tolist())
        links = store.article_links(sorted(texts))
        passage_rows = passages.groupby("frame_id").indices
        parts = []
        for frame_id, frame_articles in articles.groupby("frame_id", sort=True):
            mark = after.get(int(frame_id))
            new_outlets = None
            if mark is not None:  # rows come in publication order: an outlet's first row is its first article
                firsts = frame_articles.drop_duplicates("outlet")
                new_outlets = set(firsts.loc[firsts["k"].to_numpy(dtype=object) > mark, "outlet"])
                if not new_outlets:
                    continue
            rows = passage_rows.get(frame_id, np.zeros(0, dtype=np.int64))
            edges = frame_lineage(frame_articles, passages.iloc[rows].reset_index(drop=True), vectors[rows], copies,
                                  urls, attributions, links, credited, outlets=new_outlets)
            edges["frame_id"] = frame_id
            parts.append(edges)
        edges = pd.concat(parts) if parts else pd.DataFrame(columns=LINEAGE_COLUMNS)
        _write_lineage(store, chunk, edges, after)
        traced += len(chunk)
        extended += sum(m is not None for m in after.values())
        progress("lineage", traced, len(todo))
    store.drop_lineage_except(plan["frame_id"].astype(int).tolist())
    total = store.count_lineage_edges()
    store.finish_run(run_id, {"edges": total, "frames": len(plan), "traced": traced, "extended": extended})
    return total, False


def _write_lineage(store: Store, chunk: pd.DataFrame, edges: pd.DataFrame, after: dict[int, str | None]) -> None:
    """One chunk's edges, with the fingerprint and mark of each of its frames; redone frames' edges replaced."""
    inputs = chunk[["frame_id", "fingerprint", "mark"]].astype({"frame_id": "int32", "fingerprint": "uint64"})
    store.write_lineage(edges[LINEAGE_COLUMNS].astype({"frame_id": "int32", "score": "float32"}), inputs,
                        [f for f, m in after.items() if m is None])


def cues_stage(store: Store, progress: Progress = no_progress, chunk: int = CUE_CHUNK) -> tuple[int, bool]:
    """Evidence cues of every distinct passage text not read yet by these rules and outlet names; a run of
    ``CUE_PARALLEL_AT`` texts or more reads each chunk in processes of its own, one a core, with the same
    rows as one process."""
    outlets = sorted(store.outlet_names())
    params = {"rules": RULES_VERSION, "outlets": outlets}
    last = store.last_run("cues")
    if last is not None and last["parameters"] != params:
        before = set(last["parameters"].get("outlets", []))
        if last["parameters"].get("rules") != RULES_VERSION or before - set(outlets):
            store.clear_cues()  # other rules, or an outlet gone: read everything again
        else:  # new outlets: read again only the texts that name one of them
            store.uncue_texts_naming(names_pattern(set(outlets) - before))
    # As in the embed stage: a first chunk holding every text left is the count too, and ends the reading.
    batch = store.texts_to_cue(chunk)
    total = len(batch) if len(batch) < chunk else store.count_texts_to_cue()
    if total == 0 and last is not None and last["parameters"] == params:
        return 0, True
    run_id = store.start_run("cues", params)
    readers = _CueReaders(outlets, _cores() if total >= CUE_PARALLEL_AT else 1)
    done = 0
    progress("cues", 0, total)
    try:
        while True:
            if batch is None:
                batch = store.texts_to_cue(chunk)
            if batch.empty:
                break
            rows = [(text_hash, *cue) for text_hash, found in zip(batch["text_hash"], readers.read(batch["text"].tolist()))
                    for cue in found]
            cues = pd.DataFrame(rows, columns=CUE_COLUMNS)
            store.add_cues(cues.astype({"start_char": "int32", "end_char": "int32"}), batch["text_hash"].tolist(),
                           RULES_VERSION)
            done += len(batch)
            progress("cues", done, total)
            if len(batch) < chunk:  # every text left was in it
                break
            batch = None
    finally:
        readers.close()
    store.finish_run(run_id, {"texts": done})
    return done, False


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))  # the cores this process may use (a container's, a taskset's)
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


class _CueReaders:
    """Each text's cues as (kind, subtype, start, end, span, source), in order: in this process, or, given
    more than one worker, in that many processes of their own (``python -m app.evidence.cue_worker``, each
    given an equal share of every chunk). A worker that cannot start or fails is named on standard error and
    the workers are given up for the rest of the run: this process reads on, with the same result."""

    def __init__(self, outlets: list[str], workers: int):
        self.finder = CueFinder(outlets)
        self.workers: list[subprocess.Popen] = []
        if workers < 2:
            return
        # The checkout or installed copy this process runs, first on the workers' path.
        home = str(Path(__file__).resolve().parent.parent.parent)
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([home, *filter(None, [os.environ.get("PYTHONPATH")])])}
        try:
            for _ in range(workers):
                worker = subprocess.Popen([sys.executable, "-m", "app.evidence.cue_worker"], stdin=subprocess.PIPE,
                                          stdout=subprocess.PIPE, env=env)
                self.workers.append(worker)
                pickle.dump(outlets, worker.stdin, protocol=pickle.HIGHEST_PROTOCOL)
                worker.stdin.flush()
        except OSError as exc:
            self._give_up(exc)

    def read(self, texts: list[str]) -> list[list[tuple]]:
        n = len(self.workers)
        if n and len(texts) >= 2 * n:
            step = -(-len(texts) // n)
            parts = [texts[i:i + step] for i in range(0, len(texts), step)]
            try:
                # Every share sent before any answer is read: a worker reads its whole share before it answers.
                for worker, part in zip(self.workers, parts):
                    pickle.dump(part, worker.stdin, protocol=pickle.HIGHEST_PROTOCOL)
                    worker.stdin.flush()
                return [found for worker, _ in zip(self.workers, parts) for found in pickle.load(worker.stdout)]
            except (OSError, EOFError, pickle.UnpicklingError) as exc:
                self._give_up(exc)
        return cue_tuples(self.finder, texts)

    def _give_up(self, exc: BaseException) -> None:
        print(f"cues: the cue reader processes failed ({type(exc).__name__}: {exc}); reading on in this process",
              file=sys.stderr)
        self.close()

    def close(self) -> None:
        for worker in self.workers:
            try:
                worker.stdin.close()
            except OSError:
                pass
            try:
                worker.wait(timeout=10)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()
        self.workers = []


def evidence_stage(store: Store, encoder_key: str, settings: Settings, progress: Progress = no_progress,
                   force: bool = False, chunk_rows: int = EVIDENCE_CHUNK,
                   all_embedded: bool = False) -> tuple[int, bool]:
    """The evidence ledger of every active frame: each item new or a repeat of an earlier one.

    A frame's items are the cued passages of its articles that belong to it (``app.evidence.scope``: its own
    passages, the passages right after or before them, or passages close to its centre), not every cue of
    every article that tells it; and only of its articles from its onset on: its earlier similar passages
    (``app.frames.onsets``) take no part, so no item is new before the frame was told.

    What each frame must do is read in the database (:meth:`Store.evidence_plan`): a fingerprint of its
    inputs (its articles' cued passages, their places, texts, dates, cues and copy relations, the places
    frames take in those articles, its centre). A frame whose fingerprint is unchanged keeps its rows. A frame
    that only gained articles dated after everything it held (the usual weekly case: the fingerprint of its
    articles up to its stored mark is the stored one) is *extended*: its ledger's state is rebuilt from the
    stored items its new passages can find (``ledger.needed_items``) and only the new articles' passages are read, which gives the rows a full reading would
    (the ledger reads in publication order and never revises an earlier item). Any other change redoes the
    frame over all its articles. Only those frames' inputs are loaded, a chunk of frames at a time (about
    ``chunk_rows`` input passages), each chunk committed. Another model, threshold, scope rule or cue rules,
    or ``force``, redo every frame. ``all_embedded``: as for :func:`lineage_stage`."""
    context = {"model": encoder_key, "threshold": settings.evidence_repeat_threshold, "rules": RULES_VERSION,
               "version": PER_FRAME_VERSION, "scope": SCOPE_VERSION, "about": settings.evidence_about_threshold,
               "ledger": LEDGER_VERSION}
    # The onsets stage decides which of a frame's articles are earlier similar passages, which the ledger
    # leaves out.
    params = {"context": context, "after": {stage: (store.last_run(stage) or {}).get("run_id")
                                            for stage in ("copies", "frames", "seeded", "cues", "onsets")},
              "edits": store.last_edit_id()}
    last = store.last_run("evidence")
    if not force and last is not None and last["parameters"] == params:
        return last["counts"].get("new", 0), True
    run_id = store.start_run("evidence", params)
    plan = store.evidence_plan(encoder_key, all_embedded)
    todo = frames_to_do(plan, redo_every_frame(last, context, force))
    centroids = {int(f): c / np.linalg.norm(c) for f, c, m in store.frames()[["frame_id", "centroid", "model"]]
                 .itertuples(index=False) if c is not None and m == encoder_key and np.linalg.norm(c) > 0}
    written, extended = 0, 0
    progress("evidence", 0, len(todo))
    # Every frame's input passages are selected once (the query costs seconds whatever the chunk), then read a
    # chunk of frames at a time.
    store.stage_evidence_rows(encoder_key, marks(todo), all_embedded)
    # What a chunk holds: a redone frame's input rows; an extended frame's new rows and its stored items
    # (read back with their vectors), not the input rows it had before, which it does not read.
    stored = store.evidence_item_counts()
    todo["held"] = [int(load) + stored.get(int(f), 0) if isinstance(after, str) else int(rows)
                    for f, load, rows, after in zip(todo["frame_id"], todo["load"], todo["rows"], todo["after"])]
    for chunk in chunks(todo, chunk_rows, "held"):
        after = marks(chunk)
        passages, vectors, places = store.evidence_inputs(encoder_key, after, staged=True)
        copies = {a: o for a, o in zip(passages["article_id"], passages["original"]) if isinstance(o, str)}
        # Which cued passages belong to which frame: read from every cued text's item (whether it is evidence).
        cues = store.cues_by_text(passages["text_hash"].unique().tolist()) if len(passages) else {}
        memo = {h: (item_keys(found), describe(found)) for h, found in cues.items()}
        strong = {h for h, (keys, _) in memo.items() if {k.split(":", 1)[0] for k in keys} & set(STRONG)}
        chunk_centroids = {f: c for f, c in centroids.items()
                           if f in after and vectors.ndim == 2 and len(c) == vectors.shape[1]}
        passages["scope"] = frame_scope(passages, places, strong, vectors, chunk_centroids,
                                        settings.evidence_about_threshold)
        passages = passages[passages["scope"].notna()].reset_index(drop=True)
        continued = [f for f, m in after.items() if m is not None]
        groups = passages.groupby("frame_id", sort=True).indices
        # What each extended frame's new passages will look up in its stored ledger: only that is read back.
        lookups = {f: later_queries(passages.iloc[groups.get(f, np.zeros(0, dtype=np.int64))],
                                    lambda h: memo.get(h, ((), ""))[0], copies) for f in continued}
        states = _StoredLedgers(store, encoder_key, continued, lookups)
        parts = []
        for frame_id in sorted(after):
            rows = groups.get(frame_id, np.zeros(0, dtype=np.int64))
            frame = passages.iloc[rows]
            dim = vectors.shape[1] if vectors.ndim == 2 else 0
            parts.append(frame_ledger(int(frame_id), frame.reset_index(drop=True),
                                      vectors[frame["vector_row"].to_numpy()] if len(frame) else np.zeros((0, dim)),
                                      cues, copies, settings.evidence_repeat_threshold, memo,
                                      state=states.pop(frame_id)))
        items = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=LEDGER_COLUMNS)
        inputs = chunk[["frame_id", "fingerprint", "mark"]].astype({"frame_id": "int32", "fingerprint": "uint64"})
        store.write_evidence(items[LEDGER_COLUMNS].astype({"frame_id": "int32", "similarity": "float32"}), inputs,
                             [f for f, m in after.items() if m is None])
        written += len(chunk)
        extended += len(continued)
        progress("evidence", written, len(todo))
    store.unstage_evidence_rows()
    store.drop_evidence_except(plan["frame_id"].astype(int).tolist())
    total, new = store.evidence_totals()
    store.finish_run(run_id, {"items": total, "new": new, "frames": len(plan), "written": written,
                              "extended": extended})
    return new, False


class _StoredLedgers:
    """The ledger states of extended frames after their stored items, read in one query and each built
    when asked for (:meth:`pop`), so that a chunk holds one built state at a time beside the items."""

    def __init__(self, store: Store, encoder_key: str, frames: list[int], lookups: dict | None = None):
        """``lookups``: frame -> what its new passages look up (:func:`later_queries`); only the stored items
        they may find are read (:func:`needed_items`), all of them for a frame not in it."""
        def needed(items: pd.DataFrame) -> np.ndarray:
            keep = np.ones(len(items), dtype=bool)
            for frame_id, rows in items.groupby("frame_id").indices.items():
                if lookups is not None and int(frame_id) in lookups:
                    keep[rows] = needed_items(items.iloc[rows], *lookups[int(frame_id)])
            return keep

        self.items, self.vectors = store.evidence_state(encoder_key, frames, needed) if frames else (None, None)
        self.rows = {int(f): r for f, r in self.items.groupby("frame_id").indices.items()} if frames else {}

    def pop(self, frame_id: int) -> LedgerState | None:
        """The state of extended frame ``frame_id``; None for a frame read from its start, or extended with no
        stored item (its ledger starts empty, as :func:`frame_ledger` starts one)."""
        rows = self.rows.pop(frame_id, None)
        if rows is None:
            return None
        return LedgerState.from_items(self.items.iloc[rows].reset_index(drop=True), self.vectors,
                                      self.items["vector_row"].to_numpy()[rows], ordered=True)
