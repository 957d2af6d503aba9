"""The network designer's page: a CNN as an editable list of layers, with every layer's numbers and the totals on
every edit, the first mistake at its layer, the architecture pages' graph, cost chart and walk, goals from the link,
its place among the classics, and its exports.

The design lives in the link (``?net=1_1x32_10_c6k5,...``, ``cnnviz.designer.link``) and in the session under
``NET``; every edit is a callback that writes a new design there, so the page only draws what it holds.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from cnnviz.designer.check import shape_text
from cnnviz.designer.design import KINDS, MOST_LAYERS, Design, Layer, describe
from cnnviz.designer.link import DesignFormatError, from_link, layer_from, to_json, to_link
from cnnviz.designer.templates import TEMPLATES
from cnnviz.format import count
from cnnviz.i18n import N_, _, current
from ui import cached, design_training, graphs, linked_tabs, presenter, stepper, url_state
from ui.plain import plain

PAGE = "design"
NET = f"{PAGE}_net"  # the design's link text
DEFAULT = to_link(TEMPLATES["lenet5"][1]())
TABS = {"table": N_("Layer table"), "graph": N_("Layer graph"), "cost": N_("Where the cost is"),
        "walk": N_("Layer walk"), "classics": N_("Among the classics"), "train": N_("Train on digits"),
        "export": N_("Export")}
NUMBER = st.column_config.NumberColumn(format="localized")
MOST_BUDGET = 10**12
WEIGHTS = "my_cnn_weights.pt"
LOADED = f"{PAGE}_registry_loaded"  # (model, layers loaded, layers the designer reads) of the last load
REGISTRY_DEFAULT = "vgg16"


def _design() -> Design:
    return from_link(st.session_state[NET])


def _keep(design: Design) -> None:
    st.session_state[NET] = to_link(design)


def _read_link() -> None:
    """A link whose design cannot be read: one line naming what it could not read; the page keeps its design."""
    raw = st.query_params.get("net")
    if raw is None or raw == st.session_state.get("_url_state_written", {}).get("net"):
        return
    try:
        from_link(raw)
    except DesignFormatError as error:
        st.warning(_("This link's design cannot be read: {reason}. Showing the design this page had instead.").format(
            reason=plain(error.text())), icon=":material/link_off:")
        del st.query_params["net"]


def render() -> None:
    st.title(_("Design your own network"))
    st.write(_("Build a CNN layer by layer: every layer's output shape, parameters, MACs, activations, receptive field "
               "and jump are computed on every change, from the same PyTorch module the exports hold. A mistake is "
               "shown at the layer that makes it."))
    _read_link()
    url_state.bind("net", NET, DEFAULT, parse=lambda raw: to_link(from_link(raw)))
    _start_from()
    design = _design()
    _input(design)
    report = cached.design_report(st.session_state[NET])
    _totals(report)
    _problem(report)
    _editor(design, report)
    _goals(report)
    if report.summary is None:
        st.info(_("Add a layer to see its numbers."), icon=":material/add:")
        return
    text, language = st.session_state[NET], current()
    linked_tabs.open_tab(f"{PAGE}_tab", TABS, {
        "table": lambda: _table(report),
        "graph": lambda: graphs.chart(cached.design_graph_dot(text, language), width="stretch"),
        "cost": lambda: st.plotly_chart(cached.design_cost_chart(text, language), width="stretch",
                                        key=f"{PAGE}_cost"),
        "walk": lambda: _walk(text, language),
        "classics": lambda: _classics(report),
        "train": lambda: design_training.render(design, report, text),
        "export": lambda: _export(design, report, text)})


# --- the design's start, input and totals ----------------------------------------------------------------------
def _load() -> None:
    _keep(TEMPLATES[st.session_state[f"{PAGE}_template"]][1]())
    st.session_state[f"{PAGE}_layer"] = 1
    st.session_state.pop(LOADED, None)


def _load_registry() -> None:
    """The chosen registry model's first layers, as many as asked and as the designer reads."""
    name, count = st.session_state[f"{PAGE}_registry_model"], int(st.session_state[f"{PAGE}_registry_count"])
    reading = cached.registry_reading(name)
    read = len(reading.design.layers)
    if read:
        _keep(reading.first(count))
        st.session_state[f"{PAGE}_layer"] = 1
    st.session_state[LOADED] = (name, min(count, read), read)


def _model_label(name: str) -> str:
    from cnnviz.zoo.registry import resolve

    return f"{name} · {_(resolve(name)[1].label)}"


def _start_from() -> None:
    from cnnviz.zoo.registry import model_names

    left, right = st.columns([3, 1], vertical_alignment="bottom")
    left.selectbox(_("Start from"), list(TEMPLATES), format_func=lambda key: _(TEMPLATES[key][0]),
                   key=f"{PAGE}_template")
    right.button(_("Start from it"), on_click=_load, key=f"{PAGE}_load", icon=":material/restart_alt:",
                 help=_("Replaces the design on the page"))
    with st.expander(_("Start from a registry model's first layers"), expanded=LOADED in st.session_state):
        names = model_names()
        model, count, load = st.columns([3, 2, 1], vertical_alignment="bottom")
        model.selectbox(_("Model"), names, index=names.index(REGISTRY_DEFAULT), format_func=_model_label,
                        key=f"{PAGE}_registry_model")
        count.number_input(_("Its first layers"), min_value=1, max_value=MOST_LAYERS, value=8, step=1,
                           key=f"{PAGE}_registry_count")
        load.button(_("Load"), on_click=_load_registry, key=f"{PAGE}_registry_load", icon=":material/download:",
                    help=_("Replaces the design on the page"), width="stretch")
        if LOADED in st.session_state:
            _loaded(*st.session_state[LOADED])


def _loaded(name: str, count: int, read: int) -> None:
    """What the last load took: how many layers, and where the designer stops reading the model."""
    reading = cached.registry_reading(name)
    if not read:
        st.warning(plain(_("The designer cannot read {model}'s first layer: {reason}.").format(
            model=name, reason=reading.reason())), icon=":material/block:")
        return
    if reading.whole:
        said = _("Loaded {model}'s first {count} layers; the designer reads all {read} of its layers.").format(
            model=name, count=count, read=read)
    else:
        said = _("Loaded {model}'s first {count} layers; the designer reads its first {read}, then {reason}.").format(
            model=name, count=count, read=read, reason=reading.reason())
    st.caption(plain(said))


def _set_input(name: str) -> None:
    from dataclasses import replace

    _keep(replace(_design(), **{name: int(st.session_state[f"{PAGE}_{name}"])}))


def _input(design: Design) -> None:
    from cnnviz.designer.design import LARGEST_SIDE, MOST_CLASSES, MOST_INPUT_CHANNELS, SMALLEST_SIDE

    columns = st.columns(3)
    for column, (name, label, low, high) in zip(columns, (
            ("channels", N_("Input channels"), 1, MOST_INPUT_CHANNELS),
            ("side", N_("Input size (pixels)"), SMALLEST_SIDE, LARGEST_SIDE),
            ("classes", N_("Classes"), 1, MOST_CLASSES))):
        st.session_state[f"{PAGE}_{name}"] = getattr(design, name)
        column.number_input(_(label), min_value=low, max_value=high, step=1, key=f"{PAGE}_{name}",
                            on_change=_set_input, args=(name,))


def _totals(report) -> None:
    a, b, c, d = st.columns(4)
    a.metric(_("Parameters"), count(report.total_params), help=f"{report.total_params:,}")
    b.metric(_("MACs per image"), count(report.total_macs), help=f"{report.total_macs:,}")
    c.metric(_("Activations per image"), count(report.total_activations), help=f"{report.total_activations:,}")
    d.metric(_("Receptive field"), _("{field} px").format(field=report.receptive_field),
             help=_("The widest field of any map before global pooling, by the notes' recursion"))
    if not report.runs and report.counted:
        st.caption(_("Counted: layers 1 to {last}, before the mistake.").format(last=report.counted))


def _problem(report) -> None:
    problem = report.problem
    if problem is None:
        return
    say = st.error if problem.blocking else st.warning
    say(plain(problem.text()), icon=":material/error:" if problem.blocking else ":material/warning:")


# --- the editor ----------------------------------------------------------------------------------------------------
def _selected() -> int:
    return int(st.session_state.get(f"{PAGE}_layer", 1))


def _edit(change) -> None:
    design = _design()
    layers = list(design.layers)
    selected = min(_selected(), len(layers)) if layers else 0
    selected = change(layers, selected)
    _keep(design.with_layers(layers))
    st.session_state[f"{PAGE}_layer"] = max(1, min(selected, len(layers)))


def _move(delta: int) -> None:
    def change(layers: list, selected: int) -> int:
        target = selected - 1 + delta
        if 0 <= target < len(layers):
            layers[selected - 1], layers[target] = layers[target], layers[selected - 1]
            return target + 1
        return selected
    _edit(change)


def _remove() -> None:
    def change(layers: list, selected: int) -> int:
        if layers:
            layers.pop(selected - 1)
        return selected
    _edit(change)


def _add(after: bool) -> None:
    kind = st.session_state[f"{PAGE}_new_kind"]

    def change(layers: list, selected: int) -> int:
        if len(layers) >= MOST_LAYERS:
            return selected
        at = selected if after and layers else len(layers)
        layers.insert(at, Layer.of(kind))
        return at + 1
    _edit(change)


def _set(number: int, name: str) -> None:
    value = st.session_state[f"{PAGE}_{number}_{name}"]

    def change(layers: list, selected: int) -> int:
        layer = layers[number - 1]
        try:
            layers[number - 1] = layer_from(number, layer.kind, {**dict(layer.settings), name: value})
        except DesignFormatError:
            pass  # the widget's bounds are the setting's: nothing else reaches here
        return number
    _edit(change)


def _editor(design: Design, report) -> None:
    st.header(_("Layers"))
    layers = design.layers
    if layers:
        numbers = list(range(1, len(layers) + 1))
        shown = {row.number: row for row in report.rows}
        broken = report.problem.layer if report.problem and report.problem.blocking else None

        def label(number: int) -> str:
            row = shown.get(number)
            after = f" → {shape_text(row.output_shape)}" if row else (" ⚠" if number == broken else " ·")
            return f"{number} · {describe(layers[number - 1])}{after}"

        number = st.selectbox(_("Layer to change"), numbers, format_func=label,
                              key=url_state.bind("layer", f"{PAGE}_layer", 1, parse=int, choices=numbers))
        _settings(number, layers[number - 1])
        up, down, remove, _space = st.columns([1, 1, 1, 3])
        up.button(_("Move up"), on_click=_move, args=(-1,), key=f"{PAGE}_up", icon=":material/arrow_upward:",
                  disabled=number == 1, width="stretch")
        down.button(_("Move down"), on_click=_move, args=(1,), key=f"{PAGE}_down",
                    icon=":material/arrow_downward:", disabled=number == len(layers), width="stretch")
        remove.button(_("Remove"), on_click=_remove, key=f"{PAGE}_remove", icon=":material/delete:",
                      width="stretch")
    kind_column, after_column, end_column = st.columns([2, 1, 1], vertical_alignment="bottom")
    kind_column.selectbox(_("New layer"), list(KINDS), format_func=lambda kind: _(KINDS[kind].label),
                          key=f"{PAGE}_new_kind")
    full = len(layers) >= MOST_LAYERS
    after_column.button(_("Insert after layer {number}").format(number=_selected()) if layers else _("Add"),
                        on_click=_add, args=(True,), key=f"{PAGE}_insert", icon=":material/add:", disabled=full,
                        width="stretch")
    end_column.button(_("Add at the end"), on_click=_add, args=(False,), key=f"{PAGE}_append",
                      icon=":material/playlist_add:", disabled=full or not layers, width="stretch")
    if full:
        st.caption(_("A design has at most {most} layers.").format(most=MOST_LAYERS))


def _settings(number: int, layer: Layer) -> None:
    settings = KINDS[layer.kind].settings
    if not settings:
        st.caption(_("A {kind} has no settings.").format(kind=_(KINDS[layer.kind].label)))
        return
    columns = st.columns(len(settings))
    for column, setting in zip(columns, settings):
        key = f"{PAGE}_{number}_{setting.name}"
        st.session_state[key] = layer.get(setting.name)
        label = _(setting.label)
        if setting.kind is bool:
            column.checkbox(label, key=key, on_change=_set, args=(number, setting.name))
        elif setting.kind is float:
            column.number_input(label, min_value=float(setting.low), max_value=float(setting.high), step=0.05,
                                key=key, on_change=_set, args=(number, setting.name))
        else:
            help_text = _("Empty: the kernel") if setting.name == "stride" and layer.kind != "conv" else None
            column.number_input(label, min_value=int(setting.low), max_value=int(setting.high), step=1, key=key,
                                on_change=_set, args=(number, setting.name), help=help_text,
                                placeholder=_("as it comes") if setting.default is None else None)


# --- goals -------------------------------------------------------------------------------------------------------
def _goals(report) -> None:
    """A parameter and a MAC budget and a receptive field to reach, each in the link (an instructor's challenge:
    ``?rf_goal=100&params_budget=1000000``); 0 is no goal."""
    with st.expander(_("Budgets and challenge"), expanded=any(
            st.query_params.get(p) for p in ("rf_goal", "params_budget", "macs_budget"))):
        a, b, c = st.columns(3)
        rf = a.number_input(_("Receptive field at least (px)"), min_value=0, max_value=100000, step=1,
                            key=url_state.bind("rf_goal", f"{PAGE}_rf_goal", 0, bounds=(0, 100000)))
        params = b.number_input(_("Parameters under"), min_value=0, max_value=MOST_BUDGET, step=1000,
                                key=url_state.bind("params_budget", f"{PAGE}_params_budget", 0,
                                                   bounds=(0, MOST_BUDGET)))
        macs = c.number_input(_("MACs under"), min_value=0, max_value=MOST_BUDGET, step=1000,
                              key=url_state.bind("macs_budget", f"{PAGE}_macs_budget", 0, bounds=(0, MOST_BUDGET)))
        goals = []
        if rf:
            goals.append((report.receptive_field >= rf, _("receptive field {value} px, at least {goal} px").format(
                value=f"{report.receptive_field:,}", goal=f"{rf:,}")))
        if params:
            goals.append((report.total_params < params, _("{value} parameters, under {goal}").format(
                value=f"{report.total_params:,}", goal=f"{params:,}")))
        if macs:
            goals.append((report.total_macs < macs, _("{value} MACs, under {goal}").format(
                value=f"{report.total_macs:,}", goal=f"{macs:,}")))
        if not goals:
            st.caption(_("Set a goal, or open a link that sets one: it stays in the link for the class."))
            return
        met = all(ok for ok, _line in goals) and report.runs
        for ok, line in goals:
            st.markdown(("✅ " if ok else "❌ ") + line)
        if met:
            st.success(_("Challenge met."), icon=":material/emoji_events:")
        elif not report.runs:
            st.caption(_("The design must run to its end to meet the challenge."))


# --- the tabs ----------------------------------------------------------------------------------------------------
def _table(report) -> None:
    design = report.design
    rows = {row.number: row for row in report.rows}
    problem = report.problem
    records = []
    for number, layer in enumerate(design.layers, start=1):
        row = rows.get(number)
        note = problem.sentence() if problem and problem.layer == number else (
            "" if row else _("not counted: after the mistake"))
        records.append({_("layer"): number, _("type"): describe(layer),
                        _("output (CxHxW)"): shape_text(row.output_shape) if row else "",
                        _("parameters"): row.params if row else None, _("MACs"): row.macs if row else None,
                        _("activations"): row.activations if row else None,
                        _("receptive field"): row.rf if row else None,
                        _("jump"): f"{row.jump:g}" if row and row.jump is not None else "", _("note"): note})
    with presenter.folded(N_("The layer table")):
        st.dataframe(pd.DataFrame(records), hide_index=True, width="stretch", height=420,
                     column_config={_("parameters"): NUMBER, _("MACs"): NUMBER, _("activations"): NUMBER})
    st.markdown(_("**Totals** — {params} parameters · {macs} MACs · {activations} activations · input "
                  "{input}").format(params=f"{report.total_params:,}", macs=f"{report.total_macs:,}",
                                    activations=f"{report.total_activations:,}",
                                    input=shape_text((design.channels, design.side, design.side))))


def _walk(text: str, language: str) -> None:
    steps = cached.design_walk(text, language)
    if not steps:
        st.info(_("This model has no layer to step through."))
        return
    numbers = list(range(1, len(steps) + 1))
    number = st.select_slider(_("Step"), numbers, format_func=lambda n: f"{n}/{len(steps)} · {steps[n - 1].title}",
                              key=url_state.bind("step", f"{PAGE}_step", 1, parse=int, choices=numbers))
    step = steps[number - 1]
    stepper.arithmetic(step, step.title)
    drawing, drawn = stepper.volume(step)
    st.image(drawing, width="stretch", alt=drawn)


def _classics(report) -> None:
    from cnnviz.any_network.placement import placed_among_classics

    with st.spinner(_("Tracing the torchvision classifiers…")):
        points = cached.compare_accuracy_points()
    st.plotly_chart(placed_among_classics(points, _("your design"), report.total_params, report.total_macs),
                    width="stretch", key=f"{PAGE}_classics")
    st.caption(_("The compare page's torchvision classifiers, each at its own input size, and this network at "
                 "{size}x{size}: MACs per image against parameters, all computed here.").format(
        size=report.design.side))


def _trained_model(design: Design, text: str):
    """The module with this session's trained weights of this design, or None (fresh random weights then)."""
    from cnnviz.designer.training import trained_model

    result = design_training.trained(text)
    return trained_model(design, result[1]) if result else None


def _open_on_your_network() -> None:
    from cnnviz.any_network.onnx_file import OnnxFile
    from cnnviz.designer.code import onnx_bytes
    from ui.any_network import ONNX_KEY

    text = st.session_state[NET]
    design = from_link(text)
    st.session_state[ONNX_KEY] = OnnxFile("design.onnx", onnx_bytes(design, _trained_model(design, text)))
    st.session_state.setdefault("_url_state_kept", {})["your_network_source"] = "onnx"
    st.session_state.pop("your_network_source", None)


def _export(design: Design, report, text: str) -> None:
    from cnnviz.designer.code import onnx_bytes, pytorch_code, weights_bytes

    st.markdown(_("**The link**: the whole design is in this page's address; share it as it is."))
    st.code(url_state.current_link(), language=None, wrap_lines=True)
    left, middle, right = st.columns(3)
    left.download_button(_("Download the design (JSON)"), to_json(design), "design.json", "application/json",
                         key=f"{PAGE}_json", icon=":material/download:")
    if not report.runs:
        st.info(_("PyTorch code and ONNX need a design that runs to its end: fix the mistake first."))
        return
    model = _trained_model(design, text)
    weights = WEIGHTS if model is not None else None
    code = pytorch_code(design, weights)
    middle.download_button(_("Download PyTorch code"), code, "my_cnn.py", "text/x-python",
                           key=f"{PAGE}_code", icon=":material/code:")
    right.download_button(_("Download ONNX"), lambda: onnx_bytes(design, model), "design.onnx",
                          "application/octet-stream", key=f"{PAGE}_onnx", icon=":material/download:")
    st.caption(_("`python -m cnnviz summary design.json` prints the same table and totals; `python my_cnn.py` "
                 "builds the network and prints its parameters."))
    if model is None:
        st.caption(_("The ONNX file holds fresh random weights; train the design on the digits (its tab) and the "
                     "file holds the trained ones."))
    else:
        accuracy = design_training.trained(text)[0].test_accuracy
        st.download_button(_("Download the trained weights"), lambda: weights_bytes(model), WEIGHTS,
                           "application/octet-stream", key=f"{PAGE}_weights", icon=":material/download:")
        st.caption(_("The ONNX file and the weights hold the weights trained in this session ({accuracy} test "
                     "accuracy on the digits); the code's `trained()` loads {file}.").format(
            accuracy=f"{accuracy:.1%}", file=WEIGHTS))
    if st.button(_("Open on Your network"), on_click=_open_on_your_network, key=f"{PAGE}_open_onnx",
                 icon=":material/open_in_new:"):
        st.switch_page("pages/your-network.py")
    with st.expander(_("The PyTorch code")):
        st.code(code, language="python")
