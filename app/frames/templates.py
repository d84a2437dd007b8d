"""Templates: the same sentence with other names or numbers, across outlets.

"Mira Solberg, a security analyst, said the coming weeks would show whether the reports changed the
course of the war." and the same line with "Jonah Ekwe" are one stock line, not a way of telling the
story; "(Reporting by A; Editing by B)" and "Updated 5:30 p.m." are page furniture of the same kind.
They cluster tightly (their wording is identical but for the fillers), so they are set aside before
clustering.

The test is on a passage's *shape*: its text with every run of capitalised words, every number and every
quoted stretch replaced by a placeholder, lower-cased, whitespace collapsed. A shape is a template when
passages of that shape come from at least ``min_outlets`` outlets and with at least two different texts
(other fillers). A passage repeated word for word (a syndicated paragraph, a frame's stock lead) has one
text, so it is not a template. The shape must keep at least ``MIN_WORDS`` plain (masked-out-free) words,
so that headlines in title case, which mask to almost nothing, are never taken for one.

*Furniture* is the short kind: a shape with fewer plain words (from ``FURNITURE_MIN_WORDS``), such as
"Copyright 2019 The Ekta News. All rights reserved.", "Reporting by A; editing by B." or "This story was
first published by X Wire.", told by as many outlets with as many texts, whose texts also recur: its
passages are at least ``FURNITURE_REPEAT`` times its texts (each outlet prints its own line under article
after article). Short lines that do not recur ("'We will not leave,' she said in a statement.", told once
each) are not furniture, whatever their shape. Page furniture forms tight clusters of its own under any
model, and the boilerplate rule (a cluster anchored in its articles less than a typical passage) misses it
where the model finds it close to the article it ends: on a synthetic archive in the static tier, the
largest "frames" were copyright lines, bylines and wire credits.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

# A shape needs this many plain words left after masking to be judged at all.
MIN_WORDS = 6
# A shorter shape with at least this many is judged as furniture, when its texts recur this many times each
# on average (see the module docstring).
FURNITURE_MIN_WORDS = 2
FURNITURE_REPEAT = 3
# Bump when the rule changes: the frames stage then clusters every passage again (frame ids are kept).
RULE_VERSION = 2

_QUOTED = re.compile(r"[\"“”][^\"“”]{1,200}[\"“”]|(?<!\w)['‘][^'‘’]{1,200}['’](?!\w)")
_NUMBER = re.compile(r"\d[\d,.:/]*")
# A run of capitalised words (names, places, titles), joined by spaces, hyphens or "of"/"de" particles.
_NAME = re.compile(r"\b[A-Z][\w'’.-]*(?:\s+(?:(?:of|de|van|von|al|bin|the)\s+)?[A-Z][\w'’.-]*)*")
_SPACE = re.compile(r"\s+")
_WORD = re.compile(r"\b[a-z][a-z'’-]+\b")


def shape(text: str) -> str:
    """The text with names, numbers and quotations masked (N, 0, Q), lower-cased, spaces collapsed."""
    masked = _QUOTED.sub(" Q ", text)
    masked = _NUMBER.sub(" 0 ", masked)
    masked = _NAME.sub(lambda m: " N " if m.group(0) != "Q" else " Q ", masked)
    masked = masked.replace(" N ", " \x00 ").replace(" Q ", " \x01 ")
    masked = _SPACE.sub(" ", masked.lower()).strip()
    return masked.replace("\x00", "N").replace("\x01", "Q")


def plain_words(shaped: str) -> int:
    """Words of a shape that are not placeholders."""
    return len(_WORD.findall(shaped))


@dataclass
class Templates:
    mask: np.ndarray  # per passage row: its shape is a template (or furniture)
    shapes: int  # template shapes found (furniture among them)
    texts: int  # distinct texts of those shapes
    passages: int | None = None  # passages of those shapes in the whole corpus, when ``mask`` covers only some
    furniture: int = 0  # of the shapes, those of the short kind (furniture)


def shape_rows(texts: list[str] | np.ndarray) -> pd.DataFrame:
    """Per text: the key of its shape (``shape``), of the text itself (``text``), whether the shape keeps
    enough plain words to be judged as a template (``judged``) and whether it is short enough to be judged as
    furniture instead (``short``): what the rule needs of a passage, which depends on its text alone, so the
    frames stage keeps it (table ``passage_shapes``) and reads each passage once."""
    shapes = [shape(t) for t in texts]
    plain = np.fromiter((plain_words(s) for s in shapes), dtype=np.int64, count=len(shapes))
    return pd.DataFrame({
        "shape": [hashlib.blake2b(s.encode(), digest_size=8).hexdigest() for s in shapes],
        "text": [hashlib.blake2b(t.encode(), digest_size=8).hexdigest() for t in texts],
        "judged": plain >= MIN_WORDS, "short": (plain >= FURNITURE_MIN_WORDS) & (plain < MIN_WORDS)})


def templates_of(rows: pd.DataFrame, *, min_outlets: int = 3) -> Templates:
    """Which rows (``shape_rows`` with an ``outlet`` column) are templates (see the module docstring);
    ``min_outlets = 0`` turns the rule off."""
    n = len(rows)
    if n == 0 or min_outlets <= 0:
        return Templates(np.zeros(n, dtype=bool), 0, 0)
    judged = rows["judged"].to_numpy(dtype=bool)
    short = rows["short"].to_numpy(dtype=bool) if "short" in rows else np.zeros(n, dtype=bool)
    per_shape = rows[judged | short].groupby("shape").agg(
        outlets=("outlet", "nunique"), variants=("text", "nunique"), passages=("text", "size"),
        judged=("judged", "first"))  # a function of the shape
    wide = (per_shape["outlets"] >= min_outlets) & (per_shape["variants"] >= 2)
    is_short = ~per_shape["judged"].astype(bool)
    furniture = wide & is_short & (per_shape["passages"] >= FURNITURE_REPEAT * per_shape["variants"])
    found = per_shape[(wide & ~is_short) | furniture]
    mask = rows["shape"].isin(found.index).to_numpy() & (judged | short)
    return Templates(mask, int(len(found)), int(found["variants"].sum()), furniture=int(furniture.sum()))


def find_templates(texts: list[str] | np.ndarray, outlet_ids: np.ndarray, *, min_outlets: int = 3) -> Templates:
    """Which passage rows are templates (see the module docstring). ``min_outlets = 0`` turns the rule off."""
    if len(texts) == 0 or min_outlets <= 0:
        return Templates(np.zeros(len(texts), dtype=bool), 0, 0)
    return templates_of(shape_rows(texts).assign(outlet=np.asarray(outlet_ids)), min_outlets=min_outlets)
