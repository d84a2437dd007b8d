"""Syndicated and near-duplicate copies.

Two articles are copies when they share most of their body paragraphs
(Jaccard similarity of their sets of paragraph text hashes at least
``copy_threshold``; the hash ignores whitespace). This catches the same wire
story on twenty sites, and lightly edited re-publications: a new headline, a
paragraph cut or a credit line added. Paragraphs that appear in more than
``copy_max_group`` articles (publishers' boilerplate) are ignored when pairing.

Copies are grouped transitively; the earliest article of a group (ties by id)
is the original, and every other article links to it with its similarity to
the original's group and how it was found.
"""

from __future__ import annotations

import pandas as pd


class _UnionFind:
    def __init__(self):
        self.parent: dict[str, str] = {}

    def find(self, x: str) -> str:
        self.parent.setdefault(x, x)
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def copy_links(pairs: pd.DataFrame, dates: pd.DataFrame) -> pd.DataFrame:
    """Group copy pairs (a, b, jaccard) and link each copy to its group's earliest article.

    ``dates``: article_id, published_at for every article in ``pairs``.
    Returns article_id, original_id, similarity (the best Jaccard with any member of the group).
    """
    if pairs.empty:
        return pd.DataFrame(columns=["article_id", "original_id", "similarity"])
    uf = _UnionFind()
    for a, b in zip(pairs["a"], pairs["b"]):
        uf.union(a, b)
    best = pd.concat([pairs[["a", "jaccard"]].rename(columns={"a": "article_id"}),
                      pairs[["b", "jaccard"]].rename(columns={"b": "article_id"})]).groupby("article_id")["jaccard"].max()
    members = pd.DataFrame({"article_id": best.index})
    members["group"] = members["article_id"].map(uf.find)
    members = members.merge(dates, on="article_id").sort_values(["group", "published_at", "article_id"])
    members["original_id"] = members.groupby("group")["article_id"].transform("first")
    copies = members[members["article_id"] != members["original_id"]].copy()
    copies["similarity"] = copies["article_id"].map(best).astype("float32")
    return copies[["article_id", "original_id", "similarity"]].reset_index(drop=True)
