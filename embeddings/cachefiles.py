"""Files in the model cache (ONNX exports, distilled static models) are made once, by one process at a
time, and appear whole or not at all: two processes starting on an empty cache must not read each
other's half-written files (ONNX Runtime then fails with "Unable to parse proto")."""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path


@contextlib.contextmanager
def making(folder: Path):
    """Hold the folder's lock while its files are made; another process waits for it, then finds them."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".making.lock", "a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def private_name(path: Path, tag: str = "tmp") -> Path:
    """A name beside ``path`` that no other process uses, for writing before ``os.replace``."""
    return path.with_name(f"{path.stem}.{tag}-{os.getpid()}{path.suffix}")
