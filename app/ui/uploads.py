"""Files sent through the browser, saved where the ingest can read them.

The name the browser sends is the sender's to choose (``/etc/x.jsonl``, ``../../x.jsonl``): it is never
used as a path. The file is written into a fresh temporary folder under a name made here from letters,
digits, '-' and '_' of its last component, and a file type from a fixed list; the name as sent is kept
only as a label to show.
"""

from __future__ import annotations

import contextlib
import re
import tempfile
import unicodedata
from pathlib import Path
from typing import Iterator

# File types the ingest reads (app/ingest/readers.py), each also gzipped.
FORMATS = (".csv", ".tsv", ".jsonl", ".ndjson", ".json", ".parquet")
SUFFIXES = FORMATS + tuple(f + ".gz" for f in FORMATS)
UPLOAD_TYPES = [f.lstrip(".") for f in FORMATS] + ["gz"]  # for st.file_uploader(type=...)
_MAX_STEM = 80


class UploadRejected(ValueError):
    """The sent file's type is not one the ingest reads."""


def display_name(sent: str) -> str:
    """The sent name made printable (control characters dropped), for labels only; never a path."""
    return "".join(ch for ch in str(sent) if unicodedata.category(ch)[0] != "C")[:200] or "(unnamed)"


def safe_file_name(sent: str) -> str:
    """A file name for the sent file: its last component's letters, digits, '-' and '_', and its type.

    Raises UploadRejected when the type (after the last separator, control characters dropped) is not
    in SUFFIXES."""
    base = re.split(r"[/\\]", display_name(sent))[-1].lower()
    suffix = next((s for s in sorted(SUFFIXES, key=len, reverse=True) if base.endswith(s)), None)
    if suffix is None:
        raise UploadRejected(f"{display_name(sent)}: not a file type the ingest reads; expected one of "
                             f"{', '.join(SUFFIXES)}")
    stem = re.sub(r"[^a-z0-9_-]+", "_", base[: -len(suffix)]).strip("_-")[:_MAX_STEM] or "upload"
    return stem + suffix


def upload_path(folder: Path, sent: str) -> Path:
    """Where to write the sent file inside ``folder``: always directly in it, whatever was sent."""
    folder = Path(folder).resolve()
    path = folder / safe_file_name(sent)
    if path.resolve().parent != folder:  # cannot happen with the names made above; checked all the same
        raise UploadRejected(f"{display_name(sent)}: not a usable file name")
    return path


@contextlib.contextmanager
def saved_upload(sent: str, content: bytes) -> Iterator[Path]:
    """The sent file written into a fresh temporary folder (removed afterwards), as a path to read."""
    with tempfile.TemporaryDirectory(prefix="narratives-upload-") as tmp:
        path = upload_path(Path(tmp), sent)
        path.write_bytes(content)
        yield path
