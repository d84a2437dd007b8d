"""The frames stage alone, reclustered from scratch, on a copy of a built database: its time, peak memory and
what it wrote, for one checkout per run (compare two by running each from its own checkout).

    cd CHECKOUT && python /path/to/bench/frames_memory.py BUILT.duckdb WORK.duckdb

``BUILT.duckdb`` is a database built with the default settings (its vectors are reused: nothing is embedded);
it is copied to ``WORK.duckdb`` (``app.store.copy_database``, files of an earlier copy there removed first),
and ``frames_stage(..., recluster=True)`` runs on the copy in this process. Prints one line, ``RESULT {...}``:
seconds, RSS before the stage and the process's peak (VmHWM), the stage's counts, and per table it writes
(passage_frames, frames with labels and centres, article_frames, story_frames) the row count and an
order-free hash, so a change meant to save memory is checked to change nothing else. The checkout measured
is the current folder's ``app``.
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import sys
import time

sys.path.insert(0, os.getcwd())

TABLES = {
    "passage_frames": "passage_id, frame_id, score",
    "frames": "frame_id, kind, status, label, phrases, exemplar_passage_id, centroid",
    "article_frames": "*",
    "story_frames": "*",
}


def status(field: str) -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1]) // 1024
    return 0


def main() -> None:
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    src, dst = sys.argv[1], sys.argv[2]
    import app.pipeline as P
    from app.config import load_settings
    from app.store import Store, copy_database

    for path in glob.glob(glob.escape(dst) + "*"):
        shutil.rmtree(path) if os.path.isdir(path) else os.unlink(path)
    os.makedirs(os.path.dirname(os.path.abspath(dst)), exist_ok=True)
    copy_database(src, dst)
    settings = load_settings(env={}, db=dst)
    key = P.model_key(settings.model, settings.max_seq_length, settings.backend, settings.device)
    before = status("VmRSS")
    started = time.perf_counter()
    with Store.write(dst, "build", memory_budget=settings.memory_budget) as store:
        counts = P.frames_stage(store, key, settings, recluster=True)
    seconds = time.perf_counter() - started
    peak = status("VmHWM")
    store = Store.open_read(dst)
    try:
        tables = {table: [int(x) for x in store.query(
            f"SELECT count(*), coalesce(bit_xor(hash(t)), 0)::UBIGINT FROM (SELECT {cols} FROM {table}) t").iloc[0]]
            for table, cols in TABLES.items()}
    finally:
        store.close()
    print("RESULT " + json.dumps({"seconds": round(seconds, 1), "before_mb": before, "peak_mb": peak,
                                  "frames_assigned_passages": list(counts[:3]), "tables": tables}))


if __name__ == "__main__":
    main()
