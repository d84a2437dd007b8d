"""One large frame's evidence ledger read from its start, timed: how the ledger's search scales with a frame of
years of statements.

    python bench/ledger_frame.py --db BUILT.duckdb --frame 57 --passages 40000 [--model KEY]

Reads the frame's ledger inputs as the evidence stage does (its cued passages, their places, their vectors,
the scope rule), keeps the first ``--passages`` in publication order, and times ``frame_ledger`` on them.
Prints one JSON line: passages, items, new items, seconds, and a hash of the rows (two versions of the code
that give the same rows print the same hash). Run it with two checkouts of the code, one after the other on
an idle machine (``PYTHONPATH=OTHER_CHECKOUT python bench/ledger_frame.py ...``), to compare them.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
if str(HERE.parent) not in sys.path:
    sys.path.append(str(HERE.parent))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--frame", type=int, required=True)
    parser.add_argument("--passages", type=int, default=40_000, help="the first this many of its passages")
    parser.add_argument("--model", help="the model key (default: the frames' model)")
    args = parser.parse_args()

    import app
    from app.config import load_settings
    from app.evidence.ledger import STRONG, describe, frame_ledger, item_keys
    from app.evidence.scope import frame_scope
    from app.store import Store

    settings = load_settings(db=args.db)
    store = Store.open_read(args.db)
    try:
        model = args.model or store.query_value("SELECT any_value(model) FROM frames WHERE model IS NOT NULL")
        passages, vectors, places = store.evidence_inputs(model, {args.frame: None})
        cues = store.cues_by_text(passages["text_hash"].unique().tolist())
        centre = store.frames().set_index("frame_id").loc[args.frame, "centroid"]
    finally:
        store.close()
    copies = {a: o for a, o in zip(passages["article_id"], passages["original"]) if isinstance(o, str)}
    memo = {h: (item_keys(found), describe(found)) for h, found in cues.items()}
    strong = {h for h, (keys, _) in memo.items() if {k.split(":", 1)[0] for k in keys} & set(STRONG)}
    centroids = {}
    if centre is not None and len(centre) == vectors.shape[1]:
        centroids = {args.frame: np.asarray(centre, dtype=np.float32) / np.linalg.norm(centre)}
    passages["scope"] = frame_scope(passages, places, strong, vectors, centroids, settings.evidence_about_threshold)
    passages = passages[passages["scope"].notna()].head(args.passages).reset_index(drop=True)
    frame_vectors = vectors[passages["vector_row"].to_numpy()]
    started = time.perf_counter()
    rows = frame_ledger(args.frame, passages, frame_vectors, cues, copies, settings.evidence_repeat_threshold, memo)
    seconds = time.perf_counter() - started
    digest = hashlib.sha256(rows[["passage_id", "is_new", "repeat_of", "how"]].astype(str)
                            .to_csv(index=False).encode()).hexdigest()[:16]
    print(json.dumps({"code": str(Path(app.__file__).resolve().parent.parent), "frame": args.frame,
                      "passages": len(passages), "items": len(rows), "new": int(rows["is_new"].sum()),
                      "seconds": round(seconds, 1), "rows_hash": digest}))


if __name__ == "__main__":
    main()
