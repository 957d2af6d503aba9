"""Concept lab: local response normalisation, the notes' formula term by term and torch's layer beside it."""

from ui.first_visit import through_app

through_app()

import numpy as np
import pandas as pd
import streamlit as st

from cnnviz.i18n import N_, _
from cnnviz.labs import lrn
from ui import presenter, url_state

PAGE = "lab_lrn"
PRESETS = {"notes": lrn.NOTES_EXAMPLE, "alexnet": lrn.ALEXNET}
PRESET_TITLES = {"notes": N_("The notes' example"), "alexnet": "AlexNet"}
DEFAULT = np.array([[1.0, 0.5], [1.0, 2.0], [2.0, 1.0], [0.5, 1.0]])  # N = 4 channels at 2 positions


def _constant(place, preset: str, name: str, label: str, bottom, top, **kwargs):
    """The formula's constant ``name`` (also its name in the link), starting at the preset's value; the key names
    the preset, so that each preset keeps its own edits."""
    default = type(bottom)(PRESETS[preset][name])
    return place.number_input(label, bottom, top, **kwargs,
                              key=url_state.bind(name, f"{PAGE}_{preset}_{name}", default, bounds=(bottom, top)))


st.title(_("Local response normalisation (LRN)"))
st.write(_("AlexNet divides each activation by a power of the sum of squares of its neighbours *across channels* "
           "at the same position: strong channels suppress their neighbours."))
st.latex(r"b^i_{x,y} = a^i_{x,y} \Big/ \Big(k + \alpha \sum_{j=\max(0,\, i-n/2)}^{\min(N-1,\, i+n/2)}"
         r"\big(a^j_{x,y}\big)^2\Big)^{\beta}")
st.caption(_("n/2 is rounded down, so the window holds 2⌊n/2⌋ + 1 channels, cut at the first and last channel."))

preset = st.radio(_("Values"), list(PRESETS), format_func=lambda name: _(PRESET_TITLES[name]), horizontal=True,
                  key=url_state.bind("preset", f"{PAGE}_preset", "notes", choices=PRESETS))
a, b, c, d = st.columns(4)
k = _constant(a, preset, "k", "k", 0.0, 10.0, step=0.5)
n = _constant(b, preset, "n", "n", 1, 15, step=1)
alpha = _constant(c, preset, "alpha", "α", 0.0, 10.0, format="%g")
beta = _constant(d, preset, "beta", "β", 0.0, 5.0, step=0.05)

st.header(_("Activations a (rows: channel i, columns: positions)"))
channels = st.slider(_("Channels N"), 2, 12, key=url_state.bind("channels", f"{PAGE}_channels", 4, bounds=(2, 12)))
start = np.resize(DEFAULT, (channels, 2)) if channels != 4 else DEFAULT
rows = pd.Index([f"i = {i}" for i in range(channels)], name=_("Channel i"))  # a named index: no empty header
edited = st.data_editor(pd.DataFrame(start, index=rows, columns=["(x, y) = (0, 0)", "(x, y) = (0, 1)"]),
                        key=f"{PAGE}_tensor_{channels}", width="stretch")
tensor = edited.to_numpy(dtype=float, na_value=0.0)[:, None, :]  # N channels x 1 row x 2 columns
if (tensor < 0).any():
    st.warning(_("LRN follows a ReLU in AlexNet, so activations are normally ≥ 0; negative values still work."))

st.header(_("One output, every term"))
a, b = st.columns(2)
i = a.number_input(_("Channel i"), 0, channels - 1,
                   key=url_state.bind("i", f"{PAGE}_i_{channels}", 0, bounds=(0, channels - 1)))
position = b.radio(_("Position"), [0, 1], format_func=lambda p: f"(0, {p})", horizontal=True,
                   key=url_state.bind("pos", f"{PAGE}_pos", 0, choices=(0, 1)))
worked = lrn.worked(tensor[:, 0, position], int(i), k, int(n), alpha, beta)
squares = " + ".join(f"{t.a:g}^2" for t in worked.terms)
st.latex(rf"b^{{{worked.i}}} = \frac{{{worked.a:g}}}{{\big({k:g} + {alpha:g}\,({squares})\big)^{{{beta:g}}}}}"
         rf" = \frac{{{worked.a:g}}}{{{worked.denominator:.6g}}} = {worked.b:.6g}")
st.dataframe(pd.DataFrame([{"j": t.j, "a^j": t.a, "(a^j)²": t.square} for t in worked.terms]), hide_index=True)
if worked.denominator == 0:
    st.error(_("Undefined: with k = 0, β > 0 and α times the window's sum of squares 0, the denominator is 0 "
               "(PyTorch gives nan or inf too)."))
if preset == "notes" and (k, n, alpha, beta) == (0.0, 2, 1.0, 1.0) and int(i) == 0 and position == 0:
    ok = worked.b == 0.5 and [t.j for t in worked.terms] == [0, 1]
    st.info((_("The notes: at (i, x, y) = (0, 0, 0) the value is 1, channel i − 1 does not exist and channel i + 1 "
               "holds 1, so b = 1 / (1² + 1²) = 0.5. Computed: {value} (agrees).") if ok else
             _("The notes: at (i, x, y) = (0, 0, 0) the value is 1, channel i − 1 does not exist and channel i + 1 "
               "holds 1, so b = 1 / (1² + 1²) = 0.5. Computed: {value} (edit the first two values back to 1 to see "
               "it).")).format(value=f"{worked.b:g}"))

st.header(_("torch.nn.LocalResponseNorm, run live"))
args = lrn.torch_arguments(k, int(n), alpha, beta)
formula = lrn.formula(tensor, k, int(n), alpha, beta)
matched = lrn.torch_lrn(tensor, **args)
naive = lrn.torch_lrn(tensor, int(n), alpha, beta, k)
with presenter.folded(N_("The torch calls")):
    st.code("# " + _("reproduces the formula") + f"\n{lrn.torch_call(k, int(n), alpha, beta)}\n"
            "# " + _("the formula's numbers typed in directly: a different layer") + "\n"
            f"torch.nn.LocalResponseNorm(size={int(n)}, alpha={alpha:g}, beta={beta:g}, k={k:g})", language="python")
table = pd.DataFrame({_("channel i"): np.repeat(np.arange(channels), 2),
                      _("position"): [f"(0, {p})" for p in (0, 1)] * channels,
                      "a": tensor[:, 0, :].ravel(), _("b (formula)"): formula[:, 0, :].ravel(),
                      f"b (torch, size={args['size']}, α={args['alpha']:g})": matched[:, 0, :].ravel(),
                      f"b (torch, size={int(n)}, α={alpha:g})": naive[:, 0, :].ravel()})
with presenter.folded(N_("Every value: the formula and torch")):
    st.dataframe(table, hide_index=True, width="stretch")
both = np.isfinite(formula) & np.isfinite(matched)  # a / 0 (k = α = 0) is inf or nan in both: inf − inf is nan
gap = float(np.abs(formula - matched)[both].max()) if both.any() else 0.0
st.caption(_("Largest difference between the formula and the matched torch call: {difference}. torch's layer divides "
             "α by `size` (it averages the squares) and its window runs from c − ⌊size/2⌋ to c + ⌊(size − 1)/2⌋, "
             "exactly `size` channels; the formula sums 2⌊n/2⌋ + 1 = {size} channels. Hence `size` = {size} and "
             "α·`size` = {alpha}.").format(difference=f"{gap:.2e}", size=args["size"], alpha=f"{args['alpha']:g}"))

st.header(_("Why batch norm replaced it"))
st.write(_("LRN has four hand-set constants, no learned parameters, and only rescales across neighbouring channels. "
           "VGG found that it did not improve ILSVRC accuracy while costing memory and time, and dropped it. Batch "
           "normalisation (2015) standardises every channel over the mini-batch and then learns a scale γ and shift "
           "β: it keeps activations in a stable range through the whole depth, allows larger learning rates and "
           "regularises. Inception v2 removed LRN once it had batch norm; ResNet and later networks never used it."))
