"""The only code that talks to DuckDB."""

from app.store.db import (NothingToPublish, StoreBusy, StoreDamaged, StoreError, StoreMissing, StorePending,
                          StoreTooNew, connect, copy_database, discard_pending, file_version, has_pending_work,
                          pending_work, resume_command, writing)
from app.store.store import Filters, Store

__all__ = [
    "Filters",
    "NothingToPublish",
    "Store",
    "StoreBusy",
    "StoreDamaged",
    "StoreError",
    "StoreMissing",
    "StorePending",
    "StoreTooNew",
    "connect",
    "copy_database",
    "discard_pending",
    "file_version",
    "has_pending_work",
    "pending_work",
    "resume_command",
    "writing",
]
