"""Residual vs plain nets: the ResNet paper's Figures 1 and 6 in miniature, from bundled and live runs."""

from ui.first_visit import through_app

through_app()

import pandas as pd
import streamlit as st

from cnnviz.format import device_name
from cnnviz.i18n import N_, _
from cnnviz.training import sweep_results
from cnnviz.training.bundled import load_bundled_or_none, missing_message
from cnnviz.training.charts import KIND_NAMES, depth_curves, final_by_depth, net_name
from cnnviz.training.plain_vs_residual import LIVE_DEPTHS, QUICK
from ui import cached, presenter, url_state
from ui.training_queue import training_turn

KINDS = ["plain", "residual"]
MOST_LIVE_EPOCHS = 12
# The live sweep under way, rewritten at every epoch: Streamlit stops the script mid-loop when the page is left or
# another widget is pressed, and this is then what was trained so far (removed when the sweep finishes).
PARTIAL = "train_residual_partial"


st.title(_("Residual vs plain: the degradation problem"))
st.write(_("He et al. (2015) found that stacking more layers on a plain network made it *worse on its own "
           "training set*: not overfitting, an optimisation failure (their Figure 1: a 56-layer plain net has "
           "higher training error than a 20-layer one). Adding identity shortcuts, so each block learns a "
           "residual, removed the problem (Figure 6). Here the same experiment runs in miniature on the "
           "scikit-learn digits."))
left, right = st.columns(2)
left.latex(r"\text{" + _("plain block:") + r"}\quad y = \mathrm{ReLU}(\mathcal{F}(x))")
right.latex(r"\text{" + _("residual block:") + r"}\quad y = \mathrm{ReLU}(\mathcal{F}(x) + x)")
st.caption(_("F = conv3x3-BN-ReLU-conv3x3-BN. When the width doubles, the shortcut x is subsampled and padded "
             "with zero channels (the paper's option A), so plain and residual nets of one depth have exactly the "
             "same parameters; only the + x differs."))

bundle = load_bundled_or_none("plain-vs-residual")
if bundle is None:
    st.error(missing_message("plain-vs-residual"))
    st.stop()
config, runs = bundle["config"], bundle["runs"]
depths = sweep_results.depths(runs)

st.header(_("Bundled runs"))
st.caption(_("Depth = 6n + 2 weighted layers, base width {width} channels ({width}, {width2}, {width4} per stage), "
             "{size}x{size} digits, SGD + momentum {momentum}, batch {batch}, lr {lr} (a tenth of it for {warmup} "
             "warm-up epoch(s), then ÷10 from epochs {milestones}), weight decay {decay}, ±{shift}-pixel random "
             "shifts, {epochs} epochs, seed {seed}, on {device}. Made by `python -m cnnviz train "
             "plain-vs-residual`.").format(
    width=config["width"], width2=2 * config["width"], width4=4 * config["width"], size=config["image_size"],
    momentum=config["momentum"], batch=config["batch_size"], lr=config["lr"], warmup=config["warmup_epochs"],
    milestones=_(" and ").join(str(m + 1) for m in config["milestones"]), decay=config["weight_decay"],
    shift=config["shift"], epochs=config["epochs"], seed=config["seed"], device=device_name(bundle["device"])))
left, right = st.columns([3, 1])
chosen = left.multiselect(_("Depths to overlay"), depths,
                          key=url_state.several("depths", "train_residual_depths", depths,
                                                sweep_results.default_overlay(depths), item=int))
kinds = right.multiselect(_("Nets"), KINDS, format_func=lambda kind: _(KIND_NAMES[kind]),
                          key=url_state.several("kinds", "train_residual_kinds", KINDS, KINDS))
if not chosen or not kinds:
    st.warning(_("Pick at least one depth and one kind of net."))
else:
    curves = cached.figure(("bundled depths", tuple(chosen), tuple(kinds)),
                           lambda: depth_curves(runs, chosen, tuple(kinds)))
    st.plotly_chart(curves, width="stretch", key="train_residual_curves")

compared = sweep_results.compare_depths(runs)
shallow, deep, last = compared.shallow, compared.deep, compared.loss
a, b, c = st.columns(3)
times_the_loss = _("{ratio}x the loss")
a.metric(_("Plain: {deep} vs {shallow} layers").format(deep=deep, shallow=shallow),
         times_the_loss.format(ratio=f"{compared.plain_ratio:.0f}"),
         help=_("last-epoch training loss {deep} vs {shallow}").format(deep=f"{last[('plain', deep)]:.4f}",
                                                                       shallow=f"{last[('plain', shallow)]:.4f}"))
b.metric(_("Residual: {deep} vs {shallow} layers").format(deep=deep, shallow=shallow),
         _("{deep} vs {shallow}").format(deep=f"{last[('residual', deep)]:.4f}",
                                         shallow=f"{last[('residual', shallow)]:.4f}"),
         help=_("last-epoch training loss (cross-entropy, nats)"))
c.metric(_("{depth} layers: plain vs residual").format(depth=deep),
         times_the_loss.format(ratio=f"{compared.plain_over_residual:.0f}"),
         help=_("same parameters, same initial weights' distribution, same data order"))
st.plotly_chart(cached.figure("bundled final losses", lambda: final_by_depth(runs)), width="stretch",
                key="train_residual_final")
table = pd.DataFrame(sweep_results.table_rows(runs)).rename(columns=_)
with presenter.folded(N_("Every run in a table")):
    st.dataframe(table, hide_index=True, width="stretch",
                 column_config={_("parameters"): st.column_config.NumberColumn(format="localized")})
st.caption(_("Loss = mean training cross-entropy over the last epoch's mini-batches (nats); validation error after "
             "the last epoch, on {count} held-out digits; seconds = training time on the machine that made the "
             "bundle.").format(count=bundle["sizes"]["val"]))

first = bundle.get("first_setup")
if first:
    st.header(_("What it took to see it"))
    setup = sweep_results.first_setup(first, bundle["sizes"]["train"])  # it trained on the same split
    f_config, lo, hi = setup.config, setup.depths[0], setup.depths[-1]
    line = _("{net}: first-epoch loss {first}, last {last}.")
    lines = [line.format(net=net_name(kind, d), first=f"{setup.first_loss[(kind, d)]:.2f}",
                         last=f"{setup.last_loss[(kind, d)]:.4f}")
             for kind in ("plain", "residual") for d in setup.depths if (kind, d) in setup.last_loss]
    parts = [_("The first set-up copied the paper's CIFAR-10 recipe as it is: batch {batch}, lr {lr} from the first "
               "step, no augmentation, {epochs} epochs of {updates} updates each.").format(
        batch=f_config["batch_size"], lr=f_config["lr"], epochs=f_config["epochs"], updates=setup.updates_per_epoch),
        *lines]
    if setup.residual_degraded:
        parts.append(_("The plain nets degraded with depth, but so did the residual ones: residual-{deep} ended at "
                       "{ratio}x the loss of residual-{shallow}. Deep residual nets start with a large loss (every "
                       "block adds to the shortcut's signal) and that learning rate kept them unstable.").format(
            deep=hi, ratio=f"{setup.residual_ratio:.0f}", shallow=lo))
    parts.append(_("The recipe above changed four things: batch {batch} (more updates per epoch), lr {lr}, {warmup} "
                   "warm-up epoch at a tenth of it (the paper's own trick for its 110-layer net), and ±{shift}-pixel "
                   "shifts (its augmentation). The plain nets still degrade under it; the residual ones no longer "
                   "do.").format(batch=config["batch_size"], lr=config["lr"], warmup=config["warmup_epochs"],
                                 shift=config["shift"]))
    st.write(" ".join(parts))
    st.plotly_chart(cached.figure("bundled first setup", lambda: depth_curves(first["runs"])), width="stretch",
                    key="train_residual_first")

st.header(_("Run it yourself"))
st.write(_("A smaller sweep, live: by default depths {depths} and {epochs} epochs (lr ÷10 from epoch {milestone}), "
           "the same recipe otherwise: under a minute on two CPU cores. The curves are drawn as each epoch "
           "ends.").format(depths=", ".join(map(str, QUICK.depths)), epochs=QUICK.epochs,
                           milestone=QUICK.milestones[0] + 1))
left, right = st.columns([3, 1])
live_depths = left.multiselect(_("Depths"), LIVE_DEPTHS, key=url_state.several("live", "train_residual_live_depths",
                                                                           LIVE_DEPTHS, QUICK.depths, item=int))
live_epochs = right.slider(_("Epochs"), 1, MOST_LIVE_EPOCHS,
                           key=url_state.bind("epochs", "train_residual_live_epochs", QUICK.epochs,
                                              bounds=(1, MOST_LIVE_EPOCHS)))


def train() -> None:
    from dataclasses import asdict

    from cnnviz.training.data import digits
    from cnnviz.training.plain_vs_residual import quick_config, sweep_plan, train_one
    from cnnviz.training.progress import fraction_done

    quick = quick_config(live_depths, live_epochs)
    data = digits(quick.image_size, quick.seed)
    plan = sweep_plan(quick)
    costs = [depth for _, depth in plan]  # an epoch costs about its depth
    bar, chart = st.progress(0.0, text=_("Starting…")), st.empty()
    finished: list[dict] = []
    epoch_text = _("{net}: epoch {done}/{total}, loss {loss} ({seconds} s)")

    def show(run, done: int, total: int) -> None:
        # Before any Streamlit call: the script can be stopped inside one of them.
        st.session_state[PARTIAL] = {"runs": finished + [asdict(run)], "done": done, "epochs": total,
                                     "queue": len(plan)}
        st.session_state.pop("train_residual_live", None)  # the last sweep's curves are replaced from now on
        bar.progress(fraction_done(costs, len(finished), done, total),
                     text=epoch_text.format(net=net_name(run.kind, run.depth), done=done, total=total,
                                            loss=f"{run.train_loss[-1]:.3f}", seconds=f"{run.seconds:.0f}"))
        chart.plotly_chart(depth_curves(finished + [asdict(run)], total_epochs=total), width="stretch",
                           key=f"train_residual_live_{len(finished)}_{done}")

    for kind, depth in plan:
        finished.append(asdict(train_one(kind, depth, quick, data, show)))
    bar.empty()
    st.session_state["train_residual_live"] = finished
    st.session_state.pop(PARTIAL, None)
    seconds = sum(run["seconds"] for run in finished)
    st.success(_("Done in {seconds} s of training.").format(seconds=f"{seconds:.0f}"), icon=":material/check_circle:")


start = st.button(_("Train the quick sweep"), type="primary", key="train_residual_quick",
                  icon=":material/play_arrow:", disabled=not live_depths)
trained = False
if start:
    from cnnviz.training.plain_vs_residual import quick_config, sweep_plan

    # In turn with the other sessions' trainings: an epoch costs about its depth. A full line says so here.
    work = sum(depth for _kind, depth in sweep_plan(quick_config(live_depths, live_epochs))) * live_epochs
    with training_turn("residual", work) as trained:
        if trained:
            train()
if not start and PARTIAL in st.session_state:
    partial = st.session_state[PARTIAL]
    stopped = partial["runs"][-1]
    st.info(_("The last sweep stopped at epoch {done} of {epochs} of {net} (run {run} of {runs}) when the page was "
              "left; press **Train the quick sweep** to run it again.").format(
        done=partial["done"], epochs=partial["epochs"], net=net_name(stopped["kind"], stopped["depth"]),
        run=len(partial["runs"]), runs=partial["queue"]), icon=":material/pause_circle:")
    st.plotly_chart(depth_curves(partial["runs"], total_epochs=partial["epochs"]), width="stretch",
                    key="train_residual_live_partial")
elif not trained and "train_residual_live" in st.session_state:
    st.plotly_chart(depth_curves(st.session_state["train_residual_live"]), width="stretch",
                    key="train_residual_live_last")
