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
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pandas as pd
import plotly.graph_objects as go

from app.charts import BIDI_CONTROLS, PALETTE, chart_title, plotly_text, timeline_figure
from app.evidence.measures import grew_without_evidence
from app.frames.labels import support_line, weak_label
from app.frames.onsets import basis_line
from app.spread import adoption_days, period_first_movers
from app.store import Filters, Store

TOP = 10
TIMELINES = 3
WIDTH, HEIGHT = 1280, 720
MIN_HEIGHT = 360


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
    lo, hi = store.date_bounds()
    return period_for(lo, hi, today)


def period_for(lo: dt.date | None, hi: dt.date | None, today: dt.date) -> tuple[dt.date, dt.date, str]:
    """:func:`default_period` for a store whose articles run from ``lo`` to ``hi``."""
    start, end = last_full_week(today)
    if hi is None or hi >= start:
        return start, end, ""
    start, end = last_full_week(hi + dt.timedelta(days=7 - hi.weekday()))
    if end > hi and start - dt.timedelta(days=1) >= lo:
        # the store's articles stop inside the latest week with articles: take the one before, which is whole
        start, end = start - dt.timedelta(days=7), end - dt.timedelta(days=7)
    elif end > hi:  # no week before it has articles: the latest week it is, said to be perhaps incomplete
        return start, end, (f"No articles in the last full week before {today:%d %b %Y}; this is the only week "
                            f"with articles, and the store's articles stop on {hi:%d %b %Y}: it may be incomplete.")
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


def _short(label: object, limit: int) -> str:
    """``label`` cut at a word boundary to at most ``limit`` characters, ending in "…" when it was cut."""
    text = " ".join(str(label).split())
    if len(text) <= limit:
        return text
    cut = text[:limit - 1]
    if " " in cut[limit // 2:]:
        cut = cut[:cut.rindex(" ")]
    return cut.rstrip(" ,;:-–") + "…"


def _wrap(label: object, width: int = 38, lines: int = 2) -> str:
    """A label on at most ``lines`` lines of a chart, escaped (Plotly reads HTML in titles and labels); a
    longer one ends in "…" (the report's tables give it in full)."""
    text = " ".join(str(label).split())
    parts = textwrap.wrap(text, width) or [""]
    if len(parts) > lines:
        parts = parts[:lines - 1] + [_short(" ".join(parts[lines - 1:]), width)]
    return "<br>".join(plotly_text(line) for line in parts)


def _layout(fig: go.Figure, title: str, caption: str, height: int = HEIGHT) -> go.Figure:
    fig.update_layout(title=chart_title(title, caption),
                      height=height, width=WIDTH, margin=dict(l=10, r=30, t=90, b=50), plot_bgcolor="white",
                      font=dict(size=14), legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="right", x=1))
    fig.update_xaxes(gridcolor="#eee")
    fig.update_yaxes(gridcolor="#eee")
    return fig


def _n(count: int, noun: str) -> str:
    """'1 frame', '2 frames'."""
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def _bars_height(bars: int, per_bar: int) -> int:
    """A bar chart's height: a fixed room for title, legend and axis plus a row per bar (one bar is not
    drawn a page tall)."""
    return max(MIN_HEIGHT, per_bar * bars + 220)


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
    return _layout(fig, "Top frames of the period", caption, height=_bars_height(len(df), 60))


def echo_figure(echo: pd.DataFrame, caption: str) -> go.Figure:
    y = [f"#{f} {_wrap(label)}" for f, label in zip(echo["frame_id"], echo["label"])][::-1]
    fig = go.Figure()
    fig.add_trace(go.Bar(y=y, x=echo["previous_articles"].iloc[::-1], orientation="h", name="articles, period before",
                         marker_color="#bbbbbb"))
    fig.add_trace(go.Bar(y=y, x=echo["articles"].iloc[::-1], orientation="h", name="articles, this period",
                         marker_color=PALETTE[1]))
    fig.update_layout(barmode="group", xaxis_title="articles (no new evidence item in this period)", yaxis_title=None)
    return _layout(fig, "Frames that grew without new evidence", caption, height=_bars_height(len(echo), 80))


def new_frames_figure(new: pd.DataFrame, caption: str) -> go.Figure:
    df = new.iloc[::-1]
    y = [f"#{f} {_wrap(label)}" for f, label in zip(df["frame_id"], df["label"])]
    fig = go.Figure(go.Bar(y=y, x=df["outlets"], orientation="h", name="outlets", marker_color=PALETTE[2],
                           text=[f"{a} article{'s' if a != 1 else ''}" for a in df["articles"]], textposition="outside", cliponaxis=False))
    fig.update_layout(xaxis_title="outlets that carried it in the period", yaxis_title=None, showlegend=False,
                      xaxis_range=[0, max(1, int(df["outlets"].max())) * 1.2], bargap=0.35)
    return _layout(fig, "New frames: first seen in this period", caption, height=_bars_height(len(df), 60))


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
    # How far each shown frame's label rests on its passages (a label few of them hold names a detail).
    shown = sorted({int(f) for t in (top, new, echo) for f in t["frame_id"]})
    support = store.label_support(shown).set_index("frame_id") if shown else None
    top, new, echo = (t.assign(label_passages=t["frame_id"].map(support["label_passages"]).astype("Int64"),
                               passages=t["frame_id"].map(support["passages"]).astype("Int64"),
                               core=t["frame_id"].map(support["core"]),
                               core_passages=t["frame_id"].map(support["core_passages"]).astype("Int64"))
                      if support is not None else t.assign(label_passages=pd.NA, passages=pd.NA, core=None,
                                                           core_passages=pd.NA)
                      for t in (top, new, echo))
    columns = ["frame_id", "label", "kind", "articles", "independent_articles", "outlets", "previous_articles",
               "growth", "new_evidence", "repeated_evidence", "anonymous_share", "first_seen", "first_outlet",
               "first_seen_basis", "label_passages", "passages", "core", "core_passages"]
    rep.tables = {"top_frames": top[columns], "new_frames": new[columns], "echo_frames": echo[columns],
                  "first_movers": movers}

    if len(top):
        lead = top.iloc[0]
        rep.charts.append(Chart("top_frames", top_frames_figure(top, caption), (
            f"Bar chart of the {len(top)} frames with most articles from {start:%d %b} to {end:%d %b %Y}. "
            f"The largest, #{lead['frame_id']} “{lead['label']}”, had {lead['articles']} articles "
            f"({lead['independent_articles']} independent) and {_n(int(lead['new_evidence']), 'new evidence item')}."),
            "top_frames.csv"))
    if len(new):
        rep.charts.append(Chart("new_frames", new_frames_figure(new, caption), (
            f"Bar chart of {_n(len(new), 'frame')} first seen in the period, by the number of outlets that carried them: "
            + "; ".join(f"#{r.frame_id} {_n(r.outlets, 'outlet')}" for r in new.itertuples()) + "."), "new_frames.csv"))
    if len(echo):
        rep.charts.append(Chart("echo_frames", echo_figure(echo, caption), (
            f"Bar chart of {_n(len(echo), 'frame')} whose articles rose from the period before without any new evidence item: "
            + "; ".join(f"#{r.frame_id} from {r.previous_articles} to {r.articles}" for r in echo.itertuples()) + "."),
            "echo_frames.csv"))
    filters = Filters(start=start, end=end)
    for r in top.head(TIMELINES).itertuples():
        fid = int(r.frame_id)
        timeline = store.frame_timeline(fid, filters)
        adopted = adoption_days(store.frame_timeline(fid))
        ledger = store.frame_ledger(fid, filters)
        events = ledger[ledger["strength"] == "evidence"]
        fig = timeline_figure(timeline, f"How #{fid} “{_wrap(r.label, 70, 1)}” spread, outlet by outlet", caption,
                              events=events, adopted=adopted)
        fig.update_layout(width=WIDTH, height=max(MIN_HEIGHT, fig.layout.height or 0), margin=dict(l=20, r=30))
        _period_axis(fig, start, end)
        earlier = _mark_earlier_adopters(fig, adopted, start)
        name = f"timeline_{fid}"
        rep.tables[name] = timeline.assign(adopted=timeline["outlet"].map(adopted))
        rep.tables[name + "_evidence"] = events[["published_at", "outlet", "description", "repeats", "repeat_outlets",
                                                 "title", "url"]]
        carried = timeline[timeline["articles"] > 0]["outlet"].unique()
        joined = sum(1 for o in carried if adopted.get(o) is not None and adopted[o] >= pd.Timestamp(start))
        n_loose = sum(1 for o in carried if o not in adopted)
        loose = (f"; {n_loose} only in articles the claims do not count (grey squares: earlier similar passages, "
                 "loosely related articles or flagged dates)") if n_loose else ""
        rep.charts.append(Chart(name, fig, (
            f"Timeline of frame #{fid}: one row per outlet in order of adoption, one mark per day with articles; "
            f"{_n(len(carried), 'outlet')} carried it in the period, {joined} of them for the first time (diamonds"
            f"{'' if not earlier else f'; {earlier} marked “since” had taken it up before the period'}"
            f"{loose}); "
            f"{_n(int(timeline['articles'].sum()), 'article')}, {_n(len(events), 'new evidence item')} marked as "
            f"stars, {_n(int(timeline['rebuttals'].sum()), 'article')} rebutting the frame marked x."), name + ".csv"))

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


def _period_axis(fig: go.Figure, start: dt.date, end: dt.date) -> None:
    """The x axis spans the whole period, one tick a day (fewer on a long period), whatever days have marks."""
    days = (end - start).days + 1
    step = max(1, -(-days // 14))
    fig.update_xaxes(range=[pd.Timestamp(start) - pd.Timedelta(hours=12), pd.Timestamp(end) + pd.Timedelta(hours=12)],
                     tick0=pd.Timestamp(start), dtick=step * 86_400_000, tickformat="%a %d %b" if step == 1 else "%d %b")


def _mark_earlier_adopters(fig: go.Figure, adopted: dict, start: dt.date) -> int:
    """Rows of outlets that took the frame up before the period read "Outlet · since 03 Mar" (they get no
    diamond in it); returns how many."""
    rows = list(fig.layout.yaxis.categoryarray or [])
    since = {plotly_text(o): d for o, d in adopted.items() if d < pd.Timestamp(start)}
    if not rows or not any(r in since for r in rows):
        return 0
    fig.update_yaxes(tickmode="array", tickvals=rows,
                     ticktext=[f"{r} · since {since[r]:%d %b}{'' if since[r].year == start.year else f' {since[r]:%Y}'}"
                               if r in since else r for r in rows])
    return sum(r in since for r in rows)


def _write_pngs(figures: list[go.Figure], paths: list[Path]) -> None:
    import plotly.io as pio

    heights = [int(f.layout.height or HEIGHT) for f in figures]
    todo = list(range(len(figures)))
    # Kaleido has been seen to return with a file not written while other browsers drew at once: what is
    # missing is drawn once more, and then named rather than left out of the report.
    for _ in range(2):
        try:
            pio.write_images([figures[i] for i in todo], [paths[i] for i in todo], width=[WIDTH] * len(todo),
                             height=[heights[i] for i in todo], scale=1)
        except Exception as exc:  # kaleido could not start a browser
            raise ReportError(
                f"could not draw the charts as PNG ({type(exc).__name__}: {exc}). Kaleido needs Chromium or "
                "Chrome: install it (Debian: apt-get install chromium) or point BROWSER_PATH at one") from exc
        todo = [i for i in todo if not paths[i].exists() or paths[i].stat().st_size == 0]
        if not todo:
            return
    raise ReportError("could not draw the charts as PNG: kaleido wrote no file for "
                      + ", ".join(paths[i].name for i in todo) + " (twice); try again")


# -- HTML ----------------------------------------------------------------------------------------------

LABEL_CHARS = 60  # a label longer than this is cut in the tables (the full label is its tooltip and in the CSV)


def _text(value: object) -> str:
    """Text from the data (a label, an outlet, a title, a description) as HTML text: escaped, with the
    bidirectional controls dropped (they could make a name read backwards)."""
    if value is None or (not isinstance(value, (list, tuple, dict)) and pd.isna(value)):
        return ""
    return html.escape(str(value).translate(BIDI_CONTROLS), quote=True)


def _cut(value: object, limit: int = LABEL_CHARS) -> str:
    """Text cut to ``limit`` characters; when cut, the whole text is the tooltip."""
    full = "" if value is None or pd.isna(value) else " ".join(str(value).split())
    short = _short(full, limit)
    return _text(short) if short == full else f'<span title="{_text(full)}">{_text(short)}</span>'


def safe_href(url: object) -> str | None:
    """``url`` when it may be a link: http or https, with a host, and no whitespace or control characters
    (which browsers drop, so ``java\tscript:`` would run); else None (shown as text, not a link)."""
    if url is None or not isinstance(url, str):
        return None
    url = url.strip()
    if not url or any(ord(c) < 33 or ord(c) == 127 for c in url):
        return None
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return url


def _link(url: object, text: object = None, limit: int = 70) -> str:
    """A link to an article: its title (or its address, shortened) as the text, the address as the tooltip;
    an address that may not be a link (not http(s)) is shown as text."""
    href = safe_href(url)
    shown = text if text is not None and not pd.isna(text) and str(text).strip() else None
    if shown is None:
        if url is None or pd.isna(url):
            return ""
        parts = urllib.parse.urlsplit(str(url)) if href else None
        shown = (parts.hostname.removeprefix("www.") + parts.path) if parts else str(url)
    if href is None:
        return _cut(shown, limit)
    return (f'<a href="{html.escape(href, quote=True)}" rel="noopener noreferrer nofollow" '
            f'title="{html.escape(href, quote=True)}">{_text(_short(shown, limit))}</a>')


def _when(value: object, time: bool = True) -> str:
    if value is None or pd.isna(value):
        return ""
    return f"{pd.Timestamp(value):%d %b %Y %H:%M}" if time else f"{pd.Timestamp(value):%d %b %Y}"


def _num(value: object) -> str:
    return "" if value is None or pd.isna(value) else f"{int(value):,}"


@dataclass
class Column:
    header: str
    cell: Callable[[dict], str]   # a row -> the cell's HTML (escaped by the function)
    numeric: bool = False
    tip: str = ""                 # what the column means, as the header's tooltip
    wide: bool = False            # the column that takes the room left (a label, a description)


def _frame_cell(r: dict) -> str:
    seeded = ' <span class="tag">seeded</span>' if r.get("kind") == "seeded" else ""
    held, passages = r.get("label_passages"), r.get("passages")
    weak = ""
    if passages is not None and not pd.isna(passages) and weak_label(held, int(passages), r.get("core_passages")):
        line = _text(support_line(held, int(passages), r.get("core"), r.get("core_passages")))
        weak = (f'<br><span class="sub" title="{line}">label in {int(held):,} of {int(passages):,} passages: '
                "a topic more than a wording</span>")
    return f'<span class="id">#{int(r["frame_id"])}</span> {_cut(r["label"])}{seeded}{weak}'


def _change(r: dict) -> str:
    n = int(r["growth"])
    return f"+{n:,}" if n > 0 else f"−{-n:,}" if n < 0 else "0"


def _first_seen_cell(r: dict) -> str:
    basis = _text(r.get("first_seen_basis"))
    return (f'<span title="{basis}">{_when(r["first_seen"], time=False)}</span>'
            f'<br><span class="sub">{_cut(r["first_outlet"], 30)}</span>')


FRAME_COLUMNS = [
    Column("Frame", _frame_cell, wide=True, tip="the frame's id and label (the full label as a tooltip and in the CSV)"),
    Column("Articles", lambda r: _num(r["articles"]), True, "articles in the period that carry the frame"),
    Column("Independent", lambda r: _num(r["independent_articles"]), True, "articles less syndicated copies"),
    Column("Outlets", lambda r: _num(r["outlets"]), True, "outlets that carried it in the period"),
    Column("Period before", lambda r: _num(r["previous_articles"]), True,
           "articles in the period of the same length just before"),
    Column("Change", _change, True, "articles in the period less those of the period before"),
    Column("New evidence", lambda r: _num(r["new_evidence"]), True,
           "evidence items first seen in the period: material, an official source on the record, a confirmation "
           "or denial"),
    Column("Repeated evidence", lambda r: _num(r["repeated_evidence"]), True,
           "passages in the period repeating an evidence item first seen earlier"),
    Column("Unnamed sources only", lambda r: f"{float(r['anonymous_share']):.0%}", True,
           "share of the period's articles resting on unnamed sources only"),
    Column("First seen", _first_seen_cell, tip="the frame's onset and its outlet; the basis of the claim as a tooltip"),
]

MOVER_COLUMNS = [
    Column("Frame", _frame_cell, wide=True),
    Column("Outlet", lambda r: _cut(r["outlet"], 40)),
    Column("First article", lambda r: _when(r["first_seen"]), tip="UTC"),
    Column("Hours after the first", lambda r: "" if pd.isna(r["lag_hours"]) else f"{float(r['lag_hours']):.1f}", True,
           "hours from the frame's first article"),
    Column("Article", lambda r: _link(r["url"])),
]


def _repeated(r: dict) -> str:
    n, outlets = int(r["repeats"]), int(r["repeat_outlets"])
    if not n:
        return "not yet"
    return f"{n:,} time{'s' if n != 1 else ''} by {outlets:,} outlet{'s' if outlets != 1 else ''}"


EVIDENCE_COLUMNS = [
    Column("Published", lambda r: _when(r["published_at"]), tip="UTC"),
    Column("Outlet", lambda r: _cut(r["outlet"], 40)),
    Column("Evidence", lambda r: _text(r["description"]), wide=True),
    Column("Repeated", _repeated, tip="later passages repeating the item, over the frame's whole life"),
    Column("Article", lambda r: _link(r["url"], r.get("title"))),
]


def _table_html(df: pd.DataFrame, columns: list[Column]) -> str:
    """A table for people: named columns, numbers right-aligned, long text cut with the full text as a
    tooltip, article addresses as links. Its CSV keeps the program-readable column names and every value."""
    if df.empty:
        return "<p><em>None in this period.</em></p>"
    head = "".join(f'<th{_classes(c)}{f" title={chr(34)}{_text(c.tip)}{chr(34)}" if c.tip else ""}>{_text(c.header)}</th>'
                   for c in columns)
    body = "".join("<tr>" + "".join(f"<td{_classes(c)}>{c.cell(r)}</td>" for c in columns) + "</tr>"
                   for r in df.to_dict("records"))
    return f'<table class="t"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _classes(c: Column) -> str:
    names = [n for n, on in (("n", c.numeric), ("w", c.wide)) if on]
    return f' class="{" ".join(names)}"' if names else ""


def _html(rep: Report, caption: str, pngs: list[Path]) -> str:
    e = html.escape
    sections = []
    charts = {c.name: (c, p) for c, p in zip(rep.charts, pngs)} if pngs else {}

    def figure(name: str) -> str:
        if name not in charts:
            return ""
        chart, path = charts[name]
        data = base64.b64encode(path.read_bytes()).decode()
        return (f'<figure><img src="data:image/png;base64,{data}" alt="{e(chart.alt, quote=True)}">'
                f'<figcaption>{e(chart.alt)} Counts: <a href="{e(chart.csv, quote=True)}">{e(chart.csv)}</a>.'
                f"</figcaption></figure>")

    sections.append("<h2>Top frames</h2>" + figure("top_frames") + _table_html(rep.tables["top_frames"], FRAME_COLUMNS))
    sections.append("<h2>New frames</h2>" + figure("new_frames") + _table_html(rep.tables["new_frames"], FRAME_COLUMNS)
                    + "<h3>First movers of the new frames</h3>" + _table_html(rep.tables["first_movers"], MOVER_COLUMNS))
    sections.append("<h2>Frames that grew without new evidence</h2><p>More articles than in the period before, and "
                    "no new evidence item (material, an official source on the record, a confirmation or denial) "
                    "in this period.</p>" + figure("echo_frames") + _table_html(rep.tables["echo_frames"], FRAME_COLUMNS))
    labels = dict(zip(rep.tables["top_frames"]["frame_id"].astype(int), rep.tables["top_frames"]["label"]))
    for c in rep.charts:
        if c.name.startswith("timeline_"):
            fid = int(c.name.removeprefix("timeline_"))
            sections.append(f"<h2>How #{fid} “{_text(labels.get(fid, ''))}” spread, outlet by outlet</h2>"
                            + figure(c.name) + "<h3>New evidence in this period</h3>"
                            + _table_html(rep.tables[c.name + "_evidence"], EVIDENCE_COLUMNS))
    note = f"<p class='note'>{e(rep.note)}</p>" if rep.note else ""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Narrative Tracker weekly report {rep.start:%Y-%m-%d} to {rep.end:%Y-%m-%d}</title>
<style>
body{{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;max-width:1200px;margin:2em auto;padding:0 1.5em;color:#222;line-height:1.4}}
h1{{margin-bottom:.2em}} h2{{margin-top:2em;overflow-wrap:anywhere}} .cap{{color:#555;margin-top:0}} .note{{background:#fff4d6;padding:.5em 1em}}
img{{max-width:100%;height:auto;display:block}}
table.t{{border-collapse:collapse;font-size:.88em;margin:.5em 0 2em;width:100%}}
table.t td,table.t th{{padding:.3em .5em;border-bottom:1px solid #ddd;text-align:left;vertical-align:top}}
table.t th{{font-weight:600;border-bottom:2px solid #bbb;vertical-align:bottom}}
table.t .n{{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}} table.t th.n{{white-space:normal}}
table.t td.w{{min-width:14em}} table.t td{{overflow-wrap:break-word}} table.t td a{{overflow-wrap:anywhere}}
.id{{color:#666;white-space:nowrap}} .sub{{color:#666;font-size:.92em}} .tag{{font-size:.8em;background:#eef;padding:0 .3em;border-radius:3px}}
figure{{margin:1em 0}} figcaption{{color:#555;font-size:.9em}}
@page{{size:A4;margin:12mm}}
@media print{{body{{max-width:none;margin:0;padding:0;font-size:9.5pt}} table.t{{font-size:7.5pt}}
 table.t td,table.t th{{padding:.2em .3em}} table.t td.w{{min-width:9em}}
 figure,tr{{break-inside:avoid}} h2,h3{{break-after:avoid}} a{{color:inherit}}}}
</style></head><body>
<h1>Narrative frames, {rep.start:%d %b} – {rep.end:%d %b %Y}</h1>
<p class="cap">{e(caption)}. Counts include syndicated copies unless a column says "independent".
Every chart's counts are in the CSV file named under it. First seen is the frame's onset: its first
article close to what the frame says that other outlets took up within days; earlier, loosely similar
passages and articles whose date cannot be right are left out (the basis of each first-seen date is its
tooltip, and column first_seen_basis of the CSV). A frame marked "a topic more than a wording" has a label
that under a tenth of its passages hold (nor the seeded frame's name or rename it holds, if any): the label names
one detail of it (columns label_passages, passages, core and core_passages of the CSV). Times are UTC.</p>
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
