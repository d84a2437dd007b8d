"""The evidence ledger of a frame: which evidence was new when it appeared, and which was repeated.

An *evidence item* is what a passage in one of the frame's articles puts on the table:

* material it cites (``material:video``, ``material:satellite``, ...),
* an official person or body on the record (``named:<source>``: a ministry, an army, a spokesman, a
  minister; a named person without an office, such as an analyst, a retired general or a former
  official, gives a ``comment:<name>``, listed but not counted as evidence: :func:`on_record`),
* a confirmation or denial (``confirms:<source>``, ``denies:<source>``; by a commentator it is a comment),
* or, weakest, a claim from unnamed sources (``anonymous``).

Passages are read in publication order. A passage's item is a *repeat* when an
earlier item in the frame is the same text, comes from the article this one
copies (syndication), or shares a key with it (the same kind of material, the
same named source, the same denial) and says the same thing (cosine of the two
passages at least ``threshold``); the earlier item may itself be a repeat (a
mention is matched to the closest earlier mention, and repeats what that one
repeats). Otherwise it is *new*: a new-evidence event of
the frame. Anonymous claims are listed but never counted as new evidence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from app.evidence.cues import Cue

STRONG = ("material", "named", "confirms", "denies")
OFFICIAL = re.compile(
    r"\b(?:minist\w*|government|army|military|general|staff|forces|presiden\w*|premier|spokes\w+|state\s+media|"
    r"news\s+agency|agency|service|directorate|intelligence|embassy|police|navy|air\s+force|parliament|cabinet|"
    r"command\w*|authorities|regime|secretary|ambassador|envoy|governor|mayor|official|colonel|captain|major|"
    r"lieutenant|sergeant|admiral|marshal|department|pentagon|kremlin|white\s+house|foreign\s+office|court|"
    r"prosecutor\w*|council|nato|united\s+nations|u\.?n\.?|senator|senate|committee|lawmaker|congress\w*|"
    r"chancellor|king|leader|office|bureau|fbi|cia|nis|joint\s+chiefs|coast\s+guard|border\s+guard)\b|"
    r"\b(?:gen|lt|col|maj|sgt|capt|adm|cmdr|brig|sen|rep|gov|amb|pres)\.", re.I)
# Who speaks for no office, even with an office word nearby: "a retired general", "a former defence
# official", "an analyst at the Defence Institute", "a senior fellow at the Council on Foreign Relations".
COMMENTARY = re.compile(
    r"\b(?:retired|former|ex-|one-?time|erstwhile|analysts?|experts?|researchers?|scholars?|professors?|"
    r"academics?|commentators?|historians?|observers?|columnists?|pundits?|fellows?|think[- ]tanks?|"
    r"economists?|lecturers?|consultants?|veterans?)\b", re.I)
COLUMNS = ["frame_id", "passage_id", "article_id", "published_at", "keys", "strength", "description", "is_new",
           "repeat_of", "similarity", "how", "scope"]


def _norm(source: str | None) -> str:
    return " ".join((source or "").lower().replace("’", "'").removeprefix("the ").split())


def on_record(source: str, span: str) -> bool:
    """Whether a named source speaks for an office (a ministry, an army, a spokesman, a minister) rather
    than comments on the news (an analyst, a retired general, a former official): commentary is listed but
    is not evidence. The name itself decides first ("Defence Minister Karl Berg, a former general": an
    office; "retired general": commentary), then the rest of the attribution ("Anika Vos, a former defence
    official, said": commentary)."""
    rest = span.replace(source, " ", 1)
    for part in (source, rest):
        if COMMENTARY.search(part):
            return False
        if OFFICIAL.search(part):
            return True
    return False


def _roles(cues: list[Cue]) -> dict[str, bool]:
    """Each named source of a passage -> whether it speaks on the record (:func:`on_record`)."""
    roles: dict[str, bool] = {}
    for c in cues:
        if c.kind == "attribution" and c.subtype == "named" and c.source and c.source.lower() not in ("he", "she"):
            roles[c.source] = roles.get(c.source, False) or on_record(c.source, c.span)
    return roles


def item_keys(cues: list[Cue]) -> list[str]:
    """The keys of a passage's evidence item, strongest first. A confirmation or denial by a commentator
    (a named source not on the record) is commentary, not a confirmation or denial."""
    keys: list[str] = []
    roles = _roles(cues)
    for c in cues:
        if c.kind == "material":
            keys.append(f"material:{c.subtype}")
        elif c.kind == "stance" and c.subtype in ("confirms", "denies") and c.source and c.source != "anonymous":
            keys.append(f"{c.subtype if roles.get(c.source, True) else 'comment'}:{_norm(c.source)}")
        elif c.kind == "attribution" and c.source in roles:
            keys.append(f"{'named' if roles[c.source] else 'comment'}:{_norm(c.source)}")
    if not keys and any(c.kind == "attribution" and c.subtype == "anonymous" for c in cues):
        keys.append("anonymous")
    return list(dict.fromkeys(keys))


def describe(cues: list[Cue]) -> str:
    """A short reading of an item: material spans, then who said it and what they did; sources on the
    record apart from commentators."""
    parts = list(dict.fromkeys(c.span.strip().lower() for c in cues if c.kind == "material"))
    roles = _roles(cues)
    for c in cues:
        if c.kind == "stance" and c.subtype in ("confirms", "denies") and roles.get(c.source, True):
            who = c.source if c.source and c.source.lower() not in ("he", "she", "anonymous") else \
                ("unnamed sources" if c.source == "anonymous" else None)
            parts.append(f"{c.subtype} ({who})" if who else c.subtype)
    named = [source for source, official in roles.items() if official]
    if named:
        parts.append("on the record: " + ", ".join(named))
    comments = [source for source, official in roles.items() if not official]
    if comments:
        parts.append("comment: " + ", ".join(comments))
    outlets = list(dict.fromkeys(c.source for c in cues if c.kind == "attribution" and c.subtype == "outlet"))
    if outlets:
        parts.append("credited to: " + ", ".join(outlets))
    if not parts and any(c.kind == "attribution" and c.subtype == "anonymous" for c in cues):
        parts.append("unnamed sources")
    return "; ".join(parts)


_PRIORITY = ("material", "confirms", "denies", "named", "comment", "anonymous")


def _gates(keys: list[str]) -> set[str]:
    """What two items must share before their wording is compared: the item's strongest part (the kinds
    of material it cites; else the act: confirms, denies, on the record, comment, unnamed). Source names
    are left out: the same body is written many ways."""
    for kind in _PRIORITY:
        gates = {k if kind == "material" else kind for k in keys if k.split(":", 1)[0] == kind}
        if gates:
            return gates
    return set()


@dataclass
class _Root:
    row: int
    passage_id: str
    keys: set[str]


def frame_ledger(frame_id: int, passages: pd.DataFrame, vectors: np.ndarray, cues: dict[str, list[Cue]],
                 copies: dict[str, str], threshold: float, memo: dict | None = None) -> pd.DataFrame:
    """Items of one frame's passages, each marked new or repeated.

    ``passages``: the passages of the frame's articles (passage_id, article_id, text_hash, published_at, and
    ``scope``, why each counts for the frame: :mod:`app.evidence.scope`), rows aligned with ``vectors`` (unit
    length); ``cues``: cues by text hash; ``copies``: article -> original;
    ``memo``: keys and description by text hash, shared across frames (a passage is in many frames).
    """
    memo = {} if memo is None else memo
    passage_ids = passages["passage_id"].tolist()
    article_ids = passages["article_id"].tolist()
    hashes = passages["text_hash"].tolist()
    published = passages["published_at"].tolist()
    scopes = passages["scope"].tolist() if "scope" in passages else [None] * len(passages)
    order = np.lexsort((passages["passage_id"].to_numpy(), passages["article_id"].to_numpy(),
                        passages["published_at"].to_numpy()))
    roots: list[_Root] = []
    # Every item so far (new or repeat), so that a mention is matched to the closest earlier mention of the
    # same evidence, not only to its first report: item -> its root, its vector, by gate and by article.
    item_vecs = np.zeros((64, vectors.shape[1] if vectors.ndim == 2 else 0), dtype=np.float32)
    item_root: list[int] = []
    item_gates: list[set[str]] = []
    by_key: dict[str, list[int]] = {}
    by_hash: dict[str, int] = {}
    items_by_article: dict[str, list[int]] = {}
    out = []
    for i in order:
        text_hash, article = hashes[i], article_ids[i]
        if text_hash not in memo:
            found = cues.get(text_hash, [])
            memo[text_hash] = (item_keys(found), describe(found))
        keys, description = memo[text_hash]
        if not keys:
            continue
        kset = _gates(keys)
        root, sim, how = None, 1.0, ""
        if text_hash in by_hash:
            root, how = by_hash[text_hash], "same text"
        else:
            original = copies.get(article)
            candidates = [j for j in items_by_article.get(original, []) if item_gates[j] & kset] if original else []
            if candidates:
                sims = item_vecs[candidates] @ vectors[i]
                root, sim, how = item_root[candidates[int(sims.argmax())]], float(sims.max()), "copy"
            else:
                related = sorted({j for k in kset for j in by_key.get(k, ())})
                if related:
                    sims = item_vecs[related] @ vectors[i]
                    best = int(sims.argmax())
                    if sims[best] >= threshold:
                        root, sim, how = item_root[related[best]], float(sims[best]), "paraphrase"
        kinds = {k.split(":", 1)[0] for k in keys}
        strength = "evidence" if kinds & set(STRONG) else "comment" if "comment" in kinds else "anonymous"
        if root is None:
            roots.append(_Root(int(i), passage_ids[i], kset))
            root = len(roots) - 1
            by_hash.setdefault(text_hash, root)
            out.append((frame_id, passage_ids[i], article, published[i], keys, strength, description, True, None,
                        None, "new", scopes[i]))
        else:
            out.append((frame_id, passage_ids[i], article, published[i], keys, strength, description, False,
                        roots[root].passage_id, sim, how, scopes[i]))
        j = len(item_root)
        if j == len(item_vecs):
            item_vecs = np.concatenate([item_vecs, np.zeros_like(item_vecs)])
        item_vecs[j] = vectors[i]
        item_root.append(root)
        item_gates.append(kset)
        for k in kset:
            by_key.setdefault(k, []).append(j)
        items_by_article.setdefault(article, []).append(j)
    return pd.DataFrame(out, columns=COLUMNS)
