"""The dashboard from an installed copy, and what Streamlit's file watcher watches.

`narratives serve` runs the package's own entry script (app/ui/entry/main.py), so a wheel installed anywhere can
serve; the sample is package data there. Streamlit's watcher (watchdog on inotify) watches the folder of every
watched file recursively: with the entry at the top of a checkout that was the whole project, and a virtual
environment, the database or build/ inside it flooded it ("Inotify queue overflowed"). A server watches
nothing; `--dev` watches the package's folders; `streamlit run streamlit_app.py` from the project polls."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import sysconfig
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.dashboard import CHROMIUM, free_port, need_chromium

try:  # Python 3.11+
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent


def _serve_argv(monkeypatch, *args: str) -> list[str]:
    import app.cli as cli
    import app.cli.corpus as commands

    calls = []
    monkeypatch.setattr(commands, "start_dashboard", lambda cmd, env: calls.append(cmd) or 0)
    result = CliRunner().invoke(cli.main, ["serve", *args], env={})
    assert result.exit_code == 0, result.output
    return calls[0]


def _option(argv: list[str], name: str) -> str:
    assert argv.count(name) == 1, argv
    return argv[argv.index(name) + 1]


def test_serve_runs_the_packages_entry_and_watches_no_files(monkeypatch):
    from app.config import DASHBOARD_SCRIPT, PACKAGE_DIR

    argv = _serve_argv(monkeypatch)
    script = Path(argv[argv.index("run") + 1])
    assert script == DASHBOARD_SCRIPT and script.is_file() and PACKAGE_DIR in script.parents
    assert script.parent != ROOT  # never the project folder, whose recursive watch holds the venv
    assert _option(argv, "--server.fileWatcherType") == "none"
    assert _option(_serve_argv(monkeypatch, "--dev"), "--server.fileWatcherType") == "auto"
    # a reader's toolbar: no "Deploy" button or developer menu in the screenshots people publish
    assert _option(argv, "--client.toolbarMode") == "viewer"
    assert _option(_serve_argv(monkeypatch, "--dev"), "--client.toolbarMode") == "auto"


def test_streamlit_run_from_the_project_polls_its_files():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["fileWatcherType"] == "poll"


def test_a_checkout_reads_the_sample_from_data_sample():
    from app.config import CHECKOUT, SAMPLE_OUTLETS, SAMPLE_PATH

    assert CHECKOUT and SAMPLE_PATH == ROOT / "data" / "sample" / "articles.jsonl" and SAMPLE_PATH.is_file()
    assert SAMPLE_OUTLETS.is_file()


@contextlib.contextmanager
def _server(cmd: list[str], cwd: Path, env: dict, port: int):
    """A dashboard process group (``narratives serve`` starts Streamlit as a child); yields (url, log file)
    and stops the whole group."""
    log = Path(tempfile.mkdtemp(prefix="dashboard-log-")) / f"server-{port}.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 120
        while True:
            try:
                with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
                    assert r.status == 200 and r.read() == b"ok"
                break
            except OSError:
                if proc.poll() is not None or time.time() > deadline:
                    pytest.fail("the dashboard did not start: " + log.read_text(errors="replace")[-3000:])
                time.sleep(0.5)
        yield url, log
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)


@contextlib.contextmanager
def _overview(sync_api, url: str, timeout_ms: int = 180_000):
    """The dashboard open in headless Chromium (the page's script runs, and with it the first start; the
    session's file watchers live while the page is open) once the Overview shows its table of frames or a
    chart; yields the page's text."""
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(url + "/")
            page.wait_for_selector('[data-testid="stMain"] [data-testid="stDataFrame"], [data-testid="stMain"] .main-svg',
                                   timeout=timeout_ms)
            yield page.inner_text("body")
        finally:
            browser.close()


def _project_site_packages() -> str:
    return sysconfig.get_paths()["purelib"]


@pytest.mark.slow
@pytest.mark.browser
def test_the_wheel_installed_elsewhere_serves_and_builds_the_sample(tmp_path):
    """Build the wheel, install it (no dependencies) into a fresh virtual environment that sees the project
    environment's packages, then from another folder: `narratives --version`, and `narratives serve` answers
    on /_stcore/health and builds the bundled sample into ./data/ on its first start.

    --system-site-packages gives a new environment the interpreter's own packages, not those of the project
    environment it is made from: it reads those through a .pth line instead (pip included; the .pth files
    there, the project's editable install among them, are not run from it), so `app` is the wheel's."""
    sync_api = need_chromium()
    src = tmp_path / "src"
    shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns(".git", ".venv*", "build", "dist", "*.egg-info",
                                                             "__pycache__", "*.duckdb*", ".pytest_cache", "tests"))
    dist = tmp_path / "dist"
    r = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
                        "-q", "-w", str(dist), str(src)], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    wheel = next(dist.glob("narrative_tracker-*.whl"))

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", str(venv)], check=True,
                   timeout=300)
    py = venv / "bin" / "python"
    site = subprocess.run([py, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    Path(site, "project_env.pth").write_text(_project_site_packages() + "\n")
    r = subprocess.run([py, "-m", "pip", "install", "--no-deps", "--no-index", "-q", str(wheel)],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]

    elsewhere = tmp_path / "newsroom"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NARRATIVES_", "PYTHON", "VIRTUAL_ENV"))}
    env.update(PATH=f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}", NARRATIVES_MODEL="hashing-384",
               STREAMLIT_SERVER_HEADLESS="true", HF_HUB_OFFLINE="1")
    narratives = str(venv / "bin" / "narratives")
    where = subprocess.run([py, "-c", "import app, app.config as c; print(app.__file__); print(c.SAMPLE_PATH)"],
                           cwd=elsewhere, env=env, capture_output=True, text=True, check=True).stdout.split()
    assert where[0].startswith(site) and where[1].startswith(site) and Path(where[1]).is_file(), where
    r = subprocess.run([narratives, "--version"], cwd=elsewhere, env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and r.stdout.startswith("narratives, version "), r.stdout + r.stderr

    port = free_port()
    with _server([narratives, "serve", "--port", str(port)], elsewhere, env, port) as (url, log), \
            _overview(sync_api, url) as text:
        assert "Page not found" not in text
    db = elsewhere / "data" / "narratives.duckdb"
    assert db.is_file(), log.read_text(errors="replace")[-3000:]
    r = subprocess.run([narratives, "status"], cwd=elsewhere, env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["articles"] == 348
    served = log.read_text(errors="replace")
    assert "Traceback" not in served, served[-3000:]


@pytest.mark.slow
def test_stopping_narratives_serve_stops_the_server(tmp_path):
    """A stop signal sent to `narratives serve` (systemd, `kill`) stops the dashboard's server: no Streamlit
    left behind, still listening, after the command it belongs to has gone."""
    port = free_port()
    env = {**os.environ, "NARRATIVES_MODEL": "hashing-384"}
    with (tmp_path / "server.log").open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "app.cli", "serve", "--port", str(port),
                                 "--db", str(tmp_path / "n.duckdb")], cwd=ROOT, env=env, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
    health = f"http://127.0.0.1:{port}/_stcore/health"
    try:
        deadline = time.time() + 120
        while True:
            try:
                with urllib.request.urlopen(health, timeout=2) as r:
                    assert r.status == 200
                break
            except OSError:
                assert proc.poll() is None and time.time() < deadline, (tmp_path / "server.log").read_text()[-2000:]
                time.sleep(0.5)
        proc.send_signal(signal.SIGTERM)  # to the command alone, not its process group
        proc.wait(20)
        deadline = time.time() + 20
        while True:
            try:
                urllib.request.urlopen(health, timeout=2).close()
            except OSError:
                break  # nothing listens any more
            assert time.time() < deadline, "the server still answers after `narratives serve` was stopped"
            time.sleep(0.5)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
