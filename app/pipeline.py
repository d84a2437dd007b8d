"""The build: segment -> copies -> embed -> frames -> seeded -> lineage -> cues -> evidence,
each stage incremental and resumable.

``build`` works through :meth:`Store.write`, so the published database only
ever changes by one atomic swap at the end; every chunk a stage finishes is
committed to the private working copy, so an interrupted build resumes where
it stopped and ends with the same result as an uninterrupted one.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from app.config import Settings
from app.dedup import copy_links, near_copy_pairs
from app.propagation import Attributions, frame_lineage
from app.frames import anchoring, discover, label_clusters, match_frames, nearest, typical_anchoring
from app.evidence.cues import RULES_VERSION, CueFinder
from app.evidence.ledger import COLUMNS as LEDGER_COLUMNS
from app.evidence.ledger import frame_ledger
from app.fingerprints import changed_frames, combine, frame_fingerprints, redo_every_frame
from app.frames.seeded import article_gate, load_seeds, match_seed
from app.segment import segment, text_hash
from app.store import Store
from embeddings import Encoder, encode_in_batches, load_encoder, model_key, vector_space

# progress(stage, done, total): called as work advances; total may be None.
Progress = Callable[[str, int, "int | None"], None]

SEGMENT_CHUNK = 500
EMBED_CHUNK = 1024


@dataclass
class BuildReport:
    seeded_frames: int = 0
    copies: int = 0
    lineage_edges: int = 0
    new_evidence: int = 0
    segmented_articles: int = 0
    new_passages: int = 0
    embedded_texts: int = 0
    frames: int = 0
    frames_skipped: bool = False
    assigned_passages: int = 0
    total_passages: int = 0
    seconds: dict = field(default_factory=dict)


def _noop(stage, done, total):
    pass


def segment_stage(store: Store, settings: Settings, progress: Progress = _noop) -> tuple[int, int]:
    total = store.count_articles_to_segment()
    done = articles = passages = 0
    run_id = store.start_run("segment", {"min_chars": settings.min_passage_chars, "max_chars": settings.max_passage_chars})
    progress("segment", 0, total)
    while True:
        batch = store.articles_to_segment(SEGMENT_CHUNK)
        if batch.empty:
            break
        rows, seg = [], []
        for art in batch.itertuples(index=False):
            parts = segment(art.title, art.text, settings.min_passage_chars, settings.max_passage_chars)
            for p in parts:
                rows.append({"passage_id": f"{art.article_id}:{p.seq}", "article_id": art.article_id, "seq": p.seq,
                             "part": p.part, "start_char": p.start, "end_char": p.end, "text": p.text,
                             "text_hash": text_hash(p.text)})
            seg.append({"article_id": art.article_id, "passages": len(parts)})
        store.add_passages(pd.DataFrame(rows, columns=["passage_id", "article_id", "seq", "part", "start_char",
                                                       "end_char", "text", "text_hash"]), pd.DataFrame(seg))
        articles += len(batch)
        passages += len(rows)
        done += len(batch)
        progress("segment", done, total)
    store.finish_run(run_id, {"articles": articles, "passages": passages})
    return articles, passages


def copies_stage(store: Store, settings: Settings, progress: Progress = _noop, force: bool = False) -> tuple[int, bool]:
    """Link syndicated copies to their originals; skipped when passages and settings are unchanged."""
    params = {"threshold": settings.copy_threshold, "max_group": settings.copy_max_group,
              "near_threshold": settings.near_copy_threshold, "passages": store.passage_fingerprint(None)}
    last = store.last_run("copies")
    if not force and last is not None and last["parameters"] == params:
        return last["counts"].get("copies", 0), True
    run_id = store.start_run("copies", params)
    progress("copies", 0, 1)
    pairs = store.copy_pairs(settings.copy_threshold, settings.copy_max_group).assign(method="shared paragraphs")
    near = near_copy_pairs(store.article_bodies(), settings.near_copy_threshold, settings.copy_max_group)
    pairs = pd.concat([pairs, near.assign(method="near-duplicate text")], ignore_index=True)
    ids = sorted(set(pairs["a"]) | set(pairs["b"])) if len(pairs) else []
    links = copy_links(pairs, store.article_dates(ids))
    store.replace_copies(links)
    store.finish_run(run_id, {"copies": len(links), "pairs": len(pairs)})
    progress("copies", 1, 1)
    return len(links), False


def embed_stage(store: Store, encoder_key: str, get_encoder: Callable[[], Encoder], batch_size: int,
                progress: Progress = _noop) -> int:
    """Embed every passage text not yet in the cache for this model, each distinct text once."""
    total = store.count_texts_to_embed(encoder_key)
    if total == 0:
        return 0
    encoder = get_encoder()
    if encoder.name != encoder_key:
        raise RuntimeError(f"encoder {encoder.name!r} does not match the cache key {encoder_key!r}")
    # The runtime that made the vectors is recorded with the run: int8 vectors move slightly (about 0.001
    # in cosine) between ONNX Runtime versions, and a reader of the numbers should be able to tell.
    run_id = store.start_run("embed", {"model": encoder_key, "runtime": getattr(encoder, "runtime", None)})
    done = 0
    # An encoder may ask for bigger blocks (a GPU wants tens of thousands of texts at a time).
    chunk = getattr(encoder, "chunk_size", EMBED_CHUNK)
    call = getattr(encoder, "call_size", batch_size * 4)
    progress("embed", 0, total)
    while True:
        batch = store.texts_to_embed(encoder_key, chunk)
        if batch.empty:
            break
        texts = batch["text"].tolist()
        finished = done

        def step(n: int) -> None:
            nonlocal finished
            finished += n
            progress("embed", finished, total)

        vectors = encode_in_batches(encoder, texts, batch_size=call, progress=step)
        store.add_embeddings(encoder_key, batch["text_hash"].tolist(), vectors)
        done += len(batch)
    store.finish_run(run_id, {"texts": done})
    return done


def frames_stage(store: Store, encoder_key: str, settings: Settings, progress: Progress = _noop,
                 recluster: bool = False) -> tuple[int, int, int, bool]:
    """Frames over every embedded passage; skipped when nothing changed since the last run.

    With the same discovery settings as last time, the passages of newly ingested articles join the
    existing frames (whose centres and members stay as they are) and only the rest of them are
    clustered, for new frames. A changed setting, a new model or ``recluster`` rebuilds every frame
    from scratch; frames still there keep their ids either way, also across another form of the same
    model (float, int8, another int8 recipe: see ``vector_space``), whose centres are comparable."""
    discovery = {
        "model": encoder_key,
        "threshold": settings.frame_threshold,
        "iterations": settings.discovery_iterations,
        "max_clusters": settings.max_clusters,
        "min_articles": settings.min_frame_articles,
        "min_outlets": settings.min_frame_outlets,
        "min_anchoring": settings.min_frame_anchoring,
        "merge_threshold": settings.frame_merge_threshold,
        "match_threshold": settings.frame_match_threshold,
    }
    params = {**discovery, "fingerprint": store.passage_fingerprint(encoder_key)}
    last = store.last_run("frames")
    if last is not None and last["parameters"] == params and not recluster:
        counts = last["counts"]
        return counts.get("frames", 0), counts.get("assigned", 0), counts.get("passages", 0), True
    old = store.frames(edited=True)  # frames a user merged or retired keep their ids too
    if len(old):
        comparable = old["model"].map(vector_space) == vector_space(encoder_key)
        old = old[(old["kind"] == "discovered") & comparable]
    incremental = (not recluster and last is not None and len(old) > 0
                   and {k: last["parameters"].get(k) for k in discovery} == discovery)
    progress("frames", 0, 3)
    run_id = store.start_run("frames", params)
    meta, vectors = store.passage_vectors(encoder_key, with_text=False)
    if len(meta) == 0:
        store.save_frames(_empty_frames(), _empty_pf(), _empty_af(), _active_discovered(store), run_id)
        store.finish_run(run_id, {"frames": 0, "assigned": 0, "passages": 0})
        return 0, 0, 0, False
    anchor = anchoring(vectors, meta["article_id"].to_numpy())
    typical = typical_anchoring(anchor)

    kept_pf = _empty_pf()[["passage_id", "frame_id", "score"]]
    rest = np.arange(len(meta))
    joined = 0
    if incremental:
        # Existing frames keep their members; the passages of articles that came in since the last run
        # join the nearest frame when close enough, and only the rest of them are clustered for new
        # frames. Passages the last run left out stay out until a full recluster.
        kept_pf = store.discovered_assignments(encoder_key)
        fresh = store.articles_ingested_after(last["started_at"])
        rest = np.flatnonzero(meta["article_id"].isin(fresh).to_numpy()
                              & ~meta["passage_id"].isin(kept_pf["passage_id"]).to_numpy())
        old_c = np.stack(old["centroid"].tolist()).astype(np.float32)
        best, score = nearest(vectors[rest], old_c)
        near = score >= settings.frame_threshold
        joined = int(near.sum())
        kept_pf = pd.concat([kept_pf, pd.DataFrame({
            "passage_id": meta["passage_id"].to_numpy()[rest[near]],
            "frame_id": old["frame_id"].to_numpy()[best[near]].astype("int32"),
            "score": score[near].astype("float32")})], ignore_index=True)
        rest = rest[~near]
    sub = meta.iloc[rest].reset_index(drop=True)
    found = discover(vectors[rest], sub["text_hash"].to_numpy(), sub["article_id"].to_numpy(),
                     sub["outlet_id"].to_numpy(), threshold=settings.frame_threshold,
                     iterations=settings.discovery_iterations, max_clusters=settings.max_clusters,
                     min_articles=settings.min_frame_articles, min_outlets=settings.min_frame_outlets,
                     min_anchoring=settings.min_frame_anchoring, merge_threshold=settings.frame_merge_threshold,
                     anchor=anchor[rest], typical=typical)
    del vectors
    progress("frames", 1, 3)
    centroids = found.centroids
    if incremental:
        # A new cluster whose centre nearly coincides with an existing frame's is that frame.
        matched = match_frames(centroids, old["frame_id"].tolist(), old_c, settings.frame_merge_threshold)
    else:
        matched = match_frames(centroids, old["frame_id"].tolist() if len(old) else [],
                               np.stack(old["centroid"].tolist()) if len(old) else np.zeros((0, 0)),
                               settings.frame_match_threshold)
    new = [c for c in range(len(centroids)) if c not in matched]
    fresh_ids = iter(store.new_frame_ids(len(new)))
    frame_ids = {c: matched.get(c) or next(fresh_ids) for c in range(len(centroids))}
    found_pf = sub.assign(cluster=found.labels, score=found.scores)
    found_pf = found_pf[found_pf["cluster"] >= 0]
    found_pf = found_pf.assign(frame_id=found_pf["cluster"].map(frame_ids).astype("int32"))
    pf = pd.concat([kept_pf, found_pf[["passage_id", "frame_id", "score"]]], ignore_index=True)
    pf = pf.merge(meta[["passage_id", "article_id", "published_at"]], on="passage_id")

    # Labels and exemplars for the frames this run made; existing frames keep theirs when incremental.
    labelled = new if incremental else list(range(len(centroids)))
    row_ids = sub["passage_id"].to_numpy()[found.rows]

    def texts_of(rows: np.ndarray) -> list[str]:
        wanted = row_ids[rows]
        known = store.passage_texts(wanted.tolist())
        return [known[p] for p in wanted]

    phrases = label_clusters(texts_of, found.labels[found.rows], settings.label_phrases,
                             scores=found.scores[found.rows]) if labelled else {}
    progress("frames", 2, 3)
    exemplars = (pf.sort_values(["frame_id", "score", "published_at", "passage_id"], ascending=[True, False, True, True])
                 .drop_duplicates("frame_id").set_index("frame_id"))
    frame_rows = []
    if incremental:
        frame_rows = [{"frame_id": int(r.frame_id), "label": r.label, "phrases": list(r.phrases),
                       "exemplar_passage_id": r.exemplar_passage_id, "centroid": r.centroid, "model": encoder_key}
                      for r in old.itertuples() if r.frame_id in exemplars.index]
    for c in labelled:
        exemplar = exemplars.loc[frame_ids[c]]
        label_terms = phrases.get(c) or [store.passage_texts([exemplar["passage_id"]])[exemplar["passage_id"]][:60]]
        frame_rows.append({"frame_id": frame_ids[c], "label": " · ".join(label_terms), "phrases": label_terms,
                           "exemplar_passage_id": exemplar["passage_id"], "centroid": centroids[c],
                           "model": encoder_key})
    frames_df = pd.DataFrame(frame_rows, columns=_empty_frames().columns)
    af = (pf.groupby(["article_id", "frame_id"]).agg(score=("score", "max"), passages=("passage_id", "count"))
          .reset_index())
    listed = set(frames_df["frame_id"].astype(int))
    retired = sorted(set(_active_discovered(store)) - listed)
    store.save_frames(frames_df, pf[["passage_id", "frame_id", "score"]].astype({"score": "float32"}),
                      af[["article_id", "frame_id", "score", "passages"]].astype({"score": "float32", "passages": "int32"}),
                      retired, run_id)
    _record_splits_and_merges(store, run_id, centroids, [frame_ids[c] for c in range(len(centroids))],
                              set(matched.values()), old, retired, settings.frame_match_threshold - 0.1)
    counts = {**found.counts, "mode": "incremental" if incremental else "full", "joined_existing": joined,
              "considered": int(len(rest) + joined),
              "new_frames": len(new), "frames": len(frames_df), "assigned": int(len(pf)),
              "passages": int(len(meta)), "retired": len(retired)}
    store.finish_run(run_id, counts)
    progress("frames", 3, 3)
    return len(frames_df), int(len(pf)), int(len(meta)), False


def seeded_stage(store: Store, encoder_key: str, get_encoder: Callable[[], Encoder], settings: Settings,
                 progress: Progress = _noop) -> tuple[int, bool]:
    """Match every passage against the seeded frames of ``settings.frames_file``."""
    seeds = load_seeds(settings.frames_file)
    params = {
        "model": encoder_key, "default_threshold": settings.seed_threshold,
        "default_min_passages": settings.seed_min_passages,
        "seeds": [s.as_dict() for s in seeds], "fingerprint": store.passage_fingerprint(encoder_key),
    }
    last = store.last_run("seeded")
    if last is not None and last["parameters"] == params:
        return last["counts"].get("frames", 0), True
    frames = store.frames(include_inactive=True)
    by_name = {str(n).lower(): int(f) for n, f in zip(frames.get("seed_name", []), frames.get("frame_id", []))
               if isinstance(n, str)}
    active_seeded = frames[(frames["kind"] == "seeded") & (frames["status"] == "active")]["frame_id"].tolist() \
        if len(frames) else []
    run_id = store.start_run("seeded", params)
    progress("seeded", 0, len(seeds))
    meta, vectors = store.passage_vectors(encoder_key) if seeds else (None, None)
    new_ids = iter(store.new_frame_ids(sum(1 for s in seeds if s.name.lower() not in by_name)))
    encoder = get_encoder() if seeds else None
    rows, pf_parts = [], []
    texts = meta["text"].tolist() if seeds else []
    for i, seed in enumerate(seeds):
        seed_vectors = encoder.encode(seed.texts)
        threshold = seed.threshold if seed.threshold is not None else settings.seed_threshold
        idx, score, how = match_seed(texts, vectors, seed, seed_vectors, threshold)
        min_passages = seed.min_passages if seed.min_passages is not None else settings.seed_min_passages
        keep = article_gate(meta["article_id"].to_numpy()[idx], how, min_passages)
        idx, score, how = idx[keep], score[keep], how[keep]
        frame_id = by_name.get(seed.name.lower()) or next(new_ids)
        centre = seed_vectors.mean(axis=0)
        exemplar = meta["passage_id"].iloc[idx[np.argmax(score)]] if len(idx) else None
        rows.append({"frame_id": frame_id, "label": seed.name, "phrases": seed.texts, "exemplar_passage_id": exemplar,
                     "centroid": centre / (np.linalg.norm(centre) or 1), "model": encoder_key,
                     "seed_name": seed.name, "threshold": threshold})
        pf_parts.append(pd.DataFrame({"passage_id": meta["passage_id"].to_numpy()[idx], "frame_id": frame_id,
                                      "score": score, "match": how, "article_id": meta["article_id"].to_numpy()[idx]}))
        progress("seeded", i + 1, len(seeds))
    pf = pd.concat(pf_parts) if pf_parts else pd.DataFrame(columns=["passage_id", "frame_id", "score", "match",
                                                                     "article_id"])
    af = (pf.groupby(["article_id", "frame_id"]).agg(score=("score", "max"), passages=("passage_id", "count"))
          .reset_index()) if len(pf) else _empty_af()
    retired = sorted(set(active_seeded) - {r["frame_id"] for r in rows})
    frame_cols = ["frame_id", "label", "phrases", "exemplar_passage_id", "centroid", "model", "seed_name", "threshold"]
    store.save_frames(pd.DataFrame(rows, columns=frame_cols), pf[["passage_id", "frame_id", "score", "match"]].astype(
                          {"frame_id": "int32", "score": "float32"}),
                      af[["article_id", "frame_id", "score", "passages"]].astype(
                          {"frame_id": "int32", "score": "float32", "passages": "int32"}),
                      retired, run_id, kind="seeded")
    store.finish_run(run_id, {"frames": len(rows), "passages": int(len(pf)), "retired": len(retired)})
    return len(rows), False


# Bump when the lineage or ledger logic changes: every frame is then traced and written again.
PER_FRAME_VERSION = 1


def _frames_to_redo(store: Store, stage: str, last: dict | None, context: dict, fingerprints: dict[int, int],
                    force: bool) -> list[int] | None:
    """The frames whose inputs changed since ``stage`` last wrote them; None: every frame (first run, another
    context such as another model or other rules, or ``force``)."""
    if redo_every_frame(last, context, force):
        return None
    return changed_frames(fingerprints, store.frame_inputs(stage))


def lineage_stage(store: Store, encoder_key: str, progress: Progress = _noop, force: bool = False) -> tuple[int, bool]:
    """Edges from each outlet's first article in each frame to its most likely source.

    Only frames whose inputs changed since the last run are traced again (their articles, dates, outlets,
    passages, or the copy relations of their articles): a weekly update leaves the edges of the frames the
    week did not touch as they are. A new outlet traces again the frames with an article naming it (they
    may now credit it); another model, or an outlet gone or renamed, traces every frame."""
    outlets = sorted(store.outlet_names())
    context = {"model": encoder_key, "version": PER_FRAME_VERSION}
    params = {"context": context, "outlets": outlets,
              "after": {stage: (store.last_run(stage) or {}).get("run_id") for stage in ("copies", "frames", "seeded")},
              "edits": store.last_edit_id()}
    last = store.last_run("lineage")
    if not force and last is not None and last["parameters"] == params:
        return last["counts"].get("edges", 0), True
    run_id = store.start_run("lineage", params)
    copies, urls, links, credited = store.copy_map(), store.url_index(), store.article_links(), {}
    attributions = Attributions(outlets)
    articles, texts, passages, vectors = store.lineage_inputs(encoder_key)
    articles["original"] = articles["article_id"].map(copies)
    fingerprints = combine(frame_fingerprints(articles, ["article_id", "outlet", "published_at", "original"]),
                            frame_fingerprints(passages, ["article_id", "passage_id"]))
    before = (last or {}).get("parameters", {}).get("outlets")
    if before is None or set(before) - set(outlets):
        force = True  # an outlet gone or renamed (or a run that kept no list): attributions may change anywhere
    redo = _frames_to_redo(store, "lineage", last, context, fingerprints, force)
    if redo is not None and set(outlets) - set(before):
        # A new outlet: frames with an article that names it may now credit it.
        naming = store.articles_naming(sorted(set(outlets) - set(before)))
        redo = sorted(set(redo) | set(articles.loc[articles["article_id"].isin(naming), "frame_id"].tolist()))
    todo = set(fingerprints) if redo is None else set(redo)
    articles = articles[articles["frame_id"].isin(todo)].assign(text=lambda a: a["article_id"].map(texts))
    by_frame = {fid: idx for fid, idx in passages.groupby("frame_id").indices.items()}
    parts = []
    progress("lineage", 0, len(todo))
    for i, (fid, arts) in enumerate(articles.groupby("frame_id", sort=True)):
        rows = by_frame.get(fid, np.zeros(0, dtype=np.int64))
        edges = frame_lineage(arts, passages.iloc[rows].reset_index(drop=True), vectors[rows], copies, urls,
                              attributions, links, credited)
        edges["frame_id"] = fid
        parts.append(edges)
        if i % 50 == 0 or i + 1 == len(todo):
            progress("lineage", i + 1, len(todo))
    edges = pd.concat(parts) if parts else pd.DataFrame(columns=["frame_id", "from_article", "to_article", "kind",
                                                                 "score", "evidence"])
    store.replace_lineage(edges[["frame_id", "from_article", "to_article", "kind", "score", "evidence"]]
                          .astype({"frame_id": "int32", "score": "float32"}), fingerprints, redo)
    total = store.count_lineage_edges()
    store.finish_run(run_id, {"edges": total, "frames": len(fingerprints), "traced": len(todo)})
    return total, False


CUE_CHUNK = 5000


def cues_stage(store: Store, progress: Progress = _noop) -> tuple[int, bool]:
    """Evidence cues of every distinct passage text not read yet by these rules and outlet names."""
    outlets = sorted(store.outlet_names())
    params = {"rules": RULES_VERSION, "outlets": outlets}
    last = store.last_run("cues")
    if last is not None and last["parameters"] != params:
        before = set(last["parameters"].get("outlets", []))
        if last["parameters"].get("rules") != RULES_VERSION or before - set(outlets):
            store.clear_cues()  # other rules, or an outlet gone: read everything again
        else:  # new outlets: read again only the texts that name one of them
            store.uncue_texts_naming(sorted(set(outlets) - before))
    total = store.count_texts_to_cue()
    if total == 0 and last is not None and last["parameters"] == params:
        return 0, True
    run_id = store.start_run("cues", params)
    finder = CueFinder(outlets)
    done = 0
    progress("cues", 0, total)
    while True:
        chunk = store.texts_to_cue(CUE_CHUNK)
        if chunk.empty:
            break
        rows = [(h, c.kind, c.subtype, c.start, c.end, c.span, c.source)
                for h, text in zip(chunk["text_hash"], chunk["text"]) for c in finder.find(text)]
        cues = pd.DataFrame(rows, columns=["text_hash", "kind", "subtype", "start_char", "end_char", "span", "source"])
        store.add_cues(cues.astype({"start_char": "int32", "end_char": "int32"}), chunk["text_hash"].tolist(),
                       RULES_VERSION)
        done += len(chunk)
        progress("cues", done, total)
    store.finish_run(run_id, {"texts": done})
    return done, False


def evidence_stage(store: Store, encoder_key: str, settings: Settings, progress: Progress = _noop,
                   force: bool = False) -> tuple[int, bool]:
    """The evidence ledger of every active frame: each item new or a repeat of an earlier one.

    Only frames whose inputs changed since the last run (the cued passages of their articles, their dates,
    the copy relations of their articles, the cues of their texts: the cue stage reads again the texts
    naming a new outlet) are written again; another model, threshold or cue rules rewrite every frame."""
    context = {"model": encoder_key, "threshold": settings.evidence_repeat_threshold, "rules": RULES_VERSION,
               "version": PER_FRAME_VERSION}
    params = {"context": context, "after": {stage: (store.last_run(stage) or {}).get("run_id")
                                            for stage in ("copies", "frames", "seeded", "cues")},
              "edits": store.last_edit_id()}
    last = store.last_run("evidence")
    if not force and last is not None and last["parameters"] == params:
        return last["counts"].get("new", 0), True
    run_id = store.start_run("evidence", params)
    passages, vectors = store.evidence_inputs(encoder_key)
    copies = store.copy_map()
    passages["original"] = passages["article_id"].map(copies)
    # The cues of each text: a new outlet name makes the cue stage read again the texts that name it.
    passages = passages.merge(store.cue_signatures(), on="text_hash", how="left")
    fingerprints = frame_fingerprints(passages, ["passage_id", "article_id", "text_hash", "published_at", "original",
                                                 "cue_signature"])
    redo = _frames_to_redo(store, "evidence", last, context, fingerprints, force)
    todo = set(fingerprints) if redo is None else set(redo)
    groups = {fid: rows for fid, rows in passages.groupby("frame_id", sort=True).indices.items() if fid in todo}
    if not groups:
        cues = {}
    elif redo is None:
        cues = store.cues_by_text(None)
    else:
        cues = store.cues_by_text(passages["text_hash"].iloc[np.concatenate(list(groups.values()))].unique().tolist())
    parts, memo = [], {}
    progress("evidence", 0, len(groups))
    for i, (fid, rows) in enumerate(groups.items()):
        frame = passages.iloc[rows]
        parts.append(frame_ledger(int(fid), frame.reset_index(drop=True), vectors[frame["vector_row"].to_numpy()],
                                  cues, copies, settings.evidence_repeat_threshold, memo))
        if i % 50 == 0 or i + 1 == len(groups):
            progress("evidence", i + 1, len(groups))
    items = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=LEDGER_COLUMNS)
    store.replace_evidence(items.astype({"frame_id": "int32", "similarity": "float32"}), fingerprints, redo)
    total, new = store.evidence_totals()
    store.finish_run(run_id, {"items": total, "new": new, "frames": len(fingerprints), "written": len(groups)})
    return new, False


def _record_splits_and_merges(store: Store, run_id: int, centroids: np.ndarray, new_ids: list[int], kept_ids: set[int],
                              old: pd.DataFrame, retired: list[int], near: float) -> None:
    """History: a new frame close to a frame that kept its id split from it; a retired frame close to a
    surviving one merged into it (``near``: cosine a little below the matching threshold)."""
    if len(old) == 0 or len(centroids) == 0:
        return
    old_c = np.stack(old["centroid"].tolist()).astype(np.float32)
    if old_c.shape[1] != centroids.shape[1]:
        return
    old_ids = old["frame_id"].astype(int).tolist()
    sims = centroids @ old_c.T
    splits = [(n, old_ids[int(sims[i].argmax())]) for i, n in enumerate(new_ids)
              if n not in kept_ids and sims[i].max() >= near and old_ids[int(sims[i].argmax())] in kept_ids]
    if splits:
        store.record_history([n for n, _ in splits], run_id, "split from", [o for _, o in splits],
                             "a new frame close to an existing one")
    merges = []
    for j, o in enumerate(old_ids):
        if o in retired and sims[:, j].max() >= near:
            merges.append((o, new_ids[int(sims[:, j].argmax())]))
    if merges:
        store.record_history([o for o, _ in merges], run_id, "merged into", [n for _, n in merges],
                             "its passages now fall in a surviving frame")


def _active_discovered(store: Store) -> list[int]:
    df = store.frames()
    return df[df["kind"] == "discovered"]["frame_id"].tolist() if len(df) else []


def _empty_frames() -> pd.DataFrame:
    return pd.DataFrame(columns=["frame_id", "label", "phrases", "exemplar_passage_id", "centroid", "model"])


def _empty_pf() -> pd.DataFrame:
    return pd.DataFrame({"passage_id": pd.Series(dtype=str), "frame_id": pd.Series(dtype="int32"),
                         "score": pd.Series(dtype="float32")})


def _empty_af() -> pd.DataFrame:
    return pd.DataFrame({"article_id": pd.Series(dtype=str), "frame_id": pd.Series(dtype="int32"),
                         "score": pd.Series(dtype="float32"), "passages": pd.Series(dtype="int32")})


def run_stages(store: Store, settings: Settings, encoder: Encoder | None = None, progress: Progress = _noop,
               recluster: bool = False) -> BuildReport:
    report = BuildReport()
    key = encoder.name if encoder is not None else model_key(settings.model, settings.max_seq_length,
                                                             settings.backend, settings.device)
    loaded: list[Encoder] = [encoder] if encoder is not None else []

    def get_encoder() -> Encoder:
        if not loaded:
            loaded.append(load_encoder(settings.model, settings.device, settings.max_seq_length, settings.batch_size,
                                       settings.backend, str(settings.cache_dir) if settings.cache_dir else None))
        return loaded[0]

    t = time.perf_counter()
    report.segmented_articles, report.new_passages = segment_stage(store, settings, progress)
    report.seconds["segment"] = round(time.perf_counter() - t, 2)
    report.copies, _ = copies_stage(store, settings, progress)
    t = time.perf_counter()
    report.embedded_texts = embed_stage(store, key, get_encoder, settings.batch_size, progress)
    report.seconds["embed"] = round(time.perf_counter() - t, 2)
    t = time.perf_counter()
    report.frames, report.assigned_passages, report.total_passages, report.frames_skipped = frames_stage(
        store, key, settings, progress, recluster)
    report.seconds["frames"] = round(time.perf_counter() - t, 2)
    t = time.perf_counter()
    report.seeded_frames, _ = seeded_stage(store, key, get_encoder, settings, progress)
    report.seconds["seeded"] = round(time.perf_counter() - t, 2)
    t = time.perf_counter()
    report.lineage_edges, _ = lineage_stage(store, key, progress)
    report.seconds["lineage"] = round(time.perf_counter() - t, 2)
    t = time.perf_counter()
    cues_stage(store, progress)
    report.new_evidence, _ = evidence_stage(store, key, settings, progress)
    report.seconds["evidence"] = round(time.perf_counter() - t, 2)
    return report


def build(db: str | Path, settings: Settings, encoder: Encoder | None = None, progress: Progress = _noop,
          recluster: bool = False) -> BuildReport:
    """Run every stage on what is not built yet; ``recluster`` rebuilds the discovered frames from scratch."""
    with Store.write(db) as store:
        return run_stages(store, settings, encoder, progress, recluster)
