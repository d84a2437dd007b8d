"""Layering: the core never imports streamlit; embeddings never imports the app; only the store issues SQL."""

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _loaded_after(module: str) -> set[str]:
    code = f"import sys, {module}; print('\\n'.join(sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    return set(out.stdout.split())


def test_core_does_not_load_streamlit():
    for module in ("app.pipeline", "app.cli", "app.charts", "app.store", "app.ingest"):
        assert "streamlit" not in _loaded_after(module), module


def test_embeddings_do_not_import_the_app():
    for path in (ROOT / "embeddings").glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                assert not node.module.startswith("app"), path
            if isinstance(node, ast.Import):
                assert not any(a.name.startswith("app") for a in node.names), path


def test_only_the_store_imports_duckdb():
    for path in list((ROOT / "app").rglob("*.py")) + [ROOT / "streamlit_app.py"]:
        if "store" in path.relative_to(ROOT).parts:
            continue
        tree = ast.parse(path.read_text())
        names = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        names |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
        assert "duckdb" not in names, path
