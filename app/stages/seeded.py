"""The seeded stage: a user's seeded frames (``app.frames.seeded``) matched against the passages.

A seed whose examples teach a rule (``app.frames.learned``) has it fitted when the seed or its examples
change (its *key*: the model, how passages combine, the labels and the examples' vectors) and kept, with the
key, in the store (``seed_rules``) until they do: a rule does not drift as the archive grows (its background
sample of passages is drawn at fitting time), so a seeded frame's old articles keep their place week after
week, and a rebuild of an unchanged seed gives the same frame.

An update that only added articles (the seeds, the model and the settings as the last run left them, the
passages then all still there, unchanged) matches the new articles' passages alone: a passage's match, an
article's gate and a learned rule's article score depend on that article alone. The frame's exemplar is the
stored one unless a new passage scores higher, and its review queue is the stored one merged with the new
articles' (the nearest to the boundary of both). Only the new passages and their vectors are read, so the
stage's time and memory follow the update, not the archive. Anything else (a seed edited, added or removed, a
passage changed or gone, another model) matches every passage again.

A seeds file that does not exist at all (not an empty one) while the database holds active seeded frames
retires none of them. The store does not keep the seeds themselves (a frame's phrases and example sentences
are one list there, without its min_passages or labelled examples), so the frames are kept exactly as they are,
with their matches, rules and review queues, no passage is matched against them, and no run is recorded: the
next build with the file decides as if this one had not run. The build says so in a note; an empty seeds file
retires them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from app.config import Settings
from app.fingerprints import passages_add_up
from app.frames.learned import DEFAULT_COMBINE, MIN_EACH, background_rows, fit_rule
from app.frames.seeded import (REVIEW_SIZE, STALE_GROWTH, Seed, boundary_queue, example_sets, literal_matches,
                               load_seeds, outgrown_rules, seed_frame, seed_frame_ids)
from app.frames.tables import SEEDED_FRAME_COLUMNS, article_frames, empty_article_frames
from app.ingest.normalize import canonical_url
from app.stages.common import Progress, no_progress
from app.stages.passages import chunk_sizes
from app.store import Store
from embeddings import Encoder

__all__ = ["kept_without_seeds", "merge_queues", "missing_seeds_notes", "rule_key", "seeded_stage"]


def seeded_stage(store: Store, encoder_key: str, get_encoder: Callable[[], Encoder], settings: Settings,
                 progress: Progress = no_progress, force: bool = False, refit: bool = False,
                 fingerprint: str | None = None, all_embedded: bool = False) -> tuple[int, bool]:
    """Match the passages against the seeded frames of ``settings.frames_file``: only the new articles'
    passages after an update that only added articles, else every passage (also with ``force``, which still
    keeps a learned rule whose seed is unchanged; ``refit`` fits every learned rule again, on a background
    drawn from the passages as they are now); returns (frames, skipped). Without a seeds file at all, the
    active seeded frames are kept as they are (``kept_without_seeds``): (0, True). ``fingerprint``: as for
    :func:`app.stages.frames.frames_stage`. ``all_embedded``: the caller knows that every passage's text has a vector
    under ``encoder_key`` (a build, after its embed stage), so the passages read are not checked against the
    vectors, and the new articles' passages are fingerprinted without a join with them."""
    if kept_without_seeds(store, settings):
        return 0, True
    seeds = load_seeds(settings.frames_file)
    params = {
        "model": encoder_key, "default_threshold": settings.seed_threshold,
        "default_min_passages": settings.seed_min_passages,
        "seeds": [seed.as_dict() for seed in seeds], "fingerprint": fingerprint or store.passage_fingerprint(encoder_key),
    }
    last = store.last_run("seeded")
    if not (force or refit) and last is not None and last["parameters"] == params:
        return last["counts"].get("frames", 0), True
    frames = store.frames(include_inactive=True)
    known_ids = seed_frame_ids(frames)
    active_seeded = frames[(frames["kind"] == "seeded") & (frames["status"] == "active")]["frame_id"].tolist() \
        if len(frames) else []
    run_id = store.start_run("seeded", params)
    progress("seeded", 0, len(seeds))
    new_ids = iter(store.new_frame_ids(sum(1 for seed in seeds if seed.name.lower() not in known_ids)))
    frame_ids = [known_ids[s.name.lower()] if s.name.lower() in known_ids else next(new_ids) for s in seeds]
    encoder = get_encoder() if seeds else None
    # Each labelled seed's examples and the key of its rule: a stored rule with the same key is kept.
    stored_rules = store.seed_rules() if seeds else {}
    examples, missing = {}, []
    for seed, frame_id in zip(seeds, frame_ids):
        if seed.labelled:
            sets, labels, not_found = example_sets(
                seed, encoder.encode, lambda url: store.passage_vectors_of_url(encoder_key, canonical_url(url)))
            missing += [f"{seed.name}: {url}" for url in not_found]
            examples[frame_id] = (sets, labels, rule_key(encoder_key, seed, sets, labels))
    to_fit = [f for f, (_, labels, key) in examples.items()
              if _can_learn(labels) and (refit or f not in stored_rules or stored_rules[f][0] != key)]
    fresh = None if force or to_fit else _update_of(store, encoder_key, last, params, seeds, frame_ids, frames,
                                                     all_embedded)
    if fresh is not None:
        passages, vectors = store.passage_vectors(encoder_key, chunk=chunk_sizes(settings).vectors,
                                                  articles=sorted(fresh), all_embedded=all_embedded)
    elif seeds:
        passages, vectors = store.passage_vectors(encoder_key, chunk=chunk_sizes(settings).vectors,
                                                  all_embedded=all_embedded)
    else:
        passages, vectors = None, None
    has_passages = passages is not None and len(passages) > 0
    kept = _kept_state(store, frame_ids, fresh) if fresh is not None else None
    rows, matches, article_rows, queues, learned, rules = [], [], [], [], 0, {}
    if has_passages:
        texts = passages["text"].tolist()
        passage_ids, article_ids = passages["passage_id"].to_numpy(), passages["article_id"].to_numpy()
    else:
        texts, passage_ids, article_ids = [], np.array([], dtype=object), np.array([], dtype=object)
    fitted_at = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)
    for i, (seed, frame_id) in enumerate(zip(seeds, frame_ids)):
        rule = None
        if frame_id in examples:
            sets, labels, key = examples[frame_id]
            if frame_id in to_fit:  # fitted on a background drawn from the passages as they are now
                rule = fit_rule(sets, labels, combine=seed.combine or DEFAULT_COMBINE,
                                background=vectors[background_rows(len(vectors))] if has_passages else None)
                if rule is not None:
                    rules[frame_id] = (key, rule, len(vectors) if has_passages else 0, fitted_at)
            elif _can_learn(labels):
                # the seed and its examples as when it was fitted, with the archive's size then
                _, rule, fitted_passages, when = stored_rules[frame_id]
                rules[frame_id] = (key, rule, fitted_passages, when)
            learned += rule is not None
        seed_vectors = encoder.encode(seed.texts) if seed.texts else \
            encoder.encode([e.text for e in seed.labelled if e.text and e.label == "in"] or [seed.name])
        seed_vectors = np.asarray(seed_vectors, dtype=np.float32)
        # The seed's phrases searched once, for its matches and its review queue.
        literal = literal_matches(texts, seed.phrases) if has_passages else np.zeros(0, dtype=bool)
        row, matched, articles = seed_frame(
            seed, seed_vectors, frame_id, texts=texts,
            vectors=vectors if has_passages else np.zeros((0, seed_vectors.shape[1]), np.float32),
            passage_ids=passage_ids, article_ids=article_ids, model=encoder_key,
            default_threshold=settings.seed_threshold, default_min_passages=settings.seed_min_passages,
            rule=rule, literal=literal)
        queue = _review_queue(seed_vectors, rule, frame_id, literal, vectors, passage_ids, article_ids,
                              row["threshold"]) if has_passages else _empty_queue(frame_id)
        if kept is not None:
            row = _keep_exemplar(row, matched, passages, kept["exemplars"].get(frame_id))
            queue = merge_queues(kept["queues"].get(frame_id), queue, row["threshold"], frame_id)
        rows.append(row)
        matches.append(matched)
        article_rows.append(article_frames(matched) if articles is None else articles)
        queues.append(queue)
        progress("seeded", i + 1, len(seeds))
    assignments = pd.concat(matches) if matches else pd.DataFrame(columns=["passage_id", "frame_id", "score", "match",
                                                                           "article_id"])
    retired = sorted(set(active_seeded) - {row["frame_id"] for row in rows})
    if fresh is not None:
        # What an interrupted run of this update may have written for these articles is written again.
        store.drop_seeded_rows_of(sorted(fresh))
    store.save_frames(pd.DataFrame(rows, columns=SEEDED_FRAME_COLUMNS),
                      assignments[["passage_id", "frame_id", "score", "match"]].astype(
                          {"frame_id": "int32", "score": "float32"}),
                      pd.concat(article_rows) if article_rows else empty_article_frames(), retired, run_id,
                      kind="seeded", untouched=[] if fresh is not None else None)
    store.save_seed_review(pd.concat(queues, ignore_index=True) if queues else pd.DataFrame())
    store.save_seed_rules(rules)
    # Examples whose url names no article are left out of the fitting and named here (`narratives status`).
    store.finish_run(run_id, {"frames": len(rows), "passages": store.count_seeded_matches(),
                              "retired": len(retired), "learned": learned, "fitted": len(to_fit),
                              "examples_not_found": missing, "mode": "update" if fresh is not None else "full",
                              "read": int(len(passages)) if passages is not None else 0})
    return len(rows), False


def kept_without_seeds(store: Store, settings: Settings) -> int:
    """The active seeded frames the seeded stage keeps as they are because ``settings.frames_file`` does not
    exist (0 when it exists, even empty: then a frame whose seed is not in it is retired)."""
    if Path(settings.frames_file).exists():
        return 0
    return store.count_active_seeded_frames()


def missing_seeds_notes(store: Store, settings: Settings) -> list[str]:
    """A line for the build's report when the seeded frames were kept for want of a seeds file."""
    kept = kept_without_seeds(store, settings)
    if not kept:
        return []
    file = settings.frames_file
    one = kept == 1
    it, its = ("it", "its") if one else ("them", "their")
    return [f"no seeds file at {file}: the database's {kept:,} seeded frame{'' if one else 's'} "
            f"{'is' if one else 'are'} kept as {'it was' if one else 'they were'}, and no passage is matched "
            f"against {it}; set frames_file to {its} seeds file to match {it}, or build with an empty {file} "
            f"to retire {it}"]


def rule_key(model: str, seed: Seed, sets: list[np.ndarray], labels: np.ndarray) -> str:
    """What a seed's learned rule is fitted from: the model, how passages combine, and each example's label and
    vectors (rounded, so an encoder's last-bit noise does not count). An example url that comes to name an
    article, or an article re-segmented, changes it."""
    h = hashlib.sha256(f"{model}|{seed.combine or DEFAULT_COMBINE}|{list(map(int, labels))}".encode())
    for vectors in sets:
        h.update(np.round(np.asarray(vectors, dtype=np.float32), 4).tobytes())
        h.update(b"|")
    return h.hexdigest()


def _can_learn(labels: np.ndarray) -> bool:
    labels = np.asarray(labels).astype(int)
    return int(labels.sum()) >= MIN_EACH and int((labels == 0).sum()) >= MIN_EACH


def _update_of(store: Store, encoder_key: str, last: dict | None, params: dict, seeds: list[Seed],
               frame_ids: list[int], frames: pd.DataFrame, all_embedded: bool = False) -> set[str] | None:
    """The articles ingested since the last run when this run only has to match them (the seeds, model and
    settings unchanged, every seed's frame there and active, every passage of the last run still there as it
    was); None when every passage is matched again. The caller has checked that no learned rule needs
    fitting. ``all_embedded``: as for :func:`seeded_stage` (the fingerprint of the new articles' passages is then
    that of their embedded passages)."""
    if last is None or not seeds:
        return None
    if {k: v for k, v in last["parameters"].items() if k != "fingerprint"} != \
            {k: v for k, v in params.items() if k != "fingerprint"}:
        return None
    status = dict(zip(frames["frame_id"].astype(int), frames["status"])) if len(frames) else {}
    if any(status.get(frame_id) != "active" for frame_id in frame_ids):
        return None
    fresh = store.articles_ingested_after(last["started_at"])
    added = store.passage_fingerprint(None if all_embedded else encoder_key, articles=sorted(fresh))
    if not passages_add_up(last["parameters"]["fingerprint"], added, params["fingerprint"]):
        return None
    return fresh


def _kept_state(store: Store, frame_ids: list[int], fresh: set[str]) -> dict:
    """What an update keeps of each seeded frame: its exemplar (passage, score, date, sentence) and review
    queue, less the ``fresh`` articles' entries (an interrupted run of the same update may have written them;
    they are decided again)."""
    queues = {f: q[~q["article_id"].isin(fresh)].reset_index(drop=True)
              for f, q in store.seed_review_rows(frame_ids).items()}
    return {"exemplars": store.seeded_exemplars(frame_ids), "queues": queues}


def _keep_exemplar(row: dict, matched: pd.DataFrame, passages: pd.DataFrame | None, stored: dict | None) -> dict:
    """The frame row with the stored exemplar kept unless a new passage beats it as a match over every passage
    would choose: the best score, then the first in publication order (date, then passage id)."""
    if stored is None:
        return row
    new_id = row["exemplar_passage_id"]
    if new_id is not None and passages is not None and len(passages):
        new_score = float(matched.loc[matched["passage_id"] == new_id, "score"].iloc[0])
        new_at = pd.Timestamp(passages.loc[passages["passage_id"] == new_id, "published_at"].iloc[0])
        old_at = pd.Timestamp(stored["published_at"])
        if new_score > stored["score"] or (new_score == stored["score"]
                                           and (new_at, new_id) < (old_at, stored["passage_id"])):
            return row
    return {**row, "exemplar_passage_id": stored["passage_id"], "exemplar_sentence": stored["sentence"]}


def merge_queues(stored: pd.DataFrame | None, new: pd.DataFrame, threshold: float, frame_id: int,
                 size: int = REVIEW_SIZE) -> pd.DataFrame:
    """A seeded frame's review queue after an update: the ``size`` articles nearest the boundary among the stored
    queue (the nearest of the earlier articles) and the new articles' own, nearest first, ties by article id, as
    ``boundary_queue`` over every article would give them."""
    columns = ["frame_id", "article_id", "passage_id", "score", "threshold", "matched"]
    parts = [p[columns] for p in (stored, new) if p is not None and len(p)]
    if not parts:
        return _empty_queue(frame_id)
    both = pd.concat(parts, ignore_index=True)
    distance = np.abs(both["score"].to_numpy(dtype=np.float64) - threshold)
    order = np.lexsort((both["article_id"].to_numpy(dtype=object).astype(str), distance))[:size]
    out = both.iloc[order].reset_index(drop=True)
    out["threshold"] = np.float32(threshold)
    return out


def _empty_queue(frame_id: int) -> pd.DataFrame:
    return pd.DataFrame({"frame_id": pd.Series(dtype="int64"), "article_id": pd.Series(dtype=object),
                         "passage_id": pd.Series(dtype=object), "score": pd.Series(dtype="float32"),
                         "threshold": pd.Series(dtype="float32"), "matched": pd.Series(dtype=bool)})


def _review_queue(seed_vectors, rule, frame_id, literal, vectors, passage_ids, article_ids, threshold):
    """The seeded frame's articles nearest its decision boundary (``app.frames.seeded.boundary_queue``);
    ``literal``: which passages hold one of the seed's phrases."""
    if rule is None:
        scores, per_article = (vectors @ seed_vectors.T).max(axis=1), None
    else:
        scores = rule.passage_scores(vectors)
        codes, owner = np.unique(article_ids, return_inverse=True)
        per_article = dict(zip(codes, rule.article_scores(vectors, owner, len(codes))))
    queue = boundary_queue(article_ids, passage_ids, scores, per_article, threshold, literal)
    queue.insert(0, "frame_id", frame_id)
    return queue


def stale_rule_notes(store: Store, growth: float = STALE_GROWTH) -> list[str]:
    """A line for each active seeded frame whose learned rule was fitted on an archive ``growth`` times smaller
    than now, with the command that fits it again."""
    return [f"seeded frame '{row.name}' (#{int(row.frame_id)}): its learned rule was fitted on "
            f"{int(row.fitted_passages):,} passages ({str(row.fitted_at)[:10]}); the archive now holds "
            f"{int(row.passages):,} ({row.passages / max(int(row.fitted_passages), 1):.1f}x). The rule is kept so "
            f"its earlier articles stay put; `narratives build --refit-seeds` fits it on the archive as it is now"
            for row in outgrown_rules(store.learned_rule_sizes(), growth).itertuples()]
