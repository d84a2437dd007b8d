"""sentence-transformers backend: the packaged model by default, any model by name or path."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
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
        self.batch_size = batch_size if not self.device.startswith("cuda") else max(batch_size, 512)
        self.name = name
        import sentence_transformers
        import torch

        self.runtime = f"sentence-transformers {sentence_transformers.__version__}, torch {torch.__version__}, {self.device}"
        if self.device.startswith("cuda"):
            # Feed the GPU big blocks: the pipeline hands over this many texts per call.
            self.chunk_size = 65_536
            self.call_size = 65_536

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if self.device.startswith("cuda"):
            return self.encode_pipelined(texts)
        vectors = self.model.encode(
            list(texts), batch_size=self.batch_size, convert_to_numpy=True, normalize_embeddings=True,
            show_progress_bar=False,
        )
        return normalise_rows(vectors)

    def encode_pipelined(self, texts: Sequence[str], workers: int | None = None) -> np.ndarray:
        """Keep the accelerator busy: tokenise length-sorted batches ahead in worker threads (the fast
        tokenizer releases the GIL) while the model runs, keep results on the device until the whole
        block is done, and copy back once."""
        import torch

        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        device = torch.device(self.device)
        order = np.argsort([len(t) for t in texts], kind="stable")
        batches = [order[i : i + self.batch_size] for i in range(0, len(texts), self.batch_size)]
        pin = device.type == "cuda"

        def tokenise(idx):
            features = self.model.tokenize([texts[i] for i in idx])
            return {k: (v.pin_memory() if pin else v) for k, v in features.items() if hasattr(v, "to")}

        out = torch.empty((len(texts), self.dim), device=device, dtype=torch.float32)
        with ThreadPoolExecutor(workers or min(8, os.cpu_count() or 1)) as pool, torch.inference_mode():
            pending = [pool.submit(tokenise, b) for b in batches]
            for idx, future in zip(batches, pending):
                features = {k: v.to(device, non_blocking=True) for k, v in future.result().items()}
                emb = self.model.forward(features)["sentence_embedding"]
                out[torch.as_tensor(idx, device=device)] = emb.float()
        out = torch.nn.functional.normalize(out, dim=1)
        return out.cpu().numpy()
