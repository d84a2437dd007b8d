"""The evidence ledger's matching, written for speed (items searched per gate in contiguous blocks, a frame's
state rebuilt from its stored items), against the rule written plainly: the same rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from app.evidence.cues import Cue
from app.evidence.ledger import (_ACTS, COLUMNS, STRONG, UNNAMED_DAYS, LedgerState, _gates, compatible, describe,
                                 frame_ledger, item_keys)

# Unnamed speakers (an office alone), named ones (two of them the same body written two ways), a commentator.
SOURCES = ["the army", "the ministry", "a spokesman", "Anika Vos, an analyst", "Lessen's army",
           "Lessen's Defence Intelligence Directorate", "Defence Minister Karl Berg", "Kestria's foreign ministry"]
MATERIAL = ["video", "satellite", "document", "photo"]


def _cues(rng: np.random.Generator) -> list[Cue]:
    """A random passage's cues: material, sources on the record or not, denials, unnamed sources, or none."""
    found = []
    for _ in range(int(rng.integers(0, 3))):
        kind = rng.choice(["material", "named", "anonymous", "denies"])
        if kind == "material":
            sub = str(rng.choice(MATERIAL))
            found.append(Cue("material", sub, 0, 5, sub, None))
        elif kind == "named":
            source = str(rng.choice(SOURCES))
            found.append(Cue("attribution", "named", 0, 5, f"{source} said", source))
        elif kind == "anonymous":
            found.append(Cue("attribution", "anonymous", 0, 5, "officials said", "anonymous"))
        else:
            source = str(rng.choice(SOURCES))
            found.append(Cue("stance", "denies", 0, 5, f"{source} denied", source))
    return found


def _frame(seed: int, n: int = 300, dim: int = 8):
    """A frame's passages (several per article, texts repeated, some articles copies), vectors drawn near a
    few centres so that paraphrases and distinct items both occur."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(6, dim))
    texts = [f"t{k}" for k in range(n // 2)]
    cues = {h: _cues(rng) for h in texts}
    vec_of = {h: centres[rng.integers(0, 6)] + rng.normal(scale=0.5, size=dim) for h in texts}
    articles = [f"a{k:03d}" for k in range(n // 4)]
    days = np.sort(rng.integers(0, 30, size=len(articles)))
    rows = []
    for i in range(n):
        a = int(rng.integers(0, len(articles)))
        h = str(rng.choice(texts))
        rows.append((f"{articles[a]}:{i}", articles[a], h, pd.Timestamp("2024-01-01") + pd.Timedelta(days=int(days[a])),
                     str(rng.choice(["own", "after", "about"]))))
    passages = pd.DataFrame(rows, columns=["passage_id", "article_id", "text_hash", "published_at", "scope"])
    vectors = np.stack([vec_of[h] for h in passages["text_hash"]]).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    copies = {articles[k]: articles[k - 1] for k in range(1, len(articles), 7)}
    return passages, vectors, cues, copies


def _plain_ledger(frame_id, passages, vectors, cues, copies, threshold):
    """The rule as first written: every earlier item sharing a gate is compared, in one product."""
    order = np.lexsort((passages["passage_id"].to_numpy(), passages["article_id"].to_numpy(),
                        passages["published_at"].to_numpy()))
    roots, item_vecs, item_root, item_gates, root_gates, root_days = [], [], [], [], [], []
    by_hash, by_article, out = {}, {}, []
    for i in order:
        p = passages.iloc[i]
        found = cues.get(p["text_hash"], [])
        keys, description = item_keys(found), describe(found)
        if not keys:
            continue
        kset = _gates(keys)
        root, sim, how = None, 1.0, ""
        if p["text_hash"] in by_hash:
            root, how = by_hash[p["text_hash"]], "same text"
        else:
            original = copies.get(p["article_id"])
            candidates = [j for j in by_article.get(original, []) if compatible(item_gates[j], kset)] if original else []
            if candidates:
                sims = np.stack([item_vecs[j] for j in candidates]) @ vectors[i]
                root, sim, how = item_root[candidates[int(sims.argmax())]], float(sims.max()), "copy"
            else:
                # Items sharing a gate; for an act with no speaker named, every item of that act; for an act by a
                # named speaker, also items of an unnamed speaker's act whose root it may repeat (its speaker's
                # words, or an unnamed root of the same week).
                day = p["published_at"].value / 86_400e9
                kinds = {g.partition("@")[0] for g in kset}
                bare = kset & set(_ACTS)

                def eligible(j):
                    # What the two share for sure: a kind of material, unnamed sources, a speaker's word.
                    sure = {g for g in kset if "@" in g or g.partition("@")[0] not in _ACTS}
                    if item_gates[j] & sure:
                        return True
                    # Otherwise one of the two may be another speaker: an unnamed speaker's act against any item
                    # of that act, a named speaker's against the act's unnamed speakers' items.
                    kinds_j = {g.partition("@")[0] for g in item_gates[j]}
                    if not (kinds_j & bare or any(g in kinds - bare for g in item_gates[j] if "@" not in g)):
                        return False
                    r = item_root[j]
                    named_here = not bare
                    named_root = not any(g in _ACTS for g in root_gates[r])
                    return compatible(root_gates[r], kset) and (
                        named_here == named_root or abs(day - root_days[r]) <= UNNAMED_DAYS)

                related = [j for j in range(len(item_root)) if eligible(j)]
                if related:
                    sims = np.stack([item_vecs[j] for j in related]) @ vectors[i]
                    best = int(sims.argmax())
                    if sims[best] >= threshold:
                        root, sim, how = item_root[related[best]], float(sims[best]), "paraphrase"
        kinds = {k.split(":", 1)[0] for k in keys}
        strength = "evidence" if kinds & set(STRONG) else "comment" if "comment" in kinds else "anonymous"
        if root is None:
            roots.append(p["passage_id"])
            root_gates.append(kset)
            root_days.append(p["published_at"].value / 86_400e9)
            root = len(roots) - 1
            by_hash.setdefault(p["text_hash"], root)
            out.append((frame_id, p["passage_id"], p["article_id"], p["published_at"], keys, strength, description,
                        True, None, None, "new", p["scope"]))
        else:
            out.append((frame_id, p["passage_id"], p["article_id"], p["published_at"], keys, strength, description,
                        False, roots[root], sim, how, p["scope"]))
        j = len(item_root)
        item_vecs.append(vectors[i])
        item_root.append(root)
        item_gates.append(kset)
        by_article.setdefault(p["article_id"], []).append(j)
    return pd.DataFrame(out, columns=COLUMNS)


def _same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    """Every column equal; the similarity to the float32 rounding of a product of another shape."""
    a, b = a.reset_index(drop=True), b.reset_index(drop=True)
    assert a.drop(columns="similarity").astype(str).equals(b.drop(columns="similarity").astype(str))
    np.testing.assert_allclose(a["similarity"].astype(float).fillna(-9), b["similarity"].astype(float).fillna(-9),
                               atol=1e-6)


@pytest.mark.parametrize("seed", range(6))
def test_the_fast_ledger_gives_the_rows_of_the_plain_rule(seed):
    passages, vectors, cues, copies = _frame(seed)
    for threshold in (0.5, 0.8, 0.95):
        fast = frame_ledger(3, passages, vectors, cues, copies, threshold)
        plain = _plain_ledger(3, passages, vectors, cues, copies, threshold)
        assert len(fast) > 50 and fast["how"].nunique() >= 3  # new, paraphrase, same text (and copies) all occur
        _same(fast, plain)


@pytest.mark.parametrize("seed", range(4))
def test_a_ledger_continued_from_its_stored_items_equals_one_read_whole(seed):
    """The ledger of the earlier passages, stored and read back, continued with the later ones: the rows of
    the later ones are those the whole frame read at once gives them."""
    passages, vectors, cues, copies = _frame(seed)
    cut = passages["published_at"].sort_values().iloc[len(passages) * 2 // 3]
    early = (passages["published_at"] < cut).to_numpy()
    whole = frame_ledger(3, passages, vectors, cues, copies, 0.8)
    first = frame_ledger(3, passages[early].reset_index(drop=True), vectors[early], cues, copies, 0.8)
    stored = first.merge(passages[["passage_id", "text_hash"]], on="passage_id")
    row_of = {p: i for i, p in enumerate(passages["passage_id"])}
    state = LedgerState.from_items(stored, vectors[[row_of[p] for p in stored["passage_id"]]])
    later = frame_ledger(3, passages[~early].reset_index(drop=True), vectors[~early], cues, copies, 0.8, state=state)
    assert len(later) > 20 and (~later["is_new"]).any()
    _same(pd.concat([first, later], ignore_index=True), whole)
    # The same from a matrix the items index into, as the store gives it (each text's vector once), the
    # items in another order.
    shuffled = stored.sample(frac=1, random_state=seed).reset_index(drop=True)
    shared = LedgerState.from_items(shuffled, vectors, np.array([row_of[p] for p in shuffled["passage_id"]]))
    again = frame_ledger(3, passages[~early].reset_index(drop=True), vectors[~early], cues, copies, 0.8, state=shared)
    _same(again, later)
