"""Echo measures: does a frame grow on new evidence or on repetition?

Definitions (docs/evidence.md explains them with their blind spots):

* ``new_evidence``: evidence items (material, a named source on the record, a
  confirmation or denial) that no earlier article of the frame carried;
* ``anonymous_share``: share of the frame's articles whose only support is
  unnamed sources (an unnamed-source cue, and no named source, outlet credit or
  material in the whole article);
* an *echo week*: an ISO week in which the frame had more articles than the week
  before (at least 2) and no new evidence item;
* ``echo``: at least half of the frame's articles in the period appeared in echo
  weeks: the frame grew mostly on repetition.
"""

from __future__ import annotations

import pandas as pd

# A rise from 0 to 1 article is noise, not growth.
ECHO_MIN_ARTICLES = 2


def grew_without_evidence(articles, previous, new_evidence):
    """The echo rule, for a week or for a report's period (scalars or aligned Series): the frame had at
    least ``ECHO_MIN_ARTICLES`` articles, more than in the period before, and no new evidence item."""
    return (articles >= ECHO_MIN_ARTICLES) & (articles > previous) & (new_evidence == 0)


def weekly(daily: pd.DataFrame) -> pd.DataFrame:
    """Per ISO week (starting Monday): articles, new and repeated evidence, anonymous share, echo week."""
    cols = ["week", "articles", "new_evidence", "repeated_evidence", "anonymous_only", "anonymous_share", "echo_week"]
    if daily.empty:
        return pd.DataFrame(columns=cols)
    day = pd.to_datetime(daily["day"])
    week = (day - pd.to_timedelta(day.dt.weekday, unit="D")).dt.normalize()
    w = (daily.assign(week=week).groupby("week", sort=True)[["articles", "new_evidence", "repeated_evidence",
                                                              "anonymous_only"]].sum())
    w = w.reindex(pd.date_range(w.index.min(), w.index.max(), freq="7D"), fill_value=0)
    w.index.name = "week"
    w = w.reset_index()
    previous = w["articles"].shift(1, fill_value=0)
    w["anonymous_share"] = (w["anonymous_only"] / w["articles"].where(w["articles"] > 0)).round(3).fillna(0.0)
    w["echo_week"] = grew_without_evidence(w["articles"], previous, w["new_evidence"])
    return w[cols]


def echo_summary(daily: pd.DataFrame) -> dict:
    w = weekly(daily)
    articles = int(w["articles"].sum()) if len(w) else 0
    in_echo = int(w.loc[w["echo_week"], "articles"].sum()) if len(w) else 0
    return {
        "articles": articles,
        "new_evidence": int(w["new_evidence"].sum()) if len(w) else 0,
        "repeated_evidence": int(w["repeated_evidence"].sum()) if len(w) else 0,
        "anonymous_share": (int(w["anonymous_only"].sum()) / articles) if articles else 0.0,
        "echo_weeks": int(w["echo_week"].sum()) if len(w) else 0,
        "echo_articles": in_echo,
        "echo": bool(articles and in_echo / articles >= 0.5),
    }
