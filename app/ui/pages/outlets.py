"""Outlets: every outlet with its attributes and what it led or followed, then one outlet's frames."""

import streamlit as st

from app.charts import outlets_figure
from app.ui import cache, keys, state
from app.ui.first_start import open_or_stop
from app.ui.text import chart_text, md

v = open_or_stop()
filters = state.sidebar_filters(v)
hours = cache.settings().first_mover_hours
st.title("Outlets")
st.caption(md(state.caption(v, filters)))

every = cache.outlets_summary(v, filters)
st.markdown(f"**{len(every)} outlets**, with the attributes kept for them (`narratives outlets --load FILE`): how many "
            f"frames each carried, and in how many it was the first outlet or a first mover (within {hours:g} hours "
            "of the frame's first article) rather than a follower.")
st.plotly_chart(outlets_figure(every, "Who led and who followed",
                               chart_text(state.caption(v, filters, source=False))
                               + " · each outlet's kind and lean after its name · most frames led at the top"),
                width="stretch", key="outlets_chart")
st.dataframe(every, hide_index=True, width="stretch", key="outlets_table", placeholder="—",
             column_order=["outlet", "kind", "lean", "country", "groups", "frames", "first", "first_mover", "followed",
                           "articles"],
             column_config={
                 "outlet": st.column_config.TextColumn("outlet", width=180),
                 "kind": st.column_config.TextColumn("kind", width=95),
                 "lean": st.column_config.TextColumn("lean", width=70, help="—: not set"),
                 "country": st.column_config.TextColumn("country", width=80, help="—: not set"),
                 "groups": st.column_config.TextColumn("groups", width=130, help="free groups, separated by ;"),
                 "frames": st.column_config.NumberColumn("frames", width=70, help="frames it carried"),
                 "first": st.column_config.NumberColumn("first", width=55, help="frames it was the first to carry"),
                 "first_mover": st.column_config.NumberColumn(
                     "first mover", width=95, help=f"frames it carried within {hours:g} hours of the first article"),
                 "followed": st.column_config.NumberColumn("followed", width=80),
                 "articles": st.column_config.NumberColumn("articles", width=75, help="in the whole corpus")})

st.subheader("One outlet, frame by frame")
names = cache.outlet_names(v)
wanted = st.query_params.get(keys.OUTLET)
outlet = st.selectbox("Outlet", names, index=names.index(wanted) if wanted in names else 0, key=keys.OUTLET)
st.query_params[keys.OUTLET] = outlet

frames = cache.outlet_frames(v, outlet, filters)
st.header(md(outlet))
attrs = every[every["outlet"] == outlet]
if len(attrs):
    a = attrs.iloc[0]
    shown = [f"{k}: {md(a[k])}" for k in ("kind", "lean", "country", "language", "groups")
             if isinstance(a[k], str) and a[k].strip()]
    st.markdown(" · ".join(shown) if shown else "No attributes set for this outlet (`narratives outlets --load FILE`).")
if frames.empty:
    st.warning("This outlet carried no frame in this selection.")
    st.stop()
roles = frames["role"].value_counts()
c1, c2, c3, c4 = st.columns(4)
c1.metric("frames carried", len(frames))
c2.metric("first to carry", int(roles.get("first", 0)))
c3.metric(f"first movers (≤ {hours:g} h)", int(roles.get("first mover", 0)))
c4.metric("followed", int(roles.get("follower", 0)))
st.markdown("Each row is a frame: when this outlet first carried it, its place in the order of adoption, the lag "
            "behind the frame's first article, and its articles with and without syndicated copies.")
st.dataframe(
    frames.assign(open=[f"./frame?{keys.FRAME}={f}" for f in frames["frame_id"]],
                  place=[f"{int(r)} of {int(n)}" for r, n in zip(frames["adoption_rank"], frames["outlets"])]),
    hide_index=True, width="stretch", placeholder="—",
    column_order=["frame_id", "label", "first_seen", "place", "lag_hours", "articles", "independent_articles", "role",
                  "open"],
    column_config={
        "frame_id": st.column_config.NumberColumn("frame", format="#%d", width=55),
        "label": st.column_config.TextColumn("frame label", width=250),
        "first_seen": st.column_config.DatetimeColumn("first carried", format="D MMM YYYY", width=105),
        "place": st.column_config.TextColumn("place", width=70, help="its place in the order of adoption, of the "
                                             "frame's outlets"),
        "lag_hours": st.column_config.NumberColumn("lag (hours)", format="%.1f", width=85,
                                                   help="hours after the frame's first article"),
        "articles": st.column_config.NumberColumn("articles", width=65),
        "independent_articles": st.column_config.NumberColumn("independent", width=90,
                                                              help="articles that are not syndicated copies"),
        "role": st.column_config.TextColumn("role", width=90),
        "open": st.column_config.LinkColumn("open", display_text="open frame", width=85),
    },
)
