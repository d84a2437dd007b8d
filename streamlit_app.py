"""Narrative Tracker dashboard: `streamlit run streamlit_app.py`."""

from pathlib import Path

import streamlit as st

ICON = Path(__file__).resolve().parent / "app" / "ui" / "static" / "icon.png"

# Report mode (report=1 in the URL) starts with the sidebar folded away, for screenshots.
# The tab icon is a file of ours: an emoji or a material icon there would be fetched from an outside host.
st.set_page_config(page_title="Narrative Tracker", layout="wide", page_icon=str(ICON),
                   initial_sidebar_state="collapsed" if st.query_params.get("report") == "1" else "auto")
# The url_path values are the addresses users share (./frame?frame=12): keep them when files move.
st.navigation(
    [
        st.Page("app/ui/pages/overview.py", title="Overview", icon=":material/dashboard:", url_path="overview", default=True),
        st.Page("app/ui/pages/frame_detail.py", title="Frame", icon=":material/timeline:", url_path="frame"),
        st.Page("app/ui/pages/compare.py", title="Compare", icon=":material/stacked_line_chart:", url_path="compare"),
        st.Page("app/ui/pages/outlets.py", title="Outlets", icon=":material/newspaper:", url_path="outlets"),
        st.Page("app/ui/pages/search.py", title="Search", icon=":material/search:", url_path="search"),
        st.Page("app/ui/pages/edit_frames.py", title="Frames", icon=":material/edit_note:", url_path="frames"),
        st.Page("app/ui/pages/corpus.py", title="Data", icon=":material/database:", url_path="data"),
    ]
).run()
