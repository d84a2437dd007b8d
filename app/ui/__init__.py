"""Streamlit pages and cached accessors: the only code that imports streamlit."""
