"""Dashboard speed: every page through Streamlit's AppTest on a built database, cold and warm.

    python bench/dashboard.py --db PATH [--repeat 3] [--query "nuclear test"]

Each page script is run on its own, once with empty data caches (cold) and then ``--repeat`` times
with warm caches (the times include AppTest's own overhead); the busiest frame is the one shown on the
Frame page. Also times the main store queries on their own.
Prints a Markdown block for bench/RESULTS.md, and each figure on stderr as it is measured.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PAGES = ["overview", "frame_detail", "compare", "outlets", "search", "edit_frames", "corpus"]  # app/ui/pages/<page>.py


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", type=Path, required=True)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--query", default="nuclear test", help="the words of the Search page's keyword search")
    args = ap.parse_args()
    os.environ["NARRATIVES_DB"] = str(args.db.resolve())
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from app.spread import frame_adoption, outlet_roles
    from app.store import Filters, Store
    from app.ui import keys

    store = Store.open_read(args.db)
    counts = store.counts()
    summary = store.frame_summary()
    top = int(summary.iloc[0]["frame_id"])
    outlet = str(summary.iloc[0]["first_outlet"])
    queries = {
        "frame_summary (Overview)": lambda: store.frame_summary(Filters()),
        "frame_timeline (Frame)": lambda: store.frame_timeline(top),
        "adoption (Frame)": lambda: frame_adoption(store.outlet_firsts([top])),
        "frame_ledger (Frame)": lambda: store.frame_ledger(top),
        "frame_passages (Frame)": lambda: store.frame_passages(top),
        "outlet_roles (Outlets)": lambda: outlet_roles(store, outlet, 48.0),
        "keyword_passages (Search)": lambda: store.keyword_passages(args.query),
    }
    q_times = {}
    for name, fn in queries.items():
        runs = []
        for _ in range(args.repeat):
            t = time.perf_counter()
            fn()
            runs.append(time.perf_counter() - t)
        q_times[name] = statistics.median(runs)
        print(f"{name}: {q_times[name] * 1000:.0f} ms", file=sys.stderr, flush=True)
    store.close()

    params = {"frame_detail": {keys.FRAME: str(top)}, "outlets": {keys.OUTLET: outlet},
              "search": {keys.SEARCH: args.query, keys.SEARCH_MODE: "keyword"}}
    page_times = {}
    for page in PAGES:
        st.cache_data.clear()  # cold: nothing cached but the store connection and the model
        timings = []
        for _ in range(args.repeat + 1):
            at = AppTest.from_file(str(ROOT / "app" / "ui" / "pages" / f"{page}.py"), default_timeout=600)
            for k, v in params.get(page, {}).items():
                at.query_params[k] = v
            t = time.perf_counter()
            at.run()
            timings.append(time.perf_counter() - t)
            if at.exception:
                raise SystemExit(f"{page}: {at.exception}")
        page_times[page] = (timings[0], statistics.median(timings[1:]))
        print(f"{page}: cold {timings[0]:.2f} s, warm {page_times[page][1]:.2f} s", file=sys.stderr, flush=True)

    print(f"## {dt.date.today()}, dashboard speed on {counts['articles']:,} articles\n")
    print(f"- machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"- command: `python bench/dashboard.py --db {args.db.name} --repeat {args.repeat} --query '{args.query}'`; "
          f"{counts['articles']:,} articles, {counts['passages']:,} passages, {counts['frames']:,} frames; "
          f"the Frame page shows the busiest frame (#{top})\n")
    print("| page | first run, cold caches (s) | warm caches, median (s) |\n|---|---|---|")
    for page, (cold, warm) in page_times.items():
        print(f"| {page} | {cold:.2f} | {warm:.2f} |")
    print("\n| query | median (ms) |\n|---|---|")
    for name, secs in q_times.items():
        print(f"| {name} | {secs * 1000:.0f} |")


if __name__ == "__main__":
    main()
