"""The build: segment -> copies -> embed -> frames -> seeded -> cues -> stance -> onsets -> lineage -> evidence,
each stage incremental and resumable.

``build`` works through :meth:`Store.write`, so the published database only
ever changes by one atomic swap at the end; every chunk a stage finishes is
committed to the private working copy, so an interrupted build resumes where
it stopped and ends with the same result as an uninterrupted one.

This module runs the stages in order and reports on them; the stages are in ``app.stages`` and are
importable from here too.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from app.config import Settings
from app.fingerprints import frame_fingerprints
from app.stages.common import Progress, no_progress
from app.stages.frames import frames_stage
from app.stages.onsets import onsets_stage
from app.stages.passages import chunk_sizes, copies_stage, embed_stage, segment_stage
from app.stages.seeded import missing_seeds_notes, seeded_stage, stale_rule_notes
from app.stages.provenance import CUE_CHUNK, PER_FRAME_VERSION, cues_stage, evidence_stage, lineage_stage
from app.stages.stance import stance_stage
from app.store import Store
from embeddings import Encoder, load_encoder, model_key

# Articles segmented, texts embedded, and input rows of the per-frame stages (stance, lineage, evidence) per
# committed chunk; None: from the memory budget (``app.stages.passages.chunk_sizes``). A caller may fix them (a
# test making small chunks).
SEGMENT_CHUNK: int | None = None
EMBED_CHUNK: int | None = None
FRAME_CHUNK: int | None = None

__all__ = ["BuildReport", "CUE_CHUNK", "EMBED_CHUNK", "FRAME_CHUNK", "PER_FRAME_VERSION", "Progress", "SEGMENT_CHUNK",
           "build", "copies_stage", "cues_stage", "embed_stage", "evidence_stage", "frame_fingerprints", "frames_stage",
           "lineage_stage", "no_progress", "onsets_stage", "run_stages", "seeded_stage", "segment_stage",
           "stance_stage"]


@dataclass
class BuildReport:
    seeded_frames: int = 0
    copies: int = 0
    lineage_edges: int = 0
    flagged_dates: int = 0
    new_evidence: int = 0
    rebuttals: int = 0
    segmented_articles: int = 0
    new_passages: int = 0
    embedded_texts: int = 0
    frames: int = 0
    frames_skipped: bool = False
    assigned_passages: int = 0
    total_passages: int = 0
    seconds: dict = field(default_factory=dict)
    model: str = ""
    index: str = ""  # what refreshing the nearest-neighbour index did (app.ann.refresh)
    notes: list = field(default_factory=list)  # what the build wants said (vectors missing from the folder, runtime differences)
    memory_limit: str = ""  # DuckDB's memory limit during the build, as it reports it (from memory_budget)


def run_stages(store: Store, settings: Settings, encoder: Encoder | None = None, progress: Progress = no_progress,
               recluster: bool = False, engine: str = "local", address: str | None = None, *,
               refit_seeds: bool = False) -> BuildReport:
    """Run every stage in order on ``store``; the encoder is loaded only if some text needs embedding.
    ``engine="ray"`` embeds on a Ray cluster (``address``, else ``RAY_ADDRESS``, else a local instance);
    every other stage stays here. ``refit_seeds`` fits the seeded frames' learned rules again."""
    report = BuildReport()
    key = encoder.name if encoder is not None else model_key(settings.model, settings.max_seq_length,
                                                             settings.backend, settings.device)
    report.model = key
    report.memory_limit = store.memory_settings()[0]
    loaded: list[Encoder] = [encoder] if encoder is not None else []

    def get_encoder() -> Encoder:
        if not loaded:
            loaded.append(load_encoder(settings.model, settings.device, settings.max_seq_length, settings.batch_size,
                                       settings.backend, str(settings.cache_dir) if settings.cache_dir else None))
        return loaded[0]

    # The chunk sizes are read here, when the build runs, so a caller can set them on this module.
    started = time.perf_counter()
    chunks = chunk_sizes(settings)
    report.segmented_articles, report.new_passages = segment_stage(store, settings, progress,
                                                                   chunk=SEGMENT_CHUNK or chunks.segment)
    report.seconds["segment"] = round(time.perf_counter() - started, 2)
    # Every passage, as it is from here on (no later stage adds or changes one), for the copies stage's skip
    # check and, below, the frames and seeded stages'.
    passages = store.passage_fingerprint(None)
    report.copies, _ = copies_stage(store, settings, progress, passages=passages)
    started = time.perf_counter()
    gone = store.forget_missing_vectors()
    if gone:
        report.notes.append(
            f"{sum(rows for _, _, rows in gone):,} vectors of {len(gone)} segment files were missing from the "
            f"database's .vectors folder (a copy of the file without the folder beside it?): embedded again")
    if engine == "ray":
        from app.stages.ray_embed import ray_embed_stage

        done = ray_embed_stage(store, key, settings, address, progress)
        report.embedded_texts = done.texts
        report.notes.extend(done.notes)
    else:
        report.embedded_texts = embed_stage(store, key, get_encoder, settings.batch_size, progress,
                                            chunk=EMBED_CHUNK or chunks.embed)
        report.notes.extend(getattr(loaded[0], "notes", []) if loaded else [])
    report.seconds["embed"] = round(time.perf_counter() - started, 2)
    started = time.perf_counter()
    # The embedded passages as they are now, for the frames and seeded stages' skip checks (neither stage changes
    # a passage or a passage's vector): every passage, since the embed stage leaves no passage's text without a
    # vector under the key. So the fingerprint of every passage taken above serves, and every passage is not
    # joined with the model's vectors again (0.16-0.18 s at 100k synthetic articles, bench/RESULTS.md, "one
    # fingerprint of the passages a build").
    fingerprint = passages
    # For the same reason the stages that read passages with their vectors need not check that each has one
    # (``all_embedded``).
    report.frames, report.assigned_passages, report.total_passages, report.frames_skipped = frames_stage(
        store, key, settings, progress, recluster, fingerprint=fingerprint, all_embedded=True)
    report.seconds["frames"] = round(time.perf_counter() - started, 2)
    started = time.perf_counter()
    report.seeded_frames, _ = seeded_stage(store, key, get_encoder, settings, progress, refit=refit_seeds,
                                           fingerprint=fingerprint, all_embedded=True)
    report.notes.extend(missing_seeds_notes(store, settings))
    report.notes.extend(stale_rule_notes(store))
    report.seconds["seeded"] = round(time.perf_counter() - started, 2)
    # Cues, then stance (which reads them), before lineage: lineage reads only the articles that carry a frame.
    started = time.perf_counter()
    cues_stage(store, progress, chunk=CUE_CHUNK)
    report.rebuttals, _ = stance_stage(store, progress, chunk_rows=FRAME_CHUNK or chunks.frames)
    report.seconds["stance"] = round(time.perf_counter() - started, 2)
    started = time.perf_counter()
    report.flagged_dates, _ = onsets_stage(store, progress)
    report.seconds["onsets"] = round(time.perf_counter() - started, 2)
    started = time.perf_counter()
    report.lineage_edges, _ = lineage_stage(store, key, progress, chunk_rows=FRAME_CHUNK or chunks.frames,
                                            all_embedded=True)
    report.seconds["lineage"] = round(time.perf_counter() - started, 2)
    started = time.perf_counter()
    report.new_evidence, _ = evidence_stage(store, key, settings, progress, chunk_rows=FRAME_CHUNK or chunks.frames,
                                             all_embedded=True)
    report.seconds["evidence"] = round(time.perf_counter() - started, 2)
    return report


def build(db: str | Path, settings: Settings, encoder: Encoder | None = None, progress: Progress = no_progress,
          recluster: bool = False, engine: str = "local", address: str | None = None, *,
          refit_seeds: bool = False) -> BuildReport:
    """Run every stage on what is not built yet; ``recluster`` rebuilds the discovered frames from scratch;
    ``refit_seeds`` fits the seeded frames' learned rules again; ``engine`` says where the embedding runs (see
    ``run_stages``)."""
    with Store.write(db, memory_budget=settings.memory_budget) as store:
        report = run_stages(store, settings, encoder, progress, recluster, engine, address, refit_seeds=refit_seeds)
    started = time.perf_counter()
    report.index = refresh_index(db, report.model)
    report.seconds["index"] = round(time.perf_counter() - started, 2)
    return report


def refresh_index(db: str | Path, model: str) -> str:
    """Bring the nearest-neighbour index of ``model`` beside the published ``db`` up to date
    (:func:`app.ann.refresh`); the build is published already, so a failure here only leaves search on the
    exact scan, and says so."""
    from app import ann
    from app.store import StoreError

    try:
        # opened inside the guard too: the build is published, whatever happens to its index
        store = Store.open_read(db)
    except (OSError, StoreError) as exc:
        return f"not refreshed ({exc}); search scans every vector"
    try:
        return ann.refresh(store, db, model)
    except (OSError, RuntimeError, ValueError) as exc:  # (a StoreError is a RuntimeError)
        try:
            ann.remove(db, model)
        except OSError:
            pass  # a stale index is never loaded: its fingerprint no longer matches the vectors
        return f"not refreshed ({exc}); search scans every vector"
    finally:
        store.close()


def build_sample(db, **settings) -> Path:
    """The bundled sample ingested and built into ``db`` in one write (what the dashboard's first start
    does, without its progress bar, with the sample's seeded frames unless ``frames_file`` is given);
    ``settings`` override the defaults (``model="hashing-384"``...)."""
    from app.config import SAMPLE_PATH, SAMPLE_SEEDS, load_settings
    from app.ingest import ingest_sample

    s = load_settings(env={}, db=db, **{"frames_file": SAMPLE_SEEDS, **settings})
    with Store.write(db, f"ingest {SAMPLE_PATH}", memory_budget=s.memory_budget) as store:
        ingest_sample(store, SAMPLE_PATH, s.max_article_chars)
        run_stages(store, s)
    return Path(db)
