"""Narrative Tracker dashboard from a checkout: `streamlit run streamlit_app.py`. The app is
app/ui/entry/main.py, part of the package, which `narratives serve` runs (in a checkout or an installed copy)."""

from app.ui.entry.main import run

run()
