"""Precision and recall of the stance rules (app/frames/stance.py) on labelled passages, and the stance of
the sample's denial articles in the other written frames.

    python bench/stance_eval.py [--set dev|holdout|deep|wording|speech|all] [--errors] [--sample [DB]]

The sets in bench/stance/ are passages written for the purpose (fictional text, no corpus), each a frame
passage with its context (the article's title, the passage before it, the passage after it) and the
stance an editor would give the article toward the frame (bench/stance/README.md). Each item is run as
the build runs it: the evidence cues of every passage (app/evidence/cues.py), then
:func:`app.frames.stance.article_stance`.

``--sample``: build the bundled sample with the real packaged model (or read the given, already built,
database) and report, for the articles written for the "denial" frame alone (the generator's
``_frames == ["denial"]``), the share that come out ``rebuts`` in each discovered frame that stands for
another written frame (the written frame whose own paragraphs and titles are the most of the frame's
passages, at least half of them).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from app.evidence.cues import CueFinder  # noqa: E402
from app.frames.stance import STANCES, Passage, Wording, article_stance  # noqa: E402
from app.pipeline import build_sample as build_sample_db  # noqa: E402


def item_passages(item: dict, finder: CueFinder) -> list[Passage]:
    """The passages of a labelled item, in article order, with their cues: the title is seq 0, the passage
    before (when given) the first paragraph."""
    def passage(seq: int, text: str, in_frame: bool) -> Passage:
        return Passage(f"item:{seq}", seq, text, in_frame, tuple(finder.find(text)))

    if item.get("in_title"):
        out = [passage(0, item["passage"], True)]
        if item.get("after"):
            out.append(passage(1, item["after"], False))
        return out
    # The frame passage follows the title, or the passage before it; ``seq`` places it deeper in the article,
    # with ``opening`` (when given) as the article's first paragraph.
    seq = item.get("seq") or (2 if item.get("before") else 1)
    out = [passage(seq, item["passage"], True)]
    if item.get("title"):
        out.append(passage(0, item["title"], False))
    if item.get("before"):
        out.append(passage(seq - 1, item["before"], False))
    if item.get("opening") and seq > 2:
        out.append(passage(1, item["opening"], False))
    if item.get("after"):
        out.append(passage(seq + 1, item["after"], False))
    return out


def predict(item: dict, finder: CueFinder):
    """The item's stance; an item with ``phrases`` (its frame's label, then its other phrases) gives the rules
    the frame's wording, as the stance stage does."""
    phrases = item.get("phrases")
    wording = Wording.of_frame(phrases[0], phrases[1:]) if phrases else None
    return article_stance(item_passages(item, finder), wording)


def score(rows: list[dict], finder: CueFinder) -> dict:
    """Confusion matrix, per-class precision/recall/F1, macro F1, accuracy, and the errors."""
    confusion = Counter()
    errors = []
    for row in rows:
        got = predict(row, finder)
        confusion[(row["stance"], got.stance)] += 1
        if got.stance != row["stance"]:
            errors.append((row, got))
    per_class = {}
    for c in STANCES:
        tp = confusion[(c, c)]
        predicted = sum(confusion[(g, c)] for g in STANCES)
        actual = sum(confusion[(c, p)] for p in STANCES)
        p = tp / predicted if predicted else 0.0
        r = tp / actual if actual else 0.0
        per_class[c] = {"support": actual, "precision": p, "recall": r,
                        "f1": 2 * p * r / (p + r) if p + r else 0.0}
    return {"n": len(rows), "confusion": confusion, "per_class": per_class,
            "macro_f1": sum(v["f1"] for v in per_class.values()) / len(STANCES),
            "accuracy": sum(confusion[(c, c)] for c in STANCES) / len(rows), "errors": errors}


def load(name: str) -> list[dict]:
    path = HERE / "stance" / f"{name}.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def print_score(name: str, result: dict, errors: bool) -> None:
    print(f"\n### {name}: {result['n']} items, accuracy {result['accuracy']:.2f}, macro F1 {result['macro_f1']:.3f}\n")
    print("| stance | items | precision | recall | F1 |\n|---|---|---|---|---|")
    for c, v in result["per_class"].items():
        print(f"| {c} | {v['support']} | {v['precision']:.2f} | {v['recall']:.2f} | {v['f1']:.2f} |")
    print("\nconfusion (rows: expected, columns: predicted)\n")
    print("| expected \\ predicted | " + " | ".join(STANCES) + " |\n|---|" + "---|" * len(STANCES))
    for g in STANCES:
        print(f"| {g} | " + " | ".join(str(result["confusion"][(g, p)]) for p in STANCES) + " |")
    if errors:
        for row, got in result["errors"]:
            print(f"- expected {row['stance']}, got {got.stance} ({got.rule}: {got.cue_text!r}) [{row['case']}]: "
                  f"{row['passage']}")


# -- the sample -----------------------------------------------------------------------------------------
def written_frame_of_passages(truth: list[dict]) -> dict[tuple[str, int], str | None]:
    """(url, seq) -> the written frame a passage was written for: the title tells the main frame, a
    ``frame`` paragraph its frame; anything else None. Body paragraph i is passage i + 1 (the sample's
    paragraphs are never joined or cut)."""
    out = {}
    for a in truth:
        out[(a["url"], 0)] = a["_frames"][0]
        for i, (kind, label) in enumerate(a["_parts"]):
            out[(a["url"], i + 1)] = label if kind == "frame" else None
    return out


def sample_figure(db: Path) -> dict:
    from app.store import Store
    from data.sample.generate import generate

    truth = generate(truth=True)
    denial_only = {a["url"] for a in truth if a["_frames"] == ["denial"]}
    written = written_frame_of_passages(truth)
    store = Store.open_read(db)
    try:
        passages = store.query("""SELECT fp.frame_id, a.url, p.seq FROM frame_passages fp
                                  JOIN passages p USING (passage_id) JOIN articles a ON a.article_id = p.article_id""")
        stances = store.query("""SELECT fa.frame_id, fa.url, fa.outlet, fa.stance, s.rule, s.cue_text
                                 FROM frame_articles fa LEFT JOIN article_stance s USING (frame_id, article_id)""")
        labels = dict(store.query("SELECT frame_id, label FROM frame_summary").itertuples(index=False))
    finally:
        store.close()
    passages["written"] = [written.get((u, int(s))) for u, s in zip(passages["url"], passages["seq"])]
    frame_of = {}
    for frame_id, group in passages.groupby("frame_id"):
        counts = group["written"].value_counts()
        if len(counts) and counts.iloc[0] >= 0.5 * len(group):
            frame_of[int(frame_id)] = counts.index[0]
    stances["written"] = stances["frame_id"].map(frame_of)
    other = stances[stances["written"].notna() & (stances["written"] != "denial") & stances["url"].isin(denial_only)]
    carriers = stances[stances["written"].notna() & (stances["written"] != "denial")
                       & ~stances["url"].isin(denial_only)]
    own = stances[(stances["written"] == "denial")]
    return {"frames": {f: (w, labels.get(f)) for f, w in frame_of.items()},
            "denial_in_other": other, "rebuts": int((other["stance"] == "rebuts").sum()), "total": len(other),
            "carriers_rebuts": int((carriers["stance"] == "rebuts").sum()), "carriers": len(carriers),
            "denial_frame_rebuts": int((own["stance"] == "rebuts").sum()), "denial_frame": len(own)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--set", default="all", choices=["dev", "holdout", "deep", "wording", "speech", "all"])
    ap.add_argument("--errors", action="store_true", help="print every item the rules got wrong")
    ap.add_argument("--sample", nargs="?", const="", default=None,
                    help="also the sample's denial articles (build it with the real model, or read DB)")
    args = ap.parse_args()
    finder = CueFinder()
    for name in (["dev", "holdout", "deep", "wording", "speech"] if args.set == "all" else [args.set]):
        if (HERE / "stance" / f"{name}.jsonl").exists():
            print_score(name, score(load(name), finder), args.errors)
    if args.sample is not None:
        with tempfile.TemporaryDirectory() as tmp:
            db = Path(args.sample) if args.sample else build_sample_db(Path(tmp) / "sample.duckdb")
            fig = sample_figure(db)
        print("\n### sample: articles written for the denial frame alone, in other written frames' frames\n")
        for frame_id, (w, label) in sorted(fig["frames"].items()):
            print(f"- frame {frame_id} = written '{w}': {label}")
        print(f"\ndenial articles there that come out `rebuts`: {fig['rebuts']} of {fig['total']}")
        print(f"the frames' other articles that come out `rebuts`: {fig['carriers_rebuts']} of {fig['carriers']}")
        print(f"articles of the denial frame itself that come out `rebuts`: "
              f"{fig['denial_frame_rebuts']} of {fig['denial_frame']}")
        if args.errors:
            missed = fig["denial_in_other"][fig["denial_in_other"]["stance"] != "rebuts"]
            print(missed.to_string())


if __name__ == "__main__":
    main()
