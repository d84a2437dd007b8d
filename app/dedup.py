"""Syndicated and near-duplicate copies.

Two articles are copies when either

* they share most of their body paragraphs (Jaccard similarity of their sets
  of paragraph text hashes at least ``copy_threshold``; the hash ignores
  whitespace): the same wire story on twenty sites, with a new headline, a
  paragraph cut or a credit line added; paragraphs that appear in more than
  ``copy_max_group`` articles (publishers' boilerplate) are ignored; or
* their bodies' word 5-grams overlap (Jaccard at least ``near_copy_threshold``):
  lightly edited re-publications, where a changed word in every paragraph
  breaks every paragraph hash. Candidates come from MinHash signatures (64
  multiply-shift hashes, 16 bands of 4), so the cost grows with the number of
  articles, not their pairs; every candidate is checked on the exact 5-gram sets.
  Each body's signature is kept in the store (``body_signatures``): a later build
  hashes only the bodies it has not seen, and re-reads only candidates' bodies.

Copies are grouped transitively; the earliest article of a group (ties by id)
is the original, and every other article links to it with its similarity to
the original's group and how it was found.
"""

from __future__ import annotations

import re
import zlib
from collections import defaultdict

import numpy as np
import pandas as pd

SHINGLE = 5
BANDS, ROWS = 16, 4
_MULT = np.random.default_rng(20240301).integers(1, 2**63, size=BANDS * ROWS, dtype=np.uint64) | np.uint64(1)
_WORD = re.compile(r"\w+")
# A body with fewer distinct word 5-grams than this is too short to be called a near copy.
MIN_SHINGLES = 3
# How a stored signature was made: signatures made another way are made again (the copies stage compares it).
SCHEME = f"words{SHINGLE}-crc32-minhash{BANDS}x{ROWS}-20240301"


def shingles(text: str, k: int = SHINGLE) -> np.ndarray:
    """Sorted distinct 32-bit hashes of the text's word k-grams (lower case)."""
    words = _WORD.findall(text.lower())
    if not words:
        return np.zeros(0, dtype=np.uint32)
    h = np.fromiter((zlib.crc32(w.encode()) for w in words), dtype=np.uint64, count=len(words))
    if len(h) < k:
        return np.unique((h.sum() & np.uint64(0xFFFFFFFF)).astype(np.uint32, copy=False).reshape(1))
    acc = np.zeros(len(h) - k + 1, dtype=np.uint64)
    for j in range(k):  # polynomial combination of k consecutive word hashes (wraps mod 2**64)
        acc = acc * np.uint64(1000003) + h[j: len(h) - k + 1 + j]
    return np.unique((acc >> np.uint64(32)).astype(np.uint32))


def minhash(sh: np.ndarray) -> np.ndarray:
    """64 minimum hash values of a shingle set (multiply-shift hashing)."""
    if len(sh) == 0:
        return np.full(BANDS * ROWS, np.iinfo(np.uint32).max, dtype=np.uint32)
    x = sh.astype(np.uint64)
    return ((x[None, :] * _MULT[:, None]) >> np.uint64(32)).min(axis=1).astype(np.uint32)


def signature(text: str) -> tuple[int, np.ndarray]:
    """A body's number of distinct word 5-grams and its MinHash signature: what the copies stage keeps of each
    body (table ``body_signatures``), so a later build hashes only bodies it has not seen."""
    sh = shingles(text)
    return len(sh), minhash(sh)


def candidate_pairs(ids: list[str], signatures: np.ndarray, max_bucket: int) -> set[tuple[str, str]]:
    """Pairs (a, b), a < b, of articles that share a whole MinHash band. ``ids`` sorted, one signature row each
    (articles with at least ``MIN_SHINGLES`` shingles only); a band value shared by more than ``max_bucket``
    articles (boilerplate) proposes no pairs. One band at a time, so only one band's buckets are held."""
    candidates: set[tuple[str, str]] = set()
    for b in range(BANDS):
        buckets: dict[bytes, list[str]] = defaultdict(list)
        band = np.ascontiguousarray(signatures[:, b * ROWS:(b + 1) * ROWS])
        for a, value in zip(ids, band):
            buckets[value.tobytes()].append(a)
        for members in buckets.values():
            if 1 < len(members) <= max_bucket:
                candidates.update((x, y) for i, x in enumerate(members) for y in members[i + 1:])
    return candidates


def jaccard_pairs(candidates: set[tuple[str, str]], sets: dict[str, np.ndarray], threshold: float) -> pd.DataFrame:
    """The candidate pairs (a, b, jaccard) whose exact word 5-gram sets (``sets``: article id -> ``shingles``)
    have Jaccard >= ``threshold``, in order of (a, b)."""
    rows = []
    for a, b in sorted(candidates):
        sa, sb = sets[a], sets[b]
        k = len(np.intersect1d(sa, sb, assume_unique=True))
        j = k / (len(sa) + len(sb) - k)
        if j >= threshold:
            rows.append((a, b, j))
    return pd.DataFrame(rows, columns=["a", "b", "jaccard"])


def near_copy_pairs(texts: dict[str, str], threshold: float, max_bucket: int) -> pd.DataFrame:
    """Pairs (a, b, jaccard) of articles whose body word 5-gram sets have Jaccard >= ``threshold``.

    ``texts``: article_id -> body text. A MinHash band shared by more than ``max_bucket`` articles
    (boilerplate) proposes no pairs. (The copies stage does the same from stored signatures.)"""
    ids = sorted(texts)
    sets = {a: shingles(texts[a]) for a in ids}
    signed = [a for a in ids if len(sets[a]) >= MIN_SHINGLES]
    signatures = np.array([minhash(sets[a]) for a in signed], dtype=np.uint32).reshape(len(signed), BANDS * ROWS)
    return jaccard_pairs(candidate_pairs(signed, signatures, max_bucket), sets, threshold)


def copy_links(pairs: pd.DataFrame, dates: pd.DataFrame) -> pd.DataFrame:
    """Group copy pairs (a, b, jaccard[, method]) and link each copy to its group's earliest article.

    ``dates``: article_id, published_at for every article in ``pairs`` (an article without one is left out).
    Returns article_id, original_id, similarity (the best Jaccard with any member of the group) and
    method (how that best pair was found; of equally good pairs, the method first in alphabetical order), in
    order of group (by its first article id), date and id.

    Arrays throughout: the articles are numbered in id order, the groups are the connected components of the
    pairs' graph (``scipy.sparse.csgraph``), and every choice is a sort. A union-find over the ids in Python and
    pandas sorts took 0.16-0.40 s for the 50,889 pairs of 100k synthetic articles (bench/RESULTS.md, "copy links
    as arrays")."""
    columns = ["article_id", "original_id", "similarity", "method"]
    if pairs.empty:
        return pd.DataFrame(columns=columns)
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    methods = pairs["method"] if "method" in pairs else pd.Series("shared paragraphs", index=pairs.index)
    ends = pd.concat([pairs["a"], pairs["b"]], ignore_index=True)
    codes, ids = pd.factorize(ends, sort=True)  # an article's number is its place in id order
    n, m = len(ids), len(pairs)
    a, b = codes[:m], codes[m:]
    _, component = connected_components(coo_matrix((np.ones(m, dtype=np.int32), (a, b)), shape=(n, n)),
                                        directed=False)
    # A group is known by its first article id: the smallest number among its articles.
    first = np.full(component.max() + 1, n, dtype=np.int64)
    np.minimum.at(first, component, np.arange(n))
    group = first[component]
    # Each article's best pair: the highest Jaccard, then the method first in alphabetical order.
    jaccard = np.concatenate([pairs["jaccard"].to_numpy(), pairs["jaccard"].to_numpy()])
    method_codes, method_names = pd.factorize(pd.concat([methods, methods], ignore_index=True), sort=True)
    order = np.lexsort((method_codes, -jaccard.astype(np.float64), codes))
    best_row = order[np.r_[True, codes[order][1:] != codes[order][:-1]]]  # one row an article, in number order
    best = jaccard[best_row].astype("float32")
    best_method = np.asarray(method_names, dtype=object)[method_codes[best_row]]
    # The articles in ``dates``, in order of group, date (a missing one last) and id; each group's first is its
    # original. Dates are ranked by a sort of their own, whatever their unit or time zone.
    known = dates.drop_duplicates("article_id")
    at = pd.Index(known["article_id"]).get_indexer(ids)
    dated = np.flatnonzero(at >= 0)
    if not len(dated):
        return pd.DataFrame(columns=columns)
    rank, _ = pd.factorize(known["published_at"].iloc[at[dated]], sort=True)
    rank = np.where(rank < 0, np.iinfo(np.int64).max, rank)
    dated = dated[np.lexsort((dated, rank, group[dated]))]
    lead = np.ones(len(dated), dtype=bool)
    lead[1:] = group[dated][1:] != group[dated][:-1]
    original = dated[lead][np.cumsum(lead) - 1]
    copy = dated != original
    article, original = dated[copy], original[copy]
    return pd.DataFrame({"article_id": ids[article], "original_id": ids[original],
                         "similarity": best[article], "method": best_method[article]})[columns]
