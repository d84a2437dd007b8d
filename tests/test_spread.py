"""Copies and per-frame spread on the sample (stand-in encoder), and the CLI."""

import re

import pandas as pd
import pytest
from hypothesis import given, settings as hsettings
from hypothesis import strategies as st
from click.testing import CliRunner

from app.cli import main
from app.spread import frame_adoption
from app.dedup import copy_links
from app.store import Store


@pytest.fixture(scope="module")
def built(hashed_sample_db):
    """The sample built with the stand-in encoder (read only)."""
    r = Store.open_read(hashed_sample_db)
    yield r
    r.close()


def test_copy_links_group_transitively_and_point_to_the_earliest():
    pairs = pd.DataFrame({"a": ["b", "c", "x"], "b": ["c", "d", "y"], "jaccard": [0.9, 0.8, 0.7]})
    dates = pd.DataFrame({"article_id": list("bcdxy"),
                          "published_at": pd.to_datetime(["2024-01-02", "2024-01-01", "2024-01-03", "2024-01-05", "2024-01-04"])})
    links = copy_links(pairs, dates).set_index("article_id")
    assert links.loc["b", "original_id"] == "c" and links.loc["d", "original_id"] == "c"
    assert links.loc["x", "original_id"] == "y"
    assert "c" not in links.index and "y" not in links.index
    assert links.loc["d", "similarity"] == pytest.approx(0.8)


def _links_by_union_find(pairs, dates):
    """:func:`copy_links` as it was written before it worked on arrays: a union-find over the ids in Python and
    pandas sorts, slow but plain; the arrays must give what it gives."""
    parent = {}

    def find(x):
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    if pairs.empty:
        return pd.DataFrame(columns=["article_id", "original_id", "similarity", "method"])
    if "method" not in pairs:
        pairs = pairs.assign(method="shared paragraphs")
    for a, b in zip(pairs["a"], pairs["b"]):
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    ends = pd.concat([pairs[["a", "jaccard", "method"]].rename(columns={"a": "article_id"}),
                      pairs[["b", "jaccard", "method"]].rename(columns={"b": "article_id"})])
    ends = ends.sort_values(["article_id", "jaccard", "method"], ascending=[True, False, True])
    top = ends.drop_duplicates("article_id").set_index("article_id")
    members = pd.DataFrame({"article_id": top.index})
    members["group"] = members["article_id"].map(find)
    members = members.merge(dates, on="article_id").sort_values(["group", "published_at", "article_id"])
    members["original_id"] = members.groupby("group")["article_id"].transform("first")
    copies = members[members["article_id"] != members["original_id"]].copy()
    copies["similarity"] = copies["article_id"].map(top["jaccard"]).astype("float32")
    copies["method"] = copies["article_id"].map(top["method"])
    return copies[["article_id", "original_id", "similarity", "method"]].reset_index(drop=True)


@hsettings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 14), st.integers(0, 14), st.sampled_from([0.5, 0.75, 0.9, 1.0]),
                          st.sampled_from(["shared paragraphs", "near-duplicate text"])), max_size=30),
       st.lists(st.integers(0, 4), min_size=15, max_size=15), st.sets(st.integers(0, 14), max_size=15),
       st.booleans())
def test_copy_links_give_what_a_union_find_gives(edges, days, undated, with_method):
    """Groups, originals (ties of date broken by id), best similarities and their methods (ties of similarity
    broken by method), articles without a date left out (all of them, at times), pairs of an article with
    itself, pairs without a method, and the order of the rows: as the plain version."""
    edges = [(f"n{x:02d}", f"n{y:02d}", j, m) for x, y, j, m in edges]
    pairs = pd.DataFrame(edges, columns=["a", "b", "jaccard", "method"]).astype(
        {"a": "string", "b": "string", "jaccard": "float32", "method": "string"})
    if not with_method:
        pairs = pairs.drop(columns="method")
    dates = pd.DataFrame({"article_id": [f"n{i:02d}" for i in range(15) if i not in undated],
                          "published_at": pd.to_datetime([f"2024-01-0{days[i] + 1}" for i in range(15)
                                                          if i not in undated])})
    got, want = copy_links(pairs, dates), _links_by_union_find(pairs, dates)
    assert list(got.columns) == list(want.columns) == ["article_id", "original_id", "similarity", "method"]
    pd.testing.assert_frame_equal(got.reset_index(drop=True), want, check_dtype=False, check_index_type=False)
    if len(got):
        assert got["similarity"].dtype == "float32"


def _slug(url):
    return re.sub(r"-\d+$", "", url.rsplit("/", 1)[1])


def test_wire_copies_in_the_sample_are_found(built):
    """The sample's generator republishes wire stories (verbatim or lightly edited) under /world/ URLs."""
    urls = built.query("SELECT article_id, url FROM articles").set_index("article_id")["url"]
    truth = {aid for aid, u in urls.items() if "/world/" in u}
    links = built.copies()
    found = set(links["article_id"])
    correct = {a for a, o in zip(links["article_id"], links["original_id"])
               if "continentalwire" in urls[o] and _slug(urls[a]) == _slug(urls[o])}
    precision, recall = len(correct) / len(found), len(correct & truth) / len(truth)
    assert precision >= 0.95 and recall >= 0.95, (precision, recall)


def test_adoption_table_agrees_with_the_frame_articles(built):
    summary = built.frame_summary()
    for row in summary.head(5).itertuples():
        spread = frame_adoption(built.outlet_firsts([row.frame_id]))
        every = built.frame_articles(row.frame_id)
        carrying = every[every["stance"] != "rebuts"]  # only articles that carry the frame spread it
        assert len(carrying) == row.articles
        assert (every["stance"] == "rebuts").sum() == row.rebuttals
        # The adoption table rests on the articles a claim may rest on: of those, the core from the onset on.
        arts = built.query("SELECT * FROM frame_claim_articles WHERE frame_id = ?", [row.frame_id])
        assert spread["articles"].sum() == len(arts) <= row.articles
        assert spread.iloc[0]["outlet"] == row.first_outlet and spread.iloc[0]["lag_hours"] == 0
        assert spread.iloc[0]["first_seen"] == row.first_seen
        assert (spread["independent_articles"] <= spread["articles"]).all()
        assert spread["first_seen"].is_monotonic_increasing
        first = arts.groupby("outlet")["published_at"].min()
        assert (spread.set_index("outlet")["first_seen"] == first[spread["outlet"]].to_numpy()).all()
        daily = built.frame_daily(row.frame_id)
        assert daily["cumulative_outlets"].iloc[-1] == row.outlets >= len(spread)
        assert daily["articles"].sum() == row.articles
        view = built.query("SELECT * FROM frame_spread WHERE frame_id = ? ORDER BY adoption_rank", [row.frame_id])
        adopted = view[view["adoption_rank"].notna()]
        assert adopted["outlet"].tolist() == spread["outlet"].tolist()
        assert view["rebuttals"].sum() == row.rebuttals


def test_spread_command(built, hashed_sample_db):
    fid = int(built.frame_summary().iloc[0]["frame_id"])
    r = CliRunner().invoke(main, ["spread", str(fid), "--db", str(hashed_sample_db)])
    assert r.exit_code == 0, r.output
    assert "first movers (within 48 h)" in r.output and "adoption_rank" in r.output
    r = CliRunner().invoke(main, ["spread", "99999", "--db", str(hashed_sample_db)])
    assert r.exit_code != 0 and "no frame 99999" in r.output


def test_attention_peak_and_half_life():
    from app.spread import attention

    daily = pd.DataFrame({"day": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-05", "2024-01-09", "2024-01-20"]),
                          "articles": [2, 10, 4, 4, 2]})
    a = attention(daily)
    # From the peak (Jan 2, 10 articles) on there are 20 articles; half (10) is reached on the peak day.
    assert a == {"peak_day": pd.Timestamp("2024-01-02").date(), "peak_articles": 10, "half_life_days": 0}
    slow = daily.assign(articles=[1, 3, 3, 3, 3])
    assert attention(slow)["half_life_days"] == 3  # 12 from the peak on: 6 reached on Jan 5
    assert attention(daily.iloc[0:0])["peak_day"] is None


def test_near_copies_survive_a_changed_word_in_every_paragraph_but_boilerplate_does_not_pair():
    from app.dedup import near_copy_pairs

    story = ["The convoy of forty trucks crossed the bridge near the river town at dawn, witnesses said on Tuesday.",
             "Local officials, who counted the vehicles from the town hall, crossed off names on a list of conscripts.",
             "Farmers along the road described soldiers who looked exhausted and carried little equipment of their own.",
             "The regional governor declined to comment, but a spokesman crossed the square to speak to reporters.",
             "Rail traffic on the main line was halted for six hours while the trains were loaded at the depot.",
             "By evening the column had crossed into the neighbouring province, according to a police statement."]
    edited = [p.replace("crossed", "passed") for p in story]
    boiler = ["Sign up for our newsletter to get the day's most important stories every morning in your inbox.",
              "Copyright Example Media. All rights reserved. Not to be published without permission."]
    other = ["A city council vote on school budgets was delayed again after a long debate about class sizes.",
             "Residents asked for new bus routes at a meeting last week, and the transport office promised a study.",
             "The library will extend its opening hours in the summer, the mayor's office announced on Friday."]
    texts = {"orig": "\n\n".join(story + boiler), "edit": "\n\n".join(edited),
             "other": "\n\n".join(other + boiler)}
    pairs = near_copy_pairs(texts, threshold=0.5, max_bucket=200)
    assert [(a, b) for a, b in zip(pairs["a"], pairs["b"])] == [("edit", "orig")]
    assert 0.5 <= pairs["jaccard"].iloc[0] < 1
