"""The nearest-neighbour index (app/ann.py): exact neighbours on a small set, kept in step with the stored
vectors (added to, rebuilt, never used stale), and semantic search that agrees with the exact scan."""

import numpy as np

from app import ann
from app.store import Filters, Store
from embeddings import HashingEncoder
from tests.conftest import HASHED_MODEL

MODEL = "test-model@64"


def _vectors(n: int, seed: int, dim: int = 64) -> np.ndarray:
    rng = np.random.default_rng(seed)
    # Clustered, like passage vectors: 40 centres with spread around each.
    centres = rng.normal(size=(40, dim))
    v = centres[rng.integers(0, 40, size=n)] + 0.6 * rng.normal(size=(n, dim))
    return (v / np.linalg.norm(v, axis=1, keepdims=True)).astype(np.float32)


def _store_vectors(db, hashes, vectors, model=MODEL):
    with Store.write(db, "vectors") as store:
        store.add_embeddings(model, hashes, vectors)


def _exact(vectors, query, k):
    return list(np.argsort(-(vectors @ query), kind="stable")[:k])


def test_index_returns_the_exact_neighbours_on_a_small_set(tmp_path):
    db = tmp_path / "a.duckdb"
    vectors = _vectors(3000, 1)
    hashes = [f"h{i:05d}" for i in range(len(vectors))]
    _store_vectors(db, hashes, vectors)
    store = Store.open_read(db)
    try:
        assert ann.refresh(store, db, MODEL, min_vectors=0) == "built 3000"
        base = ann.index_path(db, MODEL)
        assert sorted(p.name[len(base.name):].count(".") for p in tmp_path.glob(base.name + "*")) == [1, 1, 1, 2]
        index = ann.load(store, MODEL)
        assert index is not None and len(index) == 3000
        rng = np.random.default_rng(2)
        recall = []
        for i in rng.choice(len(vectors), 100, replace=False):
            found = index.nearest(vectors[i], 10)
            assert found[0] == hashes[i]
            recall.append(len(set(found) & {hashes[j] for j in _exact(vectors, vectors[i], 10)}) / 10)
        assert np.mean(recall) >= 0.99
        assert ann.refresh(store, db, MODEL, min_vectors=0) == "current"
    finally:
        store.close()


def test_index_follows_the_vectors(tmp_path):
    db = tmp_path / "a.duckdb"
    vectors = _vectors(1200, 3)
    _store_vectors(db, [f"a{i}" for i in range(1000)], vectors[:1000])
    store = Store.open_read(db)
    assert ann.refresh(store, db, MODEL, min_vectors=0) == "built 1000"
    store.close()

    _store_vectors(db, [f"a{i}" for i in range(1000, 1200)], vectors[1000:])  # a weekly update
    store = Store.open_read(db)
    try:
        assert ann.load(store, MODEL) is None  # stale: never used
        assert ann.refresh(store, db, MODEL, min_vectors=0) == "added 200"
        index = ann.load(store, MODEL)
        assert len(index) == 1200 and index.nearest(vectors[1100], 1) == ["a1100"]
        assert index.nearest(vectors[5], 1) == ["a5"]
    finally:
        store.close()

    with Store.write(db, "drop") as w:  # vectors dropped: built again from what is stored
        w.drop_vectors(MODEL)
        w.add_embeddings(MODEL, [f"b{i}" for i in range(600)], vectors[:600])
    store = Store.open_read(db)
    try:
        assert ann.load(store, MODEL) is None
        assert ann.refresh(store, db, MODEL, min_vectors=0) == "built 600"
        assert ann.load(store, MODEL).nearest(vectors[7], 1) == ["b7"]
        # Too few vectors for an index to pay: the stale one is removed, search scans.
        assert ann.refresh(store, db, MODEL, min_vectors=10_000) == "current"
    finally:
        store.close()
    with Store.write(db, "drop") as w:
        w.drop_vectors(MODEL)
        w.add_embeddings(MODEL, ["c0"], vectors[:1])
    store = Store.open_read(db)
    try:
        assert ann.refresh(store, db, MODEL, min_vectors=10_000) == "removed"
        base = ann.index_path(db, MODEL)
        assert [p.name for p in tmp_path.glob(base.name + "*")] == [base.name + ".lock"]
        assert ann.load(store, MODEL) is None
    finally:
        store.close()


def _index_files(tmp_path, db) -> list[str]:
    base = ann.index_path(db, MODEL)
    return sorted(p.name[len(base.name):] for p in tmp_path.glob(base.name + "*"))


def test_added_vectors_go_to_a_delta_graph_merged_into_the_main_one_when_large(tmp_path, monkeypatch):
    """A weekly update loads and writes only the small delta graph; a search asks both graphs and keeps the
    nearest of both answers; past its share of the main graph the delta is merged into it."""
    db = tmp_path / "a.duckdb"
    vectors = _vectors(2000, 5)
    hashes = [f"d{i}" for i in range(len(vectors))]
    _store_vectors(db, hashes[:1000], vectors[:1000])
    store = Store.open_read(db)
    assert ann.refresh(store, db, MODEL, min_vectors=0) == "built 1000"
    store.close()
    main = _index_files(tmp_path, db)
    assert len(main) == 4  # graph, keys, description, lock

    def check(n):
        store = Store.open_read(db)
        try:
            index = ann.load(store, MODEL)
            assert index is not None and len(index) == n
            rng = np.random.default_rng(n)
            recall = []
            for i in rng.choice(n, 60, replace=False):
                found = index.nearest(vectors[i], 10)
                assert found[0] == hashes[i]
                recall.append(len(set(found) & {hashes[j] for j in _exact(vectors[:n], vectors[i], 10)}) / 10)
            assert np.mean(recall) >= 0.98
            scored = list(index.scored(vectors[3], 20).values())
            assert scored == sorted(scored, reverse=True)  # the two answers merged nearest first
        finally:
            store.close()

    for start, stop in ((1000, 1200), (1200, 1300)):  # two weeks: the delta made, then extended (main untouched)
        _store_vectors(db, hashes[start:stop], vectors[start:stop])
        store = Store.open_read(db)
        assert ann.refresh(store, db, MODEL, min_vectors=0) == f"added {stop - start}"
        meta = ann._read_meta(ann.index_path(db, MODEL))
        store.close()
        assert meta["delta"]["entries"] == stop - 1000 and meta["entries"] == stop and meta["main_entries"] == 1000
        files = _index_files(tmp_path, db)
        assert len(files) == 6 and set(main) < set(files)  # the main graph's files untouched, one delta
        check(stop)

    # A copy takes both graphs along.
    from app.store import copy_database

    copy = tmp_path / "copy" / "c.duckdb"
    copy.parent.mkdir()
    copy_database(db, copy)
    store = Store.open_read(copy)
    try:
        assert len(ann.load(store, MODEL)) == 1300
    finally:
        store.close()

    monkeypatch.setattr(ann, "CHUNK", 256)  # the delta's room: max(CHUNK, DELTA_SHARE of the main graph)
    _store_vectors(db, hashes[1300:], vectors[1300:])
    store = Store.open_read(db)
    assert ann.refresh(store, db, MODEL, min_vectors=0) == "added 700, delta merged"
    meta = ann._read_meta(ann.index_path(db, MODEL))
    store.close()
    assert "delta" not in meta and meta["entries"] == 2000
    assert len(_index_files(tmp_path, db)) == 4  # the old main graph and the delta deleted
    check(2000)


def _tie_groups(hits) -> list[set]:
    """The results as groups of passages with the same similarity (to 1e-5: the index and DuckDB round the
    last float digit differently, which may swap two equally near texts), the last group, which the limit
    may cut, left out."""
    groups, last = [], None
    for sim, pid in zip(hits["similarity"], hits["passage_id"]):
        if last is None or abs(sim - last) > 1e-5:
            groups.append(set())
        groups[-1].add(pid)
        last = sim
    return groups[:-1]


def test_search_with_and_without_the_index_agree_on_the_sample(hashed_sample_db_copy, monkeypatch):
    db = hashed_sample_db_copy
    monkeypatch.setattr(ann, "FIRST_CANDIDATES", 40)  # the sample's 676 texts: few enough that 200 would scan
    store = Store.open_read(db)
    try:
        assert ann.refresh(store, db, HASHED_MODEL, min_vectors=0).startswith("built")
        index = ann.load(store, HASHED_MODEL)
        assert len(index) / 4 > 40  # the searches below go through the index, not the fallback
        asked = []
        scored = index.scored
        monkeypatch.setattr(index, "scored", lambda v, k: asked.append(k) or scored(v, k))
        encoder = HashingEncoder(384)
        texts = store.query("SELECT text FROM passages ORDER BY passage_id LIMIT 400")["text"].tolist()[::40]
        texts += ["soldiers sent to die as cannon fodder", "weapons technology in exchange for troops"]
        outlet = store.query_value("SELECT name FROM outlets ORDER BY name LIMIT 1")
        for text in texts:
            v = encoder.encode([text])[0]
            for filters in (Filters(), Filters(outlets=(outlet,))):
                exact = store.search_passages(v, HASHED_MODEL, filters, limit=10)
                fast = ann.search_passages(store, v, HASHED_MODEL, filters, limit=10, index=index)
                assert np.allclose(fast["similarity"], exact["similarity"], atol=1e-5), text
                assert _tie_groups(fast) == _tie_groups(exact), text
                assert (fast["searched"] == exact["searched"]).all()
        assert asked and min(asked) == 40
        assert max(asked) > 40  # the outlet filter left too few of the first candidates: it asked for more
    finally:
        store.close()


def test_build_refreshes_the_index(tmp_path, monkeypatch):
    from app.config import SAMPLE_PATH, load_settings
    from app.ingest import ingest_file
    from app.pipeline import build

    monkeypatch.setattr(ann, "MIN_VECTORS", 0)
    db = tmp_path / "b.duckdb"
    settings = load_settings(env={}, db=db, model=HASHED_MODEL)
    lines = SAMPLE_PATH.read_text().splitlines()
    first, rest = tmp_path / "first.jsonl", tmp_path / "rest.jsonl"
    first.write_text("\n".join(lines[:150]) + "\n")
    rest.write_text("\n".join(lines[150:200]) + "\n")
    for path, expect in ((first, "built"), (rest, "added")):
        with Store.write(db, f"ingest {path}") as store:
            ingest_file(store, path, settings.max_article_chars)
        report = build(db, settings)
        assert report.index.startswith(expect), report.index
    store = Store.open_read(db)
    try:
        assert ann.load(store, report.model) is not None
    finally:
        store.close()

    # A copy takes the index along (linked): its next build extends it, and the original's next index
    # (a new generation, the old one deleted) leaves the copy's whole.
    from app.store import copy_database

    copy = tmp_path / "copy.duckdb"
    copy_database(db, copy)
    more = tmp_path / "more.jsonl"
    more.write_text("\n".join(lines[200:230]) + "\n")
    for target in (db, copy):
        with Store.write(target, f"ingest {more}") as store:
            ingest_file(store, more, settings.max_article_chars)
        report = build(target, settings.replace(db=target))
        assert report.index.startswith("added"), (target, report.index)
    for target in (db, copy):
        store = Store.open_read(target)
        try:
            assert ann.load(store, report.model) is not None, target
        finally:
            store.close()


def test_a_hits_frames_are_its_texts_active_frames_with_merges_resolved(hashed_sample_db_copy):
    """The frames a search hit lists: every active frame holding a passage with the hit's text, a merged frame
    counted as the frame it went into, a retired one left out (as the view resolved_passage_frames says)."""
    db = hashed_sample_db_copy
    with Store.write(db, "edits") as store:
        big = store.query("""SELECT frame_id FROM frames WHERE status = 'active' AND kind = 'discovered'
                             ORDER BY frame_id LIMIT 3""")["frame_id"].astype(int).tolist()
        store.edit_frame(big[0], "merge", into=big[1])
        store.edit_frame(big[2], "retire")
    store = Store.open_read(db)
    try:
        index = ann.load(store, HASHED_MODEL)
        truth = store.query("""SELECT q.text_hash, list(DISTINCT rp.frame_id ORDER BY rp.frame_id) AS frames
                               FROM resolved_passage_frames rp JOIN frames f USING (frame_id)
                               JOIN passages q USING (passage_id) WHERE f.status = 'active' GROUP BY q.text_hash""")
        truth = {h: list(f) for h, f in zip(truth["text_hash"], truth["frames"])}
        hashes = store.query("""SELECT DISTINCT p.text_hash FROM passage_frames pf JOIN passages p USING (passage_id)
                                WHERE pf.frame_id IN (SELECT unnest(?::INTEGER[])) ORDER BY 1 LIMIT 6""",
                             [big])["text_hash"].tolist()
        vectors = np.concatenate([m for _, m in store.vector_chunks(HASHED_MODEL, only=hashes)])
        got = store.query("SELECT passage_id, text_hash FROM passages")
        text_of = dict(zip(got["passage_id"], got["text_hash"]))
        seen = set()
        for v in vectors:
            for hits in (store.search_passages(v, HASHED_MODEL, limit=10),
                         ann.search_passages(store, v, HASHED_MODEL, limit=10, index=index)):
                for pid, frames in zip(hits["passage_id"], hits["frames"]):
                    listed = [] if not isinstance(frames, (list, np.ndarray)) else [int(f) for f in frames]
                    assert listed == truth.get(text_of[pid], []), pid
                    seen |= set(listed)
        assert big[1] in seen and big[0] not in seen and big[2] not in seen
    finally:
        store.close()


def test_an_index_that_cannot_be_refreshed_leaves_the_build_published(tmp_path, monkeypatch):
    """``refresh_index`` runs after the build is published: a database it cannot open, or a store error while it
    reads the vectors, gives a note (search scans every vector), never an exception, and the index is removed."""
    from app.pipeline import build_sample, refresh_index
    from app.store import StoreError

    monkeypatch.setattr(ann, "MIN_VECTORS", 0)
    db = build_sample(tmp_path / "s.duckdb", model=HASHED_MODEL)
    r = Store.open_read(db)
    model = r.last_run("embed")["parameters"]["model"]
    r.close()
    assert refresh_index(db, model).startswith("built")
    r = Store.open_read(db)
    try:
        assert ann.load(r, model) is not None
    finally:
        r.close()

    def busy(*args, **kwargs):
        raise StoreError("the database is damaged: run `narratives doctor`")

    with monkeypatch.context() as m:
        m.setattr(Store, "open_read", busy)
        note = refresh_index(db, model)
    assert note.startswith("not refreshed (the database is damaged") and note.endswith("search scans every vector")
    r = Store.open_read(db)
    try:
        assert ann.load(r, model) is not None  # not opened, so not touched: the index stands
    finally:
        r.close()

    with monkeypatch.context() as m:
        m.setattr(ann, "refresh", busy)
        note = refresh_index(db, model)
    assert note.startswith("not refreshed (the database is damaged")
    r = Store.open_read(db)
    try:
        assert ann.load(r, model) is None  # removed: search falls back to the exact scan
    finally:
        r.close()
