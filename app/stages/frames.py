"""The stage that makes discovered frames (clustering the passages); a user's seeded frames are
``app.stages.seeded``.

The rules they apply live in ``app.frames``: discovery, incremental joining, stable ids, labels, seeds,
and the tables written. These functions read the store, run those rules and write what they return.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from app.config import Settings
from app.frames import anchoring, discover, label_clusters, typical_anchoring
from app.frames.discovery import sentence_keys, without_sentences
from app.frames.identity import comparable_frames, match_old_frames, number_clusters, splits_and_merges
from app.frames.incremental import can_join_existing, fresh_passages, headlines_join_leads, join_nearest
from app.frames.labels import normalise, taken_labels
from app.frames.seeded import SeedError, load_seeds
from app.frames.stories import number_stories, story_groups
from app.frames.templates import FURNITURE_REPEAT, QUOTE_VARIANTS, Templates, shape_rows, templates_of
from app.frames.templates import RULE_VERSION as TEMPLATE_RULE
from app.frames.tables import (article_frames, cluster_assignments, discovered_frames, empty_article_frames,
                               empty_frames, empty_passage_frames, exemplars)
from app.stages.common import Progress, no_progress
from app.stages.passages import chunk_sizes
from app.store import Store
from app.widgets import blank_widgets


def frames_stage(store: Store, encoder_key: str, settings: Settings, progress: Progress = no_progress,
                 recluster: bool = False, fingerprint: str | None = None,
                 all_embedded: bool = False) -> tuple[int, int, int, bool]:
    """Frames over every embedded passage; skipped when nothing changed since the last run.

    With the same discovery settings as last time, the passages of newly ingested articles join the
    existing frames (whose centres and members stay as they are) and only the rest of them are
    clustered, for new frames; only those passages are read, with the corpus figures kept from earlier
    runs (:func:`_update_figures`), and only their memberships are written. A changed setting, a new model
    or ``recluster`` rebuilds every frame from scratch; frames still there keep their ids either way, also
    across another form of the same model (float, int8, another int8 recipe: see ``vector_space``), whose
    centres are comparable.

    ``fingerprint``: :meth:`Store.passage_fingerprint` of ``encoder_key`` as it is now, when the caller has it
    (it scans every passage: a build takes it once for this stage and the seeded one, as the fingerprint of
    every passage, which is the same once the embed stage has run). ``all_embedded``: the caller knows that every
    passage's text has a vector under ``encoder_key`` (a build, after its embed stage), so the passages read are
    not checked against the vectors.

    Returns (frames, assigned passages, passages, skipped)."""
    discovery = {
        "model": encoder_key,
        "threshold": settings.frame_threshold,
        "iterations": settings.discovery_iterations,
        "max_clusters": settings.max_clusters,
        "min_articles": settings.min_frame_articles,
        "min_outlets": settings.min_frame_outlets,
        "min_anchoring": settings.min_frame_anchoring,
        "merge_threshold": settings.frame_merge_threshold,
        "fragment_threshold": settings.frame_fragment_threshold,
        "fragment_days": settings.frame_fragment_days,
        "shared_share": settings.frame_shared_share,
        "shared_sentences": settings.frame_shared_sentences,
        "title_threshold": settings.frame_title_threshold,
        "template_min_outlets": settings.template_min_outlets,
        "template_rule": TEMPLATE_RULE,
        "match_threshold": settings.frame_match_threshold,
    }
    params = {**discovery, "story_threshold": settings.story_threshold,
              "fingerprint": fingerprint or store.passage_fingerprint(encoder_key)}
    last = store.last_run("frames")
    if last is not None and last["parameters"] == params and not recluster:
        counts = last["counts"]
        return counts.get("frames", 0), counts.get("assigned", 0), counts.get("passages", 0), True
    # Frames a user merged or retired keep their ids too.
    old = comparable_frames(store.frames(edited=True), encoder_key)
    incremental = can_join_existing(last, discovery, old, recluster)
    progress("frames", 0, 3)
    run_id = store.start_run("frames", params)
    chunk = chunk_sizes(settings).vectors
    embedded = int(params["fingerprint"].split(":", 1)[0])  # the passages embedded under the model
    figures = None
    if incremental:
        # An update reads only the new articles' passages; the corpus figures come from what is kept of the rest.
        fresh_articles = store.articles_ingested_after(last["started_at"])
        passages, vectors = store.passage_vectors(encoder_key, with_text=True, chunk=chunk,
                                                  articles=sorted(fresh_articles), all_embedded=all_embedded)
        figures = _update_figures(store, encoder_key, passages, vectors, embedded, settings.template_min_outlets)
    if figures is None:
        passages, vectors = store.passage_vectors(encoder_key, with_text=True, chunk=chunk, all_embedded=all_embedded)
        if len(passages) == 0:
            store.save_frames(empty_frames(), empty_passage_frames(), empty_article_frames(),
                              _active_discovered(store), run_id)
            store.finish_run(run_id, {"frames": 0, "assigned": 0, "passages": 0})
            return 0, 0, 0, False
        figures = _whole_figures(store, encoder_key, passages, vectors, settings.template_min_outlets)
    anchor, typical, mean, templates = figures
    passages = passages.drop(columns="text")

    assignments = empty_passage_frames()
    to_cluster = np.arange(len(passages))
    joined = 0
    if incremental:
        # Existing frames keep their members; new passages join the nearest frame when close enough.
        assignments = store.discovered_assignments(encoder_key)
        fresh = fresh_passages(passages, fresh_articles, assignments["passage_id"])
        fresh = fresh[~templates.mask[fresh]]
        joined_existing, near = join_nearest(vectors[fresh], passages["passage_id"].to_numpy()[fresh], old,
                                             settings.frame_threshold)
        if settings.frame_title_threshold <= 1:
            leads = _title_leads(store, passages.iloc[fresh].reset_index(drop=True), sorted(fresh_articles))
            joined_existing, near, _ = headlines_join_leads(
                vectors[fresh], passages["passage_id"].to_numpy()[fresh], old, joined_existing, near, leads,
                settings.frame_title_threshold)
        joined = int(near.sum())
        to_cluster = fresh[~near]
    clustered = passages.iloc[to_cluster].reset_index(drop=True)
    # Every passage is clustered in a full run: the matrix itself is passed, not a copy of every row of it.
    every = len(to_cluster) == len(vectors) and bool((to_cluster == np.arange(len(vectors))).all())
    found = discover(vectors if every else vectors[to_cluster], clustered["text_hash"].to_numpy(),
                     clustered["article_id"].to_numpy(),
                     clustered["outlet_id"].to_numpy(), threshold=settings.frame_threshold,
                     iterations=settings.discovery_iterations, max_clusters=settings.max_clusters,
                     min_articles=settings.min_frame_articles, min_outlets=settings.min_frame_outlets,
                     min_anchoring=settings.min_frame_anchoring, merge_threshold=settings.frame_merge_threshold,
                     fragment_threshold=settings.frame_fragment_threshold, anchor=anchor[to_cluster],
                     typical=typical, template=templates.mask[to_cluster], mean=mean,
                     times=clustered["published_at"].to_numpy(), fragment_days=settings.frame_fragment_days,
                     sentences_of=lambda rows: [sentence_keys(blank_widgets(text)) for text in
                                                _texts(store, clustered["passage_id"].to_numpy()[rows])],
                     shared_share=settings.frame_shared_share, shared_min=settings.frame_shared_sentences,
                     title_leads=_title_leads(store, clustered, sorted(fresh_articles) if incremental else None)
                     if settings.frame_title_threshold <= 1 else None, title_threshold=settings.frame_title_threshold)
    del vectors
    progress("frames", 1, 3)
    n_clusters = len(found.centroids)
    matched = match_old_frames(found.centroids, old, incremental=incremental,
                               match_threshold=settings.frame_match_threshold,
                               merge_threshold=settings.frame_merge_threshold)
    unmatched = [cluster for cluster in range(n_clusters) if cluster not in matched]
    frame_ids = number_clusters(n_clusters, matched, store.new_frame_ids(len(unmatched)))
    placed = pd.concat([joined_existing, cluster_assignments(clustered, found.labels, found.scores, frame_ids)],
                       ignore_index=True) if incremental else \
        cluster_assignments(clustered, found.labels, found.scores, frame_ids)
    placed = placed.merge(passages[["passage_id", "article_id", "published_at"]], on="passage_id")
    assignments = pd.concat([assignments, placed], ignore_index=True) if incremental else placed

    # Labels and exemplars for the frames this run made; existing frames keep theirs when incremental.
    labelled = unmatched if incremental else list(range(n_clusters))
    text_row_ids = clustered["passage_id"].to_numpy()[found.rows]  # a passage of each distinct text

    text_frame = found.labels[found.rows]

    def texts_of(rows: np.ndarray) -> list[str]:
        # Labels are read with page widgets blank (app.widgets): another story's headlines in a related-links box
        # are no phrase of this frame's. A frame merged from pieces that repeat the same supporting sentences is
        # not named by those sentences (the background its tellings share), but by what its passages say around
        # them.
        texts = [blank_widgets(text) for text in _texts(store, text_row_ids[rows])]
        if found.linking:
            texts = [without_sentences(text, found.linking.get(int(frame), ()))
                     for text, frame in zip(texts, text_frame[rows])]
        return texts

    phrases = label_clusters(texts_of, found.labels[found.rows], settings.label_phrases,
                             scores=found.scores[found.rows],
                             taken=taken_labels(store.frames(), old if incremental else None)
                             | _seed_names(settings)) if labelled else {}
    progress("frames", 2, 3)
    exemplar_of = exemplars(assignments)
    exemplar_texts = store.passage_texts([exemplar_of.loc[frame_ids[cluster]] for cluster in labelled])
    frame_table = discovered_frames(labelled, frame_ids, found.centroids, phrases, exemplar_of, exemplar_texts,
                                    encoder_key, kept=old if incremental else None)
    retired = sorted(set(_active_discovered(store)) - set(frame_table["frame_id"].astype(int)))
    old_stories = store.story_members()
    if incremental and not retired:
        # Only the new passages were placed: their rows are added, and only the frames they made or joined are
        # written again (an older article gains no passage, so its rows stand).
        touched = set(placed["frame_id"].astype(int))
        store.save_frames(frame_table[frame_table["frame_id"].astype(int).isin(touched)],
                          placed[["passage_id", "frame_id", "score"]].astype({"score": "float32"}),
                          article_frames(placed), retired, run_id,
                          untouched=sorted(set(frame_table["frame_id"].astype(int)) - touched))
    else:
        store.save_frames(frame_table, assignments[["passage_id", "frame_id", "score"]].astype({"score": "float32"}),
                          article_frames(assignments), retired, run_id)
    for record in splits_and_merges(found.centroids, [frame_ids[cluster] for cluster in range(n_clusters)],
                                    set(matched.values()), old, retired, settings.frame_match_threshold):
        store.record_history(record.frame_ids, run_id, record.event, record.other_ids, record.detail)
    stories = save_stories(store, frame_table, assignments, old_stories, settings.story_threshold, run_id)
    counts = {**found.counts, "templates": templates.shapes, "furniture_shapes": templates.furniture,
              "quote_shapes": templates.quotes,
              "template_texts": templates.texts,
              "template_passages": int(templates.mask.sum()) if templates.passages is None else templates.passages,
              "stories": stories,
              "mode": "incremental" if incremental else "full", "joined_existing": joined,
              "considered": int(len(to_cluster) + joined),
              "new_frames": len(unmatched), "frames": len(frame_table), "assigned": int(len(assignments)),
              "passages": embedded, "read": int(len(passages)), "retired": len(retired)}
    store.finish_run(run_id, counts)
    progress("frames", 3, 3)
    return len(frame_table), int(len(assignments)), embedded, False


def _title_leads(store: Store, clustered: pd.DataFrame, articles: list[str] | None) -> np.ndarray:
    """Per row of ``clustered``: for a headline, the row of its article's lead (the passage after the headline:
    a headline is always an article's first passage), else -1 (also when the lead is not among the rows)."""
    ids = pd.Index(clustered["passage_id"])
    titles = [p for p in store.title_passages(articles) if p in ids]
    out = np.full(len(clustered), -1, dtype=np.int64)
    if not titles:
        return out
    leads = ids.get_indexer([p.rsplit(":", 1)[0] + ":1" for p in titles])
    at = ids.get_indexer(titles)
    out[at[leads >= 0]] = leads[leads >= 0]
    return out


def _texts(store: Store, passage_ids: np.ndarray) -> list[str]:
    """The texts of the given passages, in their order."""
    known = store.passage_texts(passage_ids.tolist())
    return [known[p] for p in passage_ids.tolist()]


def _shapes(store: Store, passages: pd.DataFrame) -> pd.DataFrame:
    """The template shapes of ``passages`` (needs ``passage_id`` and ``text``) in their order: those kept, and
    the others made now."""
    kept = store.passage_shapes(passages["passage_id"].tolist())
    kept = kept[kept["rule"] == TEMPLATE_RULE].set_index("passage_id")  # a shape of an earlier rule: made again
    missing = ~passages["passage_id"].isin(kept.index).to_numpy()
    made = shape_rows(passages["text"].to_numpy()[missing]).set_index(passages["passage_id"].to_numpy()[missing])
    made["rule"] = TEMPLATE_RULE
    return pd.concat([kept, made]).reindex(passages["passage_id"].to_numpy()).rename_axis("passage_id").reset_index()


def _whole_figures(store: Store, model: str, passages: pd.DataFrame, vectors: np.ndarray, min_outlets: int):
    """The corpus figures discovery uses, from every passage: each passage's anchoring in its article, their
    median (the boilerplate bar), the mean vector (which the fragment merge subtracts) and the template rule's
    verdicts; they are kept (replacing those of the model) for the updates that follow."""
    anchor = anchoring(vectors, passages["article_id"].to_numpy())
    shapes = _shapes(store, passages).assign(outlet_id=passages["outlet_id"].to_numpy())
    # Templates (the same sentence with other names, across outlets) are set aside before anything joins.
    templates = templates_of(shapes.assign(outlet=passages["outlet_id"].to_numpy()), min_outlets=min_outlets)
    store.save_passage_figures(model, pd.DataFrame({"passage_id": passages["passage_id"], "anchoring": anchor}),
                               shapes, len(vectors), vectors.sum(axis=0, dtype=np.float64), replace=True)
    return anchor, typical_anchoring(anchor), vectors.mean(axis=0), templates


def _update_figures(store: Store, model: str, passages: pd.DataFrame, vectors: np.ndarray, embedded: int,
                    min_outlets: int):
    """The corpus figures of :func:`_whole_figures` for an update that read only the new articles' passages:
    their anchorings and shapes are made and kept with the others (an article's passages all arrive with it, so
    an anchoring never changes), the median is taken over every kept anchoring, the mean from the kept vector
    sum, and the template rule is applied over every kept shape inside the database. None when what is kept
    does not cover every other passage of the model (a database from before this, or another model's first
    update): the caller then reads every passage."""
    kept = store.vector_sum(model)
    if kept is None:
        return None
    counted = store.anchored_passages(model, passages["passage_id"].tolist())
    new = ~passages["passage_id"].isin(counted).to_numpy()
    kept_count, kept_anchors = store.stored_anchoring(model)
    if kept_count + int(new.sum()) != embedded:
        return None
    anchor = anchoring(vectors, passages["article_id"].to_numpy()) if len(passages) else np.zeros(0, np.float32)
    shapes = _shapes(store, passages).assign(outlet_id=passages["outlet_id"].to_numpy())
    summed, total = kept
    added = vectors[new].sum(axis=0, dtype=np.float64) if len(vectors) else np.zeros(len(total))
    store.save_passage_figures(model, pd.DataFrame({"passage_id": passages["passage_id"][new],
                                                    "anchoring": anchor[new]}),
                               shapes, int(new.sum()), added, replace=False)
    # The kept anchorings and sum, with this update's added: what the tables now hold.
    every = np.concatenate([kept_anchors, anchor[new]])
    mean = ((total + added) / max(summed + int(new.sum()), 1)).astype(np.float32)
    if min_outlets > 0:
        found = store.template_shapes(min_outlets, FURNITURE_REPEAT, QUOTE_VARIANTS, TEMPLATE_RULE)
        is_quote = found["quoted"].to_numpy(dtype=bool)
        plain, quoted = found[~is_quote], found[is_quote]
        mask = shapes["shape"].isin(plain["shape"]).to_numpy() & (shapes["judged"].to_numpy(dtype=bool)
                                                                   | shapes["short"].to_numpy(dtype=bool))
        mask |= shapes["quote_shape"].isin(quoted["shape"]).to_numpy()
        templates = Templates(mask, int(len(found)), int(found["variants"].sum()),
                              store.template_passages(plain["shape"].tolist(), quoted["shape"].tolist(),
                                                      TEMPLATE_RULE),
                              int(found["furniture"].sum()), int(len(quoted)))
    else:
        templates = Templates(np.zeros(len(passages), dtype=bool), 0, 0)
    return anchor, typical_anchoring(every), mean, templates


def save_stories(store: Store, frame_table: pd.DataFrame, assignments: pd.DataFrame, old: dict[int, set[int]],
                 threshold: float, run_id: int) -> int:
    """Group this run's discovered frames into stories (``app.frames.stories``), keep the ids of the stories
    found again, and write them; returns the number of stories."""
    frame_ids = frame_table["frame_id"].astype(int).tolist()
    centroids = np.stack(frame_table["centroid"].tolist()) if frame_ids else np.zeros((0, 1), np.float32)
    groups = story_groups(centroids, assignments[["article_id", "frame_id"]], frame_ids, threshold=threshold)
    story_of, retired = number_stories(groups, frame_ids, old, store.new_story_ids)
    store.save_stories(story_of, retired, run_id)
    return len(set(story_of.values()))


def _seed_names(settings: Settings) -> set[str]:
    """The names in the seeds file, which discovered labels must not repeat, also before the seeded stage has
    made their frames (a first build); a seeds file that cannot be read is the seeded stage's to report."""
    try:
        return {normalise(seed.name) for seed in load_seeds(settings.frames_file, reviewed=False)}
    except (SeedError, OSError):
        return set()


def _active_discovered(store: Store) -> list[int]:
    """Ids of the discovered frames now active."""
    frames = store.frames()
    return frames[frames["kind"] == "discovered"]["frame_id"].tolist() if len(frames) else []
