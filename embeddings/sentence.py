"""sentence-transformers backend: the packaged model by default, any model by name or path."""

from __future__ import annotations

import os
from typing import Sequence

import numpy as np

from embeddings.base import normalise_rows


def pick_device(device: str = "auto") -> str:
    if device != "auto":
        return device
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is a dependency
        return "cpu"
    return "cuda" if torch.cuda.is_available() else "cpu"


class SentenceTransformerEncoder:
    def __init__(self, path_or_name: str, name: str, device: str = "auto", max_seq_length: int = 256,
                 batch_size: int = 64):
        if os.path.isdir(path_or_name):
            # A local model must never reach for the hub.
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:  # pragma: no cover
            raise RuntimeError("sentence-transformers is not installed: pip install sentence-transformers") from exc
        self.device = pick_device(device)
        try:
            self.model = SentenceTransformer(path_or_name, device=self.device)
        except OSError as exc:
            raise RuntimeError(
                f"cannot load embedding model {path_or_name!r}: {exc}. Use a local path to a sentence-transformers "
                "model, or 'default' for the packaged all-MiniLM-L6-v2."
            ) from exc
        if self.device.startswith("cuda"):
            self.model.half()
        self.model.max_seq_length = min(max_seq_length, self.model.max_seq_length or max_seq_length)
        dim = getattr(self.model, "get_embedding_dimension", None) or self.model.get_sentence_embedding_dimension
        self.dim = int(dim())
        self.batch_size = batch_size
        self.name = name

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        vectors = self.model.encode(
            list(texts), batch_size=self.batch_size, convert_to_numpy=True, normalize_embeddings=True,
            show_progress_bar=False,
        )
        return normalise_rows(vectors)
