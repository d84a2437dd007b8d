"""The cost of one small write to a large database: the writer's work copy, cloned or copied.

    python bench/write_copy.py --dir DIR [--dir DIR2 ...] [--vectors 800000] [--dim 384] [--writes 5]

In each DIR (one per file system: ext4, Btrfs, XFS...) it makes a database holding ``--vectors`` random
vectors of ``--dim`` floats under one model key (about the size of the whole AllSides corpus' vectors at
the defaults: 1.2 GB), then times ``--writes`` small writes through the write-and-swap protocol (each
records one run: what an edit or a build with nothing to do costs), and reports how the work copy was
made (``clone``: reference links, the file's blocks shared until written; ``copy``: every byte), the
median seconds per write, and the space the directory takes on disk afterwards. Prints a Markdown table
for bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from app.store import Store  # noqa: E402
from app.store.db import clone_file  # noqa: E402

CHUNK = 50_000
MODEL = "bench/random@384"


def make(db: Path, n: int, dim: int) -> float:
    """A database of ``n`` random unit vectors; seconds taken."""
    t = time.perf_counter()
    rng = np.random.default_rng(7)
    with Store.write(db, "bench vectors") as store:
        for start in range(0, n, CHUNK):
            k = min(CHUNK, n - start)
            vectors = rng.standard_normal((k, dim), dtype=np.float32)
            vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
            hashes = [hashlib.sha1(str(i).encode()).hexdigest() for i in range(start, start + k)]
            store.add_embeddings(MODEL, hashes, vectors)
    return time.perf_counter() - t


def small_write(db: Path) -> float:
    t = time.perf_counter()
    with Store.write(db, "bench edit", resumable=False) as store:
        run = store.start_run("bench", {"small": True})
        store.finish_run(run, {"rows": 1})
    return time.perf_counter() - t


def disk_usage(folder: Path) -> str:
    """What ``df`` says the file system holds (reference-linked blocks count once), after a sync."""
    os.sync()
    out = subprocess.run(["df", "-B1", "--output=used,fstype", str(folder)], capture_output=True, text=True).stdout
    used, fstype = out.splitlines()[-1].split()
    return f"{int(used) / 1e9:.2f} GB ({fstype})"


def _remove(folder: Path) -> None:
    """The database and what the write protocol leaves beside it (work copy, marker, lock, spill folder)."""
    for p in folder.glob("write-copy.duckdb*"):
        shutil.rmtree(p) if p.is_dir() else p.unlink()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", action="append", required=True, type=Path)
    ap.add_argument("--vectors", type=int, default=800_000)
    ap.add_argument("--dim", type=int, default=384)
    ap.add_argument("--writes", type=int, default=5)
    args = ap.parse_args()
    rows = []
    for folder in args.dir:
        folder.mkdir(parents=True, exist_ok=True)
        db = folder / "write-copy.duckdb"
        _remove(folder)
        made = make(db, args.vectors, args.dim)
        probe = folder / "probe.copy"
        how = clone_file(db, probe)
        probe.unlink()
        before = disk_usage(folder)
        times = [small_write(db) for _ in range(args.writes)]
        after = disk_usage(folder)
        size = db.stat().st_size / 1e9
        rows.append((str(folder), how, f"{size:.2f}", f"{made:.0f}", f"{statistics.median(times):.2f}",
                     f"{min(times):.2f}-{max(times):.2f}", before, after))
        _remove(folder)
    print("| folder | work copy | database GB | made in s | small write, median s | min-max s | "
          "used before the writes | used after |")
    print("|---|---|---|---|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
