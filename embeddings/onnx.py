"""ONNX Runtime backend: the same transformer, exported locally, optionally int8.

The export runs once on the user's machine from the local model folder (no
hub) and is cached under ``cache_dir``: the model is exported with plain
("eager") attention so ONNX Runtime's transformer optimizer can fuse attention
and GELU, then its weights are quantised to int8 per channel (dynamic
quantisation: activation scales are computed at run time).

Two kernels are avoided because they are slow for one short text on a CPU
(bench/RESULTS.md, "int8 kernels"): the fused SkipLayerNormalization (about 3x
slower here than the residual Add and the standard LayerNormalization it
replaces), and, in the int8 model only, the exact erf GELU (BiasGelu), replaced
by its tanh form (FastGelu; float vectors move by less than 1e-4 in cosine).

Texts are run one at a time, on as many single-threaded workers as there are
cores. On a CPU this beats batching (no padding at all), and it makes every
vector independent of which other texts were encoded with it: dynamic
quantisation would otherwise scale a text by its batch mates, and the same
text could get slightly different vectors in an incremental and a full build.
Pooling is the model's mean pooling, then unit length, as in
sentence-transformers.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import platform
from concurrent.futures import ThreadPoolExecutor
import shutil
import tempfile
import warnings
from pathlib import Path
from typing import Sequence

import numpy as np

from embeddings.base import normalise_rows
from embeddings.cachefiles import making, private_name

OPSET = 17
RECIPE = 3  # bump when the export changes, so caches of older exports are not reused


def _missing(what: str) -> RuntimeError:
    return RuntimeError(f"the ONNX backend needs {what}: pip install 'narrative-tracker[fast]'")


def model_fingerprint(model_dir: str | os.PathLike) -> str:
    """Identity of a local model folder: its config and weight file sizes."""
    model_dir = Path(model_dir)
    h = hashlib.sha1()
    for name in sorted(os.listdir(model_dir)):
        p = model_dir / name
        if p.is_file():
            h.update(name.encode())
            h.update(str(p.stat().st_size).encode())
            if p.suffix == ".json":
                h.update(p.read_bytes())
    return h.hexdigest()[:12]


def export(model_dir: str | os.PathLike, cache_dir: str | os.PathLike, quantize: bool = True) -> Path:
    """Export ``model_dir``'s transformer to ONNX (once) and return the model file to load."""
    model_dir = Path(model_dir)
    out = Path(cache_dir) / f"{model_dir.name}-{model_fingerprint(model_dir)}-onnx{RECIPE}"
    target = out / ("model-int8.onnx" if quantize else "model.onnx")
    if target.exists():
        return target
    with making(out):  # one process exports; another waits here, then finds the files whole
        if target.exists():
            return target
        fp32 = out / "model.onnx"
        if not fp32.exists():
            tmp = private_name(fp32)
            _export_fp32(model_dir, tmp)
            _fuse(model_dir, tmp)
            os.replace(tmp, fp32)
        if quantize:
            try:
                from onnxruntime.quantization import QuantType, quantize_dynamic
            except ImportError as exc:
                raise _missing("onnxruntime") from exc
            tmp = private_name(target)
            tanh = private_name(out / "model-tanh-gelu.onnx")
            _tanh_gelu(fp32, tanh)
            quantize_dynamic(str(tanh), str(tmp), weight_type=QuantType.QInt8, per_channel=True,
                             extra_options={"DefaultTensorType": 1})  # fused ops carry no inferred types: float
            os.replace(tmp, target)
            tanh.unlink()
    return target


def _tanh_gelu(src: Path, dest: Path) -> None:
    """Copy of ``src`` with every exact GELU-with-bias node in its tanh form (same inputs)."""
    import onnx

    model = onnx.load(str(src))
    for node in model.graph.node:
        if node.op_type == "BiasGelu" and node.domain == "com.microsoft":
            node.op_type = "FastGelu"
    onnx.save(model, str(dest))


def _export_fp32(model_dir: Path, dest: Path) -> None:
    import torch
    from transformers import AutoModel

    try:
        import onnx  # noqa: F401  (the exporter needs it)
    except ImportError as exc:
        raise _missing("onnx") from exc
    class _Hidden(torch.nn.Module):
        """Keyword arguments and one output, whatever the transformers version's forward() takes."""

        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.inner(input_ids=input_ids, attention_mask=attention_mask,
                              token_type_ids=token_type_ids).last_hidden_state

    try:
        inner = AutoModel.from_pretrained(str(model_dir), local_files_only=True, attn_implementation="eager")
    except (TypeError, ValueError):
        inner = AutoModel.from_pretrained(str(model_dir), local_files_only=True)
    model = _Hidden(inner).eval()
    ids = torch.ones((2, 16), dtype=torch.long)
    mask = torch.ones((2, 16), dtype=torch.long)
    types = torch.zeros((2, 16), dtype=torch.long)
    axes = {0: "batch", 1: "sequence"}
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir) / "model.onnx"
        # Traced with an all-ones mask: the encoder always runs unpadded, one text at a time, so the
        # tracer's frozen "no padding" branch (it warns about it) is the one that is used.
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                model, (ids, mask, types), str(tmp), input_names=["input_ids", "attention_mask", "token_type_ids"],
                output_names=["last_hidden_state"], dynamic_axes={"input_ids": axes, "attention_mask": axes,
                                                                  "token_type_ids": axes, "last_hidden_state": axes},
                opset_version=OPSET, dynamo=False,
            )
        shutil.move(str(tmp), dest)  # dest is a private name; the caller publishes it with os.replace
    (dest.parent / "source.json").write_text(json.dumps({"model_dir": str(model_dir), "opset": OPSET}))


def _fuse(model_dir: Path, path: Path) -> None:
    """Fuse attention and friends in place for BERT-like models; leave other models as exported."""
    try:
        from onnxruntime.transformers.optimizer import optimize_model
    except ImportError:  # pragma: no cover - part of onnxruntime
        return
    config = json.loads((model_dir / "config.json").read_text())
    if config.get("model_type") not in ("bert", "roberta", "xlm-roberta", "distilbert", "mpnet", "electra"):
        return
    from onnxruntime.transformers.fusion_options import FusionOptions

    options = FusionOptions("bert")
    options.enable_skip_layer_norm = False  # slow kernel for short sequences; Add + LayerNormalization is faster
    options.enable_bias_skip_layer_norm = False
    try:
        model = optimize_model(str(path), model_type="bert", num_heads=int(config["num_attention_heads"]),
                               hidden_size=int(config["hidden_size"]), optimization_options=options)
    except Exception:  # an unusual graph: the unfused export still works
        return
    tmp = path.with_suffix(".fused.onnx")
    model.save_model_to_file(str(tmp))
    os.replace(tmp, path)


@functools.lru_cache(maxsize=1)
def vnni() -> bool:
    """Whether this CPU multiplies uint8 by int8 without saturating: x86 with VNNI (AVX512-VNNI or AVX-VNNI),
    or any CPU that is not x86. An x86 CPU without it (AVX2 only) sums the products in pairs into int16 in
    ONNX Runtime's uint8 x int8 kernels, which saturates with full-range int8 weights."""
    machine = platform.machine().lower()
    if machine not in ("x86_64", "amd64", "i386", "i686"):
        return True
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False  # cannot tell (macOS, Windows): take the form that is exact everywhere
    return "avx512_vnni" in flags or "avx_vnni" in flags


def wide_weights(int8_model: Path) -> Path:
    """The int8 model with its matrix weights stored as uint8 (each value + 128, each weight zero point + 128):
    the same integer products, computed by ONNX Runtime's uint8 x uint8 kernels, which widen before they sum
    and so never saturate. On a CPU without VNNI this gives the vectors the int8 model gives on one with it
    (it is about 20% slower there). Written once beside the int8 model."""
    target = int8_model.with_name(int8_model.stem + "-u8.onnx")
    if target.exists():
        return target
    import onnx
    from onnx import numpy_helper

    with making(int8_model.parent):
        if target.exists():
            return target
        model = onnx.load(str(int8_model))
        inputs = {"MatMulInteger": (1, 3), "QAttention": (1, 7)}  # the weight and its zero point
        names = {node.input[i] for node in model.graph.node if node.op_type in inputs
                 for i in inputs[node.op_type] if i < len(node.input) and node.input[i]}
        for tensor in model.graph.initializer:
            if tensor.name in names and tensor.data_type == onnx.TensorProto.INT8:
                wide = (numpy_helper.to_array(tensor).astype(np.int16) + 128).astype(np.uint8)
                tensor.CopyFrom(numpy_helper.from_array(wide, tensor.name))
        tmp = private_name(target)
        onnx.save(model, str(tmp))
        os.replace(tmp, target)
    return target


class OnnxEncoder:
    def __init__(self, model_dir: str, name: str, cache_dir: str | os.PathLike, quantize: bool = True,
                 max_seq_length: int = 256, threads: int | None = None):
        try:
            import onnxruntime as ort
            from tokenizers import Tokenizer
        except ImportError as exc:
            raise _missing("onnxruntime and tokenizers") from exc
        self.path = path = export(model_dir, cache_dir, quantize)
        # Same integers on every CPU: without VNNI, the weights as uint8 (see wide_weights).
        self.kernels = "uint8 x int8" if not quantize or vnni() else "uint8 x uint8 (no VNNI)"
        if quantize and not vnni():
            self.path = path = wide_weights(path)
        opts = ort.SessionOptions()
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        opts.intra_op_num_threads = 1
        opts.inter_op_num_threads = 1
        # No "session.set_denormal_as_zero": ONNX Runtime applies the first session's choice, once per process, to
        # the thread that creates it, so it would make the caller's own arithmetic flush tiny floats to zero
        # for the rest of the process (and only the encodes run on that thread, not those on the pool's).
        # ONNX Runtime would fuse Add + LayerNormalization back into SkipLayerNormalization at load time.
        self.session = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"],
                                            disabled_optimizers=["SkipLayerNormFusion"])
        self.workers = max(1, threads or os.cpu_count() or 1)
        self._pool = ThreadPoolExecutor(self.workers) if self.workers > 1 else None
        self.inputs = {i.name for i in self.session.get_inputs()}
        self.tokenizer = Tokenizer.from_file(str(Path(model_dir) / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_seq_length)
        self.tokenizer.no_padding()
        self.dim = int(json.loads((Path(model_dir) / "config.json").read_text())["hidden_size"])
        self.name = name
        self.runtime = f"onnxruntime {ort.__version__}" + (f", {self.kernels}" if quantize else "")

    def _one(self, text: str) -> np.ndarray:
        ids = np.asarray([self.tokenizer.encode(text).ids], dtype=np.int64)
        feed = {"input_ids": ids, "attention_mask": np.ones_like(ids)}
        if "token_type_ids" in self.inputs:
            feed["token_type_ids"] = np.zeros_like(ids)
        return self.session.run(None, feed)[0][0].mean(axis=0)

    def _slice(self, texts: Sequence[str]) -> np.ndarray:
        return np.stack([self._one(t) for t in texts]) if texts else np.zeros((0, self.dim), np.float32)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        texts = list(texts)
        if self._pool is None or len(texts) < 2 * self.workers:
            return normalise_rows(self._slice(texts))
        step = -(-len(texts) // (self.workers * 4))
        parts = list(self._pool.map(self._slice, [texts[i : i + step] for i in range(0, len(texts), step)]))
        return normalise_rows(np.concatenate(parts))
