"""Static tier: a bag-of-token-vectors model distilled locally from a transformer.

Distillation (model2vec's recipe, done here with the libraries we already
have, offline): every vocabulary token is passed through the transformer on
its own ([CLS] token [SEP]) and mean-pooled; the token vectors are reduced with
PCA and weighted by log token rank (a Zipf proxy for inverse frequency, so
frequent tokens weigh less). Encoding a text is then the mean of its tokens'
vectors: no transformer at run time, thousands of passages per second.

It knows word meaning but not word order or context: good for candidate
generation and near-duplicate detection, measurably worse than the
transformer for telling frames apart (see bench/RESULTS.md).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence

import numpy as np

from embeddings.base import normalise_rows
from embeddings.cachefiles import making, private_name
from embeddings.onnx import model_fingerprint


def distill(model_dir: str | os.PathLike, cache_dir: str | os.PathLike, dim: int = 256, batch: int = 1024) -> Path:
    """Distil (once) and return the path of the saved token vectors."""
    model_dir = Path(model_dir)
    target = Path(cache_dir) / f"{model_dir.name}-{model_fingerprint(model_dir)}" / f"static-{dim}.npz"
    if target.exists():
        return target
    with making(target.parent):  # one process distils; another waits, then loads the finished file
        if target.exists():
            return target
        return _distill(model_dir, target, dim, batch)


def _distill(model_dir: Path, target: Path, dim: int, batch: int) -> Path:
    import torch
    from sklearn.decomposition import PCA
    from transformers import AutoModel, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(model_dir), local_files_only=True)
    model = AutoModel.from_pretrained(str(model_dir), local_files_only=True).eval()
    vocab = len(tok)
    cls, sep = tok.cls_token_id, tok.sep_token_id
    vectors = np.zeros((vocab, model.config.hidden_size), dtype=np.float32)
    with torch.no_grad():
        for start in range(0, vocab, batch):
            ids = torch.arange(start, min(start + batch, vocab))
            inp = torch.stack([torch.full_like(ids, cls), ids, torch.full_like(ids, sep)], dim=1)
            hidden = model(input_ids=inp, attention_mask=torch.ones_like(inp)).last_hidden_state
            vectors[start : start + len(ids)] = hidden.mean(dim=1).numpy()
    dim = min(dim, vectors.shape[1])
    reduced = PCA(n_components=dim, random_state=0).fit_transform(vectors).astype(np.float32)
    weights = np.log1p(np.arange(vocab, dtype=np.float32) + 1)[:, None]
    reduced *= weights
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = private_name(target)
    np.savez(tmp, vectors=reduced)
    os.replace(tmp, target)
    return target


class StaticEncoder:
    def __init__(self, model_dir: str, name: str, cache_dir: str | os.PathLike, dim: int = 256,
                 max_tokens: int = 512):
        from tokenizers import Tokenizer

        self.vectors = np.load(distill(model_dir, cache_dir, dim))["vectors"]
        self.tokenizer = Tokenizer.from_file(str(Path(model_dir) / "tokenizer.json"))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(max_tokens)
        self.dim = self.vectors.shape[1]
        self.name = name

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        encs = self.tokenizer.encode_batch(list(texts), add_special_tokens=False)
        lengths = np.array([len(e.ids) for e in encs])
        ids = np.concatenate([np.asarray(e.ids, dtype=np.int64) for e in encs]) if len(encs) else np.zeros(0, np.int64)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        nonempty = lengths > 0
        if ids.size:
            starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
            sums = np.add.reduceat(self.vectors[ids], starts[nonempty], axis=0)
            out[nonempty] = sums / lengths[nonempty, None]
        return normalise_rows(out)
