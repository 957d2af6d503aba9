"""Residual vs plain nets: the ResNet paper's Figures 1 and 6 in miniature, from bundled and live runs."""

from ui.first_visit import through_app

through_app()

import pandas as pd
import streamlit as st

from cnnviz.training import sweep_results
from cnnviz.training.bundled import load_bundled_or_none, missing_message
from cnnviz.training.charts import depth_curves, final_by_depth
from cnnviz.training.plain_vs_residual import LIVE_DEPTHS, QUICK
from ui import presenter, url_state

KINDS = ["plain", "residual"]
MOST_LIVE_EPOCHS = 12
# The live sweep under way, rewritten at every epoch: Streamlit stops the script mid-loop when the page is left or
# another widget is pressed, and this is then what was trained so far (removed when the sweep finishes).
PARTIAL = "train_residual_partial"


st.title("Residual vs plain: the degradation problem")
st.write("He et al. (2015) found that stacking more layers on a plain network made it *worse on its own "
         "training set*: not overfitting, an optimisation failure (their Figure 1: a 56-layer plain net has "
         "higher training error than a 20-layer one). Adding identity shortcuts, so each block learns a residual, "
         "removed the problem (Figure 6). Here the same experiment runs in miniature on the scikit-learn digits.")
left, right = st.columns(2)
left.latex(r"\text{plain block:}\quad y = \mathrm{ReLU}(\mathcal{F}(x))")
right.latex(r"\text{residual block:}\quad y = \mathrm{ReLU}(\mathcal{F}(x) + x)")
st.caption("F = conv3x3-BN-ReLU-conv3x3-BN. When the width doubles, the shortcut x is subsampled and padded "
           "with zero channels (the paper's option A), so plain and residual nets of one depth have exactly the "
           "same parameters; only the + x differs.")

bundle = load_bundled_or_none("plain-vs-residual")
if bundle is None:
    st.error(missing_message("plain-vs-residual"))
    st.stop()
config, runs = bundle["config"], bundle["runs"]
depths = sweep_results.depths(runs)

st.subheader("Bundled runs")
st.caption(f"Depth = 6n + 2 weighted layers, base width {config['width']} channels ({config['width']}, "
           f"{2 * config['width']}, {4 * config['width']} per stage), {config['image_size']}x{config['image_size']} "
           f"digits, SGD + momentum {config['momentum']}, batch {config['batch_size']}, lr {config['lr']} (a tenth "
           f"of it for {config['warmup_epochs']} warm-up epoch(s), then ÷10 from epochs "
           f"{' and '.join(str(m + 1) for m in config['milestones'])}), "
           f"weight decay {config['weight_decay']}, ±{config['shift']}-pixel random shifts, {config['epochs']} "
           f"epochs, seed {config['seed']}, on {bundle['device']}. Made by `python -m cnnviz train plain-vs-residual`.")
left, right = st.columns([3, 1])
chosen = left.multiselect("Depths to overlay", depths,
                          key=url_state.several("depths", "train_residual_depths", depths,
                                                sweep_results.default_overlay(depths), item=int))
kinds = right.multiselect("Nets", KINDS, key=url_state.several("kinds", "train_residual_kinds", KINDS, KINDS))
if not chosen or not kinds:
    st.warning("Pick at least one depth and one kind of net.")
else:
    st.plotly_chart(depth_curves(runs, chosen, tuple(kinds)), width="stretch", key="train_residual_curves")

compared = sweep_results.compare_depths(runs)
shallow, deep, last = compared.shallow, compared.deep, compared.loss
a, b, c = st.columns(3)
a.metric(f"Plain: {deep} vs {shallow} layers", f"{compared.plain_ratio:.0f}x the loss",
         help=f"last-epoch training loss {last[('plain', deep)]:.4f} vs {last[('plain', shallow)]:.4f}")
b.metric(f"Residual: {deep} vs {shallow} layers",
         f"{last[('residual', deep)]:.4f} vs {last[('residual', shallow)]:.4f}",
         help="last-epoch training loss (cross-entropy, nats)")
c.metric(f"{deep} layers: plain vs residual", f"{compared.plain_over_residual:.0f}x the loss",
         help="same parameters, same initial weights' distribution, same data order")
st.plotly_chart(final_by_depth(runs), width="stretch", key="train_residual_final")
table = pd.DataFrame(sweep_results.table_rows(runs))
with presenter.folded("Every run in a table"):
    st.dataframe(table, hide_index=True, width="stretch",
                 column_config={"parameters": st.column_config.NumberColumn(format="localized")})
st.caption("Loss = mean training cross-entropy over the last epoch's mini-batches (nats); validation error after "
           f"the last epoch, on {bundle['sizes']['val']} held-out digits; seconds = training time on the machine "
           "that made the bundle.")

first = bundle.get("first_setup")
if first:
    st.subheader("What it took to see it")
    setup = sweep_results.first_setup(first, bundle["sizes"]["train"])  # it trained on the same split
    f_config, lo, hi = setup.config, setup.depths[0], setup.depths[-1]
    lines = [f"{kind}-{d}: first-epoch loss {setup.first_loss[(kind, d)]:.2f}, last "
             f"{setup.last_loss[(kind, d)]:.4f}" for kind in ("plain", "residual") for d in setup.depths
             if (kind, d) in setup.last_loss]
    st.write(f"The first set-up copied the paper's CIFAR-10 recipe as it is: batch {f_config['batch_size']}, "
             f"lr {f_config['lr']} from the first step, no augmentation, {f_config['epochs']} epochs of "
             f"{setup.updates_per_epoch} updates each. " + "; ".join(lines) + ". "
             + (f"The plain nets degraded with depth, but so did the residual ones: residual-{hi} ended at "
                f"{setup.residual_ratio:.0f}x the loss of residual-{lo}. "
                "Deep residual nets start with a large loss (every block adds to the shortcut's signal) and that "
                "learning rate kept them unstable. "
                if setup.residual_degraded else "")
             + f"The recipe above changed four things: batch {config['batch_size']} (more updates per epoch), "
             f"lr {config['lr']}, {config['warmup_epochs']} warm-up epoch at a tenth of it (the paper's own trick "
             f"for its 110-layer net), and ±{config['shift']}-pixel shifts (its augmentation). The plain nets still "
             "degrade under it; the residual ones no longer do.")
    st.plotly_chart(depth_curves(first["runs"]), width="stretch", key="train_residual_first")

st.subheader("Run it yourself")
st.write(f"A smaller sweep, live: by default depths {', '.join(map(str, QUICK.depths))} and {QUICK.epochs} epochs "
         f"(lr ÷10 from epoch {QUICK.milestones[0] + 1}), the same recipe otherwise: under a minute on two CPU "
         "cores. The curves are drawn as each epoch ends.")
left, right = st.columns([3, 1])
live_depths = left.multiselect("Depths", LIVE_DEPTHS, key=url_state.several("live", "train_residual_live_depths",
                                                                           LIVE_DEPTHS, QUICK.depths, item=int))
live_epochs = right.slider("Epochs", 1, MOST_LIVE_EPOCHS,
                           key=url_state.bind("epochs", "train_residual_live_epochs", QUICK.epochs,
                                              bounds=(1, MOST_LIVE_EPOCHS)))
if st.button("Train the quick sweep", type="primary", key="train_residual_quick", icon=":material/play_arrow:",
             disabled=not live_depths):
    from dataclasses import asdict

    from cnnviz.training.data import digits
    from cnnviz.training.plain_vs_residual import quick_config, sweep_plan, train_one
    from cnnviz.training.progress import fraction_done

    quick = quick_config(live_depths, live_epochs)
    data = digits(quick.image_size, quick.seed)
    plan = sweep_plan(quick)
    costs = [depth for _, depth in plan]  # an epoch costs about its depth
    bar, chart = st.progress(0.0, text="Starting…"), st.empty()
    finished: list[dict] = []

    def show(run, done: int, total: int) -> None:
        # Before any Streamlit call: the script can be stopped inside one of them.
        st.session_state[PARTIAL] = {"runs": finished + [asdict(run)], "done": done, "epochs": total,
                                     "queue": len(plan)}
        st.session_state.pop("train_residual_live", None)  # the last sweep's curves are replaced from now on
        bar.progress(fraction_done(costs, len(finished), done, total), text=f"{run.kind}-{run.depth}: epoch "
                     f"{done}/{total}, loss {run.train_loss[-1]:.3f} ({run.seconds:.0f} s)")
        chart.plotly_chart(depth_curves(finished + [asdict(run)], total_epochs=total), width="stretch",
                           key=f"train_residual_live_{len(finished)}_{done}")

    for kind, depth in plan:
        finished.append(asdict(train_one(kind, depth, quick, data, show)))
    bar.empty()
    st.session_state["train_residual_live"] = finished
    st.session_state.pop(PARTIAL, None)
    seconds = sum(run["seconds"] for run in finished)
    st.success(f"Done in {seconds:.0f} s of training.", icon=":material/check_circle:")
elif PARTIAL in st.session_state:
    partial = st.session_state[PARTIAL]
    stopped = partial["runs"][-1]
    st.info(f"The last sweep stopped at epoch {partial['done']} of {partial['epochs']} of {stopped['kind']}-"
            f"{stopped['depth']} (run {len(partial['runs'])} of {partial['queue']}) when the page was left; press "
            "**Train the quick sweep** to run it again.", icon=":material/pause_circle:")
    st.plotly_chart(depth_curves(partial["runs"], total_epochs=partial["epochs"]), width="stretch",
                    key="train_residual_live_partial")
elif "train_residual_live" in st.session_state:
    st.plotly_chart(depth_curves(st.session_state["train_residual_live"]), width="stretch",
                    key="train_residual_live_last")
