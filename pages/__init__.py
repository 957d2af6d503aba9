"""Streamlit pages: thin views that read widgets, call ``cnnviz`` and draw."""
