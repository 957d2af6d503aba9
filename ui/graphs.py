"""A layer graph that the browser draws (graphviz), with the graph in words folded beneath it: the drawing has no
text alternative of its own for a screen reader."""

from __future__ import annotations

import streamlit as st

from cnnviz.analysis.graph_text import describe
from cnnviz.i18n import _
from ui.plain import plain


def chart(dot: str, **options) -> None:
    """``st.graphviz_chart(dot, **options)`` and, in a closed expander, what it shows in words."""
    st.graphviz_chart(dot, **options)
    with st.expander(_("The graph in words")):
        st.markdown(plain(describe(dot)))
