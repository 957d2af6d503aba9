"""Concept lab: receptive fields by the notes' recursion, checked by back-propagation, and on a photo."""

from ui.first_visit import through_app

through_app()

from collections import Counter

import numpy as np
import pandas as pd
import streamlit as st

from cnnviz.analysis.receptive_field.effective import MODELS, extent
from cnnviz.analysis.receptive_field.recursion import last_stage, unit_box
from cnnviz.imagelab.pretrained import has_pretrained
from cnnviz.imagelab.samples import SAMPLES
from cnnviz.labs import figures
from cnnviz.labs.stacking import stack_rf
from cnnviz.zoo.registry import model_names, resolve
from ui import cached, presenter, url_state
from ui.busy import when_free
from ui.unit_picker import pick_unit

PAGE = "lab_rf"
GROWTH_MODELS = ["alexnet", "vgg16", "googlenet", "resnet50", "mobilenet_v2"]  # the growth chart's first choice
# Only the open tab runs (the photo tab back-propagates through a network); the link names it by id.
TABS = {"layers": "Layer by layer", "growth": "Growth across models", "photo": "On a photo"}
TAB_IDS = {title: tab for tab, title in TABS.items()}


def _size(hw) -> str:
    return str(hw[0]) if hw[0] == hw[1] else f"{hw[0]}x{hw[1]}"


def _num(value: float) -> str:
    return f"{value:g}"


def _records(fields) -> list[dict]:
    rows = []
    for f in fields:
        rows.append({"layer": f.name, "kind": f.kind, "f": f.kernel, "s": f.stride, "l(k-1)": f.rf_in,
                     "j(k-1)": _num(f.jump_in), "recursion": f.recursion(), "l(k)": _size(f.rf_hw),
                     "jump j(k)": _num(f.jump), "start": _num(f.start),
                     "map": _size(f.output_hw) + (" · global pool" if f.global_pool else "")})
    return rows


def _tab(raw: str) -> str:
    if raw not in TABS:
        raise url_state.BadValue(raw)
    return TABS[raw]


def layer_table(names: list[str]) -> None:
    name = st.selectbox("Model", names, key=url_state.bind("model", f"{PAGE}_model", "vgg16", choices=names))
    try:
        fields = cached.receptive_fields(name)
        stage = last_stage(fields)
    except (RuntimeError, ValueError) as error:
        st.error(f"Cannot trace {name}: {str(error).splitlines()[0]}")
    else:
        a, b, c = st.columns(3)
        a.metric("Receptive field of the last stage", f"{_size(stage.rf_hw)} px", help=f"at `{stage.name}`")
        b.metric("Effective stride (jump)", f"{_num(stage.jump)} px")
        c.metric("Field-changing layers", len(fields))
        with presenter.folded("Every layer's field"):
            st.dataframe(pd.DataFrame(_records(fields)), hide_index=True, width="stretch", height=380)
        if st.toggle("Check by back-propagation", key=url_state.flag("measure", f"{PAGE}_{name}_measure"),
                     help="Linearise the model (identity activations and norms, average instead of max pooling, "
                          "one positive weight everywhere) and find the pixels with non-zero gradient."):
            try:
                measured = cached.lab_measured_field(name)
            except (RuntimeError, ValueError) as error:
                st.error(f"The measurement failed: {str(error).splitlines()[0]}")
            else:
                same = measured.rf_hw == stage.rf_hw
                axes = "width (every kernel is square, so the height is the same)" if measured.mirrored else "both axes"
                text = (f"Back-propagating from unit {measured.unit_hw} of `{measured.layer}` on a "
                        f"{measured.input_hw[1][0]}x{measured.input_hw[1][1]} input, the gradient is non-zero on "
                        f"{_size(measured.rf_hw)} pixels along {axes}, starting at pixel {measured.first_hw[1]}; "
                        f"the recursion says {_size(stage.rf_hw)}.")
                (st.success if same else st.error)(text, icon=":material/check_circle:" if same else ":material/error:")


def growth(names: list[str]) -> None:
    chosen = st.multiselect("Models", names, key=url_state.several("models", f"{PAGE}_growth_models", names, GROWTH_MODELS))
    series = {}
    for model in chosen:
        try:
            series[model] = cached.receptive_fields(model)
        except (RuntimeError, ValueError) as error:
            st.warning(f"{model} skipped: {str(error).splitlines()[0]}")
    if series:
        # Each model is traced at its own input size; the line marks the size most of the chosen ones use.
        sizes = {model: resolve(model)[1].input_size for model in series}
        common = Counter(sizes.values()).most_common(1)[0][0]
        st.plotly_chart(figures.rf_growth(series, common), width="stretch", key=f"{PAGE}_growth")
        st.caption("Each point is one convolution, pooling or join. Strides multiply the jump, so fields grow "
                   "fastest late in the network; above the dotted line a unit's field is larger than the "
                   f"{common}x{common} input the models are traced at (the rest is padding).")
        for model, size in sizes.items():
            if size != common:
                st.caption(f"{model} is traced at its own input size, {size}x{size}, not {common}x{common}.")
    else:
        st.info("Pick at least one model.")


def on_a_photo() -> None:
    left, middle, right = st.columns([2, 1, 1])
    model = left.selectbox("Network", MODELS,
                           key=url_state.bind("net", f"{PAGE}_photo_model", MODELS[0], choices=MODELS),
                           format_func=lambda n: f"{n} · {'pretrained' if has_pretrained(n) else 'random weights'}")
    samples = list(SAMPLES)
    photo_name = middle.selectbox("Photo", samples, format_func=lambda k: SAMPLES[k].title,
                                  key=url_state.bind("photo", f"{PAGE}_photo", samples[0], choices=samples))
    # The image lab's shared model and preprocessing: the model's own crop of the photo is its input.
    inspected, load_error = cached.pretrained_or_random(model)
    if load_error:
        st.error(load_error, icon=":material/broken_image:")
    size = inspected.preprocessing.crop
    fields = [f for f in cached.receptive_fields(model, size) if not f.global_pool]
    a, b = st.columns(2)
    field, row, col = pick_unit(fields, size, f"{PAGE}_{model}", right, a, b)
    layer, (rows, cols) = field.name, field.output_hw
    image = np.asarray(inspected.view(cached.sample_photo(photo_name)))
    box = unit_box(field, row, col, size)
    heat = when_free(lambda: cached.lab_effective_field(model, inspected.pretrained, layer, photo_name, row, col))
    if heat is None:
        return
    a.plotly_chart(figures.photo_with_box(image, box, f"Theoretical field of unit ({row}, {col}): "
                                                      f"{_size(field.rf_hw)} px"), width="stretch", key=f"{PAGE}_box")
    b.plotly_chart(figures.photo_with_box(image, box, "Effective field: |∂unit/∂pixel|", heat=heat),
                   width="stretch", key=f"{PAGE}_erf", theme=None)  # the app theme would replace the colour scale
    nonzero, strong = extent(heat), extent(heat, 0.1)
    top, left_px, bottom, right_px = box
    st.caption(f"`{layer}` ({field.kind}) has {rows}x{cols} units, {_num(field.jump)} px apart. The box (rows "
               f"{top}–{bottom - 1}, columns {left_px}–{right_px - 1}, clipped to the image) is the theoretical field. "
               f"The gradient of the unit (summed over its channels) is non-zero on a {nonzero[0]}x{nonzero[1]} px "
               f"box, but above 10% of its peak only on {strong[0]}x{strong[1]} px: most of the influence comes from "
               "a smaller effective field, usually around the centre, which reaches the unit along far more paths.")
    if inspected.pretrained:
        st.caption(f"{model}: {inspected.weights}. The photo is the model's own {size}x{size} crop, as in the "
                   "image lab.")
    else:
        st.caption("Random weights (seed 0): the heat map shows what the architecture alone does. Choose a "
                   "network marked 'pretrained' for a trained one.")


st.title("Receptive field")
st.write("The receptive field of a unit is the square of input pixels that can change it. The notes' recursion "
         "adds, at each layer, (kernel − 1) steps of the layer's input spacing: the product of all earlier "
         "strides, called the jump or effective stride. The start is the input pixel on which unit 0 is centred.")
st.latex(r"l_k = l_{k-1} + (f_k - 1)\prod_{i=1}^{k-1} s_i,\qquad j_k = j_{k-1}\,s_k,\qquad "
         r"\mathrm{start}_k = \mathrm{start}_{k-1} + \Big(\frac{f_k - 1}{2} - p_k\Big)\, j_{k-1}")
st.caption(f"The notes' example: two stacked 3x3 convolutions see 3 + (3 − 1)·1 = {stack_rf(2)} pixels, three see "
           f"{stack_rf(3)}. Where branches join (ResNet's add, Inception's concatenation) the field is the union of "
           "the branches': the largest over the paths. A dilated kernel counts as f = d(f − 1) + 1.")

names = model_names()
tabs = st.tabs(list(TABS.values()), on_change="rerun",
               key=url_state.bind("tab", f"{PAGE}_tab", TABS["layers"], choices=TAB_IDS, parse=_tab, show=TAB_IDS.get))
for tab, section in zip(tabs, (lambda: layer_table(names), lambda: growth(names), on_a_photo), strict=True):
    if tab.open:
        with tab:
            section()
