"""Search: passages by meaning or by words, and the frames nearest to a sentence."""

import streamlit as st

from app.ui import cache, keys, state
from app.ui.first_start import open_or_stop
from app.ui.text import fit, md, web_urls

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
        st.dataframe(like, hide_index=True, width="stretch", placeholder="—", column_config={
            "frame_id": st.column_config.NumberColumn("frame", format="#%d", width=70),
            "label": st.column_config.TextColumn("label", width=300),
            "kind": st.column_config.TextColumn("kind", width=100),
            "articles": st.column_config.NumberColumn("articles", width=80),
            "outlets": st.column_config.NumberColumn("outlets", width=80),
            "similarity": st.column_config.ProgressColumn("similarity", min_value=0.0, max_value=1.0, format="%.2f",
                                                          width=160),
            "open": st.column_config.LinkColumn("open", display_text="open frame", width=100)})

hits = web_urls(cache.search(v, query, mode, filters), "url")
if hits.empty:
    st.subheader("Passages")
    st.warning("Nothing found in this selection.")
    st.stop()
# The searches return at most a set number of rows: the heading says what the rows are out of.
if mode == "meaning":
    st.subheader(f"Passages nearest in meaning: the first {len(hits)} of {int(hits['searched'].iloc[0]):,}")
    st.caption("Distinct passage texts in this selection, closest first (a copy's text once, with how many "
               "passages repeat it).")
else:
    total = int(hits["matches"].iloc[0])
    st.subheader(f"Passages with every word: {total:,}" if total == len(hits)
                 else f"Passages with every word: the newest {len(hits)} of {total:,}")


def frame_list(ids) -> str:
    """'#3, #12' for a list of frame ids; '—' when the passage is in no frame."""
    try:
        return ", ".join(f"#{int(f)}" for f in ids) or "—"
    except TypeError:  # missing (NULL)
        return "—"


hits = hits.assign(frames=[frame_list(fs) for fs in hits["frames"]], passage=[fit(x, 350, 3) for x in hits["text"]])
cols = (["similarity", "published_at", "outlet", "passage", "repeated_in", "frames", "url"] if mode == "meaning"
        else ["published_at", "outlet", "passage", "frames", "url"])
st.dataframe(hits[cols + ["text"]], hide_index=True, width="stretch", row_height=66, placeholder="—", column_order=cols,
             column_config={
    "similarity": st.column_config.NumberColumn("similarity", format="%.2f", width=80),
    "published_at": st.column_config.DatetimeColumn("first published", format="D MMM YYYY HH:mm", width=130),
    "outlet": st.column_config.TextColumn("outlet", width=140),
    "passage": st.column_config.TextColumn("passage", width=350),
    "repeated_in": st.column_config.NumberColumn("same text in", width=95,
                                                 help="passages with this text, syndicated copies included"),
    "frames": st.column_config.TextColumn("frames", width=70, help="—: in no frame"),
    "url": st.column_config.LinkColumn("article", display_text="open", width=60),
})
