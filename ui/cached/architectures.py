"""The architecture pages' caches: a registry model's trace, graphs, walk, cost chart, sources, the notes' checks
and its receptive fields (the concept labs and the walk share them)."""

from __future__ import annotations

import streamlit as st

from cnnviz.analysis.graph import layer_graph, svg
from cnnviz.analysis.source import model_sources
from cnnviz.analysis.summary import Summary, summary_of
from cnnviz.i18n import _, current
from cnnviz.zoo.registry import resolve


def summary(model: str, input_size: int | None = None) -> Summary:
    """Read-only: callers must not mutate it. Shared with every other use in the process (``summary_of``)."""
    return summary_of(model, input_size)


def key_facts(arch: str, model: str, input_size: int | None = None) -> list[tuple[str, str]]:
    """The key idea's facts, in the session's language. Cached: some trace the other variants (MobileNet's widths)
    or build and run a layer (AlexNet's grouped convolutions), half a second on every view otherwise."""
    return _key_facts(arch, model, input_size, current())


@st.cache_data(show_spinner=False, max_entries=128)
def _key_facts(arch: str, model: str, input_size: int | None, language: str) -> list[tuple[str, str]]:
    from cnnviz.lectures.key_ideas import key_facts as computed

    return computed(arch, summary(model, input_size))


def graph_dot(model: str, input_size: int | None, unfold: tuple[str, ...] | bool,
              highlight: tuple[str, ...] = (), window: int | None = None) -> str:
    """The DOT source; its captions (params, MACs, input) are in the session's language, cached per language."""
    return _graph_dot(model, input_size, unfold, highlight, window, current())


@st.cache_data(show_spinner=False, max_entries=64)
def _graph_dot(model: str, input_size: int | None, unfold: tuple[str, ...] | bool,
               highlight: tuple[str, ...], window: int | None, language: str) -> str:
    return layer_graph(summary(model, input_size), unfold, highlight, window).source


def graph_svg(model: str, input_size: int | None, unfold: tuple[str, ...] | bool) -> bytes | None:
    with st.spinner(_("Rendering SVG…")):  # shown only past half a second: when the cache misses
        return _graph_svg(model, input_size, unfold, current())


@st.cache_data(show_spinner=False, max_entries=32)
def _graph_svg(model: str, input_size: int | None, unfold: tuple[str, ...] | bool, language: str) -> bytes | None:
    return svg(layer_graph(summary(model, input_size), unfold))


def graph_picture(model: str, input_size: int | None, unfold: tuple[str, ...] | bool,
                  highlight: tuple[str, ...] = (), window: int | None = None) -> str | None:
    """The graph drawn here as SVG (None without graphviz's ``dot``): a picture the browser shows at once, where
    an interactive graph first loads and compiles a graphviz of its own."""
    return _graph_picture(model, input_size, unfold, highlight, window, current())


@st.cache_data(show_spinner=False, max_entries=256)
def _graph_picture(model: str, input_size: int | None, unfold: tuple[str, ...] | bool, highlight: tuple[str, ...],
                   window: int | None, language: str) -> str | None:
    rendered = svg(layer_graph(summary(model, input_size), unfold, highlight, window))
    return rendered.decode() if rendered else None


@st.cache_data(show_spinner=False, max_entries=128)
def walk_steps(model: str, input_size: int | None, language: str) -> list:
    """The steps' texts are in ``language`` (``cnnviz.i18n.current()`` of the caller: built in its run)."""
    from cnnviz.lectures.stepper import walk_steps as steps

    return steps(summary(model, input_size), receptive_fields(model, input_size))


@st.cache_data(show_spinner=False, max_entries=256)
def volume_svg(before: tuple[int, ...], after: tuple[int, ...], kernel_hw: tuple[int, int] | None,
               before_label: str, after_label: str) -> str:
    from cnnviz.lectures.volumes import volume_svg as drawing

    return drawing(before, after, kernel_hw, before_label, after_label)


@st.cache_data(show_spinner=False, max_entries=64)
def sources(model: str) -> list[tuple[str, str]]:
    return model_sources(summary(model, None))


def cost_chart(model: str, input_size: int | None) -> dict:
    """The figure as a dict: building plotly subplots costs more than the rest of the page. Its titles are in the
    session's language, cached per language."""
    return _cost_chart(model, input_size, current())


@st.cache_data(show_spinner=False, max_entries=64)
def _cost_chart(model: str, input_size: int | None, language: str) -> dict:
    from cnnviz.analysis.charts import cost_by_block

    return cost_by_block(summary(model, input_size)).to_plotly_json()


@st.cache_data(show_spinner=False, max_entries=64)
def layer_counts(model: str, input_size: int | None) -> tuple[int, int]:
    """(conv layers, FC layers) in the notes' convention, the same count the compare page uses."""
    from cnnviz.lectures.profiles import profile

    counted = profile(summary(model, input_size), resolve(model)[1].auxiliary)
    return counted.conv_layers, counted.fc_layers


def block_picture(model: str, block: str) -> str | None:
    """One block drawn here as SVG (None without graphviz's ``dot``), in the session's language: shown at once,
    where the browser's interactive graph first loads and runs a graphviz of its own."""
    return _block_picture(model, block, current())


@st.cache_data(show_spinner=False, max_entries=64)
def _block_picture(model: str, block: str, language: str) -> str | None:
    from cnnviz.analysis.graph import block_graph

    rendered = svg(block_graph(summary(model, None), block))
    return rendered.decode() if rendered else None


def block_dot(model: str, block: str) -> str:
    """One block's DOT source; its captions are in the session's language, cached per language."""
    return _block_dot(model, block, current())


@st.cache_data(show_spinner=False, max_entries=64)
def _block_dot(model: str, block: str, language: str) -> str:
    from cnnviz.analysis.graph import block_graph

    return block_graph(summary(model, None), block).source


def departure_counts(arch: str, language: str | None = None) -> list[dict]:
    """``language``: by default the session's (``i18n.current()``), part of the key: the rows hold texts."""
    with st.spinner(_("Building the paper's version…")):  # shown only past half a second: when the cache misses
        return _departure_counts(arch, language or current())


@st.cache_data(show_spinner=False, max_entries=16)
def _departure_counts(arch: str, language: str) -> list[dict]:
    from cnnviz.lectures.paper_vs_impl import departures_for

    rows = []
    for departure in departures_for(arch):
        ours, paper = departure.build_implementation(), departure.build_paper()
        rows.append({"title": departure.title, "explanation": departure.explanation,
                     "differences": departure.differences(),
                     "implementation": departure.implementation, "paper": departure.paper,
                     "impl_params": ours.total_params, "paper_params": paper.total_params,
                     "impl_macs": ours.total_macs, "paper_macs": paper.total_macs})
    return rows


def departure_notes(arch: str, language: str | None = None) -> list[str]:
    """Departures read from the architecture's model alone (``paper_vs_impl.MODEL_NOTES``), in ``language``, by
    default the session's (``i18n.current()``)."""
    return _departure_notes(arch, language or current())


@st.cache_data(show_spinner=False, max_entries=16)
def _departure_notes(arch: str, language: str) -> list[str]:
    from cnnviz.lectures.paper_vs_impl import MODEL_NOTES

    return MODEL_NOTES[arch]() if arch in MODEL_NOTES else []


@st.cache_data(show_spinner=False, max_entries=32)
def _checked_claims(arch: str, language: str) -> list[dict]:
    from cnnviz.lectures.notes_check import claims_for

    return [claim.record() for claim in claims_for(arch)]


def checked_claims(arch: str, language: str | None = None) -> list[dict]:
    """An architecture page's claims (``Claim.record``) in ``language``, by default the session's
    (``i18n.current()``): the records hold the explanations' words and the quotes' translations."""
    return _checked_claims(arch, language or current())


@st.cache_data(show_spinner=False, max_entries=32)
def checked_claims_with_keys(keys: tuple[str, ...]) -> list[dict]:
    """The same records for the claims a concept lab discusses (``cnnviz.lectures.notes_check`` keys)."""
    from cnnviz.lectures.notes_check import claims_with_keys

    return _claim_records(claims_with_keys(keys))


def _claim_records(claims) -> list[dict]:
    from cnnviz.lectures.notes_check import NOTES

    # English texts, shared by every session; "file", "source", "why" and "values" let a page translate them when
    # showing them: f"{file} ({_(source)})", _(why).format(**values), _(amount).format(number=...).
    # ("english": the quote's English translation, a msgid; ``course_notes.translation(quote, english)``.)
    return [{"notes": f"{c.notes} ({NOTES[c.notes]})", "quote": c.quote, "claimed": c.claimed,
             "computed": c.computed, "amount": c.amount, "correct": c.correct,
             "explanation": c.why.format(computed=c.computed, **c.extras()), "english": c.english,
             "file": c.notes, "source": NOTES[c.notes], "why": c.why, "values": {"computed": c.computed, **c.extras()}}
            for c in claims]


def receptive_fields(model: str, *input_size: int | None) -> list:
    """For the concept lab and the image lab: ``receptive_fields(model)`` or ``receptive_fields(model, size)``.
    The cache's key is the arguments as passed (defaults are not filled in): the concept lab's tables pass the
    model only, pages on a model's input pass its size. The rows hold no words (``LayerRF.recursion``'s are
    translated where shown)."""
    with st.spinner(_("Tracing the receptive fields…")):  # shown only past half a second: when the cache misses
        return _receptive_fields(model, *input_size)


@st.cache_data(show_spinner=False, max_entries=64)
def _receptive_fields(model: str, input_size: int | None = None) -> list:
    from cnnviz.analysis.receptive_field.recursion import receptive_fields as fields

    return fields(resolve(model)[1], input_size)
