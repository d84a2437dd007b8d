"""A few hundred AllSides articles about North Korea, with the real model (skipped without the corpora)."""

import datetime as dt
import re
import sys
from pathlib import Path

import pytest

from app.frames.labels import occurs, stop_word_fragment
from app.ingest import ingest_files
from app.spread import frame_adoption
from app.pipeline import run_stages
from app.store import Store
from tests.conftest import corpus_path

pytestmark = [pytest.mark.corpus, pytest.mark.integration]
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))


def test_north_korea_subset_builds_frames_with_sane_labels(tmp_path, settings, nk_slice_db):
    corpus_path("allsides", "articles.jsonl.gz")
    from corpora import allsides_rows, write_jsonl

    rows = allsides_rows("north korea", limit=200)
    assert len(rows) == 200
    src = write_jsonl(rows, tmp_path / "nk.jsonl")
    with Store.write(settings.db) as store:
        report = ingest_files(store, [src], settings.max_article_chars)
        # The whole slice's vectors, as the product's own cache: these passages are embedded once a session.
        store.copy_cache_from(str(nk_slice_db))
        build = run_stages(store, settings)
    assert build.embedded_texts == 0  # every vector came from the cache
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
            assert phrases and all(re.search(r"[^\W\d_]", p) for p in phrases), row.label
            assert not stop_word_fragment(row.label), row.label
            texts = r.frame_passages(row.frame_id)["text"].tolist()
            # every label phrase occurs verbatim in the frame's passages
            for p in phrases:
                assert any(occurs(p, t) for t in texts), (p, row.label)
        assert (summary["outlets"] >= settings.min_frame_outlets).all()
        labels = " ".join(summary["label"]).lower()
        assert re.search(r"korea|kim|nuclear|missile|pyongyang|trump", labels), labels
        # a minority of passages may stay unassigned, but frames carry real weight
        assert 0.05 <= build.assigned_passages / build.total_passages <= 0.98
    finally:
        r.close()


@pytest.mark.parametrize("phrase", ["fire and fury", "rocket man"])
def test_seeded_phrase_first_seen_and_outlets_match_a_direct_search(tmp_path, settings, phrase):
    """The tool's first-seen article and adoption table for a phrase equal a direct search of the corpus,
    from the phrase's onset on: the first article (with a sound date) followed within 7 days by two more
    from at least two outlets in all; earlier isolated uses are precursors."""
    corpus_path("allsides", "articles.jsonl.gz")
    from corpora import allsides_rows, write_jsonl

    from app.frames.seeded import Seed, phrase_pattern, save_seeds
    from app.ingest.normalize import RecordProblem, parse_date, url_date

    pattern = phrase_pattern(phrase)
    rows = [r for r in allsides_rows("north korea") if pattern.search(f"{r.get('title')}\n{r.get('text')}")]
    assert len(rows) >= 20
    src = write_jsonl(rows, tmp_path / "phrase.jsonl")
    seeds = tmp_path / "frames.toml"
    save_seeds(seeds, [Seed(phrase, (phrase,), threshold=0.99)])  # literal matches only
    s = settings.replace(frames_file=seeds, model="hashing-384")  # a literal seed needs no real model
    with Store.write(s.db) as store:
        ingest_files(store, [src], s.max_article_chars)
        run_stages(store, s)
    # Direct search: every article with a usable date that says the phrase, earliest first.
    dated = []
    for r in rows:
        try:
            dated.append((parse_date(r["date"] or url_date(r["url"])), r["source"], r["url"]))
        except RecordProblem:
            continue
    r = Store.open_read(s.db)
    try:
        summary = r.frame_summary().query("kind == 'seeded'")
        assert len(summary) == 1
        row = summary.iloc[0]
        spread = frame_adoption(r.outlet_firsts([int(row["frame_id"])]))
        flagged = set(r.query("SELECT url FROM articles JOIN date_flags USING (article_id)")["url"])
    finally:
        r.close()
    dated = sorted(d for d in dated if d[2] not in flagged)
    week = dt.timedelta(days=7)
    onset = next(w for w, o, _ in dated
                 if len([1 for x, _, _ in dated if w <= x <= w + week]) >= 3
                 and len({p for x, p, _ in dated if w <= x <= w + week}) >= 2)
    first_by_outlet = {}
    for when, outlet, _ in dated:
        if when >= onset:
            first_by_outlet.setdefault(outlet, when)
    assert row["first_seen"] == onset
    assert row["first_outlet"] in {o for w, o, _ in dated if w == onset}
    assert dict(zip(spread["outlet"], spread["first_seen"])) == first_by_outlet
