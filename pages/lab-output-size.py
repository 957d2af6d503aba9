"""Concept lab: output-size calculator for convolution, pooling and transposed convolution, checked by torch."""

from ui.first_visit import through_app

through_app()

import pandas as pd
import streamlit as st

from cnnviz.labs import figures
from cnnviz.labs.output_size import KINDS, Layer, formula, torch_size
from ui import url_state

PAGE = "lab_output_size"
OWN = "own"  # the example id of "your own numbers"
TITLES = {OWN: "(your own numbers)",
          "alexnet-paper": "AlexNet conv1 as the paper states it (224, 11, 4, 0)",
          "alexnet-227": "AlexNet conv1 on 227 pixels",
          "vgg-3x3": "VGG 3x3, pad 1",
          "googlenet-pool": "GoogLeNet's 3x3/2 max-pool, ceil mode",
          "dilated": "A dilated 3x3 (dilation 2)",
          "unet-up": "U-Net's 2x2 up-convolution"}
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

st.title("Output-size calculator")
st.latex(r"W_\text{out} = \Big\lfloor \frac{W - F_\text{eff} + 2P}{S} \Big\rfloor + 1,\qquad F_\text{eff} = D(F-1)+1")
st.latex(r"\text{transposed: } W_\text{out} = (W-1)S - 2P + D(F-1) + \text{output\_padding} + 1")
st.caption("Pooling with ceil_mode rounds up instead, but PyTorch drops a last window that would start in the "
           "right padding. Every answer is also computed by running the PyTorch layer.")

example = st.selectbox("Start from", list(SETTINGS), format_func=TITLES.get,
                       key=url_state.bind("example", f"{PAGE}_example", OWN, choices=SETTINGS))
kind, width, kernel, stride, padding, dilation, ceil_mode, output_padding = SETTINGS[example]
a, b, c, d, e = st.columns(5)
# In the link a kind is written without spaces: kind=max-pooling.
kind = a.selectbox("Layer", KINDS, key=url_state.bind("kind", f"{PAGE}_{example}_kind", kind, choices=KINDS,
                                                      parse=lambda raw: raw.replace("-", " "),
                                                      show=lambda name: name.replace(" ", "-")))
width = _whole(b, "Input W", "w", 1, 4096, width, example)
kernel = _whole(c, "Kernel F", "f", 1, 64, kernel, example)
stride = _whole(d, "Stride S", "s", 1, 64, stride, example)
padding = _whole(e, "Padding P", "p", 0, 64, padding, example)
a, b, c = st.columns(3)
dilation = _whole(a, "Dilation D", "d", 1, 16, dilation, example)
ceil_mode = b.toggle("ceil_mode (pooling)", key=url_state.flag("ceil", f"{PAGE}_{example}_ceil", ceil_mode),
                     disabled=kind != "max pooling")
output_padding = _whole(c, "output_padding (transposed)", "op", 0, 63, output_padding, example,
                        disabled=kind != "transposed convolution")
layer = Layer(kind, int(kernel), int(stride), int(padding), int(dilation), bool(ceil_mode) and kind == "max pooling",
              int(output_padding) if kind == "transposed convolution" else 0)

answer = formula(int(width), layer)
torch_answer, torch_error = torch_size(int(width), layer)
x, y = st.columns(2)
if answer.size is None:
    x.error(f"No output: {answer.error}.")
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
    x.metric("Output size", f"{answer.size} x {answer.size}")
    (x.info if answer.remainder else x.caption)(answer.note)
if torch_answer is None:
    y.metric("PyTorch", "error")
    y.caption(f"PyTorch: {torch_error}")
else:
    y.metric("PyTorch", f"{torch_answer} x {torch_answer}")
same = answer.size == torch_answer
(y.success if same else y.error)("The formula and PyTorch agree." if same else "The formula and PyTorch disagree.")

diagram = figures.windows(int(width), layer, answer)
if diagram is not None:
    st.plotly_chart(diagram, width="stretch", key=f"{PAGE}_windows")
elif answer.size is not None and kind != "transposed convolution":
    st.caption("The window diagram is drawn for inputs of at most 64 pixels.")

st.subheader("The examples, all at once")
records = []
for name in EXAMPLES:
    k, w, f, s, p, dl, cm, op = SETTINGS[name]
    ex = Layer(k, f, s, p, dl, cm, op)
    result, (torch_result, _) = formula(w, ex), torch_size(w, ex)
    records.append({"example": TITLES[name], "formula": result.size, "PyTorch": torch_result,
                    "division": "whole" if result.remainder == 0 else f"remainder {result.remainder}"})
st.dataframe(pd.DataFrame(records), hide_index=True, width="stretch")
paper, fixed = formula(224, Layer("convolution", 11, 4)), formula(227, Layer("convolution", 11, 4))
st.caption(f"The AlexNet paper's 224-pixel input gives (224 − 11)/4 + 1 = {paper.numerator / 4 + 1:g}: not whole, "
           f"so PyTorch's floor gives {paper.size}, not the paper's 55x55. With 227 pixels the division is exact: "
           f"{fixed.size}.")
