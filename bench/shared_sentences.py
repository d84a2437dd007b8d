"""What the shared-sentences merge (``app.frames.discovery.shared_sentences``) costs and finds on a built database.

    python bench/shared_sentences.py --db PATH [--share 0.25] [--sentences 2] [--pairs N]

Takes the database's active discovered frames as the groups (each distinct passage text in its frame), reads
their texts in chunks, keys their sentences (``sentence_keys``, page widgets blank, as the frames stage does)
and runs the merge with the given bounds. Prints the time of each part, how many groups it would merge, and the
N pairs of frames sharing the most sentences with their shares (whether or not they reach the bounds), so the
margin to the bounds can be read. In a build the merge runs on the groups before frames are numbered, so the
figures here are of the same rule on the frames one step later.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.frames.discovery import GENERIC_GROUPS, sentence_keys, shared_sentences  # noqa: E402
from app.store import Store  # noqa: E402
from app.widgets import blank_widgets  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", type=Path, required=True)
    ap.add_argument("--share", type=float, default=0.25)
    ap.add_argument("--sentences", type=int, default=2)
    ap.add_argument("--pairs", type=int, default=10)
    args = ap.parse_args()
    store = Store.open_read(args.db)
    try:
        t0 = time.perf_counter()
        members = store.query(
            """SELECT min(pf.passage_id) AS passage_id, pf.frame_id
               FROM resolved_passage_frames pf JOIN frames f USING (frame_id) JOIN passages p USING (passage_id)
               WHERE f.kind = 'discovered' AND f.status = 'active'
               GROUP BY pf.frame_id, p.text_hash ORDER BY pf.frame_id, passage_id""")
        frames = np.unique(members["frame_id"].to_numpy())
        text_group = np.searchsorted(frames, members["frame_id"].to_numpy())
        ids = members["passage_id"].to_numpy()
        t_members = time.perf_counter() - t0
        timing = {"read": 0.0, "key": 0.0}
        cache: dict[int, np.ndarray] = {}

        def keys_of(idx: np.ndarray) -> list[np.ndarray]:
            t = time.perf_counter()
            texts = store.passage_texts(ids[idx].tolist())
            timing["read"] += time.perf_counter() - t
            t = time.perf_counter()
            out = [sentence_keys(blank_widgets(texts[p])) for p in ids[idx].tolist()]
            timing["key"] += time.perf_counter() - t
            cache.update(zip(idx.tolist(), out))
            return out

        t1 = time.perf_counter()
        group = shared_sentences(text_group, keys_of, args.share, args.sentences)
        t_merge = time.perf_counter() - t1
        # The pairs sharing the most sentences (from the keys read above), with the share of each frame's texts
        # holding one of them.
        by_group_key = defaultdict(set)
        holders = defaultdict(set)
        for t, keys in cache.items():
            for k in keys.tolist():
                by_group_key[(int(text_group[t]), k)].add(t)
                holders[k].add(int(text_group[t]))
        shared = defaultdict(set)
        for k, groups in holders.items():
            if 2 <= len(groups) <= GENERIC_GROUPS:
                g = sorted(groups)
                for i in range(len(g)):
                    for j in range(i + 1, len(g)):
                        shared[(g[i], g[j])].add(k)
        sizes = np.bincount(text_group, minlength=len(frames))
        top = []
        for (a, b), ks in sorted(shared.items(), key=lambda kv: -len(kv[1]))[: args.pairs]:
            share = [len(set().union(*(by_group_key.get((g, k), set()) for k in ks))) / sizes[g] for g in (a, b)]
            top.append({"frames": [int(frames[a]), int(frames[b])], "shared": len(ks),
                        "shares": [round(x, 2) for x in share]})
    finally:
        store.close()
    print(json.dumps({"db": str(args.db), "frames": len(frames), "texts": int(len(ids)),
                      "bounds": {"share": args.share, "sentences": args.sentences},
                      "seconds": {"members": round(t_members, 2), "read_texts": round(timing["read"], 2),
                                  "key_sentences": round(timing["key"], 2),
                                  "merge_total": round(t_merge, 2)},
                      "pairs_sharing_a_sentence": len(shared),
                      "groups_merged": int(len(frames) - (group.max() + 1 if len(group) else 0)),
                      "top_pairs": top}, indent=1))


if __name__ == "__main__":
    main()
