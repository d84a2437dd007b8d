"""Reading the vectors of some text hashes: the store's read through the segments' fixed-width sidecars against
the scan of the vector segments the store used before, side by side in one run, the same hashes for both.

    python bench/vector_lookup.py --db BUILT.duckdb [--sizes 1000 10000 100000] [--rounds 3]

The store keeps vectors in Parquet segments (``app.store.vectors``), one FLOAT list a row, sorted by text hash,
each with a sidecar beside it holding the same vectors as raw float32. The scan asks the view for the vectors of
N hashes (``SELECT text_hash, vector FROM embeddings WHERE model = ? AND text_hash IN (...)``, what the store's
reads did before the sidecars, here through ``Store.query``): DuckDB decodes every vector of every segment
whatever N is, because a list column is decoded whole. The read (``Store.vector_chunks(model, only=...)``, that
is ``app.store.vectors.read``) has DuckDB read the segments' text hash column alone, then takes the rows asked
for from memory maps of the sidecars. A segment without a sidecar is read as the scan reads it: a database
written before sidecars gets them from its next write (``Store.write``), never from a reader, so measure a
copy that has been written once (``app.store.copy_database``, then an empty ``Store.write``).

Prints a Markdown table for bench/RESULTS.md: per N, the median of ``--rounds`` rounds for each path (random
hashes of the model's vectors, a new draw each N, both paths on the same draw) and their ratio; each round
checks that both give the same vectors. Nothing of the database is changed.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from app.store import Store  # noqa: E402

SCAN = """SELECT text_hash, vector FROM embeddings
          WHERE model = ? AND text_hash IN (SELECT unnest(?::VARCHAR[]))"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--db", required=True)
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    store = Store.open_read(args.db)
    try:
        segments = store.query("SELECT file, model, rows, dim FROM vector_segments ORDER BY file")
        model = segments.groupby("model")["rows"].sum().idxmax()  # the model most vectors are of
        segments = segments[segments["model"] == model]
        folder = Path(store.vector_folder())
        with_sidecar = [f for f, rows, dim in zip(segments["file"], segments["rows"], segments["dim"])
                        if (folder / (f + ".f32")).exists()
                        and (folder / (f + ".f32")).stat().st_size == int(rows) * int(dim) * 4]
        every = store.query("SELECT text_hash FROM embeddings WHERE model = ?", [model])["text_hash"].tolist()
        sidecar_mb = sum((folder / (f + ".f32")).stat().st_size for f in with_sidecar) / 1e6
        print(f"database: {args.db}; model {model}; {len(every):,} vectors in {len(segments)} segments, "
              f"{len(with_sidecar)} with a sidecar ({sidecar_mb:,.0f} MB)", file=sys.stderr)
        if len(with_sidecar) < len(segments):
            print("some segments have no sidecar: the read falls back to the scan for them (write the database "
                  "once to give them one)", file=sys.stderr)

        def scan(want: list[str]) -> dict[str, np.ndarray]:
            rows = store.query(SCAN, [model, want])
            matrix = np.stack(rows["vector"].to_numpy()).astype(np.float32) if len(rows) else np.zeros((0, 0))
            return dict(zip(rows["text_hash"], matrix))

        def read(want: list[str]) -> dict[str, np.ndarray]:
            return {h: v for hashes, matrix in store.vector_chunks(model, chunk=len(want), only=want)
                    for h, v in zip(hashes, matrix)}

        print("| hashes asked | segment scan (DuckDB), s | read through the sidecars, s | scan / read |")
        print("|---|---|---|---|")
        for n in args.sizes:
            want = random.Random(n).sample(every, min(n, len(every)))
            times: dict[str, list[float]] = {"scan": [], "read": []}
            for _ in range(args.rounds):
                got = {}
                for name, path in (("scan", scan), ("read", read)):
                    t = time.perf_counter()
                    got[name] = path(want)
                    times[name].append(time.perf_counter() - t)
                    assert len(got[name]) == len(want), (name, len(got[name]), len(want))
                assert all(np.array_equal(got["scan"][h], got["read"][h]) for h in want)
            a, b = statistics.median(times["scan"]), statistics.median(times["read"])
            print(f"| {len(want):,} | {a:.3f} | {b:.3f} | {a / b:.0f}x |", flush=True)
    finally:
        store.close()


if __name__ == "__main__":
    main()
