"""A deterministic, dependency-free encoder for unit tests and dry runs.

Texts are bags of hashed word unigrams and bigrams projected to ``dim``
dimensions: texts sharing words get similar vectors, so clustering behaves
sensibly on it, but it knows nothing of paraphrase. Never the default.
"""

from __future__ import annotations

import hashlib
import re
from typing import Sequence

import numpy as np

from embeddings.base import normalise_rows

_WORD = re.compile(r"[a-z0-9]+")
_STOP = frozenset("a an the of to in on and or for is are was were be by with as at from that this it its said has have had".split())


class HashingEncoder:
    def __init__(self, dim: int = 384):
        self.dim = dim
        self.name = f"hashing-{dim}"

    def _bucket(self, token: str) -> tuple[int, float]:
        h = int.from_bytes(hashlib.blake2b(token.encode(), digest_size=8).digest(), "little")
        return h % self.dim, 1.0 if (h >> 40) & 1 else -1.0

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            words = [w for w in _WORD.findall(text.lower()) if w not in _STOP]
            for token in words + [a + " " + b for a, b in zip(words, words[1:])]:
                j, sign = self._bucket(token)
                out[i, j] += sign
        return normalise_rows(out)
