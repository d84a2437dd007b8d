"""`narratives ...`: each command opens the store, calls one core function, and
turns library errors into a clean message."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import click

from app.config import ConfigError, PROJECT_ROOT, load_settings


class _Bars:
    """tqdm bars keyed by stage, for pipeline progress callbacks."""

    def __init__(self):
        from tqdm.auto import tqdm

        self._tqdm = tqdm
        self._bars: dict = {}

    def __call__(self, stage: str, done: int, total: int | None) -> None:
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


def _frame_or_fail(store, frame_id: int) -> dict:
    info = store.frame(frame_id)
    if info is None:
        raise click.ClickException(f"no frame {frame_id}; list them with `narratives frames`")
    return info


def _settings(ctx: click.Context, **overrides):
    try:
        return load_settings(ctx.obj.get("config"), **overrides)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc


def _fail(exc: Exception) -> click.ClickException:
    return click.ClickException(str(exc))


db_option = click.option("--db", type=click.Path(dir_okay=False, path_type=Path), default=None,
                         help="DuckDB file (default: NARRATIVES_DB or data/narratives.duckdb).")


@click.group()
@click.option("--config", type=click.Path(exists=True, dir_okay=False), default=None,
              help="TOML settings file (default: NARRATIVES_CONFIG or ./narratives.toml).")
@click.pass_context
def main(ctx: click.Context, config: str | None) -> None:
    """Narrative Tracker: how a story's frames spread through the news."""
    ctx.ensure_object(dict)
    ctx.obj["config"] = config


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@db_option
@click.pass_context
def ingest(ctx, paths, db):
    """Read article files (CSV, TSV, JSONL, JSON, Parquet; optionally .gz) into the store."""
    from app.ingest import ingest_files
    from app.store import Store, StoreError

    settings = _settings(ctx, db=db)
    try:
        with Store.write(settings.db) as store:
            report = ingest_files(store, paths, settings.max_article_chars)
    except StoreError as exc:
        raise _fail(exc) from exc
    for f in report.files:
        if f.error:
            click.echo(f"{f.path}: not read: {f.error}", err=True)
            continue
        click.echo(f"{f.path}: {f.ingested} ingested, {f.already_present} already present, {f.rejected} rejected")
        for reason, n in sorted(f.reasons.items(), key=lambda kv: -kv[1]):
            click.echo(f"    {n} rejected: {reason}")
    click.echo(f"total: {report.ingested} ingested, {report.already_present} already present, "
               f"{report.rejected} rejected (see `narratives export rejects`) -> {settings.db}")
    if report.nothing_read:
        raise click.ClickException("nothing could be read")


@main.command()
@db_option
@click.option("--model", default=None, help="'default', any sentence-transformers model name, or a local path.")
@click.option("--threshold", type=float, default=None, help="Cosine similarity a passage needs to join a frame.")
@click.option("--recluster", is_flag=True,
              help="Rebuild the discovered frames from scratch (by default the passages of new articles join the "
                   "existing frames and only the rest of them are clustered); frames still found keep their ids.")
@click.pass_context
def build(ctx, db, model, threshold, recluster):
    """Segment, embed and discover frames for everything not yet built. Safe to interrupt and rerun."""
    from app.pipeline import build as run_build
    from app.store import StoreError

    settings = _settings(ctx, db=db, model=model, frame_threshold=threshold)
    bars = _Bars()
    try:
        report = run_build(settings.db, settings, progress=bars, recluster=recluster)
    except StoreError as exc:
        raise _fail(exc) from exc
    finally:
        bars.close()
    share = report.assigned_passages / report.total_passages if report.total_passages else 0
    click.echo(f"segmented {report.segmented_articles} articles into {report.new_passages} passages; "
               f"embedded {report.embedded_texts} new texts; {report.frames} frames"
               f"{' (unchanged)' if report.frames_skipped else ''}; {share:.0%} of passages in a frame "
               f"({report.total_passages - report.assigned_passages} unassigned); {report.seeded_frames} seeded frames "
               f"from {settings.frames_file}; {report.new_evidence} new-evidence items -> {settings.db}")
    click.echo("seconds: " + ", ".join(f"{k} {v}" for k, v in report.seconds.items()))


@main.command()
@db_option
@click.option("--drop", "drop", default=None, metavar="MODEL_KEY",
              help="Delete the vectors stored under this key (never the key in use).")
@click.pass_context
def vectors(ctx, db, drop):
    """The sets of vectors in the database: one per model key, and which one the settings use.

    Changing the model, the backend or the int8 recipe embeds every text again under a new key and keeps the
    old vectors; once the new set is complete, `--drop OLD_KEY` deletes the old one."""
    from app.store import Store, StoreError
    from embeddings import model_key

    settings = _settings(ctx, db=db)
    current = model_key(settings.model, settings.max_seq_length, settings.backend, settings.device)
    if drop is None:
        store = _open_read(settings)
        try:
            table = store.vector_sets()
        finally:
            store.close()
        if table.empty:
            click.echo(f"no vectors yet in {settings.db}; the settings would embed under {current}")
            return
        table.insert(1, "in_use", table["model"] == current)
        table["covers"] = (table["texts_covered"] / table["texts"].clip(lower=1)).map("{:.0%}".format)
        _write_table(table[["model", "in_use", "vectors", "covers", "last_embedded", "runtime"]], "table", None)
        return
    if drop == current:
        raise click.ClickException(f"{drop} is the key the settings use; change the model or backend first")
    try:
        with Store.write(settings.db) as store:
            known = set(store.vector_sets()["model"])
            if drop not in known:
                raise click.ClickException(f"no vectors under {drop!r}; keys here: {', '.join(sorted(known)) or 'none'}")
            n = store.drop_vectors(drop)
    except StoreError as exc:
        raise _fail(exc) from exc
    click.echo(f"deleted {n} vectors of {drop} from {settings.db}")


@main.command()
@click.argument("name")
@click.option("--phrase", "phrases", multiple=True, help="A phrase that marks the frame (matched literally, any case and inflection).")
@click.option("--example", "examples", multiple=True, help="An example sentence (matched by paraphrase).")
@click.option("--threshold", type=float, default=None, help="Paraphrase similarity for this frame (default: seed_threshold).")
@click.option("--min-passages", type=click.IntRange(min=1), default=None,
              help="Passages an article matched only by paraphrase needs (default: seed_min_passages, 1).")
@click.option("--remove", is_flag=True, help="Remove the seeded frame NAME.")
@click.option("--file", "frames_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Seeds file (default: the frames_file setting, ./frames.toml).")
@click.pass_context
def seed(ctx, name, phrases, examples, threshold, min_passages, remove, frames_file):
    """Add, replace or remove a seeded frame; `narratives build` then matches it."""
    from app.frames.seeded import Seed, SeedError, load_seeds, save_seeds, upsert_seed

    settings = _settings(ctx, frames_file=frames_file)
    try:
        if remove:
            seeds = load_seeds(settings.frames_file)
            kept = [s for s in seeds if s.name.lower() != name.lower()]
            if len(kept) == len(seeds):
                raise click.ClickException(f"no seeded frame named {name!r} in {settings.frames_file}")
            save_seeds(settings.frames_file, kept)
            click.echo(f"removed {name!r} from {settings.frames_file}; run `narratives build` to retire it")
            return
        if not phrases and not examples:
            raise click.ClickException("give at least one --phrase or --example")
        seeds = upsert_seed(settings.frames_file, Seed(name, tuple(phrases), tuple(examples), threshold,
                                                             min_passages))
    except SeedError as exc:
        raise _fail(exc) from exc
    click.echo(f"{len(seeds)} seeded frame(s) in {settings.frames_file}; run `narratives build` to match them")


def _open_read(settings):
    from app.store import Store, StoreError

    try:
        return Store.open_read(settings.db)
    except StoreError as exc:
        raise _fail(exc) from exc


def _write_table(table, fmt: str, out) -> None:
    import pyarrow as pa

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


@main.command()
@db_option
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True)
@click.pass_context
def frames(ctx, db, fmt):
    """One row per frame: id, label, kind, articles, outlets, first seen and by whom, last seen."""
    settings = _settings(ctx, db=db)
    store = _open_read(settings)
    try:
        df = store.frame_summary()
    finally:
        store.close()
    cols = ["frame_id", "label", "kind", "articles", "outlets", "first_seen", "first_outlet", "last_seen"]
    if df.empty:
        click.echo("no frames yet: run `narratives build`", err=True)
    _write_table(df[cols], fmt, None)


@main.command()
@click.argument("frame_id", type=int)
@db_option
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True)
@click.pass_context
def spread(ctx, frame_id, db, fmt):
    """How a frame spread: outlets in order of adoption, lag, articles and independent articles."""
    from app.spread import frame_profile

    settings = _settings(ctx, db=db)
    store = _open_read(settings)
    try:
        profile = frame_profile(store, frame_id, settings.first_mover_hours)
        if profile is None:
            raise click.ClickException(f"no frame {frame_id}; list them with `narratives frames`")
        edges = store.frame_edges(frame_id)
    finally:
        store.close()
    table = profile.adoption
    if fmt == "table" and profile.first is not None:
        info, first, a = profile.info, profile.first, profile.attention
        click.echo(f"frame {frame_id}: {info['label']} ({info['kind']}, {info['status']})")
        click.echo(f"first seen {first['first_seen']} in {first['outlet']} (article {first['first_article_id']}); "
                   f"{len(table)} outlets; first movers (within {profile.first_mover_hours:g} h): "
                   f"{', '.join(profile.first_movers)}")
        click.echo(f"peak {a['peak_day']} ({a['peak_articles']} articles); half-life {a['half_life_days']} days "
                   f"(days from the peak until half of the articles since the peak had appeared)")
        click.echo(f"outlets that only ran copies: {', '.join(profile.only_copies) or 'none'}\n")
    if fmt == "table":
        table = table.merge(edges[["to_outlet", "from_outlet", "kind"]].rename(
            columns={"to_outlet": "outlet", "from_outlet": "source", "kind": "source_evidence"}), on="outlet", how="left")
    _write_table(table, fmt, None)


@main.command()
@click.argument("frame_id", type=int)
@db_option
@click.option("--rename", default=None, help="A new label; it survives rebuilds.")
@click.option("--merge-into", type=int, default=None, help="Fold this frame into another; its articles count there.")
@click.option("--retire", is_flag=True, help="Hide the frame (kept, with its id; `--restore` brings it back).")
@click.option("--restore", is_flag=True, help="Undo a merge or a retirement.")
@click.pass_context
def edit(ctx, frame_id, db, rename, merge_into, retire, restore):
    """Rename, merge, retire or restore a frame. Edits are kept in the store and survive every rebuild."""
    from app.store import Store, StoreError

    chosen = [a for a, on in (("rename", rename is not None), ("merge", merge_into is not None), ("retire", retire),
                              ("restore", restore)) if on]
    if len(chosen) != 1:
        raise click.UsageError("give exactly one of --rename, --merge-into, --retire, --restore")
    settings = _settings(ctx, db=db)
    try:
        with Store.write(settings.db) as store:
            click.echo(store.edit_frame(frame_id, chosen[0], value=rename, into=merge_into))
    except StoreError as exc:
        raise _fail(exc) from exc
    click.echo("lineage and evidence follow at the next `narratives build`")


@main.command()
@click.argument("frame_id", type=int)
@db_option
@click.pass_context
def history(ctx, frame_id, db):
    """A frame's history: created, split, merged, renamed, retired, restored."""
    settings = _settings(ctx, db=db)
    store = _open_read(settings)
    try:
        df = store.frame_history(frame_id)
    finally:
        store.close()
    if df.empty:
        raise click.ClickException(f"no history for frame {frame_id}")
    _write_table(df, "table", None)


@main.command()
@click.argument("frame_id", type=int)
@db_option
@click.option("--all", "show_all", is_flag=True, help="Also list claims resting on unnamed sources only.")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True)
@click.pass_context
def evidence(ctx, frame_id, db, show_all, fmt):
    """The evidence ledger of a frame: each new evidence item in order, and how often it was repeated."""
    settings = _settings(ctx, db=db)
    store = _open_read(settings)
    try:
        info = _frame_or_fail(store, frame_id)
        ledger = store.frame_ledger(frame_id)
        daily = store.frame_evidence(frame_id)
    finally:
        store.close()
    if not show_all:
        ledger = ledger[ledger["strength"] == "evidence"]
    if fmt == "table":
        from app.evidence.measures import echo_summary

        e = echo_summary(daily)
        click.echo(f"frame {frame_id}: {info['label']} ({info['kind']}, {info['status']})")
        click.echo(f"{e['articles']} articles, {e['new_evidence']} new evidence items, {e['repeated_evidence']} "
                   f"repetitions; {e['anonymous_share']:.0%} of articles rest on unnamed sources only; "
                   f"{e['echo_weeks']} week(s) grew without new evidence"
                   f"{' -> ECHO: growing on repetition' if e['echo'] else ''}\n")
        ledger = ledger.assign(published_at=ledger["published_at"].dt.strftime("%Y-%m-%d %H:%M"))
        ledger = ledger[["published_at", "outlet", "strength", "description", "repeats", "repeat_outlets", "article_id"]]
    _write_table(ledger, fmt, None)


@main.command()
@db_option
@click.option("--from", "start", type=click.DateTime(["%Y-%m-%d"]), default=None, help="First day (default: the last full ISO week).")
@click.option("--to", "end", type=click.DateTime(["%Y-%m-%d"]), default=None, help="Last day, inclusive.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True, help="Folder to write into.")
@click.option("--no-images", is_flag=True, help="Skip the PNGs (no browser needed).")
@click.pass_context
def report(ctx, db, start, end, out, no_images):
    """Weekly report: report.html, a PNG of every chart and the counts behind each as CSV."""
    import datetime as dt

    from app.report import ReportError, build_report, default_period

    settings = _settings(ctx, db=db)
    store = _open_read(settings)
    try:
        note = ""
        if start is None and end is None:
            first, last, note = default_period(store, dt.date.today())
        else:  # one end given: a week from it
            first = start.date() if start else end.date() - dt.timedelta(days=6)
            last = end.date() if end else first + dt.timedelta(days=6)
        result = build_report(store, first, last, out, settings.first_mover_hours, note, images=not no_images)
    except ReportError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        store.close()
    if note:
        click.echo(note)
    click.echo(f"report for {result.start} to {result.end}: {len(result.files)} files in {out}")
    for path in result.files:
        click.echo(f"  {path.name}")


@main.command()
@click.argument("name")
@db_option
@click.option("--format", "fmt", type=click.Choice(["csv", "parquet", "json"]), default="csv", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False), default=None, help="File to write (default: stdout).")
@click.pass_context
def export(ctx, name, db, fmt, out):
    """Write a public view (frame_summary, frame_articles, frame_timeline, frame_passages, frame_spread),
    or rejects, outlets, copies."""
    from app.store import StoreError

    settings = _settings(ctx, db=db)
    store = _open_read(settings)
    try:
        table = store.export(name)
    except StoreError as exc:
        raise _fail(exc) from exc
    finally:
        store.close()
    _write_table(table, fmt, out)


@main.command()
@db_option
@click.option("--load", "load", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="Set outlet attributes from this CSV (columns: outlet_id or name; country, language, kind, lean, "
                   "groups separated by ';').")
@click.option("--out", type=click.Path(dir_okay=False), default=None, help="Write the outlets CSV here (default: stdout).")
@click.pass_context
def outlets(ctx, db, load, out):
    """Export the outlets with their attributes as CSV, or load attributes from a CSV you keep under version control."""
    import pandas as pd

    from app.store import Store, StoreError

    settings = _settings(ctx, db=db)
    if load is not None:
        table = pd.read_csv(load, dtype=str, keep_default_na=False)
        if "outlet_id" not in table.columns and "name" not in table.columns:
            raise click.ClickException(f"{load}: needs an outlet_id or a name column; found {', '.join(table.columns)}")
        try:
            with Store.write(settings.db) as store:
                updated, unknown = store.update_outlets(table)
        except StoreError as exc:
            raise _fail(exc) from exc
        click.echo(f"updated {updated} outlets from {load}")
        if unknown:
            click.echo(f"not in the store (ingest their articles first): {', '.join(unknown)}", err=True)
        return
    store = _open_read(settings)
    try:
        table = store.outlet_table()
    finally:
        store.close()
    _write_table(table, "csv", out)


@main.command()
@db_option
@click.option("--port", type=int, default=8501, show_default=True)
@click.option("--address", default="127.0.0.1", show_default=True,
              help="Address to listen on. The default serves this machine only; 0.0.0.0 serves every network "
                   "interface, so anyone who can reach the machine can read and change the database.")
@click.pass_context
def serve(ctx, db, port, address):
    """Start the dashboard (same as `streamlit run streamlit_app.py`)."""
    env = dict(os.environ)
    if db is not None:
        env["NARRATIVES_DB"] = str(db)
    if ctx.obj.get("config"):
        env["NARRATIVES_CONFIG"] = str(ctx.obj["config"])
    cmd = [sys.executable, "-m", "streamlit", "run", str(PROJECT_ROOT / "streamlit_app.py"),
           "--server.address", address, "--server.port", str(port), "--browser.gatherUsageStats", "false"]
    raise SystemExit(subprocess.call(cmd, env=env))


@main.command()
@db_option
@click.pass_context
def status(ctx, db):
    """What the store holds, and whether an interrupted build is waiting to resume."""
    from app.store import has_pending_work

    settings = _settings(ctx, db=db)
    store = _open_read(settings)
    try:
        counts = store.counts()
        runs = store.runs()
    finally:
        store.close()
    counts["interrupted_build_pending"] = has_pending_work(settings.db)
    counts["last_runs"] = runs.groupby("stage")["finished_at"].max().astype(str).to_dict() if len(runs) else {}
    click.echo(json.dumps(counts, indent=1, default=str))


if __name__ == "__main__":  # pragma: no cover
    main()
