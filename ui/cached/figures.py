"""Plotly figures of the pages' first views, kept as plotly JSON: building and validating a figure takes plotly
0.05-0.3 s, on every run of the page that shows it."""

from __future__ import annotations

from collections.abc import Callable, Hashable

import streamlit as st

from cnnviz.i18n import current


def figure(key: Hashable, build: Callable[[], object]) -> dict:
    """``build()``'s figure as plotly JSON, built once per ``key`` and language. ``key`` names everything the figure
    is drawn from (the figure's name and every setting and input it reads): one key is one picture."""
    return _figure(key, current(), build)


@st.cache_data(show_spinner=False, max_entries=256)
def _figure(key: Hashable, language: str, _build: Callable[[], object]) -> dict:
    return _build().to_plotly_json()
