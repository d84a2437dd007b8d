"""The rules that live once in the core: adoption and first movers (app.spread), the outlet-name pattern
(app.outlets), what edits a frame allows (app.frames.edits), the echo rule, and the store's read-only query."""

import re

import pandas as pd
import pytest

from app.evidence.measures import grew_without_evidence, weekly
from app.frames.edits import EditRefused, check_edit
from app.outlets import names_pattern
from app.spread import adoption, first_movers, frame_adoption
from app.store import StoreError


def _firsts(rows):
    return pd.DataFrame(rows, columns=["frame_id", "outlet", "first_seen", "articles", "independent_articles",
                                       "first_article_id", "first_article_url"]).astype({"first_seen": "datetime64[ns]"})


FIRSTS = _firsts([
    (1, "B", "2026-03-01 10:00", 2, 2, "b1", "https://b/1"),
    (1, "A", "2026-03-01 10:00", 1, 1, "a1", "https://a/1"),   # tie with B: by name, A first
    (1, "C", "2026-03-03 10:00", 1, 0, "c1", "https://c/1"),   # exactly 48 h later
    (1, "D", "2026-03-03 10:03", 1, 1, "d1", "https://d/1"),   # 48.05 h: shown as 48.0 h, not a first mover
    (2, "C", "2026-02-01 00:00", 1, 1, "c2", None),
])


def test_adoption_order_lag_and_roles():
    df = adoption(FIRSTS, 48)
    one = df[df["frame_id"] == 1]
    assert one["outlet"].tolist() == ["A", "B", "C", "D"]
    assert one["adoption_rank"].tolist() == [1, 2, 3, 4]
    assert one["lag_hours"].tolist() == [0.0, 0.0, 48.0, 48.0]
    assert one["role"].tolist() == ["first", "first mover", "first mover", "follower"]
    assert df.loc[df["frame_id"] == 2, "role"].tolist() == ["first"]
    assert set(df["outlets"]) == {4, 1}


def test_first_movers_read_the_exact_lag_not_the_rounded_one():
    movers = first_movers(FIRSTS, 48)
    assert movers[movers["frame_id"] == 1]["outlet"].tolist() == ["A", "B", "C"]
    assert first_movers(FIRSTS, 0)["outlet"].tolist() == ["A", "B", "C"]  # frame 2's only outlet is C
    assert frame_adoption(FIRSTS[FIRSTS["frame_id"] == 1]).columns[0] == "adoption_rank"
    assert frame_adoption(FIRSTS.iloc[0:0]).empty


def test_names_pattern_matches_names_in_any_spacing_longest_first():
    pattern = re.compile(names_pattern(["The Times", "The Times of Korea", " ", "", "A.P."]), re.I)
    assert pattern.search("as reported by the  times\nof korea").group(0).lower().startswith("the  times\nof korea")
    assert pattern.search("A.P. said") and not pattern.search("AxPx said")
    assert names_pattern([]) == "" and names_pattern(["", " "]) == ""


@pytest.mark.parametrize("args, message", [
    (dict(status="active", action="explode"), "unknown edit"),
    (dict(status="active", action="rename", value="  "), "a new label is needed"),
    (dict(status="active", action="merge", into=9, into_exists=False), "no frame 9"),
    (dict(status="active", action="merge", into=9, into_exists=True, into_final=1), "merged into frame 1 already"),
    (dict(status="merged", action="merge", into=9, into_exists=True), "only an active frame"),
    (dict(status="active", action="restore"), "only a merged or retired-by-hand frame"),
    (dict(status="hidden", action="retire"), "not active"),
])
def test_edit_rules_refuse_with_a_reason(args, message):
    with pytest.raises(EditRefused, match=message):
        check_edit(1, **args)


def test_edit_rules_allow():
    check_edit(1, "active", "rename", value="Cannon fodder")
    check_edit(1, "hidden", "merge", into=2, into_exists=True)
    check_edit(1, "merged", "restore")
    check_edit(1, "active", "retire")


def test_echo_rule_is_the_same_for_a_week_and_a_period():
    assert bool(grew_without_evidence(3, 2, 0)) and not grew_without_evidence(1, 0, 0)
    assert not grew_without_evidence(3, 3, 0) and not grew_without_evidence(3, 2, 1)
    daily = pd.DataFrame({"day": pd.to_datetime(["2026-03-02", "2026-03-09", "2026-03-10", "2026-03-16"]),
                          "articles": [1, 2, 1, 1], "new_evidence": [0, 0, 0, 0], "repeated_evidence": [0, 0, 0, 0],
                          "anonymous_only": [0, 0, 0, 0]})
    assert weekly(daily)["echo_week"].tolist() == [False, True, False]


def test_store_query_is_read_only(memory_store):
    assert memory_store.query_value("SELECT count(*) FROM outlets") == 0
    assert list(memory_store.query("SELECT ? AS x", [5])["x"]) == [5]
    for sql in ("DELETE FROM outlets", "SELECT 1; DELETE FROM outlets", "CREATE TABLE t (x INT)",
                "INSERT INTO outlets (outlet_id, name) VALUES ('a', 'A')"):
        with pytest.raises(StoreError):
            memory_store.query(sql)
    with pytest.raises(StoreError, match="refused"):
        memory_store.query("SELECT * FROM no_such_table")
