"""Outlets: which frames an outlet carried, and whether it led or followed."""

import streamlit as st

from app.ui import cache, keys, state
from app.ui.first_start import open_or_stop
from app.ui.text import md

v = open_or_stop()
filters = state.sidebar_filters(v)
names = cache.outlet_names(v)
wanted = st.query_params.get(keys.OUTLET)
outlet = st.selectbox("Outlet", names, index=names.index(wanted) if wanted in names else 0, key=keys.OUTLET)
st.query_params[keys.OUTLET] = outlet

frames = cache.outlet_frames(v, outlet, filters)
st.header(md(outlet))
st.caption(md(state.caption(v, filters)))
if frames.empty:
    st.warning("This outlet carried no frame in this selection.")
    st.stop()
hours = cache.settings().first_mover_hours
roles = frames["role"].value_counts()
c1, c2, c3, c4 = st.columns(4)
c1.metric("frames carried", len(frames))
c2.metric("first to carry", int(roles.get("first", 0)))
c3.metric(f"first movers (≤ {hours:g} h)", int(roles.get("first mover", 0)))
c4.metric("followed", int(roles.get("follower", 0)))
st.markdown("Each row is a frame: when this outlet first carried it, its place in the order of adoption, the lag "
            "behind the frame's first article, and its articles with and without syndicated copies.")
st.dataframe(
    frames.assign(open=[f"./frame?{keys.FRAME}={f}" for f in frames["frame_id"]]), hide_index=True, width="stretch",
    column_config={
        "first_seen": st.column_config.DatetimeColumn("first carried", format="YYYY-MM-DD HH:mm"),
        "adoption_rank": st.column_config.NumberColumn("adoption rank", format="%d"),
        "lag_hours": st.column_config.NumberColumn("lag (hours)", format="%.1f"),
        "label": st.column_config.TextColumn("frame", width="large"),
        "open": st.column_config.LinkColumn("open", display_text="open frame"),
    },
)
