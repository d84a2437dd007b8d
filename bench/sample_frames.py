"""Discovered frames of a built sample against the frames the sample was written with.

    python bench/sample_frames.py [--db FILE]     (default: build the sample with the default model)

The generator's truth (``data/sample/generate.py``, ``generate(truth=True)``) says what each body paragraph
was written as. At passage level:

* a title is written as its article's main frame; a body paragraph written as a frame is that frame;
* every other passage (evidence moments, background, reactions, the analyst template, the syndication
  credit) is "no frame" and is left out of ARI and purity (it is counted separately: how many of them a
  frame holds, and how many frames are made mostly of them).

Scores over the passages written as a frame (copies count once per stored passage):

* ARI: adjusted Rand index between written frames and discovered frames; an unassigned passage is a
  cluster of its own (so leaving a frame's passages out costs as much as scattering them);
* purity: over the passages a discovered frame holds, the share that belong to the frame's majority
  written frame;
* coverage: the share of those passages in any discovered frame;
* fragments: per written frame, the discovered frames holding at least 5% of its passages;
* frames per article: discovered frames per article (the sample's articles tell 1.25 written frames each).

Prints a Markdown block for bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from app.store import Store  # noqa: E402

NO_FRAME = ""


def generator():
    spec = importlib.util.spec_from_file_location("sample_generate", ROOT / "data" / "sample" / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def passage_truth(store: Store) -> pd.DataFrame:
    """Every passage of the sample with what it was written as: ``truth`` (a written frame, or NO_FRAME)
    and ``kind`` (title, frame, evidence, background, reaction, template, credit)."""
    truth = {a["url"]: a for a in generator().generate(truth=True)}
    passages = store.query(
        """SELECT p.passage_id, p.article_id, p.part, p.start_char, a.url, a.text
           FROM passages p JOIN articles a USING (article_id) ORDER BY p.passage_id""")
    rows = []
    for r in passages.itertuples(index=False):
        written = truth[r.url]
        if r.part == "title":
            rows.append((r.passage_id, r.article_id, written["_frames"][0], "title"))
            continue
        paragraph = r.text[: r.start_char].count("\n\n")
        kind, label = written["_parts"][paragraph]
        rows.append((r.passage_id, r.article_id, label if kind == "frame" else NO_FRAME, kind))
    return pd.DataFrame(rows, columns=["passage_id", "article_id", "truth", "kind"])


def adjusted_rand(a: np.ndarray, b: np.ndarray) -> float:
    """Adjusted Rand index of two labellings (Hubert and Arabie)."""
    _, ai = np.unique(a, return_inverse=True)
    _, bi = np.unique(b, return_inverse=True)
    table = np.zeros((ai.max() + 1, bi.max() + 1), dtype=np.int64)
    np.add.at(table, (ai, bi), 1)

    def pairs(x):
        return (x * (x - 1) / 2).sum()

    index, rows, cols, total = pairs(table), pairs(table.sum(1)), pairs(table.sum(0)), len(a) * (len(a) - 1) / 2
    expected = rows * cols / total
    top = (rows + cols) / 2
    return 1.0 if top == expected else float((index - expected) / (top - expected))


def frame_scores(store: Store) -> dict:
    """The figures of the module docstring, for the discovered frames now active in ``store``."""
    truth = passage_truth(store)
    assigned = store.query(
        """SELECT pf.passage_id, pf.frame_id FROM resolved_passage_frames pf JOIN frames f USING (frame_id)
           WHERE f.kind = 'discovered' AND f.status = 'active'""")
    df = truth.merge(assigned, on="passage_id", how="left")
    written = df[df["truth"] != NO_FRAME]
    on = written["frame_id"].notna()
    singles = -np.arange(1, len(written) + 1)  # an unassigned passage is its own cluster
    predicted = np.where(on, written["frame_id"].fillna(0).astype(int), singles)
    held = written[on]
    purity = (sum(Counter(g).most_common(1)[0][1] for _, g in held.groupby("frame_id")["truth"]) / len(held)
              if len(held) else 0.0)
    fragments = {}
    for name, g in written.groupby("truth"):
        shares = g["frame_id"].value_counts() / len(g)
        fragments[name] = int((shares >= 0.05).sum())
    in_frames = df[df["frame_id"].notna()]
    majority = in_frames.groupby("frame_id")["truth"].agg(lambda s: Counter(s).most_common(1)[0][0])
    articles = store.query_value("SELECT count(*) FROM articles")
    article_frames = store.query_value(
        """SELECT count(*) FROM (SELECT DISTINCT af.article_id, af.frame_id FROM resolved_article_frames af
           JOIN frames f USING (frame_id) WHERE f.kind = 'discovered' AND f.status = 'active')""")
    by_kind = df[df["frame_id"].notna()].groupby("kind").size().to_dict()
    return {
        "frames": int(majority.size),
        "frames_of_written": int((majority != NO_FRAME).sum()),
        "frames_of_no_frame": int((majority == NO_FRAME).sum()),
        "ARI": round(adjusted_rand(written["truth"].to_numpy(), predicted), 3),
        "purity": round(float(purity), 3),
        "coverage": round(float(on.mean()), 3),
        "fragments": fragments,
        "frames_per_article": round(article_frames / articles, 2),
        "no_frame_passages_in_frames": int(df[(df["truth"] == NO_FRAME) & df["frame_id"].notna()].shape[0]),
        "template_passages_in_frames": int(by_kind.get("template", 0)),
        "stories": int(store.query_value("SELECT count(*) FROM story_summary")) if _has_stories(store) else None,
    }


def _has_stories(store: Store) -> bool:
    return bool(store.query_value(
        "SELECT count(*) FROM duckdb_views() WHERE view_name = 'story_summary'"))


def build_sample(db: Path, **settings) -> float:
    """Build the bundled sample into ``db``; returns seconds."""
    from app.pipeline import build_sample as build

    t0 = time.perf_counter()
    build(db, **settings)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", type=Path, help="a built sample (default: build one with the default model)")
    args = ap.parse_args()
    db = args.db
    if db is None:
        db = Path(tempfile.mkdtemp()) / "sample.duckdb"
        print(f"built in {build_sample(db):.1f} s", file=sys.stderr)
    store = Store.open_read(db)
    try:
        scores = frame_scores(store)
        counts = store.last_run("frames")["counts"]
    finally:
        store.close()
    print(json.dumps(scores, indent=1))
    print(json.dumps({k: counts.get(k) for k in ("clusters", "narrow", "boilerplate", "boilerplate_passages",
                                                  "templates", "template_passages", "merged", "frames",
                                                  "stories")}))


if __name__ == "__main__":
    main()
