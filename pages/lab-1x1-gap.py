"""Concept lab: what a 1x1 convolution computes, and global average pooling vs fully connected heads."""

from ui.first_visit import through_app

through_app()

import pandas as pd
import streamlit as st

from cnnviz.format import latex_text
from cnnviz.i18n import _
from cnnviz.labs import figures, gap
from cnnviz.labs.bottleneck import Conv, chain, counted
from cnnviz.lectures.course_notes import quoted
from ui import cached, url_state
from ui.plain import plain

PAGE = "lab_gap"


def _following_cost(c_in: int, c_out: int) -> str:
    """The bullet on what the 1x1 does to a following 3x3 convolution's cost: it reads c_out channels instead
    of c_in."""
    if c_out < c_in:
        text = _("- **Dimension reduction**: {c_in} → {c_out} channels makes a following 3x3 convolution {ratio}x "
                 "cheaper (GoogLeNet's bottlenecks and ResNet's 1x1-3x3-1x1 blocks reduce this way).")
        return text.format(c_in=c_in, c_out=c_out, ratio=f"{c_in / c_out:.2f}")
    if c_out == c_in:
        text = _("- **Dimension reduction**: {c_in} → {c_out} channels leaves a following 3x3 convolution's cost "
                 "as it is (GoogLeNet's bottlenecks and ResNet's 1x1-3x3-1x1 blocks reduce this way).")
        return text.format(c_in=c_in, c_out=c_out)
    text = _("- **Dimension reduction**: {c_in} → {c_out} channels is an expansion: a following 3x3 convolution "
             "costs {ratio}x more (GoogLeNet's bottlenecks and ResNet's 1x1-3x3-1x1 blocks reduce this way).")
    return text.format(c_in=c_in, c_out=c_out, ratio=f"{c_out / c_in:.2f}")

st.title(_("1x1 convolutions and global average pooling"))

st.header(_("1x1 convolution"))
st.write(_("A 1x1 convolution applies one C_out x C_in matrix at every pixel: it mixes the channels of that pixel "
           "and nothing else, so it changes depth, not width or height."))
st.latex(r"y_{o,x,y} = b_o + \sum_{c=1}^{C_\text{in}} W_{o,c}\, x_{c,x,y}")
a, b, c = st.columns(3)
c_in = a.slider("C_in", 1, 1024, key=url_state.bind("in", f"{PAGE}_in", 256, bounds=(1, 1024)))
c_out = b.slider("C_out", 1, 1024, key=url_state.bind("out", f"{PAGE}_out", 64, bounds=(1, 1024)))
size = c.slider(_("Map size"), 1, 112, key=url_state.bind("size", f"{PAGE}_size", 28, bounds=(1, 112)))
params, macs = gap.one_by_one_params(c_in, c_out), gap.one_by_one_macs(c_in, c_out, size)
torch_params, torch_macs = counted(chain([Conv("1x1", c_in, c_out, 1)]), c_in, size)
x, y, z = st.columns(3)
x.metric(_("Weights"), f"{params:,}", help=_("{c_in}·{c_out} + {c_out} biases; torch counts {torch}").format(
    c_in=c_in, c_out=c_out, torch=f"{torch_params:,}"))
y.metric(_("MACs"), f"{macs:,}", help=_("{c_in}·{c_out}·{size}²; PyTorch's FLOP counter gives {torch}").format(
    c_in=c_in, c_out=c_out, size=size, torch=f"{torch_macs:,}"))
z.metric(_("Output"), f"{size}x{size}x{c_out}", help=_("the same width and height, new depth"))
if (params, macs) != (torch_params, torch_macs):
    st.error(_("The formula and torch disagree."))
st.markdown("\n".join([
    _("- **Channel mixing**: every output channel is a weighted sum of all {c_in} input channels at the same "
      "pixel, like a fully connected layer shared by every pixel.").format(c_in=c_in),
    _following_cost(c_in, c_out),
    _("- **Extra non-linearity**: 1x1 convolution + ReLU is a per-pixel multilayer perceptron (Network in "
      "Network's mlpconv), more depth for few weights.")]))
demo = gap.one_by_one_is_matmul()
st.caption(_("Checked live: a random 1x1 convolution (8 → 4 channels, 5x5 map) and the same weights applied as a "
             "4x8 matrix at every pixel differ by at most {difference}.").format(
                 difference=f"{demo['max_difference']:.1e}"))
with st.expander(_("The matrix and one pixel")):
    st.dataframe(pd.DataFrame(demo["matrix"], index=[_("out {index}").format(index=o) for o in range(4)],
                              columns=[_("in {index}").format(index=c) for c in range(8)]).round(3)
                 .rename_axis(_("weights")))
    st.write(_("pixel (0, 0) in:"), demo["pixel_in"].round(3).tolist())
    st.write(_("pixel (0, 0) out:"), demo["pixel_out"].round(3).tolist())

st.header(_("Global average pooling vs a fully connected head"))
st.write(_("VGG flattens its last 7x7x512 map into 25,088 numbers and connects each to 4096 units. Global average "
           "pooling (GAP) first averages each channel over the map (no weights), leaving 512 numbers."))
a, b, c = st.columns(3)
channels = a.number_input(_("Channels C"), 1, 4096, key=url_state.bind("channels", f"{PAGE}_c", 512, bounds=(1, 4096)))
side = b.number_input(_("Map size H = W"), 1, 64, key=url_state.bind("side", f"{PAGE}_side", 7, bounds=(1, 64)))
hidden = c.number_input(_("Units in the FC layer"), 1, 16384,
                        key=url_state.bind("hidden", f"{PAGE}_hidden", 4096, bounds=(1, 16384)))
fc, pooled = gap.fc_head(channels, side, hidden), gap.gap_head(channels, hidden)
measured = gap.torch_heads(channels, side, hidden)
flat = (rf"\underbrace{{{side}\cdot{side}\cdot{channels}\cdot{hidden} + {hidden}}}_{{\text{{flatten + FC}}}} = "
        rf"{fc.params:,}")
pooled_sum = rf"\underbrace{{{channels}\cdot{hidden} + {hidden}}}_{{\text{{GAP + FC}}}} = {pooled.params:,}"
st.latex(flat.replace(",", "{,}") + r"\quad" + latex_text(_("vs")) + r"\quad " + pooled_sum.replace(",", "{,}"))
x, y, z = st.columns(3)
x.metric(_("Parameters, flatten + FC"), f"{fc.params:,}", help=_("torch: {count}").format(
    count=f"{measured['fc'].params:,}"))
y.metric(_("Parameters, GAP + FC"), f"{pooled.params:,}", help=_("torch: {count}").format(
    count=f"{measured['gap'].params:,}"))
z.metric(_("Ratio"), f"{fc.params / pooled.params:.2f}x", help=_("weights only: exactly H·W = {ratio}x").format(
    ratio=side * side))
if (fc.params, pooled.params) != (measured["fc"].params, measured["gap"].params):
    st.error(_("The formula and torch disagree."))
st.plotly_chart(figures.bars({_("flatten + FC"): fc.params, _("GAP + FC"): pooled.params},
                             _("Parameters of the first head layer"), _("parameters (count)"), log=False),
                width="stretch", key=f"{PAGE}_bars")
gap_claim = cached.checked_claims_with_keys(("vgg16-gap",))[0]  # checked as on VGG's page: the weights' ratio
fc_512, gap_512 = gap.fc_head(512, 7, 4096).params, gap.gap_head(512, 4096).params
st.caption((_("The case-study notes (003) on averaging the 7x7x512 map to 512 numbers: “{quote}”. Computed at "
              "7x7x512 → 4096: {fc} vs {gap} parameters, {ratio}x with biases and exactly {weights}x for the weights "
              "alone: the notes are right.") if gap_claim["correct"] else
            _("The case-study notes (003) on averaging the 7x7x512 map to 512 numbers: “{quote}”. Computed at "
              "7x7x512 → 4096: {fc} vs {gap} parameters, {ratio}x with biases and exactly {weights}x for the weights "
              "alone: the notes are wrong.")).format(
    quote=plain(quoted(gap_claim["quote"], gap_claim["english"] or None)),
    fc=f"{fc_512:,}", gap=f"{gap_512:,}", ratio=f"{fc_512 / gap_512:.2f}", weights=f"{gap_claim['computed']:g}"))

st.subheader(_("In the registry's models"))
MODEL, FEATURES, HEAD = _("model"), _("features (CxHxW)"), _("head")
HEAD_PARAMS, FIRST, WHOLE = _("head params"), _("first layer"), _("FC on the whole map")
rows = []
for name, label, head_text in (("vgg16", "VGG-16", _("flatten → FC 4096 → FC 4096 → FC 1000")),
                               ("googlenet", "GoogLeNet", _("GAP → FC 1000")),
                               ("nin", "Network in Network", _("GAP of 1000 class maps, no weights"))):
    head = gap.registry_head(name, cached.summary(name, None))  # (name, None): the architecture pages' cache key
    rows.append({MODEL: label, FEATURES: "x".join(map(str, head.feature_shape)), HEAD: head_text,
                 HEAD_PARAMS: head.head_params, FIRST: head.first_layer_params, WHOLE: head.fc_equivalent_params})
st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch",
             column_config={k: st.column_config.NumberColumn(format="localized") for k in (HEAD_PARAMS, FIRST, WHOLE)})
st.caption(_("Counted on the registry's models. 'FC on the whole map': a fully connected layer of the same width "
             "reading the flattened features. VGG's 7x7 adaptive pool is not global: it keeps the 7x7 map. "
             "VGG-16's head holds most of its 138 M parameters. GoogLeNet averages its 7x7x1024 map and needs one "
             "1024 → 1000 layer; flattening the map instead would take 50 M weights. NiN's last 1x1 convolution "
             "already has one map per class, so GAP turns each map into that class's score with no weights at all."))
