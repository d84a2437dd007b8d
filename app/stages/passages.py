"""Stages that prepare passages: segment articles, link syndicated copies, embed passage texts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd

from app.config import Settings
from app.dedup import MIN_SHINGLES, SCHEME, candidate_pairs, copy_links, jaccard_pairs, shingles, signature
from app.fingerprints import passages_add_up
from app.segment import segment, text_hash
from app.stages.common import Progress, no_progress
from app.store import Store
from app.store.stages import VECTOR_CHUNK  # rows per record batch when a stage reads every passage's vector
from embeddings import Encoder, encode_in_batches

# Articles segmented, and passage texts embedded, per committed chunk: an interrupted build loses at most
# one chunk of work, and a chunk is big enough that committing it costs little next to the work in it.
# These are the sizes at the default memory budget (2048 MB); ``chunk_sizes`` scales them with the setting.
SEGMENT_CHUNK = 500
EMBED_CHUNK = 1024
SIGN_CHUNK = 2000  # article bodies MinHashed per committed chunk (the copies stage)
# Input rows (passages, articles) the per-frame stages (stance, lineage, evidence) load per chunk of frames.
FRAME_CHUNK = 200_000
DEFAULT_BUDGET = 2048


@dataclass(frozen=True)
class Chunks:
    segment: int
    embed: int
    sign: int
    vectors: int
    frames: int  # input rows per chunk of frames in stance, lineage and evidence


def chunk_sizes(settings: Settings) -> Chunks:
    """The chunk sizes of the stages for ``settings.memory_budget`` (MB): in proportion to it, the sizes above
    at the default, never below a tenth of them. DuckDB gets half of the budget (``app.store.db``); a chunk
    at the default is far below the other half, so a smaller budget still leaves room for the arrays a
    stage holds whole (the frames stage's vectors, docs/scale.md). The embed chunk only grows: its texts are
    at most ``max_passage_chars`` each (1 MB at the default), and each chunk groups every passage text
    again to find those not embedded, so smaller chunks cost time and save nothing (bench/RESULTS.md)."""
    scale = max(settings.memory_budget, 1) / DEFAULT_BUDGET

    def size(base: int) -> int:
        return max(base // 10, int(base * scale))

    return Chunks(segment=size(SEGMENT_CHUNK), embed=max(EMBED_CHUNK, size(EMBED_CHUNK)), sign=size(SIGN_CHUNK),
                  vectors=size(VECTOR_CHUNK), frames=size(FRAME_CHUNK))

PASSAGE_COLUMNS = ["passage_id", "article_id", "seq", "part", "start_char", "end_char", "text", "text_hash"]


def segment_stage(store: Store, settings: Settings, progress: Progress = no_progress,
                  chunk: int | None = None) -> tuple[int, int]:
    """Split every article not segmented yet into passages, ``chunk`` articles at a time (default: from the
    memory budget, ``chunk_sizes``); returns (articles, passages)."""
    chunk = chunk or chunk_sizes(settings).segment
    total = store.count_articles_to_segment()
    articles = passages = 0
    run_id = store.start_run("segment", {"min_chars": settings.min_passage_chars,
                                         "max_chars": settings.max_passage_chars})
    progress("segment", 0, total)
    while True:
        batch = store.articles_to_segment(chunk)
        if batch.empty:
            break
        rows, segmented = [], []
        for article in batch.itertuples(index=False):
            parts = segment(article.title, article.text, settings.min_passage_chars, settings.max_passage_chars)
            for part in parts:
                rows.append({"passage_id": f"{article.article_id}:{part.seq}", "article_id": article.article_id,
                             "seq": part.seq, "part": part.part, "start_char": part.start, "end_char": part.end,
                             "text": part.text, "text_hash": text_hash(part.text)})
            segmented.append({"article_id": article.article_id, "passages": len(parts)})
        store.add_passages(pd.DataFrame(rows, columns=PASSAGE_COLUMNS), pd.DataFrame(segmented))
        articles += len(batch)
        passages += len(rows)
        progress("segment", articles, total)
    store.finish_run(run_id, {"articles": articles, "passages": passages})
    return articles, passages


# Bump when what the copies stage stores of its pairs changes: the next run then finds every pair again.
COPIES_STATE = 1


def copies_stage(store: Store, settings: Settings, progress: Progress = no_progress,
                 force: bool = False, passages: str | None = None) -> tuple[int, bool]:
    """Link syndicated copies to their originals; skipped when passages and settings are unchanged.

    Each body's MinHash signature is kept in the store, and so are the pairs found (table ``copy_pairs``) with
    the articles they account for (``copy_accounted``). A run hashes only the bodies it has not signed yet. With
    the settings of the last run and its articles' passages unchanged (a weekly update), it compares only the
    new articles with the archive and keeps the stored pairs (:func:`_update_pairs`), which gives the pairs a
    whole run would; otherwise it finds every pair again. ``passages``: ``Store.passage_fingerprint(None)`` as
    it is now, when the caller has it."""
    rules = {"threshold": settings.copy_threshold, "max_group": settings.copy_max_group,
             "near_threshold": settings.near_copy_threshold, "scheme": SCHEME, "state": COPIES_STATE}
    params = {**rules, "passages": passages or store.passage_fingerprint(None)}
    last = store.last_run("copies")
    if not force and last is not None and last["parameters"] == params:
        return last["counts"].get("copies", 0), True
    run_id = store.start_run("copies", params)
    total = store.count_bodies_to_sign(SCHEME)
    progress("copies", 0, total + 1)
    signed = 0
    chunk = chunk_sizes(settings).sign
    while True:
        batch = store.bodies_to_sign(SCHEME, chunk)
        if batch.empty:
            break
        made = [signature(text) for text in batch["text"]]
        store.add_body_signatures(SCHEME, batch["article_id"].tolist(), np.array([n for n, _ in made]),
                                  np.stack([sig for _, sig in made]))
        signed += len(batch)
        progress("copies", signed, total + 1)
        if len(batch) < chunk:  # the read returned every body left
            break
    update = not force and last is not None and all(last["parameters"].get(k) == v for k, v in rules.items())
    fresh = store.unaccounted_articles() if update else None
    # The passages of the articles the stored pairs account for are unchanged when every passage now is those
    # of the last run plus the new articles' (each passage is of one row of ``articles``, which is accounted for
    # or new; no article or passage is ever deleted): checked by fingerprints, without a scan of the accounted
    # articles' passages as ``Store.accounted_passage_fingerprint`` makes (0.13-0.30 s against 0.03-0.09 s at 100k
    # synthetic articles: bench/RESULTS.md, "the plans read kept cue signatures, and the week's reads find their
    # articles first").
    if update and not passages_add_up(last["parameters"].get("passages"),
                                      store.passage_fingerprint(None, articles=fresh), params["passages"]):
        update, fresh = False, None
    if update:
        pairs, checked = _update_pairs(store, settings, fresh, chunk)
    else:
        pairs = store.copy_pairs(settings.copy_threshold, settings.copy_max_group).assign(method="shared paragraphs")
        ids, signatures = store.body_signatures(SCHEME, MIN_SHINGLES)
        candidates = candidate_pairs(ids, signatures, settings.copy_max_group)
        del ids, signatures
        near, checked = _near_pairs(store, candidates, settings.near_copy_threshold, chunk)
        pairs = pd.concat([pairs, near.assign(method="near-duplicate text")], ignore_index=True)
    # Similarities as stored (float32), so that the links an update makes from stored pairs tie-break as a whole
    # run's do.
    pairs = pairs.astype({"jaccard": "float32"})
    # (the pairs' articles through pandas: a Python set of every id took 0.07 s at 100k synthetic articles)
    ends = (pd.concat([pairs["a"], pairs["b"]], ignore_index=True).drop_duplicates().sort_values().tolist()
            if len(pairs) else [])
    links = copy_links(pairs, store.article_dates(ends))
    store.save_copies(pairs, links, fresh)
    store.finish_run(run_id, {"copies": len(links), "pairs": len(pairs), "signed": signed, "bodies_checked": checked,
                              "mode": "update" if update else "full",
                              "new_articles": len(fresh) if update else None})
    progress("copies", total + 1, total + 1)
    return len(links), False


def _near_pairs(store: Store, candidates: set[tuple[str, str]], threshold: float,
                chunk: int) -> tuple[pd.DataFrame, int]:
    """The candidate pairs whose bodies' exact word 5-gram sets are near copies, and how many bodies were read."""
    involved = sorted({a for pair in candidates for a in pair})
    sets: dict[str, np.ndarray] = {}
    for start in range(0, len(involved), chunk):
        sets.update((a, shingles(text)) for a, text in store.article_bodies(involved[start:start + chunk]).items())
    return jaccard_pairs(candidates, sets, threshold), len(involved)


def _update_pairs(store: Store, settings: Settings, fresh: list[str], chunk: int) -> tuple[pd.DataFrame, int]:
    """Every copy pair after ``fresh`` articles joined an archive whose pairs are stored.

    Articles are only ever added, and a pair's similarity depends on its two articles alone, so:

    - shared paragraphs: the pairs of the new articles are found, and found again for every article holding a
      paragraph that the new articles put over ``copy_max_group`` (it stops counting, which changes that
      article's other pairs); the stored pairs of every other article stand;
    - near-duplicate text: a pair is a candidate when its articles share a MinHash band value held by at most
      ``copy_max_group`` articles. The pairs with a new article are proposed and checked on their bodies; a
      stored pair of two older articles stays, unless every band value it shared is now held by too many
      (buckets only grow), as :func:`app.dedup.candidate_pairs` would decide over the whole archive. Both are
      decided inside the database (``Store.band_candidates``), without reading every signature."""
    stored = store.stored_copy_pairs()
    shared = stored[stored["method"] == "shared paragraphs"]
    redo = store.shared_paragraph_redo(fresh, settings.copy_max_group) if fresh else []
    if redo:
        again = store.copy_pairs_of(redo, settings.copy_threshold, settings.copy_max_group)
        shared = pd.concat([shared[~shared["a"].isin(redo) & ~shared["b"].isin(redo)],
                            again.assign(method="shared paragraphs")], ignore_index=True)
    near = stored[stored["method"] == "near-duplicate text"]
    proposed, still = store.band_candidates(SCHEME, MIN_SHINGLES, settings.copy_max_group, fresh, near)
    near = near[np.fromiter((pair in still for pair in zip(near["a"], near["b"])), dtype=bool, count=len(near))]
    checked = 0
    if proposed:
        found, checked = _near_pairs(store, proposed, settings.near_copy_threshold, chunk)
        near = pd.concat([near, found.assign(method="near-duplicate text")], ignore_index=True)
    pairs = pd.concat([shared, near], ignore_index=True)
    return pairs.sort_values(["method", "a", "b"], kind="stable").reset_index(drop=True), checked


def embed_stage(store: Store, encoder_key: str, get_encoder: Callable[[], Encoder], batch_size: int,
                progress: Progress = no_progress, chunk: int = EMBED_CHUNK) -> int:
    """Embed every passage text not yet in the cache for this model, each distinct text once. When it returns,
    every passage's text has a vector under the model (the build relies on it: ``app.pipeline.run_stages``)."""
    # Each read of the texts still to embed compares every passage with the vectors (an anti-join over the
    # archive), so a first chunk that holds them all (a weekly update's) is read once: it is the count too, and
    # no read after the last chunk is needed to find that none is left.
    batch = store.texts_to_embed(encoder_key, chunk)
    if batch.empty:
        return 0
    asked = chunk
    total = len(batch) if len(batch) < asked else store.count_texts_to_embed(encoder_key)
    encoder = get_encoder()
    if encoder.name != encoder_key:
        raise RuntimeError(f"encoder {encoder.name!r} does not match the cache key {encoder_key!r}")
    # The runtime that made the vectors is recorded with the run: int8 vectors move slightly (about 0.001
    # in cosine) between ONNX Runtime versions, and a reader of the numbers should be able to tell.
    run_id = store.start_run("embed", {"model": encoder_key, "runtime": getattr(encoder, "runtime", None)})
    done = 0
    # An encoder may ask for bigger blocks (a GPU wants tens of thousands of texts at a time).
    chunk = getattr(encoder, "chunk_size", chunk)
    # Texts per encoder call (the encoder batches them itself): a few of its batches, so progress is reported
    # between calls; an encoder may set its own (see above).
    call = getattr(encoder, "call_size", batch_size * 4)
    progress("embed", 0, total)
    while True:
        if batch is None:
            asked = chunk
            batch = store.texts_to_embed(encoder_key, asked)
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
        if len(batch) < asked:  # the read returned every text left (the first ``asked`` in hash order)
            break
        batch = None
    store.finish_run(run_id, {"texts": done})
    return done
