"""The embed stage on Ray Data (``narratives build --engine ray``): the rest of the build stays local.

Each round takes up to ``ROUND`` passage texts still missing a vector under the model key, writes them as
Parquet files (``text_hash, text``) under a staging folder, and has Ray Data read them, run them through an
actor pool of :class:`embeddings.distributed.EmbedWorker` (the encoder a local build loads: int8 ONNX
Runtime on CPU workers, sentence-transformers in fp16 on GPU workers when the key is the float model's) and
write ``text_hash, vector FLOAT[dim], runtime`` back as Parquet. The driver checks that every text came back
once with a finite vector of the model's size and loads the vectors through the store's ordinary
``add_embeddings``, a committed chunk at a time, so an interrupted run resumes as a local one does and the
rows are the ones a local run writes. The run record names the engine, the runtime that made the vectors and
every version that differs between this machine and the cluster.

Ray is imported only here, only when this engine is asked for.
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from app.config import Settings
from app.stages.common import Progress, no_progress
from app.store import Store

# Texts per round trip (staged, embedded on the cluster, loaded back); a crash loses at most one round's work
# on the cluster, never a committed chunk.
ROUND = 65_536
# Texts per staged Parquet file at most: a file is Ray Data's unit of reading, and so of spreading the work
# over workers; a round has at least four files per worker while they hold 32 texts or more.
FILE_TEXTS = 512
GPU_FILE_TEXTS = 16_384
# Vectors per committed write into the store: each is a segment file beside the database (app.store.vectors),
# so larger than the local stage's chunk, which is sized by how often an interrupted run may lose work.
LOAD_CHUNK = 65_536
RAY_HINT = "pip install 'narrative-tracker[ray]' (or pip install 'ray[data]')"


class RayEngineError(RuntimeError):
    """Ray is not installed, the cluster cannot be reached, or it sent back something unusable."""


@dataclass
class RayEmbedReport:
    texts: int = 0
    workers: int = 0
    address: str = "a local Ray instance"
    runtime: str | None = None
    differences: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def worker_runtime_env() -> dict:
    """What Ray sends to every worker of this job: the ``embeddings`` package (so a cluster needs only the
    model and the backend's runtime installed) and the hub switched off."""
    return {"py_modules": [str(Path(__import__("embeddings").__file__).parent)],
            "env_vars": {"HF_HUB_OFFLINE": "1"}}


def connect(address: str | None = None, **start):
    """The ``ray`` module, connected: to ``address`` (``ray://host:10001``, ``host:6379`` or ``auto``), else to
    the cluster ``RAY_ADDRESS`` names, else to a Ray instance started here for this build (``start``: the
    arguments of ``ray.init`` for it, e.g. ``num_cpus``). A process already connected stays connected, and
    then its job must carry :func:`worker_runtime_env`."""
    try:
        import ray
    except ImportError as exc:
        raise RayEngineError(f"the Ray engine needs Ray, which is not installed: {RAY_HINT}") from exc
    if ray.is_initialized():
        return ray
    _reachable(address)
    try:
        ray.init(address=address or None, include_dashboard=False, log_to_driver=False,
                 logging_level=logging.WARNING, runtime_env=worker_runtime_env(), **start)
    except Exception as exc:  # ConnectionError, RuntimeError, TimeoutError... whatever Ray raises for it
        where = address or "the address in RAY_ADDRESS (or a new local instance)"
        raise RayEngineError(f"cannot reach the Ray cluster at {where}: {exc}") from exc
    return ray


def _reachable(address: str | None, seconds: float = 5.0) -> None:
    """Refuse at once an address nothing answers at (Ray itself retries for minutes before it gives up)."""
    if not address or address == "auto":
        return
    import socket
    from urllib.parse import urlsplit

    parts = urlsplit(address if "://" in address else f"ray-gcs://{address}")
    try:
        host, port = parts.hostname, parts.port or (10001 if parts.scheme == "ray" else 6379)
    except ValueError as exc:
        raise RayEngineError(f"not a Ray address: {address!r} (expected ray://host:10001 or host:6379)") from exc
    if not host:
        raise RayEngineError(f"not a Ray address: {address!r} (expected ray://host:10001 or host:6379)")
    try:
        socket.create_connection((host, port), timeout=seconds).close()
    except OSError as exc:
        raise RayEngineError(f"cannot reach the Ray cluster at {address}: nothing answers at {host}:{port} "
                             f"({exc.strerror or exc})") from exc


def _workers(ray, use_gpu: bool, requested: int | None) -> int:
    resources = ray.cluster_resources()
    have = int(resources.get("GPU" if use_gpu else "CPU", 0))
    if requested:
        return requested
    if have < 1:
        raise RayEngineError(f"the Ray cluster offers no {'GPU' if use_gpu else 'CPU'} to embed on: {resources}")
    return have


def ray_embed_stage(store: Store, key: str, settings: Settings, address: str | None = None,
                    progress: Progress = no_progress, workers: int | None = None, staging: str | None = None,
                    round_texts: int = ROUND) -> RayEmbedReport:
    """Embed every passage text missing a vector under ``key`` on a Ray cluster; the vectors are written to
    ``store`` exactly as the local stage writes them."""
    from embeddings.distributed import runtime_versions, version_differences
    from embeddings.select import pick_backend

    report = RayEmbedReport()
    total = store.count_texts_to_embed(key)
    if total == 0:
        return report
    ray = connect(address)
    try:
        report.address = address or ray.get_runtime_context().gcs_address
    except Exception:  # noqa: BLE001 - Ray Client has no GCS address to give
        report.address = address or "RAY_ADDRESS"
    import pyarrow as pa
    import pyarrow.parquet as pq
    import ray.data

    backend = "hashing" if settings.model.startswith("hashing") else pick_backend(settings.model, settings.backend,
                                                                                  settings.device)
    use_gpu = backend == "torch" and int(ray.cluster_resources().get("GPU", 0)) > 0
    report.workers = _workers(ray, use_gpu, workers)
    # Each CPU worker runs one single-threaded encoder; together they hold all the cluster's cores but one.
    cores = float(ray.cluster_resources().get("CPU", 1))
    worker_cpus = min(1.0, max(0.01, (cores - 1) / report.workers)) if cores > 1 else 0.5 / report.workers
    # The build reports progress itself; Ray Data's bars and per-run notices would interleave with it.
    ctx = ray.data.DataContext.get_current()
    ctx.print_on_execution_start = False
    logging.getLogger("ray.data").setLevel(logging.ERROR)
    ctx.enable_progress_bars = False
    root = Path(tempfile.mkdtemp(prefix="narratives-ray-", dir=staging))
    constructor = {"model": settings.model, "backend": backend if backend != "hashing" else "auto", "key": key,
                   "device": "cuda" if use_gpu else ("cpu" if backend == "torch" else settings.device),
                   "max_seq_length": settings.max_seq_length, "batch_size": settings.batch_size,
                   "cache_dir": str(settings.cache_dir) if settings.cache_dir else None,
                   "threads": None if use_gpu else 1}
    local = runtime_versions()
    run_id = None
    done = 0
    progress("embed", 0, total)
    try:
        round_no = 0
        while True:
            batch = store.texts_to_embed(key, round_texts)
            if batch.empty:
                break
            round_no += 1
            src, out = root / f"in-{round_no}", root / f"out-{round_no}"
            src.mkdir()
            # A GPU worker wants big blocks (the local GPU encoder takes 65,536 texts per call).
            per_file = max(32, min(GPU_FILE_TEXTS if use_gpu else FILE_TEXTS, -(-len(batch) // (4 * report.workers))))
            for i, start in enumerate(range(0, len(batch), per_file)):
                part = batch.iloc[start:start + per_file]
                pq.write_table(pa.table({"text_hash": pa.array(part["text_hash"].tolist(), pa.string()),
                                         "text": pa.array(part["text"].tolist(), pa.string())}),
                               src / f"part-{i:05d}.parquet")
            _run_round(ray, src, out, constructor, report.workers, use_gpu, worker_cpus, per_file,
                       lambda n: progress("embed", done + n, total))
            vectors = _read_back(out, batch["text_hash"].tolist())
            runtimes = sorted(set(vectors.pop("runtime")))
            if run_id is None:
                cluster = json.loads(runtimes[0])
                report.runtime = cluster.pop("encoder")
                report.differences = version_differences(backend, local, cluster)
                run_id = store.start_run("embed", {
                    "model": key, "runtime": report.runtime, "engine": "ray", "address": report.address,
                    "workers": report.workers, "local_versions": local, "cluster_versions": cluster,
                    "differs": {k: list(v) for k, v in report.differences.items()}})
            if len(runtimes) > 1:
                report.notes.append(f"the workers ran {len(runtimes)} different runtimes: "
                                    + "; ".join(json.loads(r)["encoder"] or "?" for r in runtimes))
            hashes, matrix = vectors["text_hash"], vectors["vector"]
            for start in range(0, len(hashes), LOAD_CHUNK):
                store.add_embeddings(key, hashes[start:start + LOAD_CHUNK], matrix[start:start + LOAD_CHUNK])
            done += len(hashes)
            progress("embed", done, total)
            shutil.rmtree(src, ignore_errors=True)
            shutil.rmtree(out, ignore_errors=True)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    if run_id is not None:
        store.finish_run(run_id, {"texts": done})
    report.texts = done
    report.notes.append(f"embedded {done} texts on Ray: {report.workers} workers at {report.address}, "
                        f"{report.runtime or 'runtime unknown'}")
    for name, (here, there) in report.differences.items():
        report.notes.append(f"{name} differs: {here or 'absent'} here, {there or 'absent'} on the cluster")
    if report.differences:
        report.notes.append("vectors made with other runtime versions can differ slightly from a local build's")
    return report


def _run_round(ray, src: Path, out: Path, constructor: dict, workers: int, use_gpu: bool, cpus: float,
               per_file: int, step) -> None:
    """Ray Data: read the staged texts, embed them on an actor pool, write the vectors as Parquet; ``step``
    is told how many vectors have been written while it runs."""
    from embeddings.distributed import EmbedWorker  # pickled by reference: the workers import it too

    # Reading and writing take no CPU of their own, and the workers together leave one core free for Ray
    # Data's own tasks (listing the files): with every core held by a worker, they would wait for ever.
    # Ray Data reads small files into one block, which one worker would take alone: split it back, one block
    # per staged file, without shuffling.
    files = len(list(src.iterdir()))
    ds = ray.data.read_parquet(str(src), num_cpus=0).repartition(files, shuffle=False)
    ds = ds.map_batches(EmbedWorker, batch_format="pyarrow", batch_size=per_file,
                        compute=ray.data.ActorPoolStrategy(size=workers), fn_constructor_kwargs=constructor,
                        num_cpus=0 if use_gpu else cpus, num_gpus=1 if use_gpu else 0)
    failure: list[BaseException] = []

    def write() -> None:
        try:
            ds.write_parquet(str(out), ray_remote_args={"num_cpus": 0})
        except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
            failure.append(exc)

    thread = threading.Thread(target=write, daemon=True)
    thread.start()
    import pyarrow.parquet as pq

    seen: dict[str, int] = {}
    while thread.is_alive():
        # Polled often: a round of a few thousand texts can be written in a second or two, and progress read
        # once a second could miss every file until the last.
        thread.join(0.25)
        for f in out.glob("*.parquet") if out.exists() else []:
            if f.name not in seen:
                try:
                    seen[f.name] = pq.read_metadata(f).num_rows
                except Exception:  # noqa: BLE001 - a file still being written
                    continue
        step(sum(seen.values()))
    if failure:
        raise RayEngineError(f"the Ray cluster failed to embed the texts: {failure[0]}") from failure[0]


def _read_back(out: Path, sent: list[str]) -> dict:
    """The vectors the cluster wrote, in the order sent, checked: each text once, none missing, none
    unknown, each a finite vector of one size."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    files = sorted(out.glob("*.parquet")) if out.exists() else []
    if not files:
        raise RayEngineError(f"the Ray cluster wrote no vectors for {len(sent)} texts")
    table = pa.concat_tables([pq.read_table(f) for f in files])
    hashes = table.column("text_hash").to_pylist()
    position = {h: i for i, h in enumerate(hashes)}
    if len(position) != len(hashes):
        raise RayEngineError("the Ray cluster sent some texts back more than once")
    missing = [h for h in sent if h not in position]
    extra = len(position) - (len(sent) - len(missing))
    if missing or extra:
        raise RayEngineError(f"the Ray cluster sent back {len(hashes)} vectors for {len(sent)} texts "
                             f"({len(missing)} missing, e.g. text {missing[0] if missing else '-'}; {extra} unknown)")
    column = table.column("vector").combine_chunks()
    dim = column.type.list_size if pa.types.is_fixed_size_list(column.type) else None
    if dim is None:
        raise RayEngineError(f"the Ray cluster's vectors are {column.type}, not fixed-size float lists")
    matrix = column.flatten().to_numpy(zero_copy_only=False).reshape(len(hashes), dim).astype(np.float32, copy=False)
    order = np.asarray([position[h] for h in sent])
    matrix = matrix[order]
    bad = ~np.isfinite(matrix).all(axis=1)
    if bad.any():
        raise RayEngineError(f"the Ray cluster sent {int(bad.sum())} vectors that are not finite, e.g. for text "
                             f"{sent[int(np.flatnonzero(bad)[0])]}")
    runtime = table.column("runtime").to_pylist()
    return {"text_hash": sent, "vector": matrix, "runtime": [runtime[i] for i in order]}
