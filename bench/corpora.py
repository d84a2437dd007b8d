"""Subsets of the real corpora in ../shared/corpora, written to a scratch file (never into the repo)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

CORPORA = Path(__file__).resolve().parent.parent.parent / "shared" / "corpora"


def allsides_rows(mentions: str | None = None, limit: int | None = None):
    path = CORPORA / "allsides" / "articles.jsonl.gz"
    rows = []
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            if mentions and mentions.lower() not in (row.get("text") or "").lower():
                continue
            rows.append(row)
    rows.sort(key=lambda r: r["ID"])
    return rows[:limit] if limit else rows


def write_jsonl(rows, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps(r) + "\n")
    return path
