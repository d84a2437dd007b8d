"""Weeks as every weekly count is made: Monday to Sunday in UTC, labelled by their Monday; and which
weeks the period shown covers only in part.

A week the period covers only in part (data that ends on a Wednesday, a date filter that starts on a
Thursday) holds fewer articles than a full week for that reason alone: a chart that draws it like the
others shows a drop that did not happen. :func:`partial_weeks` names those weeks and how many of their
seven days are in the period, so charts can mark them (hatched bars, a dotted last segment and a note).
It knows the period, not the collection: a day in the period with no article at all counts as covered.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd


def week_start(day) -> pd.Timestamp:
    """The Monday (midnight) of the week that holds ``day``."""
    day = pd.Timestamp(day).normalize()
    return day - pd.Timedelta(days=day.weekday())


def partial_weeks(start: dt.date | None, end: dt.date | None) -> dict[pd.Timestamp, int]:
    """The weeks (by their Monday) of which the period ``start``..``end`` (inclusive days) covers fewer than
    seven days, with the number of days it covers: at most the first and the last week of the period."""
    if start is None or end is None or end < start:
        return {}
    first, last = pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize()
    partial = {}
    for monday in {week_start(first), week_start(last)}:
        covered = (min(last, monday + pd.Timedelta(days=6)) - max(first, monday)).days + 1
        if covered < 7:
            partial[monday] = covered
    return partial


def partial_note(partial: dict[pd.Timestamp, int]) -> str:
    """'hatched or dotted: a week only partly in the period (week of 11 May: 1 of 7 days)' for a chart's
    caption ('' when none)."""
    if not partial:
        return ""
    weeks = "; ".join(f"week of {w.day} {w:%b}: {d} of 7 days" for w, d in sorted(partial.items()))
    return f"hatched or dotted: {'weeks' if len(partial) > 1 else 'a week'} only partly in the period ({weeks})"
