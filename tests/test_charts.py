"""Chart rules a reader relies on, checked on the figures themselves (the screenshot check looks at them
drawn): one scale per panel, marks of one size, every outlet row filled, whole legend labels, partial weeks
marked."""

import datetime as dt

import pandas as pd

from app.charts import (NOT_COUNTED, PALETTE, compare_figure, evidence_figure, lineage_figure, spread_figure,
                        timeline_figure, weekly_bars_figure)
from app.spread import adoption_days, loosely_carried
from app.weeks import partial_note, partial_weeks, week_start


def test_partial_weeks_are_the_edges_of_the_period_that_miss_days():
    # Tuesday 3 March to Monday 11 May 2026: the first week misses its Monday, the last has one day.
    assert partial_weeks(dt.date(2026, 3, 3), dt.date(2026, 5, 11)) == {
        pd.Timestamp("2026-03-02"): 6, pd.Timestamp("2026-05-11"): 1}
    assert partial_weeks(dt.date(2026, 3, 2), dt.date(2026, 5, 10)) == {}  # Monday to Sunday: all whole
    assert partial_weeks(dt.date(2026, 3, 4), dt.date(2026, 3, 5)) == {pd.Timestamp("2026-03-02"): 2}
    assert partial_weeks(None, dt.date(2026, 3, 5)) == {}
    assert week_start(dt.date(2026, 3, 8)) == pd.Timestamp("2026-03-02")  # a Sunday belongs to the Monday before
    assert "week of 11 May: 1 of 7 days" in partial_note({pd.Timestamp("2026-05-11"): 1})


def test_spread_and_evidence_have_one_scale_per_panel():
    days = pd.date_range("2026-03-02", periods=10)
    daily = pd.DataFrame({"day": days, "articles": [6, 1, 0, 2, 3, 1, 0, 0, 1, 2],
                          "independent_articles": [4, 1, 0, 2, 3, 1, 0, 0, 1, 1], "new_outlets": [2] + [1] * 9,
                          "cumulative_outlets": list(range(2, 12))})
    weekly = pd.DataFrame({"week": pd.to_datetime(["2026-03-02", "2026-03-09"]), "articles": [6, 20],
                           "new_evidence": [1, 0], "repeated_evidence": [0, 3], "anonymous_only": [0, 1],
                           "anonymous_share": [0.0, 0.05], "echo_week": [False, True]})
    for fig in (spread_figure(daily, "s"), evidence_figure(weekly, "e", partial={pd.Timestamp("2026-03-09"): 3})):
        layout = fig.to_plotly_json()["layout"]
        assert not any(k.startswith("yaxis") and v.get("overlaying") for k, v in layout.items())
        axes = {t.yaxis or "y" for t in fig.data}
        assert len(axes) == 2  # two panels, each with its own titled axis
        assert all(layout["yaxis" if a == "y" else "yaxis" + a[1:]]["title"]["text"] for a in axes)
    bars = [t for t in evidence_figure(weekly, "e", partial={pd.Timestamp("2026-03-09"): 3}).data if t.type == "bar"]
    hatched = [t for t in bars if t.marker.pattern.shape == "/"]
    assert len(hatched) == 1 and list(hatched[0].y) == [20]  # the partial week, and only it


def test_timeline_marks_are_one_size_and_stars_do_not_cover_them():
    timeline = pd.DataFrame({"outlet": ["A", "A", "B"], "day": pd.to_datetime(["2026-03-02", "2026-03-03",
                                                                                "2026-03-03"]),
                             "articles": [1, 9, 2], "copies": [0, 0, 2]})
    events = pd.DataFrame({"published_at": pd.to_datetime(["2026-03-03"]), "outlet": ["A"], "description": ["video"]})
    fig = timeline_figure(timeline, "t", events=events)
    marks = [t for t in fig.data if t.name != "new evidence"]
    assert {t.marker.size for t in marks if t.marker.symbol != "diamond"} == {11}
    star = fig.data[0]  # drawn first, under the marks, and only an outline
    assert star.name == "new evidence" and star.marker.symbol == "star-open"


def test_articles_the_spread_claims_do_not_count_are_drawn_apart_and_adopt_nothing():
    # A's first article came before the frame's onset (an earlier similar passage); B's day has counted articles;
    # C has only a loosely related article. Rows follow the counted articles: B adopted first, A later.
    timeline = pd.DataFrame({"outlet": ["A", "B", "A", "C"],
                             "day": pd.to_datetime(["2026-01-05", "2026-03-02", "2026-03-04", "2026-03-03"]),
                             "articles": [1, 2, 1, 1], "copies": [0, 0, 0, 0], "counted": [0, 2, 1, 0],
                             "rebuttals": [0, 0, 0, 0]})
    fig = timeline_figure(timeline, "t")
    assert list(fig.layout.yaxis.categoryarray)[::-1] == ["B", "A", "C"]
    by_name = {t.name: t for t in fig.data}
    diamonds = by_name["first article from the outlet"]
    assert sorted(zip(diamonds.y, pd.to_datetime(diamonds.x).strftime("%m-%d"))) == [("A", "03-04"), ("B", "03-02")]
    apart = by_name[NOT_COUNTED]
    assert sorted(apart.y) == ["A", "C"] and apart.marker.symbol == "square-open"
    assert "not counted as adoption" in apart.hovertemplate
    assert adoption_days(timeline) == {"B": pd.Timestamp("2026-03-02"), "A": pd.Timestamp("2026-03-04")}
    # C is named under the timeline as carrying it only in articles the claims do not count
    line = loosely_carried(timeline, adoption_days(timeline))
    assert line.startswith("2 of the 3 outlets shown took the frame up; the other (C) carried it only")
    assert loosely_carried(timeline[timeline["outlet"] != "C"], adoption_days(timeline)) == ""
    # Without the column (a timeline from before the onsets stage), every article counts as before.
    plain = timeline_figure(timeline.drop(columns="counted"), "t")
    assert list(plain.layout.yaxis.categoryarray)[::-1] == ["A", "B", "C"]
    assert NOT_COUNTED not in {t.name for t in plain.data}


def test_lineage_has_a_row_per_outlet_and_no_empty_row():
    adoption = pd.DataFrame({"outlet": ["A", "B", "C"], "adoption_rank": [1, 2, 3],
                             "first_seen": pd.to_datetime(["2026-03-02", "2026-03-03", "2026-03-05"])})
    edges = pd.DataFrame({"from_outlet": ["A", "B"], "to_outlet": ["B", "C"], "kind": ["copy", "similar passage"]})
    layout = lineage_figure(adoption, edges, "l").layout
    assert list(layout.yaxis.categoryarray) == ["3. C", "2. B", "1. A"]
    assert list(layout.yaxis.range) == [-0.5, 2.5]


def test_compare_legend_has_whole_labels_below_the_axis_title():
    label = "a frame with a label far longer than forty-eight characters, kept whole"
    weekly = pd.DataFrame({"frame_id": [1, 1, 2, 2], "week": pd.to_datetime(["2026-03-02", "2026-03-09"] * 2),
                           "articles": [3, 1, 2, 2]})
    fig = compare_figure(weekly, {1: label, 2: "short"}, "articles", "c", partial={pd.Timestamp("2026-03-09"): 2})
    named = [t for t in fig.data if t.showlegend is not False]
    assert [t.name for t in named] == [f"#1 {label}", "#2 short"]
    assert [t.line.color for t in named] == PALETTE[:2]
    assert fig.layout.legend.yref == "container" and fig.layout.legend.y == 0
    partial = [t for t in fig.data if t.showlegend is False]
    assert {t.line.dash for t in partial} == {"dot"} and all(t.legendgroup in ("1", "2") for t in partial)


def test_weekly_bars_are_a_week_wide_and_every_month_is_named():
    per_week = pd.DataFrame({"week": pd.date_range("2026-03-02", "2026-05-11", freq="7D")})
    per_week["articles"] = 30
    fig = weekly_bars_figure(per_week, "w", partial={pd.Timestamp("2026-05-11"): 1})
    assert list(fig.layout.xaxis.ticktext) == ["Mar 2026", "Apr", "May"]
    assert all(t.width == 6 * 24 * 3600 * 1000 for t in fig.data)
    assert sum(len(t.y) for t in fig.data) == len(per_week)
