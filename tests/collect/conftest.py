"""The collection tests' site (a real HTTP server on 127.0.0.1) and settings that keep them quick: no delay
between requests, short timeouts, one retry with a short back-off, a small size cap."""

from __future__ import annotations

import pytest

from tests.collect.server import Site

QUICK = {"collect_host_delay": "0", "collect_timeout": "0.4", "collect_retries": "1", "collect_backoff": "0.05",
         "collect_max_bytes": "300000", "collect_contact": "newsdesk@example.org"}


@pytest.fixture
def site():
    with Site() as s:
        yield s


@pytest.fixture
def quick_env():
    """NARRATIVES_* variables for the CLI."""
    return {"NARRATIVES_" + k.upper(): v for k, v in QUICK.items()}


@pytest.fixture
def quick_settings(tmp_path):
    from app.config import load_settings

    return load_settings(env={}, db=tmp_path / "c.duckdb", **QUICK)


def feeds_file(tmp_path, site, *feeds) -> str:
    """A feeds file with the given (path, outlet or None, groups) entries of the test site."""
    lines = []
    for path, outlet, groups in feeds:
        lines.append(f'[[feed]]\nurl = "{site.url(path)}"')
        if outlet:
            lines.append(f'outlet = "{outlet}"')
        if groups:
            lines.append("groups = [" + ", ".join(f'"{g}"' for g in groups) + "]")
    path = tmp_path / "feeds.toml"
    path.write_text("\n".join(lines) + "\n")
    return str(path)
