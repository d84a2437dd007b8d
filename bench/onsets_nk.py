"""Onsets on the AllSides North Korea slice: for memorable phrases with a known first use, the frame that
best matches the phrase's articles must date its onset within 3 days of the phrase's first literal uses.

    python bench/onsets_nk.py --db BUILT.duckdb [--before MAIN.duckdb]

``--db``: the slice built with this code (``python bench/allsides_nk.py --no-baseline --db PATH``);
``--before``: the same slice built by an earlier version, whose first seen is reported next to it.

Definitions (the same in tests/test_onsets_nk.py):

* a phrase's articles: those whose title or text holds the phrase (any case);
* its first literal use (the reference): the earliest day on which the phrase appears in one outlet and
  again in another outlet within 3 days (an isolated earlier use, such as a page dated a month before the
  speech it quotes, is not a first use that others took up); the very first literal use is printed too;
* the frame that best matches the phrase: the active frame whose articles best overlap the phrase's
  articles (F1 of the two article sets: neither a huge frame holding a few of them nor a tiny one wins);
* error: the frame's first seen minus the reference, in days.

Prints a Markdown table for bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from app.store import Store  # noqa: E402

# Memorable coinages of the 2017-2018 exchanges, each with its first use (the day it was said or tweeted):
CHECKED = {
    "fire and fury": "2017-08-08",          # Trump at Bedminster
    "rocket man": "2017-09-17",             # Trump's tweet ("Rocket Man")
    "nuclear button": "2018-01-02",         # Trump's tweet answering Kim's New Year speech
    "dotard": "2017-09-21",                 # Kim's statement (published 22 Sept. in Pyongyang)
    "totally destroy": "2017-09-19",        # Trump at the UN General Assembly
    "mentally deranged": "2017-09-21",      # Kim's statement
    "locked and loaded": "2017-08-11",      # Trump's tweet
    "major, major conflict": "2017-04-27",  # Trump's interview with Reuters
}
# Phrases reported but not held to the 3 days, with the reason (see bench/RESULTS.md).
REPORTED = {
    "little rocket man": "2017-09-22",      # a variant told inside the "rocket man" frame, which began 5 days earlier
    "bigger & more powerful": "2018-01-02",  # 6 articles; the frame holding most of them is another one
}
WINDOW_DAYS = 3
TOLERANCE_DAYS = 3


def phrase_articles(store: Store, phrase: str) -> pd.DataFrame:
    return store.query(
        """SELECT a.article_id, a.published_at, a.outlet_id FROM articles a
           WHERE strpos(lower(coalesce(a.title, '') || ' ' || coalesce(a.text, '')), ?) > 0
           ORDER BY a.published_at, a.article_id""", [phrase.lower()])


def reference_date(hits: pd.DataFrame) -> pd.Timestamp | None:
    """The earliest day the phrase appears in one outlet and again in another within WINDOW_DAYS."""
    for row in hits.itertuples():
        window = hits[(hits["published_at"] >= row.published_at)
                      & (hits["published_at"] <= row.published_at + pd.Timedelta(days=WINDOW_DAYS))]
        if window["outlet_id"].nunique() >= 2:
            return row.published_at
    return None


def best_frame(store: Store, article_ids: set[str]) -> tuple[int, int, int, float] | None:
    """(frame_id, phrase articles in it, its articles, F1) of the active frame best matching the articles."""
    fa = store.query("SELECT frame_id, article_id FROM frame_articles")
    sizes = fa.groupby("frame_id").size()
    hits = fa[fa["article_id"].isin(article_ids)].groupby("frame_id").size()
    if hits.empty:
        return None
    f1 = (2 * hits / (sizes[hits.index] + len(article_ids))).sort_values(ascending=False, kind="stable")
    frame_id = int(f1.index[0])
    return frame_id, int(hits[frame_id]), int(sizes[frame_id]), float(f1.iloc[0])


def check(store: Store, phrase: str) -> dict:
    """The phrase's reference date, its best frame and that frame's first seen and onset."""
    hits = phrase_articles(store, phrase)
    ref = reference_date(hits)
    best = best_frame(store, set(hits["article_id"]))
    out = {"phrase": phrase, "articles": len(hits), "outlets": hits["outlet_id"].nunique(),
           "first_literal": hits["published_at"].iloc[0] if len(hits) else None, "reference": ref,
           "frame_id": None, "first_seen": None, "error_days": None}
    if best is None or ref is None:
        return out
    frame_id, inside, size, f1 = best
    row = store.query("SELECT first_seen, first_outlet FROM frame_summary WHERE frame_id = ?", [frame_id])
    first_seen = row["first_seen"].iloc[0]
    onset = store.query("SELECT onset_at, basis, precursors FROM frame_onsets WHERE frame_id = ?", [frame_id]) \
        if "frame_onsets" in set(store.query("SELECT table_name FROM information_schema.tables")["table_name"]) \
        else pd.DataFrame()
    out.update(frame_id=frame_id, in_frame=inside, frame_articles=size, f1=round(f1, 2), first_seen=first_seen,
               first_outlet=row["first_outlet"].iloc[0],
               error_days=None if pd.isna(first_seen) else int((first_seen - ref).days),
               basis=onset["basis"].iloc[0] if len(onset) else "",
               precursors=int(onset["precursors"].iloc[0]) if len(onset) else None)
    return out


def _day(x) -> str:
    return "" if x is None or pd.isna(x) else f"{pd.Timestamp(x):%Y-%m-%d}"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", type=Path, required=True)
    ap.add_argument("--before", type=Path, default=None)
    args = ap.parse_args()
    started = time.perf_counter()
    after = Store.open_read(args.db)
    before = Store.open_read(args.before) if args.before else None
    print("| phrase | said | articles (outlets) | first literal use | reference | frame (phrase articles / articles, F1) "
          "| first seen before | error before | first seen after (basis) | error after | held |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    held = 0
    for phrase, said in {**CHECKED, **REPORTED}.items():
        a = check(after, phrase)
        b = check(before, phrase) if before else {}
        ok = a["error_days"] is not None and abs(a["error_days"]) <= TOLERANCE_DAYS
        held += ok and phrase in CHECKED
        print(f"| {phrase} | {said} | {a['articles']} ({a['outlets']}) | {_day(a['first_literal'])} | "
              f"{_day(a['reference'])} | #{a['frame_id']} ({a.get('in_frame')}/{a.get('frame_articles')}, "
              f"{a.get('f1')}) | {_day(b.get('first_seen'))} | {b.get('error_days', '')} | "
              f"{_day(a['first_seen'])} ({a.get('basis')}, {a.get('precursors')} earlier) | {a['error_days']} | "
              f"{'yes' if ok else 'no'}{'' if phrase in CHECKED else ' (reported)'} |")
    flags = after.query("SELECT reason, count(*) AS n FROM date_flags GROUP BY ALL ORDER BY reason")
    sources = after.date_source_counts()
    print(f"\nheld within {TOLERANCE_DAYS} days: {held} of {len(CHECKED)} checked phrases")
    print("date flags: " + ", ".join(f"{r.reason}: {r.n}" for r in flags.itertuples()))
    print("date sources: " + ", ".join(f"{k}: {v}" for k, v in sorted(sources.items())))
    print(f"({time.perf_counter() - started:.1f} s)")


if __name__ == "__main__":
    main()
