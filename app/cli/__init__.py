"""`narratives ...`: each command opens the store, calls one core function, and turns library errors into
a clean message. The commands live in :mod:`app.cli.corpus`, :mod:`app.cli.collect`, :mod:`app.cli.dates` and :mod:`app.cli.reads`; importing them
registers them with the group."""

from app.cli import collect, corpus, dates, reads  # noqa: F401  (registers the commands)
from app.cli.common import main

__all__ = ["main"]
