"""The vector-cache key of a model setting: its form never changes (a database keeps its vectors under it), and
computing it asks the installed torch's build and the CUDA driver instead of importing torch."""

import json
import os
import subprocess
import sys
import types
from pathlib import Path

import pytest

import embeddings.select as select
from embeddings import model_key, vector_space

ROOT = Path(__file__).resolve().parent.parent
NAME = "sentence-transformers/all-MiniLM-L6-v2"


@pytest.fixture
def fresh(monkeypatch):
    """No torch loaded and no cached answer (both restored afterwards)."""
    cached = (select._torch_build, select._driver_sees_cuda)
    monkeypatch.delitem(sys.modules, "torch", raising=False)
    for f in cached:
        f.cache_clear()
    yield monkeypatch
    for f in cached:
        f.cache_clear()


def test_keys_keep_their_form():
    assert model_key("default", 256, "auto", "cpu") == f"{NAME}@256+int8v2"
    assert model_key("default", 256, "auto", "cuda") == f"{NAME}@256"
    assert model_key("accurate", 128, "torch", "auto") == f"{NAME}@128"
    assert model_key("default", 256, "onnx") == f"{NAME}@256"
    assert model_key("fast") == f"{NAME}+static256"
    assert model_key("hashing-64") == "hashing-64" and model_key("hashing") == "hashing-384"
    assert vector_space(f"{NAME}@256+int8v2") == vector_space(f"{NAME}@128") == NAME


def test_auto_takes_the_gpu_key_exactly_when_cuda_is_found(monkeypatch):
    monkeypatch.setattr(select, "_cuda", lambda: True)
    assert model_key("default") == f"{NAME}@256"
    monkeypatch.setattr(select, "_cuda", lambda: False)
    assert model_key("default") == f"{NAME}@256+int8v2"


def test_a_loaded_torch_is_asked(fresh):
    fresh.setitem(sys.modules, "torch", types.SimpleNamespace(cuda=types.SimpleNamespace(is_available=lambda: True)))
    assert select._cuda() is True


def test_a_cpu_build_or_no_torch_means_no_cuda_without_importing_torch(fresh):
    fresh.setattr(select, "_torch_build", lambda: {"__version__": "2.13.0+cpu", "cuda": None, "hip": None})
    assert select._cuda() is False
    fresh.setattr(select, "_torch_build", lambda: None)
    assert select._cuda() is False
    assert "torch" not in sys.modules


def test_a_cuda_build_asks_the_driver(fresh):
    asked = []
    fresh.setattr(select, "_torch_build", lambda: {"cuda": "12.8", "hip": None})
    fresh.setattr(select, "_driver_sees_cuda", lambda version: asked.append(version) or True)
    assert select._cuda() is True and asked == ["12.8"]
    assert "torch" not in sys.modules


def test_a_rocm_build_is_asked_directly(fresh):
    fresh.setattr(select, "_torch_build", lambda: {"cuda": None, "hip": "6.2"})
    fresh.setitem(sys.modules, "torch", None)  # `import torch` fails: the answer comes from trying it
    assert select._cuda() is False


def test_the_build_is_read_from_torch_version_py(fresh, tmp_path):
    pkg = tmp_path / "torch"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("raise ImportError('torch must not be imported')\n")
    (pkg / "version.py").write_text("from typing import Optional\n__version__ = '2.5.1+cu124'\n"
                                    "cuda: Optional[str] = '12.4'\nhip = None\ndebug = False\n")
    fresh.syspath_prepend(str(tmp_path))
    assert select._torch_build() == {"__version__": "2.5.1+cu124", "cuda": "12.4", "hip": None}
    select._torch_build.cache_clear()
    (pkg / "version.py").unlink()
    assert select._torch_build() == {}  # unreadable: _cuda falls back to asking torch


class _Driver:
    """A stand-in for libcuda: cuInit's status, the device count and the driver's CUDA version."""

    def __init__(self, init=0, devices=1, version=12040):
        self.init, self.devices, self.version = init, devices, version

    def cuInit(self, flags):
        return self.init

    def cuDeviceGetCount(self, count):
        count._obj.value = self.devices
        return 0

    def cuDriverGetVersion(self, version):
        version._obj.value = self.version
        return 0


@pytest.mark.parametrize("driver, build, found", [
    (None, "12.4", False),                      # no driver installed
    (_Driver(init=100), "12.4", False),         # CUDA_ERROR_NO_DEVICE (or CUDA_VISIBLE_DEVICES="")
    (_Driver(devices=0), "12.4", False),
    (_Driver(version=12020), "12.8", True),     # same major version: minor-version compatibility
    (_Driver(version=11080), "12.1", False),    # a driver too old for the build
    (_Driver(version=13000), "12.8", True),
])
def test_the_driver_probe(monkeypatch, driver, build, found):
    def load(name):
        if driver is None:
            raise OSError(f"{name}: cannot open shared object file")
        return driver

    monkeypatch.setattr(select.ctypes, "CDLL", load)
    assert select._driver_sees_cuda.__wrapped__(build) is found


@pytest.mark.integration
def test_the_probe_agrees_with_torch():
    """On this machine, whatever it has: the answer without torch is torch's own, and so is the key."""
    code = ("import json, sys\n"
            "from embeddings import model_key\n"
            "from embeddings.select import _cuda\n"
            "before, key = _cuda(), model_key('default')\n"
            "assert 'torch' not in sys.modules\n"
            "import torch\n"
            "print(json.dumps([before, torch.cuda.is_available(), key, model_key('default')]))\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env, timeout=300)
    assert out.returncode == 0, out.stderr
    probe, torch_says, key, key_with_torch = json.loads(out.stdout.splitlines()[-1])
    assert probe == torch_says
    assert key == key_with_torch
