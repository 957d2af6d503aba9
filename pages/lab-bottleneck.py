"""Concept lab: bottleneck arithmetic, by formula and counted on torch modules (FLOP counter, parameters)."""

from ui.first_visit import through_app

through_app()

import pandas as pd
import streamlit as st

from cnnviz.format import latex_text
from cnnviz.i18n import N_, _
from cnnviz.labs import bottleneck as bn
from cnnviz.labs import figures
from cnnviz.lectures.course_notes import quoted
from ui import cached, linked_tabs, url_state

PAGE = "lab_bottleneck"
# The notes' 5x5 question, as checked on GoogLeNet's page (``cnnviz.lectures.notes_check``).
TABS = {"notes": N_("The notes' 5x5 question"), "inception": N_("Inception module"), "resnet": N_("ResNet bottleneck"),
        "mobilenet": N_("MobileNet"), "fire": N_("SqueezeNet fire")}
NOTES_5X5 = ("googlenet-naive-weights", "googlenet-naive-macs", "googlenet-reduced-weights", "googlenet-reduced-macs")


def _conv_table(place, convs: list[bn.Conv], size: int) -> None:
    """One row per convolution, drawn in ``place`` as a table whose cells wrap: in half a page or on a phone every
    number stays whole, under headers of any language's length (a data grid cuts them at its column's edge)."""
    groups = _("groups")
    table = pd.DataFrame([{_("layer"): _(c.label), "C_in → C_out": f"{c.c_in} → {c.c_out}", groups: c.groups,
                           WEIGHTS: f"{c.weights:,}", _("formula"): f"{c.kernel}·{c.kernel}·{c.c_in // c.groups}·"
                           f"{c.c_out}" + (f" + {c.c_out}" if c.bias else ""), MACS: f"{c.macs(size):,}"}
                          for c in convs])
    place.table(table if (table[groups] > 1).any() else table.drop(columns=groups), hide_index=True)


def _agreement(formula: tuple[int, int], torch_counts: tuple[int, int]) -> None:
    params, macs = f"{torch_counts[0]:,}", f"{torch_counts[1]:,}"
    if formula == torch_counts:
        st.success(_("torch counts {params} parameters and {macs} MACs (PyTorch's FLOP counter / 2): the same as "
                     "the formula.").format(params=params, macs=macs))
    else:
        st.error(_("torch counts {params} parameters and {macs} MACs (PyTorch's FLOP counter / 2): the formula "
                   "says {formula_params} and {formula_macs}.").format(
                       params=params, macs=macs, formula_params=f"{formula[0]:,}", formula_macs=f"{formula[1]:,}"))



def _count(place, label: str, param: str, default: int, top: int, **kwargs) -> int:
    """A whole-number input from 1 to ``top`` in ``place``, kept in the link as ``param``."""
    return place.number_input(label, 1, top, key=url_state.bind(param, f"{PAGE}_{param}", default, bounds=(1, top)),
                              **kwargs)


WEIGHTS, MACS = _("weights"), _("MACs")  # column names, as the tables and their formats say them
NUMBER = {WEIGHTS: st.column_config.NumberColumn(format="localized"),
          MACS: st.column_config.NumberColumn(format="localized")}

st.title(_("Bottleneck arithmetic"))
st.write(_("A k x k convolution from C_in to C_out channels on an i x i map (stride 1, 'same' padding):"))
# Two formulas, not one line: on a phone one line of both would run off the screen.
st.latex(latex_text(WEIGHTS) + r" = k^2\,C_\text{in}\,C_\text{out} + C_\text{out}")
st.latex(latex_text(MACS) + r" = k^2\,C_\text{in}\,C_\text{out}\; i^2")
st.caption(_("A 1x1 convolution that first reduces the channels makes the expensive k x k convolution cheaper. "
             "Biases are counted in weights; MACs count multiplications of weights, not bias additions."))


def notes_section() -> None:
    a, b, c, d = st.columns(4)
    c_in = _count(a, "C_in", "in", 64, 2048)
    reduce = _count(b, _("1x1 reduction to"), "reduce", 32, 2048)
    c_out = _count(c, "C_out", "out", 64, 2048)
    size = _count(d, _("Map size i"), "size", 28, 512)
    naive, reduced = bn.naive_5x5(c_in, c_out), bn.reduced_5x5(c_in, reduce, c_out)
    left, right = st.columns(2)
    for column, title, convs in ((left, _("(a) 5x5 directly"), naive),
                                 (right, _("(b) 1x1 reduction, then 5x5"), reduced)):
        column.markdown(f"**{title}**")
        _conv_table(column, convs, size)
        column.markdown(_("{weights} weights · {coefficient}·i² = {macs} MACs at i = {size}").format(
            weights=f"{bn.weights(convs):,}", coefficient=f"{bn.mac_coefficient(convs):,}",
            macs=f"{bn.macs(convs, size):,}", size=size))
        with column:
            _agreement((bn.weights(convs), bn.macs(convs, size)),
                       bn.counted(bn.chain(convs), c_in, size))
    st.plotly_chart(figures.macs_vs_size({"(a) 5x5": bn.mac_coefficient(naive),
                                          "(b) 1x1 + 5x5": bn.mac_coefficient(reduced)}), width="stretch",
                    key=f"{PAGE}_macs")
    st.markdown(_("**Checked against the notes** (their defaults: 64 → 64, reduction to 32)"))
    claims = cached.checked_claims_with_keys(NOTES_5X5)

    def amount(claim: dict, which: str) -> str:  # the number with its unit, worded whole in the session's language
        return _(claim["amount"]).format(number=f"{claim[which]:,.0f}")

    # The quotes as the slides print them, with their translation where the session reads another language.
    st.table(pd.DataFrame([{_("the notes"): quoted(c["quote"], c["english"] or None),
                            _("notes' number"): amount(c, "claimed"), _("computed"): amount(c, "computed"),
                            _("verdict"): _("right") if c["correct"] else _("wrong")} for c in claims]),
             hide_index=True)  # a table whose cells wrap: the quotes are long
    for claim in claims:
        if not claim["correct"]:
            # The explanation's template is translated here (the cached records are English).
            why = _(claim["why"]).format(**claim["values"]) if claim.get("why") else claim["explanation"]
            st.warning(_("The notes: “{quote}”. Computed: {computed}. {explanation}").format(
                quote=quoted(claim["quote"], claim["english"] or None), computed=amount(claim, "computed"),
                explanation=why), icon=":material/error:")


def inception_section() -> None:
    st.caption(_("Four branches side by side, concatenated. Naive: 1x1, 3x3, 5x5 and a 3x3 max-pool straight on "
                 "the input. Reduced (GoogLeNet): 1x1 convolutions before the 3x3 and 5x5 and after the pool."))
    cols = st.columns(7)
    labels = ["C_in", "1x1", _("3x3 reduce"), "3x3", _("5x5 reduce"), "5x5", _("pool proj")]
    defaults = bn.Inception()
    fields = {"c_in": "inc_in", "b1": "inc_1x1", "b3_reduce": "inc_3x3r", "b3": "inc_3x3", "b5_reduce": "inc_5x5r",
              "b5": "inc_5x5", "pool_proj": "inc_pool"}  # the module's fields: their names in the link
    chosen = {f: _count(col, label, param, getattr(defaults, f), 2048)
              for col, label, (f, param) in zip(cols, labels, fields.items(), strict=True)}
    size = st.slider(_("Map size"), 1, 112, key=url_state.bind("inc_size", f"{PAGE}_inc_size", 28, bounds=(1, 112)))
    module = bn.Inception(**chosen)
    left, right = st.columns(2)
    for column, title, convs, built, out in (
            (left, _("Naive"), module.naive(), module.naive_module(), module.naive_channels()),
            (right, _("With 1x1 reductions"), module.reduced(), module.reduced_module(), module.reduced_channels())):
        column.markdown(_("**{title}** · output {size}x{size}x{channels}").format(title=title, size=size, channels=out))
        _conv_table(column, convs, size)
        column.markdown(_("Total: {weights} weights, {macs} MACs").format(weights=f"{bn.weights(convs):,}",
                                                                           macs=f"{bn.macs(convs, size):,}"))
        with column:
            _agreement((bn.weights(convs), bn.macs(convs, size)),
                       bn.counted(built, module.c_in, size))
    ratio = bn.mac_coefficient(module.naive()) / bn.mac_coefficient(module.reduced())
    st.info(_("The reductions cut the MACs {ratio}x. The naive module's output also keeps all {channels} "
              "pooled channels, so depth only grows from module to module.").format(ratio=f"{ratio:.2f}",
                                                                                    channels=module.c_in))


def resnet_section() -> None:
    a, b = st.columns(2)
    mid = _count(a, _("Bottleneck width"), "res_mid", 64, 1024,
                 help=_("The block's input and output have 4x this many channels (torchvision's "
                        "`Bottleneck.expansion`): the 1x1 restore must match the input it is added to."))
    size = _count(b, _("Map size"), "res_size", 56, 224)
    channels = bn.block_channels(mid)
    blocks = bn.torch_resnet_blocks(mid)
    designs = [(_("Bottleneck 1x1-3x3-1x1 ({channels} → {mid} → {channels})").format(channels=channels, mid=mid),
                bn.resnet_bottleneck(mid), blocks["bottleneck"], channels),
               (_("Two 3x3 at {channels} channels").format(channels=channels), bn.basic_block(channels),
                blocks["basic_wide"], channels),
               (_("Two 3x3 at {channels} channels (ResNet-34's block)").format(channels=mid), bn.basic_block(mid),
                blocks["basic_narrow"], mid)]
    block = _("block")
    rows = []
    for label, convs, module, c_in in designs:
        counted = bn.conv_only(module, c_in, size)
        rows.append({block: label, _("conv weights (formula)"): bn.weights(convs),
                     _("conv weights (torchvision)"): counted[0],
                     _("MACs (formula)"): bn.macs(convs, size), _("MACs (torchvision)"): counted[1]})
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch",
                 column_config={k: st.column_config.NumberColumn(format="localized") for k in rows[0] if k != block})
    st.caption(_("Counted on torchvision's own `Bottleneck` and `BasicBlock` (convolutions only; batch norm adds "
                 "2 parameters per channel). The bottleneck block works on 4x more channels than ResNet-34's block "
                 "for about the same cost: that is how ResNet-50 goes deeper and wider at ResNet-34's price."))


def mobilenet_section() -> None:
    a, b, c, d = st.columns(4)
    m = _count(a, _("Input channels M"), "mb_m", 32, 2048)
    n = _count(b, _("Output channels N"), "mb_n", 64, 2048)
    k = _count(c, _("Kernel k"), "mb_k", 3, 11, step=2)
    size = _count(d, _("Map size D_F"), "mb_size", 112, 224)
    st.latex(r"\frac{k^2 M D_F^2 + M N D_F^2}{k^2 M N D_F^2} = \frac{1}{N} + \frac{1}{k^2}")
    std, sep = bn.standard(m, n, k), bn.separable(m, n, k)
    std_t, sep_t = bn.counted(bn.chain(std), m, size), bn.counted(bn.chain(sep), m, size)
    design, torch_macs = _("design"), _("MACs (torch)")
    rows = [{design: _("standard {k}x{k}").format(k=k), WEIGHTS: bn.weights(std), MACS: bn.macs(std, size),
             torch_macs: std_t[1]},
            {design: _("depthwise {k}x{k} + pointwise 1x1").format(k=k), WEIGHTS: bn.weights(sep),
             MACS: bn.macs(sep, size), torch_macs: sep_t[1]}]
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch",
                 column_config={**NUMBER, torch_macs: st.column_config.NumberColumn(format="localized")})
    x, y = st.columns(2)
    x.metric("1/N + 1/k²", f"{bn.separable_ratio(n, k):.4f}")
    y.metric(_("Measured ratio (torch MACs)"), f"{sep_t[1] / std_t[1]:.4f}")
    st.caption(_("With k = 3 the separable convolution costs about 1/9 of the standard one once N is large: "
                 "{ratio}x cheaper here.").format(ratio=f"{1 / bn.separable_ratio(n, k):.1f}"))


def fire_section() -> None:
    a, b, c, d, e = st.columns(5)
    c_in = _count(a, "C_in", "fire_in", 96, 2048)
    s1 = _count(b, _("squeeze 1x1"), "fire_s", 16, 1024)
    e1 = _count(c, _("expand 1x1"), "fire_e1", 64, 1024)
    e3 = _count(d, _("expand 3x3"), "fire_e3", 64, 1024)
    size = _count(e, _("Map size"), "fire_size", 54, 224)
    fire, plain = bn.fire(c_in, s1, e1, e3), [bn.Conv("3x3", c_in, e1 + e3, 3)]
    _conv_table(st, fire, size)
    _agreement((bn.weights(fire), bn.macs(fire, size)), bn.counted(bn.torch_fire(c_in, s1, e1, e3), c_in, size))
    x, y = st.columns(2)
    x.metric(_("Fire module"), _("{count} weights").format(count=f"{bn.weights(fire):,}"))
    y.metric(_("One 3x3 convolution {c_in} → {c_out}").format(c_in=c_in, c_out=e1 + e3),
             _("{count} weights").format(count=f"{bn.weights(plain):,}"), help=f"9·{c_in}·{e1 + e3} + {e1 + e3}")
    st.markdown(_("The fire module has **{ratio}x fewer** weights for the same {channels} output channels.").format(
        ratio=f"{bn.weights(plain) / bn.weights(fire):.1f}", channels=e1 + e3))
    st.caption(_("Defaults: fire2 of SqueezeNet 1.0 (torchvision's `Fire` module is what torch counts). The squeeze "
                 "layer feeds only a few channels to the 3x3 filters, and half the expand filters are 1x1."))


# Only the open tab runs (its id is in the link, ?tab=fire): each builds and counts torch modules.
linked_tabs.open_tab(f"{PAGE}_tab", TABS, {"notes": notes_section, "inception": inception_section,
                                           "resnet": resnet_section, "mobilenet": mobilenet_section,
                                           "fire": fire_section})
