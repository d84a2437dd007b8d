"""The weekly report: a self-contained HTML page, a PNG of every chart, and the counts behind
every chart as CSV.

Sections: top frames of the period, new frames (first seen in the period) with their first movers,
frames that grew without new evidence, and the spread timeline of the busiest frames with their
new-evidence events. Every title and label from the data is escaped; every chart has a text
alternative. PNGs are drawn by plotly + kaleido, which needs a Chromium or Chrome on the machine
(Debian: ``apt-get install chromium``; ``BROWSER_PATH`` names another binary).
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import io
import tempfile
import zipfile
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pandas as pd
import plotly.graph_objects as go

from app.charts import PALETTE, chart_title, plotly_text, timeline_figure
from app.evidence.measures import grew_without_evidence
from app.frames.onsets import basis_line
from app.spread import period_first_movers
from app.store import Filters, Store

TOP = 10
TIMELINES = 3
WIDTH, HEIGHT = 1280, 720


class ReportError(RuntimeError):
    pass


@dataclass
class Chart:
    name: str
    figure: go.Figure
    alt: str
    csv: str


@dataclass
class Report:
    start: dt.date
    end: dt.date
    out: Path
    note: str = ""
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    charts: list[Chart] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)


def last_full_week(today: dt.date) -> tuple[dt.date, dt.date]:
    """Monday and Sunday of the last ISO week that ended before ``today``."""
    monday = today - dt.timedelta(days=today.weekday() + 7)
    return monday, monday + dt.timedelta(days=6)


def default_period(store: Store, today: dt.date) -> tuple[dt.date, dt.date, str]:
    """The last full ISO week; if the store has no article in it, the last full week that has some."""
    start, end = last_full_week(today)
    lo, hi = store.date_bounds()
    if hi is None or hi >= start:
        return start, end, ""
    start, end = last_full_week(hi + dt.timedelta(days=7 - hi.weekday()))
    if end > hi:  # the latest week with articles is not complete: take the one before
        start, end = start - dt.timedelta(days=7), end - dt.timedelta(days=7)
    return start, end, (f"No articles in the last full week before {today:%d %b %Y}; this is the latest full week "
                        f"with articles.")


def report_period(store: Store, start: dt.date | None, end: dt.date | None, today: dt.date
                  ) -> tuple[dt.date, dt.date, str]:
    """The period a report covers: from ``start`` to ``end`` (inclusive); a week from the one given when only
    one is; :func:`default_period` when neither is. The third value is a note for the reader ("" if none)."""
    if start is None and end is None:
        return default_period(store, today)
    first = start if start is not None else end - dt.timedelta(days=6)
    last = end if end is not None else first + dt.timedelta(days=6)
    return first, last, ""


def _wrap(label: str, width: int = 38) -> str:
    """A label on at most two lines of a chart, escaped (Plotly reads HTML in titles and labels)."""
    return "<br>".join(plotly_text(line) for line in textwrap.wrap(str(label), width)[:2])


def _layout(fig: go.Figure, title: str, caption: str, height: int = HEIGHT) -> go.Figure:
    fig.update_layout(title=chart_title(title, caption),
                      height=height, width=WIDTH, margin=dict(l=10, r=30, t=90, b=50), plot_bgcolor="white",
                      font=dict(size=14), legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="right", x=1))
    fig.update_xaxes(gridcolor="#eee")
    fig.update_yaxes(gridcolor="#eee")
    return fig


def top_frames_figure(top: pd.DataFrame, caption: str) -> go.Figure:
    df = top.iloc[::-1]
    y = [f"#{f} {_wrap(label)}" for f, label in zip(df["frame_id"], df["label"])]
    fig = go.Figure()
    fig.add_trace(go.Bar(y=y, x=df["independent_articles"], orientation="h", name="independent articles",
                         marker_color=PALETTE[0]))
    fig.add_trace(go.Bar(y=y, x=df["articles"] - df["independent_articles"], orientation="h",
                         name="syndicated copies", marker_color=PALETTE[5]))
    fig.add_trace(go.Scatter(y=y, x=df["articles"], mode="text", text=[f"  {n} new evidence item{'s' if n != 1 else ''}" for n in df["new_evidence"]],
                             textposition="middle right", showlegend=False, hoverinfo="skip", cliponaxis=False))
    fig.update_layout(barmode="stack", xaxis_title="articles in the period", yaxis_title=None,
                      xaxis_range=[0, max(1, int(df["articles"].max())) * 1.3])
    return _layout(fig, "Top frames of the period", caption, height=max(HEIGHT, 60 * len(df) + 160))


def echo_figure(echo: pd.DataFrame, caption: str) -> go.Figure:
    y = [f"#{f} {_wrap(label)}" for f, label in zip(echo["frame_id"], echo["label"])][::-1]
    fig = go.Figure()
    fig.add_trace(go.Bar(y=y, x=echo["previous_articles"].iloc[::-1], orientation="h", name="articles, period before",
                         marker_color="#bbbbbb"))
    fig.add_trace(go.Bar(y=y, x=echo["articles"].iloc[::-1], orientation="h", name="articles, this period",
                         marker_color=PALETTE[1]))
    fig.update_layout(barmode="group", xaxis_title="articles (no new evidence item in this period)", yaxis_title=None)
    return _layout(fig, "Frames that grew without new evidence", caption, height=max(HEIGHT, 70 * len(echo) + 160))


def new_frames_figure(new: pd.DataFrame, caption: str) -> go.Figure:
    df = new.iloc[::-1]
    y = [f"#{f} {_wrap(label)}" for f, label in zip(df["frame_id"], df["label"])]
    fig = go.Figure(go.Bar(y=y, x=df["outlets"], orientation="h", name="outlets", marker_color=PALETTE[2],
                           text=[f"{a} article{'s' if a != 1 else ''}" for a in df["articles"]], textposition="outside", cliponaxis=False))
    fig.update_layout(xaxis_title="outlets that carried it in the period", yaxis_title=None, showlegend=False)
    return _layout(fig, "New frames: first seen in this period", caption, height=max(HEIGHT, 60 * len(df) + 160))


def build_report(store: Store, start: dt.date, end: dt.date, out: Path, first_mover_hours: float = 48.0,
                 note: str = "", images: bool = True, progress: Callable[[str, int, int], None] | None = None) -> Report:
    """Compute every table and chart of the period and write them under ``out``."""
    if end < start:
        raise ReportError(f"the period ends ({end}) before it starts ({start})")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    rep = Report(start, end, out, note)
    counts = store.counts()
    caption = (f"{start:%d %b %Y} – {end:%d %b %Y} · corpus of {counts['articles']:,} articles from "
               f"{counts['outlets']:,} outlets · Narrative Tracker")
    frames = store.period_frames(start, end)
    frames["growth"] = frames["articles"] - frames["previous_articles"]
    frames["anonymous_share"] = (frames["anonymous_only"] / frames["articles"]).round(3)
    # Each frame's first-seen claim with its basis in plain words (onset rule, earlier passages, flagged dates).
    onsets = {int(r["frame_id"]): r for r in store.frame_onsets(frames["frame_id"].astype(int).tolist())
              .to_dict("records")} if len(frames) else {}
    frames["first_seen_basis"] = [basis_line(onsets.get(int(f))) for f in frames["frame_id"]]
    lo = pd.Timestamp(start)
    hi = pd.Timestamp(end) + pd.Timedelta(days=1)
    top = frames.head(TOP)
    new = frames[(frames["first_seen"] >= lo) & (frames["first_seen"] < hi)].head(TOP)
    echo = frames[grew_without_evidence(frames["articles"], frames["previous_articles"], frames["new_evidence"])
                  ].head(TOP)
    movers = period_first_movers(store, new["frame_id"].astype(int).tolist(), first_mover_hours)
    columns = ["frame_id", "label", "kind", "articles", "independent_articles", "outlets", "previous_articles",
               "growth", "new_evidence", "repeated_evidence", "anonymous_share", "first_seen", "first_outlet",
               "first_seen_basis"]
    rep.tables = {"top_frames": top[columns], "new_frames": new[columns], "echo_frames": echo[columns],
                  "first_movers": movers}

    if len(top):
        lead = top.iloc[0]
        rep.charts.append(Chart("top_frames", top_frames_figure(top, caption), (
            f"Bar chart of the {len(top)} frames with most articles from {start:%d %b} to {end:%d %b %Y}. "
            f"The largest, #{lead['frame_id']} “{lead['label']}”, had {lead['articles']} articles "
            f"({lead['independent_articles']} independent) and {lead['new_evidence']} new evidence items."),
            "top_frames.csv"))
    if len(new):
        rep.charts.append(Chart("new_frames", new_frames_figure(new, caption), (
            f"Bar chart of {len(new)} frames first seen in the period, by the number of outlets that carried them: "
            + "; ".join(f"#{r.frame_id} {r.outlets} outlets" for r in new.itertuples()) + "."), "new_frames.csv"))
    if len(echo):
        rep.charts.append(Chart("echo_frames", echo_figure(echo, caption), (
            f"Bar chart of {len(echo)} frames whose articles rose from the period before without any new evidence item: "
            + "; ".join(f"#{r.frame_id} from {r.previous_articles} to {r.articles}" for r in echo.itertuples()) + "."),
            "echo_frames.csv"))
    filters = Filters(start=start, end=end)
    for r in top.head(TIMELINES).itertuples():
        timeline = store.frame_timeline(int(r.frame_id), filters)
        ledger = store.frame_ledger(int(r.frame_id), filters)
        events = ledger[ledger["strength"] == "evidence"]
        fig = timeline_figure(timeline, f"How #{r.frame_id} “{_wrap(r.label, 60)}” spread, outlet by outlet",
                              caption + " · ★ new evidence", events=events)
        fig.update_layout(width=WIDTH, height=max(HEIGHT, fig.layout.height or 0))
        name = f"timeline_{int(r.frame_id)}"
        rep.tables[name] = timeline
        rep.tables[name + "_evidence"] = events[["published_at", "outlet", "description", "repeats", "repeat_outlets",
                                                 "url"]]
        rep.charts.append(Chart(name, fig, (
            f"Timeline of frame #{r.frame_id}: one row per outlet in order of adoption, one mark per day with articles; "
            f"{int((timeline['articles'] > 0).groupby(timeline['outlet']).any().sum())} outlets, "
            f"{int(timeline['articles'].sum())} articles, {len(events)} new evidence items marked as stars, "
            f"{int(timeline['rebuttals'].sum())} articles that rebut the frame marked x."), name + ".csv"))

    for name, table in rep.tables.items():
        path = out / f"{name}.csv"
        table.to_csv(path, index=False)
        rep.files.append(path)
    pngs = [out / f"{c.name}.png" for c in rep.charts]
    if images and rep.charts:
        if progress:
            progress("report images", 0, len(pngs))
        _write_pngs([c.figure for c in rep.charts], pngs)
        rep.files += pngs
        if progress:
            progress("report images", len(pngs), len(pngs))
    html_path = out / "report.html"
    html_path.write_text(_html(rep, caption, pngs if images else []), encoding="utf-8")
    rep.files.append(html_path)
    return rep


def _write_pngs(figures: list[go.Figure], paths: list[Path]) -> None:
    import plotly.io as pio

    try:
        heights = [int(f.layout.height or HEIGHT) for f in figures]
        pio.write_images(figures, paths, width=[WIDTH] * len(figures), height=heights, scale=1)
    except Exception as exc:  # kaleido could not start a browser
        raise ReportError(
            f"could not draw the charts as PNG ({type(exc).__name__}: {exc}). Kaleido needs Chromium or Chrome: "
            "install it (Debian: apt-get install chromium) or point BROWSER_PATH at one") from exc


def _table_html(df: pd.DataFrame) -> str:
    if df.empty:
        return "<p><em>None in this period.</em></p>"
    shown = df.copy()
    for col in shown.columns:
        if pd.api.types.is_datetime64_any_dtype(shown[col]):
            shown[col] = shown[col].dt.strftime("%Y-%m-%d %H:%M")
    return shown.to_html(index=False, escape=True, border=0, classes="t", na_rep="")


def _html(rep: Report, caption: str, pngs: list[Path]) -> str:
    e = html.escape
    sections = []
    charts = {c.name: (c, p) for c, p in zip(rep.charts, pngs)} if pngs else {}

    def figure(name: str) -> str:
        if name not in charts:
            return ""
        chart, path = charts[name]
        data = base64.b64encode(path.read_bytes()).decode()
        return (f'<figure><img src="data:image/png;base64,{data}" alt="{e(chart.alt, quote=True)}" width="100%">'
                f'<figcaption>{e(chart.alt)} Counts: <a href="{e(chart.csv, quote=True)}">{e(chart.csv)}</a>.'
                f"</figcaption></figure>")

    sections.append("<h2>Top frames</h2>" + figure("top_frames") + _table_html(rep.tables["top_frames"]))
    sections.append("<h2>New frames</h2>" + figure("new_frames") + _table_html(rep.tables["new_frames"])
                    + "<h3>First movers of the new frames</h3>" + _table_html(rep.tables["first_movers"]))
    sections.append("<h2>Frames that grew without new evidence</h2><p>More articles than in the period before, and "
                    "no new evidence item (material, an official source on the record, a confirmation or denial) "
                    "in this period.</p>" + figure("echo_frames") + _table_html(rep.tables["echo_frames"]))
    for c in rep.charts:
        if c.name.startswith("timeline_"):
            sections.append(f"<h2>{e(c.figure.layout.title.text.split('<br>')[0].replace('<br>', ' '))}</h2>"
                            + figure(c.name) + "<h3>New evidence in this period</h3>"
                            + _table_html(rep.tables[c.name + "_evidence"]))
    note = f"<p class='note'>{e(rep.note)}</p>" if rep.note else ""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Narrative Tracker weekly report {rep.start:%Y-%m-%d} to {rep.end:%Y-%m-%d}</title>
<style>
body{{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;max-width:1200px;margin:2em auto;padding:0 1em;color:#222}}
h1{{margin-bottom:.2em}} .cap{{color:#555;margin-top:0}} .note{{background:#fff4d6;padding:.5em 1em}}
table.t{{border-collapse:collapse;font-size:.9em;margin:.5em 0 2em}} table.t td,table.t th{{padding:.25em .6em;border-bottom:1px solid #ddd;text-align:left}}
figure{{margin:1em 0}} figcaption{{color:#555;font-size:.9em}}
</style></head><body>
<h1>Narrative frames, {rep.start:%d %b} – {rep.end:%d %b %Y}</h1>
<p class="cap">{e(caption)}. Counts include syndicated copies unless a column says "independent".
Every chart's counts are in the CSV file named under it. First seen is the frame's onset: its first
article close to what the frame says that other outlets took up within days; earlier, loosely similar
passages and articles whose date cannot be right are left out (column first_seen_basis).</p>
{note}
{''.join(sections)}
</body></html>
"""


def build_report_zip(store: Store, start: dt.date, end: dt.date, first_mover_hours: float, note: str = "",
                     progress: Callable[[str, int, "int | None"], None] | None = None) -> bytes:
    """The report of ``start``..``end`` (report.html, a PNG per chart, the CSVs) as one zip whose files
    sit in ``report-YYYY-MM-DD/`` (the dashboard's download)."""
    with tempfile.TemporaryDirectory() as tmp:
        rep = build_report(store, start, end, Path(tmp), first_mover_hours, note, progress=progress)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
            for path in rep.files:
                zf.write(path, f"report-{start:%Y-%m-%d}/{Path(path).name}")
        return buffer.getvalue()
