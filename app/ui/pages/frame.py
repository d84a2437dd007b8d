"""Frame: how one frame spread across outlets, and the passages behind every mark."""

import streamlit as st

from app.charts import lineage_figure, spread_figure, timeline_figure
from app.propagation import attention
from app.ui import data, keys

v = data.open_or_stop()
filters = data.sidebar_filters(v)
summary = data.frame_summary(v, filters)
if summary.empty:
    st.warning("No frames in this selection.")
    st.stop()

ids = summary["frame_id"].astype(int).tolist()
labels = dict(zip(ids, summary["label"]))
wanted = st.query_params.get(keys.FRAME)
default = int(wanted) if wanted and wanted.isdigit() and int(wanted) in labels else ids[0]
frame_id = st.selectbox("Frame", ids, index=ids.index(default), format_func=lambda f: f"#{f} · {labels[f]}",
                        key=keys.FRAME)
st.query_params[keys.FRAME] = str(frame_id)

info = data.frame(v, frame_id)
row = summary[summary["frame_id"] == frame_id].iloc[0]
st.header(f"#{frame_id} · {info['label']}")
st.caption(data.caption(v, filters))
c1, c2, c3 = st.columns(3)
c1.metric("articles", int(row["articles"]))
c2.metric("outlets", int(row["outlets"]))
c3.metric("first seen", f"{row['first_seen']:%d %b %Y}")
st.markdown(f"First told by **{row['first_outlet']}** on {row['first_seen']:%d %b %Y, %H:%M} UTC; "
            f"last seen {row['last_seen']:%d %b %Y}.")
if info.get("exemplar"):
    st.markdown("**Most representative passage** "
                f"({info['exemplar_outlet']}, [article]({info['exemplar_url']})):" if info.get("exemplar_url")
                else "**Most representative passage:**")
    st.text(info["exemplar"])

timeline = data.frame_timeline(v, frame_id, filters)
fig = timeline_figure(timeline, f"How “{info['label']}” spread, outlet by outlet",
                      data.caption(v, filters) + " · all articles, copies included")
st.plotly_chart(fig, width="stretch", key="timeline")

daily = data.frame_daily(v, frame_id, filters)
att = attention(daily)
repeaters = int((data.frame_spread(v, frame_id, filters)["independent_articles"] == 0).sum())
st.markdown(f"Peak: **{att['peak_day']:%d %b %Y}** ({att['peak_articles']} articles). Half-life of attention: "
            f"**{att['half_life_days']} days** (from the peak until half of the articles since the peak had "
            f"appeared). Outlets that only repeated it through syndicated copies: **{repeaters}**.")
st.plotly_chart(spread_figure(daily, f"Spread curve of “{info['label']}”", data.caption(v, filters)),
                width="stretch", key="spread")

adoption = data.frame_spread(v, frame_id, filters)
hours = data.settings().first_mover_hours
movers = adoption[adoption["lag_hours"] <= hours]["outlet"].tolist()
st.subheader("Adoption")
st.markdown(f"**First movers** (within {hours:g} hours of the first article): {', '.join(movers)}. "
            f"Independent articles exclude syndicated copies.")
st.dataframe(adoption.drop(columns=["first_article_id"]), hide_index=True, width="stretch",
             column_config={"first_seen": st.column_config.DatetimeColumn("first seen", format="YYYY-MM-DD HH:mm"),
                            "lag_hours": st.column_config.NumberColumn("lag (hours)", format="%.1f")})

edges = data.frame_edges(v, frame_id)
st.subheader("Who picked it up from whom")
st.plotly_chart(lineage_figure(adoption, edges, f"Lineage of “{info['label']}”",
                               "each outlet's first article, linked to its most likely source"),
                width="stretch", key="lineage")
st.dataframe(edges[["to_outlet", "from_outlet", "kind", "score", "evidence", "to_published_at"]], hide_index=True,
             width="stretch", column_config={
                 "to_outlet": "outlet", "from_outlet": "most likely source", "kind": "evidence kind",
                 "score": st.column_config.NumberColumn("score", format="%.2f"),
                 "to_published_at": st.column_config.DatetimeColumn("first article", format="YYYY-MM-DD HH:mm")})

passages = data.frame_passages(v, frame_id, filters)
st.subheader(f"Passages in this frame ({len(passages)})")
st.dataframe(
    passages[["published_at", "outlet", "text", "score", "match", "url", "title"]], hide_index=True, width="stretch",
    column_config={
        "published_at": st.column_config.DatetimeColumn("published", format="YYYY-MM-DD HH:mm"),
        "text": st.column_config.TextColumn("passage", width="large"),
        "score": st.column_config.NumberColumn("similarity", format="%.2f"),
        "match": st.column_config.TextColumn("matched by", help="cluster, or for seeded frames literal or paraphrase"),
        "url": st.column_config.LinkColumn("article"),
    },
)
