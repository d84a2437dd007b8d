"""Pure chart builders: DataFrame in, plotly Figure out. Shared by the dashboard
and the report; nothing here reads the store or the UI."""

from __future__ import annotations

import html

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

# The legend of the timeline's mark for days with articles that rebut the frame.
REBUTS = "rebuts the frame"
# Articles outside what the spread claims rest on: before the frame's onset (earlier similar passages), loosely
# related to it, or with a flagged date (app.frames.onsets): drawn apart, never an outlet's adoption.
NOT_COUNTED = "earlier or loose (not counted)"
MUTED = "#8C8C8C"
# Okabe-Ito: distinguishable with the common forms of colour blindness.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]


def chart_title(title: str, caption: str = "") -> dict:
    """A chart's title, with what it shows (period, outlets) in a smaller grey line under it."""
    out = dict(text=title, x=0, xanchor="left", font=dict(size=16))
    if caption:
        out["subtitle"] = dict(text=caption, font=dict(size=12, color="#555"))
    return out


def _week_marks(partial: dict | None, weeks) -> list[bool]:
    """For each week of ``weeks``, whether the period covers it only in part (``app.weeks.partial_weeks``)."""
    partial = {pd.Timestamp(w) for w in (partial or {})}
    return [pd.Timestamp(w) in partial for w in weeks]


def _panels(fig: go.Figure, title: str, caption: str, height: int) -> go.Figure:
    """Layout shared by the spread curve and the evidence chart: panels stacked over one time axis, each
    with its own titled y axis (never two scales on one panel)."""
    fig.update_layout(
        title=chart_title(title, caption), height=height, margin=dict(l=10, r=10, t=116, b=40),
        plot_bgcolor="white", font=dict(size=13), bargap=0.15,
        legend=dict(orientation="h", yanchor="bottom", y=1.02, xanchor="left", x=0, itemsizing="constant",
                    traceorder="normal"),
    )
    fig.update_xaxes(gridcolor="#eee")
    fig.update_yaxes(gridcolor="#eee", rangemode="tozero")
    return fig


def _count_ticks(values) -> dict:
    """Whole-number ticks for an axis of counts (no repeated labels on small counts)."""
    top = max([int(v) for v in values] + [1])
    return {"tickmode": "linear", "tick0": 0, "dtick": max(1, -(-top // 6))}


def adoption_order(timeline: pd.DataFrame) -> list[str]:
    """Outlets by the day they first carried the frame (ties by name), counting only the articles the spread
    claims rest on when the timeline says which (``counted``); then outlets whose articles are all outside them
    (earlier similar passages, loosely related or date-flagged), by their first; outlets that only rebutted it
    (``rebuttals`` and no ``articles``) after them, by the day of their first rebuttal."""
    if timeline.empty:
        return []
    carried = timeline[timeline["articles"] > 0] if "rebuttals" in timeline else timeline
    order = []
    if "counted" in timeline:
        counted = carried[carried["counted"] > 0]
        order = counted.groupby("outlet")["day"].min().reset_index().sort_values(["day", "outlet"])["outlet"].tolist()
        carried = carried[~carried["outlet"].isin(order)]
    first = carried.groupby("outlet")["day"].min().reset_index().sort_values(["day", "outlet"])
    order += first["outlet"].tolist()
    if "rebuttals" in timeline:
        only = timeline[~timeline["outlet"].isin(order)]
        order += only.groupby("outlet")["day"].min().reset_index().sort_values(["day", "outlet"])["outlet"].tolist()
    return order


# Bidirectional embedding, override and isolate controls: text from articles may use them to show a name
# reversed ("Outlet\u202eevil" reads "Outletlive"); shown text drops them (marks like U+200F stay).
BIDI_CONTROLS = dict.fromkeys(map(ord, "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"))


def plotly_text(text: object) -> str:
    """Text from the data (an outlet's name, a label, an evidence description) for a Plotly label, legend,
    hover or title: Plotly reads a subset of HTML there, ``<a href>`` included, so the characters that
    start markup are written as entities, which Plotly shows as the characters themselves. Every builder
    here applies it to what it takes from its DataFrames; titles and captions are the caller's to escape."""
    return html.escape(str(text).translate(BIDI_CONTROLS), quote=False)


def _escaped(df: pd.DataFrame | None, *columns: str) -> pd.DataFrame | None:
    if df is None:
        return None
    df = df.copy()
    for c in columns:
        if c in df:
            df[c] = df[c].map(plotly_text)
    return df


# Marks of the timeline: one size for every mark (the number of articles is in the hover and the table
# behind a mark), so a bigger mark never has to be read against a size key.
MARK_SIZE = 11


def timeline_figure(timeline: pd.DataFrame, title: str, caption: str = "",
                    events: pd.DataFrame | None = None, adopted: dict | None = None) -> go.Figure:
    """One row per outlet, in order of adoption (first at the top); one mark per day with articles that
    carry the frame (``timeline``: outlet, day, articles, copies, and optionally rebuttals), all of one
    size. Days with only syndicated copies get open marks. Days with articles that rebut the frame get an
    x of their own ("rebuts the frame"); an outlet that only rebutted it has a row below the adopters and no
    other mark. ``events`` (published_at, outlet, description): new-evidence items, drawn as one open star
    per outlet and day around the mark of that day (drawn first, an outline only: the mark stays visible).
    Outlet names and descriptions are shown as text: a clicked mark's ``y`` is the outlet's name escaped
    (``html.unescape`` gives it back)."""
    timeline = _escaped(timeline, "outlet")
    events = _escaped(events, "outlet", "description")
    order = adoption_order(timeline)
    # ``adopted`` (outlet -> the day it first carried the frame, over all the frame's articles) is for a
    # ``timeline`` cut to a period (the report's week): the diamond then marks that day only, so an outlet that
    # took the frame up before the period gets none in it, and rows follow that order. Without it, an
    # outlet's first day in ``timeline`` is its first.
    if adopted is not None:
        adopted = {plotly_text(o): pd.Timestamp(day).normalize() for o, day in adopted.items()}
        carrying = set(timeline.loc[timeline["articles"] > 0, "outlet"])
        carriers = [o for o in order if o in carrying]
        order = sorted(carriers, key=lambda o: (adopted.get(o, pd.Timestamp.max), o)) + \
            [o for o in order if o not in carriers]
    fig = go.Figure()
    rebuttals = timeline[timeline["rebuttals"] > 0] if "rebuttals" in timeline else timeline.iloc[0:0]
    if "rebuttals" in timeline:
        timeline = timeline[timeline["articles"] > 0]
    if events is not None and not events.empty:
        # One star per outlet and day, around that day's mark; the hover lists the items it brought.
        ev = events[events["outlet"].isin(order)].assign(day=lambda d: pd.to_datetime(d["published_at"]).dt.normalize())
        grouped = ev.groupby(["outlet", "day"], sort=True).agg(
            items=("description", "size"),
            what=("description", lambda d: "<br>".join(list(dict.fromkeys(d))[:4]) + ("<br>…" if d.nunique() > 4 else "")),
        ).reset_index()
        fig.add_trace(go.Scatter(
            x=grouped["day"], y=grouped["outlet"], mode="markers", name="new evidence",
            marker=dict(symbol="star-open", size=2 * MARK_SIZE + 4, color=PALETTE[2], line=dict(width=2.5)),
            customdata=grouped[["items", "what"]].to_numpy(),
            hovertemplate="new evidence · %{y}, %{x|%d %b %Y}: %{customdata[0]} item(s)<br>%{customdata[1]}"
                          "<extra></extra>",
        ))
    if not timeline.empty:
        df = timeline.copy()
        df["day"] = pd.to_datetime(df["day"])
        counts = df["counted"] if "counted" in df else df["articles"]
        first_day = (pd.to_datetime(df["outlet"].map(adopted)) if adopted is not None
                     else df["day"].where(counts > 0).groupby(df["outlet"]).transform("min"))
        kinds = pd.Series("later articles", index=df.index)
        kinds[df["articles"] == df["copies"]] = "later: syndicated copies only"
        kinds[counts == 0] = NOT_COUNTED
        kinds[(df["day"] == first_day) & (counts > 0)] = "first article from the outlet"
        styles = {"first article from the outlet": (PALETTE[3], "diamond"),
                  "later articles": (PALETTE[0], "circle"),
                  "later: syndicated copies only": (PALETTE[0], "circle-open"),
                  NOT_COUNTED: (MUTED, "square-open")}
        for name, (color, symbol) in styles.items():
            part = df[kinds == name]
            if part.empty:
                continue
            fig.add_trace(go.Scatter(
                x=part["day"], y=part["outlet"], mode="markers", name=name,
                marker=dict(size=MARK_SIZE + (1 if symbol == "diamond" else 0), color=color, symbol=symbol,
                            line=dict(width=1.5 if symbol.endswith("open") else 0.5,
                                      color=color if symbol.endswith("open") else "white")),
                customdata=part[["articles", "copies"]].to_numpy(),
                hovertemplate=("%{y}<br>%{x|%d %b %Y}: %{customdata[0]} article(s) outside the frame's core: "
                               "before its onset, loosely related or date flagged; not counted as adoption"
                               if name == NOT_COUNTED else
                               "%{y}<br>%{x|%d %b %Y}: %{customdata[0]} article(s), %{customdata[1]} copies")
                              + "<extra></extra>",
            ))
    if not rebuttals.empty:
        fig.add_trace(go.Scatter(
            x=pd.to_datetime(rebuttals["day"]), y=rebuttals["outlet"], mode="markers", name=REBUTS,
            marker=dict(symbol="x", size=MARK_SIZE, color=PALETTE[4], line=dict(width=1, color=PALETTE[4])),
            customdata=rebuttals[["rebuttals"]].to_numpy(),
            hovertemplate="%{y}<br>%{x|%d %b %Y}: %{customdata[0]} article(s) rebut the frame (denial or "
                          "fact-check; not counted as spread)<extra></extra>",
        ))
    # Six kinds of mark: their legend takes two rows in a page-wide chart, so the top margin leaves room for
    # both under the title and its caption.
    height = max(360, 28 * len(order) + 210)
    fig.update_layout(
        title=chart_title(title, caption),
        height=height, margin=dict(l=10, r=10, t=150, b=40),
        xaxis=dict(title="day (UTC)", showgrid=True),
        yaxis=dict(title="outlet (in order of adoption)", categoryorder="array", categoryarray=order[::-1],
                   type="category"),
        legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="left", x=0),
        plot_bgcolor="white", font=dict(size=13),
    )
    fig.update_xaxes(gridcolor="#eee")
    fig.update_yaxes(gridcolor="#eee")
    return fig


def weekly_series(weekly: pd.DataFrame, frame_ids: list[int], weeks: list) -> dict[int, list[int]]:
    """Articles per week for each frame, zero-filled over ``weeks`` (for sparklines)."""
    if weekly.empty:
        return {int(f): [0] * len(weeks) for f in frame_ids}
    table = (weekly.pivot_table(index="frame_id", columns="week", values="articles", aggfunc="sum", fill_value=0)
             .reindex(index=list(frame_ids), columns=list(weeks), fill_value=0))
    return {int(f): [int(x) for x in row] for f, row in zip(table.index, table.to_numpy())}


def spread_figure(daily: pd.DataFrame, title: str, caption: str = "") -> go.Figure:
    """Two panels over one day axis: the cumulative number of outlets carrying the frame (a step line, its
    own axis of outlets) above the articles per day, independent and copies stacked (their own axis of
    articles)."""
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.42, 0.58], vertical_spacing=0.08)
    if not daily.empty:
        df = daily.copy()
        df["day"] = pd.to_datetime(df["day"])
        fig.add_trace(go.Scatter(x=df["day"], y=df["cumulative_outlets"], name="outlets so far", mode="lines+markers",
                                 line=dict(color=PALETTE[3], width=3, shape="hv"), marker=dict(size=5),
                                 hovertemplate="%{x|%d %b %Y}: %{y} outlets so far<extra></extra>"), row=1, col=1)
        fig.add_trace(go.Bar(x=df["day"], y=df["independent_articles"], name="independent articles per day",
                             marker_color=PALETTE[0],
                             hovertemplate="%{x|%d %b %Y}: %{y} independent articles<extra></extra>"), row=2, col=1)
        fig.add_trace(go.Bar(x=df["day"], y=df["articles"] - df["independent_articles"], name="copies per day",
                             marker_color=PALETTE[5], hovertemplate="%{x|%d %b %Y}: %{y} copies<extra></extra>"),
                      row=2, col=1)
    fig.update_layout(barmode="stack")
    _panels(fig, title, caption, 480)
    fig.update_yaxes(title_text="outlets so far", tickformat="d",
                     **_count_ticks(daily["cumulative_outlets"] if len(daily) else []), row=1, col=1)
    fig.update_yaxes(title_text="articles per day", tickformat="d",
                     **_count_ticks(daily["articles"] if len(daily) else []), row=2, col=1)
    fig.update_xaxes(title_text="day (UTC)", row=2, col=1)
    return fig


EDGE_COLOURS = {"copy": PALETTE[5], "link": PALETTE[2], "attribution": PALETTE[3], "similar passage": "#999999"}


def lineage_figure(adoption: pd.DataFrame, edges: pd.DataFrame, title: str, caption: str = "") -> go.Figure:
    """Outlets at the time they first carried the frame (x), one row each in adoption order, named on the
    axis (so no arrow crosses a name), with an arrow from each outlet's most likely source, coloured by the
    kind of evidence. The rows are exactly the outlets: none empty above or below."""
    fig = go.Figure()
    adoption = _escaped(adoption, "outlet")
    edges = _escaped(edges, "from_outlet", "to_outlet")
    rows = adoption.sort_values("adoption_rank")
    names = [f"{int(r)}. {o}" for r, o in zip(rows["adoption_rank"], rows["outlet"])]
    pos = {o: (t, n) for o, t, n in zip(rows["outlet"], pd.to_datetime(rows["first_seen"]), names)}
    arrows = []  # set on the layout at once: one add_annotation per edge copies the layout each time
    for kind, colour in EDGE_COLOURS.items():
        part = edges[(edges["kind"] == kind) & edges["from_outlet"].isin(pos) & edges["to_outlet"].isin(pos)]
        xs, ys = [], []
        for a, b in zip(part["from_outlet"], part["to_outlet"]):
            xs += [pos[a][0], pos[b][0], None]
            ys += [pos[a][1], pos[b][1], None]
        fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", name=kind, line=dict(color=colour, width=2,
                                 dash="dot" if kind == "similar passage" else "solid"), hoverinfo="skip"))
        arrows += [dict(x=pos[b][0], y=pos[b][1], ax=pos[a][0], ay=pos[a][1], xref="x", yref="y", axref="x",
                        ayref="y", showarrow=True, arrowhead=2, arrowsize=1.2, arrowwidth=1.5, arrowcolor=colour,
                        standoff=6, text="")
                   for a, b in zip(part["from_outlet"], part["to_outlet"])]
    fig.update_layout(annotations=arrows)
    fig.add_trace(go.Scatter(
        x=[p[0] for p in pos.values()], y=[p[1] for p in pos.values()], mode="markers", name="outlet",
        marker=dict(size=10, color=PALETTE[0]), customdata=list(pos),
        hovertemplate="%{customdata}<br>first carried it %{x|%d %b %Y %H:%M}<extra></extra>", showlegend=False))
    fig.update_layout(
        title=chart_title(title, caption),
        height=max(360, 26 * len(pos) + 170), margin=dict(l=10, r=20, t=110, b=40), plot_bgcolor="white",
        font=dict(size=13), xaxis=dict(title="first article from the outlet (UTC)", gridcolor="#eee"),
        yaxis=dict(title="", type="category", categoryorder="array", categoryarray=names[::-1], gridcolor="#eee",
                   range=[-0.5, len(names) - 0.5]),
        legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="left", x=0,
                    title=dict(text="source found by:", side="left")),
    )
    return fig


PARTIAL = "partial week"


def evidence_figure(weekly: pd.DataFrame, title: str, caption: str = "", partial: dict | None = None) -> go.Figure:
    """Two panels over one week axis: articles per week (bars; weeks that grew without new evidence in
    orange) above new evidence items per week (stars on stems, their own axis), from
    :func:`app.evidence.measures.weekly`. Weeks the period covers only in part (``partial``, from
    :func:`app.weeks.partial_weeks`) are hatched, with a note of the days they cover."""
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.62, 0.38], vertical_spacing=0.1)
    if not weekly.empty:
        df = weekly.copy()
        df["week"] = pd.to_datetime(df["week"])
        part = _week_marks(partial, df["week"])
        df["note"] = [" (partial week)" if p else "" for p in part]
        groups = [("articles per week", PALETTE[0], ~df["echo_week"] & ~pd.Series(part, index=df.index)),
                  ("grew without new evidence", PALETTE[1], df["echo_week"] & ~pd.Series(part, index=df.index)),
                  (f"{PARTIAL} (hatched)", None, pd.Series(part, index=df.index))]
        for name, colour, rows in groups:
            sub = df[rows]
            if sub.empty:
                continue
            fig.add_trace(go.Bar(
                x=sub["week"], y=sub["articles"], name=name,
                marker=dict(color=colour or [PALETTE[1] if e else PALETTE[0] for e in sub["echo_week"]],
                            pattern=dict(shape="/" if colour is None else "", fgcolor="white", solidity=0.4, fillmode="overlay")),
                customdata=sub[["anonymous_share", "note"]].to_numpy(),
                hovertemplate="week of %{x|%d %b %Y}%{customdata[1]}: %{y} articles, "
                              "%{customdata[0]:.0%} on unnamed sources only<extra></extra>"), row=1, col=1)
        fig.add_trace(go.Scatter(x=df["week"], y=df["new_evidence"], name="new evidence items",
                                 mode="markers", marker=dict(symbol="star",
                                                             size=[13 if n else 0 for n in df["new_evidence"]],
                                                             color=PALETTE[2], line=dict(width=1.5)),
                                 error_y=dict(type="data", symmetric=False, array=[0] * len(df),
                                              arrayminus=df["new_evidence"], color=PALETTE[2], thickness=2, width=0),
                                 hovertemplate="week of %{x|%d %b %Y}: %{y} new evidence items<extra></extra>"),
                      row=2, col=1)
        for w, n, p in zip(df["week"], df["articles"], part):
            if p:
                fig.add_annotation(x=w, y=n, text=f"{PARTIAL}:<br>{partial[pd.Timestamp(w)]} of 7 days", showarrow=False,
                                   yanchor="bottom", font=dict(size=11, color="#555"), row=1, col=1)
    _panels(fig, title, caption, 460)
    top = int(weekly["articles"].max()) if len(weekly) else 0
    fig.update_yaxes(title_text="articles per week", tickformat="d", row=1, col=1,
                     **({"range": [0, top * 1.3]} if partial and top else {}))  # room for the partial-week note
    fig.update_yaxes(title_text="new evidence items", tickformat="d",
                     **_count_ticks(weekly["new_evidence"] if len(weekly) else []), row=2, col=1)
    fig.update_xaxes(title_text="week (UTC, starting Monday)", row=2, col=1)
    return fig


DASHES = ["solid", "dash", "dot", "dashdot", "longdash"]


def compare_figure(weekly: pd.DataFrame, labels: dict[int, str], measure: str, title: str, caption: str = "",
                   partial: dict | None = None) -> go.Figure:
    """One line per frame: ``measure`` (articles or independent_articles) per week, coloured
    ``PALETTE[i]`` in the order of ``labels``. The legend below the chart, one full label per line, is the
    key. A week the period covers only in part (``partial``) is shaded and its segment drawn thin and
    dotted with an open mark, so its lower count does not read as a fall."""
    fig = go.Figure()
    weeks = sorted(pd.to_datetime(weekly["week"]).unique()) if len(weekly) else []
    part = set(w for w, p in zip(weeks, _week_marks(partial, weeks)) if p)
    for i, (fid, label) in enumerate(labels.items()):
        sub = weekly[weekly["frame_id"] == fid].copy()
        sub["week"] = pd.to_datetime(sub["week"])
        series = sub.set_index("week")[measure].reindex(weeks, fill_value=0)
        colour = PALETTE[i % len(PALETTE)]
        name = f"#{fid} {plotly_text(label)}"
        full = series[[w not in part for w in series.index]]
        fig.add_trace(go.Scatter(x=full.index, y=full.values, mode="lines+markers", name=name, legendgroup=str(fid),
                                 line=dict(color=colour, width=3, dash=DASHES[i % len(DASHES)]),
                                 hovertemplate=f"#{fid}<br>week of %{{x|%d %b %Y}}: %{{y}}<extra></extra>"))
        for w in sorted(part):
            j = weeks.index(w)
            seg = series.iloc[[k for k in (j - 1, j, j + 1) if 0 <= k < len(weeks)]]
            fig.add_trace(go.Scatter(
                x=seg.index, y=seg.values, mode="lines+markers", name=f"{name} ({PARTIAL})", legendgroup=str(fid),
                showlegend=False, line=dict(color=colour, width=1.5, dash="dot"),
                marker=dict(symbol=["circle-open" if x in part else "circle" for x in seg.index], size=9),
                hovertemplate=f"#{fid}<br>week of %{{x|%d %b %Y}}: %{{y}} ({PARTIAL})<extra></extra>"))
    for w in sorted(part):
        fig.add_vrect(x0=w - pd.Timedelta(days=3.5), x1=w + pd.Timedelta(days=3.5), fillcolor="#999", opacity=0.12,
                      line_width=0, annotation_text=PARTIAL, annotation_position="top", annotation_font_size=11)
    what = "independent articles" if measure == "independent_articles" else "articles (copies included)"
    fig.update_layout(
        title=chart_title(title, caption),
        height=420 + 24 * len(labels), margin=dict(l=10, r=10, t=90, b=60 + 24 * len(labels)),
        plot_bgcolor="white", font=dict(size=13),
        xaxis=dict(title="week (UTC, starting Monday)", gridcolor="#eee"),
        yaxis=dict(title=f"{what} per week", rangemode="tozero", gridcolor="#eee"),
        legend=dict(orientation="v", yref="container", yanchor="bottom", y=0, xanchor="left", x=0,
                    font=dict(size=13)),
    )
    return fig


def weekly_bars_figure(per_week: pd.DataFrame, title: str, caption: str = "", partial: dict | None = None) -> go.Figure:
    """Articles per week (``per_week``: week, articles) as one bar a week wide, on an axis labelled at the
    start of every month it spans; a week the period covers only in part is hatched, with the days it covers
    in its hover."""
    fig = go.Figure()
    months = []
    if len(per_week):
        df = per_week.copy()
        df["week"] = pd.to_datetime(df["week"])
        df["partial"] = _week_marks(partial, df["week"])
        df["note"] = [f" (partial week: {partial[pd.Timestamp(w)]} of 7 days)" if p else ""
                      for w, p in zip(df["week"], df["partial"])]
        for name, rows, shape in (("articles", ~df["partial"], ""), (f"{PARTIAL} (hatched)", df["partial"], "/")):
            sub = df[rows]
            if sub.empty:
                continue
            fig.add_trace(go.Bar(
                x=sub["week"] + pd.Timedelta(days=3.5), y=sub["articles"], width=6 * 24 * 3600 * 1000, name=name,
                marker=dict(color=PALETTE[0], pattern=dict(shape=shape, fgcolor="white", solidity=0.4, fillmode="overlay")),
                customdata=sub[["week", "note"]].to_numpy(),
                hovertemplate="week of %{customdata[0]|%d %b %Y}%{customdata[1]}: %{y} articles<extra></extra>"))
        lo = min(df["week"].min(), df["week"].min().replace(day=1)) - pd.Timedelta(days=1)
        hi = df["week"].max() + pd.Timedelta(days=8)
        months = list(pd.date_range(df["week"].min().replace(day=1), hi, freq="MS"))
        fig.update_xaxes(range=[lo, hi])
    fig.update_layout(
        title=chart_title(title, caption), height=340, margin=dict(l=10, r=10, t=90, b=40), plot_bgcolor="white",
        font=dict(size=13), showlegend=False,
        xaxis=dict(title="week (UTC, starting Monday)", gridcolor="#eee", tickvals=months,
                   ticktext=[f"{m:%b %Y}" if i == 0 or m.month == 1 else f"{m:%b}" for i, m in enumerate(months)]),
        yaxis=dict(title="articles per week", rangemode="tozero", gridcolor="#eee", tickformat="d"),
    )
    return fig


def outlets_figure(outlets: pd.DataFrame, title: str, caption: str = "") -> go.Figure:
    """One horizontal bar per outlet: the frames it carried, split into those it was first or a first mover
    in (``led``) and those it followed (``outlets``: outlet, kind, lean, led, followed); its kind and lean
    after its name ("—": not set). Outlets that led most at the top."""
    df = outlets.copy()
    for c in ("kind", "lean"):
        df[c] = df[c].where(df[c].notna() & (df[c].astype(str).str.strip() != ""), "—")
    df = _escaped(df, "outlet", "kind", "lean")
    df = df.sort_values(["led", "followed", "outlet"], ascending=[True, True, False])
    names = [f"{o} · {k}, {l}" for o, k, l in zip(df["outlet"], df["kind"], df["lean"])]
    fig = go.Figure()
    fig.add_trace(go.Bar(y=names, x=df["led"], orientation="h", name="first or first mover", marker_color=PALETTE[3],
                         hovertemplate="%{y}: first or first mover in %{x} frames<extra></extra>"))
    fig.add_trace(go.Bar(y=names, x=df["followed"], orientation="h", name="followed", marker_color=PALETTE[0],
                         hovertemplate="%{y}: followed in %{x} frames<extra></extra>"))
    fig.update_layout(
        barmode="stack", title=chart_title(title, caption), height=max(330, 24 * len(df) + 162),
        margin=dict(l=10, r=10, t=112, b=40), plot_bgcolor="white", font=dict(size=13),
        xaxis=dict(title="frames carried", gridcolor="#eee", tickformat="d"),
        yaxis=dict(title="", type="category", categoryorder="array", categoryarray=names, automargin=True),
        legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="left", x=0, traceorder="normal"),
    )
    return fig
