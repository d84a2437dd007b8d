"""What every stage shares: the progress callback."""

from __future__ import annotations

from typing import Callable

# progress(stage, done, total): called as work advances; total may be None.
Progress = Callable[[str, int, "int | None"], None]


def no_progress(stage: str, done: int, total: int | None) -> None:
    """The progress callback of a caller that does not follow progress."""
