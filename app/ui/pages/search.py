"""Search: passages by meaning or by words, and the frames nearest to a sentence."""

import streamlit as st

from app.ui import cache, keys, state
from app.ui.first_start import open_or_stop
from app.ui.text import md, web_urls

v = open_or_stop()
filters = state.sidebar_filters(v)
st.title("Search passages")
st.caption(md(state.caption(v, filters)))
modes = {"meaning": "By meaning (semantic)", "keyword": "By words (every word must appear)"}
mode_wanted = st.query_params.get(keys.SEARCH_MODE, "meaning")
mode = st.radio("Search", list(modes), format_func=modes.get, horizontal=True, key=keys.SEARCH_MODE,
                index=list(modes).index(mode_wanted) if mode_wanted in modes else 0)
query = st.text_input("A sentence or a few words", value=st.query_params.get(keys.SEARCH, ""), key=keys.SEARCH,
                      placeholder="e.g. soldiers sent to die as cannon fodder")
st.query_params[keys.SEARCH] = query
st.query_params[keys.SEARCH_MODE] = mode
if not query.strip():
    st.info("Type a sentence to find passages that say the same thing in other words, or switch to words.")
    st.stop()

if mode == "meaning":
    like = cache.frames_like(v, query)
    if len(like):
        st.subheader("Frames like this sentence")
        like = like.assign(open=[f"./frame?{keys.FRAME}={f}" for f in like["frame_id"]])
        st.dataframe(like, hide_index=True, width="stretch", column_config={
            "similarity": st.column_config.ProgressColumn("similarity", min_value=0.0, max_value=1.0, format="%.2f"),
            "open": st.column_config.LinkColumn("open", display_text="open frame")})

hits = web_urls(cache.search(v, query, mode, filters), "url")
st.subheader(f"Passages ({len(hits)})")
if hits.empty:
    st.warning("Nothing found in this selection.")
    st.stop()


def frame_list(ids) -> str:
    """'#3, #12' for a list of frame ids; '—' when the passage is in no frame."""
    try:
        return ", ".join(f"#{int(f)}" for f in ids) or "—"
    except TypeError:  # missing (NULL)
        return "—"


hits = hits.assign(frames=[frame_list(fs) for fs in hits["frames"]])
cols = (["similarity", "published_at", "outlet", "text", "repeated_in", "frames", "url"] if mode == "meaning"
        else ["published_at", "outlet", "text", "frames", "url"])
st.dataframe(hits[cols], hide_index=True, width="stretch", column_config={
    "similarity": st.column_config.NumberColumn("similarity", format="%.2f"),
    "published_at": st.column_config.DatetimeColumn("first published", format="YYYY-MM-DD HH:mm"),
    "text": st.column_config.TextColumn("passage", width="large"),
    "repeated_in": st.column_config.NumberColumn("passages with this text", help="syndicated copies included"),
    "url": st.column_config.LinkColumn("article"),
})
