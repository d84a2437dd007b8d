"""The only code that talks to DuckDB."""

from app.store.db import StoreBusy, StoreError, StoreMissing, connect, file_version, has_pending_work, writing
from app.store.store import Filters, Store

__all__ = [
    "Filters",
    "Store",
    "StoreBusy",
    "StoreError",
    "StoreMissing",
    "connect",
    "file_version",
    "has_pending_work",
    "writing",
]
