"""sentence-transformers backend: the packaged model by default, any model by name or path."""

from __future__ import annotations

import itertools
import os
from concurrent.futures import ThreadPoolExecutor
from typing import Sequence

import numpy as np

from embeddings.base import normalise_rows

# Texts tokenised at a time on the GPU path (a block is tokenised while the model runs on the one before).
TOKEN_BLOCK = 8192
# Padded widths on the GPU path are multiples of this.
WIDTH_STEP = 16
# The GPU batch is halved, down to this, when the card runs out of memory.
MIN_GPU_BATCH = 16


def _out_of_memory(exc: BaseException) -> bool:
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is a dependency
        return False
    return isinstance(exc, torch.cuda.OutOfMemoryError)


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
        self.batch_size = batch_size if not self.device.startswith("cuda") else max(batch_size, 1024)
        self.name = name
        self._rust = None  # (max_seq_length, the Rust tokenizer or None), see _rust_tokenizer
        self.notes: list[str] = []  # what a build should say about this encoder's run (a smaller batch)
        self._token_types = True
        import sentence_transformers
        import torch

        self.runtime = f"sentence-transformers {sentence_transformers.__version__}, torch {torch.__version__}, {self.device}"
        if self.device.startswith("cuda"):
            # Feed the GPU big blocks: the pipeline hands over this many texts per call.
            self.chunk_size = 65_536
            self.call_size = 65_536

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if self.device.startswith("cuda") and not self.prompted():
            return self.encode_pipelined(texts)
        vectors = self.model.encode(
            list(texts), batch_size=self.batch_size, convert_to_numpy=True, normalize_embeddings=True,
            show_progress_bar=False,
        )
        return normalise_rows(vectors)

    def prompted(self) -> bool:
        """Whether the model puts a default prompt before every text (an instruction model's "passage: "):
        sentence-transformers' own encode adds it, and leaves it out of the pooling where the model says so;
        the pipelined path feeds the model's forward directly, so such a model is encoded by sentence-transformers
        on a GPU too, and its vectors are those a CPU gives."""
        name = getattr(self.model, "default_prompt_name", None)
        return bool(name and (getattr(self.model, "prompts", None) or {}).get(name))

    def encode_pipelined(self, texts: Sequence[str], workers: int | None = None, tokens: str = "auto") -> np.ndarray:
        """Keep the accelerator busy. ``tokens="rust"`` (the default where the model allows it, see
        ``_rust_tokenizer``): blocks of texts are tokenised ahead on a background thread by the model's own
        Rust tokenizer, all cores at once (Python only gathers the ids), while the model runs on the block before;
        each block is sorted by token count and cut into padded batches. ``tokens="model"``: length-sorted
        batches tokenised by sentence-transformers in worker threads (each holds Python's lock for part of
        the work, so it feeds a GPU a few thousand texts a second). Results stay on the device until the
        whole call is done and are copied back once."""
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        rust = self._rust_tokenizer() if tokens in ("auto", "rust") else None
        if tokens == "rust" and rust is None:
            raise RuntimeError("this model's tokenizer has no Rust form that matches its own tokenisation")
        while True:
            try:
                if rust is not None:
                    return self._encode_rust_tokens(texts, rust)
                return self._encode_model_tokens(texts, workers)
            except Exception as exc:  # noqa: BLE001 - only the GPU's out-of-memory error is retried
                if not _out_of_memory(exc) or self.batch_size <= MIN_GPU_BATCH:
                    raise
                self._shrink_batch()

    def _shrink_batch(self) -> None:
        """Halve the batch after the GPU ran out of memory (a large model on a small card), once and for the
        rest of this encoder's life, and say so in :attr:`notes` (a build reports them)."""
        import torch

        torch.cuda.empty_cache()
        self.batch_size = max(MIN_GPU_BATCH, self.batch_size // 2)
        note = f"the GPU ran out of memory: batches of {self.batch_size} texts from now on"
        if self.notes and self.notes[-1].startswith("the GPU ran out of memory"):
            self.notes[-1] = note
        else:
            self.notes.append(note)

    def _forward_into(self, out, idx, features) -> None:
        """Run one batch and put its vectors in rows ``idx`` of ``out`` (on the device). ``idx`` and the
        features may be pinned tensors: their copies then queue behind the model's work instead of waiting
        for it, so Python prepares the next batch while the GPU runs this one."""
        import torch

        device = out.device
        features = {k: v.to(device, non_blocking=True) for k, v in features.items()}
        rows = idx.to(device, non_blocking=True) if isinstance(idx, torch.Tensor) else torch.as_tensor(idx, device=device)
        emb = self.model.forward(features)["sentence_embedding"]
        out[rows] = emb.float()

    def _encode_model_tokens(self, texts: list[str], workers: int | None) -> np.ndarray:
        import torch

        device = torch.device(self.device)
        order = np.argsort([len(t) for t in texts], kind="stable")
        batches = [order[i : i + self.batch_size] for i in range(0, len(texts), self.batch_size)]
        pin = device.type == "cuda"

        def tokenise(idx):
            features = self._model_tokens([texts[i] for i in idx])
            return {k: (v.pin_memory() if pin else v) for k, v in features.items() if hasattr(v, "to")}

        out = torch.empty((len(texts), self.dim), device=device, dtype=torch.float32)
        with ThreadPoolExecutor(workers or min(8, os.cpu_count() or 1)) as pool, torch.inference_mode():
            pending = [pool.submit(tokenise, b) for b in batches]
            for idx, future in zip(batches, pending):
                self._forward_into(out, idx, future.result())
        out = torch.nn.functional.normalize(out, dim=1)
        return out.cpu().numpy()

    def _encode_rust_tokens(self, texts: list[str], rust) -> np.ndarray:
        import torch

        device = torch.device(self.device)
        pin = device.type == "cuda"
        block = max(self.batch_size, TOKEN_BLOCK)
        starts = list(range(0, len(texts), block))

        def tokenise(start: int):
            # One call per block: the Rust tokenizer spreads the block over every core itself.
            encodings = rust.encode_batch(texts[start : start + block])
            ids = [e.ids for e in encodings]
            lengths = np.fromiter(map(len, ids), dtype=np.int64, count=len(ids))
            # A 0 at the end: an empty row (a tokenizer that adds no special tokens) points there, masked out.
            flat = np.fromiter(itertools.chain(itertools.chain.from_iterable(ids), (0,)), dtype=np.int64,
                               count=int(lengths.sum()) + 1)
            order = np.argsort(lengths, kind="stable")
            ends = np.cumsum(lengths)
            batches = []
            for b in range(0, len(order), self.batch_size):
                rows = order[b : b + self.batch_size]
                # Widths rounded up to a multiple of 16 (never past the model's length): a few shapes, each
                # of which the GPU libraries set up once, instead of one per token count.
                longest = int(lengths[rows].max())
                width = min(-(-longest // WIDTH_STEP) * WIDTH_STEP, max(longest, self.model.max_seq_length))
                # Each row's tokens, then zeros: position j of row r is flat[end_r - len_r + j] where j < len_r.
                col = np.arange(width)
                valid = col[None, :] < lengths[rows][:, None]
                take = (ends[rows] - lengths[rows])[:, None] + np.minimum(col[None, :], lengths[rows][:, None] - 1)
                input_ids = torch.from_numpy(np.where(valid, flat[take], 0))
                features = {"input_ids": input_ids, "attention_mask": torch.from_numpy(valid.astype(np.int64))}
                if self._token_types:
                    features["token_type_ids"] = torch.zeros_like(input_ids)
                rows = torch.from_numpy(rows + start)
                if pin:
                    features = {k: v.pin_memory() for k, v in features.items()}
                    rows = rows.pin_memory()
                batches.append((rows, features))
            return batches

        out = torch.empty((len(texts), self.dim), device=device, dtype=torch.float32)
        with ThreadPoolExecutor(1) as pool, torch.inference_mode():
            ahead = pool.submit(tokenise, starts[0])
            for k in range(len(starts)):
                batches = ahead.result()
                if k + 1 < len(starts):
                    ahead = pool.submit(tokenise, starts[k + 1])
                for idx, features in batches:
                    self._forward_into(out, idx, features)
        out = torch.nn.functional.normalize(out, dim=1)
        return out.cpu().numpy()

    def _model_tokens(self, texts: list[str]) -> dict:
        """The model's own tokenisation (``preprocess`` from sentence-transformers 6, ``tokenize`` before)."""
        own = getattr(self.model, "preprocess", None) or self.model.tokenize
        return own(texts)

    def _rust_tokenizer(self):
        """A copy of the model's Rust tokenizer that truncates at the model's length, on the model's side, and
        pads nothing, or None where the model has none, pads on the left, gives the model other inputs than
        token ids, a mask and token types, or where its tokens differ from the model's own tokenisation on a
        set of probe texts (spaces at the ends, accents, an empty text, a text of varied words past the length,
        so that the side it is cut on shows). Checked once per length."""
        length = self.model.max_seq_length
        if self._rust is not None and self._rust[0] == length:
            return self._rust[1]
        tokenizer = None
        hf = getattr(self.model, "tokenizer", None)
        backend = getattr(hf, "backend_tokenizer", None)
        if backend is not None and getattr(hf, "padding_side", "right") == "right":
            try:
                from tokenizers import Tokenizer

                tokenizer = Tokenizer.from_str(backend.to_str())
                tokenizer.enable_truncation(length, direction=getattr(hf, "truncation_side", "right"))
                tokenizer.no_padding()
                probe = ["  A text with spaces at both ends.  ", "Ça coûte 3,5 millions d\u2019euros, selon l\u2019État.",
                         "", " ".join(f"word{i} item {i}" for i in range(length * 2)),
                         "Tabs\tand\nnew lines; URLs like https://example.org/a?b=1."]
                theirs = self._model_tokens(probe)
                tensors = {k for k, v in theirs.items() if hasattr(v, "to")}
                if not tensors <= {"input_ids", "attention_mask", "token_type_ids"}:
                    raise ValueError(f"the model takes other inputs: {sorted(tensors)}")
                self._token_types = "token_type_ids" in theirs
                mask = theirs["attention_mask"].numpy()
                ids = theirs["input_ids"].numpy()
                for row, encoding in enumerate(tokenizer.encode_batch(probe)):
                    if list(ids[row][mask[row] == 1]) != encoding.ids or int(mask[row].sum()) != len(encoding.ids):
                        tokenizer = None
                        break
            except Exception:  # noqa: BLE001 - any surprise means: use the model's own tokenisation
                tokenizer = None
        self._rust = (length, tokenizer)
        return tokenizer
