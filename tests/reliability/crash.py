"""Kill a command with SIGKILL part-way, finish it with a rerun, and compare every table with a clean
run's: what the reliability suite and bench/reliability.py do for build and ingest."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from app.store import Store

ROOT = Path(__file__).resolve().parents[2]
VOLATILE = {"runs", "schema_migrations"}  # when things ran, not what they made
# Where the vectors are kept (segment files are named when written, and merged when enough pile up), not what
# they are: the vectors themselves are compared through the view ``embeddings``.
STORAGE = {"vector_segments", "vector_segments_retired"}


def cli(*args, db: Path, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "app.cli", *map(str, args), "--db", str(db)], cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout)


def killed_at(args: list, db: Path, after: float) -> bool:
    """Run ``narratives ARGS`` and SIGKILL it ``after`` seconds in; True when it was still running."""
    proc = subprocess.Popen([sys.executable, "-m", "app.cli", *map(str, args), "--db", str(db)], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(after)
    alive = proc.poll() is None
    if alive:
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait(30)
    return alive


def digest(db: Path) -> dict[str, str]:
    """A fingerprint of every table's content, leaving out the times things were done."""
    store = Store.open_read(db)
    try:
        columns = store.query(
            """SELECT table_name, column_name, data_type FROM information_schema.columns
               WHERE (table_catalog = current_database()
                      AND table_name IN (SELECT table_name FROM information_schema.tables
                                         WHERE table_type = 'BASE TABLE' AND table_catalog = current_database()))
                  OR (table_name = 'embeddings' AND table_catalog <> current_database())
               ORDER BY table_name, ordinal_position""")
        out = {}
        for table, cols in columns.groupby("table_name", sort=True):
            if table in VOLATILE | STORAGE:
                continue
            keep = [c for c, t in zip(cols["column_name"], cols["data_type"])
                    if not (t.startswith("TIMESTAMP") and c.endswith("_at")) and not c.endswith(("run_id", "_run"))]
            rows = store.query(f"SELECT {', '.join(keep)} FROM {table}")
            text = "\n".join(sorted(map(repr, rows.itertuples(index=False, name=None))))
            out[table] = f"{len(rows)}:{hashlib.sha256(text.encode()).hexdigest()[:16]}"
        return out
    finally:
        store.close()
