"""Embedding backends against the float32 transformer, on real sentences of the sample."""

import json
import time

import numpy as np
import pytest

from app.config import SAMPLE_PATH
from embeddings import HashingEncoder, encode_in_batches, load_encoder, model_key, vector_space
from embeddings.select import pick_backend

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def passages():
    rows = [json.loads(line) for line in SAMPLE_PATH.read_text().splitlines()[:120]]
    return [p for r in rows for p in r["text"].split("\n\n")][:300]


@pytest.fixture(scope="module")
def reference(passages):
    return load_encoder("default", backend="torch").encode(passages)


def test_onnx_float_matches_torch(passages, reference, tmp_path_factory):
    enc = load_encoder("default", backend="onnx", cache_dir=str(tmp_path_factory.mktemp("cache")))
    v = enc.encode(passages)
    assert np.min((v * reference).sum(axis=1)) > 0.9999


def test_int8_agrees_and_is_independent_of_batch_mates(passages, reference, tmp_path_factory):
    enc = load_encoder("default", backend="onnx-int8", cache_dir=str(tmp_path_factory.mktemp("cache")))
    v = enc.encode(passages)
    cos = (v * reference).sum(axis=1)
    assert cos.mean() >= 0.99 and cos.min() >= 0.97
    # The same text gets the same vector whatever it is encoded with.
    alone = np.stack([enc.encode([p])[0] for p in passages[:20]])
    assert np.allclose(alone, v[:20], atol=1e-6)
    shuffled = encode_in_batches(enc, passages[::-1], batch_size=7)[::-1]
    assert np.allclose(shuffled, v, atol=1e-6)
    # The export avoids the kernels that are slow for one short text: fused skip layer norm, erf GELU.
    import onnx

    ops = {node.op_type for node in onnx.load(str(enc.path)).graph.node}
    assert {"QAttention", "FastGelu", "LayerNormalization"} <= ops
    assert not ops & {"SkipLayerNormalization", "BiasGelu"}


def test_static_tier_is_fast_and_keeps_copies_together(passages, tmp_path_factory):
    enc = load_encoder("fast", cache_dir=str(tmp_path_factory.mktemp("cache")))
    many = passages * 20
    t = time.perf_counter()
    v = enc.encode(many)
    rate = len(many) / (time.perf_counter() - t)
    assert v.shape == (len(many), 256) and np.allclose(np.linalg.norm(v, axis=1), 1, atol=1e-4)
    assert rate > 1000  # thousands per second even on a busy 2-core machine
    edited = passages[0].replace(".", ",", 1) + " This story was first published by Continental Wire."
    near = enc.encode([passages[0], edited, passages[5]])
    assert near[0] @ near[1] > near[0] @ near[2]


def test_cache_keys_name_what_the_vectors_are():
    assert model_key("default", 256, "torch") == model_key("default", 256, "onnx")
    assert model_key("default", 256, "onnx-int8").endswith("+int8v2")
    assert vector_space(model_key("default", 256, "onnx-int8")) == vector_space(model_key("default", 128, "torch"))
    assert vector_space(model_key("fast")) != vector_space(model_key("default"))
    assert model_key("fast").endswith("+static256")
    assert pick_backend("default", "auto", "cpu") == "onnx-int8"
    with pytest.raises(ValueError, match="unknown backend"):
        pick_backend("default", "tensorrt")
    assert model_key("hashing-64") == HashingEncoder(64).name


EDGE_TEXTS = ["", "   ", "  Spaces at both ends.  ", "word " * 600, "Ça coûte 3,5 millions d’euros à l’État.",
              "Tabs\tand\nnew lines", "https://example.org/a?b=1&c=2 #tag @name"]


def test_pipelined_path_matches_plain_encode(passages, reference, monkeypatch):
    """The GPU feeding path (tokenise ahead, keep on device, copy once), run here on the CPU, with both ways
    of tokenising: the model's Rust tokenizer a block ahead (the default) and sentence-transformers' own."""
    import embeddings.sentence as sentence

    enc = load_encoder("default", backend="torch", device="cpu")
    enc.batch_size = 16
    monkeypatch.setattr(sentence, "TOKEN_BLOCK", 40)  # several blocks, each tokenised while the one before runs
    assert enc._rust_tokenizer() is not None
    for tokens in ("rust", "model"):
        v = enc.encode_pipelined(passages[:100], workers=2, tokens=tokens)
        assert np.min((v * reference[:100]).sum(axis=1)) > 0.9999, tokens
    # Texts at the edges: empty, only spaces, past the model's length (the padded width never exceeds it),
    # accents and curly quotes, tabs and links; the vectors are the model's own.
    plain = enc.model.encode(EDGE_TEXTS, normalize_embeddings=True)
    v = enc.encode_pipelined(EDGE_TEXTS, tokens="rust")
    assert np.min((v * plain).sum(axis=1)) > 0.9999


def test_a_gpu_out_of_memory_halves_the_batch_and_says_so(passages, reference, monkeypatch):
    """A card too small for the batch (a large model): the call is run again with half the batch, down to
    MIN_GPU_BATCH, the encoder keeps the smaller batch, and its notes say so; the vectors are the same."""
    import torch

    import embeddings.sentence as sentence

    enc = load_encoder("default", backend="torch", device="cpu")
    enc.batch_size = 64
    real = enc._forward_into
    sizes = []

    def small_card(out, idx, features):
        sizes.append(len(idx))
        if len(idx) > 20:
            raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        real(out, idx, features)

    monkeypatch.setattr(enc, "_forward_into", small_card)
    v = enc.encode_pipelined(passages[:100], tokens="rust")
    assert np.min((v * reference[:100]).sum(axis=1)) > 0.9999
    assert enc.batch_size == 16 and max(sizes[-5:]) <= 16
    assert enc.notes == ["the GPU ran out of memory: batches of 16 texts from now on"]
    enc.encode_pipelined(passages[:40], tokens="rust")  # the smaller batch is kept, the note not repeated
    assert enc.batch_size == 16 and len(enc.notes) == 1
    # Below the floor, or another error: raised as it is.
    monkeypatch.setattr(sentence, "MIN_GPU_BATCH", 16)
    monkeypatch.setattr(enc, "_forward_into", lambda *a: (_ for _ in ()).throw(torch.cuda.OutOfMemoryError("x")))
    with pytest.raises(torch.cuda.OutOfMemoryError):
        enc.encode_pipelined(passages[:5], tokens="rust")
    monkeypatch.setattr(enc, "_forward_into", lambda *a: (_ for _ in ()).throw(ValueError("not memory")))
    enc.batch_size = 64
    with pytest.raises(ValueError, match="not memory"):
        enc.encode_pipelined(passages[:5], tokens="rust")
    assert enc.batch_size == 64


def test_a_model_with_a_default_prompt_is_not_fed_by_the_pipelined_path():
    """The pipelined path runs the model's forward on the texts as they are; a model that puts a prompt before
    every text is encoded by sentence-transformers itself, on a GPU as on a CPU."""
    enc = load_encoder("default", backend="torch", device="cpu")
    assert not enc.prompted()
    fed = []
    enc.encode_pipelined = lambda texts, **kw: fed.append(list(texts)) or np.zeros((len(texts), enc.dim), np.float32)
    enc.device = "cuda"  # the branch a GPU takes; the model itself stays on the CPU
    enc.encode(["A text."])
    assert fed == [["A text."]]
    enc.model.prompts = {"passage": "passage: "}
    enc.model.default_prompt_name = "passage"
    assert enc.prompted()
    v = enc.encode(["A text."])
    assert fed == [["A text."]]  # not fed again: sentence-transformers encoded it, prompt and all
    assert float(v[0] @ enc.model.encode(["passage: A text."], prompt="", normalize_embeddings=True)[0]) > 0.9999


def test_rust_tokens_are_checked_against_the_model_own(passages, reference):
    """The Rust path is taken only where it gives the tokens the model would: a shorter length is checked
    again, and a model whose own tokenisation does more (here a prompt put before every text) keeps it."""
    enc = load_encoder("default", backend="torch", device="cpu")
    enc.batch_size = 16
    enc.model.max_seq_length = 40
    short = enc.encode_pipelined(passages[:30], tokens="rust")
    assert np.min((short * enc.model.encode(passages[:30], normalize_embeddings=True)).sum(axis=1)) > 0.9999
    assert enc._rust[0] == 40

    # A tokenizer that cuts long texts on the left: the Rust copy cuts on the same side (a text of varied words,
    # so that the side shows), and one that pads on the left keeps the model's own tokenisation.
    long_text = " ".join(f"point {i} of the report" for i in range(400))
    enc.model.tokenizer.truncation_side = "left"
    enc._rust = None
    assert enc._rust_tokenizer() is not None
    v = enc.encode_pipelined([long_text, passages[0]], tokens="rust")
    assert np.min((v * enc.model.encode([long_text, passages[0]], normalize_embeddings=True)).sum(axis=1)) > 0.9999
    enc.model.tokenizer.truncation_side = "right"
    enc.model.tokenizer.padding_side = "left"
    enc._rust = None
    assert enc._rust_tokenizer() is None
    enc.model.tokenizer.padding_side = "right"
    enc._rust = None

    expected = enc.model.encode(["query: " + p for p in passages[:30]], normalize_embeddings=True)
    own = enc.model.preprocess
    enc.model.preprocess = lambda texts, **kw: own(["query: " + t for t in texts], **kw)
    enc._rust = None
    assert enc._rust_tokenizer() is None
    with pytest.raises(RuntimeError, match="no Rust form"):
        enc.encode_pipelined(passages[:5], tokens="rust")
    v = enc.encode_pipelined(passages[:30])  # falls back to the model's own tokenisation
    assert np.min((v * expected).sum(axis=1)) > 0.9999


def test_two_processes_exporting_at_once_both_get_a_whole_model(passages, reference, tmp_path):
    """The first export on an empty cache, started by two processes together: one makes the files, the
    other waits for them; neither reads a half-written file."""
    import subprocess
    import sys

    cache = tmp_path / "cache"
    code = ("import sys, numpy as np; from embeddings import load_encoder; "
            "v = load_encoder('default', backend='onnx-int8', cache_dir=sys.argv[1]).encode([sys.argv[2]]); "
            "np.save(sys.argv[3], v)")
    procs = [subprocess.Popen([sys.executable, "-c", code, str(cache), passages[0], str(tmp_path / f"v{i}.npy")],
                              stderr=subprocess.PIPE, text=True) for i in range(2)]
    for p in procs:
        _, err = p.communicate(timeout=900)
        assert p.returncode == 0, err[-2000:]
    a, b = (np.load(tmp_path / f"v{i}.npy") for i in range(2))
    assert np.allclose(a, b, atol=1e-6) and float(a[0] @ reference[0]) > 0.97
    leftovers = [p.name for p in cache.rglob("*") if ".tmp-" in p.name or "tanh" in p.name]
    assert leftovers == []


def test_the_encoder_leaves_the_callers_floating_point_mode_alone(tmp_path):
    """Loading the default encoder and encoding on the caller's thread must not switch that thread to
    flushing subnormal floats to zero (ONNX Runtime's denormal option did, for the rest of the process)."""
    import subprocess
    import sys

    code = ("import numpy as np; from embeddings import load_encoder; "
            "tiny = lambda: float((np.array([np.finfo(np.float64).tiny]) / 4)[0]) > 0; before = tiny(); "
            "load_encoder('default', backend='onnx-int8', threads=1).encode(['one short text']); "
            "print(before, tiny())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=900)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["True", "True"], out.stdout


def _matmul_integer_model(weights: np.ndarray, path):
    """A one-node ONNX graph: uint8 activations (zero point 0) times the int8 ``weights`` (per-column zero
    points 0), as int32: the node the int8 export is made of."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    k, n = weights.shape
    graph = helper.make_graph(
        [helper.make_node("MatMulInteger", ["a", "w", "a_zero", "w_zero"], ["y"])], "mm",
        [helper.make_tensor_value_info("a", TensorProto.UINT8, [None, k])],
        [helper.make_tensor_value_info("y", TensorProto.INT32, [None, n])],
        [numpy_helper.from_array(weights, "w"), numpy_helper.from_array(np.zeros(n, np.int8), "w_zero"),
         numpy_helper.from_array(np.array(0, np.uint8), "a_zero")])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))
    return path


def test_wide_weights_compute_the_exact_integer_products_on_any_cpu(tmp_path):
    """Full-range int8 weights against large activations: pairs of products overflow int16, which a CPU
    without VNNI saturates in ONNX Runtime's uint8 x int8 kernel. The same weights stored as uint8 (+128, zero
    point 128) give numpy's exact products whatever the CPU, so int8 vectors are the same on every machine."""
    import onnxruntime as ort

    from embeddings.onnx import vnni, wide_weights

    rng = np.random.default_rng(3)
    weights = rng.choice(np.array([-128, -127, 127], dtype=np.int8), size=(64, 32))
    a = rng.integers(200, 256, size=(16, 64), dtype=np.uint8)
    exact = a.astype(np.int64) @ weights.astype(np.int64)
    model = _matmul_integer_model(weights, tmp_path / "model-int8.onnx")
    wide = wide_weights(model)
    assert wide.name == "model-int8-u8.onnx" and wide_weights(model) == wide  # written once
    run = lambda path: ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(None, {"a": a})[0]
    np.testing.assert_array_equal(run(wide), exact)
    if vnni():  # (without VNNI the int8 form saturates here: bench/RESULTS.md)
        np.testing.assert_array_equal(run(model), exact)
