"""Overview: the stories, and every frame grouped under its story with its volume, reach, first mover and
weekly sparkline."""

import datetime as dt

import pandas as pd
import streamlit as st

from app.charts import weekly_series
from app.ui import cache, keys, state
from app.ui.first_start import open_or_stop
from app.ui.text import counted, fit, md
from app.weeks import partial_weeks, week_start

v = open_or_stop()
filters = state.sidebar_filters(v)
st.title("Narrative frames")
st.caption(md(state.caption(v, filters)))

summary = cache.frames_by_story(v, filters)
if summary.empty:
    st.warning("No frames in this selection. Widen the date range or the outlets, or run `narratives build`.")
    st.stop()
stories = cache.story_summary(v, filters)

st.subheader("Stories")
st.markdown(f"**{counted(len(stories), 'story', 'stories')}**, busiest first: a story is the event or topic a set of frames belongs to "
            "(frames alike in subject, or told by the same articles), named after its largest frame.")
st.dataframe(pd.DataFrame({
    "story": stories["story_id"], "label": stories["label"], "frames": stories["frames"],
    "articles": stories["articles"], "outlets": stories["outlets"], "first seen": stories["first_seen"],
    "last seen": stories["last_seen"],
}), hide_index=True, width="stretch", key=keys.STORIES_TABLE, column_config={
    "story": st.column_config.NumberColumn("story", format="#%d", width=60),
    "label": st.column_config.TextColumn("named after its largest frame", width=330),
    "frames": st.column_config.NumberColumn("frames", width=70),
    "articles": st.column_config.NumberColumn("articles", width=80),
    "outlets": st.column_config.NumberColumn("outlets", width=80),
    "first seen": st.column_config.DatetimeColumn("first seen", format="D MMM YYYY", width=120),
    "last seen": st.column_config.DatetimeColumn("last seen", format="D MMM YYYY", width=120),
}, placeholder="—")

choices = [None, *stories["story_id"].astype(int).tolist()]
names = {int(r.story_id): f"#{int(r.story_id)} · {r.label} ({int(r.frames)} frames)" for r in stories.itertuples()}
wanted = st.query_params.get(keys.OVERVIEW_STORY)
story = st.selectbox("Frames of", choices, key=keys.OVERVIEW_STORY,
                     index=choices.index(int(wanted)) if wanted and wanted.isdigit() and int(wanted) in choices else 0,
                     format_func=lambda s: "every story" if s is None else names[s])
if story is None:
    st.query_params.pop(keys.OVERVIEW_STORY, None)
else:
    st.query_params[keys.OVERVIEW_STORY] = str(story)
    summary = summary[summary["story_id"] == story].reset_index(drop=True)

weekly = cache.frame_weekly(v, filters)
# A last week the view covers only in part would end every sparkline in a false drop: it is left out of them.
view_start, view_end = state.period(v, filters)
cut = {w.date() for w in partial_weeks(view_start, view_end) if w == week_start(view_end)}
weeks = [w for w in sorted(weekly["week"].unique()) if pd.Timestamp(w).date() not in cut]
series = weekly_series(weekly, summary["frame_id"].tolist(), weeks)
table = pd.DataFrame({
    "story": summary["story_id"],
    "story label": summary["story"],
    "frame": summary["frame_id"],
    "label": [f"{label} (seeded)" if kind == "seeded" else label for label, kind in zip(summary["label"], summary["kind"])],
    "in a sentence": [fit(x, 300, 4) for x in summary["frame_id"].map(cache.frame_sentences(v))],
    "kind": summary["kind"],
    "articles": summary["articles"],
    "outlets": summary["outlets"],
    "first seen": summary["first_seen"],
    "first outlet": summary["first_outlet"],
    "first told": [f"{o}, {t.day}\u00a0{t:%b}\u00a0{t.year}" if pd.notna(t) else ""  # the date on one line
                   for t, o in zip(summary["first_seen"], summary["first_outlet"])],
    "weekly articles": [series[f] for f in summary["frame_id"]],
    "open": [f"./frame?{keys.FRAME}={f}" for f in summary["frame_id"]],
})
st.subheader("Frames")
st.markdown(f"**{counted(len(table), 'frame')}**: the frames seeded in the seeds file first, then the discovered ones "
            "grouped by story (busiest story first, as in the table above), busiest frame first within each. Counts are all articles (copies included). Select a row, or follow *open*, to see "
            "how a frame spread.")
# Every column shown fits the main column at 1400 px (no sideways scrolling): long text wraps over the taller
# rows. The story and kind stay in the data (selection, tests) but are not shown: the order groups the stories.
event = st.dataframe(
    table, hide_index=True, width="stretch", key=keys.OVERVIEW_TABLE, on_select="rerun",
    selection_mode="single-row", row_height=88, height=88 * min(len(table), 7) + 40, placeholder="—",
    column_order=["frame", "label", "in a sentence", "articles", "outlets", "first told", "weekly articles", "open"],
    column_config={
        "frame": st.column_config.NumberColumn("frame", format="#%d", width=52),
        "label": st.column_config.TextColumn("label", width=130),
        "in a sentence": st.column_config.TextColumn(
            "in a sentence", width=300, help="The frame's most representative sentence that holds its label"),
        "articles": st.column_config.NumberColumn("articles", width=66),
        "outlets": st.column_config.NumberColumn("outlets", width=62),
        "first told": st.column_config.TextColumn("first told", width=130,
                                                  help="When and by which outlet the frame was first seen"),
        "weekly articles": st.column_config.LineChartColumn(
            "per week", y_min=0, width=86, help="Articles per week over the period (a last week the period covers "
                                                "only in part is left out: it would read as a drop)"),
        "open": st.column_config.LinkColumn("open", display_text="open", width=52),
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
