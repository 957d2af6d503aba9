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


@st.cache_data(show_spinner=False, max_entries=64)
def cost_chart(model: str, input_size: int | None) -> dict:
    """The figure as a dict: building plotly subplots costs more than the rest of the page."""
    from cnnviz.charts import cost_by_block

    return cost_by_block(summary(model, input_size)).to_plotly_json()


@st.cache_data(show_spinner=False, max_entries=64)
def block_dot(model: str, block: str) -> str:
    from cnnviz.graph import block_graph

    return block_graph(summary(model), block).source


@st.cache_data(show_spinner="Building the paper's version…", max_entries=16)
def departure_counts(arch: str) -> list[dict]:
    from cnnviz.paper_vs_impl import departures_for

    rows = []
    for departure in departures_for(arch):
        ours, paper = departure.build_implementation(), departure.build_paper()
        rows.append({"title": departure.title, "explanation": departure.explanation,
                     "implementation": departure.implementation, "paper": departure.paper,
                     "impl_params": ours.inference_params, "paper_params": paper.inference_params,
                     "impl_macs": ours.total_macs, "paper_macs": paper.total_macs})
    return rows


@st.cache_data(show_spinner=False, max_entries=32)
def checked_claims(arch: str) -> list[dict]:
    from cnnviz.notes_check import NOTES, claims_for

    return [{"notes": f"{c.notes} ({NOTES[c.notes]})", "quote": c.quote, "claimed": c.claimed,
             "computed": c.computed, "unit": c.unit, "correct": c.correct, "explanation": c.explanation}
            for c in claims_for(arch)]
