"""Overview: every frame with its volume, reach, first mover and weekly sparkline."""

import datetime as dt

import pandas as pd
import streamlit as st

from app.charts import weekly_series
from app.ui import cache, keys, state
from app.ui.first_start import open_or_stop
from app.ui.text import md

v = open_or_stop()
filters = state.sidebar_filters(v)
st.title("Narrative frames")
st.caption(md(state.caption(v, filters)))

summary = cache.frame_summary(v, filters)
if summary.empty:
    st.warning("No frames in this selection. Widen the date range or the outlets, or run `narratives build`.")
    st.stop()

weekly = cache.frame_weekly(v, filters)
weeks = sorted(weekly["week"].unique())
series = weekly_series(weekly, summary["frame_id"].tolist(), weeks)
table = pd.DataFrame({
    "frame": summary["frame_id"],
    "label": summary["label"],
    "in a sentence": summary["frame_id"].map(cache.frame_sentences(v)),
    "kind": summary["kind"],
    "articles": summary["articles"],
    "outlets": summary["outlets"],
    "first seen": summary["first_seen"],
    "first outlet": summary["first_outlet"],
    "weekly articles": [series[f] for f in summary["frame_id"]],
    "open": [f"./frame?{keys.FRAME}={f}" for f in summary["frame_id"]],
})
st.markdown(f"**{len(table)} frames**, busiest first. Counts are all articles (copies included). "
            "Select a row, or follow *open*, to see how a frame spread.")
event = st.dataframe(
    table, hide_index=True, width="stretch", key=keys.OVERVIEW_TABLE, on_select="rerun",
    selection_mode="single-row",
    column_config={
        "frame": st.column_config.NumberColumn("frame", format="%d", width="small"),
        "label": st.column_config.TextColumn("label", width="large"),
        "in a sentence": st.column_config.TextColumn(
            "in a sentence", width="large", help="The frame's most representative sentence that holds its label"),
        "first seen": st.column_config.DatetimeColumn("first seen", format="YYYY-MM-DD HH:mm"),
        "weekly articles": st.column_config.LineChartColumn("weekly articles", y_min=0),
        "open": st.column_config.LinkColumn("open", display_text="open frame"),
    },
)
st.subheader("Weekly report")
start, end, note = cache.report_period(v, dt.date.today())
week = st.date_input("Week starting (Monday)", value=start, key=keys.REPORT_WEEK,
                     help="Top frames, new frames and their first movers, frames that grew without new evidence, "
                          "and the busiest frames' timelines: an HTML page, a PNG of every chart and the counts "
                          "behind each as CSV (the same as `narratives report`).")
monday = week - dt.timedelta(days=week.weekday())
if note and monday == start:
    st.caption(md(note))
if st.button("Prepare the report", key=keys.REPORT_BUILD):
    try:
        st.session_state[keys.REPORT_ZIP] = (monday, cache.report_zip(v, monday, monday + dt.timedelta(days=6), note))
    except Exception as exc:  # the PNGs need a browser on the server
        st.error(f"The report could not be drawn: {md(exc)}")
ready = st.session_state.get(keys.REPORT_ZIP)
if ready and ready[0] == monday:
    st.download_button(f"Download the report for {monday:%d %b} – {monday + dt.timedelta(days=6):%d %b %Y} (zip)",
                       ready[1], file_name=f"narratives-report-{monday:%Y-%m-%d}.zip", mime="application/zip",
                       key=keys.REPORT_DOWNLOAD)

rows = event.selection.rows if event is not None else []
if rows:
    chosen = int(table.iloc[rows[0]]["frame"])
    st.query_params[keys.FRAME] = str(chosen)
    st.switch_page("app/ui/pages/frame_detail.py", query_params={keys.FRAME: str(chosen)})
