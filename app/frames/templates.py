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

*Stock quotes* are a template inside a quotation: "'We need answers about the flooding in Tamar, and we
need them now,' said Noor Loer, a union leader." told again about "the flooding in Kavi" by another speaker.
Its shape masks the quotation whole, so too few plain words are left to judge it. Such a passage (a short
attribution around a quotation: its shape keeps fewer than ``MIN_WORDS`` plain words) is also judged by its
*quotation shape*: names and numbers masked, the quotation's words kept. That shape is a template when it
comes from at least ``min_outlets`` outlets with at least ``QUOTE_VARIANTS`` different *quotations*
(compared by their letters and digits alone, so spacing, case, punctuation and "U.S."/"US" do not count):
the same quote told again and again with other names or numbers in it. One quotation told by many outlets,
attributed in other words or to other spellings of its speaker, has one quotation, and two spellings of a
name inside it ("the United States" / "the U.S.") stay under ``QUOTE_VARIANTS``, so a frame's key quote is
not a template unless three outlets spell a name in it three ways (docs/architecture.md, where it fails). The passage is set aside when either shape is a template (or furniture). On the AllSides
corpus (37,554 articles) no quotation shape is one; on a synthetic archive whose articles end in five stock
quotes, they made the largest "frame".

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
# A quotation shape is a template with at least this many different quotations (see the module docstring).
QUOTE_VARIANTS = 3
# Bump when the rule changes: the frames stage then makes every kept shape again (``passage_shapes.rule``)
# and clusters every passage again (frame ids are kept). 3: stock quotes (quotation shapes).
RULE_VERSION = 3

# A quotation: in double quotes, or in single quotes that may hold an apostrophe between letters ("don't").
_QUOTED = re.compile(r"[\"“”][^\"“”]{1,200}[\"“”]|(?<!\w)['‘](?:[^'‘’]|(?<=\w)['’](?=\w)){1,200}['’](?!\w)")
_LETTERS = re.compile(r"[\W_]+")
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


def quotation_shape(text: str) -> tuple[str, str] | None:
    """The text with names and numbers masked but its quotations' words kept, lower-cased, and its quotations
    by their letters and digits alone (lower-cased), the key the rule compares; None when it holds none."""
    quotes = [m.group(0)[1:-1] for m in _QUOTED.finditer(text)]
    if not quotes:
        return None
    masked = _NUMBER.sub(" 0 ", text)
    masked = _NAME.sub(" N ", masked).replace(" N ", " \x00 ")
    shaped = _SPACE.sub(" ", masked.lower()).strip().replace("\x00", "N")
    return shaped, "\x00".join(_LETTERS.sub("", q.lower()) for q in quotes)


def _key(text: str) -> str:
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


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
    quotes: int = 0  # of the shapes, quotation shapes (stock quotes)


def shape_rows(texts: list[str] | np.ndarray) -> pd.DataFrame:
    """Per text: the key of its shape (``shape``), of the text itself (``text``), whether the shape keeps
    enough plain words to be judged as a template (``judged``) and whether it is short enough to be judged as
    furniture instead (``short``); for a text whose shape is too short to judge and whose quotation shape is
    not (a stock quote, see the module docstring), the keys of its quotation shape (``quote_shape``) and of its
    quotations (``quote_text``), else None. What the rule needs of a passage depends on its text alone, so the
    frames stage keeps it (table ``passage_shapes``) and reads each passage once."""
    shape_keys, text_keys, quote_keys, quote_texts = [], [], [], []
    judged = np.zeros(len(texts), dtype=bool)
    short = np.zeros(len(texts), dtype=bool)
    for i, text in enumerate(texts):
        shaped = shape(text)
        plain = plain_words(shaped)
        shape_keys.append(_key(shaped))
        text_keys.append(_key(text))
        judged[i] = plain >= MIN_WORDS
        short[i] = FURNITURE_MIN_WORDS <= plain < MIN_WORDS
        quoted = quotation_shape(text) if plain < MIN_WORDS else None
        if quoted is not None and plain_words(quoted[0]) >= MIN_WORDS:
            quote_keys.append(_key(quoted[0]))
            quote_texts.append(_key(quoted[1]))
        else:
            quote_keys.append(None)
            quote_texts.append(None)
    return pd.DataFrame({"shape": shape_keys, "text": text_keys, "judged": judged, "short": short,
                         "quote_shape": pd.Series(quote_keys, dtype=object),
                         "quote_text": pd.Series(quote_texts, dtype=object)})


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
    quotes = 0
    variants = int(found["variants"].sum())
    if "quote_shape" in rows:
        quoted = rows[rows["quote_shape"].notna()]
        per_quote = quoted.groupby("quote_shape").agg(outlets=("outlet", "nunique"),
                                                      variants=("quote_text", "nunique"))
        stock = per_quote[(per_quote["outlets"] >= min_outlets) & (per_quote["variants"] >= QUOTE_VARIANTS)]
        mask |= rows["quote_shape"].isin(stock.index).to_numpy()
        quotes, variants = int(len(stock)), variants + int(stock["variants"].sum())
    return Templates(mask, int(len(found)) + quotes, variants, furniture=int(furniture.sum()), quotes=quotes)


def find_templates(texts: list[str] | np.ndarray, outlet_ids: np.ndarray, *, min_outlets: int = 3) -> Templates:
    """Which passage rows are templates (see the module docstring). ``min_outlets = 0`` turns the rule off."""
    if len(texts) == 0 or min_outlets <= 0:
        return Templates(np.zeros(len(texts), dtype=bool), 0, 0)
    return templates_of(shape_rows(texts).assign(outlet=np.asarray(outlet_ids)), min_outlets=min_outlets)
