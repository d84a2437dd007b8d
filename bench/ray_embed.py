"""The embed stage here (``--engine local``) against the same stage on a Ray cluster started on this machine
(``--engine ray``), on the same texts, with the same encoder (the default: int8 ONNX on a CPU).

    python bench/ray_embed.py [--workers 2] [--allsides N]

Ingests and segments the bundled sample (or the first N AllSides articles) into two fresh databases, then
embeds every distinct passage text once each way and reports seconds and texts per second. The Ray side is
timed twice: starting the local Ray instance (``ray.init``), and the embed stage itself, which stages the
texts as Parquet, starts the actor pool (each actor loads the model), embeds and loads the vectors back.
It also says whether the two sets of vectors are byte-identical.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.config import SAMPLE_PATH, load_settings  # noqa: E402
from app.ingest import ingest_file, ingest_sample  # noqa: E402
from app.pipeline import segment_stage  # noqa: E402
from app.stages.passages import embed_stage  # noqa: E402
from app.stages.ray_embed import connect, ray_embed_stage  # noqa: E402
from app.store import Store  # noqa: E402
from embeddings import load_encoder, model_key  # noqa: E402


def prepared(db: Path, settings, source: Path | None) -> None:
    with Store.write(db) as store:
        if source is None:
            ingest_sample(store, SAMPLE_PATH, settings.max_article_chars)
        else:
            ingest_file(store, source, settings.max_article_chars)
        segment_stage(store, settings)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--allsides", type=int, default=0, help="the first N AllSides articles instead of the sample")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="ray-bench-", dir="/tmp"))
    source = None
    if args.allsides:
        from bench.corpora import allsides_rows, write_jsonl

        source = write_jsonl(allsides_rows(limit=args.allsides), tmp / "allsides.jsonl")
    settings = load_settings(env={})
    key = model_key(settings.model, settings.max_seq_length, settings.backend, settings.device)
    results = {}
    for engine in ("local", "ray"):
        db = tmp / f"{engine}.duckdb"
        prepared(db, settings, source)
        with Store.write(db) as store:
            texts = store.count_texts_to_embed(key)
            started = time.perf_counter()
            if engine == "local":
                embed_stage(store, key, lambda: load_encoder(settings.model, settings.device, settings.max_seq_length,
                                                             settings.batch_size, settings.backend), settings.batch_size)
            else:
                connect(None, num_cpus=args.workers, _temp_dir=str(tmp / "ray"))
                up = time.perf_counter() - started
                started = time.perf_counter()
                report = ray_embed_stage(store, key, settings, workers=args.workers)
                assert report.texts == texts
            seconds = time.perf_counter() - started
        results[engine] = (texts, seconds, Store.open_read(db).query(
            "SELECT text_hash, vector FROM embeddings ORDER BY text_hash"))
        extra = f" (+ {up:.1f} s starting the local Ray instance)" if engine == "ray" else ""
        print(f"{engine}: {texts} texts in {seconds:.1f} s, {texts / seconds:.0f} texts/s{extra}")
    a, b = results["local"][2], results["ray"][2]
    same = a["text_hash"].tolist() == b["text_hash"].tolist() and np.stack(a["vector"].to_numpy()).astype(
        np.float32).tobytes() == np.stack(b["vector"].to_numpy()).astype(np.float32).tobytes()
    print(f"model {key}; vectors byte-identical: {same}")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
