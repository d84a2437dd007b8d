"""The copies stage's grouping of its pairs into links (``app.dedup.copy_links``), this checkout's against
another's, on the pairs stored in a built database (read-only), timed in turns; the two results are compared.
Also the collection of the pairs' articles (for their dates), through a Python set and through pandas.

    python bench/copy_links.py BUILT.duckdb --against OLD_CHECKOUT [--rounds R]

Both run warm: each is called once before the timing (so scipy, which a build imports in its frames stage
anyway, is loaded before either is timed).
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import time
from pathlib import Path

import pandas as pd

from app.dedup import copy_links
from app.store import Store


def _ends_by_set(pairs) -> list[str]:
    return sorted(set(pairs["a"]) | set(pairs["b"]))


def _ends_by_pandas(pairs) -> list[str]:  # as app.stages.passages.copies_stage
    return pd.concat([pairs["a"], pairs["b"]], ignore_index=True).drop_duplicates().sort_values().tolist()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("db")
    parser.add_argument("--against", type=Path, required=True, help="another checkout, whose app/dedup.py is timed")
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    spec = importlib.util.spec_from_file_location("old_dedup", args.against / "app" / "dedup.py")
    old = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(old)
    store = Store.open_read(args.db)
    try:
        pairs = store.stored_copy_pairs().astype({"jaccard": "float32"})  # as the copies stage gives them
        ends = _ends_by_set(pairs)
        dates = store.article_dates(ends)
    finally:
        store.close()
    ways = {"old": lambda: old.copy_links(pairs, dates), "new": lambda: copy_links(pairs, dates),
            "articles by a set": lambda: _ends_by_set(pairs), "articles by pandas": lambda: _ends_by_pandas(pairs)}
    results = {name: way() for name, way in ways.items()}  # warm, and the results compared
    same = results["old"].astype(str).values.tolist() == results["new"].astype(str).values.tolist()
    same_ends = results["articles by a set"] == results["articles by pandas"]
    times: dict[str, list[float]] = {name: [] for name in ways}
    for _ in range(args.rounds):
        for name, way in ways.items():
            started = time.perf_counter()
            way()
            times[name].append(time.perf_counter() - started)
    print(f"{args.db}: {len(pairs):,} pairs of {len(ends):,} articles, {len(results['new']):,} links; "
          f"the same links: {same}; the same articles: {same_ends}")
    for name, t in times.items():
        print(f"{name}: {statistics.median(t):.3f} s median ({min(t):.3f}-{max(t):.3f}) of {args.rounds} rounds")


if __name__ == "__main__":
    main()
