"""Hold out part of the SemEval-2025 Task 10 training set as a dev directory in the task's own layout.

    python bench/semeval_split.py [--lang EN] [--share 0.25] [--seed 17] [--out build/semeval-dev]

Writes OUT/LANG/subtask-2-annotations.txt and OUT/LANG/subtask-2-documents/ (copies of the held-out
documents). The corpus text is copyrighted: write it under build/ or /tmp, never into the repository.
`python bench/semeval_eval.py --dev OUT` then leaves these documents out of everything it fits.
The split is stratified by each document's first gold narrative ("Other" included), so the held-out part
has the training set's share of "Other" documents; the same seed gives the same split.
"""

from __future__ import annotations

import argparse
import shutil
from collections import defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent.parent / "shared" / "corpora" / "semeval2025-t10"


def split(lines: list[str], share: float, seed: int) -> list[str]:
    """The annotation lines held out: ``share`` of each stratum (first gold narrative), at least one when the
    stratum has three or more documents."""
    strata = defaultdict(list)
    for line in sorted(lines):
        strata[sorted(n.strip() for n in line.split("\t")[1].split(";"))[0]].append(line)
    rng = np.random.default_rng(seed)
    held = []
    for key in sorted(strata):
        members = strata[key]
        n = int(round(share * len(members)))
        if n == 0 and len(members) >= 3:
            n = 1
        held += [members[i] for i in sorted(rng.permutation(len(members))[:n])]
    return held


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--lang", default="EN")
    ap.add_argument("--share", type=float, default=0.25)
    ap.add_argument("--seed", type=int, default=17)
    ap.add_argument("--out", type=Path, default=Path("build/semeval-dev"))
    args = ap.parse_args()
    src = ROOT / "train" / args.lang
    lines = [line for line in (src / "subtask-2-annotations.txt").read_text(encoding="utf-8").splitlines() if line]
    held = split(lines, args.share, args.seed)
    out = args.out / args.lang
    if out.exists():
        shutil.rmtree(out)
    (out / "subtask-2-documents").mkdir(parents=True)
    (out / "subtask-2-annotations.txt").write_text("".join(line + "\n" for line in held), encoding="utf-8")
    for line in held:
        doc = line.split("\t")[0]
        shutil.copyfile(src / "raw-documents" / doc, out / "subtask-2-documents" / doc)
    print(f"held out {len(held)} of {len(lines)} {args.lang} documents (seed {args.seed}) in {out}")


if __name__ == "__main__":
    main()
