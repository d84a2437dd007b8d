"""Boundaries, checked over every module: streamlit only in the dashboard (app/ui, streamlit_app.py); SQL only
in the store (app/store: nothing else imports duckdb, touches a store's connection or private helpers, or holds
SQL); embeddings never imports the app; and ``import app``, the CLI's startup and a model key load none of the
heavy libraries (what an import really loads is read from ``sys.modules`` in a fresh interpreter)."""

from __future__ import annotations

import ast
import functools
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("torch", "onnxruntime", "sentence_transformers", "streamlit", "plotly")
DASHBOARD = ("app/ui/", "streamlit_app.py")
STORE = "app/store/"
# Areas outside the store, each checked on its own so that a failure names where the call sites are.
AREAS = {"app": ["app"], "embeddings": ["embeddings"], "streamlit_app": ["streamlit_app.py"], "bench": ["bench"],
         "tests": ["tests"]}
# Whole files allowed to import duckdb themselves, and why.
DUCKDB_ALLOWED = {"tests/test_store.py": "checks that the published file opens in any DuckDB client",
                  "tests/test_vectors.py": "checks that a file whose vectors were moved out opens in any DuckDB client"}
SQL = re.compile(r"\bSELECT\b[\s\S]*\bFROM\b|\bINSERT\s+INTO\b|\bUPDATE\s+\w+\s+SET\b|\bDELETE\s+FROM\b"
                 r"|\b(?:CREATE|DROP|ALTER)\s+(?:OR\s+REPLACE\s+)?(?:TABLE|VIEW|SEQUENCE|INDEX)\b")


def _rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def _files(*names: str) -> list[Path]:
    out = []
    for name in names:
        path = ROOT / name
        out += sorted(path.rglob("*.py")) if path.is_dir() else [path]
    return out


@functools.lru_cache(maxsize=None)
def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(), filename=str(path))


def _imports(tree: ast.Module) -> list[tuple[int, str]]:
    """(line, module) for every import, including ``importlib.import_module("x")`` and ``__import__("x")``."""
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.append((node.lineno, node.module))
        elif (isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant)
              and isinstance(node.args[0].value, str) and ast.unparse(node.func) in ("importlib.import_module",
                                                                                     "import_module", "__import__")):
            out.append((node.lineno, node.args[0].value))
    return out


def _imports_of(path: Path, root: str) -> list[str]:
    return [f"{_rel(path)}:{line} imports {name}" for line, name in _imports(_tree(path))
            if name == root or name.startswith(root + ".")]


def _docstrings(tree: ast.Module) -> set[int]:
    nodes = [tree] + [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))]
    return {id(n.body[0].value) for n in nodes
            if n.body and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)}


def _none(violations: list[str]) -> None:
    assert not violations, "\n" + "\n".join(violations)


def _private_store_methods() -> set[str]:
    """The private methods of the store's classes (wherever in app/store they are defined)."""
    names = {n.name for path in _files(STORE) for c in ast.walk(_tree(path)) if isinstance(c, ast.ClassDef)
             for n in c.body if isinstance(n, ast.FunctionDef) and n.name.startswith("_") and not n.name.startswith("__")}
    assert {"_df", "_scalar", "_row", "_insert"} <= names
    return names


def test_every_module_is_walked():
    files = {_rel(p) for p in _files("app", "embeddings")}
    assert {"app/cli/common.py", "app/pipeline.py", "app/store/store.py", "app/ui/cache.py",
            "app/ui/pages/frame_detail.py", "embeddings/select.py"} <= files
    assert len(files) > 35


def test_streamlit_only_in_the_dashboard():
    outside = [p for p in _files("app", "embeddings") if not _rel(p).startswith(DASHBOARD)]
    _none([v for p in outside for v in _imports_of(p, "streamlit")])
    # The dashboard does use it, so the rule sees its imports.
    assert _imports_of(ROOT / "app/ui/entry/main.py", "streamlit") and _imports_of(ROOT / "app/ui/cache.py", "streamlit")


def test_embeddings_import_nothing_from_the_app():
    _none([v for p in _files("embeddings") for v in _imports_of(p, "app")])


@pytest.mark.parametrize("area", AREAS)
def test_only_the_store_imports_duckdb(area):
    found = [v for p in _files(*AREAS[area]) if not _rel(p).startswith(STORE) and _rel(p) not in DUCKDB_ALLOWED
             for v in _imports_of(p, "duckdb")]
    _none(found)
    assert [v for p in _files(STORE) for v in _imports_of(p, "duckdb")]  # the rule sees the store's own imports


@pytest.mark.parametrize("area", AREAS)
def test_no_private_store_helpers_or_connection_outside_the_store(area):
    """Reads go through the store's methods (``query``/``query_value`` for ad-hoc reads). Tests may still
    write a state by hand through ``store.conn``; nothing else touches the connection."""
    private = _private_store_methods()
    found = []
    for path in _files(*AREAS[area]):
        if _rel(path).startswith(STORE):
            continue
        for node in ast.walk(_tree(path)):
            if isinstance(node, ast.Attribute) and not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")):
                if node.attr in private or (node.attr == "conn" and area != "tests"):
                    found.append(f"{_rel(path)}:{node.lineno} {ast.unparse(node)}")
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("app.store"):
                found += [f"{_rel(path)}:{node.lineno} imports {a.name} from {node.module}"
                          for a in node.names if a.name.startswith("_")]
    _none(found)


@pytest.mark.parametrize("area", ["app", "embeddings", "streamlit_app"])
def test_no_sql_outside_the_store(area):
    """The product's SQL lives in app/store (benchmarks and tests may hand SQL to ``Store.query``)."""
    found = []
    for path in _files(*AREAS[area]):
        if _rel(path).startswith(STORE):
            continue
        tree = _tree(path)
        docs = _docstrings(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs:
                text = node.value
            elif isinstance(node, ast.JoinedStr):
                text = "".join(v.value if isinstance(v, ast.Constant) else "x" for v in node.values)
            else:
                continue
            if SQL.search(text):
                found.append(f"{_rel(path)}:{node.lineno} {text.strip()[:60]!r}")
    _none(found)
    assert SQL.search("SELECT count(*) FROM lineage") and not SQL.search("Select the frames from the list")


# -- what importing really loads ----------------------------------------------------------
_REPORT = ("import json, sys, time\n"
           "t = time.perf_counter()\n"
           "{code}\n"
           "print(json.dumps({{'seconds': time.perf_counter() - t, 'modules': sorted(sys.modules),\n"
           "                   'result': globals().get('result')}}))\n")
ENTRY_POINTS = {
    "import app": "import app",
    "import embeddings": "import embeddings",
    # The CLI's startup: what `narratives ...` imports before running a command, and its help.
    "import app.cli": "import app.cli",
    "narratives --help": ("from app.cli import main\n"
                          "try:\n    main(['--help'])\nexcept SystemExit:\n    pass"),
    # What every build, `narratives vectors` and the dashboard's search compute first.
    "model key": ("from app.config import load_settings\n"
                  "from embeddings import model_key, vector_space\n"
                  "s = load_settings(env={})\n"
                  "key = model_key(s.model, s.max_seq_length, s.backend, s.device)\n"
                  "assert vector_space(key) == 'sentence-transformers/all-MiniLM-L6-v2', key"),
}


def _loaded(code: str) -> dict:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    env = {k: v for k, v in env.items() if not k.startswith("NARRATIVES_")}
    out = subprocess.run([sys.executable, "-c", _REPORT.format(code=code)], capture_output=True, text=True,
                         cwd=ROOT, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def _heavy(modules) -> list[str]:
    return sorted({m.split(".")[0] for m in modules} & set(HEAVY))


@pytest.mark.parametrize("entry", ENTRY_POINTS)
def test_entry_points_load_no_heavy_library(entry):
    loaded = _loaded(ENTRY_POINTS[entry])
    _none(_heavy(loaded["modules"]))
    # Importing torch alone takes seconds; without the heavy libraries these take a fraction of one.
    assert loaded["seconds"] < 3.0, loaded["seconds"]


def test_no_module_outside_the_dashboard_loads_streamlit():
    modules = sorted(".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
                     for p in _files("app", "embeddings") if not _rel(p).startswith(DASHBOARD))
    loaded = _loaded("import importlib\n"
                     "result = []\n"
                     f"for m in {modules!r}:\n"
                     "    before = 'streamlit' in sys.modules\n"
                     "    importlib.import_module(m)\n"
                     "    if not before and 'streamlit' in sys.modules:\n"
                     "        result.append(m + ' loads streamlit')")
    assert len(modules) > 25
    _none(loaded["result"])
    assert "plotly" in _heavy(loaded["modules"])  # app.charts: the check sees a heavy library when one loads


@pytest.mark.parametrize("area", sorted(AREAS))
def test_no_source_compiles_with_a_warning(area):
    """An invalid escape in a string (``'\\d'`` in a non-raw SQL or regex literal) is a SyntaxWarning from Python
    3.12, and Python means to make it an error: every file must compile silently."""
    import warnings

    problems = []
    for path in _files(*AREAS[area]):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            try:
                compile(path.read_text(), str(path), "exec")
            except (SyntaxError, SyntaxWarning, DeprecationWarning) as exc:
                problems.append(f"{_rel(path)}:{getattr(exc, 'lineno', '?')}: {exc}")
    _none(problems)
