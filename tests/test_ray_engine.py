"""The embed stage on Ray Data (``--engine ray``): a local Ray cluster of two workers embeds the sample's texts
with the packaged int8 model, and the store ends with the same vectors, to the byte, and the same frames as
a local build. Ray is an optional extra of the product and part of the test extra: these tests skip only where
it is not installed."""

from __future__ import annotations

import shutil
import sys
import tempfile

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from app.store import Store

NO_RAY = "ray is not installed (pip install 'narrative-tracker[ray]'); the Ray engine's tests need it"


def test_a_missing_ray_is_named_with_its_install(monkeypatch):
    from app.stages.ray_embed import RayEngineError, connect

    monkeypatch.setitem(sys.modules, "ray", None)  # import ray raises ImportError
    with pytest.raises(RayEngineError, match=r"needs Ray, which is not installed: pip install 'narrative-tracker\[ray\]'"):
        connect("ray://127.0.0.1:10001")


def test_an_unreachable_cluster_is_refused_at_once(tmp_path, monkeypatch):
    pytest.importorskip("ray", reason=NO_RAY)
    import socket

    from app.cli import main
    from app.config import SAMPLE_PATH
    from app.ingest import ingest_sample

    db = tmp_path / "s.duckdb"
    with Store.write(db) as store:  # ingested, nothing embedded
        ingest_sample(store, SAMPLE_PATH, 200_000)
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("NARRATIVES_MODEL", "hashing-384")
    result = CliRunner().invoke(main, ["build", "--db", str(db), "--engine", "ray", "--address", f"127.0.0.1:{port}"])
    assert result.exit_code == 1
    assert f"cannot reach the Ray cluster at 127.0.0.1:{port}: nothing answers" in result.output
    result = CliRunner().invoke(main, ["build", "--db", str(db), "--address", f"127.0.0.1:{port}"])
    assert result.exit_code == 2 and "--address needs --engine ray" in result.output


def _vectors_file(path, hashes, vectors, runtime="{}"):
    from embeddings.distributed import vector_column

    pq.write_table(pa.table({"text_hash": hashes, "vector": vector_column(np.asarray(vectors, np.float32)),
                             "runtime": [runtime] * len(hashes)}), path)


def test_what_the_cluster_sends_back_is_checked(tmp_path):
    from app.stages.ray_embed import RayEngineError, _read_back

    (tmp_path / "ok").mkdir()
    _vectors_file(tmp_path / "ok" / "a.parquet", ["b", "a"], [[0.0, 1.0], [1.0, 0.0]])
    back = _read_back(tmp_path / "ok", ["a", "b"])
    assert back["text_hash"] == ["a", "b"]
    assert back["vector"].tolist() == [[1.0, 0.0], [0.0, 1.0]]  # in the order sent
    (tmp_path / "missing").mkdir()
    _vectors_file(tmp_path / "missing" / "a.parquet", ["a"], [[1.0, 0.0]])
    with pytest.raises(RayEngineError, match="1 vectors for 2 texts .1 missing, e.g. text b"):
        _read_back(tmp_path / "missing", ["a", "b"])
    (tmp_path / "twice").mkdir()
    _vectors_file(tmp_path / "twice" / "a.parquet", ["a", "a"], [[1.0, 0.0], [1.0, 0.0]])
    with pytest.raises(RayEngineError, match="more than once"):
        _read_back(tmp_path / "twice", ["a"])
    (tmp_path / "nan").mkdir()
    _vectors_file(tmp_path / "nan" / "a.parquet", ["a", "b"], [[1.0, 0.0], [np.nan, 0.0]])
    with pytest.raises(RayEngineError, match="1 vectors that are not finite, e.g. for text b"):
        _read_back(tmp_path / "nan", ["a", "b"])
    (tmp_path / "none").mkdir()
    with pytest.raises(RayEngineError, match="wrote no vectors for 1 texts"):
        _read_back(tmp_path / "none", ["a"])


def test_version_differences_name_what_can_change_the_vectors():
    from embeddings.distributed import runtime_versions, version_differences

    here = runtime_versions()
    assert version_differences("onnx-int8", here, dict(here)) == {}
    there = dict(here, onnxruntime="0.0.1", transformers="0.0.2")
    assert version_differences("onnx-int8", here, there) == {"onnxruntime": (here["onnxruntime"], "0.0.1")}
    assert "transformers" in version_differences("torch", here, there)


@pytest.fixture(scope="module")
def ray_cluster():
    pytest.importorskip("ray", reason=NO_RAY)
    import ray

    from app.stages.ray_embed import connect

    # Ray's sockets live under its temporary folder, whose path must stay short.
    temp = tempfile.mkdtemp(prefix="ray-", dir="/tmp")
    connect(None, num_cpus=2, _temp_dir=temp)  # a local cluster of two CPUs, so two workers
    yield ray
    ray.shutdown()
    shutil.rmtree(temp, ignore_errors=True)


@pytest.mark.integration
def test_ray_embeds_the_sample_as_a_local_build_does(ray_cluster, sample_db, tmp_path):
    """The sample built locally (the session's ``sample_db``, packaged int8 model) against the sample built
    with its embed stage on a two-worker Ray cluster."""
    from app.config import SAMPLE_PATH, SAMPLE_SEEDS, load_settings
    from app.ingest import ingest_sample
    from app.pipeline import run_stages
    from embeddings.distributed import runtime_versions

    db = tmp_path / "ray.duckdb"
    settings = load_settings(env={}, db=db, frames_file=SAMPLE_SEEDS)
    seen = []
    with Store.write(db) as store:
        ingest_sample(store, SAMPLE_PATH, settings.max_article_chars)
        report = run_stages(store, settings, engine="ray",
                            progress=lambda stage, done, total: seen.append((done, total)) if stage == "embed" else None)
    local, ray_side = Store.open_read(sample_db), Store.open_read(db)
    key = local.query_value("SELECT DISTINCT model FROM embeddings")
    assert key.endswith("+int8v2")
    sql = "SELECT model, text_hash, vector FROM embeddings ORDER BY text_hash"
    a, b = local.query(sql), ray_side.query(sql)
    assert report.embedded_texts == len(a) > 600
    assert b["model"].tolist() == a["model"].tolist() and b["text_hash"].tolist() == a["text_hash"].tolist()
    va, vb = np.stack(a["vector"].to_numpy()).astype(np.float32), np.stack(b["vector"].to_numpy()).astype(np.float32)
    assert va.tobytes() == vb.tobytes()  # the int8 path: identical bytes
    # Progress came while the cluster worked, not only at the end.
    assert seen[0] == (0, len(a)) and seen[-1] == (len(a), len(a))
    assert any(0 < done < total for done, total in seen)
    # The same frames afterwards.
    frames = "SELECT passage_id, frame_id FROM passage_frames ORDER BY ALL"
    assert ray_side.query(frames).equals(local.query(frames))
    labels = "SELECT frame_id, label FROM frames ORDER BY frame_id"
    assert ray_side.query(labels).equals(local.query(labels))
    # The run says how and with what the vectors were made.
    run = ray_side.last_run("embed")["parameters"]
    assert run["engine"] == "ray" and run["workers"] == 2 and run["model"] == key
    assert run["runtime"] == local.last_run("embed")["parameters"]["runtime"]  # "onnxruntime X.Y.Z"
    assert run["cluster_versions"] == run["local_versions"] == runtime_versions() and run["differs"] == {}
    assert report.notes == [f"embedded {len(a)} texts on Ray: 2 workers at {run['address']}, {run['runtime']}"]


@pytest.mark.integration
def test_ray_resumes_a_partly_embedded_store_over_several_rounds(ray_cluster, hashed_sample_db, tmp_path):
    """A store that already holds some vectors (an interrupted build) gets only the rest from the cluster, in
    rounds, and ends with the vectors a local build made."""
    from app.config import SAMPLE_PATH, load_settings
    from app.ingest import ingest_sample
    from app.pipeline import segment_stage
    from app.stages.ray_embed import ray_embed_stage
    from embeddings import HashingEncoder

    key = "hashing-384"
    db = tmp_path / "partly.duckdb"
    settings = load_settings(env={}, db=db, model=key)
    with Store.write(db) as store:
        ingest_sample(store, SAMPLE_PATH, settings.max_article_chars)
        segment_stage(store, settings)
        first = store.texts_to_embed(key, 250)
        store.add_embeddings(key, first["text_hash"].tolist(), HashingEncoder(384).encode(first["text"].tolist()))
        left = store.count_texts_to_embed(key)
        assert left > 400
        # Three rounds: each is a Ray Data job of its own (actors started, the encoder loaded).
        report = ray_embed_stage(store, key, settings, round_texts=-(-left // 3))
        assert report.texts == left and store.count_texts_to_embed(key) == 0
    sql = f"SELECT text_hash, vector FROM embeddings WHERE model = '{key}' ORDER BY text_hash"
    a, b = Store.open_read(hashed_sample_db).query(sql), Store.open_read(db).query(sql)
    assert b["text_hash"].tolist() == a["text_hash"].tolist()
    np.testing.assert_allclose(np.stack(b["vector"].to_numpy()), np.stack(a["vector"].to_numpy()), atol=1e-6)
