"""Calibrate the default paraphrase threshold of seeded frames on the bundled sample.

    python bench/seed_threshold.py

The sample's generator knows which sentences tell which frame. For each frame, two of its lead
sentences are the seed examples; a passage is a true match when it contains another lead sentence of
that frame. Prints precision, recall and F1 (micro-averaged over the five frames) per threshold.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main():
    from embeddings import load_encoder

    spec = importlib.util.spec_from_file_location("generate", ROOT / "data" / "sample" / "generate.py")
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    rows = [json.loads(line) for line in (ROOT / "data" / "sample" / "articles.jsonl").read_text().splitlines()]
    passages = sorted({p for r in rows for p in r["text"].split("\n\n")})
    enc = load_encoder("default")
    vectors = enc.encode(passages)
    thresholds = np.round(np.arange(0.30, 0.76, 0.05), 2)
    tp = np.zeros(len(thresholds)); fp = np.zeros(len(thresholds)); fn = np.zeros(len(thresholds))
    for name, spec_ in gen.FRAMES.items():
        seeds, others = spec_["lead"][:2], spec_["lead"][2:]
        truth = np.array([any(o in p for o in others) for p in passages])
        keep = np.array([not any(s in p for s in seeds) for p in passages])  # the seeds' own passages don't count
        sims = (vectors @ enc.encode(seeds).T).max(axis=1)
        for i, t in enumerate(thresholds):
            hit = sims >= t
            tp[i] += (hit & truth & keep).sum(); fp[i] += (hit & ~truth & keep).sum(); fn[i] += (~hit & truth & keep).sum()
    print(f"| threshold | precision | recall | F1 |  (model {enc.name}, {len(passages)} distinct sample passages)")
    print("|---|---|---|---|")
    for i, t in enumerate(thresholds):
        p = tp[i] / max(tp[i] + fp[i], 1); r = tp[i] / max(tp[i] + fn[i], 1)
        print(f"| {t:.2f} | {p:.2f} | {r:.2f} | {2 * p * r / max(p + r, 1e-9):.2f} |")


if __name__ == "__main__":
    main()
