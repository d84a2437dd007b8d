"""`narratives collect`: fetch articles from news feeds and URL lists into the store, then (with
``--build``) run the incremental build. Made to run unattended (cron, a systemd timer): a lock keeps two
runs from overlapping, and the exit code says whether the run completed."""

from __future__ import annotations

import fcntl
import shlex
from pathlib import Path

import click

from app.cli.common import Bars, db_option, fail, load_cli_settings, main

EXIT_BUSY = 75  # another collect holds the lock (EX_TEMPFAIL: try again later)


@main.command()
@click.option("--feeds", "feeds_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="TOML file of [[feed]] entries (url; optional outlet and groups): RSS, Atom or sitemaps.")
@click.option("--urls", "url_files", multiple=True, type=click.Path(dir_okay=False, path_type=Path),
              help="A URL list: a text file (one URL a line), or any file `narratives ingest` reads that has a URL "
                   "column (Media Cloud CSV, GDELT DOC JSON/CSV), or a GDELT GKG/Events table; .gz and .zip too. "
                   "Repeatable.")
@db_option
@click.option("--build", "then_build", is_flag=True, help="Run the incremental build after collecting.")
@click.pass_context
def collect(ctx, feeds_file, url_files, db, then_build):
    """Fetch the articles of news feeds and URL lists (politely: robots.txt, per-host delay) into the store.

    A URL already stored is never fetched again; every failure is kept in the fetch_log view. Exit code 0
    when the run completed (pages that failed are recorded, not fatal); 1 when a feed or URL list could not
    be read at all, or the run could not complete; 75 when another collect is running."""
    from app.collect.run import collect as run_collect
    from app.collect.feeds import FeedsFileError, load_feeds
    from app.store import Store, StoreError

    settings = load_cli_settings(ctx, db=db)
    if feeds_file is None and not url_files:
        raise click.UsageError("give --feeds FILE and/or --urls FILE")
    try:
        feeds = load_feeds(feeds_file) if feeds_file is not None else []
    except FeedsFileError as exc:
        raise fail(exc) from exc
    purpose = "collect" + (f" --feeds {shlex.quote(str(feeds_file.absolute()))}" if feeds_file else "") + "".join(
        f" --urls {shlex.quote(str(Path(p).absolute()))}" for p in url_files)
    settings.db.parent.mkdir(parents=True, exist_ok=True)
    lock_path = settings.db.with_name(settings.db.name + ".collect.lock")
    with open(lock_path, "a+") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            click.echo(f"another `narratives collect` is running on {settings.db}; this run did nothing", err=True)
            ctx.exit(EXIT_BUSY)
        bars = Bars()
        try:
            with Store.write(settings.db, purpose) as store:
                report = run_collect(store, settings, feeds, list(url_files), progress=bars)
        except StoreError as exc:
            raise fail(exc) from exc
        finally:
            bars.close()
        _print(report, settings.db)
        if then_build:
            ctx.invoke(main.get_command(ctx, "build"), db=db)
    if report.unreadable:
        raise click.ClickException(f"{len(report.unreadable)} of {len(report.sources)} feeds or lists could not be "
                                   "read: " + "; ".join(s.error for s in report.unreadable))


def _print(report, db) -> None:
    for s in report.sources:
        if s.error:
            click.echo(f"{s.source}: not read: {s.error}", err=True)
            continue
        state = " (feed unchanged since the last run)" if s.not_modified else ""
        click.echo(f"{s.source}: {s.listed} URLs{state}, {s.already} already stored or settled, {s.stored} stored, "
                   f"{s.duplicates} duplicates, {s.failed} failed")
        for reason, n in sorted(s.reasons.items(), key=lambda kv: -kv[1]):
            click.echo(f"    {n} failed: {reason}")
        if s.to_retry:
            click.echo(f"    {s.to_retry} of them may pass (timeout, 429, 5xx): tried again next run")
    click.echo(f"total: {report.stored} stored, {report.failed} failed (see `narratives export fetch_log`), "
               f"{report.requests} requests in {report.seconds:.1f} s -> {db}")
    if report.not_english:
        click.echo(f"{report.not_english} stored article(s) not in English: the default model is English, so "
                   "their frames will be poorer (set `model` to a multilingual one to treat them well)", err=True)
