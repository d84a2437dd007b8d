"""Narrative Tracker dashboard: `streamlit run streamlit_app.py`."""

import streamlit as st

st.set_page_config(page_title="Narrative Tracker", layout="wide")
st.navigation(
    [
        st.Page("app/ui/pages/overview.py", title="Overview", icon=":material/dashboard:", url_path="overview", default=True),
        st.Page("app/ui/pages/frame.py", title="Frame", icon=":material/timeline:", url_path="frame"),
        st.Page("app/ui/pages/outlets.py", title="Outlets", icon=":material/newspaper:", url_path="outlets"),
    ]
).run()
