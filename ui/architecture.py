"""The shared architecture page: story, variant picker, layer table, graph, cost chart and source."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from cnnviz.analysis.graph import blocks
from cnnviz.analysis.published import published_counts
from cnnviz.analysis.summary import ACTIVATIONS_DEFINITION, auxiliary_note
from cnnviz.format import count, megabytes
from cnnviz.lectures.ilsvrc import ilsvrc_line
from cnnviz.lectures.story import lecture
from cnnviz.zoo.registry import architectures
from ui import cached, lecture_parts, presenter, stepper, url_state


def render(key: str) -> None:
    arch = architectures()[key]
    notes = lecture(key)
    st.title(arch.title)
    st.caption(f"{arch.year} · {arch.authors} · [{arch.paper}]({arch.paper_url})")
    st.write(arch.idea)
    if ilsvrc := ilsvrc_line(key):
        st.info(ilsvrc, icon=":material/emoji_events:")
    # On a projector the walk comes first, right under the model's numbers; the lecture's text follows it.
    presenting = presenter.presenting()
    story_place = st.container()
    body = st.container()
    lecture_place = st.container() if presenting else body
    with story_place if not presenting else lecture_place:
        with st.expander("The story", expanded=not presenting):
            lecture_parts.story(notes)
        lecture_parts.terms(arch, notes)
    with body:
        _numbers_and_tabs(key, arch, notes, lecture_place)


def _numbers_and_tabs(key: str, arch, notes, lecture_place) -> None:
    """Variant, input size, totals and the tabs; the key idea and the notes' check go to ``lecture_place``."""
    left, right = st.columns([3, 1])
    labels = {v.name: f"{v.label} · {v.name}" for v in arch.variants}
    names = list(labels)
    name = left.selectbox("Variant", names, format_func=labels.get,
                          key=url_state.bind("variant", f"{key}_variant", names[0], choices=names))
    variant = arch.variant(name)
    lecture_parts.variant_note(notes, variant)
    size = right.number_input("Input size (pixels)", min_value=16, max_value=1024, step=1,
                              key=url_state.bind("size", f"{key}_{name}_size", variant.input_size, bounds=(16, 1024)))
    input_size = None if size == variant.input_size else int(size)
    try:
        with st.spinner("Tracing the model on the meta device…", show_time=True):
            summary = cached.summary(name, input_size)
    except RuntimeError as error:
        st.error(f"{name} cannot take a {size}x{size} input: {str(error).splitlines()[0]}")
        return

    a, b, c, d = st.columns(4)
    a.metric("Parameters", count(summary.total_params),
             help=f"{summary.total_params:,} parameters of the model that runs at inference = "
                  f"{megabytes(summary.total_params):.1f} MiB as float32")
    pair = len(summary.input_shapes) == 2  # a Siamese network compares two images in one forward pass
    b.metric("MACs per pair of images" if pair else "MACs per image", count(summary.total_macs),
             help=f"{summary.total_macs:,} multiply-accumulates in convolutions and linear layers "
                  "(bias adds not counted)")
    convs, fcs = cached.layer_counts(name, input_size)
    c.metric("Conv / FC layers", f"{convs} / {fcs}", help="As in the notes' tables: a convolution that covers its "
             "whole input (LeNet-5's C5) is an FC layer; weights shared by several calls count once")
    d.metric("Activations per pair of images" if pair else "Activations per image", count(summary.total_activations),
             help=ACTIVATIONS_DEFINITION)
    if pair:
        one = summary.macs_of_input(0)
        st.caption(f"One image through one twin: {one:,} MACs ({count(one)}). The pair, both twins and the head "
                   f"that compares them: {summary.total_macs:,} MACs ({count(summary.total_macs)}).")
    note = auxiliary_note(summary, variant.auxiliary)
    if note:
        st.caption(note)
    published = published_counts(variant) if input_size is None else None
    if published:
        st.success(published.sentence(summary), icon=":material/check_circle:")
    with lecture_place:
        if input_size is None:
            lecture_parts.key_idea(arch, notes, variant, summary)
        lecture_parts.notes_check(arch, notes)
        lecture_parts.taught_topics(key)

    walk, table, graph, cost, quiz, recipe, paper, source = st.tabs(
        ["Layer walk", "Layer table", "Layer graph", "Where the cost is", "Check yourself", "Training recipe",
         "Paper vs implementation", "Builder source"])
    with walk:
        stepper.walk(key, name, input_size, summary)
    with table, presenter.folded("The layer table"):
        from cnnviz.analysis.summary import table_records

        st.dataframe(pd.DataFrame(table_records(summary)), hide_index=True, width="stretch", height=420,
                     column_config={"parameters": st.column_config.NumberColumn(format="localized"),
                                    "MACs": st.column_config.NumberColumn(format="localized"),
                                    "activations": st.column_config.NumberColumn(format="localized")})
        calls = sum(not row.auxiliary for row in summary.layers)
        st.markdown(f"**Totals at inference** — {calls} layer calls · {summary.total_params:,} parameters · "
                    f"{summary.total_macs:,} MACs · {summary.total_activations:,} activations")
        if summary.aux_traced and summary.aux_params:
            st.caption("Rows marked auxiliary (training only) are not in these totals.")
        st.caption(ACTIVATIONS_DEFINITION)
    with graph:
        names = blocks(summary)
        everything = st.toggle("Unfold every block", key=url_state.flag("unfold_all", f"{key}_{name}_unfold_all"),
                               disabled=not names)
        chosen = () if everything else st.multiselect(
            "Unfold blocks", names, key=url_state.several("unfold", f"{key}_{name}_unfold", names),
            placeholder="Pick blocks to see their layers")
        unfold = True if everything else tuple(chosen)
        dot = cached.graph_dot(name, input_size, unfold)
        st.graphviz_chart(dot, width="stretch")
        left, right = st.columns(2)
        left.download_button("Download DOT", dot, f"{name}.dot", "text/vnd.graphviz", key=f"{key}_dot")
        rendered = cached.graph_svg(name, input_size, unfold)
        if rendered is None:
            right.caption("SVG download needs graphviz's `dot` program (Debian: `apt-get install graphviz`).")
        else:
            right.download_button("Download SVG", rendered, f"{name}.svg", "image/svg+xml", key=f"{key}_svg")
    with cost:
        st.plotly_chart(cached.cost_chart(name, input_size), width="stretch", key=f"{key}_cost")
    with quiz:
        lecture_parts.check_yourself(key, summary)
    with recipe:
        lecture_parts.recipe(key)
    with paper:
        lecture_parts.paper_vs_implementation(arch)
    with source:  # each file already in a closed expander
        for title, code in cached.sources(name):
            with st.expander(title):
                st.code(code, language="python")
