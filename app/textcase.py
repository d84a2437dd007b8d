"""Text in lower case as a case-insensitive regular expression reads its ASCII letters, for plain-text searches
that must find everything such an expression finds (a fast first pass before the expression itself); and a
word's stem, the one rule by which a seeded frame's phrases and a frame's wording (stance) take inflections."""

from __future__ import annotations

import re

# The letters other than ASCII that a case-insensitive expression takes for an ASCII letter and whose lower
# case is not that letter: "İ" and "ı" for "i", "ſ" for "s". ("İ" is also the one letter whose lower case is
# two characters long.) Every other letter such an expression takes for an ASCII one lowers to it.
_FOLD = str.maketrans({"\u0130": "i", "\u0131": "i", "\u017f": "s"})


def search_lower(text: str) -> str:
    """``text`` in lower case, with "İ" and "ı" read as "i" and "ſ" as "s": an ASCII word a case-insensitive
    expression finds in ``text`` is in it as plain text. As long as ``text``, character for character, so a
    place in it is the same place in ``text``."""
    if not text.isascii() and ("\u0130" in text or "\u0131" in text or "\u017f" in text):
        text = text.translate(_FOLD)
    return text.lower()


_ENDING = re.compile(r"(?:ies|es|s|ed|ing|e)$")


def word_stem(word: str) -> str:
    """A word (in lower case) without a short inflectional ending, when it has more than four letters: a word
    written in another inflection starts with it ("meddled" -> "meddl": "meddling"; "waves" -> "wav": "wave")."""
    return _ENDING.sub("", word) if len(word) > 4 else word
