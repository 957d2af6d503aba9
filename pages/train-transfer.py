"""Transfer learning, measured: frozen encoder + new head vs fine-tuning vs training from scratch."""

from ui.first_visit import through_app

through_app()

import pandas as pd
import streamlit as st

from cnnviz.training.bundled import load_bundled_or_none, missing_message
from cnnviz.training.charts import accuracy_by_size, transfer_figure
from cnnviz.training.transfer import MODES, QUICK

st.title("Transfer learning, trained")
st.write("EfficientNet-Lite0, pretrained on ImageNet, reads a task it has never seen: the scikit-learn "
         "handwritten digits, drawn black on white, upsampled and copied to three colour channels, with only a "
         "handful of training images per class. Three ways to use it, all with SGD + momentum 0.9:")
st.markdown("- **freeze the encoder, train a new head**: the pretrained convolutional stages stay fixed, so "
            "their 1,280 pooled features are computed once and only a 1280x10 linear layer learns;\n"
            "- **fine-tune everything**: start from the pretrained weights with a new head and train all;\n"
            "- **train from scratch**: the same architecture from random weights, trained the same way.")


def results(bundle: dict, caption: str, key: str) -> None:
    config, runs = bundle["config"], bundle["runs"]
    best = max(runs, key=lambda r: r["test_accuracy"])
    by_mode = {r["mode"]: r for r in runs}
    columns = st.columns(len(runs))
    for column, run in zip(columns, runs):
        column.metric(MODES[run["mode"]], f"{run['test_accuracy']:.1%}",
                      f"{run['seconds']:.1f} s, {run['trainable_params']:,} trainable", delta_color="off",
                      help="Test accuracy; training time on this machine; parameters the optimiser updates")
    st.plotly_chart(transfer_figure(runs), width="stretch", key=f"train_transfer_{key}_chart")
    table = pd.DataFrame([{"mode": MODES[r["mode"]], "test accuracy (%)": round(100 * r["test_accuracy"], 1),
                           "best validation accuracy (%)": round(100 * max(r["val_accuracy"]), 1),
                           "training time (s)": round(r["seconds"], 1),
                           "trainable parameters": r["trainable_params"]} for r in runs])
    st.dataframe(table, hide_index=True, width="stretch",
                 column_config={"trainable parameters": st.column_config.NumberColumn(format="localized")})
    lines = [f"Best: **{MODES[best['mode']]}** ({best['test_accuracy']:.1%})."]
    if {"frozen", "scratch"} <= by_mode.keys():
        frozen, scratch = by_mode["frozen"], by_mode["scratch"]
        gap = 100 * (frozen["test_accuracy"] - scratch["test_accuracy"])
        lines.append(f"The frozen encoder is {abs(gap):.1f} points {'ahead of' if gap >= 0 else 'behind'} training "
                     f"from scratch, in {frozen['seconds'] / max(scratch['seconds'], 1e-9):.0%} of its time.")
    if {"frozen", "finetune"} <= by_mode.keys():
        frozen, tuned = by_mode["frozen"], by_mode["finetune"]
        lines.append(f"Fine-tuning everything changes test accuracy by "
                     f"{100 * (tuned['test_accuracy'] - frozen['test_accuracy']):+.1f} points over the frozen "
                     f"encoder and takes {tuned['seconds'] / max(frozen['seconds'], 1e-9):.1f}x as long.")
    st.markdown(" ".join(lines))
    st.caption(caption.format(**config, **bundle["sizes"], device=bundle["device"]))


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
        points = [{"mode": run["mode"], "per_class": entry["per_class"], "test_accuracy": run["test_accuracy"]}
                  for entry in bundle["by_size"] + [{"per_class": bundle["config"]["per_class"],
                                                     "runs": bundle["runs"]}] for run in entry["runs"]]
        st.markdown("**With fewer images per class** (same settings otherwise):")
        st.plotly_chart(accuracy_by_size(points), width="stretch", key="train_transfer_by_size")
        fewest = min(bundle["by_size"], key=lambda e: e["per_class"])
        accuracy = {run["mode"]: run["test_accuracy"] for run in fewest["runs"]}
        st.caption(f"With {fewest['per_class']} images per class: " + ", ".join(
            f"{MODES[mode]} {value:.1%}" for mode, value in accuracy.items()) + ". Chance is 10%.")

st.subheader("Run it yourself")
st.write(f"A quick version: {QUICK.per_class} images per class, {QUICK.epochs} epochs, the three modes one "
         "after the other (about a minute on two CPU cores).")
modes = st.multiselect("Modes", list(MODES), default=list(MODES), format_func=MODES.get,
                       key="train_transfer_modes")
per_class = st.slider("Training images per class", 1, 20, QUICK.per_class, key="train_transfer_per_class")
epochs = st.slider("Epochs", 1, 15, QUICK.epochs, key="train_transfer_epochs")
if st.button("Run the quick comparison", type="primary", key="train_transfer_start", icon=":material/play_arrow:",
             disabled=not modes):
    from dataclasses import asdict, replace

    from cnnviz.training.device import pick_device
    from cnnviz.training.transfer import train_mode, transfer_data

    config = replace(QUICK, per_class=per_class, epochs=epochs)
    bar = st.progress(0.0, text="Loading the pretrained encoder…")
    finished: list = []

    def show(run, done: int, total: int) -> None:
        bar.progress((len(finished) * total + done) / (total * len(modes)),
                     text=f"{MODES[run.mode]}: epoch {done}/{total}, validation accuracy {run.val_accuracy[-1]:.1%}")

    data = transfer_data(config)
    for mode in modes:
        finished.append(train_mode(mode, config, data, show))
    bar.empty()
    st.session_state["train_transfer_live"] = {"config": asdict(config), "device": pick_device(),
                                               "runs": [asdict(run) for run in finished],
                                               "sizes": dict(zip(("train", "val", "test"), data.sizes))}
if "train_transfer_live" in st.session_state:
    results(st.session_state["train_transfer_live"], CAPTION, "live")
if not modes:
    st.warning("Pick at least one mode.")
