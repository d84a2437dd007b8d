"""Compare: two to five frames on one timeline, with the counts behind it."""

import streamlit as st

from app.charts import compare_figure
from app.ui import cache, keys, state
from app.ui.first_start import open_or_stop
from app.ui.text import chart_text, md

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
st.query_params[keys.COMPARE] = ",".join(str(f) for f in chosen)
if len(chosen) < 2:
    st.info("Choose at least two frames.")
    st.stop()
independent = st.toggle("Independent articles only (syndicated copies folded into their original)",
                        key=keys.COMPARE_INDEPENDENT)
weekly = cache.frame_compare(v, tuple(chosen), filters)
measure = "independent_articles" if independent else "articles"
st.plotly_chart(compare_figure(weekly, {f: labels[f] for f in chosen}, measure,
                               "Frames compared, week by week", chart_text(caption)),
                width="stretch", key="compare_chart")
table = summary[summary["frame_id"].isin(chosen)].set_index("frame_id").loc[chosen].reset_index()
totals = weekly.groupby("frame_id")[["articles", "independent_articles"]].sum()
table["independent articles"] = table["frame_id"].map(totals["independent_articles"]).fillna(0).astype(int)
table["open"] = [f"./frame?{keys.FRAME}={f}" for f in table["frame_id"]]
st.dataframe(table[["frame_id", "label", "kind", "articles", "independent articles", "outlets", "first_seen",
                    "first_outlet", "open"]], hide_index=True, width="stretch",
             column_config={"first_seen": st.column_config.DatetimeColumn("first seen", format="YYYY-MM-DD HH:mm"),
                            "open": st.column_config.LinkColumn("open", display_text="open frame")})
with st.expander("Counts per week (the numbers behind the chart)"):
    st.dataframe(weekly, hide_index=True, width="stretch")
