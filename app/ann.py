"""The nearest-neighbour index of a model's vectors: semantic search without scanning every vector.

One index per database and model key, kept beside the database file::

    <db>.<model>.usearch.json        the description: model, the vector fingerprint, entries, settings and
                                     the generation of the two files below (and of a delta's, if any)
    <db>.<model>.usearch.<gen>       the HNSW graph (usearch, cosine, vectors in full precision)
    <db>.<model>.usearch.<gen>.keys  the text hash of each entry, in key order (key i is line i)

The fingerprint (:meth:`Store.vector_fingerprint`: the number of the model's vectors and an order-free
checksum of their text hashes) says whether the index still describes the stored vectors; a stale or
missing index is never used: search falls back to the exact scan. :func:`refresh` brings an index up to
date after a build: when the vectors were only added to (a weekly update), the new ones are added to the
existing index (reading only them); when any was dropped (``narratives vectors --drop``, another model
rebuilt), it is built again. Added vectors go to a second, small graph (the delta) beside the main one, so
a weekly update loads and writes only the delta: the main graph holds every vector in memory once loaded
(1.6 GB at 768,000 vectors), which was most of a weekly update's memory and 12 s of its time. Once the delta
would hold more than ``DELTA_SHARE`` of the main graph's entries (at least ``CHUNK``), it is merged into the
main graph in that refresh. A search asks both graphs and keeps the nearest of the two answers. A new index
is written as a new generation (graph and keys under new names), then the description naming it replaces
the old one by rename: a reader sees the old index or the new one, never the graph of one with the keys of
the other; the old generation is deleted after (a reader still searching it keeps its open file). A crash
leaves at worst an index the fingerprint marks stale, and unreferenced files the next refresh deletes. A lock
file keeps two refreshes from interleaving.

The index proposes candidates with their cosine similarity (computed from the full-precision vectors it
holds, so the exact value); the store keeps those in the selection (dates, outlets, groups) and ranks
them, reading neither the vectors nor any passage but the candidates', so an answer from the index differs
from the exact scan only where the graph missed one of the true nearest texts (recall, measured by
bench/ann_recall.py). When filters leave
too few of the candidates, the search asks for more, and scans exactly once the candidates would be a
large part of the vectors anyway.
"""

from __future__ import annotations

import fcntl
import functools
import glob
import json
import os
import re
import shutil
import threading
import time
from pathlib import Path

import numpy as np

# Below this many vectors an exact scan is as fast as the index (tens of ms): ``refresh`` builds none.
MIN_VECTORS = 50_000
CONNECTIVITY = 16
EXPANSION_ADD = 128
EXPANSION_SEARCH = 128
DTYPE = "f32"  # full precision: the index's similarities are the exact ones, and rank the results
CHUNK = 65_536
BACKBONE = 20_000  # the first entries of an index, inserted one at a time (see _insert)
FIRST_CANDIDATES = 200  # the fewest candidates a search asks the index for
DELTA_SHARE = 0.125  # the delta graph is merged into the main one beyond this share of its entries
_SETTINGS = {"metric": "cos", "dtype": DTYPE, "connectivity": CONNECTIVITY, "expansion_add": EXPANSION_ADD,
             "format": 1}


def index_path(db: str | os.PathLike, model: str) -> Path:
    """``<db>.<model>.usearch``, the model key made safe for a file name."""
    safe = re.sub(r"[^A-Za-z0-9._+-]+", "_", model).strip("._") or "model"
    return Path(f"{db}.{safe}.usearch")


def _meta_path(path: Path) -> Path:
    return Path(f"{path}.json")


def _graph_path(path: Path, meta: dict) -> Path:
    return Path(f"{path}.{meta['generation']}")


def _keys_path(path: Path, meta: dict) -> Path:
    return Path(f"{path}.{meta['generation']}.keys")


def _usable(path: Path, meta: dict | None) -> bool:
    return (meta is not None and meta.get("settings") == _SETTINGS and "generation" in meta
            and all(_graph_path(path, part).exists() and _keys_path(path, part).exists() for part in _parts(meta)))


def _parts(meta: dict) -> list[dict]:
    """The graphs an index description names, each as {"generation", "entries"}: the main graph, then the
    delta when there is one. ``entries`` of the description counts both (so code that knows only the main
    graph finds its keys file short and does not use it)."""
    delta = meta.get("delta")
    main = {"generation": meta["generation"], "entries": meta.get("main_entries", meta["entries"])}
    return [main] if not delta else [main, {"generation": delta["generation"], "entries": delta["entries"]}]


def _read_keys(path: Path, part: dict) -> list[str]:
    return _keys_path(path, part).read_text().split("\n")[: part["entries"]] if part["entries"] else []


def _read_meta(path: Path) -> dict | None:
    try:
        return json.loads(_meta_path(path).read_text())
    except (OSError, ValueError):
        return None


def _new_index(dim: int):
    from usearch.index import Index

    return Index(ndim=dim, metric="cos", dtype=DTYPE, connectivity=CONNECTIVITY, expansion_add=EXPANSION_ADD,
                 expansion_search=EXPANSION_SEARCH)


def _replace(tmp: Path, final: Path) -> None:
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, final)


def refresh(store, db: str | os.PathLike, model: str, min_vectors: int | None = None, progress=None) -> str:
    """Bring the index of ``model`` beside ``db`` up to date with ``store`` (a store reading ``db``).

    Returns what it did: ``"current"``, ``"added N"``, ``"built N"``, ``"removed"`` (fewer vectors than
    ``min_vectors``: a stale index is deleted, none is built) or ``"none"``."""
    path = index_path(db, model)
    with open(f"{path}.lock", "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _refresh(store, path, model, min_vectors, progress)


def _refresh(store, path: Path, model: str, min_vectors: int | None, progress) -> str:
    fingerprint = list(store.vector_fingerprint(model))
    meta = _read_meta(path)
    if _usable(path, meta) and meta.get("fingerprint") == fingerprint:
        _sweep(path, meta)
        return "current"
    if fingerprint[0] < max(MIN_VECTORS if min_vectors is None else min_vectors, 1):
        if meta is not None or _sweep(path, None):
            _remove(path)
            return "removed"
        return "none"
    if _usable(path, meta):
        parts = _parts(meta)
        main_keys = _read_keys(path, parts[0])
        delta_keys = _read_keys(path, parts[1]) if len(parts) > 1 else []
        current = store.vector_hashes(model)
        have = set(main_keys) | set(delta_keys)
        if len(have) == len(main_keys) + len(delta_keys) and have.issubset(current):  # only additions
            new = [h for h in current if h not in have]
            del current, have
            dim = meta["dim"]
            if len(delta_keys) + len(new) <= max(CHUNK, int(DELTA_SHARE * len(main_keys))):
                # The delta graph takes them: the main graph is neither loaded nor written again.
                index = _new_index(dim)
                if delta_keys:
                    index.load(str(_graph_path(path, parts[1])))
                added = _add(index, _chunks(store, model, new), len(delta_keys), len(new), progress)
                _write(index, path, delta_keys + added, fingerprint, dim, model, main=parts[0])
                return f"added {len(added)}"
            # The delta and the new vectors go into the main graph. It holds every vector once loaded: the
            # vectors to add (up to a chunk) are read before it is loaded, so the read's own memory is not
            # held beside it (250 MB at the whole AllSides corpus).
            chunks = _chunks(store, model, delta_keys + new)
            if len(delta_keys) + len(new) <= CHUNK:
                chunks = list(chunks)
            index = _new_index(dim)
            index.load(str(_graph_path(path, parts[0])))
            added = _add(index, chunks, len(main_keys), len(delta_keys) + len(new), progress)
            _write(index, path, main_keys + added, fingerprint, dim, model)
            return f"added {len(new)}, delta merged"
    index, keys, dim = None, [], 0
    for hashes, vectors in store.vector_chunks(model, CHUNK):
        if index is None:
            dim = vectors.shape[1]
            index = _new_index(dim)
        _insert(index, len(keys), vectors)
        keys.extend(hashes)
        if progress:
            progress(len(keys), fingerprint[0])
    _write(index, path, keys, fingerprint, dim, model)
    return f"built {len(keys)}"


def _chunks(store, model: str, new: list[str]):
    """The vectors of the text hashes ``new``, as (hashes, matrix) chunks."""
    for i in range(0, len(new), CHUNK):
        yield from store.vector_chunks(model, CHUNK, only=new[i: i + CHUNK])


def _add(index, chunks, start: int, total: int, progress) -> list[str]:
    """Insert the vectors of ``chunks`` under the keys from ``start`` on; their hashes in key order."""
    added: list[str] = []
    for hashes, vectors in chunks:
        _insert(index, start + len(added), vectors)
        added.extend(hashes)
        if progress:
            progress(len(added), total)
    return added


def _insert(index, first: int, vectors: np.ndarray) -> None:
    """Add ``vectors`` under the keys ``first, first + 1, ...``. The first ``BACKBONE`` entries go in one
    thread: inserted concurrently into a graph that is still small, they link poorly (recall@10 fell to
    0.93 on the sample's 676 texts in one such build, against 0.99-1.0 one at a time); later entries join a
    graph dense enough for concurrent insertion."""
    keys = np.arange(first, first + len(vectors), dtype=np.uint64)
    alone = max(0, min(len(vectors), BACKBONE - first))
    if alone:
        index.add(keys[:alone], vectors[:alone], log=False, threads=1)
    if alone < len(vectors):
        index.add(keys[alone:], vectors[alone:], log=False)


def _write(index, path: Path, keys: list[str], fingerprint: list[int], dim: int, model: str,
           main: dict | None = None) -> None:
    """Publish ``index`` (with the text hash of each key) as the main graph, or, given the current ``main``
    graph's part (see ``_parts``), as the delta beside it."""
    generation = f"{time.time_ns():x}"
    meta = {"model": model, "fingerprint": fingerprint, "entries": len(keys), "dim": dim, "settings": _SETTINGS,
            "generation": generation}
    if main is not None:
        meta.update(generation=main["generation"], entries=main["entries"] + len(keys), main_entries=main["entries"],
                    delta={"generation": generation, "entries": len(keys)})
    part = {"generation": generation}
    graph, key_file, tmp = _graph_path(path, part), _keys_path(path, part), Path(f"{path}.json.{os.getpid()}.tmp")
    index.save(str(graph))
    key_file.write_text("\n".join(keys))
    for done in (graph, key_file):
        with open(done, "rb") as fh:
            os.fsync(fh.fileno())
    tmp.write_text(json.dumps(meta))
    _replace(tmp, _meta_path(path))  # the publication
    _sweep(path, meta)


def _sweep(path: Path, meta: dict | None) -> bool:
    """Delete the files of other generations than ``meta``'s (all when None); whether there were any."""
    keep = {p(path, part).name for part in _parts(meta) for p in (_graph_path, _keys_path)} \
        if meta and "generation" in meta else set()
    found = False
    for p in path.parent.glob(glob.escape(path.name) + ".*"):
        if p.name in keep or p.name in (_meta_path(path).name, f"{path.name}.lock"):
            continue
        p.unlink(missing_ok=True)
        found = True
    return found


def _remove(path: Path) -> None:
    _meta_path(path).unlink(missing_ok=True)
    _sweep(path, None)


def remove(db: str | os.PathLike, model: str) -> None:
    """Delete the index of ``model`` beside ``db``."""
    path = index_path(db, model)
    with open(f"{path}.lock", "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        _remove(path)


class LoadedIndex:
    """An index opened for search (memory-mapped: opening costs no time and memory grows only with what
    searches touch), with the text hash of each key: its main graph and its delta, if any."""

    def __init__(self, path: Path, meta: dict):
        from usearch.index import Index

        self.graphs = []
        for part in _parts(meta):
            graph = Index.restore(str(_graph_path(path, part)), view=True)
            graph.expansion_search = EXPANSION_SEARCH
            keys = np.array(_read_keys(path, part), dtype=object)
            if len(keys) != part["entries"] or len(graph) != part["entries"]:
                raise ValueError("the index's files do not match its description")
            self.graphs.append((graph, keys))
        self.entries = sum(len(keys) for _, keys in self.graphs)
        if self.entries != meta["entries"]:
            raise ValueError("the index's files do not match its description")
        self.meta = meta

    def __len__(self) -> int:
        return self.entries

    def nearest(self, vector: np.ndarray, k: int) -> list[str]:
        """The text hashes of (about) the ``k`` nearest vectors, nearest first."""
        return list(self.scored(vector, k))

    def scored(self, vector: np.ndarray, k: int) -> dict[str, float]:
        """(About) the ``k`` nearest texts, nearest first: text hash -> cosine similarity."""
        query = np.asarray(vector, dtype=np.float32).ravel()
        hits: list[tuple[str, float]] = []
        for graph, keys in self.graphs:
            if len(keys):
                found = graph.search(query, min(k, len(keys)))
                hits += zip(keys[np.asarray(found.keys, dtype=np.int64)].tolist(),
                            (1.0 - np.asarray(found.distances, dtype=np.float64)).tolist())
        if len(self.graphs) > 1:  # the nearest of both graphs' answers (no text is in both)
            hits = sorted(hits, key=lambda hit: -hit[1])[:k]
        return dict(hits)


_lock = threading.Lock()


def copy_indexes(src: str | os.PathLike, dst: str | os.PathLike) -> int:
    """Give the copy ``dst`` of the database ``src`` the current indexes of ``src`` (``app.store.copy_database``):
    each usable index's graph and keys linked where the file system allows (a generation's files are never
    written again), else copied, then its description copied last, so a copy's next build extends the index
    instead of building it whole. Holds each index's lock while it reads it; returns the indexes copied."""
    src, dst = Path(src), Path(dst)
    copied = 0
    for meta_file in sorted(src.parent.glob(glob.escape(src.name) + ".*.usearch.json")):
        path = Path(str(meta_file)[: -len(".json")])
        target = dst.parent / (dst.name + path.name[len(src.name):])
        with open(f"{path}.lock", "a+") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            meta = _read_meta(path)
            if not _usable(path, meta):
                continue
            for part in (p(path, graph) for graph in _parts(meta) for p in (_graph_path, _keys_path)):
                to = target.parent / (target.name + part.name[len(path.name):])
                to.unlink(missing_ok=True)
                try:
                    os.link(part, to)
                except OSError:
                    shutil.copyfile(part, to)
            tmp = target.parent / (_meta_path(target).name + ".tmp")
            shutil.copyfile(meta_file, tmp)
            os.replace(tmp, _meta_path(target))
            copied += 1
    return copied


@functools.lru_cache(maxsize=4)
def _open(path: str, stamp: tuple, fingerprint: tuple) -> LoadedIndex | None:
    meta = _read_meta(Path(path))
    if not _usable(Path(path), meta) or tuple(meta.get("fingerprint", ())) != fingerprint:
        return None
    try:
        return LoadedIndex(Path(path), meta)
    except (OSError, RuntimeError, ValueError):
        return None


def load(store, model: str) -> LoadedIndex | None:
    """The current index of ``model`` for the database ``store`` reads, or None (none, or stale)."""
    db = store.database_path()
    if not db:
        return None
    path = index_path(db, model)
    try:
        st = _meta_path(path).stat()
    except OSError:
        return None
    fingerprint = _fingerprint(store, db, model)
    with _lock:
        return _open(str(path), (st.st_mtime_ns, st.st_size), fingerprint)


_fingerprints: dict[tuple, tuple] = {}


def _fingerprint(store, db: str, model: str) -> tuple:
    """The vectors' fingerprint, computed once per published state of the file (every write publishes a
    new file, so its identity changes with any change to the vectors)."""
    from app.store.db import file_version

    key = (db, file_version(db), model)
    with _lock:
        found = _fingerprints.get(key)
    if found is None:
        found = tuple(store.vector_fingerprint(model))
        with _lock:
            if len(_fingerprints) > 16:
                _fingerprints.clear()
            _fingerprints[key] = found
    return found


def search_passages(store, vector: np.ndarray, model: str, filters=None, limit: int = 50, index=None):
    """:meth:`Store.search_passages` through the index when there is a current one, else the exact scan.

    Asks the index for ``4 * limit`` candidates (at least ``FIRST_CANDIDATES``), and for four times more each time the
    filters leave fewer than ``limit`` of them while the selection holds more texts; once the candidates
    would be a quarter of the vectors, scans exactly."""
    from app.store import Filters

    filters = filters if filters is not None else Filters()
    index = index if index is not None else load(store, model)
    if index is None:
        return store.search_passages(vector, model, filters, limit)
    searched = _searchable(store, filters)
    k = max(4 * limit, FIRST_CANDIDATES)
    while k < len(index) / 4:
        hits = store.search_passages(vector, model, filters, limit, candidates=index.scored(vector, k),
                                     searched=searched)
        if len(hits) >= limit or len(hits) >= searched:
            return hits
        k *= 4
    return store.search_passages(vector, model, filters, limit, searched=searched)


_searchables: dict[tuple, int] = {}


def _searchable(store, filters) -> int:
    """The selection's distinct passage texts, counted once per published state and filters (it does not
    depend on the query, and counting reads every passage of the selection)."""
    from app.store.db import file_version

    db = store.database_path()
    key = (db, file_version(db) if db else None, filters)
    with _lock:
        found = _searchables.get(key)
    if found is None or db is None:
        found = store.searchable_texts(filters)
        with _lock:
            if len(_searchables) > 256:
                _searchables.clear()
            _searchables[key] = found
    return found
