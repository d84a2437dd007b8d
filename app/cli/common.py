"""What every `narratives` command shares: the command group, settings, opening the store read-only,
progress bars, table output, and turning library errors into a clean message."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from app.config import ConfigError, load_settings


class Bars:
    """Progress of each stage, for pipeline and ingest progress callbacks: tqdm bars on a terminal; in a
    log or a pipe (no terminal), plain lines, one when a stage starts, at every tenth of it and when it
    ends, with no carriage returns or cursor codes."""

    def __init__(self, stream=None):
        self._stream = stream or sys.stderr
        self._plain = not (hasattr(self._stream, "isatty") and self._stream.isatty())
        self._bars: dict = {}
        self._said: dict[str, int] = {}
        if not self._plain:
            from tqdm.auto import tqdm

            self._tqdm = tqdm

    def _line(self, stage: str, done: int, total: int | None) -> None:
        tenth = -1 if not total else min(10, done * 10 // max(total, 1))
        if self._said.get(stage) == tenth and (total or done):
            return
        self._said[stage] = tenth
        count = f"{done:,} of {total:,}" if total else f"{done:,}"
        print(f"{stage}: {count}", file=self._stream, flush=True)

    def __call__(self, stage: str, done: int, total: int | None) -> None:
        if self._plain:
            self._line(stage, done, total)
            return
        bar = self._bars.get(stage)
        if bar is None:
            bar = self._bars[stage] = self._tqdm(total=total, desc=stage, unit="item", leave=True, file=sys.stderr)
        if total is not None and bar.total != total:
            bar.total = total
        bar.n = done
        bar.refresh()

    def close(self) -> None:
        for bar in self._bars.values():
            bar.close()


def frame_or_fail(store, frame_id: int) -> dict:
    info = store.frame(frame_id)
    if info is None:
        raise click.ClickException(f"no frame {frame_id}; list them with `narratives frames`")
    return info


def load_cli_settings(ctx: click.Context, **overrides):
    try:
        return load_settings(ctx.obj.get("config"), **overrides)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc


def fail(exc: Exception) -> click.ClickException:
    return click.ClickException(str(exc))


format_option = click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table",
                             show_default=True, help="table for reading; csv or json for other programs.")

db_option = click.option("--db", type=click.Path(dir_okay=False, path_type=Path), default=None,
                         help="DuckDB file (default: NARRATIVES_DB or data/narratives.duckdb).")


class _Group(click.Group):
    """The command group; a store error from any command ends it with its message, not a traceback."""

    def invoke(self, ctx: click.Context):
        from app.store import StoreError

        try:
            return super().invoke(ctx)
        except StoreError as exc:
            raise click.ClickException(str(exc)) from exc


@click.group(cls=_Group)
@click.version_option(package_name="narrative-tracker", prog_name="narratives")
@click.option("--config", type=click.Path(exists=True, dir_okay=False), default=None,
              help="TOML settings file (default: NARRATIVES_CONFIG or ./narratives.toml).")
@click.pass_context
def main(ctx: click.Context, config: str | None) -> None:
    """Narrative Tracker: how a story's frames spread through the news."""
    ctx.ensure_object(dict)
    ctx.obj["config"] = config


def open_read(settings):
    from app.store import Store, StoreError

    try:
        return Store.open_read(settings.db)
    except StoreError as exc:
        raise fail(exc) from exc


def _refuse_database(out) -> None:
    """Refuse to write an export over a DuckDB file (the database itself, a copy of it, its work copy)."""
    path = Path(out)
    try:
        with path.open("rb") as fh:
            head = fh.read(12)
    except OSError:
        return
    if head[8:12] == b"DUCK":
        raise click.ClickException(f"{out} is a DuckDB database; an export will not overwrite it: choose another --out")


def write_summary_json(summary: dict, rows) -> None:
    """A command's summary and its rows as one JSON object, ``{"summary": {...}, "rows": [...]}`` (what
    ``--format json`` prints where table mode prints a summary above its table)."""
    import json

    def plain(value):
        if hasattr(value, "isoformat"):
            return value.isoformat()
        if hasattr(value, "item"):  # numpy and pandas scalars
            return value.item()
        return str(value)

    records = json.loads(rows.to_json(orient="records", date_format="iso"))
    click.echo(json.dumps({"summary": summary, "rows": records}, indent=1, default=plain, ensure_ascii=False))


def write_table(table, fmt: str, out) -> None:
    import pyarrow as pa

    if out is not None:
        _refuse_database(out)
    if fmt == "parquet":
        import pyarrow.parquet as pq

        if out is None:
            raise click.ClickException("--format parquet needs --out FILE")
        pq.write_table(table, out)
        return
    df = table.to_pandas() if isinstance(table, pa.Table) else table
    if fmt == "csv":
        text = df.to_csv(index=False)
    elif fmt == "json":
        text = df.to_json(orient="records", date_format="iso", indent=1) + "\n"
    else:
        import pandas as pd

        with pd.option_context("display.max_rows", None, "display.max_columns", None, "display.width", 200,
                               "display.max_colwidth", 60):
            text = df.to_string(index=False) + "\n"
    if out is None:
        click.echo(text, nl=False)
    else:
        Path(out).write_text(text, encoding="utf-8")


