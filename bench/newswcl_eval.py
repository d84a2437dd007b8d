"""Do articles about the same event land in the same frames? NewsWCL50: 10 events x 5 outlets.

    python bench/newswcl_eval.py [--no-bertopic]

For our discovered frames (the build's discovery, ``app.frames.discover``, default settings, with an
ablation of its rules) and for BERTopic (default settings with the local copy of its default model; and
fed our document vectors, with default settings and with min_topic_size=2):

* article level: each article's main frame (the one holding most of its passages) against its event:
  NMI, ARI, purity;
* pairs: two articles "share a frame" when any passage of one is in the same frame as a passage of the
  other (for BERTopic: the same topic); precision and recall of that as a same-event signal over all
  1,225 article pairs.

Prints a Markdown block for bench/RESULTS.md. BERTopic is a benchmark-only dependency.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import sys
import time
from collections import Counter
from itertools import combinations
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))
from semeval_eval import cluster_scores  # noqa: E402

from app.config import load_settings  # noqa: E402
from app.frames import discover, threshold_clustering  # noqa: E402
from app.frames.discovery import sentence_keys  # noqa: E402
from app.frames.templates import find_templates  # noqa: E402
from app.segment import segment  # noqa: E402
from embeddings import load_encoder  # noqa: E402

ROOT = HERE.parent.parent / "shared" / "corpora" / "newswcl50" / "1-raw-articles"


def load() -> tuple[list[str], list[str], list[str]]:
    ids, events, texts = [], [], []  # file names are <event>_<outlet>.txt
    for path in sorted(ROOT.glob("event_*/*.txt*")):
        event = path.parent.name
        lines = [line.strip() for line in path.read_text(encoding="utf-8", errors="replace").splitlines() if line.strip()]
        ids.append(path.name)
        events.append(event)
        texts.append("\n\n".join(lines))
    return ids, events, texts


def pair_scores(groups: list[set], events: list[str]) -> dict:
    tp = fp = fn = 0
    for i, j in combinations(range(len(events)), 2):
        shared = bool(groups[i] & groups[j])
        same = events[i] == events[j]
        tp += shared and same
        fp += shared and not same
        fn += same and not shared
    return {"precision": tp / max(1, tp + fp), "recall": tp / max(1, tp + fn)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--no-bertopic", action="store_true")
    args = ap.parse_args()
    s = load_settings()
    ids, events, texts = load()
    encoder = load_encoder(s.model, "cpu", s.max_seq_length, s.batch_size, s.backend)
    passages, owner, parts = [], [], []
    for i, text in enumerate(texts):
        title, _, body = text.partition("\n\n")
        for p in segment(title, body, s.min_passage_chars, s.max_passage_chars):
            passages.append(p.text)
            owner.append(i)
            parts.append(p.part)
    # A headline's lead is the passage after it (a headline is always an article's first passage).
    title_leads = np.array([r + 1 if part == "title" and r + 1 < len(parts) and owner[r + 1] == owner[r] else -1
                            for r, part in enumerate(parts)])
    sentence_keys_of = [sentence_keys(t) for t in passages]
    owner = np.asarray(owner)
    t0 = time.perf_counter()
    vecs = np.asarray(encoder.encode(passages), dtype=np.float32)
    t_embed = time.perf_counter() - t0

    rows = []
    t1 = time.perf_counter()
    outlets = np.asarray([ids[i].split("_", 1)[-1].split(".")[0] for i in owner])
    keys = np.arange(len(passages))
    template = find_templates(passages, outlets, min_outlets=s.template_min_outlets).mask

    def frames(**changes) -> np.ndarray:
        rules = dict(threshold=s.frame_threshold, iterations=s.discovery_iterations, max_clusters=s.max_clusters,
                     min_articles=s.min_frame_articles, min_outlets=s.min_frame_outlets,
                     min_anchoring=s.min_frame_anchoring, merge_threshold=s.frame_merge_threshold,
                     fragment_threshold=s.frame_fragment_threshold, template=template,
                     sentences_of=lambda rows: [sentence_keys_of[r] for r in rows],
                     shared_share=s.frame_shared_share, shared_min=s.frame_shared_sentences,
                     title_leads=title_leads, title_threshold=s.frame_title_threshold)
        return discover(vecs, keys, owner, outlets, **{**rules, **changes}).labels

    def scored(labels: np.ndarray) -> tuple[dict, dict]:
        main_frame = np.full(len(ids), -1)
        groups = []
        for i in range(len(ids)):
            mine = labels[owner == i]
            mine = mine[mine >= 0]
            groups.append(set(mine.tolist()))
            if len(mine):
                main_frame[i] = Counter(mine.tolist()).most_common(1)[0][0]
        return cluster_scores(main_frame, events), pair_scores(groups, events)

    labels = frames()
    rows.append(("Narrative Tracker frames, default settings", *scored(labels), time.perf_counter() - t1))
    rows.append(("  ablation: threshold clustering alone (no frame rules)", *scored(threshold_clustering(
        vecs, s.frame_threshold, s.discovery_iterations, s.max_clusters).labels), None))
    rows.append(("  ablation: frames without merging near frames", *scored(frames(merge_threshold=1.0)), None))
    rows.append(("  ablation: frames without merging fragments", *scored(frames(fragment_threshold=1.0)), None))
    rows.append(("  ablation: frames without merging on shared sentences", *scored(frames(shared_share=2.0)), None))
    rows.append(("  ablation: frames without headlines joining their leads", *scored(frames(title_leads=None)), None))
    rows.append(("  ablation: frames without the template rule", *scored(frames(template=None)), None))
    rows.append(("  ablation: frames without the boilerplate rule", *scored(frames(min_anchoring=0)), None))
    if not args.no_bertopic:
        from bertopic import BERTopic
        from sentence_transformers import SentenceTransformer

        from embeddings.select import resolve_model

        t2 = time.perf_counter()
        topics, _ = BERTopic(embedding_model=SentenceTransformer(resolve_model("default")[0], device="cpu")
                             ).fit_transform(texts)
        topics = np.asarray(topics)
        rows.append(("BERTopic, default settings (its default model, local copy)", cluster_scores(topics, events),
                     pair_scores([{t} if t >= 0 else set() for t in topics], events), time.perf_counter() - t2))
        doc = np.zeros((len(ids), vecs.shape[1]), dtype=np.float32)
        np.add.at(doc, owner, vecs)
        doc /= np.maximum(np.linalg.norm(doc, axis=1, keepdims=True), 1e-9)
        t3 = time.perf_counter()
        topics, _ = BERTopic().fit_transform(texts, embeddings=doc)
        topics = np.asarray(topics)
        rows.append(("BERTopic fed our vectors, default settings", cluster_scores(topics, events),
                     pair_scores([{t} if t >= 0 else set() for t in topics], events), time.perf_counter() - t3))
        t3 = time.perf_counter()
        topics, _ = BERTopic(min_topic_size=2).fit_transform(texts, embeddings=doc)
        topics = np.asarray(topics)
        rows.append(("BERTopic fed our vectors, min_topic_size=2", cluster_scores(topics, events),
                     pair_scores([{t} if t >= 0 else set() for t in topics], events), time.perf_counter() - t3))
    print(f"## {dt.date.today()}, dev-2c: NewsWCL50, same-event articles in the same frames\n")
    print(f"- machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
          f"encoder {encoder.name}")
    print(f"- command: `python bench/newswcl_eval.py`; {len(ids)} articles, {len(set(events))} events, "
          f"{len(passages):,} passages embedded in {t_embed:.0f} s\n")
    print("| method | NMI | ARI | purity | clusters | articles with no frame | pair precision | pair recall | "
          "seconds (after embedding) |\n|---|---|---|---|---|---|---|---|---|")
    for name, m, p, secs in rows:
        print(f"| {name} | {m['NMI']:.3f} | {m['ARI']:.3f} | {m['purity']:.3f} | {m['clusters']} | "
              f"{m['unassigned']:.0%} | {p['precision']:.3f} | {p['recall']:.3f} | "
              f"{'' if secs is None else f'{secs:.1f}'} |")


if __name__ == "__main__":
    main()
