"""Concept lab: what a 1x1 convolution computes, and global average pooling vs fully connected heads."""

from ui.first_visit import through_app

through_app()

import pandas as pd
import streamlit as st

from cnnviz.labs import figures, gap
from cnnviz.labs.bottleneck import Conv, chain, counted
from ui import cached, url_state

PAGE = "lab_gap"


def _following_cost(c_in: int, c_out: int) -> str:
    """What the 1x1 does to a following 3x3 convolution's cost: it reads c_out channels instead of c_in."""
    if c_out < c_in:
        return f"makes a following 3x3 convolution {c_in / c_out:.2f}x cheaper"
    if c_out == c_in:
        return "leaves a following 3x3 convolution's cost as it is"
    return f"is an expansion: a following 3x3 convolution costs {c_out / c_in:.2f}x more"

st.title("1x1 convolutions and global average pooling")

st.header("1x1 convolution")
st.write("A 1x1 convolution applies one C_out x C_in matrix at every pixel: it mixes the channels of that pixel "
         "and nothing else, so it changes depth, not width or height.")
st.latex(r"y_{o,x,y} = b_o + \sum_{c=1}^{C_\text{in}} W_{o,c}\, x_{c,x,y}")
a, b, c = st.columns(3)
c_in = a.slider("C_in", 1, 1024, key=url_state.bind("in", f"{PAGE}_in", 256, bounds=(1, 1024)))
c_out = b.slider("C_out", 1, 1024, key=url_state.bind("out", f"{PAGE}_out", 64, bounds=(1, 1024)))
size = c.slider("Map size", 1, 112, key=url_state.bind("size", f"{PAGE}_size", 28, bounds=(1, 112)))
params, macs = gap.one_by_one_params(c_in, c_out), gap.one_by_one_macs(c_in, c_out, size)
torch_params, torch_macs = counted(chain([Conv("1x1", c_in, c_out, 1)]), c_in, size)
x, y, z = st.columns(3)
x.metric("Weights", f"{params:,}", help=f"{c_in}·{c_out} + {c_out} biases; torch counts {torch_params:,}")
y.metric("MACs", f"{macs:,}", help=f"{c_in}·{c_out}·{size}²; PyTorch's FLOP counter gives {torch_macs:,}")
z.metric("Output", f"{size}x{size}x{c_out}", help="the same width and height, new depth")
if (params, macs) != (torch_params, torch_macs):
    st.error("The formula and torch disagree.")
st.markdown(f"- **Channel mixing**: every output channel is a weighted sum of all {c_in} input channels at the same "
            "pixel, like a fully connected layer shared by every pixel.\n"
            f"- **Dimension reduction**: {c_in} → {c_out} channels {_following_cost(c_in, c_out)} "
            "(GoogLeNet's bottlenecks and ResNet's 1x1-3x3-1x1 blocks reduce this way).\n"
            "- **Extra non-linearity**: 1x1 convolution + ReLU is a per-pixel multilayer perceptron (Network in "
            "Network's mlpconv), more depth for few weights.")
demo = gap.one_by_one_is_matmul()
st.caption(f"Checked live: a random 1x1 convolution (8 → 4 channels, 5x5 map) and the same weights applied as a "
           f"4x8 matrix at every pixel differ by at most {demo['max_difference']:.1e}.")
with st.expander("The matrix and one pixel"):
    st.dataframe(pd.DataFrame(demo["matrix"], index=[f"out {o}" for o in range(4)],
                              columns=[f"in {c}" for c in range(8)]).round(3))
    st.write("pixel (0, 0) in:", demo["pixel_in"].round(3).tolist())
    st.write("pixel (0, 0) out:", demo["pixel_out"].round(3).tolist())

st.header("Global average pooling vs a fully connected head")
st.write("VGG flattens its last 7x7x512 map into 25,088 numbers and connects each to 4096 units. Global average "
         "pooling (GAP) first averages each channel over the map (no weights), leaving 512 numbers.")
a, b, c = st.columns(3)
channels = a.number_input("Channels C", 1, 4096, key=url_state.bind("channels", f"{PAGE}_c", 512, bounds=(1, 4096)))
side = b.number_input("Map size H = W", 1, 64, key=url_state.bind("side", f"{PAGE}_side", 7, bounds=(1, 64)))
hidden = c.number_input("Units in the FC layer", 1, 16384,
                        key=url_state.bind("hidden", f"{PAGE}_hidden", 4096, bounds=(1, 16384)))
fc, pooled = gap.fc_head(channels, side, hidden), gap.gap_head(channels, hidden)
measured = gap.torch_heads(channels, side, hidden)
st.latex(rf"\underbrace{{{side}\cdot{side}\cdot{channels}\cdot{hidden} + {hidden}}}_{{\text{{flatten + FC}}}} = "
         rf"{fc.params:,}\quad\text{{vs}}\quad \underbrace{{{channels}\cdot{hidden} + {hidden}}}_{{\text{{GAP + FC}}}}"
         rf" = {pooled.params:,}".replace(",", "{,}"))
x, y, z = st.columns(3)
x.metric("Parameters, flatten + FC", f"{fc.params:,}", help=f"torch: {measured['fc'].params:,}")
y.metric("Parameters, GAP + FC", f"{pooled.params:,}", help=f"torch: {measured['gap'].params:,}")
z.metric("Ratio", f"{fc.params / pooled.params:.2f}x", help=f"weights only: exactly H·W = {side * side}x")
if (fc.params, pooled.params) != (measured["fc"].params, measured["gap"].params):
    st.error("The formula and torch disagree.")
st.plotly_chart(figures.bars({"flatten + FC": fc.params, "GAP + FC": pooled.params},
                             "Parameters of the first head layer", "parameters (count)", log=False), width="stretch",
                key=f"{PAGE}_bars")
gap_claim = cached.checked_claims_with_keys(("vgg16-gap",))[0]  # checked as on VGG's page: the weights' ratio
st.caption(f"The course notes: averaging the 7\\*7\\*512 map to 512 numbers 'reduces parameters and memory 49x'. "
           f"Computed at 7x7x512 → 4096: {gap.fc_head(512, 7, 4096).params:,} vs {gap.gap_head(512, 4096).params:,} "
           f"parameters, {gap.fc_head(512, 7, 4096).params / gap.gap_head(512, 4096).params:.2f}x with biases and "
           f"exactly {gap_claim['computed']:g}x for the weights alone: the notes are "
           f"{'right' if gap_claim['correct'] else 'wrong'}.")

st.subheader("In the registry's models")
rows = []
for name, label, head_text in (("vgg16", "VGG-16", "flatten → FC 4096 → FC 4096 → FC 1000"),
                               ("googlenet", "GoogLeNet", "GAP → FC 1000"),
                               ("nin", "Network in Network", "GAP of 1000 class maps, no weights")):
    head = gap.registry_head(name, cached.summary(name, None))  # (name, None): the architecture pages' cache key
    rows.append({"model": label, "features (CxHxW)": "x".join(map(str, head.feature_shape)), "head": head_text,
                 "head params": head.head_params, "first layer": head.first_layer_params,
                 "FC on the whole map": head.fc_equivalent_params})
st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch",
             column_config={k: st.column_config.NumberColumn(format="localized")
                            for k in ("head params", "first layer", "FC on the whole map")})
st.caption("Counted on the registry's models. 'FC on the whole map': a fully connected layer of the same width "
           "reading the flattened features. VGG's 7x7 adaptive pool is not global: it keeps the 7x7 map. "
           "VGG-16's head holds most of its 138 M parameters. GoogLeNet averages its 7x7x1024 map and needs one "
           "1024 → 1000 layer; flattening the map instead would take 50 M weights. NiN's last 1x1 convolution "
           "already has one map per class, so GAP turns each map into that class's score with no weights at all.")
