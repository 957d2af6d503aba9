"""The shared architecture page: story, variant picker, layer table, graph, cost chart and source."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from cnnviz.analysis.graph import blocks
from cnnviz.analysis.published import paper_parameters_note, published_counts
from cnnviz.analysis.summary import ACTIVATIONS_DEFINITION, auxiliary_note
from cnnviz.format import count, megabytes
from cnnviz.i18n import N_, _
from cnnviz.lectures.ilsvrc import ilsvrc_line
from cnnviz.lectures.story import lecture
from cnnviz.zoo.registry import architectures
from ui import cached, graphs, lecture_parts, linked_tabs, presenter, stepper, url_state

TABS = {"walk": N_("Layer walk"), "table": N_("Layer table"), "graph": N_("Layer graph"),
        "cost": N_("Where the cost is"), "quiz": N_("Check yourself"), "recipe": N_("Training recipe"),
        "paper": N_("Paper vs implementation"), "source": N_("Builder source")}


def render(key: str) -> None:
    arch = architectures()[key]
    notes = lecture(key)
    st.title(_(arch.title))
    st.caption(f"{arch.year} · {_(arch.authors)} · [{arch.paper}]({arch.paper_url})")
    st.write(_(arch.idea))
    if ilsvrc := ilsvrc_line(key):
        st.info(ilsvrc, icon=":material/emoji_events:")
    # On a projector the walk comes first, right under the model's numbers; the lecture's text follows it.
    presenting = presenter.presenting()
    story_place = st.container()
    body = st.container()
    lecture_place = st.container() if presenting else body
    with story_place if not presenting else lecture_place:
        with st.expander(_("The story"), expanded=not presenting):
            lecture_parts.story(notes)
        lecture_parts.terms(arch, notes)
    with body:
        _numbers_and_tabs(key, arch, notes, lecture_place)


def _numbers_and_tabs(key: str, arch, notes, lecture_place) -> None:
    """Variant, input size, totals and the tabs; the key idea and the notes' check go to ``lecture_place``."""
    left, right = st.columns([3, 1])
    labels = {v.name: f"{_(v.label)} · {v.name}" for v in arch.variants}
    names = list(labels)
    name = left.selectbox(_("Variant"), names, format_func=labels.get,
                          key=url_state.bind("variant", f"{key}_variant", names[0], choices=names))
    variant = arch.variant(name)
    lecture_parts.variant_note(notes, variant)
    size = right.number_input(_("Input size (pixels)"), min_value=16, max_value=1024, step=1,
                              key=url_state.bind("size", f"{key}_{name}_size", variant.input_size, bounds=(16, 1024)))
    input_size = None if size == variant.input_size else int(size)
    try:
        with st.spinner(_("Tracing the model on the `meta` device…"), show_time=True):
            summary = cached.summary(name, input_size)
    except RuntimeError as error:
        st.error(_("{name} cannot take a {size}x{size} input: {error}").format(
            name=name, size=size, error=str(error).splitlines()[0]))
        return

    a, b, c, d = st.columns(4)
    a.metric(_("Parameters"), count(summary.total_params),
             help=_("{params} parameters of the model that runs at inference = {mib} MiB as float32").format(
                 params=f"{summary.total_params:,}", mib=f"{megabytes(summary.total_params):.1f}"))
    pair = len(summary.input_shapes) == 2  # a Siamese network compares two images in one forward pass
    b.metric(_("MACs per pair of images") if pair else _("MACs per image"), count(summary.total_macs),
             help=_("{macs} multiply-accumulates in convolutions and linear layers (bias adds not counted)").format(
                 macs=f"{summary.total_macs:,}"))
    convs, fcs = cached.layer_counts(name, input_size)
    c.metric(_("Conv / FC layers"), f"{convs} / {fcs}", help=_("As in the notes' tables: a convolution that covers "
             "its whole input (LeNet-5's C5) is an FC layer; weights shared by several calls count once"))
    d.metric(_("Activations per pair of images") if pair else _("Activations per image"),
             count(summary.total_activations), help=_(ACTIVATIONS_DEFINITION))
    if pair:
        one = summary.macs_of_input(0)
        st.caption(_("One image through one twin: {one} MACs ({one_short}). The pair, both twins and the head that "
                     "compares them: {total} MACs ({total_short}).").format(
            one=f"{one:,}", one_short=count(one), total=f"{summary.total_macs:,}",
            total_short=count(summary.total_macs)))
    note = auxiliary_note(summary, variant.auxiliary)
    if note:
        st.caption(note)
    published = published_counts(variant) if input_size is None else None
    if published:
        st.success(published.sentence(summary), icon=":material/check_circle:")
    if paper_count := paper_parameters_note(summary):
        st.info(paper_count, icon=":material/info:")
    with lecture_place:
        if input_size is None:
            lecture_parts.key_idea(arch, notes, variant, summary)
        lecture_parts.notes_check(arch, notes)
        lecture_parts.taught_topics(key)

    # Only the open tab runs (its id is in the link, ?tab=graph): the others trace, render or build more.
    linked_tabs.open_tab(f"{key}_tab", TABS, {
        "walk": lambda: stepper.walk(key, name, input_size, summary),
        "table": lambda: _layer_table(summary),
        "graph": lambda: _layer_graph(key, name, input_size, summary),
        "cost": lambda: st.plotly_chart(cached.cost_chart(name, input_size), width="stretch", key=f"{key}_cost"),
        "quiz": lambda: lecture_parts.check_yourself(key, summary),
        "recipe": lambda: lecture_parts.recipe(key),
        "paper": lambda: lecture_parts.paper_vs_implementation(arch),
        "source": lambda: _sources(name)})


def warm(key: str) -> None:
    """Fill the caches of the page's first view (for the server's warm-up): the default variant, its numbers and
    key idea, the notes' check and the walk's first step."""
    name = architectures()[key].default.name
    cached.summary(name)
    cached.layer_counts(name, None)
    cached.key_facts(key, name)
    if (notes := lecture(key)) and (block := notes.key_block.get(name)):
        cached.block_picture(name, block)
    cached.checked_claims(key)
    stepper.warm(name)


def _layer_table(summary) -> None:
    with presenter.folded(N_("The layer table")):
        from cnnviz.analysis.summary import table_records

        localized = st.column_config.NumberColumn(format="localized")
        st.dataframe(pd.DataFrame(table_records(summary)), hide_index=True, width="stretch", height=420,
                     column_config={_("parameters"): localized, _("MACs"): localized, _("activations"): localized})
        calls = sum(not row.auxiliary for row in summary.layers)
        st.markdown(_("**Totals at inference** — {calls} layer calls · {params} parameters · {macs} MACs · "
                      "{activations} activations").format(
            calls=calls, params=f"{summary.total_params:,}", macs=f"{summary.total_macs:,}",
            activations=f"{summary.total_activations:,}"))
        if summary.aux_traced and summary.aux_params:
            st.caption(_("Rows marked auxiliary (training only) are not in these totals."))
        st.caption(_(ACTIVATIONS_DEFINITION))


def _layer_graph(key: str, name: str, input_size: int | None, summary) -> None:
    names = blocks(summary)
    everything = st.toggle(_("Unfold every block"), key=url_state.flag("unfold_all", f"{key}_{name}_unfold_all"),
                           disabled=not names)
    chosen = () if everything else st.multiselect(
        _("Unfold blocks"), names, key=url_state.several("unfold", f"{key}_{name}_unfold", names),
        placeholder=_("Pick blocks to see their layers"))
    unfold = True if everything else tuple(chosen)
    dot = cached.graph_dot(name, input_size, unfold)
    graphs.chart(dot, width="stretch")
    left, right = st.columns(2)
    left.download_button(_("Download DOT"), dot, f"{name}.dot", "text/vnd.graphviz", key=f"{key}_dot")
    rendered = cached.graph_svg(name, input_size, unfold)
    if rendered is None:
        right.caption(_("SVG download needs graphviz's `dot` program (Debian: `apt-get install graphviz`)."))
    else:
        right.download_button(_("Download SVG"), rendered, f"{name}.svg", "image/svg+xml", key=f"{key}_svg")


def _sources(name: str) -> None:
    for title, code in cached.sources(name):  # each file in a closed expander
        with st.expander(title):
            st.code(code, language="python")
