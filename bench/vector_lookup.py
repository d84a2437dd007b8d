"""Reading the vectors of some text hashes: a scan of the vector segments (what the store does) against a
fixed-width, memory-mapped copy of each segment beside it (what a lookup could do), side by side in one run.

    python bench/vector_lookup.py --db BUILT.duckdb --work DIR [--sizes 1000 10000 100000] [--rounds 3]

The store keeps vectors in Parquet segments (``app.store.vectors``), one FLOAT list a row, sorted by text hash.
Asking DuckDB for the vectors of N hashes (``Store.vector_chunks(model, only=...)``) decodes every vector of
every segment whatever N is, because a list column is decoded whole. The alternative measured here writes
each listed segment's vectors once as a raw float32 matrix (``.npy``, in ``--work``, not beside the database),
keeps the segments' sorted hash columns in memory, finds each hash by binary search and reads only its row
through a memory map: the operating system reads the pages those rows are on.

Prints a Markdown table for bench/RESULTS.md: per N, the median of ``--rounds`` rounds for each path (random
hashes of the database's passages, a new draw each N), and what making the copies cost. The copies are
left in ``--work``; nothing of the database is changed.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from app.store import Store  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--db", required=True)
    ap.add_argument("--work", required=True, help="a folder for the memory-mapped copies")
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    store = Store.open_read(args.db)
    try:
        segments = store.query("SELECT file, model, rows FROM vector_segments ORDER BY file")
        model = segments["model"].value_counts().index[0]  # the model most vectors are of
        segments = segments[segments["model"] == model]
        folder = Path(store.vector_folder())

        started = time.perf_counter()
        hashes, maps, size = [], [], 0
        for i, name in enumerate(segments["file"]):
            table = pq.read_table(folder / name, columns=["text_hash", "vector"])
            column = table.column("vector").combine_chunks()
            matrix = column.values.to_numpy().reshape(len(column), -1).astype(np.float32)
            np.save(work / f"{i}.npy", matrix)
            size += matrix.nbytes
            hashes.append(np.asarray(table.column("text_hash").to_pylist()))
        built = time.perf_counter() - started
        maps = [np.load(work / f"{i}.npy", mmap_mode="r") for i in range(len(hashes))]
        every = np.concatenate(hashes)
        print(f"database: {args.db}; model {model}; {len(every):,} vectors in {len(hashes)} segments; "
              f"memory-mapped copies made in {built:.1f} s, {size / 1e6:,.0f} MB", file=sys.stderr)

        def scan(want: list[str]) -> int:
            return sum(len(h) for h, _ in store.vector_chunks(model, only=want))

        def mapped(want: list[str]) -> int:
            asked = np.asarray(want)
            found = 0
            for h, m in zip(hashes, maps):
                at = np.minimum(np.searchsorted(h, asked), len(h) - 1)
                rows = np.sort(at[h[at] == asked])
                if len(rows):
                    found += len(np.asarray(m[rows]))
            return found

        print("| hashes asked | segment scan (DuckDB), s | memory-mapped copy, s | scan / copy |")
        print("|---|---|---|---|")
        for n in args.sizes:
            want = random.Random(n).sample(every.tolist(), min(n, len(every)))
            times = {"scan": [], "mapped": []}
            for _ in range(args.rounds):
                for name, read in (("scan", scan), ("mapped", mapped)):
                    t = time.perf_counter()
                    got = read(want)
                    times[name].append(time.perf_counter() - t)
                    assert got == len(want), (name, got, len(want))
            a, b = statistics.median(times["scan"]), statistics.median(times["mapped"])
            print(f"| {len(want):,} | {a:.3f} | {b:.3f} | {a / b:.0f}x |")
    finally:
        store.close()


if __name__ == "__main__":
    main()
