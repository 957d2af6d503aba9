"""Transfer learning, measured: frozen encoder + new head vs fine-tuning vs training from scratch."""

from ui.first_visit import through_app

through_app()

import pandas as pd
import streamlit as st

from cnnviz.training import transfer_results
from cnnviz.training.bundled import load_bundled_or_none, missing_message
from cnnviz.training.charts import accuracy_by_size, transfer_figure
from cnnviz.training.data import digits
from cnnviz.training.transfer import FEATURES, MODES, MOMENTUM, QUICK
from ui import url_state

CLASSES = len(digits().classes)
MOST_PER_CLASS, MOST_EPOCHS = 20, 15
# The quick comparison under way, rewritten at every epoch: Streamlit stops the script mid-loop when the page is
# left or another widget is pressed, and this is then what was trained so far (removed when it finishes).
PARTIAL = "train_transfer_partial"

st.title("Transfer learning, trained")
st.write("EfficientNet-Lite0, pretrained on ImageNet, reads a task it has never seen: the scikit-learn "
         "handwritten digits, drawn black on white, upsampled and copied to three colour channels, with only a "
         f"handful of training images per class. Three ways to use it, all with SGD + momentum {MOMENTUM:g}:")
st.markdown("- **freeze the encoder, train a new head**: the pretrained convolutional stages stay fixed, so "
            f"their {FEATURES:,} pooled features are computed once and only a {FEATURES}x{CLASSES} "
            "linear layer learns;\n"
            "- **fine-tune everything**: start from the pretrained weights with a new head and train all;\n"
            "- **train from scratch**: the same architecture from random weights, trained the same way.")


def results(bundle: dict, caption: str, key: str) -> None:
    runs = bundle["runs"]
    compared = transfer_results.compare_modes(runs)
    columns = st.columns(len(runs))
    for column, run in zip(columns, runs):
        column.metric(MODES[run["mode"]], f"{run['test_accuracy']:.1%}",
                      f"{run['seconds']:.1f} s, {run['trainable_params']:,} trainable", delta_color="off",
                      help="Test accuracy; training time on this machine; parameters the optimiser updates")
    st.plotly_chart(transfer_figure(runs), width="stretch", key=f"train_transfer_{key}_chart")
    st.dataframe(pd.DataFrame(transfer_results.table_rows(runs, MODES)), hide_index=True, width="stretch",
                 column_config={"trainable parameters": st.column_config.NumberColumn(format="localized")})
    best = compared.best
    lines = [f"Best: **{MODES[best['mode']]}** ({best['test_accuracy']:.1%})."]
    if compared.frozen_minus_scratch is not None:
        gap = compared.frozen_minus_scratch
        lines.append(f"The frozen encoder is {abs(gap):.1f} points {'ahead of' if gap >= 0 else 'behind'} training "
                     f"from scratch, in {compared.frozen_time_share:.0%} of its time.")
    if compared.finetune_minus_frozen is not None:
        lines.append(f"Fine-tuning everything changes test accuracy by {compared.finetune_minus_frozen:+.1f} points "
                     f"over the frozen encoder and takes {compared.finetune_time_multiple:.1f}x as long.")
    st.markdown(" ".join(lines))
    st.caption(caption.format(**bundle["config"], **bundle["sizes"], device=bundle["device"]))


CAPTION = ("{per_class} training images per class ({image_size}x{image_size} pixels), {epochs} epochs, batch "
           "{batch_size}, learning rate {head_lr} for the head and {body_lr} for the encoder, seed {seed}, on "
           "{device}. Validation {val} and test {test} digits, never seen in training. Time = training only: for the "
           "frozen encoder, one forward pass over the training images plus the head's epochs.")

st.subheader("Bundled results")
bundle = load_bundled_or_none("transfer")
if bundle is None:
    st.error(missing_message("transfer"))
else:
    results(bundle, CAPTION + " Made by `python -m cnnviz train transfer`.", "bundled")
    if bundle.get("by_size"):
        st.markdown("**With fewer images per class** (same settings otherwise):")
        st.plotly_chart(accuracy_by_size(transfer_results.accuracy_points(bundle)), width="stretch",
                        key="train_transfer_by_size")
        fewest, accuracy = transfer_results.fewest_images(bundle)
        st.caption(f"With {fewest} images per class: " + ", ".join(
            f"{MODES[mode]} {value:.1%}" for mode, value in accuracy.items())
            + f". Chance is {1 / CLASSES:.0%}.")

st.subheader("Run it yourself")
st.write(f"A quick version: {QUICK.per_class} images per class, {QUICK.epochs} epochs, the three modes one "
         "after the other (about a minute on two CPU cores).")


modes = st.multiselect("Modes", list(MODES), format_func=MODES.get,
                       key=url_state.several("modes", "train_transfer_modes", list(MODES), list(MODES)))
per_class = st.slider("Training images per class", 1, MOST_PER_CLASS,
                      key=url_state.bind("per_class", "train_transfer_per_class", QUICK.per_class,
                                         bounds=(1, MOST_PER_CLASS)))
epochs = st.slider("Epochs", 1, MOST_EPOCHS,
                   key=url_state.bind("epochs", "train_transfer_epochs", QUICK.epochs, bounds=(1, MOST_EPOCHS)))
if st.button("Run the quick comparison", type="primary", key="train_transfer_start", icon=":material/play_arrow:",
             disabled=not modes):
    from dataclasses import asdict

    from cnnviz.training.device import pick_device
    from cnnviz.training.progress import fraction_done
    from cnnviz.training.transfer import quick_config, runs_to_json, train_mode, transfer_data

    config = quick_config(per_class, epochs)
    bar = st.progress(0.0, text="Loading the pretrained encoder…")
    finished: list = []

    def show(run, done: int, total: int) -> None:
        # Before any Streamlit call: the script can be stopped inside one of them.
        st.session_state[PARTIAL] = {"runs": [asdict(r) for r in finished + [run]], "done": done, "epochs": total,
                                     "queue": len(modes)}
        st.session_state.pop("train_transfer_live", None)  # the last comparison is replaced from now on
        bar.progress(fraction_done([1] * len(modes), len(finished), done, total),
                     text=f"{MODES[run.mode]}: epoch {done}/{total}, validation accuracy {run.val_accuracy[-1]:.1%}")

    data = transfer_data(config)
    for mode in modes:
        finished.append(train_mode(mode, config, data, show))
    bar.empty()
    st.session_state["train_transfer_live"] = runs_to_json(config, finished, pick_device())
    st.session_state.pop(PARTIAL, None)
elif PARTIAL in st.session_state:
    partial = st.session_state[PARTIAL]
    stopped = partial["runs"][-1]
    st.info(f"The last comparison stopped at epoch {partial['done']} of {partial['epochs']} of "
            f"*{MODES[stopped['mode']]}* (mode {len(partial['runs'])} of {partial['queue']}) when the page was left; "
            "press **Run the quick comparison** to run it again.", icon=":material/pause_circle:")
    figure = transfer_figure(partial["runs"])
    # The stopped mode has no test accuracy yet: only its validation curve so far is shown.
    figure.update_traces(visible=False, selector=dict(name=stopped["mode"], xaxis="x2"))
    st.plotly_chart(figure, width="stretch", key="train_transfer_partial_chart")
if "train_transfer_live" in st.session_state:
    results(st.session_state["train_transfer_live"], CAPTION, "live")
if not modes:
    st.warning("Pick at least one mode.")
