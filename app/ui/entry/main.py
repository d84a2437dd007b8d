"""The dashboard's entry: `narratives serve` runs this file (`streamlit run` on its path, in a checkout or in
an installed copy); `streamlit_app.py` at the top of a checkout calls :func:`run` too. It lives in a folder of
its own, away from app/ui/pages (see this package's docstring)."""

from pathlib import Path

import streamlit as st

HERE = Path(__file__).resolve().parent.parent  # app/ui
# The tab icon is a file of ours: an emoji or a material icon there would be fetched from an outside host.
ICON = HERE / "static" / "icon.png"


def run() -> None:
    # Report mode (report=1 in the URL) starts with the sidebar folded away, for screenshots.
    st.set_page_config(page_title="Narrative Tracker", layout="wide", page_icon=str(ICON),
                       initial_sidebar_state="collapsed" if st.query_params.get("report") == "1" else "auto")
    # Pages by their path in the package, wherever the entry script is. The url_path values are the
    # addresses users share (./frame?frame=12): keep them when files move.
    pages = HERE / "pages"
    st.navigation(
        [
            st.Page(pages / "overview.py", title="Overview", icon=":material/dashboard:", url_path="overview", default=True),
            st.Page(pages / "frame_detail.py", title="Frame", icon=":material/timeline:", url_path="frame"),
            st.Page(pages / "compare.py", title="Compare", icon=":material/stacked_line_chart:", url_path="compare"),
            st.Page(pages / "outlets.py", title="Outlets", icon=":material/newspaper:", url_path="outlets"),
            st.Page(pages / "search.py", title="Search", icon=":material/search:", url_path="search"),
            st.Page(pages / "edit_frames.py", title="Frames", icon=":material/edit_note:", url_path="frames"),
            st.Page(pages / "corpus.py", title="Data", icon=":material/database:", url_path="data"),
        ]
    ).run()


if __name__ == "__main__":  # `streamlit run app/ui/entry/main.py` runs a script as __main__
    run()
