"""The state a view is in: the sidebar's filters and report mode, kept in the URL (``from``, ``to``,
``outlets``, ``groups``, ``report``) so a view can be shared and reopened exactly; and the frames
and caption that follow from the filters. Keys and parameter names: app/ui/keys.py."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from app.store import Filters
from app.ui import cache, keys

# Hides every control in the page body (the sidebar keeps the switch) for clean screenshots.
REPORT_CSS = """<style>
[data-testid="stMain"] [data-testid="stSelectbox"], [data-testid="stMain"] [data-testid="stMultiSelect"],
[data-testid="stMain"] [data-testid="stRadio"], [data-testid="stMain"] [data-testid="stTextInput"],
[data-testid="stMain"] [data-testid="stButton"], [data-testid="stMain"] [data-testid="stCheckbox"],
[data-testid="stMain"] [data-testid="stToggle"], [data-testid="stMain"] [data-testid="stDateInput"],
[data-testid="stMain"] [data-testid="stExpander"], [data-testid="stToolbar"], [data-testid="stDecoration"],
[data-testid="stMain"] [data-testid="stDownloadButton"], [data-testid="stMain"] [data-testid="stForm"]
{display: none !important;}
</style>"""


def _day(text: str | None, lo, hi):
    try:
        day = dt.date.fromisoformat(text) if text else None
    except ValueError:
        return None
    return min(max(day, lo), hi) if day else None


def set_param(name: str, value: str | None) -> None:
    """Set a query parameter (None removes it), writing only when it changes."""
    if value is None:
        if name in st.query_params:
            del st.query_params[name]
    elif st.query_params.get(name) != value:
        st.query_params[name] = value


def sidebar_filters(v: tuple) -> Filters:
    """Date, outlet and outlet-group filters, and the report-mode switch, read from and written to the URL."""
    report_mode()
    lo, hi = cache.date_bounds(v)
    if lo is None:
        return Filters()
    qp = st.query_params
    st.sidebar.header("Filters")
    start0, end0 = _day(qp.get(keys.Q_FROM), lo, hi) or lo, _day(qp.get(keys.Q_TO), lo, hi) or hi
    picked = st.sidebar.date_input("Published between", value=(start0, end0), min_value=lo, max_value=hi,
                                   key=keys.DATE_RANGE)
    start, end = (picked if isinstance(picked, (tuple, list)) and len(picked) == 2 else (lo, hi))
    names = cache.outlet_names(v)
    wanted = [o for o in qp.get(keys.Q_OUTLETS, "").split("|") if o in names]
    outlets = st.sidebar.multiselect("Outlets (none = all)", names, default=wanted, key=keys.OUTLETS)
    options = cache.outlet_groups(v)
    wanted_groups = [g for g in qp.get(keys.Q_GROUPS, "").split("|") if g in options]
    groups = st.sidebar.multiselect("Outlet groups (any of them)", options, default=wanted_groups, key=keys.GROUPS,
                                    help="From the outlets' attributes: `narratives outlets --load outlets.csv`.")
    set_param(keys.Q_FROM, start.isoformat() if start != lo else None)
    set_param(keys.Q_TO, end.isoformat() if end != hi else None)
    set_param(keys.Q_OUTLETS, "|".join(sorted(outlets)) or None)
    set_param(keys.Q_GROUPS, "|".join(sorted(groups)) or None)
    return Filters(start=start, end=end, outlets=tuple(sorted(outlets)), groups=tuple(sorted(groups)))


def report_mode() -> bool:
    """The sidebar's report-mode switch; when on, the page body's controls are hidden."""
    on = st.sidebar.toggle("Report mode", value=st.query_params.get(keys.Q_REPORT) == "1", key=keys.REPORT_MODE,
                           help="Hides the controls for a clean screenshot; the URL keeps it (report=1).")
    set_param(keys.Q_REPORT, "1" if on else None)
    if on:
        st.markdown(REPORT_CSS, unsafe_allow_html=True)
    return on


def frames_or_stop(v: tuple, filters: Filters) -> tuple[pd.DataFrame, list[int], dict[int, str]]:
    """The frames in the selection (summary, ids, labels); the page stops with a warning when there are none."""
    summary = cache.frame_summary(v, filters)
    if summary.empty:
        st.warning("No frames in this selection.")
        st.stop()
    ids = summary["frame_id"].astype(int).tolist()
    return summary, ids, dict(zip(ids, summary["label"]))


def caption(v: tuple, filters: Filters, source: bool = True) -> str:
    """What the view shows (period, outlets, corpus), as plain text: escape it for Markdown or a chart.
    ``source=False`` leaves out the database file's name (for chart subtitles, which end up in reports)."""
    c = cache.counts(v)
    lo, hi = cache.date_bounds(v)
    start = filters.start or lo
    end = filters.end or hi
    outlets = f"{len(filters.outlets)} selected outlets" if filters.outlets else f"all {c['outlets']} outlets"
    if filters.groups:
        outlets += " in " + ", ".join(filters.groups)
    return (f"{start:%d %b %Y} – {end:%d %b %Y} · {outlets} · corpus of {c['articles']:,} articles"
            + (f" from {cache.settings().db.name}" if source else ""))


def period(v: tuple, filters: Filters):
    """The first and last day the view shows (the filters, else the corpus's first and last article)."""
    lo, hi = cache.date_bounds(v)
    return filters.start or lo, filters.end or hi
