"""Concept lab: output-size calculator for convolution, pooling and transposed convolution, checked by torch."""

from ui.first_visit import through_app

through_app()

import pandas as pd
import streamlit as st

from cnnviz.labs import figures
from cnnviz.labs.output_size import KINDS, Layer, formula, torch_size

PAGE = "lab_output_size"
EXAMPLES = {  # name: (kind, W, F, S, P, D, ceil_mode, output_padding)
    "AlexNet conv1 as the paper states it (224, 11, 4, 0)": ("convolution", 224, 11, 4, 0, 1, False, 0),
    "AlexNet conv1 on 227 pixels": ("convolution", 227, 11, 4, 0, 1, False, 0),
    "VGG 3x3, pad 1": ("convolution", 224, 3, 1, 1, 1, False, 0),
    "GoogLeNet's 3x3/2 max-pool, ceil mode": ("max pooling", 112, 3, 2, 0, 1, True, 0),
    "A dilated 3x3 (dilation 2)": ("convolution", 28, 3, 1, 2, 2, False, 0),
    "U-Net's 2x2 up-convolution": ("transposed convolution", 28, 2, 2, 0, 1, False, 0),
}

st.title("Output-size calculator")
st.latex(r"W_\text{out} = \Big\lfloor \frac{W - F_\text{eff} + 2P}{S} \Big\rfloor + 1,\qquad F_\text{eff} = D(F-1)+1")
st.latex(r"\text{transposed: } W_\text{out} = (W-1)S - 2P + D(F-1) + \text{output\_padding} + 1")
st.caption("Pooling with ceil_mode rounds up instead, but PyTorch drops a last window that would start in the "
           "right padding. Every answer is also computed by running the PyTorch layer.")

example = st.selectbox("Start from", ["(your own numbers)", *EXAMPLES], key=f"{PAGE}_example")
kind, width, kernel, stride, padding, dilation, ceil_mode, output_padding = EXAMPLES.get(
    example, ("convolution", 8, 3, 2, 0, 1, False, 0))
a, b, c, d, e = st.columns(5)
kind = a.selectbox("Layer", KINDS, index=KINDS.index(kind), key=f"{PAGE}_{example}_kind")
width = b.number_input("Input W", 1, 4096, width, key=f"{PAGE}_{example}_w")
kernel = c.number_input("Kernel F", 1, 64, kernel, key=f"{PAGE}_{example}_f")
stride = d.number_input("Stride S", 1, 64, stride, key=f"{PAGE}_{example}_s")
padding = e.number_input("Padding P", 0, 64, padding, key=f"{PAGE}_{example}_p")
a, b, c = st.columns(3)
dilation = a.number_input("Dilation D", 1, 16, dilation, key=f"{PAGE}_{example}_d")
ceil_mode = b.toggle("ceil_mode (pooling)", ceil_mode, key=f"{PAGE}_{example}_ceil", disabled=kind != "max pooling")
output_padding = c.number_input("output_padding (transposed)", 0, 63, output_padding, key=f"{PAGE}_{example}_op",
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
for name, (k, w, f, s, p, dl, cm, op) in EXAMPLES.items():
    ex = Layer(k, f, s, p, dl, cm, op)
    result, (torch_result, _) = formula(w, ex), torch_size(w, ex)
    records.append({"example": name, "formula": result.size, "PyTorch": torch_result,
                    "division": "whole" if result.remainder == 0 else f"remainder {result.remainder}"})
st.dataframe(pd.DataFrame(records), hide_index=True, width="stretch")
paper, fixed = formula(224, Layer("convolution", 11, 4)), formula(227, Layer("convolution", 11, 4))
st.caption(f"The AlexNet paper's 224-pixel input gives (224 − 11)/4 + 1 = {paper.numerator / 4 + 1:g}: not whole, "
           f"so PyTorch's floor gives {paper.size}, not the paper's 55x55. With 227 pixels the division is exact: "
           f"{fixed.size}.")
