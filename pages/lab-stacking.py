"""Concept lab: n stacked 3x3 convolutions vs one (2n+1)x(2n+1) convolution, by formula and in torch."""

from ui.first_visit import through_app

through_app()

import pandas as pd
import streamlit as st

from cnnviz.labs import figures, stacking
from ui import cached, url_state

PAGE = "lab_stacking"

st.title("3x3 stacks vs one 7x7 (and 5x5)")
st.write("VGG uses only 3x3 convolutions (stride 1, padding 1). Two of them see a 5x5 window, three a 7x7 one: "
         "the same field as one big kernel, with fewer weights, fewer multiply-accumulates and a ReLU after "
         "every layer instead of one.")

a, b, c = st.columns(3)
channels = a.slider("Channels C (in = out)", 1, 512,
                    key=url_state.bind("channels", f"{PAGE}_channels", 64, bounds=(1, 512)))
layers = b.slider("Stacked 3x3 layers", 1, 6, key=url_state.bind("layers", f"{PAGE}_layers", 3, bounds=(1, 6)))
size = c.slider("Feature map size (pixels per side)", 1, 224,
                key=url_state.bind("size", f"{PAGE}_size", 56, bounds=(1, 224)))

big = stacking.stack_rf(layers)
# The coefficients of C^2: one C -> C layer's weights at C = 1 are its k^2.
stack_weights = layers * stacking.conv_params(1, 3, bias=False)
single_weights = stacking.conv_params(1, big, bias=False)
st.latex(rf"\underbrace{{{layers} \cdot 3^2 C^2}}_{{\text{{{layers} stacked 3x3}}}} = {stack_weights} C^2"
         rf"\quad\text{{vs}}\quad \underbrace{{{big}^2 C^2}}_{{\text{{one {big}x{big}}}}} = {single_weights} C^2")

stack, single = stacking.stack_costs(channels, layers, size), stacking.single_costs(channels, layers, size)
stack_t, single_t = stacking.measured_costs(channels, layers, size), stacking.measured_costs(channels, 1, size, big)
rows = [("receptive field (pixels per side)", "rf"), ("parameters with biases", "params"),
        ("parameters without biases", "params_no_bias"), ("the notes' count: one filter per layer", "per_filter"),
        ("MACs per image", "macs"), ("non-linearities (ReLU)", "nonlinearities")]
table = pd.DataFrame([{"quantity": label,
                       f"{layers} x 3x3 (formula)": getattr(stack, key),
                       f"{layers} x 3x3 (torch)": getattr(stack_t, key),
                       f"one {big}x{big} (formula)": getattr(single, key),
                       f"one {big}x{big} (torch)": getattr(single_t, key),
                       "ratio stack / single": f"{getattr(stack, key) / getattr(single, key):.3f}"}
                      for label, key in rows])
st.dataframe(table, hide_index=True, width="stretch",
             column_config={col: st.column_config.NumberColumn(format="localized") for col in table.columns[1:5]})
agree = all(getattr(stack, k) == getattr(stack_t, k) and getattr(single, k) == getattr(single_t, k) for _, k in rows)
(st.success if agree else st.error)(
    "Formula and torch agree on every number: parameters counted on `nn.Conv2d` modules, MACs by PyTorch's "
    "FLOP counter, ReLUs counted, and the field measured by back-propagation through the built stack."
    if agree else "Formula and torch disagree: see the table.")
st.caption(f"MACs assume 'same' padding on a {size}x{size} map: every layer does k²C² multiply-accumulates per "
           f"pixel. Ratio of weights: {stack_weights}/{single_weights} = {stack_weights / single_weights:.3f}; the "
           f"stack also has {layers - 1} more non-linearit{'y' if layers == 2 else 'ies'}.")

st.plotly_chart(figures.stacking_steps(layers), width="stretch", key=f"{PAGE}_steps")
st.caption("One output unit, traced back: each 3x3 layer below it widens the window by 2 pixels "
           f"({', '.join(map(str, stacking.rf_steps(layers)))}).")

st.subheader("The notes' numbers")
per3, per7 = stacking.per_filter_params(3, 3, 3), stacking.per_filter_params(3, 7)
notes_claim = cached.checked_claims_with_keys(("vgg16-7x7-vs-3x3",))[0]  # checked as on VGG's page
full3, full7 = 3 * stacking.conv_params(3, 3, bias=False), stacking.conv_params(3, 7, bias=False)
st.write(f"The CS231n summary writes 3·(3·3·C) = 27C against 7·7·C = 49C, and the course notes, 'assuming 3 "
         f"channels', 1·7·7·3 = {per7} against 3·3·3·3 = {per3}. Computed: 27C and 49C at C = 3 are {per3} and "
         f"{per7}, so those numbers are {'right' if notes_claim['correct'] else 'wrong'}, but they count **one filter per layer** (one output channel). "
         f"Three full 3x3 layers with 3 input and 3 output channels have 3·(3·3·3·3) = {full3} weights, and one "
         f"7x7 layer 7·7·3·3 = {full7} (27C² vs 49C²). The ratio, 27C/49C = {per3 / per7:.3f}, is the same "
         "either way.")
