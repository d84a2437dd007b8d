"""The sample's seeded frames against the articles written in each frame: learned rule vs today's rule.

    python bench/sample_seeded.py [--model default]

Builds the bundled sample twice into a temporary folder: with its seeds file (data/sample/frames.toml, whose
frames carry labelled examples, so they decide by their learned rule) and with the same seeds stripped of
their labelled examples (phrases and paraphrase, the rule a frame without examples keeps). The truth of a
seed is the set of articles data/sample/generate.py wrote with a title or lead sentence of its frame
("cannon fodder": cannon, "blood offering": tribute). Prints a Markdown table for bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import importlib.util
import re
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from app.config import DATA_DIR, SAMPLE_SEEDS  # noqa: E402
from app.pipeline import build_sample  # noqa: E402
from app.store import Store  # noqa: E402

WRITTEN = {"cannon fodder": "cannon", "blood offering": "tribute"}


def truth(store: Store) -> dict[str, set[str]]:
    spec = importlib.util.spec_from_file_location("generate", DATA_DIR / "sample" / "generate.py")
    generate = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generate)
    articles = store.query("SELECT article_id, title, text FROM articles")
    return {seed: {a for a, t, x in zip(articles["article_id"], articles["title"], articles["text"])
                   if t in generate.FRAMES[key]["titles"] or any(lead in x for lead in generate.FRAMES[key]["lead"])}
            for seed, key in WRITTEN.items()}


def score(store: Store, gold: dict[str, set[str]]) -> dict[str, tuple[float, float, float, int]]:
    out = {}
    for seed, want in gold.items():
        got = set(store.query("""SELECT article_id FROM frame_articles JOIN frames USING (frame_id)
                                 WHERE kind = 'seeded' AND label = ?""", [seed])["article_id"])
        tp = len(want & got)
        p, r = tp / max(len(got), 1), tp / max(len(want), 1)
        out[seed] = (p, r, 2 * p * r / max(p + r, 1e-9), len(got))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="default")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        plain = tmp / "plain.toml"
        plain.write_text(re.sub(r"\[\[frame\.example\]\]\n[^\[]*", "", SAMPLE_SEEDS.read_text(encoding="utf-8")),
                         encoding="utf-8")
        rows = {}
        for name, seeds in (("learned from the examples (the sample's seeds file)", SAMPLE_SEEDS),
                            ("today's rule: the same phrases and examples, no labelled examples", plain)):
            t0 = time.perf_counter()
            db = build_sample(tmp / f"{len(rows)}.duckdb", model=args.model, frames_file=seeds)
            store = Store.open_read(db)
            rows[name] = (score(store, truth(store)), time.perf_counter() - t0,
                          store.query("SELECT label, est_precision FROM seeded_frame_rules").set_index("label"))
    print("| rule | seed | articles taken | precision | recall | F1 | precision estimated on the examples |")
    print("|---|---|---|---|---|---|---|")
    for name, (scores, _, rules) in rows.items():
        for seed, (p, r, f1, n) in scores.items():
            est = rules.loc[seed, "est_precision"]
            print(f"| {name} | {seed} | {n} | {p:.3f} | {r:.3f} | {f1:.3f} | {'' if est != est else f'{est:.2f}'} |")


if __name__ == "__main__":
    main()
