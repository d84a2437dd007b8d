"""Commands that fill and keep the database: ingest, build, vectors, seed, outlets, status, serve."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import click

from app.cli.common import Bars, db_option, fail, format_option, load_cli_settings, main, open_read, write_table
from app.config import DASHBOARD_SCRIPT


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@db_option
@click.option("--dayfirst/--monthfirst", "dayfirst", default=None,
              help="Read N/N/YYYY dates day first (13/03/2026) or month first. Default: decided per file, day first "
                   "only when some date can only be day first and none only month first.")
@click.pass_context
def ingest(ctx, paths, db, dayfirst):
    """Read article files (CSV, TSV, JSONL, JSON, Parquet; optionally .gz) into the store."""
    from app.ingest import ingest_files
    from app.store import NothingToPublish, Store, StoreError

    settings = load_cli_settings(ctx, db=db)
    purpose = "ingest " + " ".join(shlex.quote(str(p.absolute())) for p in paths) + (
        "" if dayfirst is None else " --dayfirst" if dayfirst else " --monthfirst")
    existed = settings.db.exists()
    try:
        with Store.write(settings.db, purpose, memory_budget=settings.memory_budget) as store:
            report = ingest_files(store, paths, settings.max_article_chars, progress=Bars(), dayfirst=dayfirst)
            if not existed and report.ingested == 0 and report.rejected == 0:
                # Nothing read at all: a new database would hold nothing (rejected records are kept, though).
                raise NothingToPublish(f"nothing could be read, so no database was made at {settings.db}")
    except NothingToPublish as exc:
        _print_ingest(report)
        raise fail(exc) from exc
    except StoreError as exc:
        raise fail(exc) from exc
    _print_ingest(report)
    click.echo(f"total: {report.ingested} ingested, {report.already_present} already present, "
               f"{report.rejected} rejected (see `narratives export rejects`) -> {settings.db}")
    failed = [f for f in report.files if f.error]
    if failed:
        raise click.ClickException(f"{len(failed)} of {len(report.files)} files could not be read: "
                                   + ", ".join(str(f.path) for f in failed))


def _print_ingest(report) -> None:
    for f in report.files:
        if f.error:
            click.echo(f"{f.path}: not read: {f.error}", err=True)
            continue
        click.echo(f"{f.path}: {f.ingested} ingested, {f.already_present} already present, {f.rejected} rejected")
        for reason, n in sorted(f.reasons.items(), key=lambda kv: -kv[1]):
            click.echo(f"    {n} rejected: {reason}")
        if f.dates:
            click.echo(f"    {f.dates}")
        if f.note:
            click.echo(f"    {f.note}")


@main.command()
@db_option
@click.option("--model", default=None, help="'default', any sentence-transformers model name, or a local path.")
@click.option("--threshold", type=float, default=None, help="Cosine similarity a passage needs to join a frame.")
@click.option("--recluster", is_flag=True,
              help="Rebuild the discovered frames from scratch (by default the passages of new articles join the "
                   "existing frames and only the rest of them are clustered); frames still found keep their ids.")
@click.option("--refit-seeds", is_flag=True,
              help="Fit the seeded frames' learned rules again on the passages as they are now (by default a rule "
                   "is fitted when its seed or examples change, and kept).")
@click.option("--engine", type=click.Choice(["local", "ray"]), default="local", show_default=True,
              help="Where the texts are embedded: here, or on a Ray cluster (needs the 'ray' extra); the other "
                   "stages always run here.")
@click.option("--address", default=None, metavar="ADDR",
              help="With --engine ray: the cluster (ray://host:10001, host:6379 or auto; default: RAY_ADDRESS, "
                   "else a Ray instance started on this machine for the build).")
@click.pass_context
def build(ctx, db, model, threshold, recluster, refit_seeds, engine, address):
    """Segment, embed and discover frames for everything not yet built. Safe to interrupt and rerun."""
    from app.pipeline import build as run_build
    from app.store import StoreError

    if address and engine != "ray":
        raise click.UsageError("--address needs --engine ray")
    settings = load_cli_settings(ctx, db=db, model=model, frame_threshold=threshold)
    bars = Bars()
    try:
        report = run_build(settings.db, settings, progress=bars, recluster=recluster, engine=engine,
                           address=address, refit_seeds=refit_seeds)
    except StoreError as exc:
        raise fail(exc) from exc
    except RuntimeError as exc:
        if type(exc).__name__ != "RayEngineError":  # defined in the module only --engine ray imports
            raise
        raise fail(exc) from exc
    finally:
        bars.close()
    for note in report.notes:
        click.echo(f"note: {note}", err=True)
    share = report.assigned_passages / report.total_passages if report.total_passages else 0
    click.echo(f"segmented {report.segmented_articles} articles into {report.new_passages} passages; "
               f"embedded {report.embedded_texts} new texts; {report.frames} frames"
               f"{' (unchanged)' if report.frames_skipped else ''}; {share:.0%} of passages in a frame "
               f"({report.total_passages - report.assigned_passages} unassigned); {report.seeded_frames} seeded frames "
               f"from {settings.frames_file}; {report.new_evidence} new-evidence items -> {settings.db}")
    click.echo("seconds: " + ", ".join(f"{k} {v}" for k, v in report.seconds.items()))
    click.echo(f"memory: DuckDB limited to {report.memory_limit} (memory_budget {settings.memory_budget} MB)")
    if report.index not in ("", "none"):
        click.echo(f"search index: {report.index}")


@main.command()
@db_option
@click.option("--drop", "drop", default=None, metavar="MODEL_KEY",
              help="Delete the vectors stored under this key (never the key in use).")
@format_option
@click.pass_context
def vectors(ctx, db, drop, fmt):
    """The sets of vectors in the database: one per model key, and which one the settings use.

    Changing the model, the backend or the int8 recipe embeds every text again under a new key and keeps the
    old vectors; once the new set is complete, `--drop OLD_KEY` deletes the old one."""
    from app.store import Store, StoreError
    from embeddings import model_key

    settings = load_cli_settings(ctx, db=db)
    current = model_key(settings.model, settings.max_seq_length, settings.backend, settings.device)
    if drop is None:
        store = open_read(settings)
        try:
            table = store.vector_sets()
        finally:
            store.close()
        if table.empty:
            click.echo(f"no vectors yet in {settings.db}; the settings would embed under {current}")
            return
        table.insert(1, "in_use", table["model"] == current)
        table["covers"] = (table["texts_covered"] / table["texts"].clip(lower=1)).map("{:.0%}".format)
        write_table(table[["model", "in_use", "vectors", "covers", "last_embedded", "runtime"]], fmt, None)
        return
    if drop == current:
        raise click.ClickException(f"{drop} is the key the settings use; change the model or backend first")
    try:
        with Store.write(settings.db, f"vectors --drop {shlex.quote(drop)}", resumable=False) as store:
            known = set(store.vector_sets()["model"])
            if drop not in known:
                raise click.ClickException(f"no vectors under {drop!r}; keys here: {', '.join(sorted(known)) or 'none'}")
            n = store.drop_vectors(drop)
    except StoreError as exc:
        raise fail(exc) from exc
    click.echo(f"deleted {n} vectors of {drop} from {settings.db}")


@main.command()
@click.argument("name")
@click.option("--phrase", "phrases", multiple=True, help="A phrase that marks the frame (matched literally, any case and inflection).")
@click.option("--example", "examples", multiple=True, help="An example sentence (matched by paraphrase).")
@click.option("--threshold", type=float, default=None, help="Paraphrase similarity for this frame (default: seed_threshold).")
@click.option("--min-passages", type=click.IntRange(min=1), default=None,
              help="Passages an article matched only by paraphrase needs (default: seed_min_passages, 1).")
@click.option("--examples", "examples_csv", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="Labelled examples from a CSV (columns text or url, and label in|out); bad rows are reported by "
                   "row number, good rows kept.")
@click.option("--remove", is_flag=True, help="Remove the seeded frame NAME.")
@click.option("--file", "frames_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Seeds file (default: the frames_file setting, ./frames.toml).")
@click.pass_context
def seed(ctx, name, phrases, examples, examples_csv, threshold, min_passages, remove, frames_file):
    """Add, replace or remove a seeded frame; `narratives build` then matches it."""
    from app.frames.seeded import Seed, SeedError, load_seeds, save_seeds, upsert_seed

    settings = load_cli_settings(ctx, frames_file=frames_file)
    try:
        if examples_csv is not None:
            _seed_examples(settings.frames_file, name, phrases, examples, examples_csv, threshold, min_passages)
            return
        if remove:
            seeds = load_seeds(settings.frames_file, reviewed=False)
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
        raise fail(exc) from exc
    click.echo(f"{len(seeds)} seeded frame(s) in {settings.frames_file}; run `narratives build` to match them")


def _seed_examples(frames_file: Path, name: str, phrases, examples, csv_path: Path, threshold, min_passages) -> None:
    """Add the good rows of a CSV of labelled examples to the seed NAME (made when new); bad rows are named
    on stderr and the command exits 1 after keeping the good ones."""
    from dataclasses import replace

    from app.frames.seeded import Seed, SeedError, merge_examples, load_seeds, read_examples_csv, upsert_seed

    try:
        text = csv_path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise click.ClickException(f"{csv_path}: not UTF-8 text ({exc})") from exc
    good, bad = read_examples_csv(text, str(csv_path))
    for frame, _ in good:
        if frame and frame.lower() != name.lower():
            bad.append(f"{csv_path}: a row names frame {frame!r}, not {name!r}")
    good = [e for frame, e in good if not frame or frame.lower() == name.lower()]
    current = {s.name.lower(): s for s in load_seeds(frames_file, reviewed=False)}.get(name.lower())
    if current is None:
        current = Seed(name)
    seed = replace(current, phrases=tuple(phrases) or current.phrases, examples=tuple(examples) or current.examples,
                   threshold=threshold if threshold is not None else current.threshold,
                   min_passages=min_passages if min_passages is not None else current.min_passages,
                   labelled=merge_examples(current.labelled, good))
    for message in bad:
        click.echo(message, err=True)
    if good:
        try:
            upsert_seed(frames_file, seed)
        except SeedError as exc:
            raise click.ClickException(str(exc)) from exc
    n_in = sum(e.label == "in" for e in seed.labelled)
    click.echo(f"{len(good)} example(s) added to {name!r} in {frames_file} ({n_in} in, {len(seed.labelled) - n_in} out "
               f"in all); {len(bad)} bad row(s); run `narratives build` to match it")
    if bad:
        raise SystemExit(1)


@main.command()
@db_option
@click.option("--load", "load", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="Set outlet attributes from this CSV (columns: outlet_id or name; country, language, kind, lean, "
                   "groups separated by ';').")
@click.option("--out", type=click.Path(dir_okay=False), default=None, help="Write the outlets CSV here (default: stdout).")
@click.option("--format", "fmt", type=click.Choice(["csv", "json", "table"]), default="csv", show_default=True,
              help="csv (the file --load reads), json, or a table for reading.")
@click.pass_context
def outlets(ctx, db, load, out, fmt):
    """Export the outlets with their attributes as CSV, or load attributes from a CSV you keep under version control."""
    import pandas as pd

    from app.store import Store, StoreError

    settings = load_cli_settings(ctx, db=db)
    if load is not None:
        table = pd.read_csv(load, dtype=str, keep_default_na=False)
        if "outlet_id" not in table.columns and "name" not in table.columns:
            raise click.ClickException(f"{load}: needs an outlet_id or a name column; found {', '.join(table.columns)}")
        try:
            with Store.write(settings.db, f"outlets --load {shlex.quote(str(Path(load).absolute()))}", resumable=False) as store:
                updated, unknown = store.update_outlets(table)
        except StoreError as exc:
            raise fail(exc) from exc
        click.echo(f"updated {updated} outlets from {load}")
        if unknown:
            click.echo(f"not in the store (ingest their articles first): {', '.join(unknown)}", err=True)
        return
    store = open_read(settings)
    try:
        table = store.outlet_table()
    finally:
        store.close()
    write_table(table, fmt, out)


@main.command()
@db_option
@click.option("--discard", is_flag=True,
              help="Drop the work an interrupted ingest or build left unpublished (the published state stays).")
@click.option("--format", "fmt", type=click.Choice(["json", "table"]), default="json", show_default=True)
@click.pass_context
def status(ctx, db, discard, fmt):
    """What the store holds, and whether an interrupted write is waiting to resume."""
    from app.frames.seeded import STALE_GROWTH, outgrown_rules
    from app.store import StoreError, discard_pending, pending_work, resume_command
    from app.store.db import spare_path

    settings = load_cli_settings(ctx, db=db)
    if discard:
        try:
            dropped = discard_pending(settings.db)
        except StoreError as exc:
            raise fail(exc) from exc
        click.echo(f"dropped the unpublished work of `{resume_command(dropped['purpose'])}`" if dropped
                   else "no unpublished work to drop")
        return
    store = open_read(settings)
    try:
        counts = store.counts()
        runs = store.runs()
        storage, missing, folder = store.vector_storage(), store.missing_vector_segments(), store.vector_folder()
        stale = outgrown_rules(store.learned_rule_sizes(), STALE_GROWTH)
    finally:
        store.close()
    # The vectors live beside the file (app.store.vectors): a copy of the database needs the folder too.
    counts["vector_folder"] = folder
    # mb: the disk they take, segments and their fixed-width sidecars (about as much again) together.
    counts["vector_segments"] = {row.model: {"segments": int(row.segments), "vectors": int(row.vectors),
                                             "mb": round((row.bytes + row.sidecar_bytes) / 1e6, 1),
                                             "sidecar_mb": round(row.sidecar_bytes / 1e6, 1)}
                                 for row in storage.itertuples()}
    if missing:
        counts["vector_segments_missing"] = len(missing)
    # Learned rules fitted on a much smaller archive (app.frames.seeded.STALE_GROWTH): `build --refit-seeds`.
    counts["learned_rules_fitted_on_a_smaller_archive"] = [
        {"frame_id": int(r.frame_id), "name": r.name, "fitted_passages": int(r.fitted_passages),
         "passages_now": int(r.passages), "fitted_at": str(r.fitted_at)} for r in stale.itertuples()]
    # The state the last write replaced, which the next write brings up to date instead of copying the whole
    # file (app.store.db.keep_spare): disk the database takes beside the file; deleting it is safe.
    spare = spare_path(settings.db)
    counts["spare_file_mb"] = round(spare.stat().st_size / 1e6, 1) if spare.exists() else None
    pending = pending_work(settings.db)
    counts["interrupted_build_pending"] = pending is not None
    counts["pending_write"] = ({"resume_with": resume_command(pending["purpose"]), "started": pending["started"]}
                               if pending else None)
    counts["last_runs"] = runs.groupby("stage")["finished_at"].max().astype(str).to_dict() if len(runs) else {}
    if fmt == "table":
        for key, value in counts.items():
            click.echo(f"{key:>26}  {json.dumps(value, default=str) if isinstance(value, (dict, list)) else value}")
        return
    click.echo(json.dumps(counts, indent=1, default=str))


if __name__ == "__main__":  # pragma: no cover
    main()


@main.command()
@db_option
@click.option("--port", type=int, default=8501, show_default=True)
@click.option("--address", default="127.0.0.1", show_default=True,
              help="Address to listen on. The default serves this machine only; 0.0.0.0 serves every network "
                   "interface, so anyone who can reach the machine can read and change the database.")
@click.option("--dev", is_flag=True,
              help="Rerun the dashboard when its code changes (Streamlit's file watcher, over the package's folders "
                   "only). Off by default: a server watches no files.")
@click.pass_context
def serve(ctx, db, port, address, dev):
    """Start the dashboard: `streamlit run` on the package's app/ui/entry/main.py, from a checkout or an installed
    copy, listening on this machine only unless --address says otherwise."""
    env = dict(os.environ)
    if db is not None:
        env["NARRATIVES_DB"] = str(Path(db).absolute())
    if ctx.obj.get("config"):
        env["NARRATIVES_CONFIG"] = str(Path(ctx.obj["config"]).absolute())
    raise SystemExit(start_dashboard(serve_command(address, port, dev), env))


def start_dashboard(command: list[str], env: dict) -> int:
    """Run the dashboard's server. On POSIX Streamlit replaces this process, so a stop signal (Ctrl-C,
    `kill`, systemd) reaches the server itself: a child started beside us would be left running, still
    listening, when only we were stopped. Elsewhere it runs as a child and we wait for it."""
    if os.name == "posix":
        sys.stdout.flush()
        sys.stderr.flush()
        os.execve(command[0], command, env)
    return subprocess.call(command, env=env)


def serve_command(address: str, port: int, dev: bool = False) -> list[str]:
    """The `streamlit run` command line of `narratives serve`. The entry script lives in the package, so
    Streamlit's watcher (with --dev) covers the package's folders, never a virtual environment or the
    database beside it; without --dev nothing is watched (``fileWatcherType none``), and the toolbar is the
    viewer's (no "Deploy" button or developer menu in a screenshot of a report)."""
    return [sys.executable, "-m", "streamlit", "run", str(DASHBOARD_SCRIPT),
            "--server.address", address, "--server.port", str(port), "--browser.gatherUsageStats", "false",
            "--server.fileWatcherType", "auto" if dev else "none",
            "--client.toolbarMode", "auto" if dev else "viewer"]
