"""The docs say what the code does: docs/schema.md lists each view's real columns with their types and every
table; the README's `narratives` commands and options exist, and every command is in the README."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.cli import main
from app.store import Store
from app.store.schema import PUBLIC_VIEWS

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = ROOT / "docs" / "schema.md"
README = ROOT / "README.md"
COMMAND = re.compile(r"(?<![\w./-])narratives ([a-z][a-z-]*)")
OPTION = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]*")


# -- docs/schema.md ---------------------------------------------------------------------------
def _sections(text: str, level: str) -> dict[str, str]:
    """Heading (without backticks) -> body, for the headings of one level (``"##"`` or ``"###"``)."""
    parts = re.split(rf"^{level} +(.+?) *$", text, flags=re.M)
    return {heading.strip().strip("`"): body for heading, body in zip(parts[1::2], parts[2::2])}


def _table(body: str) -> list[list[str]]:
    """The rows of the first Markdown table in ``body`` (header and separator left out), as cells."""
    rows = [line.strip() for line in body.splitlines() if line.strip().startswith("|")]
    cells = [[c.strip() for c in re.split(r"(?<!\\)\|", row.strip("|"))] for row in rows]
    return [c for c in cells[2:] if c] if len(cells) > 2 and set("".join(cells[1])) <= set("-: ") else []


def _names(cell: str) -> list[str]:
    return [n.strip().strip("`") for n in cell.split(",") if n.strip()]


def documented_columns(text: str) -> dict[str, list[tuple[str, str]]]:
    """View -> [(column, type)] from the tables of the public views' section."""
    public = _sections(_sections(text, "##")["Public views (stable across versions)"], "###")
    out = {}
    for view, body in public.items():
        out[view] = [(name, row[1].strip("`")) for row in _table(body) for name in _names(row[0])]
    return out


@pytest.fixture(scope="module")
def store():
    s = Store.memory()
    yield s
    s.close()


def test_the_schema_doc_is_parsed():
    columns = documented_columns(SCHEMA.read_text())
    assert columns["frame_edges"][1:3] == [("from_article", "VARCHAR"), ("to_article", "VARCHAR")]
    assert _table("| column | type |\n|---|---|\n| a, `b` | INT |\n") == [["a, `b`", "INT"]]
    assert _table("no table here") == []


def test_the_schema_doc_lists_every_public_view_with_its_real_columns(store):
    documented = documented_columns(SCHEMA.read_text())
    assert sorted(documented) == sorted(PUBLIC_VIEWS)
    wrong = []
    for view in PUBLIC_VIEWS:
        real = list(store.query(f"DESCRIBE {view}")[["column_name", "column_type"]].itertuples(index=False, name=None))
        if documented[view] != real:
            wrong.append(f"{view}:\n  docs/schema.md: {documented[view]}\n  the view:       {real}")
    assert not wrong, "\n" + "\n".join(wrong)


def test_the_schema_doc_names_every_table_and_internal_view(store):
    text = SCHEMA.read_text()
    tables = {_names(row[0])[0] for row in _table(_sections(text, "##")["Tables"])}
    real_tables = set(store.query("SELECT table_name FROM duckdb_tables() WHERE NOT internal "
                                  "AND database_name = current_database()")["table_name"])
    assert tables == real_tables
    internal = re.search(r"^Internal views \(may change\):(.+?)\n\n", text, flags=re.M | re.S)
    assert internal, "the paragraph listing the internal views"
    named = set(re.findall(r"`(\w+)`", internal.group(1)))
    real_views = set(store.query("SELECT view_name FROM duckdb_views() WHERE NOT internal "
                                 "AND database_name = current_database()")["view_name"])
    assert real_views - set(PUBLIC_VIEWS) <= named


# -- README.md --------------------------------------------------------------------------------
def _command_mentions(text: str) -> list[tuple[str, list[str]]]:
    """(command, options shown with it): a code line starting with ``narratives CMD`` (its comment too), and a
    list item starting with `` `narratives CMD ...` `` (the whole item)."""
    out = []
    for line in re.findall(r"^narratives .*$", text, flags=re.M):
        out.append((COMMAND.match(line).group(1), OPTION.findall(line)))
    for item in re.findall(r"^- `(narratives .+?)(?=^- |^\S|\Z)", text, flags=re.M | re.S):
        out.append((COMMAND.match(item).group(1), OPTION.findall(item)))
    return out


def _options(name: str) -> set[str]:
    params = list(main.commands[name].params) + list(main.params)
    return {o for p in params for o in p.opts + p.secondary_opts if o.startswith("--")} | {"--help"}


def test_the_readme_mentions_every_command_and_only_real_ones():
    mentioned = set(COMMAND.findall(README.read_text()))
    assert mentioned == set(main.commands), (
        f"not commands: {sorted(mentioned - set(main.commands))}; not in the README: "
        f"{sorted(set(main.commands) - mentioned)}")


def test_the_readme_shows_only_options_that_exist():
    mentions = _command_mentions(README.read_text())
    assert {c for c, _ in mentions} == set(main.commands)  # every command has a line or an item of its own
    assert ("edit", ["--rename", "--merge-into", "--retire", "--restore"]) in mentions  # the comment counts
    wrong = sorted({f"narratives {c} {o}" for c, opts in mentions if c in main.commands
                    for o in opts if o not in _options(c)})
    assert not wrong, "\n" + "\n".join(wrong)


def test_the_other_docs_name_only_real_commands():
    for path in sorted((ROOT / "docs").glob("*.md")):
        unknown = set(COMMAND.findall(path.read_text())) - set(main.commands)
        assert not unknown, f"{path.name}: {sorted(unknown)}"
