"""Sentences of a text, as character spans, by a maintained rule-based splitter (syntok).

A regular expression that ends a sentence at every full stop breaks attributions apart: "Sen. Jane Doe
of the U.S. Senate Armed Services Committee denied ..." becomes four sentences and the denial is credited
to the committee. syntok knows abbreviations, initials, "a.m.", "No. 3", decimals and quotes. It does
not know some titles common in news ("Lt.", "Maj.", "Gov.", "Rep.", "Sgt."): a sentence that ends in
one of ``TITLES`` is joined to the next.

A text without a sentence end before its last character is one sentence and skips the splitter (most
titles and short passages): the splitter is the dearer part of reading a passage for cues.
"""

from __future__ import annotations

import re

from syntok import segmenter

# Titles before a name that syntok takes as the end of a sentence (checked against syntok 1.4.4).
TITLES = ("Lt", "Maj", "Gov", "Rep", "Reps", "Sgt", "Rev", "Cpl", "Pvt", "Cmdr", "Amb", "Pres", "Hon", "Messrs",
          "Supt", "Insp", "Det", "Brig", "Col", "Gen", "Adm", "Capt", "Sen", "Dr", "Prof")
_ENDS_IN_TITLE = re.compile(r"\b(?:%s)\.\s*$" % "|".join(TITLES))
_INNER_END = re.compile(r"[.!?…]\S*\s")


def sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) character offsets of each sentence of ``text``, in order; whitespace between sentences
    belongs to none."""
    if not text or not text.strip():
        return []
    if not _INNER_END.search(text):
        start = len(text) - len(text.lstrip())
        return [(start, len(text.rstrip()))]
    spans: list[tuple[int, int]] = []
    for paragraph in segmenter.analyze(text):
        for sentence in paragraph:
            tokens = [t for t in sentence if t.value]
            if not tokens:
                continue
            start, end = tokens[0].offset, min(len(text), tokens[-1].offset + len(tokens[-1].value))
            if spans and _ENDS_IN_TITLE.search(text[spans[-1][0]:spans[-1][1]]):
                spans[-1] = (spans[-1][0], end)
            else:
                spans.append((start, end))
    return spans
