"""Recall and speed of the nearest-neighbour index (app/ann.py) against the exact scan.

    python bench/ann_recall.py --db build/bench/s10k/s.duckdb [--model KEY] [--queries 200]
    python bench/ann_recall.py --sample [--model default]      # the bundled sample, built first

Builds (or refreshes) the index of the model's vectors beside the database (timed), then for ``--queries``
stored vectors picked at random (seeded) compares the index's 10 nearest texts with the exact 10 nearest
(numpy over every vector of the model), the query's own text left out of both: recall@10 is the share of
the exact ten the index returns. Speed: the index's own search (warm, median and 95th percentile), and the
whole semantic search as the Search page runs it (``app.ann.search_passages``: candidates from the index,
ranked exactly and filtered in the store) against the exact scan (``Store.search_passages``), each warm
(median of the queries after one warm-up). Prints a Markdown block for bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app import ann  # noqa: E402
from app.store import Filters, Store  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", type=Path)
    ap.add_argument("--sample", action="store_true", help="build the bundled sample into a temporary database")
    ap.add_argument("--model", default=None, help="model key (default: the one with the most vectors); with "
                                                  "--sample, the model setting to build with (default 'default')")
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--timed", type=int, default=30, help="queries timed end to end (each way)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    if args.sample:
        from app.pipeline import build_sample

        db = Path(tempfile.mkdtemp()) / "sample.duckdb"
        t = time.perf_counter()
        build_sample(db, model=args.model or "default")
        print(f"sample built in {time.perf_counter() - t:.0f} s", file=sys.stderr)
        model = None
    else:
        db, model = args.db, args.model
    store = Store.open_read(db)
    if model is None:
        model = store.query_value("SELECT model FROM embeddings GROUP BY model ORDER BY count(*) DESC LIMIT 1")
    t = time.perf_counter()
    did = ann.refresh(store, db, model, min_vectors=0)
    build_s = time.perf_counter() - t
    index = ann.load(store, model)
    n = len(index)
    base = ann.index_path(db, model)
    size_mb = sum(p.stat().st_size for p in base.parent.glob(base.name + ".*")) / 2**20

    hashes, chunks = [], []
    for h, v in store.vector_chunks(model):
        hashes.extend(h)
        chunks.append(v)
    vectors = np.vstack(chunks)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    rng = np.random.default_rng(args.seed)
    picks = rng.choice(n, size=min(args.queries, n), replace=False)
    recalls, tie_recalls, index_ms, exact_np_ms = [], [], [], []
    position = {h: j for j, h in enumerate(hashes)}
    index.nearest(vectors[picks[0]], 11)  # warm
    for i in picks:
        t = time.perf_counter()
        exact = np.argpartition(-(vectors @ vectors[i]), 11)[:11]
        exact_np_ms.append((time.perf_counter() - t) * 1000)
        sims = vectors[exact] @ vectors[i]
        truth = [hashes[j] for j in exact[np.argsort(-sims, kind="stable")] if j != i][:10]
        t = time.perf_counter()
        found = index.nearest(vectors[i], 11)
        index_ms.append((time.perf_counter() - t) * 1000)
        found = [h for h in found if h != hashes[i]][:10]
        recalls.append(len(set(found) & set(truth)) / len(truth))
        # Ties: a text exactly as near as the exact tenth (a templated sentence with other names) is as
        # right an answer as the one the exact scan happened to keep.
        tenth = float(np.sort(sims)[::-1][1:11][-1]) if len(sims) > 10 else -1.0
        found_sims = vectors[[position[h] for h in found]] @ vectors[i]
        tie_recalls.append(min(1.0, float((found_sims >= tenth - 1e-4).sum()) / len(truth)))

    def timed(fn) -> list[float]:
        fn(vectors[picks[0]])
        out = []
        for i in picks[: args.timed]:
            t = time.perf_counter()
            fn(vectors[i])
            out.append((time.perf_counter() - t) * 1000)
        return out

    full_index = timed(lambda v: ann.search_passages(store, v, model, Filters(), 50, index=index))
    full_exact = timed(lambda v: store.search_passages(v, model, Filters(), 50))
    agree = 0
    for i in picks[: args.timed]:
        a = ann.search_passages(store, vectors[i], model, Filters(), 10, index=index)["passage_id"].tolist()
        b = store.search_passages(vectors[i], model, Filters(), 10)["passage_id"].tolist()
        agree += a == b
    passages = store.query_value("SELECT count(*) FROM passages")
    store.close()

    def p95(xs):
        return float(np.percentile(xs, 95))

    print(f"""
- database: `{db.name}`, model `{model}`: {n:,} vectors (distinct passage texts) of {vectors.shape[1]} dimensions,
  {passages:,} passages
- index: {did} in {build_s:.1f} s; file {size_mb:.0f} MB (usearch HNSW, cosine, {ann.DTYPE}, connectivity
  {ann.CONNECTIVITY}, expansion add {ann.EXPANSION_ADD} / search {ann.EXPANSION_SEARCH})
- recall@10 against exact ({len(picks)} stored vectors as queries, own text left out): mean
  {statistics.mean(recalls):.4f}, worst {min(recalls):.1f}, {sum(r == 1.0 for r in recalls)}/{len(recalls)} queries all ten;
  counting a text as near as the exact tenth (within 1e-4) as right: {statistics.mean(tie_recalls):.4f}
- nearest 11 (warm): index {statistics.median(index_ms):.2f} ms median, {p95(index_ms):.2f} ms p95; exact numpy
  matrix product over all vectors {statistics.median(exact_np_ms):.2f} ms median
- semantic search as the Search page runs it, 50 results, no filter (warm, {len(full_index)} queries):
  through the index {statistics.median(full_index):.0f} ms median ({p95(full_index):.0f} p95); exact scan in DuckDB
  {statistics.median(full_exact):.0f} ms median ({p95(full_exact):.0f} p95)
- same 10 results in the same order as the exact scan: {agree}/{len(picks[: args.timed])} queries
- machine: {platform.machine()}, Python {platform.python_version()}
""")


if __name__ == "__main__":
    main()
