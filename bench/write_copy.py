"""The cost of one small write to a large database: the writer's work copy, cloned or copied.

    python bench/write_copy.py --dir DIR [--dir DIR2 ...] [--vectors 800000] [--dim 384] [--writes 5]
                               [--code LABEL=CHECKOUT ...] [--db BUILT.duckdb]

In each DIR (one per file system: ext4, Btrfs, XFS...) it makes a database holding ``--vectors`` random
vectors of ``--dim`` floats under one model key (about the size of the whole AllSides corpus' vectors at
the defaults: 1.2 GB), then times ``--writes`` small writes through the write-and-swap protocol (each
records one run: what an edit or a build with nothing to do costs), and reports how the work copy was
made (``clone``: reference links, the file's blocks shared until written; ``copy``: every byte), the
median seconds per write, and the space the directory takes on disk afterwards. Prints a Markdown table
for bench/RESULTS.md.

``--db`` measures a copy of a database the product built instead of random vectors alone (articles,
passages, frames: the real share of the vectors in the file); a first write, not timed, brings it to the
code's own format (the code with segments moves its vectors out, see ``app.store.vectors``).
``--code LABEL=CHECKOUT`` (repeatable) runs the same measurement with the product's code from another
checkout, in a process of its own (its ``app`` first on the path), side by side with this one: for example
the code from before the vectors moved out of the file into segments (``<db>.vectors``).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if os.environ.get("WRITE_COPY_CODE"):  # a child measuring another checkout
    sys.path.insert(0, os.environ["WRITE_COPY_CODE"])
else:
    sys.path.insert(0, str(ROOT))
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


def small_write(db: Path, made: list | None = None) -> float:
    """One write recording one run; seconds taken. ``made`` gets how the work copy was made, as the write's
    marker says (``clone``, ``refresh``: the spare brought up to date, ``copy``; None from code older than the
    spare, whose marker does not say)."""
    t = time.perf_counter()
    with Store.write(db, "bench edit", resumable=False) as store:
        if made is not None:
            made.append(json.loads(db.with_name(db.name + ".work.base").read_text()).get("copy"))
        run = store.start_run("bench", {"small": True})
        store.finish_run(run, {"rows": 1})
    return time.perf_counter() - t


def sizes(db: Path) -> tuple[float, float]:
    """GB of the database file and of its vectors' folder (none before segments)."""
    folder = db.with_name(db.name + ".vectors")
    vectors = sum(p.stat().st_size for p in folder.iterdir()) if folder.is_dir() else 0
    return db.stat().st_size / 1e9, vectors / 1e9


def disk_usage(folder: Path) -> str:
    """What ``df`` says the file system holds (reference-linked blocks count once), after a sync."""
    os.sync()
    out = subprocess.run(["df", "-B1", "--output=used,fstype", str(folder)], capture_output=True, text=True).stdout
    used, fstype = out.splitlines()[-1].split()
    return f"{int(used) / 1e9:.2f} GB ({fstype})"


def _remove(folder: Path) -> None:
    """The database and what the write protocol leaves beside it (work copy, marker, lock, spill folder, spare)."""
    for p in folder.glob("write-copy.duckdb*"):
        shutil.rmtree(p) if p.is_dir() else p.unlink()


def from_built(db: Path, built: Path) -> float:
    """A copy of a built database (the file and its vectors' folder, if any), upgraded by a first write;
    seconds taken."""
    t = time.perf_counter()
    shutil.copyfile(built, db)
    folder = built.with_name(built.name + ".vectors")
    if folder.is_dir():
        shutil.copytree(folder, db.with_name(db.name + ".vectors"))
    small_write(db)
    return time.perf_counter() - t


def measure(folder: Path, vectors: int, dim: int, writes: int, built: Path | None = None) -> list[str]:
    folder.mkdir(parents=True, exist_ok=True)
    db = folder / "write-copy.duckdb"
    _remove(folder)
    made = make(db, vectors, dim) if built is None else from_built(db, built)
    probe = folder / "probe.copy"
    how = clone_file(db, probe)
    probe.unlink()
    before = disk_usage(folder)
    made_as: list = []
    times = [small_write(db, made_as) for _ in range(writes)]
    if any(made_as):
        how = "/".join(sorted({str(m) for m in made_as}))
    after = disk_usage(folder)
    file_gb, vectors_gb = sizes(db)
    _remove(folder)
    return [str(folder), how, f"{file_gb:.3f}", f"{vectors_gb:.2f}", f"{made:.0f}", f"{statistics.median(times):.2f}",
            f"{min(times):.2f}-{max(times):.2f}", before, after]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", action="append", required=True, type=Path)
    ap.add_argument("--vectors", type=int, default=800_000)
    ap.add_argument("--dim", type=int, default=384)
    ap.add_argument("--writes", type=int, default=5)
    ap.add_argument("--code", action="append", default=[], metavar="LABEL=CHECKOUT")
    ap.add_argument("--db", type=Path, help="a database the product built, measured instead of random vectors")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        for folder in args.dir:
            print("ROW " + json.dumps(measure(folder, args.vectors, args.dim, args.writes, args.db)), flush=True)
        return
    codes = [("this checkout", str(ROOT))] + [tuple(c.split("=", 1)) for c in args.code]
    rows = []
    for label, code in codes:
        for folder in args.dir:
            built = ["--db", str(args.db.resolve())] if args.db else []
            out = subprocess.run([sys.executable, __file__, "--child", "--dir", str(folder), "--vectors",
                                  str(args.vectors), "--dim", str(args.dim), "--writes", str(args.writes), *built],
                                 env=dict(os.environ, WRITE_COPY_CODE=code), capture_output=True, text=True)
            if out.returncode:
                raise SystemExit(f"{label} in {folder} failed:\n{out.stderr[-3000:]}")
            row = json.loads(next(x for x in out.stdout.splitlines() if x.startswith("ROW "))[4:])
            rows.append([label] + row)
            print(f"{label} / {folder}: {row}", file=sys.stderr, flush=True)
    print("| code | folder | work copy | database file GB | vectors folder GB | made in s | small write, median s | "
          "min-max s | used before the writes | used after |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
