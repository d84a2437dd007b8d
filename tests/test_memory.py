"""Bounded memory: the memory budget reaches DuckDB, body signatures are kept and reused, and reading the vectors
in batches gives what the join gave."""

import json

import numpy as np
import pandas as pd

import app.pipeline as pipeline
from app.config import load_settings
from app.dedup import SCHEME, copy_links, near_copy_pairs
from app.ingest import ingest_files
from app.stages.passages import DEFAULT_BUDGET, EMBED_CHUNK, FRAME_CHUNK, SEGMENT_CHUNK, chunk_sizes
from app.store import Store
from tests.conftest import ingest_sample


def _mib(text: str) -> float:
    """DuckDB's way of writing a size ("476.8 MiB", "1.8 GiB") in MiB."""
    number, unit = text.split()
    return float(number) * {"KiB": 1 / 1024, "MiB": 1, "GiB": 1024}[unit]


def test_the_budget_is_read_from_the_environment_and_files(tmp_path):
    assert load_settings(env={}).memory_budget == DEFAULT_BUDGET
    assert load_settings(env={"NARRATIVES_MEMORY_BUDGET": "900"}).memory_budget == 900
    config = tmp_path / "narratives.toml"
    config.write_text("[narratives]\nmemory_budget = 600\n")
    assert load_settings(config, env={}).memory_budget == 600


def test_a_write_gives_duckdb_half_the_budget_and_a_spill_folder_beside_the_database(tmp_path):
    db = tmp_path / "a.duckdb"
    with Store.write(db, memory_budget=1000) as store:
        limit, spill = store.memory_settings()
        assert abs(_mib(limit) - 500e6 / 2**20) < 0.1  # DuckDB reports 500 MB (of 1000**2 bytes) in MiB
        assert spill == str(tmp_path / "a.duckdb.tmp")
    with Store.write(db, memory_budget=256) as store:
        assert abs(_mib(store.memory_settings()[0]) - 128e6 / 2**20) < 0.1
        # Grouping 3 million distinct 100-byte keys needs several times the 128 MB limit: DuckDB spills it
        # beside the database (without a folder to spill to it fails with "Out of Memory").
        n = store.query_value("""SELECT count(*) FROM (SELECT s, count(*) FROM (
                                     SELECT repeat('x', 100) || i::VARCHAR AS s FROM range(3000000) t(i))
                                 GROUP BY s)""")
        assert n == 3_000_000
        assert (tmp_path / "a.duckdb.tmp").is_dir()
    assert not (tmp_path / "a.duckdb.tmp").exists()  # removed when the write ends


def test_the_build_runs_under_the_budget_it_is_given(tmp_path, encoder):
    db = tmp_path / "b.duckdb"
    settings = load_settings(env={}, db=db, memory_budget=600)
    with Store.write(db) as store:
        ingest_sample(store, settings.max_article_chars)
    report = pipeline.build(db, settings, encoder)
    assert abs(_mib(report.memory_limit) - 300e6 / 2**20) < 0.1
    assert report.frames > 0


def test_chunk_sizes_follow_the_budget():
    default = chunk_sizes(load_settings(env={}))
    assert (default.segment, default.embed) == (SEGMENT_CHUNK, EMBED_CHUNK)  # the sizes always used
    half = chunk_sizes(load_settings(env={}, memory_budget=DEFAULT_BUDGET // 2))
    assert (half.segment, half.sign, half.vectors) == (default.segment // 2, default.sign // 2, default.vectors // 2)
    assert half.embed == EMBED_CHUNK  # never smaller: each chunk groups every text again, and its texts are small
    assert chunk_sizes(load_settings(env={}, memory_budget=DEFAULT_BUDGET * 4)).embed == EMBED_CHUNK * 4
    tiny = chunk_sizes(load_settings(env={}, memory_budget=1))
    assert tiny.segment == SEGMENT_CHUNK // 10 and tiny.vectors == default.vectors // 10
    # the per-frame stages' chunks of frames too (stance, lineage, evidence)
    assert default.frames == FRAME_CHUNK and half.frames == FRAME_CHUNK // 2 and tiny.frames == FRAME_CHUNK // 10


def _copies_from_scratch(store) -> pd.DataFrame:
    """The copies as they were found before signatures were kept: every body hashed again."""
    settings = load_settings(env={})
    pairs = store.copy_pairs(settings.copy_threshold, settings.copy_max_group).assign(method="shared paragraphs")
    near = near_copy_pairs(store.article_bodies(), settings.near_copy_threshold, settings.copy_max_group)
    pairs = pd.concat([pairs, near.assign(method="near-duplicate text")], ignore_index=True)
    ids = sorted(set(pairs["a"]) | set(pairs["b"]))
    return copy_links(pairs, store.article_dates(ids)).sort_values("article_id").reset_index(drop=True)


def _edited_copies(path, articles: list[dict]) -> None:
    """Light edits of ``articles`` (a word changed in every paragraph), as new articles of another outlet."""
    with path.open("w") as fh:
        for i, a in enumerate(articles):
            text = "\n\n".join(p.replace(" the ", " this ", 1) for p in a["text"].split("\n\n"))
            fh.write(json.dumps({"title": "Edited: " + a["title"], "text": text,
                                 "published_at": f"2026-04-0{i + 1}T10:00:00Z", "outlet": "Edited Copies Daily",
                                 "url": f"https://edited.example/{i}"}) + "\n")


def _built_sample(db, encoder):
    """The sample ingested and built into ``db``; the settings used."""
    settings = load_settings(env={}, db=db)
    with Store.write(db) as store:
        ingest_sample(store, settings.max_article_chars)
    pipeline.build(db, settings, encoder)
    return settings


def test_signatures_are_kept_and_a_weekly_update_hashes_only_the_new_bodies(tmp_path, encoder):
    db = tmp_path / "c.duckdb"
    settings = _built_sample(db, encoder)
    store = Store.open_read(db)
    bodies = store.query_value("SELECT count(*) FROM articles WHERE coalesce(text, '') <> ''")
    first = store.query("SELECT article_id, scheme, shingles, signature FROM body_signatures ORDER BY article_id")
    run = store.query("SELECT counts FROM runs WHERE stage = 'copies' ORDER BY run_id DESC LIMIT 1").iloc[0, 0]
    sample = store.query("SELECT title, text FROM articles ORDER BY article_id LIMIT 3").to_dict("records")
    store.close()
    assert len(first) == bodies > 0 and set(first["scheme"]) == {SCHEME}
    assert json.loads(run)["signed"] == bodies

    week = tmp_path / "week.jsonl"
    _edited_copies(week, sample)
    with Store.write(db) as store:
        assert ingest_files(store, [week], settings.max_article_chars).ingested == 3
    pipeline.build(db, settings, encoder)
    store = Store.open_read(db)
    try:
        counts = json.loads(store.query(
            "SELECT counts FROM runs WHERE stage = 'copies' ORDER BY run_id DESC LIMIT 1").iloc[0, 0])
        assert counts["signed"] == 3  # the week's bodies only
        assert counts["bodies_checked"] < bodies  # only candidates' bodies are read again
        after = store.query("SELECT article_id, scheme, shingles, signature FROM body_signatures ORDER BY article_id")
        kept = after[after["article_id"].isin(first["article_id"])].reset_index(drop=True)
        pd.testing.assert_frame_equal(kept, first)  # the old signatures were not made again
        stored = store.query("SELECT article_id, original_id, similarity, method FROM copies ORDER BY article_id")
        edited = store.query("SELECT article_id FROM articles WHERE outlet_id = 'edited-copies-daily'")["article_id"]
        linked = set(stored["article_id"]) | set(stored["original_id"])
        assert set(edited) <= linked  # the edited copies are found, from stored signatures
        pd.testing.assert_frame_equal(stored, _copies_from_scratch(store), check_dtype=False)
    finally:
        store.close()


def test_bodies_to_sign_are_read_once_when_one_chunk_holds_them(tmp_path):
    """Finding the bodies still to sign compares every article with the signatures (a scan of the archive): a
    first read shorter than the chunk holds every body left, so no empty read follows it; with a smaller chunk
    the bodies come in several reads and every one is signed."""
    for budget, reads_wanted in ((2048, 1), (25, None)):
        db = tmp_path / f"s{budget}.duckdb"
        settings = load_settings(env={}, db=db, memory_budget=budget)
        chunk = chunk_sizes(settings).sign
        with Store.write(db) as store:
            ingest_sample(store, settings.max_article_chars)
            bodies = store.count_bodies_to_sign(SCHEME)
            reads = []
            real = store.bodies_to_sign

            def counted(*args, **kwargs):
                rows = real(*args, **kwargs)
                reads.append(len(rows))
                return rows

            store.bodies_to_sign = counted
            pipeline.copies_stage(store, settings)
            assert store.count_bodies_to_sign(SCHEME) == 0 and sum(reads) == bodies
            assert store.last_run("copies")["counts"]["signed"] == bodies
        if reads_wanted is not None:
            assert bodies < chunk and reads == [bodies]
        else:
            assert chunk < bodies and len(reads) == bodies // chunk + 1 and all(n == chunk for n in reads[:-1])


def test_signatures_made_another_way_are_made_again(tmp_path, encoder):
    db = tmp_path / "d.duckdb"
    settings = _built_sample(db, encoder)
    with Store.write(db) as store:
        assert store.count_bodies_to_sign(SCHEME) == 0
        copies = store.copies()
        pipeline.copies_stage(store, settings, force=True)
        assert store.last_run("copies")["counts"]["signed"] == 0  # nothing hashed again
        old = store.query("SELECT article_id FROM body_signatures ORDER BY article_id LIMIT 5")["article_id"].tolist()
        # Five bodies signed by an earlier recipe: only they are signed again, and the copies stay the same.
        store.add_body_signatures("words4-old-recipe", old, np.zeros(len(old)), np.zeros((len(old), 64)))
        assert store.count_bodies_to_sign(SCHEME) == 5
        pipeline.copies_stage(store, settings, force=True)
        assert store.last_run("copies")["counts"]["signed"] == 5
        assert store.query_value("SELECT count(*) FROM body_signatures WHERE scheme <> ?", [SCHEME]) == 0
        pd.testing.assert_frame_equal(store.copies(), copies)


def test_vectors_read_in_batches_equal_the_join(hashed_sample_db):
    store = Store.open_read(hashed_sample_db)
    try:
        model = store.query_value("SELECT any_value(model) FROM embeddings")
        joined = store.query(
            """SELECT p.passage_id, p.article_id, p.text_hash, p.text, a.outlet_id, a.published_at, e.vector
               FROM passages p JOIN articles a USING (article_id)
               JOIN embeddings e ON e.text_hash = p.text_hash AND e.model = ?
               ORDER BY a.published_at, p.passage_id""", [model])
        for chunk in (7, 1000, 65_536):  # batches cut anywhere, duplicated texts across batches
            meta, vectors = store.passage_vectors(model, with_text=True, chunk=chunk)
            pd.testing.assert_frame_equal(meta.reset_index(drop=True), joined.drop(columns="vector"),
                                          check_dtype=False)
            assert vectors.dtype == np.float32
            assert np.array_equal(vectors, np.stack(joined["vector"].map(lambda v: np.asarray(v, np.float32))))
        assert joined["text_hash"].duplicated().any()  # copies share texts: each vector went to every passage
    finally:
        store.close()
