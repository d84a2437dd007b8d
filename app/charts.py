"""Pure chart builders: DataFrame in, plotly Figure out. Shared by the dashboard
and the report; nothing here reads the store or the UI."""

from __future__ import annotations

import html

import pandas as pd
import plotly.graph_objects as go

# The legend of the timeline's mark for days with articles that rebut the frame.
REBUTS = "rebuts the frame"
# Okabe-Ito: distinguishable with the common forms of colour blindness.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]


def chart_title(title: str, caption: str = "") -> dict:
    """A chart's title, with the date range and corpus in a smaller line under it."""
    return dict(text=title + (f"<br><sup>{caption}</sup>" if caption else ""), x=0, xanchor="left")


def _two_axes(fig: go.Figure, title: str, caption: str, x_title: str, y_title: str, y2_title: str,
              y2_counts) -> go.Figure:
    """Layout shared by the spread curve and the evidence chart: two y axes, the right one a count
    (whole-number ticks)."""
    fig.update_layout(
        title=chart_title(title, caption), height=380, margin=dict(l=10, r=10, t=80, b=40), plot_bgcolor="white",
        font=dict(size=13), xaxis=dict(title=x_title, gridcolor="#eee"),
        yaxis=dict(title=y_title, rangemode="tozero", gridcolor="#eee"),
        yaxis2=dict(title=y2_title, overlaying="y", side="right", rangemode="tozero", showgrid=False,
                    tickformat="d", **_count_ticks(y2_counts)),
        legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="right", x=1),
    )
    return fig


def _count_ticks(values) -> dict:
    """Whole-number ticks for an axis of counts (no repeated labels on small counts)."""
    top = max([int(v) for v in values] + [1])
    return {"tickmode": "linear", "tick0": 0, "dtick": max(1, -(-top // 6))}


def adoption_order(timeline: pd.DataFrame) -> list[str]:
    """Outlets by the day they first carried the frame (ties by name); outlets that only rebutted it
    (``rebuttals`` and no ``articles``) after them, by the day of their first rebuttal."""
    if timeline.empty:
        return []
    carried = timeline[timeline["articles"] > 0] if "rebuttals" in timeline else timeline
    first = carried.groupby("outlet")["day"].min().reset_index().sort_values(["day", "outlet"])
    order = first["outlet"].tolist()
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


def timeline_figure(timeline: pd.DataFrame, title: str, caption: str = "",
                    events: pd.DataFrame | None = None, adopted: dict | None = None) -> go.Figure:
    """One row per outlet, in order of adoption (first at the top); one mark per day with articles that
    carry the frame (``timeline``: outlet, day, articles, copies, and optionally rebuttals). Days with only
    syndicated copies get open marks. Days with articles that rebut the frame get an x of their own
    ("rebuts the frame"); an outlet that only rebutted it has a row below the adopters and no other mark.
    ``events`` (published_at, outlet, description): new-evidence items, drawn as one star per outlet and
    day (larger for more items) on the outlet's row. Outlet names and descriptions are shown as text: a
    clicked mark's ``y`` is the outlet's name escaped (``html.unescape`` gives it back)."""
    timeline = _escaped(timeline, "outlet")
    events = _escaped(events, "outlet", "description")
    order = adoption_order(timeline)
    # ``adopted`` (outlet -> the day it first carried the frame, over all the frame's articles) is for a
    # ``timeline`` cut to a period (the report's week): the diamond then marks that day only, so an outlet that
    # took the frame up before the period gets none in it, and rows follow that order. Without it, an
    # outlet's first day in ``timeline`` is its first.
    if adopted is not None:
        adopted = {plotly_text(o): pd.Timestamp(day).normalize() for o, day in adopted.items()}
        carriers = [o for o in order if o in set(timeline.loc[timeline["articles"] > 0, "outlet"])]
        order = sorted(carriers, key=lambda o: (adopted.get(o, pd.Timestamp.max), o)) + \
            [o for o in order if o not in carriers]
    fig = go.Figure()
    rebuttals = timeline[timeline["rebuttals"] > 0] if "rebuttals" in timeline else timeline.iloc[0:0]
    if "rebuttals" in timeline:
        timeline = timeline[timeline["articles"] > 0]
    if not timeline.empty:
        df = timeline.copy()
        df["day"] = pd.to_datetime(df["day"])
        first_day = (pd.to_datetime(df["outlet"].map(adopted)) if adopted is not None
                     else df.groupby("outlet")["day"].transform("min"))
        kinds = pd.Series("later articles", index=df.index)
        kinds[df["articles"] == df["copies"]] = "later: syndicated copies only"
        kinds[df["day"] == first_day] = "first article from the outlet"
        size = 7 + 4 * df["articles"].clip(upper=6)
        styles = {"first article from the outlet": (PALETTE[3], "diamond"),
                  "later articles": (PALETTE[0], "circle"),
                  "later: syndicated copies only": (PALETTE[0], "circle-open")}
        for name, (color, symbol) in styles.items():
            part = df[kinds == name]
            if part.empty:
                continue
            fig.add_trace(go.Scatter(
                x=part["day"], y=part["outlet"], mode="markers", name=name,
                marker=dict(size=size[kinds == name], color=color, symbol=symbol,
                            line=dict(width=1.5 if symbol.endswith("open") else 0.5,
                                      color=color if symbol.endswith("open") else "white")),
                customdata=part[["articles", "copies"]].to_numpy(),
                hovertemplate="%{y}<br>%{x|%d %b %Y}: %{customdata[0]} article(s), %{customdata[1]} copies"
                              "<extra></extra>",
            ))
    if not rebuttals.empty:
        fig.add_trace(go.Scatter(
            x=pd.to_datetime(rebuttals["day"]), y=rebuttals["outlet"], mode="markers", name=REBUTS,
            marker=dict(symbol="x", size=9 + 3 * rebuttals["rebuttals"].clip(upper=5), color=PALETTE[4],
                        line=dict(width=1, color=PALETTE[4])),
            customdata=rebuttals[["rebuttals"]].to_numpy(),
            hovertemplate="%{y}<br>%{x|%d %b %Y}: %{customdata[0]} article(s) rebut the frame (denial or "
                          "fact-check; not counted as spread)<extra></extra>",
        ))
    if events is not None and not events.empty:
        # One star per outlet and day, sized by how many new evidence items it brought.
        ev = events[events["outlet"].isin(order)].assign(day=lambda d: pd.to_datetime(d["published_at"]).dt.normalize())
        grouped = ev.groupby(["outlet", "day"], sort=True).agg(
            items=("description", "size"),
            what=("description", lambda d: "<br>".join(list(dict.fromkeys(d))[:4]) + ("<br>…" if d.nunique() > 4 else "")),
        ).reset_index()
        fig.add_trace(go.Scatter(
            x=grouped["day"], y=grouped["outlet"], mode="markers", name="new evidence",
            marker=dict(symbol="star", size=13 + 3 * grouped["items"].clip(upper=5), color=PALETTE[2],
                        line=dict(width=1, color="black")),
            customdata=grouped[["items", "what"]].to_numpy(),
            hovertemplate="new evidence · %{y}, %{x|%d %b %Y}: %{customdata[0]} item(s)<br>%{customdata[1]}"
                          "<extra></extra>",
        ))
    height = max(320, 28 * len(order) + 140)
    fig.update_layout(
        title=chart_title(title, caption),
        height=height, margin=dict(l=10, r=10, t=80, b=40),
        xaxis=dict(title="day (UTC)", showgrid=True),
        yaxis=dict(title="outlet (in order of adoption)", categoryorder="array", categoryarray=order[::-1],
                   type="category"),
        legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="right", x=1),
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
    """Cumulative outlets carrying the frame (line) over articles per day, all and independent (bars)."""
    fig = go.Figure()
    if not daily.empty:
        df = daily.copy()
        df["day"] = pd.to_datetime(df["day"])
        fig.add_trace(go.Bar(x=df["day"], y=df["articles"] - df["independent_articles"], name="copies per day",
                             marker_color=PALETTE[5], yaxis="y2",
                             hovertemplate="%{x|%d %b %Y}: %{y} copies<extra></extra>"))
        fig.add_trace(go.Bar(x=df["day"], y=df["independent_articles"], name="independent articles per day",
                             marker_color=PALETTE[0], yaxis="y2",
                             hovertemplate="%{x|%d %b %Y}: %{y} independent articles<extra></extra>"))
        fig.add_trace(go.Scatter(x=df["day"], y=df["cumulative_outlets"], name="outlets so far", mode="lines+markers",
                                 line=dict(color=PALETTE[3], width=3, shape="hv"),
                                 hovertemplate="%{x|%d %b %Y}: %{y} outlets so far<extra></extra>"))
    fig.update_layout(barmode="stack")
    return _two_axes(fig, title, caption, "day (UTC)", "outlets carrying the frame", "articles per day",
                     daily["articles"] if len(daily) else [])


EDGE_COLOURS = {"copy": PALETTE[5], "link": PALETTE[2], "attribution": PALETTE[3], "similar passage": "#999999"}


def lineage_figure(adoption: pd.DataFrame, edges: pd.DataFrame, title: str, caption: str = "") -> go.Figure:
    """Outlets at the time they first carried the frame (x) in adoption order (y), with an arrow from
    each outlet's most likely source, coloured by the kind of evidence."""
    fig = go.Figure()
    adoption = _escaped(adoption, "outlet")
    edges = _escaped(edges, "from_outlet", "to_outlet")
    pos = {o: (t, r) for o, t, r in zip(adoption["outlet"], pd.to_datetime(adoption["first_seen"]),
                                        adoption["adoption_rank"])}
    for kind, colour in EDGE_COLOURS.items():
        part = edges[(edges["kind"] == kind) & edges["from_outlet"].isin(pos) & edges["to_outlet"].isin(pos)]
        xs, ys = [], []
        for a, b in zip(part["from_outlet"], part["to_outlet"]):
            xs += [pos[a][0], pos[b][0], None]
            ys += [pos[a][1], pos[b][1], None]
        fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", name=kind, line=dict(color=colour, width=2,
                                 dash="dot" if kind == "similar passage" else "solid"), hoverinfo="skip"))
        for a, b in zip(part["from_outlet"], part["to_outlet"]):
            fig.add_annotation(x=pos[b][0], y=pos[b][1], ax=pos[a][0], ay=pos[a][1], xref="x", yref="y",
                               axref="x", ayref="y", showarrow=True, arrowhead=2, arrowsize=1.2, arrowwidth=1.5,
                               arrowcolor=colour, text="")
    fig.add_trace(go.Scatter(
        x=[p[0] for p in pos.values()], y=[p[1] for p in pos.values()], mode="markers+text", name="outlet",
        text=list(pos), textposition="middle right", cliponaxis=False, marker=dict(size=10, color=PALETTE[0]),
        hovertemplate="%{text}<br>first carried it %{x|%d %b %Y %H:%M}<extra></extra>", showlegend=False))
    fig.update_layout(
        title=chart_title(title, caption),
        height=max(360, 26 * len(pos) + 140), margin=dict(l=10, r=190, t=80, b=40), plot_bgcolor="white",
        font=dict(size=13), xaxis=dict(title="first article from the outlet (UTC)", gridcolor="#eee"),
        yaxis=dict(title="order of adoption", autorange="reversed", gridcolor="#eee", dtick=1),
        legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="right", x=1, title_text="source found by"),
    )
    return fig


def evidence_figure(weekly: pd.DataFrame, title: str, caption: str = "") -> go.Figure:
    """Articles per week (bars; weeks that grew without new evidence highlighted) and new evidence items
    per week (line), from :func:`app.evidence.measures.weekly`."""
    fig = go.Figure()
    if not weekly.empty:
        df = weekly.copy()
        df["week"] = pd.to_datetime(df["week"])
        colours = [PALETTE[1] if e else PALETTE[0] for e in df["echo_week"]]
        fig.add_trace(go.Bar(x=df["week"], y=df["articles"], name="articles (orange: grew without new evidence)",
                             marker_color=colours, customdata=df[["anonymous_share"]].to_numpy(),
                             hovertemplate="week of %{x|%d %b %Y}: %{y} articles, "
                                           "%{customdata[0]:.0%} on unnamed sources only<extra></extra>"))
        fig.add_trace(go.Scatter(x=df["week"], y=df["new_evidence"], name="new evidence items",
                                 mode="lines+markers", yaxis="y2", line=dict(color=PALETTE[2], width=3),
                                 marker=dict(symbol="star", size=11, color=PALETTE[2]),
                                 hovertemplate="week of %{x|%d %b %Y}: %{y} new evidence items<extra></extra>"))
    return _two_axes(fig, title, caption, "week (UTC, starting Monday)", "articles per week",
                     "new evidence items", weekly["new_evidence"] if len(weekly) else [])


def compare_figure(weekly: pd.DataFrame, labels: dict[int, str], measure: str, title: str, caption: str = "") -> go.Figure:
    """One line per frame: ``measure`` (articles or independent_articles) per week."""
    fig = go.Figure()
    weeks = sorted(pd.to_datetime(weekly["week"]).unique()) if len(weekly) else []
    for i, (fid, label) in enumerate(labels.items()):
        part = weekly[weekly["frame_id"] == fid].copy()
        part["week"] = pd.to_datetime(part["week"])
        series = part.set_index("week")[measure].reindex(weeks, fill_value=0)
        label = str(label)
        short = plotly_text(label if len(label) <= 48 else label[:45] + "…")
        fig.add_trace(go.Scatter(x=series.index, y=series.values, mode="lines+markers", name=f"#{fid} {short}",
                                 line=dict(color=PALETTE[i % len(PALETTE)], width=3,
                                           dash=["solid", "dash", "dot", "dashdot", "longdash"][i % 5]),
                                 hovertemplate=f"#{fid}<br>week of %{{x|%d %b %Y}}: %{{y}}<extra></extra>"))
    what = "independent articles" if measure == "independent_articles" else "articles (copies included)"
    fig.update_layout(
        title=chart_title(title, caption),
        height=460, margin=dict(l=10, r=10, t=80, b=40), plot_bgcolor="white", font=dict(size=13),
        xaxis=dict(title="week (UTC, starting Monday)", gridcolor="#eee"),
        yaxis=dict(title=f"{what} per week", rangemode="tozero", gridcolor="#eee"),
        legend=dict(orientation="h", yanchor="top", y=-0.18, xanchor="left", x=0),
    )
    return fig
