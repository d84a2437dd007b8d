"""The dashboard's entry script, in a folder of its own: Streamlit takes a ``pages`` folder beside the entry
script for pages of its own (its older multipage scheme) and, on a link straight to a page (``./frame?frame=12``),
answers "Page not found" from that list before ``st.navigation`` has run. ``app/ui/pages`` must not be that
folder."""
