"""Onsets that hold on real news: the AllSides North Korea slice built once with the real model (a few
minutes), then, for eight memorable phrases with a known first use, the frame that best matches the
phrase's articles must date its first seen within 3 days of the phrase's first literal uses
(definitions in bench/onsets_nk.py). Skipped without the corpora."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest

from app.store import Store

pytestmark = [pytest.mark.corpus, pytest.mark.integration]
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))


@pytest.fixture(scope="module")
def nk(nk_slice_db):
    """The AllSides articles that mention North Korea, built from scratch (``nk_slice_db``, once a session)."""
    store = Store.open_read(nk_slice_db)
    yield store
    store.close()


def test_the_slice_is_what_the_check_expects(nk):
    assert 1100 <= nk.query_value("SELECT count(*) FROM articles") <= 1300
    assert nk.date_source_counts() == {"publisher": nk.query_value("SELECT count(*) FROM articles")}


@pytest.mark.parametrize("phrase", ["fire and fury", "rocket man", "nuclear button", "dotard", "totally destroy",
                                    "mentally deranged", "locked and loaded", "major, major conflict"])
def test_the_frame_of_a_phrase_starts_within_three_days_of_its_first_uses(nk, phrase):
    from onsets_nk import CHECKED, TOLERANCE_DAYS, check

    result = check(nk, phrase)
    said = pd.Timestamp(CHECKED[phrase])
    # The reference is the first literal use taken up by another outlet, within days of when it was said.
    assert result["reference"] is not None and 0 <= (result["reference"] - said).days <= 2, result
    assert result["frame_id"] is not None and result["in_frame"] >= 2, result
    assert result["error_days"] is not None and abs(result["error_days"]) <= TOLERANCE_DAYS, result


def test_a_page_dated_before_the_speech_it_quotes_is_flagged_and_left_out(nk):
    """Vox's page dated 2017-07-06 quotes "fire and fury" (8 August) and events of late July."""
    flags = nk.query("""SELECT a.article_id, d.reason FROM articles a JOIN outlets o USING (outlet_id)
                        JOIN date_flags d USING (article_id)
                        WHERE o.name = 'Vox' AND CAST(a.published_at AS DATE) = DATE '2017-07-06'
                          AND a.text ILIKE '%fire and fury%'""")
    assert "refers to a later date" in set(flags["reason"])
    claims = nk.query("SELECT count(*) AS n FROM frame_claim_articles WHERE article_id IN (SELECT unnest(?::VARCHAR[]))",
                      [flags["article_id"].tolist()])["n"].iloc[0]
    assert claims == 0


def test_the_nuclear_button_frame_keeps_its_earlier_passages_as_precursors(nk):
    """Its articles from before January 2018 (loosely similar talk of nuclear buttons and arsenals) are not
    its onset: they stay visible as precursors, and first seen is the core onset of 2018."""
    from onsets_nk import check

    result = check(nk, "nuclear button")
    precursors = nk.query("SELECT * FROM frame_precursors WHERE frame_id = ?", [result["frame_id"]])
    assert len(precursors) >= 1
    assert (precursors["published_at"] < result["first_seen"]).all()
    assert (precursors["published_at"] < pd.Timestamp("2018-01-01")).any()  # the earlier passages stay visible
    assert result["first_seen"] >= pd.Timestamp("2018-01-01")
