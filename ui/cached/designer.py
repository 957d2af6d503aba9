"""The designer's caches, keyed by the design's link text (one text per design): its report, graph and cost
chart (texts in the session's language) and its walk."""

from __future__ import annotations

import streamlit as st

from cnnviz.designer.analysis import DesignReport
from cnnviz.designer.registry import Reading


@st.cache_resource(show_spinner=False, max_entries=64)
def design_report(text: str) -> DesignReport:
    """Read-only, shared by the sessions that show the same design."""
    from cnnviz.designer.analysis import analyse
    from cnnviz.designer.link import from_link

    return analyse(from_link(text))


@st.cache_data(show_spinner=False, max_entries=64)
def design_graph_dot(text: str, language: str) -> str:
    from cnnviz.analysis.graph import layer_graph

    return layer_graph(design_report(text).summary, True).source


@st.cache_data(show_spinner=False, max_entries=32)
def design_cost_chart(text: str, language: str) -> dict:
    from cnnviz.analysis.charts import cost_by_block

    return cost_by_block(design_report(text).summary).to_plotly_json()


@st.cache_data(show_spinner=False, max_entries=32)
def design_walk(text: str, language: str) -> list:
    from cnnviz.lectures.stepper import walk_steps

    report = design_report(text)
    return walk_steps(report.summary, report.fields)


@st.cache_resource(show_spinner=False, max_entries=16)
def registry_reading(name: str) -> Reading:
    """A registry model read as the designer's layers (read-only, shared by every session)."""
    from cnnviz.designer.registry import read_registry

    return read_registry(name)
