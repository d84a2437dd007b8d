"""Attribution matching in lineage (app.lineage.Attributions.find): the matcher of this checkout against
another checkout's, on the texts of a built database, with every result compared.

    python bench/attributions.py --db PATH --old OLD/app/lineage.py [--articles N] [--seed S]

Reads the outlet names and N articles' texts (a random sample, seeded) from the database, then runs each
matcher's ``find`` over every text in turn (old, new, old, new: the best of two runs each) and prints the
seconds, the attributions found and whether every text's result is the same.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from app.lineage import Attributions  # noqa: E402
from app.store import Store  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", required=True)
    ap.add_argument("--old", required=True, help="another checkout's app/lineage.py")
    ap.add_argument("--articles", type=int, default=6000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    store = Store.open_read(args.db)
    outlets = sorted(store.outlet_names())
    texts = store.query(f"""SELECT text FROM articles ORDER BY hash(article_id || '{args.seed}')
                            LIMIT {int(args.articles)}""")["text"].tolist()
    store.close()
    spec = importlib.util.spec_from_file_location("old_lineage", args.old)
    old = importlib.util.module_from_spec(spec)
    sys.modules["old_lineage"] = old
    spec.loader.exec_module(old)
    matchers = {"old": old.Attributions(outlets), "new": Attributions(outlets)}
    seconds = {k: [] for k in matchers}
    results = {}
    for _ in range(2):
        for name, m in matchers.items():
            t = time.perf_counter()
            results[name] = [m.find(x) for x in texts]
            seconds[name].append(time.perf_counter() - t)
    print(json.dumps({"outlets": len(outlets), "texts": len(texts),
                      "chars": sum(len(x or "") for x in texts),
                      "seconds": {k: round(min(v), 2) for k, v in seconds.items()},
                      "attributions": {k: sum(map(len, v)) for k, v in results.items()},
                      "texts_with_one": {k: sum(1 for r in v if r) for k, v in results.items()},
                      "same": results["old"] == results["new"]}, indent=1))


if __name__ == "__main__":
    main()
