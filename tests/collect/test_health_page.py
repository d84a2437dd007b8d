"""The Data page's collection health, after a real collection into the sample."""

from __future__ import annotations

import json

import pytest
import streamlit as st

from app.collect.feeds import load_feeds
from app.collect.run import collect
from app.config import load_settings
from app.store import Store
from tests.collect.conftest import QUICK, feeds_file
from tests.conftest import dashboard_on


@pytest.mark.slow
def test_the_data_page_shows_each_feeds_last_run_new_articles_and_failures(
        tmp_path, site, monkeypatch, hashed_sample_db_copy):
    db = hashed_sample_db_copy
    settings = load_settings(env={}, db=db, **QUICK)
    feeds = load_feeds(feeds_file(tmp_path, site, ("/feeds/daily.xml", None, ()),
                                  ("/feeds/evening.atom", "Evening Post", ())))
    with Store.write(db, "collect") as store:
        collect(store, settings, feeds, [])
    at = dashboard_on(monkeypatch, db)
    at.switch_page("app/ui/pages/corpus.py").run()
    assert not at.exception, at.exception
    assert "Collection health" in [h.value for h in at.subheader]
    table = next(d for d in at.dataframe if "feed or list" in d.value.columns)
    health = table.value
    # Fits the main column at 1400 px, as every table of the dashboard (tests/test_pages.py).
    from tests.test_pages import MAIN_COLUMN_PX

    config = json.loads(table.proto.columns)
    assert sum(config[c]["width"] for c in health.columns) <= MAIN_COLUMN_PX
    assert table.proto.placeholder == "—"
    rows = health.set_index("feed or list")
    assert rows.loc[site.url("/feeds/daily.xml"), "new articles"] == 5
    assert rows.loc[site.url("/feeds/evening.atom"), "pages failed"] == 4
    reasons = rows.loc[site.url("/feeds/evening.atom"), "failures by reason"]
    assert "timeout: 1" in reasons and "too big: 1" in reasons and "not HTML: 1" in reasons
    st.cache_resource.clear()
    st.cache_data.clear()
