"""The step-through layer walk of an architecture page: one layer (or one block) per step, its arithmetic with
its own numbers, the graph around it with the step marked, and its activation volume before and after.

The step lives in the link (``step=3``; an opened block adds ``open=1`` and ``sub=2``), the previous/next
buttons answer the arrow keys, and a block opens into its layers: next and previous then walk through them. A link
with a step opens at the walk: the browser scrolls the page's tabs, the walk's, to the top of the window.
"""

from __future__ import annotations

import re

import streamlit as st

from cnnviz.analysis.graph_text import describe
from cnnviz.analysis.summary import Summary
from cnnviz.format import shape_text
from cnnviz.i18n import _, current
from cnnviz.lectures.walk import input_step, notes_shape
from ui import cached, graphs, presenter, scroll, url_state

GRAPH_WINDOW = 2  # graph nodes drawn on each side of the step: a projector shows them large enough to read


def _keys(prefix: str) -> tuple[str, str, str]:
    return f"{prefix}_step", f"{prefix}_open", f"{prefix}_sub"


def _move(prefix: str, steps: list, delta: int) -> None:
    """Previous/next: through an opened block's layers first, then on to the neighbouring step."""
    step_key, open_key, sub_key = _keys(prefix)
    index = st.session_state.get(step_key, 1) - 1
    inner = _openable(steps[index])
    if st.session_state.get(open_key) and inner:
        sub = st.session_state.get(sub_key, 1) + delta
        if 1 <= sub <= len(inner):
            st.session_state[sub_key] = sub
            return
    index = min(max(index + delta, 0), len(steps) - 1)
    st.session_state[step_key] = index + 1
    inner = _openable(steps[index])
    st.session_state[sub_key] = len(inner) if delta < 0 and inner else 1


def _openable(step) -> tuple:
    """A block's layers, when there is more than one to open into (a conv+BN+ReLU wrapper is one layer)."""
    return step.layers if len(step.layers) > 1 else ()


def walk(key: str, name: str, input_size: int | None, summary: Summary) -> None:
    steps = cached.walk_steps(name, input_size, current())
    if not steps:
        st.info(_("This model has no layer to step through."))
        return
    prefix = f"{key}_{name}_{input_size}"
    step_key, open_key, sub_key = _keys(prefix)
    numbers = list(range(1, len(steps) + 1))

    linked = url_state.opened("step", {str(n) for n in numbers})
    back, chooser, forward = st.columns([2, 7, 2], vertical_alignment="bottom")
    back.button(_("Back"), icon=":material/arrow_back:", shortcut="Left", key=f"{prefix}_back", width="stretch",
                on_click=_move, args=(prefix, steps, -1), help=_("Or the left arrow key"))
    forward.button(_("Next"), icon=":material/arrow_forward:", shortcut="Right", key=f"{prefix}_next",
                   width="stretch", type="primary", on_click=_move, args=(prefix, steps, 1),
                   help=_("Or the right arrow key"))
    number = chooser.select_slider(
        _("Step"), numbers, format_func=lambda n: f"{n}/{len(steps)} · {steps[n - 1].title}",
        key=url_state.bind("step", step_key, 1, parse=int, choices=numbers), label_visibility="collapsed")
    step = steps[number - 1]

    shown = step
    inside = False
    if layers := _openable(step):
        opened = st.toggle(_("Open {block} into its {count} layers").format(block=step.title, count=len(layers)),
                           key=url_state.flag("open", open_key))
        if opened:
            inner = list(range(1, len(layers) + 1))
            sub = st.select_slider(
                _("Layer of the block"), inner, format_func=lambda n: f"{n}/{len(layers)} · {layers[n - 1].title}",
                key=url_state.bind("sub", sub_key, 1, parse=int, choices=inner))
            shown, inside = layers[sub - 1], True
    draw_step(name, input_size, step, shown)
    if st.session_state.get("class_held"):  # this session teaches a live class (ui.classroom): phones may follow
        from ui import classroom

        classroom.publish_step(key, name, input_size, number, st.session_state.get(sub_key) if inside else None)

    with st.expander(_("The whole walk as text, in the notes' notation")):
        lines = [f"1. [{input_step(summary)}] INPUT"]
        lines += [f"1. [{notes_shape(s.output_shape)}] **{s.title}**: {s.description} — "
                  + _("{params} params, {macs} MACs").format(params=f"{s.params:,}", macs=f"{s.macs:,}") for s in steps]
        st.markdown("\n".join(lines))
    if linked:  # last in the walk: gone on the next run, it moves nothing after it
        scroll.into_view(scroll.TABS)


def draw_step(name: str, input_size: int | None, step, shown) -> None:
    """One step of the walk: its numbers and formulas, its volume drawing and the graph around it (the layer walk,
    and a phone that follows the projector's walk in a live class)."""
    inside = shown is not step
    text, graph = st.columns([3, 2])
    with text:
        arithmetic(shown, f"{step.title} › {shown.title}" if inside else shown.title)
        (drawing, drawn), picture, dot = _pictures(name, input_size, step, shown)
        st.image(drawing, width="stretch", alt=drawn)
    height = 640 if presenter.presenting() else 520
    with graph:
        if picture:
            st.image(picture, width=width_within(picture, height), alt=describe(dot()))
        else:
            graphs.chart(dot(), width="stretch", height=height)


def arithmetic(shown, heading: str) -> None:
    """A step's heading, what it does, its formulas with its own numbers, and its receptive field so far (the walk,
    and the designer's walk of a student's network)."""
    st.markdown(f"## {heading} · {shown.kind}")
    st.write(shown.description)
    header = (_("what"), _("formula"), _("with this layer's numbers"), _("result"))
    rows = ["| " + " | ".join(header) + " |", "|---|---|---|---|"]
    rows += [f"| **{_(w.what)}** | {with_subscripts(w.formula)} | {with_subscripts(w.worked)} | **{w.result}** |"
             for w in shown.worked]
    st.markdown("\n".join(rows), unsafe_allow_html=True)
    if shown.rf is not None:
        st.caption(_("Receptive field so far {field} px, jump {jump} px: one step in this output moves {jump} "
                     "pixels in the input.").format(field=shown.rf, jump=f"{shown.jump:g}"))


def _pictures(name: str, input_size: int | None, step, shown):
    """The step's volume drawing (SVG) and its text, the layer graph around it as SVG (None without graphviz's
    ``dot``), and a call that gives the graph's DOT source for the browser to draw instead (and for its text)."""
    graph = (name, input_size, (step.layer,) if shown is not step else (), tuple(shown.graph_nodes), GRAPH_WINDOW)
    return volume(shown), cached.graph_picture(*graph), lambda: cached.graph_dot(*graph)


def volume(step) -> tuple[str, str]:
    """A step's activation volumes drawn (SVG), and the drawing in words for those who cannot see it."""
    before = _("in {shape}").format(shape=shape_text(step.input_shape))
    after = _("out {shape}").format(shape=shape_text(step.output_shape))
    drawing = cached.volume_svg(tuple(step.input_shape), tuple(step.output_shape), step.kernel_hw, before, after)
    if step.kernel_hw is None:
        return drawing, _("Activation volumes: {before} → {after}").format(before=before, after=after)
    return drawing, _("Activation volumes: {before} → {after}, through a {height}x{width} window").format(
        before=before, after=after, height=step.kernel_hw[0], width=step.kernel_hw[1])


def warm(name: str) -> None:
    """Fill the caches of the walk's first view of ``name`` at its own input size (for the server's warm-up)."""
    if steps := cached.walk_steps(name, None, current()):
        _pictures(name, None, steps[0], steps[0])


def width_within(picture: str, height: int) -> int | str:
    """The width in pixels that keeps a tall SVG within ``height`` pixels; "stretch" where the column is the limit."""
    size = re.search(r'<svg[^>]*?width="([\d.]+)pt"[^>]*?height="([\d.]+)pt"', picture)
    if not size or float(size.group(2)) <= 0:
        return "stretch"
    width, tall = float(size.group(1)), float(size.group(2))
    fitted = int(height * width / tall)
    return fitted if fitted < 400 else "stretch"  # a graph column is about 400 pixels wide at 1280x720


# A one-letter symbol before the underscore: C_in and l_{k−1} take subscripts; output_padding is a name and stays.
_SYMBOL = r"(?<![A-Za-z])([A-Za-z])_"


def with_subscripts(formula: str) -> str:
    """C_in, l_{k−1} as subscripts (the table is markdown; the formulas are plain text)."""
    formula = re.sub(_SYMBOL + r"\{([^}]*)\}", r"\1<sub>\2</sub>", formula)
    return re.sub(_SYMBOL + r"([A-Za-z]+)", r"\1<sub>\2</sub>", formula)
