"""Concept lab: receptive fields by the notes' recursion, checked by back-propagation, and on a photo."""

from ui.first_visit import through_app

through_app()

from collections import Counter

import numpy as np
import pandas as pd
import streamlit as st

from cnnviz.analysis.receptive_field.effective import MODELS, extent
from cnnviz.analysis.receptive_field.recursion import GROWTH_MODELS, last_stage, unit_box
from cnnviz.imagelab.pretrained import has_pretrained
from cnnviz.i18n import N_, _
from cnnviz.imagelab.samples import SAMPLES
from cnnviz.labs import figures
from cnnviz.labs.stacking import stack_rf
from cnnviz.zoo.registry import model_names, resolve
from ui import cached, linked_tabs, presenter, url_state
from ui.busy import when_free
from ui.unit_picker import pick_unit

PAGE = "lab_rf"
TABS = {"layers": N_("Layer by layer"), "growth": N_("Growth across models"), "photo": N_("On a photo")}


def _size(hw) -> str:
    return str(hw[0]) if hw[0] == hw[1] else f"{hw[0]}x{hw[1]}"


def _num(value: float) -> str:
    return f"{value:g}"


def _records(fields) -> list[dict]:
    rows = []
    layer, kind, recursion, jump, start, shape = (_("layer"), _("kind"), _("recursion"), _("jump j(k)"), _("start"),
                                                  _("map"))
    for f in fields:
        rows.append({layer: f.name, kind: f.kind, "f": f.kernel, "s": f.stride, "l(k-1)": f.rf_in,
                     "j(k-1)": _num(f.jump_in), recursion: _(f.recursion()), "l(k)": _size(f.rf_hw),
                     jump: _num(f.jump), start: _num(f.start),
                     shape: _("{size} · global pool").format(size=_size(f.output_hw)) if f.global_pool
                     else _size(f.output_hw)})
    return rows


def _first_line(error: Exception) -> str:
    return str(error).splitlines()[0]


def layer_table(names: list[str]) -> None:
    name = st.selectbox(_("Model"), names, key=url_state.bind("model", f"{PAGE}_model", "vgg16", choices=names))
    try:
        fields = cached.receptive_fields(name)
        stage = last_stage(fields)
    except (RuntimeError, ValueError) as error:
        st.error(_("Cannot trace {model}: {reason}").format(model=name, reason=_first_line(error)))
    else:
        a, b, c = st.columns(3)
        a.metric(_("Receptive field of the last stage"), f"{_size(stage.rf_hw)} px",
                 help=_("at `{layer}`").format(layer=stage.name))
        b.metric(_("Effective stride (jump)"), f"{_num(stage.jump)} px")
        c.metric(_("Field-changing layers"), len(fields))
        with presenter.folded(N_("Every layer's field")):
            st.dataframe(pd.DataFrame(_records(fields)), hide_index=True, width="stretch", height=380)
        if st.toggle(_("Check by back-propagation"), key=url_state.flag("measure", f"{PAGE}_{name}_measure"),
                     help=_("Linearise the model (identity activations and norms, average instead of max pooling, "
                            "one positive weight everywhere) and find the pixels with non-zero gradient.")):
            try:
                with st.spinner(_("Back-propagating through the linearised model…")):
                    measured = cached.lab_measured_field(name)
            except (RuntimeError, ValueError) as error:
                st.error(_("The measurement failed: {reason}").format(reason=_first_line(error)))
            else:
                same = measured.rf_hw == stage.rf_hw
                text = (_("Back-propagating from unit {unit} of `{layer}` on a {height}x{width} input, the gradient "
                          "is non-zero on {field} pixels along the width (every kernel is square, so the height is "
                          "the same), starting at pixel {first}; the recursion says {recursion}.")
                        if measured.mirrored else
                        _("Back-propagating from unit {unit} of `{layer}` on a {height}x{width} input, the gradient "
                          "is non-zero on {field} pixels along both axes, starting at pixel {first}; the recursion "
                          "says {recursion}.")).format(
                    unit=measured.unit_hw, layer=measured.layer, height=measured.input_hw[1][0],
                    width=measured.input_hw[1][1], field=_size(measured.rf_hw), first=measured.first_hw[1],
                    recursion=_size(stage.rf_hw))
                (st.success if same else st.error)(text, icon=":material/check_circle:" if same else ":material/error:")


def growth(names: list[str]) -> None:
    chosen = st.multiselect(_("Models"), names, key=url_state.several("models", f"{PAGE}_growth_models", names, GROWTH_MODELS))
    series = {}
    for model in chosen:
        try:
            series[model] = cached.receptive_fields(model)
        except (RuntimeError, ValueError) as error:
            st.warning(_("{model} skipped: {reason}").format(model=model, reason=_first_line(error)))
    if series:
        # Each model is traced at its own input size; the line marks the size most of the chosen ones use.
        sizes = {model: resolve(model)[1].input_size for model in series}
        common = Counter(sizes.values()).most_common(1)[0][0]
        st.plotly_chart(figures.rf_growth(series, common), width="stretch", key=f"{PAGE}_growth")
        st.caption(_("Each point is one convolution, pooling or join. Strides multiply the jump, so fields grow "
                     "fastest late in the network; above the dotted line a unit's field is larger than the "
                     "{size}x{size} input the models are traced at (the rest is padding).").format(size=common))
        for model, size in sizes.items():
            if size != common:
                st.caption(_("{model} is traced at its own input size, {size}x{size}, not {common}x{common}.").format(
                    model=model, size=size, common=common))
    else:
        st.info(_("Pick at least one model."))


def on_a_photo() -> None:
    left, middle, right = st.columns([2, 1, 1])
    model = left.selectbox(_("Network"), MODELS,
                           key=url_state.bind("net", f"{PAGE}_photo_model", MODELS[0], choices=MODELS),
                           format_func=lambda n: (_("{model} · pretrained") if has_pretrained(n)
                                                  else _("{model} · random weights")).format(model=n))
    samples = list(SAMPLES)
    photo_name = middle.selectbox(_("Photo"), samples, format_func=lambda k: _(SAMPLES[k].title),
                                  key=url_state.bind("photo", f"{PAGE}_photo", samples[0], choices=samples,
                                                     label=lambda k: _(SAMPLES[k].title)))
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
    with st.spinner(_("Back-propagating from the unit…")):
        heat = when_free(lambda: cached.lab_effective_field(model, inspected.pretrained, layer, photo_name, row, col))
    if heat is None:
        return
    a.plotly_chart(figures.photo_with_box(image, box, _("Theoretical field of unit ({row}, {col}): {size} px").format(
        row=row, col=col, size=_size(field.rf_hw))), width="stretch", key=f"{PAGE}_box")
    b.plotly_chart(figures.photo_with_box(image, box, _("Effective field: |∂unit/∂pixel|"), heat=heat),
                   width="stretch", key=f"{PAGE}_erf", theme=None)  # the app theme would replace the colour scale
    nonzero, strong = extent(heat), extent(heat, 0.1)
    top, left_px, bottom, right_px = box
    st.caption(_("`{layer}` ({kind}) has {rows}x{cols} units, {jump} px apart. The box (rows {top}–{bottom}, "
                 "columns {left}–{right}, clipped to the image) is the theoretical field. The gradient of the unit "
                 "(summed over its channels) is non-zero on a {nonzero_h}x{nonzero_w} px box, but above 10% of its "
                 "peak only on {strong_h}x{strong_w} px: most of the influence comes from a smaller effective field, "
                 "usually around the centre, which reaches the unit along far more paths.").format(
                     layer=layer, kind=field.kind, rows=rows, cols=cols, jump=_num(field.jump), top=top,
                     bottom=bottom - 1, left=left_px, right=right_px - 1, nonzero_h=nonzero[0], nonzero_w=nonzero[1],
                     strong_h=strong[0], strong_w=strong[1]))
    if inspected.pretrained:
        st.caption(_("{model}: {weights}. The photo is the model's own {size}x{size} crop, as in the image lab.").format(
            model=model, weights=inspected.weights, size=size))
    else:
        st.caption(_("Random weights (seed 0): the heat map shows what the architecture alone does. Choose a "
                     "network marked 'pretrained' for a trained one."))


st.title(_("Receptive field"))
st.write(_("The receptive field of a unit is the square of input pixels that can change it. The notes' recursion "
           "adds, at each layer, (kernel − 1) steps of the layer's input spacing: the product of all earlier "
           "strides, called the jump or effective stride. The start is the input pixel on which unit 0 is centred."))
st.latex(r"l_k = l_{k-1} + (f_k - 1)\prod_{i=1}^{k-1} s_i,\qquad j_k = j_{k-1}\,s_k,\qquad "
         r"\mathrm{start}_k = \mathrm{start}_{k-1} + \Big(\frac{f_k - 1}{2} - p_k\Big)\, j_{k-1}")
st.caption(_("The notes' example: two stacked 3x3 convolutions see 3 + (3 − 1)·1 = {two} pixels, three see "
             "{three}. Where branches join (ResNet's add, Inception's concatenation) the field is the union of "
             "the branches': the largest over the paths. A dilated kernel counts as f = d(f − 1) + 1.").format(
                 two=stack_rf(2), three=stack_rf(3)))

names = model_names()
linked_tabs.open_tab(f"{PAGE}_tab", TABS, {"layers": lambda: layer_table(names), "growth": lambda: growth(names),
                                          "photo": on_a_photo})
