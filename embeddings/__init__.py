"""Text -> unit-length vectors.

Every backend behaves like :class:`Encoder`: a ``name`` that keys the vector
cache, a ``dim``, and ``encode(texts) -> float32 array`` of unit rows.
``load_encoder`` turns a setting (``"default"``, a model name or a path) into
a backend. This package imports nothing from the application.
"""

from embeddings.base import Encoder, encode_in_batches
from embeddings.hashing import HashingEncoder
from embeddings.select import DEFAULT_MODEL_NAME, load_encoder, model_key, resolve_model, vector_space

__all__ = ["DEFAULT_MODEL_NAME", "Encoder", "HashingEncoder", "encode_in_batches", "load_encoder", "model_key", "resolve_model",
           "vector_space"]
