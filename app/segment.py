"""Article -> passages.

A passage is a paragraph (the unit in which frames are usually told), with the
article's title as passage 0. Paragraphs shorter than ``min_chars`` are joined
to the next one; longer than ``max_chars`` are cut at sentence boundaries into
windows. Character offsets into the title or the text are kept so a passage
can always be shown in its article.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

_PARA_SPLIT = re.compile(r"\n\s*\n")
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"'”’)]*\s+(?=[\"'“‘(]?[A-Z0-9])")


@dataclass(frozen=True)
class Passage:
    seq: int
    part: str  # "title" or "body"
    start: int
    end: int
    text: str


def text_hash(text: str) -> str:
    """Key of the vector cache: whitespace-normalised text."""
    return hashlib.sha1(" ".join(text.split()).encode("utf-8")).hexdigest()


def _spans(text: str, pattern: re.Pattern) -> list[tuple[int, int]]:
    spans, pos = [], 0
    for m in pattern.finditer(text):
        spans.append((pos, m.start()))
        pos = m.end()
    spans.append((pos, len(text)))
    return spans


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def paragraphs(text: str) -> list[tuple[int, int]]:
    """Paragraph spans: blank-line separated, or line separated when the text has no blank lines."""
    pattern = _PARA_SPLIT if _PARA_SPLIT.search(text) else re.compile(r"\n")
    out = []
    for s, e in _spans(text, pattern):
        s, e = _trim(text, s, e)
        if e > s:
            out.append((s, e))
    return out


def _windows(text: str, start: int, end: int, max_chars: int) -> list[tuple[int, int]]:
    """Cut a long span at sentence ends into pieces of at most ~max_chars."""
    sentences = [(start + s, start + e) for s, e in _spans(text[start:end], _SENTENCE_END)]
    pieces: list[tuple[int, int]] = []
    cur_s, cur_e = None, None
    for s, e in sentences:
        if cur_s is not None and e - cur_s > max_chars:
            pieces.append((cur_s, cur_e))
            cur_s = None
        if cur_s is None:
            cur_s = s
        cur_e = e
        # A single sentence longer than the limit is cut at a word boundary.
        while cur_e - cur_s > max_chars:
            cut = text.rfind(" ", cur_s, cur_s + max_chars)
            cut = cut if cut > cur_s else cur_s + max_chars
            pieces.append((cur_s, cut))
            cur_s = cut
    if cur_s is not None:
        pieces.append((cur_s, cur_e))
    return [_trim(text, s, e) for s, e in pieces if text[s:e].strip()]


def segment(title: str | None, text: str | None, min_chars: int = 40, max_chars: int = 1000) -> list[Passage]:
    out: list[Passage] = []
    if title and title.strip():
        s, e = _trim(title, 0, len(title))
        out.append(Passage(0, "title", s, e, title[s:e]))
    text = text or ""
    merged: list[tuple[int, int]] = []
    pending: tuple[int, int] | None = None
    for s, e in paragraphs(text):
        if pending is not None:
            s = pending[0]
            pending = None
        if e - s < min_chars:
            pending = (s, e)
            continue
        merged.append((s, e))
    if pending is not None:
        if merged:
            merged[-1] = (merged[-1][0], pending[1])
        else:
            merged.append(pending)
    for s, e in merged:
        spans = [(s, e)] if e - s <= max_chars else _windows(text, s, e, max_chars)
        for ws, we in spans:
            out.append(Passage(len(out), "body", ws, we, text[ws:we]))
    return out
