"""A few hundred AllSides articles about North Korea, with the real model (skipped without the corpora)."""

import re
import sys
from pathlib import Path

import pytest

from app.ingest import ingest_files
from app.pipeline import run_stages
from app.store import Store
from tests.conftest import corpus_path

pytestmark = [pytest.mark.corpus, pytest.mark.integration]
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))


def test_north_korea_subset_builds_frames_with_sane_labels(tmp_path, settings):
    corpus_path("allsides", "articles.jsonl.gz")
    from corpora import allsides_rows, write_jsonl

    rows = allsides_rows("north korea", limit=200)
    assert len(rows) == 200
    src = write_jsonl(rows, tmp_path / "nk.jsonl")
    with Store.write(settings.db) as store:
        report = ingest_files(store, [src], settings.max_article_chars)
        build = run_stages(store, settings)
    # Everything is accounted for: stored or rejected with a reason.
    assert report.ingested + report.rejected + report.already_present == 200
    assert report.ingested >= 150
    assert build.frames >= 3
    r = Store.open_read(settings.db)
    try:
        summary = r.frame_summary()
        rejects = r.rejects()
        assert rejects["reason"].str.len().gt(0).all()
        for row in summary.itertuples():
            phrases = r.frame(row.frame_id)["phrases"]
            assert phrases and all(re.search(r"[a-z]", p) for p in phrases), row.label
            text = " ".join(r.frame_passages(row.frame_id)["text"]).lower()
            # every label phrase is really in the frame's passages
            for p in phrases:
                assert all(w in text for w in p.lower().split()), (p, row.label)
        assert (summary["outlets"] >= settings.min_frame_outlets).all()
        labels = " ".join(summary["label"]).lower()
        assert re.search(r"korea|kim|nuclear|missile|pyongyang|trump", labels), labels
        # a minority of passages may stay unassigned, but frames carry real weight
        assert 0.05 <= build.assigned_passages / build.total_passages <= 0.98
    finally:
        r.close()
