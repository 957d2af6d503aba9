"""Concept lab: bottleneck arithmetic, by formula and counted on torch modules (FLOP counter, parameters)."""

from ui.first_visit import through_app

through_app()

import pandas as pd
import streamlit as st

from cnnviz.labs import bottleneck as bn
from cnnviz.labs import figures
from ui import cached, url_state

PAGE = "lab_bottleneck"
# The notes' 5x5 question, as checked on GoogLeNet's page (``cnnviz.lectures.notes_check``).
NOTES_5X5 = ("googlenet-naive-weights", "googlenet-naive-macs", "googlenet-reduced-weights", "googlenet-reduced-macs")


def _conv_table(convs: list[bn.Conv], size: int) -> pd.DataFrame:
    table = pd.DataFrame([{"layer": c.label, "C_in → C_out": f"{c.c_in} → {c.c_out}", "groups": c.groups,
                           "weights": c.weights, "formula": f"{c.kernel}·{c.kernel}·{c.c_in // c.groups}·{c.c_out}"
                           + (f" + {c.c_out}" if c.bias else ""), "MACs": c.macs(size)}
                          for c in convs])
    return table if (table["groups"] > 1).any() else table.drop(columns="groups")


def _agreement(formula: tuple[int, int], torch_counts: tuple[int, int]) -> None:
    same = formula == torch_counts
    (st.success if same else st.error)(
        f"torch counts {torch_counts[0]:,} parameters and {torch_counts[1]:,} MACs (PyTorch's FLOP counter / 2): "
        + ("the same as the formula." if same else f"the formula says {formula[0]:,} and {formula[1]:,}."))



def _count(place, label: str, param: str, default: int, top: int, **kwargs) -> int:
    """A whole-number input from 1 to ``top`` in ``place``, kept in the link as ``param``."""
    return place.number_input(label, 1, top, key=url_state.bind(param, f"{PAGE}_{param}", default, bounds=(1, top)),
                              **kwargs)


NUMBER = {"weights": st.column_config.NumberColumn(format="localized"),
          "MACs": st.column_config.NumberColumn(format="localized")}

st.title("Bottleneck arithmetic")
st.write("A k x k convolution from C_in to C_out channels on an i x i map (stride 1, 'same' padding):")
st.latex(r"\text{weights} = k^2\,C_\text{in}\,C_\text{out} + C_\text{out},\qquad "
         r"\text{MACs} = k^2\,C_\text{in}\,C_\text{out}\; i^2")
st.caption("A 1x1 convolution that first reduces the channels makes the expensive k x k convolution cheaper. "
           "Biases are counted in weights; MACs count multiplications of weights, not bias additions.")

notes, inception, resnet, mobilenet, squeeze = st.tabs(
    ["The notes' 5x5 question", "Inception module", "ResNet bottleneck", "MobileNet", "SqueezeNet fire"])

with notes:
    a, b, c, d = st.columns(4)
    c_in = _count(a, "C_in", "in", 64, 2048)
    reduce = _count(b, "1x1 reduction to", "reduce", 32, 2048)
    c_out = _count(c, "C_out", "out", 64, 2048)
    size = _count(d, "Map size i", "size", 28, 512)
    naive, reduced = bn.naive_5x5(c_in, c_out), bn.reduced_5x5(c_in, reduce, c_out)
    left, right = st.columns(2)
    for column, title, convs in ((left, "(a) 5x5 directly", naive), (right, "(b) 1x1 reduction, then 5x5", reduced)):
        column.markdown(f"**{title}**")
        column.dataframe(_conv_table(convs, size), hide_index=True, width="stretch", column_config=NUMBER)
        column.markdown(f"{bn.weights(convs):,} weights · {bn.mac_coefficient(convs):,}·i² = "
                        f"{bn.macs(convs, size):,} MACs at i = {size}")
        with column:
            _agreement((bn.weights(convs), bn.macs(convs, size)),
                       bn.counted(bn.chain(convs), c_in, size))
    st.plotly_chart(figures.macs_vs_size({"(a) 5x5": bn.mac_coefficient(naive),
                                          "(b) 1x1 + 5x5": bn.mac_coefficient(reduced)}), width="stretch",
                    key=f"{PAGE}_macs")
    st.markdown("**Checked against the notes** (their defaults: 64 → 64, reduction to 32)")
    claims = cached.checked_claims_with_keys(NOTES_5X5)
    st.dataframe(pd.DataFrame([{"the notes": c["quote"], "notes' number": c["claimed"], "computed": c["computed"],
                                "unit": c["unit"], "verdict": "right" if c["correct"] else "wrong"} for c in claims]),
                 hide_index=True, column_config={"notes' number": st.column_config.NumberColumn(format="localized"),
                                                 "computed": st.column_config.NumberColumn(format="localized")})
    for claim in claims:
        if not claim["correct"]:
            per_map = " i²" if "MACs" in claim["unit"] else ""  # MACs per output pixel: times i² on an i x i map
            st.warning(f"The notes: “{claim['quote']}”. Computed: {claim['computed']:,.0f}{per_map}. "
                       f"{claim['explanation']}", icon=":material/error:")

with inception:
    st.caption("Four branches side by side, concatenated. Naive: 1x1, 3x3, 5x5 and a 3x3 max-pool straight on "
               "the input. Reduced (GoogLeNet): 1x1 convolutions before the 3x3 and 5x5 and after the pool.")
    cols = st.columns(7)
    labels = ["C_in", "1x1", "3x3 reduce", "3x3", "5x5 reduce", "5x5", "pool proj"]
    defaults = bn.Inception()
    fields = {"c_in": "inc_in", "b1": "inc_1x1", "b3_reduce": "inc_3x3r", "b3": "inc_3x3", "b5_reduce": "inc_5x5r",
              "b5": "inc_5x5", "pool_proj": "inc_pool"}  # the module's fields: their names in the link
    chosen = {f: _count(col, label, param, getattr(defaults, f), 2048)
              for col, label, (f, param) in zip(cols, labels, fields.items(), strict=True)}
    size = st.slider("Map size", 1, 112, key=url_state.bind("inc_size", f"{PAGE}_inc_size", 28, bounds=(1, 112)))
    module = bn.Inception(**chosen)
    left, right = st.columns(2)
    for column, title, convs, built, out in (
            (left, "Naive", module.naive(), module.naive_module(), module.naive_channels()),
            (right, "With 1x1 reductions", module.reduced(), module.reduced_module(), module.reduced_channels())):
        column.markdown(f"**{title}** · output {size}x{size}x{out}")
        column.dataframe(_conv_table(convs, size), hide_index=True, width="stretch", column_config=NUMBER)
        column.markdown(f"Total: {bn.weights(convs):,} weights, {bn.macs(convs, size):,} MACs")
        with column:
            _agreement((bn.weights(convs), bn.macs(convs, size)),
                       bn.counted(built, module.c_in, size))
    ratio = bn.mac_coefficient(module.naive()) / bn.mac_coefficient(module.reduced())
    st.info(f"The reductions cut the MACs {ratio:.2f}x. The naive module's output also keeps all {module.c_in} "
            f"pooled channels, so depth only grows from module to module.")

with resnet:
    a, b = st.columns(2)
    mid = _count(a, "Bottleneck width", "res_mid", 64, 1024,
                 help="The block's input and output have 4x this many channels (torchvision's "
                      "`Bottleneck.expansion`): the 1x1 restore must match the input it is added to.")
    size = _count(b, "Map size", "res_size", 56, 224)
    channels = bn.block_channels(mid)
    blocks = bn.torch_resnet_blocks(mid)
    designs = [(f"Bottleneck 1x1-3x3-1x1 ({channels} → {mid} → {channels})", bn.resnet_bottleneck(mid),
                blocks["bottleneck"], channels),
               (f"Two 3x3 at {channels} channels", bn.basic_block(channels), blocks["basic_wide"], channels),
               (f"Two 3x3 at {mid} channels (ResNet-34's block)", bn.basic_block(mid), blocks["basic_narrow"], mid)]
    rows = []
    for label, convs, module, c_in in designs:
        counted = bn.conv_only(module, c_in, size)
        rows.append({"block": label, "conv weights (formula)": bn.weights(convs),
                     "conv weights (torchvision)": counted[0],
                     "MACs (formula)": bn.macs(convs, size), "MACs (torchvision)": counted[1]})
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch",
                 column_config={k: st.column_config.NumberColumn(format="localized") for k in rows[0] if k != "block"})
    st.caption("Counted on torchvision's own `Bottleneck` and `BasicBlock` (convolutions only; batch norm adds "
               "2 parameters per channel). The bottleneck block works on 4x more channels than ResNet-34's block "
               "for about the same cost: that is how ResNet-50 goes deeper and wider at ResNet-34's price.")

with mobilenet:
    a, b, c, d = st.columns(4)
    m = _count(a, "Input channels M", "mb_m", 32, 2048)
    n = _count(b, "Output channels N", "mb_n", 64, 2048)
    k = _count(c, "Kernel k", "mb_k", 3, 11, step=2)
    size = _count(d, "Map size D_F", "mb_size", 112, 224)
    st.latex(r"\frac{k^2 M D_F^2 + M N D_F^2}{k^2 M N D_F^2} = \frac{1}{N} + \frac{1}{k^2}")
    std, sep = bn.standard(m, n, k), bn.separable(m, n, k)
    std_t, sep_t = bn.counted(bn.chain(std), m, size), bn.counted(bn.chain(sep), m, size)
    rows = [{"design": f"standard {k}x{k}", "weights": bn.weights(std), "MACs": bn.macs(std, size),
             "MACs (torch)": std_t[1]},
            {"design": f"depthwise {k}x{k} + pointwise 1x1", "weights": bn.weights(sep),
             "MACs": bn.macs(sep, size), "MACs (torch)": sep_t[1]}]
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch",
                 column_config={**NUMBER, "MACs (torch)": st.column_config.NumberColumn(format="localized")})
    x, y = st.columns(2)
    x.metric("1/N + 1/k²", f"{bn.separable_ratio(n, k):.4f}")
    y.metric("Measured ratio (torch MACs)", f"{sep_t[1] / std_t[1]:.4f}")
    st.caption(f"With k = 3 the separable convolution costs about 1/9 of the standard one once N is large: "
               f"{1 / bn.separable_ratio(n, k):.1f}x cheaper here.")

with squeeze:
    a, b, c, d, e = st.columns(5)
    c_in = _count(a, "C_in", "fire_in", 96, 2048)
    s1 = _count(b, "squeeze 1x1", "fire_s", 16, 1024)
    e1 = _count(c, "expand 1x1", "fire_e1", 64, 1024)
    e3 = _count(d, "expand 3x3", "fire_e3", 64, 1024)
    size = _count(e, "Map size", "fire_size", 54, 224)
    fire, plain = bn.fire(c_in, s1, e1, e3), [bn.Conv("3x3", c_in, e1 + e3, 3)]
    st.dataframe(_conv_table(fire, size), hide_index=True, width="stretch", column_config=NUMBER)
    _agreement((bn.weights(fire), bn.macs(fire, size)), bn.counted(bn.torch_fire(c_in, s1, e1, e3), c_in, size))
    x, y = st.columns(2)
    x.metric("Fire module", f"{bn.weights(fire):,} weights")
    y.metric(f"One 3x3 convolution {c_in} → {e1 + e3}", f"{bn.weights(plain):,} weights",
             help=f"9·{c_in}·{e1 + e3} + {e1 + e3}")
    st.markdown(f"The fire module has **{bn.weights(plain) / bn.weights(fire):.1f}x fewer** weights for the same "
                f"{e1 + e3} output channels.")
    st.caption("Defaults: fire2 of SqueezeNet 1.0 (torchvision's `Fire` module is what torch counts). The squeeze "
               "layer feeds only a few channels to the 3x3 filters, and half the expand filters are 1x1.")
