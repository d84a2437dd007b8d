"""The label-quality check (app.frames.labels.label_quality) on a built database, and the time of the label step.

    python bench/label_quality.py --db PATH [--relabel] [--old-labels FILE] [--examples N] [--changed FILE] [--support]

Reads the generated label of every active discovered frame, the passages of each frame (frame_passages) and
the passages in no frame, and prints the check as JSON with a few example labels and sentences. With
--relabel it also runs the label step again on the database's frames (each distinct passage text once, with
its cosine to the frame centre, the unassigned passages as background, as the frames stage does) and prints
its time (wall and CPU) and the check of the labels it gives; --old-labels FILE runs the label function of another
checkout's labels.py on the same input and checks its labels too (a before/after in one run), and --changed FILE
writes every label the two give differently, with the start of the frame's most representative passage. Both are given
the names other frames show (seeded frames' names, renames), as the frames stage gives them. --support adds how
many of each frame's passages hold its stored label (what the Frame page says under it): the median share, the
frames whose label is weak (``weak_label``: under ``WEAK_SHARE``, nor the words it shares with another frame's name
over it), and those among frames of 100 passages or more.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from app.frames.labels import label_clusters, label_quality, taken_labels, weak_label  # noqa: E402
from app.store import Store  # noqa: E402


def inputs(store: Store):
    frames = store.query("""SELECT frame_id, label, exemplar_sentence FROM frames
                            WHERE status = 'active' AND kind = 'discovered' ORDER BY frame_id""")
    passages = store.query("""SELECT fp.frame_id, fp.text FROM frame_passages fp JOIN frames f USING (frame_id)
                              WHERE f.kind = 'discovered'""")
    background = store.query("""SELECT text FROM passages WHERE passage_id NOT IN
                                (SELECT passage_id FROM frame_passages)""")["text"].tolist()
    by_frame = {int(f): g["text"].tolist() for f, g in passages.groupby("frame_id")}
    shown = store.query("""SELECT f.frame_id, p.text FROM frames f JOIN passages p ON p.passage_id = f.exemplar_passage_id
                           WHERE f.status = 'active' AND f.kind = 'discovered'""")
    exemplars = dict(zip(shown["frame_id"].astype(int), shown["text"]))
    return frames, by_frame, background, exemplars


def stage_input(store: Store):
    """Rows as the frames stage gives them to the label step: one per distinct text, its cluster and score."""
    rows = store.query("""SELECT p.text_hash, any_value(p.text) AS text, max(pf.frame_id) AS frame_id,
                                 max(pf.score) AS score
                          FROM passages p LEFT JOIN (SELECT pf.* FROM passage_frames pf JOIN frames f USING (frame_id)
                                                     WHERE f.kind = 'discovered' AND f.status = 'active') pf
                          USING (passage_id)
                          GROUP BY p.text_hash ORDER BY min(p.passage_id)""")
    ids = sorted(rows["frame_id"].dropna().astype(int).unique())
    index = {f: i for i, f in enumerate(ids)}
    frame = rows["frame_id"].fillna(-1).astype(int)
    labels = np.array([index.get(f, -1) for f in frame])
    return rows["text"].tolist(), labels, rows["score"].fillna(0).astype(float).to_numpy(), ids


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", required=True)
    ap.add_argument("--relabel", action="store_true")
    ap.add_argument("--old-labels", help="a labels.py whose label_clusters is timed on the same input")
    ap.add_argument("--examples", type=int, default=8)
    ap.add_argument("--changed", help="with --relabel and --old-labels: write each changed label (JSON lines) here")
    ap.add_argument("--support", action="store_true",
                    help="also how many of each frame's passages hold its stored label (Store.label_support)")
    args = ap.parse_args()
    store = Store.open_read(args.db)
    frames, by_frame, background, exemplars = inputs(store)
    labels = dict(zip(frames["frame_id"].astype(int), frames["label"]))
    t = time.perf_counter()
    report = label_quality(labels, by_frame, background, exemplars)
    check_s = time.perf_counter() - t
    big = sorted(by_frame, key=lambda f: -len(by_frame[f]))[:args.examples]
    out = {"db": args.db, "stored": {k: v for k, v in report.items() if k != "failing"} | {
        "failing": len(report["failing"]), "check_s": round(check_s, 2)},
        "examples": [{"frame_id": f, "passages": len(by_frame[f]), "label": labels[f],
                      "sentence": frames.set_index("frame_id").loc[f, "exemplar_sentence"]} for f in big]}
    if args.relabel or args.old_labels:
        texts, cluster, scores, ids = stage_input(store)
        # As the frames stage labels: never a seeded frame's name or a user's rename.
        taken = taken_labels(store.frames())
        if args.relabel:
            t, cpu = time.perf_counter(), time.process_time()
            made = label_clusters(texts, cluster, 3, scores=scores, taken=taken)
            out["relabel_s"] = round(time.perf_counter() - t, 2)
            out["relabel_cpu_s"] = round(time.process_time() - cpu, 2)
            new = {ids[c]: made[c].label for c in made}
            q = label_quality(new, by_frame, background, exemplars)
            out["relabelled"] = {k: v for k, v in q.items() if k != "failing"} | {"failing": len(q["failing"])}
            out["relabelled_examples"] = {f: new[f] for f in big}
        if args.old_labels:
            spec = importlib.util.spec_from_file_location("old_labels", args.old_labels)
            old = importlib.util.module_from_spec(spec)
            sys.modules["old_labels"] = old  # dataclasses look their module up
            spec.loader.exec_module(old)
            t, cpu = time.perf_counter(), time.process_time()
            made_old = old.label_clusters(texts, cluster, 3, scores=scores, taken=taken)
            out["old_label_s"] = round(time.perf_counter() - t, 2)
            out["old_label_cpu_s"] = round(time.process_time() - cpu, 2)
            older = {ids[c]: made_old[c].label for c in made_old}
            q = label_quality(older, by_frame, background, exemplars)
            out["old_labels"] = {k: v for k, v in q.items() if k != "failing"} | {"failing": len(q["failing"])}
            out["old_examples"] = {f: older[f] for f in big}
            if args.relabel and args.changed:
                # Every label the two functions give differently, with its frame's size and the start of the
                # passage shown as the most representative, to read by hand.
                with open(args.changed, "w", encoding="utf-8") as fh:
                    for f in sorted(set(new) & set(older), key=lambda f: -len(by_frame.get(f, ()))):
                        if older[f] != new[f]:
                            fh.write(json.dumps({"frame_id": int(f), "passages": len(by_frame.get(f, ())),
                                                 "old": older[f], "new": new[f],
                                                 "exemplar": exemplars.get(f, "")[:240]}, ensure_ascii=False) + "\n")
    if args.support:
        # What the Frame page says under each label: the share of the frame's passages that hold it, and how
        # many frames fall under the share below which the page calls the frame a topic more than a wording.
        t = time.perf_counter()
        support = store.label_support(frames["frame_id"].astype(int).tolist()).dropna(subset=["label_passages"])
        share = support["label_passages"].astype(float) / support["passages"].clip(lower=1)
        weak = pd.Series([weak_label(r.label_passages, r.passages, r.core_passages)
                          for r in support.itertuples()], index=support.index, dtype=bool)
        large = support["passages"] >= 100
        out["support"] = {"frames": len(support), "seconds": round(time.perf_counter() - t, 2),
                          "median_share": round(float(share.median()), 3) if len(share) else None,
                          "weak": int(weak.sum()), "large": int(large.sum()), "large_weak": int((large & weak).sum()),
                          "with_core": int(support["core"].notna().sum())}
    print(json.dumps(out, indent=1, default=str, ensure_ascii=False))


if __name__ == "__main__":
    main()
