"""Stories: the event or topic a set of frames belongs to, one level above frames.

Frames are ways of telling; a story is what they tell about ("Kestrian troops in Lessen's war", "the
Singapore summit"). The likeness of two frames is the larger of

* the cosine of their raw centres (not centred: here the shared subject is what counts), and
* the articles telling both, as a share of the smaller frame's articles (an article telling two framings
  of one event ties them);

stories are the groups of average-link agglomeration over that likeness, stopped at ``threshold`` (looser
than the frames' own threshold). Average link, not single link, so one busy frame sharing a few articles
with everything does not chain the whole coverage into one story.

Cost: pairs of frames (centres, and articles by frame through a sparse product), never pairs of passages.

Story ids are stable the way frame ids are, but through the frames, whose ids are already stable: a story
keeps the id of the earlier story holding most of its frames, when the frames they share are at least half
of either; each earlier story gives its id once (to the story sharing most frames with it). A story that
matches none gets a fresh id from a sequence (ids are never reused); an earlier story that no story took
is retired.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import sparse


def story_groups(centroids: np.ndarray, article_frames: pd.DataFrame, frame_ids: list[int], *,
                 threshold: float) -> np.ndarray:
    """Story index per frame (in the order of ``frame_ids``, rows of ``centroids``).

    ``article_frames`` has one row per (article_id, frame_id)."""
    n = len(frame_ids)
    if n < 2:
        return np.zeros(n, dtype=np.int64)
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import squareform

    c = np.asarray(centroids, dtype=np.float64)
    c /= np.maximum(np.linalg.norm(c, axis=1, keepdims=True), 1e-12)
    similarity = np.maximum(c @ c.T, shared_articles(article_frames, frame_ids))
    np.fill_diagonal(similarity, 1.0)
    distances = squareform(np.clip(1 - similarity, 0, 2), checks=False)
    groups = fcluster(linkage(distances, "average"), 1 - threshold, "distance")
    _, labels = np.unique(groups, return_inverse=True)
    return labels.astype(np.int64)


def shared_articles(article_frames: pd.DataFrame, frame_ids: list[int]) -> np.ndarray:
    """Frames x frames: the articles telling both, as a share of the smaller frame's articles."""
    n = len(frame_ids)
    position = {f: i for i, f in enumerate(frame_ids)}
    af = article_frames[article_frames["frame_id"].isin(position)].drop_duplicates(["article_id", "frame_id"])
    if len(af) == 0:
        return np.zeros((n, n))
    _, article = np.unique(af["article_id"].to_numpy(), return_inverse=True)
    frame = af["frame_id"].map(position).to_numpy()
    m = sparse.csr_matrix((np.ones(len(af)), (frame, article)), shape=(n, int(article.max()) + 1))
    both = (m @ m.T).toarray()
    sizes = np.diag(both).copy()
    return both / np.maximum(np.minimum.outer(sizes, sizes), 1)


def match_stories(new: list[set[int]], old: dict[int, set[int]]) -> dict[int, int]:
    """{index of a new story: id of the earlier story it is}, by the frames they share (module docstring).

    ``new``: the frame ids of each story found now; ``old``: story id -> its frame ids before."""
    pairs = []
    for i, frames in enumerate(new):
        for story_id, before in old.items():
            common = len(frames & before)
            if common and (2 * common >= len(frames) or 2 * common >= len(before)):
                pairs.append((common, -len(before), i, story_id))
    pairs.sort(key=lambda p: (-p[0], p[1], p[2], p[3]))
    taken_new, taken_old, out = set(), set(), {}
    for _, _, i, story_id in pairs:
        if i in taken_new or story_id in taken_old:
            continue
        out[i] = story_id
        taken_new.add(i)
        taken_old.add(story_id)
    return out


def number_stories(groups: np.ndarray, frame_ids: list[int], old: dict[int, set[int]],
                   new_ids) -> tuple[dict[int, int], list[int]]:
    """{frame id: story id} for this run's frames, and the earlier story ids no longer found.

    ``new_ids`` is called with a count and returns that many fresh ids."""
    members = [set() for _ in range(int(groups.max()) + 1 if len(groups) else 0)]
    for frame_id, g in zip(frame_ids, groups):
        members[int(g)].add(int(frame_id))
    # Bigger stories choose first, so a story that split keeps its id in its larger part.
    order = sorted(range(len(members)), key=lambda i: (-len(members[i]), min(members[i])))
    matched = match_stories([members[i] for i in order], old)
    matched = {order[i]: story_id for i, story_id in matched.items()}
    fresh = iter(new_ids(sum(1 for i in order if i not in matched)))
    story_of_group = {i: matched[i] if i in matched else next(fresh) for i in order}
    retired = sorted(set(old) - set(matched.values()))
    return {int(f): story_of_group[int(g)] for f, g in zip(frame_ids, groups)}, retired


NO_STORY = "no story (seeded frames)"


def frames_by_story(frames: pd.DataFrame, stories: pd.DataFrame, frame_stories: pd.DataFrame) -> pd.DataFrame:
    """``frames`` (rows of a frame summary) grouped under their stories: stories busiest first (the order of
    ``stories``), frames busiest first within each; frames of no story (the user's seeded ones) first, as the
    frames the user asked about. Adds
    ``story_id`` (nullable) and ``story`` (the story's label, or ``NO_STORY``)."""
    out = frames.merge(frame_stories[["frame_id", "story_id"]], on="frame_id", how="left")
    out["story_id"] = out["story_id"].astype("Int64")
    rank = {int(story): i for i, story in enumerate(stories["story_id"])}
    label = dict(zip(stories["story_id"].astype(int), stories["label"]))
    known = out["story_id"].map(lambda s: pd.notna(s) and int(s) in rank)
    out["story_id"] = out["story_id"].where(known, pd.NA)
    out["story"] = [label[int(s)] if pd.notna(s) else NO_STORY for s in out["story_id"]]
    out["_rank"] = [rank[int(s)] if pd.notna(s) else -1 for s in out["story_id"]]
    out = out.sort_values(["_rank", "articles", "frame_id"], ascending=[True, False, True], kind="stable")
    return out.drop(columns="_rank").reset_index(drop=True)
