"""The reads that find a weekly update's new articles for the segment and onsets stages, with their texts: the
ids found first and only their texts read (what the product does), against reading every article's title and
text with the search, in turns, warm. Then, the week segmented, the copies stage's check that the passages of
the articles its stored pairs account for are unchanged: every passage's fingerprint (which a build takes
anyway) less the new articles' (what the product does), against reading those passages.

    python bench/week_reads.py --db BUILT.duckdb --work W WEEK.jsonl [--rounds 5]

``--db`` is copied to ``W`` (``app.store.copy_database``) and the week ingested into the copy, not built: its
articles are then those still to segment and whose dates are still to check. Prints, for each read, the median
(min-max) seconds of both forms and whether they return the same rows (the same fingerprint).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from app.store import Store, copy_database  # noqa: E402

# What an article's date check was made from (as ``Store.dates_to_check`` hashes it).
_DATE_FINGERPRINT = "hash(a.published_at, a.date_source, a.content_hash)"

# Every article's title and text read together with the search for the articles still to do.
_SEGMENT_WHOLE = """SELECT article_id, title, text FROM articles
                    WHERE article_id NOT IN (SELECT article_id FROM segmented_articles)
                    ORDER BY article_id LIMIT ?"""
_DATES_WHOLE = f"""SELECT a.article_id, a.title, a.text, a.published_at, a.date_source,
                          {_DATE_FINGERPRINT} AS fingerprint
                   FROM articles a LEFT JOIN date_checks c USING (article_id)
                   WHERE c.fingerprint IS DISTINCT FROM {_DATE_FINGERPRINT}
                   ORDER BY a.article_id LIMIT ?"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--work", required=True)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("week")
    args = parser.parse_args()
    from app.config import load_settings
    from app.ingest import ingest_files

    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    db = work / "week_reads.duckdb"
    copy_database(args.db, db)
    settings = load_settings(env=os.environ, db=str(db))
    with Store.write(db) as store:
        ingest_files(store, [args.week], settings.max_article_chars)
    store = Store.open_read(db)
    chunk = 2000
    reads = {
        "articles to segment": (lambda: store.query(_SEGMENT_WHOLE, [chunk]),
                                lambda: store.articles_to_segment(chunk)),
        "dates to check": (lambda: store.query(_DATES_WHOLE, [chunk]), lambda: store.dates_to_check(chunk)),
    }
    try:
        print(f"articles: {store.query_value('SELECT count(*) FROM articles'):,}")
        print("| read | the archive's rows, s | the week's, s | rows | same rows |")
        print("|---|---|---|---|---|")
        _time(reads, args.rounds)
    finally:
        store.close()
    from app.pipeline import segment_stage

    def less(whole: str, part: str) -> str:  # a count:xor fingerprint less a part of its passages
        (n, x), (m, y) = (tuple(int(v) for v in f.split(":")) for f in (whole, part))
        return f"{n - m}:{x ^ y}"

    with Store.write(db) as store:
        segment_stage(store, settings)
    store = Store.open_read(db)
    try:
        fresh = store.unaccounted_articles()
        _time({"accounted passages' fingerprint": (
            lambda: store.accounted_passage_fingerprint(),
            lambda: less(store.passage_fingerprint(None), store.passage_fingerprint(None, articles=fresh)))},
            args.rounds, week=lambda: store.passage_fingerprint(None, articles=fresh))
    finally:
        store.close()


def _time(reads: dict, rounds: int, week=None) -> None:
    """Each read's two forms timed in turns (``week``: the part of the second form that is not the
    fingerprint of every passage, which a build takes anyway, timed alone too)."""
    for name, (whole, first) in reads.items():
        times: dict[str, list[float]] = {"whole": [], "first": [], "week": []}
        same, rows = True, 0
        for r in range(rounds):
            results = {}
            ways = [("whole", whole), ("first", first)] + ([("week", week)] if week else [])
            for way, read in (ways if r % 2 == 0 else ways[::-1]):
                started = time.perf_counter()
                results[way] = read()
                times[way].append(time.perf_counter() - started)
            a, b = results["whole"], results["first"]
            same = same and (a.equals(b) if hasattr(a, "equals") else a == b)
            rows = len(b) if hasattr(b, "__len__") and not isinstance(b, str) else int(b.split(":")[0])
        spans = {w: f"{statistics.median(t):.3f} ({min(t):.3f}-{max(t):.3f})" for w, t in times.items() if t}
        print(f"| {name} | {spans['whole']} | {spans['first']}"
              + (f" (the week's passages alone: {spans['week']})" if week else "")
              + f" | {rows} | {'yes' if same else 'NO'} |")


if __name__ == "__main__":
    main()
