"""Does each frame's evidence ledger hold the evidence written for that frame? Measured on the bundled sample.

    python bench/evidence_frames_eval.py [--db PATH] [--json]

Builds the bundled sample with the real packaged model (or reads ``--db``, a sample built before) and
scores the evidence ledgers against the generator's truth (``data/sample/generate.py``
``generate(truth=True)``): every body paragraph is known as a frame's paragraph, an evidence moment, or
filler (background, reaction, the analyst template, a syndication credit). An evidence paragraph is written
for its article's main frame (``_frames[0]``).

* Each discovered frame is mapped to a written frame when that frame's paragraphs and headlines are at least
  half of its passages (as ``bench/sample_frames.py`` counts them); a frame made mostly of one evidence
  moment's paragraphs is an *evidence frame* (it holds that moment); any other frame (background, reactions,
  the analyst template) has no written frame.
* A ledger item of a frame mapped to written frame W is **right** when its passage is an evidence paragraph
  of an article whose main frame is W; of an evidence frame, when its passage is a paragraph of that moment.
  Items of frames with no written frame are all wrong (those frames tell no claim).
* **Recall** of a frame mapped to W: of the evidence paragraphs (with a cue) in the frame's articles whose
  main frame is W, the share that are items of its ledger.
* **Ledger overlap**: Jaccard of the item sets (passage ids) of two frames that stand for different written
  frames (or for none), mean and max over pairs; and the item sets of the frames the issue named.
* **Repeats counted new**: new evidence items (in any ledger) whose passage is a later mention of a moment
  that the same ledger already listed earlier.
* **Moments**: for each evidence moment and each frame mapped to a written frame whose articles carry the
  moment's first reports (lead paragraphs), whether the earliest such paragraph is a NEW item of the frame
  on its date.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import tempfile
from collections import Counter, defaultdict
from itertools import combinations
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from app.pipeline import build_sample as build_sample_db  # noqa: E402
from app.store import Store  # noqa: E402


def generator():
    spec = importlib.util.spec_from_file_location("sample_generate", ROOT / "data" / "sample" / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def passage_truth(store: Store) -> dict[str, tuple[str, str | None, str]]:
    """passage_id -> (kind, label, main frame of its article); titles are ("title", main, main)."""
    gen = generator()
    by_url = {a["url"]: a for a in gen.generate(truth=True)}
    passages = store.query("""SELECT p.passage_id, p.part, p.start_char, a.url FROM passages p
                              JOIN articles a USING (article_id)""")
    out = {}
    for pid, part, start, url in passages.itertuples(index=False):
        article = by_url[url]
        main = article["_frames"][0]
        if part == "title":
            out[pid] = ("title", main, main)
            continue
        # the paragraph the passage starts in
        offset, index = 0, 0
        for index, para in enumerate(article["text"].split("\n\n")):
            if start < offset + len(para):
                break
            offset += len(para) + 2
        kind, label = article["_parts"][index]
        out[pid] = (kind, label, main)
    return out


def frame_mapping(store: Store, truth: dict) -> dict[int, tuple[str, str] | None]:
    """frame_id -> ("frame", written frame) | ("evidence", moment) | None, by majority of its passages: a written
    frame's paragraphs and headlines (a headline tells its article's main frame) are at least half of them, or
    one moment's evidence paragraphs are more than half (as ``bench/sample_frames.py`` counts frames of the
    written frames; a frame of reactions that holds a few of a written frame's paragraphs stands for none)."""
    members = store.query("SELECT frame_id, passage_id FROM frame_passages")
    votes: dict[int, Counter] = defaultdict(Counter)
    for frame_id, pid in members.itertuples(index=False):
        kind, label, _ = truth[pid]
        votes[int(frame_id)][("frame" if kind == "title" else kind, label)] += 1
    out = {}
    for frame_id, counts in votes.items():
        total = sum(counts.values())
        framed = Counter({k: n for k, n in counts.items() if k[0] == "frame"})
        (kind, label), n = counts.most_common(1)[0]
        if framed and framed.most_common(1)[0][1] * 2 >= total:
            out[frame_id] = framed.most_common(1)[0][0]
        elif kind == "evidence" and n * 2 > total:
            out[frame_id] = ("evidence", label)
        else:
            out[frame_id] = None
    return out


def owner(part: tuple[str, str | None, str]) -> str | None:
    """The written frame a passage's evidence belongs to: an evidence paragraph or a title, the article's main
    frame; a frame paragraph, its frame; background, reactions, the analyst template, credits: none."""
    kind, label, main = part
    return main if kind in ("evidence", "title") else label if kind == "frame" else None


def _jaccard(a: set, b: set) -> float:
    return len(a & b) / len(a | b) if a | b else 0.0


def evaluate(store: Store, named: tuple[int, ...] = (3, 20, 12)) -> dict:
    """Every figure of the module docstring, from a built sample."""
    truth = passage_truth(store)
    mapping = frame_mapping(store, truth)
    items = store.query("SELECT frame_id, passage_id, published_at, strength, is_new FROM evidence_items")
    cued = store.query("""SELECT DISTINCT p.passage_id, p.article_id FROM passages p
                          JOIN cues c USING (text_hash)
                          WHERE c.kind = 'material' OR c.subtype IN ('named', 'anonymous', 'confirms', 'denies')""")
    cued_by_article = cued.groupby("article_id")["passage_id"].apply(set).to_dict()
    articles = store.query("SELECT frame_id, article_id FROM frame_articles")
    ledgers = {int(f): set(g["passage_id"]) for f, g in items.groupby("frame_id")}
    frames = sorted(set(mapping) | set(ledgers))

    per_frame, tp, fp, fn = [], 0, 0, 0
    by_written: dict[str, dict[str, set]] = defaultdict(lambda: {"found": set(), "expected": set()})
    stray = 0  # items of frames that tell no written frame
    for frame_id in frames:
        m = mapping.get(frame_id)
        ledger = ledgers.get(frame_id, set())
        if m is None:
            stray += len(ledger)
            continue
        if m[0] == "evidence":
            continue  # scored below, with the moments
        written = m[1]
        expected = {p for a in articles.loc[articles["frame_id"] == frame_id, "article_id"]
                    for p in cued_by_article.get(a, ()) if owner(truth[p]) == written}
        right = {p for p in ledger if owner(truth[p]) == written}
        tp, fp, fn = tp + len(right), fp + len(ledger - right), fn + len(expected - ledger)
        by_written[written]["found"] |= right
        by_written[written]["expected"] |= expected
        evidence_expected = {p for p in expected if truth[p][0] == "evidence"}
        per_frame.append({"frame_id": frame_id, "written": written, "items": len(ledger),
                          "precision": round(len(right) / len(ledger), 3) if ledger else None,
                          "recall": round(len(right & expected) / len(expected), 3) if expected else None,
                          "evidence_recall": round(len(ledger & evidence_expected) / len(evidence_expected), 3)
                          if evidence_expected else None})
    written_recall = {w: round(len(v["found"] & v["expected"]) / len(v["expected"]), 3)
                      for w, v in sorted(by_written.items()) if v["expected"]}

    # Ledgers of frames that stand for different written frames (or for none) should differ.
    pairs = []
    for a, b in combinations(frames, 2):
        ma, mb = mapping.get(a), mapping.get(b)
        if (ma is None or mb is None or ma != mb) and ledgers.get(a) and ledgers.get(b):
            pairs.append(_jaccard(ledgers[a], ledgers[b]))
    named_pairs = {f"{a}-{b}": round(_jaccard(ledgers.get(a, set()), ledgers.get(b, set())), 3)
                   for a, b in combinations(named, 2)}

    # Each evidence moment is a NEW item on its date in the frames it was written for.
    gen = generator()
    moments, hits = [], 0
    items_by = items.set_index(["frame_id", "passage_id"])
    published = dict(store.query("SELECT passage_id, published_at FROM passages JOIN articles USING (article_id)")
                     .itertuples(index=False))
    fresh_text = {m[1]: set(m[2]) for m in gen.EVIDENCE}
    texts = dict(store.query("SELECT passage_id, text FROM passages").itertuples(index=False))
    for frame_id in frames:
        m = mapping.get(frame_id)
        if not m or m[0] != "frame":
            continue
        article_ids = set(articles.loc[articles["frame_id"] == frame_id, "article_id"])
        for day, moment, _, _ in gen.EVIDENCE:
            firsts = sorted((published[p], p) for a in article_ids for p in cued_by_article.get(a, ())
                            if truth[p][0] == "evidence" and truth[p][1] == moment and owner(truth[p]) == m[1]
                            and texts[p] in fresh_text[moment])
            if not firsts:
                continue
            when, first = firsts[0]
            ok = (frame_id, first) in items_by.index and bool(items_by.loc[(frame_id, first), "is_new"])
            hits += ok
            moments.append({"frame_id": frame_id, "written": m[1], "moment": moment, "day": day,
                            "date": str(when)[:10], "new_on_its_date": ok})
    # Later mentions of a moment (its repeat paragraphs) wrongly counted as new evidence, in any frame.
    moment_of = {t: m[1] for m in gen.EVIDENCE[1:] for t in (*m[2], *m[3])}
    repeat_text = {t for m in gen.EVIDENCE[1:] for t in m[3]}
    new_items = items[items["is_new"] & (items["strength"] == "evidence")]
    repeats_new = 0
    told = items.assign(moment=items["passage_id"].map(texts).map(moment_of)).dropna(subset=["moment"])
    first_told = told.groupby(["frame_id", "moment"])["published_at"].min().to_dict()
    for frame_id, pid, when in new_items[["frame_id", "passage_id", "published_at"]].itertuples(index=False):
        text = texts[pid]
        if text in repeat_text and first_told[(frame_id, moment_of[text])] < when:
            repeats_new += 1
    evidence_frames = {f: m[1] for f, m in mapping.items() if m and m[0] == "evidence"}
    evidence_frame_precision = {}
    for f, moment in evidence_frames.items():
        ledger = ledgers.get(f, set())
        if ledger:
            evidence_frame_precision[f] = round(sum(truth[p][1] == moment for p in ledger) / len(ledger), 3)
    return {
        "precision": round(tp / (tp + fp), 3) if tp + fp else None,
        "recall": round(tp / (tp + fn), 3) if tp + fn else None,
        "items": tp + fp, "right": tp, "missed": fn,
        "items_in_frames_of_no_written_frame": stray,
        "recall_by_written_frame": written_recall,
        "jaccard_unrelated_mean": round(float(sum(pairs) / len(pairs)), 3) if pairs else None,
        "jaccard_unrelated_max": round(max(pairs), 3) if pairs else None,
        "jaccard_unrelated_pairs": len(pairs),
        "jaccard_named": named_pairs,
        "moments_new_on_their_date": hits, "moments_checked": len(moments),
        "moments": moments, "per_frame": per_frame,
        "new_evidence_items": len(new_items), "repeat_mentions_counted_new": repeats_new,
        "evidence_frames": evidence_frames, "evidence_frame_precision": evidence_frame_precision,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, help="a sample built before (default: build it now, real model)")
    parser.add_argument("--json", action="store_true", help="every figure as JSON")
    args = parser.parse_args()
    if args.db is None:
        args.db = build_sample_db(Path(tempfile.mkdtemp(prefix="evidence-frames-")) / "sample.duckdb")
    store = Store.open_read(args.db)
    try:
        result = evaluate(store)
    finally:
        store.close()
    if args.json:
        print(json.dumps(result, indent=1, default=str))
        return
    print(f"ledger items of frames that tell a written frame: precision {result['precision']}, "
          f"recall {result['recall']} ({result['right']} right of {result['items']}, {result['missed']} missed)")
    print(f"recall per written frame (its frames together): {result['recall_by_written_frame']}")
    print(f"items in frames that tell no written frame (background, template): "
          f"{result['items_in_frames_of_no_written_frame']}")
    print(f"Jaccard of ledgers of unrelated frames: mean {result['jaccard_unrelated_mean']}, max "
          f"{result['jaccard_unrelated_max']} over {result['jaccard_unrelated_pairs']} pairs; "
          f"named frames {result['jaccard_named']}")
    print(f"evidence moments NEW on their date in the frames written for them: "
          f"{result['moments_new_on_their_date']} of {result['moments_checked']}")
    for m in result["moments"]:
        if not m["new_on_its_date"]:
            print(f"  missed: frame {m['frame_id']} ({m['written']}) {m['moment']} on {m['date']}")
    print(f"new evidence items in all ledgers: {result['new_evidence_items']}, of which later mentions of a "
          f"moment the ledger already had (should be repeats): {result['repeat_mentions_counted_new']}")
    print(f"evidence frames (precision of their items): {result['evidence_frame_precision']}")
    print("| frame | written | items | precision | recall | evidence recall |")
    print("|---|---|---|---|---|---|")
    for row in result["per_frame"]:
        print(f"| {row['frame_id']} | {row['written']} | {row['items']} | {row['precision']} | {row['recall']} | "
              f"{row['evidence_recall']} |")


if __name__ == "__main__":
    main()
