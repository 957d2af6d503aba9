"""Concept lab: n stacked 3x3 convolutions vs one (2n+1)x(2n+1) convolution, by formula and in torch."""

from ui.first_visit import through_app

through_app()

import pandas as pd
import streamlit as st

from cnnviz.format import latex_text
from cnnviz.i18n import N_, _
from cnnviz.labs import figures, stacking
from ui import cached, url_state

PAGE = "lab_stacking"

st.title(_("3x3 stacks vs one 7x7 (and 5x5)"))
st.write(_("VGG uses only 3x3 convolutions (stride 1, padding 1). Two of them see a 5x5 window, three a 7x7 one: "
           "the same field as one big kernel, with fewer weights, fewer multiply-accumulates and a ReLU after "
           "every layer instead of one."))

a, b, c = st.columns(3)
channels = a.slider(_("Channels C (in = out)"), 1, 512,
                    key=url_state.bind("channels", f"{PAGE}_channels", 64, bounds=(1, 512)))
layers = b.slider(_("Stacked 3x3 layers"), 1, 6, key=url_state.bind("layers", f"{PAGE}_layers", 3, bounds=(1, 6)))
size = c.slider(_("Feature map size (pixels per side)"), 1, 224,
                key=url_state.bind("size", f"{PAGE}_size", 56, bounds=(1, 224)))

big = stacking.stack_rf(layers)
# The coefficients of C^2: one C -> C layer's weights at C = 1 are its k^2.
stack_weights = layers * stacking.conv_params(1, 3, bias=False)
single_weights = stacking.conv_params(1, big, bias=False)
stacked_text = latex_text(_("{layers} stacked 3x3"), layers=layers)
one_text, versus = latex_text(_("one {size}x{size}"), size=big), latex_text(_("vs"))
st.latex(rf"\underbrace{{{layers} \cdot 3^2 C^2}}_{{{stacked_text}}} = {stack_weights} C^2"
         rf"\quad{versus}\quad \underbrace{{{big}^2 C^2}}_{{{one_text}}} = {single_weights} C^2")

stack, single = stacking.stack_costs(channels, layers, size), stacking.single_costs(channels, layers, size)
stack_t, single_t = stacking.measured_costs(channels, layers, size), stacking.measured_costs(channels, 1, size, big)
rows = [(N_("receptive field (pixels per side)"), "rf"), (N_("parameters with biases"), "params"),
        (N_("parameters without biases"), "params_no_bias"),
        (N_("the notes' count: one filter per layer"), "per_filter"),
        (N_("MACs per image"), "macs"), (N_("non-linearities (ReLU)"), "nonlinearities")]
table = pd.DataFrame([{_("quantity"): _(label),
                       _("{layers} x 3x3 (formula)").format(layers=layers): getattr(stack, key),
                       _("{layers} x 3x3 (torch)").format(layers=layers): getattr(stack_t, key),
                       _("one {size}x{size} (formula)").format(size=big): getattr(single, key),
                       _("one {size}x{size} (torch)").format(size=big): getattr(single_t, key),
                       _("ratio stack / single"): f"{getattr(stack, key) / getattr(single, key):.3f}"}
                      for label, key in rows])
st.dataframe(table, hide_index=True, width="stretch",
             column_config={col: st.column_config.NumberColumn(format="localized") for col in table.columns[1:5]})
agree = all(getattr(stack, k) == getattr(stack_t, k) and getattr(single, k) == getattr(single_t, k) for _, k in rows)
(st.success if agree else st.error)(
    _("Formula and torch agree on every number: parameters counted on `nn.Conv2d` modules, MACs by PyTorch's "
      "FLOP counter, ReLUs counted, and the field measured by back-propagation through the built stack.")
    if agree else _("Formula and torch disagree: see the table."))
more = (_("the stack also has 1 more non-linearity.") if layers == 2 else
        _("the stack also has {count} more non-linearities.").format(count=layers - 1))
st.caption(_("MACs assume 'same' padding on a {size}x{size} map: every layer does k²C² multiply-accumulates per "
             "pixel. Ratio of weights: {stack}/{single} = {ratio}; {more}").format(
                 size=size, stack=stack_weights, single=single_weights, ratio=f"{stack_weights / single_weights:.3f}",
                 more=more))

st.plotly_chart(cached.figure(("stacking", layers), lambda: figures.stacking_steps(layers)), width="stretch",
                key=f"{PAGE}_steps")
st.caption(_("One output unit, traced back: each 3x3 layer below it widens the window by 2 pixels ({steps}).").format(
    steps=", ".join(map(str, stacking.rf_steps(layers)))))

st.header(_("The notes' numbers"))
per3, per7 = stacking.per_filter_params(3, 3, 3), stacking.per_filter_params(3, 7)
notes_claim = cached.checked_claims_with_keys(("vgg16-7x7-vs-3x3",))[0]  # checked as on VGG's page
full3, full7 = 3 * stacking.conv_params(3, 3, bias=False), stacking.conv_params(3, 7, bias=False)
st.write((_("The CS231n summary (002) writes “{summary}” against “7x7xC=49C”, and the course notes (001), “assuming 3 "
           "channel”, 1·7·7·3 = {per7} against 3·3·3·3 = {per3}. Computed: 27C and 49C at C = 3 are {per3} and "
           "{per7}, so those numbers are right, but they count **one filter per layer** (one output channel). "
           "Three full 3x3 layers with 3 input and 3 output channels have 3·(3·3·3·3) = {full3} weights, and one "
           "7x7 layer 7·7·3·3 = {full7} (27C² vs 49C²). The ratio, 27C/49C = {ratio}, is the same either way.")
          if notes_claim["correct"] else
          _("The CS231n summary (002) writes “{summary}” against “7x7xC=49C”, and the course notes (001), “assuming 3 "
            "channel”, 1·7·7·3 = {per7} against 3·3·3·3 = {per3}. Computed: 27C and 49C at C = 3 are {per3} and "
            "{per7}, so those numbers are wrong, and they count **one filter per layer** (one output channel). "
            "Three full 3x3 layers with 3 input and 3 output channels have 3·(3·3·3·3) = {full3} weights, and one "
            "7x7 layer 7·7·3·3 = {full7} (27C² vs 49C²). The ratio, 27C/49C = {ratio}, is the same either way."))
         .format(summary=stacking.SUMMARY_QUOTE.shown(), per3=per3, per7=per7, full3=full3, full7=full7,
                 ratio=f"{per3 / per7:.3f}"))
