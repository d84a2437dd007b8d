"""The copies stage: an update compares only its new articles with the archive, and finds what a whole run finds."""

import dataclasses
import datetime as dt
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from app.config import SAMPLE_PATH, load_settings
from app.dedup import BANDS, MIN_SHINGLES, ROWS, SCHEME, candidate_pairs
from app.ingest import ingest_files
from app.stages.passages import copies_stage, segment_stage
from app.store import Store

ROOT = Path(__file__).resolve().parent.parent


def test_new_pairs_and_kept_pairs_make_the_whole_archive_s_candidates():
    """Signatures drawn from few values (so that bands collide often, and buckets outgrow a small limit as rows
    are added): the candidates of the first rows that are still candidates, with the pairs of the added rows
    (both decided in the database), are the candidates of every row. Signatures shorter than ``MIN_SHINGLES``
    and signatures of another scheme take no part."""
    rng = np.random.default_rng(7)
    signatures = rng.integers(0, 3, size=(300, BANDS * ROWS)).astype(np.uint32)
    ids = [f"a{i:04d}" for i in range(len(signatures))]
    store = Store.memory()
    try:
        store.add_articles(pd.DataFrame({
            "article_id": ids + ["short", "other"], "outlet_id": "o", "text": "body",
            "published_at": dt.datetime(2026, 1, 1), "content_hash": [f"h{a}" for a in ids + ["short", "other"]],
            "ingested_at": dt.datetime(2026, 1, 2)}))
        store.add_body_signatures(SCHEME, ids, np.full(len(ids), MIN_SHINGLES), signatures)
        store.add_body_signatures(SCHEME, ["short"], np.array([MIN_SHINGLES - 1]), signatures[:1])
        store.add_body_signatures("another-scheme", ["other"], np.array([50]), signatures[:1])
        for max_bucket in (2, 5, 40):
            whole = candidate_pairs(ids, signatures, max_bucket)
            old = sorted(candidate_pairs(ids[:200], signatures[:200], max_bucket))
            added, kept = store.band_candidates(SCHEME, MIN_SHINGLES, max_bucket, ids[200:],
                                                pd.DataFrame(old, columns=["a", "b"]))
            assert kept <= set(old) and all(a in ids[200:] or b in ids[200:] for a, b in added)
            assert kept | added == whole, max_bucket
            assert len(kept) < len(old) or max_bucket == 40  # some buckets grew past the small limits
            assert len(added) > 0
        none = pd.DataFrame({"a": pd.Series([], dtype=str), "b": pd.Series([], dtype=str)})
        assert store.band_candidates(SCHEME, MIN_SHINGLES, 5, [], none) == (set(), set())
        # an article without a signature proposes nothing, and a stored pair holding one is not kept
        assert store.band_candidates(SCHEME, MIN_SHINGLES, 40, ["unsigned"],
                                     pd.DataFrame({"a": ["a0001"], "b": ["unsigned"]})) == (set(), set())
    finally:
        store.close()


def _parts(rows: list[str], folder: Path, cuts: list[int]) -> list[Path]:
    paths = []
    for i, (start, end) in enumerate(zip([0, *cuts], [*cuts, len(rows)])):
        path = folder / f"part{i}.jsonl"
        path.write_text("\n".join(rows[start:end]) + "\n", encoding="utf-8")
        paths.append(path)
    return paths


def _copies(store: Store, settings, paths: list[Path], step: bool) -> list[str]:
    """Ingest ``paths`` (all at once, or one at a time with the segment and copies stages after each); the
    copies runs' modes."""
    modes = []
    for batch in ([[p] for p in paths] if step else [paths]):
        ingest_files(store, batch, settings.max_article_chars)
        segment_stage(store, settings)
        copies_stage(store, settings)
        modes.append(store.last_run("copies")["counts"]["mode"])
    return modes


def _same_copies(paths: list[Path], settings) -> None:
    whole, steps = Store.memory(), Store.memory()
    try:
        assert _copies(whole, settings, paths, step=False) == ["full"]
        assert _copies(steps, settings, paths, step=True) == ["full"] + ["update"] * (len(paths) - 1)
        pairs = whole.stored_copy_pairs()
        assert len(pairs) > 0
        pd.testing.assert_frame_equal(steps.stored_copy_pairs(), pairs)
        pd.testing.assert_frame_equal(steps.copies(), whole.copies())
        assert len(whole.copies()) > 0
    finally:
        whole.close()
        steps.close()


@pytest.mark.parametrize("max_group", [200, 3])
def test_an_update_of_the_sample_finds_the_pairs_a_whole_run_finds(tmp_path, max_group):
    """The sample in three parts, each added as a weekly update would be; with a small ``copy_max_group``
    paragraphs and MinHash buckets pass the limit as parts are added, which changes older pairs."""
    settings = dataclasses.replace(load_settings(env={}, db=tmp_path / "x.duckdb"), copy_max_group=max_group)
    rows = SAMPLE_PATH.read_text(encoding="utf-8").splitlines()
    _same_copies(_parts(rows, tmp_path, [150, 300]), settings)


def test_an_update_of_a_synthetic_archive_finds_the_near_copies_a_whole_run_finds(tmp_path):
    """The synthetic archive's wire stories are republished lightly edited (near copies, found from MinHash
    candidates): added in four parts, with a bucket limit small enough that buckets outgrow it."""
    out = tmp_path / "synth.jsonl"
    subprocess.run([sys.executable, str(ROOT / "bench" / "synth.py"), "--articles", "600", "--out", str(out),
                    "--years", "0.25"], check=True, cwd=ROOT, capture_output=True)
    settings = dataclasses.replace(load_settings(env={}, db=tmp_path / "x.duckdb"), copy_max_group=6)
    rows = out.read_text(encoding="utf-8").splitlines()
    paths = _parts(rows, tmp_path, [300, 400, 500])
    _same_copies(paths, settings)
    store = Store.memory()
    try:
        _copies(store, settings, paths, step=False)
        assert (store.stored_copy_pairs()["method"] == "near-duplicate text").any()
    finally:
        store.close()


def test_saved_copies_are_exactly_the_rows_given_however_they_changed():
    """The copies stage writes only the pairs and links that changed (``Store.save_copies``): after each save the
    tables hold exactly what was given: rows kept, dropped, added, a link whose original or similarity changed,
    and nothing at all."""
    store = Store.memory()
    try:
        def save(pairs, links):
            store.save_copies(pd.DataFrame(pairs, columns=["a", "b", "jaccard", "method"]),
                              pd.DataFrame(links, columns=["article_id", "original_id", "similarity", "method"]), [])
            got_pairs = store.stored_copy_pairs()
            got_links = store.copies()
            assert sorted(map(tuple, got_pairs[["a", "b", "method"]].to_numpy().tolist())) == \
                sorted((a, b, m) for a, b, _, m in pairs)
            assert np.allclose(sorted(got_pairs["jaccard"]), sorted(j for _, _, j, _ in pairs))
            assert sorted(map(tuple, got_links[["article_id", "original_id", "method"]].to_numpy().tolist())) == \
                sorted((a, o, m) for a, o, _, m in links)
            assert np.allclose(sorted(got_links["similarity"]), sorted(s for _, _, s, _ in links))

        near, shared = "near-duplicate text", "shared paragraphs"
        save([("a", "b", 0.9, shared), ("a", "c", 0.6, near)], [("b", "a", 0.9, shared), ("c", "a", 0.6, near)])
        save([("a", "b", 0.9, shared), ("a", "b", 0.7, near), ("d", "e", 0.8, near)],
             [("b", "a", 0.9, shared), ("e", "d", 0.8, near)])
        save([("a", "b", 0.9, shared), ("b", "z", 0.95, shared)], [("b", "z", 0.95, shared), ("a", "z", 0.9, shared)])
        save([], [])
    finally:
        store.close()


def test_an_update_finds_the_accounted_articles_passages_changed_without_reading_them_all(tmp_path):
    """An update compares the new articles alone only when the passages of the articles the stored pairs account
    for are as the last run left them: their fingerprint is every passage's less the new articles' (the
    fingerprint a build takes anyway), which equals reading them; a changed passage of theirs means a full run."""
    from app.fingerprints import passages_add_up

    settings = load_settings(env={}, db=tmp_path / "x.duckdb")
    rows = SAMPLE_PATH.read_text(encoding="utf-8").splitlines()
    first, second = _parts(rows, tmp_path, [200])
    store = Store.memory()
    try:
        assert _copies(store, settings, [first], step=True) == ["full"]
        ingest_files(store, [second], settings.max_article_chars)
        segment_stage(store, settings)
        fresh = store.unaccounted_articles()
        assert len(fresh) > 50
        accounted = store.accounted_passage_fingerprint()
        assert accounted == store.last_run("copies")["parameters"]["passages"]
        assert passages_add_up(accounted, store.passage_fingerprint(None, articles=fresh),
                               store.passage_fingerprint(None))
        store.conn.execute("""UPDATE passages SET text_hash = 'edited' WHERE passage_id = (
                                  SELECT min(passage_id) FROM passages
                                  WHERE article_id IN (SELECT article_id FROM copy_accounted))""")
        copies_stage(store, settings)
        assert store.last_run("copies")["counts"]["mode"] == "full"
    finally:
        store.close()
