"""Stages that prepare passages: segment articles, link syndicated copies, embed passage texts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd

from app.config import Settings
from app.dedup import MIN_SHINGLES, SCHEME, candidate_pairs, copy_links, jaccard_pairs, shingles, signature
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
DEFAULT_BUDGET = 2048


@dataclass(frozen=True)
class Chunks:
    segment: int
    embed: int
    sign: int
    vectors: int


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
                  vectors=size(VECTOR_CHUNK))

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


def copies_stage(store: Store, settings: Settings, progress: Progress = no_progress,
                 force: bool = False) -> tuple[int, bool]:
    """Link syndicated copies to their originals; skipped when passages and settings are unchanged.

    Each body's MinHash signature is kept in the store: a run hashes only the bodies it has not signed yet
    (a weekly update: the week's), finds candidate pairs from every stored signature, and reads again only
    the bodies of candidates for the exact check."""
    params = {"threshold": settings.copy_threshold, "max_group": settings.copy_max_group,
              "near_threshold": settings.near_copy_threshold, "passages": store.passage_fingerprint(None)}
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
    pairs = store.copy_pairs(settings.copy_threshold, settings.copy_max_group).assign(method="shared paragraphs")
    ids, signatures = store.body_signatures(SCHEME, MIN_SHINGLES)
    candidates = candidate_pairs(ids, signatures, settings.copy_max_group)
    del ids, signatures
    involved = sorted({a for pair in candidates for a in pair})
    sets: dict[str, np.ndarray] = {}
    for start in range(0, len(involved), chunk):
        sets.update((a, shingles(text)) for a, text in store.article_bodies(involved[start:start + chunk]).items())
    near = jaccard_pairs(candidates, sets, settings.near_copy_threshold)
    del sets
    pairs = pd.concat([pairs, near.assign(method="near-duplicate text")], ignore_index=True)
    ids = sorted(set(pairs["a"]) | set(pairs["b"])) if len(pairs) else []
    links = copy_links(pairs, store.article_dates(ids))
    store.replace_copies(links)
    store.finish_run(run_id, {"copies": len(links), "pairs": len(pairs), "signed": signed,
                              "bodies_checked": len(involved)})
    progress("copies", total + 1, total + 1)
    return len(links), False


def embed_stage(store: Store, encoder_key: str, get_encoder: Callable[[], Encoder], batch_size: int,
                progress: Progress = no_progress, chunk: int = EMBED_CHUNK) -> int:
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
    chunk = getattr(encoder, "chunk_size", chunk)
    # Texts per encoder call (the encoder batches them itself): a few of its batches, so progress is reported
    # between calls; an encoder may set its own (see above).
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
