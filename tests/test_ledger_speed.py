"""The evidence ledger's matching, written for speed (items searched per gate in contiguous blocks, a frame's
state rebuilt from its stored items), against the rule written plainly: the same rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from app.evidence.cues import Cue
from app.evidence.ledger import (_ACTS, COLUMNS, STRONG, UNNAMED_DAYS, LedgerState, _gates, compatible, describe,
                                 frame_ledger, item_keys, later_queries, needed_items)

# Unnamed speakers (an office alone), named ones (two of them the same body written two ways), a commentator.
SOURCES = ["the army", "the ministry", "a spokesman", "Anika Vos, an analyst", "Lessen's army",
           "Lessen's Defence Intelligence Directorate", "Defence Minister Karl Berg", "Kestria's foreign ministry"]
MATERIAL = ["video", "satellite", "document", "photo"]


def _cues(rng: np.random.Generator, sources: list[str] = SOURCES) -> list[Cue]:
    """A random passage's cues: material, sources on the record or not, denials, unnamed sources, or none."""
    found = []
    for _ in range(int(rng.integers(0, 3))):
        kind = rng.choice(["material", "named", "anonymous", "denies"])
        if kind == "material":
            sub = str(rng.choice(MATERIAL))
            found.append(Cue("material", sub, 0, 5, sub, None))
        elif kind == "named":
            source = str(rng.choice(sources))
            found.append(Cue("attribution", "named", 0, 5, f"{source} said", source))
        elif kind == "anonymous":
            found.append(Cue("attribution", "anonymous", 0, 5, "officials said", "anonymous"))
        else:
            source = str(rng.choice(sources))
            found.append(Cue("stance", "denies", 0, 5, f"{source} denied", source))
    return found


def _frame(seed: int, n: int = 300, dim: int = 8, span: int = 30, sources: list[str] = SOURCES):
    """A frame's passages (several per article, texts repeated, some articles copies), vectors drawn near a
    few centres so that paraphrases and distinct items both occur; articles over ``span`` days."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(6, dim))
    texts = [f"t{k}" for k in range(n // 2)]
    cues = {h: _cues(rng, sources) for h in texts}
    vec_of = {h: centres[rng.integers(0, 6)] + rng.normal(scale=0.5, size=dim) for h in texts}
    articles = [f"a{k:03d}" for k in range(n // 4)]
    days = np.sort(rng.integers(0, span, size=len(articles)))
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


# Many speakers over two years: a week's items can find only a part of what a long frame holds.
MANY = SOURCES + [f"{office} {name}" for office in ("Defence Minister", "Senator", "Foreign Minister", "General")
                  for name in ("Karl Berg", "Jane Doe", "Hong Lei", "Anna Kov", "Ulric Sand", "Mira Tal")]


@pytest.mark.parametrize("seed", range(6))
def test_a_ledger_continued_from_the_stored_items_it_can_find_equals_one_continued_from_all(seed):
    """A stored ledger continued with later passages reads back only the items they may find
    (``needed_items``): the later rows are those of the state rebuilt from every stored item, and of the
    frame read whole, while far fewer items are read on a frame that spans years."""
    passages, vectors, cues, copies = _frame(seed, n=900, span=730, sources=MANY)
    days = passages["published_at"].sort_values()
    whole = frame_ledger(3, passages, vectors, cues, copies, 0.8)
    row_of = {p: i for i, p in enumerate(passages["passage_id"])}
    for share in (0.5, 0.97, 0.99):  # continued with half the frame, or with its last weeks
        early = (passages["published_at"] < days.iloc[int(len(days) * share)]).to_numpy()
        first = frame_ledger(3, passages[early].reset_index(drop=True), vectors[early], cues, copies, 0.8)
        stored = first.merge(passages[["passage_id", "text_hash"]], on="passage_id")
        later_passages = passages[~early].reset_index(drop=True)
        keep = needed_items(stored, *later_queries(later_passages, lambda h: item_keys(cues.get(h, [])), copies))
        subset = stored[keep].reset_index(drop=True)
        state = LedgerState.from_items(subset, vectors[[row_of[p] for p in subset["passage_id"]]])
        later = frame_ledger(3, later_passages, vectors[~early], cues, copies, 0.8, state=state)
        assert len(later) and (~later["is_new"]).any()
        _same(pd.concat([first, later], ignore_index=True), whole)
        if share == 0.5:
            assert (later["how"] == "paraphrase").any() and (later["how"] == "same text").any()
        else:
            assert keep.mean() < 0.9, keep.mean()  # the last weeks of two years need a part of what it holds


def test_the_stored_items_a_later_item_may_find_are_read_back():
    """Each way a later item reaches a stored one far back, with everything else unlike it: an unnamed
    speaker's statement that repeats a named speaker's (a later statement by that speaker finds it), a named
    statement days before a later unnamed one, and the article a later one copies. Each is read back, and a
    statement by another speaker of a year before is not."""
    day = pd.Timestamp("2024-01-01")
    e = np.eye(8, dtype=np.float32)

    def cue(source, act="named"):
        kind, verb = ("attribution", "said") if act == "named" else ("stance", "denied")
        return [Cue(kind, act, 0, 5, f"{source} {verb}", source)]

    cues = {"hong": cue("Foreign Ministry spokesman Hong Lei"), "ministry": cue("the ministry"),
            "berg": cue("Defence Minister Karl Berg"), "vos": cue("Foreign Minister Anna Kov", "denies"),
            "other": cue("Senator Jane Doe"), "later-hong": cue("spokesman Hong Lei"),
            "later-ministry": cue("the ministry"), "later-copy": cue("the ministry", "denies")}
    stored_rows = [  # passage, article, text, day, vector
        ("a1:0", "a1", "hong", 0, e[0]), ("a2:0", "a2", "ministry", 2, e[1]), ("a3:0", "a3", "vos", 5, e[2]),
        ("a4:0", "a4", "other", 30, e[3]), ("a5:0", "a5", "berg", 398, e[4])]
    later_rows = [("b1:0", "b1", "later-hong", 400, e[1]), ("b2:0", "b2", "later-ministry", 401, e[4]),
                  ("b3:0", "b3", "later-copy", 402, e[2])]
    copies = {"b3": "a3"}

    def frame(rows):
        passages = pd.DataFrame([(p, a, h, day + pd.Timedelta(days=d), "own") for p, a, h, d, _ in rows],
                                columns=["passage_id", "article_id", "text_hash", "published_at", "scope"])
        return passages, np.stack([v for *_, v in rows])

    early, early_vectors = frame(stored_rows)
    later, later_vectors = frame(later_rows)
    first = frame_ledger(1, early, early_vectors, cues, copies, 0.8)
    # the ministry's statement two days after Hong Lei's repeats it (orthogonal vectors: set the match by hand)
    stored = first.merge(early[["passage_id", "text_hash"]], on="passage_id")
    stored.loc[stored["passage_id"] == "a2:0", ["is_new", "repeat_of"]] = [False, "a1:0"]
    keep = needed_items(stored, *later_queries(later, lambda h: item_keys(cues.get(h, [])), copies))
    assert dict(zip(stored["passage_id"], keep)) == {"a1:0": True, "a2:0": True, "a3:0": True, "a4:0": False,
                                                      "a5:0": True}
    whole_state = LedgerState.from_items(stored, early_vectors)
    part = stored[keep].reset_index(drop=True)
    part_state = LedgerState.from_items(part, early_vectors[keep])
    rows = frame_ledger(1, later, later_vectors, cues, copies, 0.8, state=part_state)
    _same(rows, frame_ledger(1, later, later_vectors, cues, copies, 0.8, state=whole_state))
    assert rows[["passage_id", "repeat_of", "how"]].values.tolist() == [
        ["b1:0", "a1:0", "paraphrase"], ["b2:0", "a5:0", "paraphrase"], ["b3:0", "a3:0", "copy"]]
