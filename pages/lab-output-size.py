"""Concept lab: output-size calculator for convolution, pooling and transposed convolution, checked by torch."""

from ui.first_visit import through_app

through_app()

import pandas as pd
import streamlit as st

from cnnviz.i18n import N_, _
from cnnviz.labs import figures
from cnnviz.labs.output_size import KINDS, Layer, formula, torch_size
from ui import url_state

PAGE = "lab_output_size"
OWN = "own"  # the example id of "your own numbers"
TITLES = {OWN: N_("(your own numbers)"),
          "alexnet-paper": N_("AlexNet conv1 as the paper states it (224, 11, 4, 0)"),
          "alexnet-227": N_("AlexNet conv1 on 227 pixels"),
          "vgg-3x3": N_("VGG 3x3, pad 1"),
          "googlenet-pool": N_("GoogLeNet's 3x3/2 max-pool, ceil mode"),
          "dilated": N_("A dilated 3x3 (dilation 2)"),
          "unet-up": N_("U-Net's 2x2 up-convolution")}
SETTINGS = {  # example id: (kind, W, F, S, P, D, ceil_mode, output_padding)
    OWN: ("convolution", 8, 3, 2, 0, 1, False, 0),
    "alexnet-paper": ("convolution", 224, 11, 4, 0, 1, False, 0),
    "alexnet-227": ("convolution", 227, 11, 4, 0, 1, False, 0),
    "vgg-3x3": ("convolution", 224, 3, 1, 1, 1, False, 0),
    "googlenet-pool": ("max pooling", 112, 3, 2, 0, 1, True, 0),
    "dilated": ("convolution", 28, 3, 1, 2, 2, False, 0),
    "unet-up": ("transposed convolution", 28, 2, 2, 0, 1, False, 0),
}
EXAMPLES = [name for name in SETTINGS if name != OWN]


def _whole(place, label: str, param: str, bottom: int, top: int, default: int, example: str, **kwargs) -> int:
    """A whole number from ``bottom`` to ``top``, ``param`` in the link; each example keeps its own edits."""
    key = url_state.bind(param, f"{PAGE}_{example}_{param}", default, bounds=(bottom, top))
    return place.number_input(label, bottom, top, key=key, **kwargs)

st.title(_("Output-size calculator"))
st.latex(r"W_\text{out} = \Big\lfloor \frac{W - F_\text{eff} + 2P}{S} \Big\rfloor + 1,\qquad F_\text{eff} = D(F-1)+1")
st.latex(r"\text{" + _("transposed:") + r" } W_\text{out} = (W-1)S - 2P + D(F-1) + \text{output\_padding} + 1")
st.caption(_("Pooling with ceil_mode rounds up instead, but PyTorch drops a last window that would start in the "
             "right padding. Every answer is also computed by running the PyTorch layer."))

example = st.selectbox(_("Start from"), list(SETTINGS), format_func=lambda name: _(TITLES[name]),
                       key=url_state.bind("example", f"{PAGE}_example", OWN, choices=SETTINGS))
kind, width, kernel, stride, padding, dilation, ceil_mode, output_padding = SETTINGS[example]
a, b, c, d, e = st.columns(5)
# In the link a kind is written without spaces: kind=max-pooling.
kind = a.selectbox(_("Layer"), KINDS, format_func=_, key=url_state.bind("kind", f"{PAGE}_{example}_kind", kind, choices=KINDS,
                                                      parse=lambda raw: raw.replace("-", " "),
                                                      show=lambda name: name.replace(" ", "-")))
width = _whole(b, _("Input W"), "w", 1, 4096, width, example)
kernel = _whole(c, _("Kernel F"), "f", 1, 64, kernel, example)
stride = _whole(d, _("Stride S"), "s", 1, 64, stride, example)
padding = _whole(e, _("Padding P"), "p", 0, 64, padding, example)
a, b, c = st.columns(3)
dilation = _whole(a, _("Dilation D"), "d", 1, 16, dilation, example)
ceil_mode = b.toggle(_("ceil_mode (pooling)"), key=url_state.flag("ceil", f"{PAGE}_{example}_ceil", ceil_mode),
                     disabled=kind != "max pooling")
output_padding = _whole(c, _("output_padding (transposed)"), "op", 0, 63, output_padding, example,
                        disabled=kind != "transposed convolution")
layer = Layer(kind, int(kernel), int(stride), int(padding), int(dilation), bool(ceil_mode) and kind == "max pooling",
              int(output_padding) if kind == "transposed convolution" else 0)

answer = formula(int(width), layer)
torch_answer, torch_error = torch_size(int(width), layer)
x, y = st.columns(2)
if answer.size is None:
    x.error(_("No output: {reason}.").format(reason=answer.error))
else:
    if kind == "transposed convolution":
        x.latex(rf"W_\text{{out}} = ({width}-1)\cdot{stride} - 2\cdot{padding} + {dilation}\cdot({kernel}-1) + "
                rf"{layer.output_padding} + 1 = {answer.size}")
    else:
        rounding = r"\Big\lceil" if layer.ceil_mode else r"\Big\lfloor"
        closing = r"\Big\rceil" if layer.ceil_mode else r"\Big\rfloor"
        plus = r" + 1 - 1" if answer.dropped else " + 1"  # - 1: the window PyTorch drops, starting in the padding
        x.latex(rf"{rounding} \frac{{{width} - {layer.effective_kernel} + 2\cdot{padding}}}{{{stride}}} {closing}{plus}"
                rf" = {rounding} \frac{{{answer.numerator}}}{{{stride}}} {closing}{plus} = {answer.size}")
    x.metric(_("Output size"), f"{answer.size} x {answer.size}")
    (x.info if answer.remainder else x.caption)(answer.note)
if torch_answer is None:
    y.metric("PyTorch", _("error"))
    y.caption(_("PyTorch: {message}").format(message=torch_error))  # PyTorch's own words, in English
else:
    y.metric("PyTorch", f"{torch_answer} x {torch_answer}")
same = answer.size == torch_answer
(y.success if same else y.error)(_("The formula and PyTorch agree.") if same else _("The formula and PyTorch disagree."))

diagram = figures.windows(int(width), layer, answer)
if diagram is not None:
    st.plotly_chart(diagram, width="stretch", key=f"{PAGE}_windows")
elif answer.size is not None and kind != "transposed convolution":
    st.caption(_("The window diagram is drawn for inputs of at most 64 pixels."))

st.header(_("The examples, all at once"))
records = []
for name in EXAMPLES:
    k, w, f, s, p, dl, cm, op = SETTINGS[name]
    ex = Layer(k, f, s, p, dl, cm, op)
    result, (torch_result, _error) = formula(w, ex), torch_size(w, ex)
    records.append({_("example"): _(TITLES[name]), _("formula"): result.size, "PyTorch": torch_result,
                    _("division"): _("whole") if result.remainder == 0 else _("remainder {remainder}").format(
                        remainder=result.remainder)})
st.dataframe(pd.DataFrame(records), hide_index=True, width="stretch")
paper, fixed = formula(224, Layer("convolution", 11, 4)), formula(227, Layer("convolution", 11, 4))
st.caption(_("The AlexNet paper's 224-pixel input gives (224 − 11)/4 + 1 = {value}: not whole, so PyTorch's floor "
             "gives {floor}, not the paper's 55x55. With 227 pixels the division is exact: {exact}.").format(
                 value=f"{paper.numerator / 4 + 1:g}", floor=paper.size, exact=fixed.size))
