"""Precision and recall of the evidence cues on labelled passages.

    python bench/evidence_eval.py [--set dev|test|all] [--errors]

The sets in bench/evidence/ are passages written for the purpose (no corpus
text), each labelled with the cues it carries as ``kind:subtype``; a passage
with no attribution is labelled ``attribution:none``. The rules were tuned on
``dev`` and then ``test``; ``holdout`` was written after the rules were final
and never used to change them (bench/evidence/README.md). Scoring is per
passage: a cue type counts as found when the rules report at least one cue of
that type in the passage.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from app.evidence.cues import CueFinder  # noqa: E402


def predicted(finder: CueFinder, text: str) -> set[str]:
    cues = finder.find(text)
    out = {f"{c.kind}:{c.subtype}" for c in cues}
    if not any(c.kind == "attribution" for c in cues):
        out.add("attribution:none")
    return out


def score(rows: list[dict], finder: CueFinder) -> tuple[dict, list]:
    tp, fp, fn = Counter(), Counter(), Counter()
    errors = []
    for row in rows:
        gold, pred = set(row["cues"]), predicted(finder, row["text"])
        for label in gold & pred:
            tp[label] += 1
        for label in pred - gold:
            fp[label] += 1
        for label in gold - pred:
            fn[label] += 1
        if gold != pred:
            errors.append((row["text"], sorted(gold - pred), sorted(pred - gold)))
    labels = sorted(set(tp) | set(fp) | set(fn))
    table = {}
    for label in labels:
        p = tp[label] / (tp[label] + fp[label]) if tp[label] + fp[label] else float("nan")
        r = tp[label] / (tp[label] + fn[label]) if tp[label] + fn[label] else float("nan")
        table[label] = (tp[label] + fn[label], p, r)
    return table, errors


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--set", default="all", choices=["dev", "test", "holdout", "all"])
    ap.add_argument("--errors", action="store_true", help="print every passage the rules got wrong")
    args = ap.parse_args()
    names = ["dev", "test", "holdout"] if args.set == "all" else [args.set]
    finder = CueFinder()
    for name in names:
        path = HERE / "evidence" / f"{name}.jsonl"
        if not path.exists():
            continue
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        table, errors = score(rows, finder)
        exact = 1 - len(errors) / len(rows)
        print(f"\n### {name}: {len(rows)} passages, all cues right in {exact:.0%}\n")
        print("| cue | passages with it | precision | recall |\n|---|---|---|---|")
        for label, (support, p, r) in table.items():
            print(f"| {label} | {support} | {p:.2f} | {r:.2f} |")
        if args.errors:
            for text, missed, extra in errors:
                print(f"- missed {missed} extra {extra}: {text}")


if __name__ == "__main__":
    main()
