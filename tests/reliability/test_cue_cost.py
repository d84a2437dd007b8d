"""Hostile text cannot stall the cue rules: their cost grows linearly with the text, so the longest article
ingest accepts (max_article_chars) is read in seconds whatever it holds. (Figures: bench/reliability.py.)"""

from __future__ import annotations

import time

import pytest

from app.config import load_settings
from app.evidence.cues import CueFinder
from tests.reliability.hostile import HOSTILE_TEXTS

LIMIT = load_settings(env={}).max_article_chars
SHAPES = {
    "capitalised word after 'according to'": lambda n: "According to " + "Y" * n,
    "one endless sentence of short names": lambda n: "Said " + "Ab " * (n // 3),
    "titles before a verb": lambda n: "Mr " * (n // 3) + "said",
    "attribution phrases without a stop": lambda n: "according to " * (n // 13),
    "unbalanced brackets": lambda n: "(" * n,
    "quotes and commas": lambda n: ('"a", ' * (n // 5)),
}


def _seconds(finder: CueFinder, text: str) -> float:
    start = time.perf_counter()
    finder.find(text)
    return time.perf_counter() - start


@pytest.mark.parametrize("shape", list(SHAPES))
def test_the_longest_hostile_article_is_read_in_seconds(shape):
    finder = CueFinder(["Continental Wire", "Reuters"])
    text = SHAPES[shape](LIMIT)
    assert _seconds(finder, text) < 15, shape  # was minutes for the first shape (quadratic backtracking)


def test_every_hostile_text_is_quick():
    finder = CueFinder(["Continental Wire"])
    slowest = max(_seconds(finder, t) for t in HOSTILE_TEXTS)
    assert slowest < 2
