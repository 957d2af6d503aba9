"""Expanders whose content is drawn only while they are open.

A closed expander's charts and tables cost a page's first view nothing: the server does not build them and the
browser does not load their scripts (plotly's alone is 4.7 MB, which a fresh tab would otherwise fetch and compile
before the page settles). Opening one reruns the page. Open or closed is in the link (``?ilsvrc=1``).
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from ui import url_state


def fold(label: str, param: str, key: str, draw: Callable[[], None], expanded: bool = False) -> None:
    """An expander titled ``label`` (already translated) that runs ``draw`` inside it only while it is open."""
    url_state.flag(param, key, expanded)
    # Set on every run: the label is part of the widget's identity, so after a change of language the expander is a
    # new widget that would start closed.
    st.session_state[key] = st.session_state[key]
    container = st.expander(label, key=key, on_change="rerun")
    if container.open:
        with container:
            draw()
