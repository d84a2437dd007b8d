"""The dashboard: the only code that imports streamlit.

pages/        one file per page; they only render
cache.py      every cached read of the store (st.cache_data / st.cache_resource)
first_start.py  a database to show: the sample built on first start, an old one upgraded
writes.py     builds and frame edits from the dashboard, with a progress bar; caches cleared after
state.py      the sidebar's filters and report mode, kept in the URL; the view's caption
keys.py       widget keys and query parameters
text.py       text from articles and users, made safe to show
uploads.py    files sent through the browser, saved under a name made here
"""
