"""Commands that read frames and their spread, evidence and history, edit frames, and write reports and exports."""

from __future__ import annotations

from pathlib import Path

import click

from app.cli.common import (db_option, fail, format_option, frame_or_fail, load_cli_settings, main, open_read,
                             write_summary_json, write_table)


@main.command()
@db_option
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True)
@click.pass_context
def frames(ctx, db, fmt):
    """One row per frame: id, label, kind, articles, outlets, first seen and by whom, last seen."""
    settings = load_cli_settings(ctx, db=db)
    store = open_read(settings)
    try:
        df = store.frame_summary()
    finally:
        store.close()
    cols = ["frame_id", "label", "kind", "articles", "outlets", "first_seen", "first_outlet", "last_seen"]
    if df.empty:
        click.echo("no frames yet: run `narratives build`", err=True)
    write_table(df[cols], fmt, None)


@main.command()
@db_option
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True)
@click.option("--frames", "with_frames", is_flag=True, help="One row per frame instead, with its story.")
@click.pass_context
def stories(ctx, db, fmt, with_frames):
    """One row per story (the event or topic a set of frames belongs to): id, label (its largest frame's),
    frames, articles, outlets, first and last seen."""
    settings = load_cli_settings(ctx, db=db)
    store = open_read(settings)
    try:
        df = store.story_summary()
        frame_rows = store.frame_summary().merge(store.frame_stories(), on="frame_id", how="left") \
            if with_frames else None
    finally:
        store.close()
    if df.empty:
        click.echo("no stories yet: run `narratives build`", err=True)
    if with_frames:
        frame_rows = frame_rows.merge(df[["story_id", "label"]].rename(columns={"label": "story"}), on="story_id",
                                      how="left")
        frame_rows["story_id"] = frame_rows["story_id"].astype("Int64")
        order = {story: rank for rank, story in enumerate(df["story_id"])}
        frame_rows = frame_rows.assign(_rank=frame_rows["story_id"].map(order).fillna(len(order)))
        frame_rows = frame_rows.sort_values(["_rank", "articles", "frame_id"], ascending=[True, False, True])
        write_table(frame_rows[["story_id", "story", "frame_id", "label", "kind", "articles", "outlets",
                                "first_seen"]], fmt, None)
        return
    write_table(df[["story_id", "label", "frames", "articles", "outlets", "first_seen", "last_seen"]], fmt, None)


SUMMARY_FORMATS = ("table: the summary, then one row per item; json: one object, {\"summary\": {...}, \"rows\": "
                   "[...]}; csv: the rows only (no summary: every line is a row other programs can read).")


@main.command()
@click.argument("frame_id", type=int)
@db_option
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True,
              help=SUMMARY_FORMATS)
@click.pass_context
def spread(ctx, frame_id, db, fmt):
    """How a frame spread: first seen and its basis, first movers, peak and half-life, then the outlets in
    order of adoption with their lag, articles, independent articles and most likely source."""
    import pandas as pd

    from app.frames.labels import support_line
    from app.spread import frame_profile

    settings = load_cli_settings(ctx, db=db)
    store = open_read(settings)
    try:
        profile = frame_profile(store, frame_id, settings.first_mover_hours)
        if profile is None:
            raise click.ClickException(f"no frame {frame_id}; list them with `narratives frames`")
        edges = store.frame_edges(frame_id)
        support = store.label_support([frame_id]).iloc[0]  # how many of its passages hold its label
    finally:
        store.close()
    held = None if pd.isna(support["label_passages"]) else int(support["label_passages"])
    table = profile.adoption.merge(edges[["to_outlet", "from_outlet", "kind"]].rename(
        columns={"to_outlet": "outlet", "from_outlet": "source", "kind": "source_evidence"}), on="outlet", how="left")
    info, first, a = profile.info, profile.first, profile.attention
    if fmt == "json":
        write_summary_json({
            "frame_id": frame_id, "label": info["label"], "kind": info["kind"], "status": info["status"],
            "first_seen": first["first_seen"] if first else None, "first_outlet": first["outlet"] if first else None,
            "first_article_id": first["first_article_id"] if first else None, "outlets": len(table),
            "first_mover_hours": profile.first_mover_hours, "first_movers": profile.first_movers,
            "first_seen_basis": profile.basis, "peak_day": a.get("peak_day"), "peak_articles": a.get("peak_articles"),
            "half_life_days": a.get("half_life_days"), "only_copies": profile.only_copies,
            "label_passages": held, "passages": int(support["passages"])}, table)
        return
    if fmt == "table" and first is not None:
        click.echo(f"frame {frame_id}: {info['label']} ({info['kind']}, {info['status']})")
        if line := support_line(held, int(support["passages"]), support["core"], support["core_passages"]):
            click.echo(line)
        click.echo(f"first seen {first['first_seen']} in {first['outlet']} (article {first['first_article_id']}); "
                   f"{len(table)} outlets; first movers (within {profile.first_mover_hours:g} h): "
                   f"{', '.join(profile.first_movers)}")
        click.echo(profile.basis)
        click.echo(f"peak {a['peak_day']} ({a['peak_articles']} articles); half-life {a['half_life_days']} days "
                   f"(days from the peak until half of the articles since the peak had appeared)")
        click.echo(f"outlets that only ran copies: {', '.join(profile.only_copies) or 'none'}\n")
    write_table(table, fmt, None)


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
    settings = load_cli_settings(ctx, db=db)
    try:
        with Store.write(settings.db, f"edit {frame_id}", resumable=False) as store:
            click.echo(store.edit_frame(frame_id, chosen[0], value=rename, into=merge_into))
    except StoreError as exc:
        raise fail(exc) from exc
    click.echo("lineage and evidence follow at the next `narratives build`")


@main.command()
@click.argument("frame_id", type=int)
@db_option
@format_option
@click.pass_context
def history(ctx, frame_id, db, fmt):
    """A frame's history: created, split, merged, renamed, retired, restored."""
    settings = load_cli_settings(ctx, db=db)
    store = open_read(settings)
    try:
        df = store.frame_history(frame_id)
    finally:
        store.close()
    if df.empty:
        raise click.ClickException(f"no history for frame {frame_id}")
    write_table(df, fmt, None)


@main.command()
@click.argument("frame_id", type=int)
@db_option
@click.option("--all", "show_all", is_flag=True, help="Also list claims resting on unnamed sources only.")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True,
              help=SUMMARY_FORMATS)
@click.pass_context
def evidence(ctx, frame_id, db, show_all, fmt):
    """The evidence ledger of a frame: its articles, new evidence items, repetitions, share resting on unnamed
    sources and weeks that grew without new evidence, then each new evidence item in order and how often it
    was repeated."""
    from app.evidence.measures import echo_summary

    settings = load_cli_settings(ctx, db=db)
    store = open_read(settings)
    try:
        info = frame_or_fail(store, frame_id)
        ledger = store.frame_ledger(frame_id)
        daily = store.frame_evidence(frame_id)
    finally:
        store.close()
    if not show_all:
        ledger = ledger[ledger["strength"] == "evidence"]
    e = echo_summary(daily)
    if fmt == "json":
        write_summary_json({"frame_id": frame_id, "label": info["label"], "kind": info["kind"],
                            "status": info["status"], **e}, ledger)
        return
    if fmt == "table":
        click.echo(f"frame {frame_id}: {info['label']} ({info['kind']}, {info['status']})")
        click.echo(f"{e['articles']} articles, {e['new_evidence']} new evidence items, {e['repeated_evidence']} "
                   f"repetitions; {e['anonymous_share']:.0%} of articles rest on unnamed sources only; "
                   f"{e['echo_weeks']} week(s) grew without new evidence"
                   f"{' -> ECHO: growing on repetition' if e['echo'] else ''}\n")
        ledger = ledger.assign(published_at=ledger["published_at"].dt.strftime("%Y-%m-%d %H:%M"))
        ledger = ledger[["published_at", "outlet", "strength", "description", "repeats", "repeat_outlets", "article_id"]]
    write_table(ledger, fmt, None)


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

    from app.report import ReportError, build_report, report_period

    settings = load_cli_settings(ctx, db=db)
    store = open_read(settings)
    try:
        first, last, note = report_period(store, start.date() if start else None, end.date() if end else None,
                                          dt.date.today())
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

    settings = load_cli_settings(ctx, db=db)
    store = open_read(settings)
    try:
        table = store.export(name)
    except StoreError as exc:
        raise fail(exc) from exc
    finally:
        store.close()
    write_table(table, fmt, out)
