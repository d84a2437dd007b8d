"""`narratives dates`: the flagged dates, and corrections loaded from a CSV (url, published_at[, note])."""

from __future__ import annotations

import getpass
from pathlib import Path

import click

from app.cli.common import db_option, fail, load_cli_settings, main, open_read, write_table


@main.command()
@db_option
@click.option("--load", "load", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="Correct dates from this CSV (columns url, published_at, optional note); kept with who and when, "
                   "applied again after every ingest.")
@click.option("--by", default=None, help="Who made the corrections (default: the user name of this session).")
@click.option("--corrections", "show_corrections", is_flag=True, help="List the corrections made so far.")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False), default=None, help="Write the list here (default: stdout).")
@click.pass_context
def dates(ctx, db, load, by, show_corrections, fmt, out):
    """List the flagged dates (a date that cannot be right, or not the publisher's), or correct dates."""
    import pandas as pd

    from app.frames.onsets import CorrectionProblem, corrections
    from app.store import Store, StoreError
    from app.store.onsets import utc_now

    settings = load_cli_settings(ctx, db=db)
    if load is not None:
        table = pd.read_csv(load, dtype=str, keep_default_na=False)
        try:
            rows = corrections(table, by or getpass.getuser(), utc_now())
            with Store.write(settings.db) as store:
                changed = store.add_date_corrections(rows)
                known = len(store.known_articles(rows["canonical_url"].unique().tolist()))
        except (CorrectionProblem, StoreError) as exc:
            raise fail(exc) from exc
        click.echo(f"{len(rows)} correction(s) stored from {load}; {changed} article date(s) changed; "
                   f"{rows['canonical_url'].nunique() - known} URL(s) not in the store yet (applied when ingested). "
                   "Run `narratives build` to update onsets and first movers.")
        return
    store = open_read(settings)
    try:
        table = store.date_corrections() if show_corrections else store.flagged_dates()
    finally:
        store.close()
    write_table(table, fmt, out)
