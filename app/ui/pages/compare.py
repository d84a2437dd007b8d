"""Compare: two to five frames on one timeline, with the counts behind it."""

import pandas as pd
import streamlit as st

from app.charts import PALETTE, compare_figure
from app.ui import cache, keys, state
from app.ui.first_start import open_or_stop
from app.ui.text import chart_text, md
from app.weeks import partial_note, partial_weeks

v = open_or_stop()
filters = state.sidebar_filters(v)
caption = state.caption(v, filters)
st.title("Compare frames")
st.caption(md(caption))
summary, ids, labels = state.frames_or_stop(v, filters)
wanted = [int(x) for x in st.query_params.get(keys.COMPARE, "").split(",") if x.strip().isdigit()]
default = [f for f in wanted if f in labels][:5] or ids[:3]
chosen = st.multiselect("Frames (two to five)", ids, default=default, max_selections=5,
                        format_func=lambda f: f"#{f} · {labels[f]}", key=keys.COMPARE)
# Each chip takes the colour of its line (the n-th chip is the n-th frame, drawn in PALETTE[n]).
st.html("<style>" + "".join(
    f".st-key-{keys.COMPARE} [data-tag-index='{i}'] {{background-color: {c}; color: "
    f"{'#000' if i in (1, 4) else '#fff'};}}" for i, c in enumerate(PALETTE[:5])) + "</style>")
st.query_params[keys.COMPARE] = ",".join(str(f) for f in chosen)
if len(chosen) < 2:
    st.info("Choose at least two frames.")
    st.stop()
independent = st.toggle("Independent articles only (syndicated copies folded into their original)",
                        key=keys.COMPARE_INDEPENDENT)
weekly = cache.frame_compare(v, tuple(chosen), filters)
measure = "independent_articles" if independent else "articles"
shown_weeks = set(pd.to_datetime(weekly["week"])) if len(weekly) else set()
partial = {w: d for w, d in partial_weeks(*state.period(v, filters)).items() if w in shown_weeks}
note = partial_note(partial)
st.plotly_chart(compare_figure(weekly, {f: labels[f] for f in chosen}, measure, "Frames compared, week by week",
                               chart_text(state.caption(v, filters, source=False) + (" · " + note if note else "")),
                               partial=partial),
                width="stretch", key="compare_chart")
table = summary[summary["frame_id"].isin(chosen)].set_index("frame_id").loc[chosen].reset_index()
totals = weekly.groupby("frame_id")[["articles", "independent_articles"]].sum()
table["independent articles"] = table["frame_id"].map(totals["independent_articles"]).fillna(0).astype(int)
table["open"] = [f"./frame?{keys.FRAME}={f}" for f in table["frame_id"]]
st.dataframe(table[["frame_id", "label", "kind", "articles", "independent articles", "outlets", "first_seen",
                    "first_outlet", "open"]], hide_index=True, width="stretch", placeholder="—",
             column_order=["frame_id", "label", "articles", "independent articles", "outlets", "first_seen",
                           "first_outlet", "open"],
             column_config={"frame_id": st.column_config.NumberColumn("frame", format="#%d", width=60),
                            "label": st.column_config.TextColumn("label", width=200),
                            "articles": st.column_config.NumberColumn("articles", width=75),
                            "independent articles": st.column_config.NumberColumn(
                                "independent articles", width=145, help="syndicated copies left out"),
                            "outlets": st.column_config.NumberColumn("outlets", width=70),
                            "first_seen": st.column_config.DatetimeColumn("first seen", format="D MMM YYYY HH:mm",
                                                                          width=135),
                            "first_outlet": st.column_config.TextColumn("first outlet", width=150),
                            "open": st.column_config.LinkColumn("open", display_text="open frame", width=80)})
with st.expander("Counts per week (the numbers behind the chart)"):
    st.dataframe(weekly, hide_index=True, width="stretch", column_config={
        "frame_id": st.column_config.NumberColumn("frame", format="#%d"),
        "week": st.column_config.DatetimeColumn("week starting", format="D MMM YYYY"),
        "articles": st.column_config.NumberColumn("articles"),
        "independent_articles": st.column_config.NumberColumn("independent articles"),
        "outlets": st.column_config.NumberColumn("outlets")})
