"""The Data page's collection health: per feed or URL list of `narratives collect`, its last run, the new
articles and failures of that run (by reason), and the articles it gave in all runs."""

from __future__ import annotations

import streamlit as st

from app.ui import cache


def render_collect_health(ver: tuple) -> None:
    table = cache.collect_health(ver)
    st.subheader("Collection health")
    if table.empty:
        st.markdown("No collection yet. `narratives collect --feeds feeds.toml` fetches the articles of news feeds "
                    "(README: Your own articles).")
        return
    unreadable = int(table["source_unreadable"].sum())
    if unreadable:
        st.warning(f"{unreadable} feed(s) or list(s) could not be read in their last run: see the table.")
    shown = table.rename(columns={"source": "feed or list", "last_run": "last run", "source_unreadable": "unreadable",
                                  "new_articles": "new articles", "failed": "pages failed",
                                  "articles_all_runs": "articles (all runs)", "failures_by_reason": "failures by reason"})
    st.dataframe(shown, hide_index=True, width="stretch", placeholder="—", column_config={
        "feed or list": st.column_config.TextColumn("feed or list", width=240),
        "last run": st.column_config.DatetimeColumn("last run (UTC)", format="D MMM YYYY HH:mm", width=130),
        "unreadable": st.column_config.CheckboxColumn("unreadable", width=80),
        "new articles": st.column_config.NumberColumn("new articles", width=70),
        "pages failed": st.column_config.NumberColumn("pages failed", width=70),
        "articles (all runs)": st.column_config.NumberColumn("articles (all runs)", width=80),
        "failures by reason": st.column_config.TextColumn("failures by reason", width=250)})
    st.caption("Counts of each source's last run; every fetch, with URL, HTTP status and reason: "
               "`narratives export fetch_log`.")
