"""Readers beside writes that use the spare: does any reader ever see its state change under it?

    python bench/spare_stress.py [--dir DIR] [--writes 200]

Makes a small database in DIR (default: a temporary folder), then runs ``--writes`` writes in one process (each
adds 5,000 outlets through the store, so that blocks differ between states) while three reader processes open
the published state, read it, hold it 0 s, up to 0.3 s and up to 1.5 s, read it again and close it, over and
over. A reader checks that both reads agree and that the state is whole (a whole number of writes' outlets). Prints how each
write made its work copy (``refresh``: from the spare; ``copy``: the spare was open in a reader, or there was
none) and every reader error. The same check, shorter, is a test (``tests/test_store.py``); this one runs longer.
"""

from __future__ import annotations

import argparse
import collections
import json
import multiprocessing as mp
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PER_WRITE = 5_000


def _outlets(store, prefix: str, n: int) -> None:
    import pandas as pd

    names = [f"{prefix} outlet {j:05d}" for j in range(n)]
    store.add_outlets(pd.DataFrame({"outlet_id": [x.lower().replace(" ", "-") for x in names], "name": names,
                                    "domain": [None] * n}))


def writer(db: str, writes: int, done, made) -> None:
    from app.store import Store

    ways = collections.Counter()
    try:
        for i in range(writes):
            with Store.write(db) as store:
                ways[json.loads(Path(db + ".work.base").read_text()).get("copy")] += 1
                _outlets(store, f"W{i:05d}", PER_WRITE)
    finally:
        made.put(dict(ways))
        done.set()


def reader(db: str, done, errors, reads, hold: float) -> None:
    from app.store import Store

    n = 0
    while not done.is_set():
        try:
            r = Store.open_read(db)
            try:
                sql = "SELECT count(*) AS n, sum(hash(name)) AS h FROM outlets"
                first = r.query(sql).iloc[0].tolist()
                time.sleep(random.random() * hold)
                assert (first[0] - 1) % PER_WRITE == 0, first  # the base outlet and whole writes
                assert r.query(sql).iloc[0].tolist() == first
                n += 1
            finally:
                r.close()
        except Exception as exc:  # noqa: BLE001 - every failure is reported
            errors.put(repr(exc)[:300])
    reads.put(n)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", type=Path)
    ap.add_argument("--writes", type=int, default=200)
    args = ap.parse_args()
    from app.store import Store

    folder = args.dir or Path(tempfile.mkdtemp(prefix="spare-stress-"))
    folder.mkdir(parents=True, exist_ok=True)
    db = str(folder / "stress.duckdb")
    with Store.write(db) as store:
        _outlets(store, "Base", 1)
    ctx = mp.get_context("spawn")
    done, errors, made, reads = ctx.Event(), ctx.Queue(), ctx.Queue(), ctx.Queue()
    readers = [ctx.Process(target=reader, args=(db, done, errors, reads, h)) for h in (0.0, 0.3, 1.5)]
    for r in readers:
        r.start()
    started = time.perf_counter()
    w = ctx.Process(target=writer, args=(db, args.writes, done, made))
    w.start()
    w.join()
    for r in readers:
        r.join(60)
    failures = []
    while not errors.empty():
        failures.append(errors.get())
    total_reads = sum(reads.get() for _ in readers)
    print(f"{args.writes} writes in {time.perf_counter() - started:.1f} s (writer exit {w.exitcode}); work copies "
          f"{made.get()}; {total_reads} reader sessions; {len(failures)} reader errors")
    for f in failures[:5]:
        print(" ", f)


if __name__ == "__main__":
    main()
