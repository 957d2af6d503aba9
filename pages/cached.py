"""The one place that defines the app's caches (shared across sessions and threads)."""

from __future__ import annotations

import streamlit as st

from cnnviz.analysis import Summary, summarize
from cnnviz.graph import layer_graph, svg
from cnnviz.registry import resolve
from cnnviz.source import model_sources


@st.cache_resource(show_spinner="Tracing the model on the meta device…", max_entries=64)
def summary(model: str, input_size: int | None = None) -> Summary:
    """Read-only once cached: callers must not mutate it."""
    return summarize(resolve(model)[1], input_size)


@st.cache_data(show_spinner=False, max_entries=64)
def graph_dot(model: str, input_size: int | None, unfold: tuple[str, ...] | bool) -> str:
    return layer_graph(summary(model, input_size), unfold).source


@st.cache_data(show_spinner="Rendering SVG…", max_entries=32)
def graph_svg(model: str, input_size: int | None, unfold: tuple[str, ...] | bool) -> bytes | None:
    return svg(layer_graph(summary(model, input_size), unfold))


@st.cache_data(show_spinner=False, max_entries=64)
def sources(model: str) -> list[tuple[str, str]]:
    return model_sources(resolve(model)[1])
