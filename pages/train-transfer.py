"""Transfer learning, measured: frozen encoder + new head vs fine-tuning vs training from scratch."""

from ui.first_visit import through_app

through_app()

import pandas as pd
import streamlit as st

from cnnviz.format import device_name
from cnnviz.i18n import _
from cnnviz.training import transfer_results
from cnnviz.training.bundled import load_bundled_or_none, missing_message
from cnnviz.training.charts import accuracy_by_size, transfer_figure
from cnnviz.training.data import digits
from cnnviz.training.transfer import FEATURES, MODES, MOMENTUM, QUICK
from ui import cached, url_state
from ui.training_queue import training_turn

CLASSES = len(digits().classes)
MOST_PER_CLASS, MOST_EPOCHS = 20, 15
# The quick comparison under way, rewritten at every epoch: Streamlit stops the script mid-loop when the page is
# left or another widget is pressed, and this is then what was trained so far (removed when it finishes).
PARTIAL = "train_transfer_partial"

st.title(_("Transfer learning, trained"))
st.write(_("EfficientNet-Lite0, pretrained on ImageNet, reads a task it has never seen: the scikit-learn handwritten "
           "digits, drawn black on white, upsampled and copied to three colour channels, with only a handful of "
           "training images per class. Three ways to use it, all with SGD + momentum {momentum}:").format(
    momentum=f"{MOMENTUM:g}"))
st.markdown(_("- **freeze the encoder, train a new head**: the pretrained convolutional stages stay fixed, so their "
              "{features} pooled features are computed once and only a {inputs}x{classes} linear layer learns;\n"
              "- **fine-tune everything**: start from the pretrained weights with a new head and train all;\n"
              "- **train from scratch**: the same architecture from random weights, trained the same way.").format(
    features=f"{FEATURES:,}", inputs=FEATURES, classes=CLASSES))


def _mode(mode: str) -> str:
    return _(MODES[mode])


def results(bundle: dict, made_by: bool, key: str) -> None:
    runs = bundle["runs"]
    compared = transfer_results.compare_modes(runs)
    columns = st.columns(len(runs))
    for column, run in zip(columns, runs):
        column.metric(_mode(run["mode"]), f"{run['test_accuracy']:.1%}",
                      _("{seconds} s, {count} trainable").format(seconds=f"{run['seconds']:.1f}",
                                                                 count=f"{run['trainable_params']:,}"),
                      delta_color="off",
                      help=_("Test accuracy; training time on this machine; parameters the optimiser updates"))
    chart = cached.figure("bundled transfer", lambda: transfer_figure(runs)) if made_by else transfer_figure(runs)
    st.plotly_chart(chart, width="stretch", key=f"train_transfer_{key}_chart")
    table = pd.DataFrame(transfer_results.table_rows(runs, {mode: _mode(mode) for mode in MODES})).rename(columns=_)
    st.dataframe(table, hide_index=True, width="stretch",
                 column_config={_("trainable parameters"): st.column_config.NumberColumn(format="localized")})
    best = compared.best
    lines = [_("Best: **{mode}** ({accuracy}).").format(mode=_mode(best["mode"]),
                                                         accuracy=f"{best['test_accuracy']:.1%}")]
    if compared.frozen_minus_scratch is not None:
        gap = compared.frozen_minus_scratch
        ahead = (_("The frozen encoder is {points} points ahead of training from scratch, in {share} of its time.")
                 if gap >= 0 else
                 _("The frozen encoder is {points} points behind training from scratch, in {share} of its time."))
        lines.append(ahead.format(points=f"{abs(gap):.1f}", share=f"{compared.frozen_time_share:.0%}"))
    if compared.finetune_minus_frozen is not None:
        lines.append(_("Fine-tuning everything changes test accuracy by {points} points over the frozen encoder and "
                       "takes {multiple}x as long.").format(points=f"{compared.finetune_minus_frozen:+.1f}",
                                                            multiple=f"{compared.finetune_time_multiple:.1f}"))
    st.markdown(" ".join(lines))
    caption = _("{per_class} training images per class ({image_size}x{image_size} pixels), {epochs} epochs, batch "
                "{batch_size}, learning rate {head_lr} for the head and {body_lr} for the encoder, seed {seed}, on "
                "{device}. Validation {val} and test {test} digits, never seen in training. Time = training only: "
                "for the frozen encoder, one forward pass over the training images plus the head's epochs.")
    if made_by:
        caption += " " + _("Made by `python -m cnnviz train transfer`.")
    st.caption(caption.format(**bundle["config"], **bundle["sizes"], device=device_name(bundle["device"])))


st.header(_("Bundled results"))
bundle = load_bundled_or_none("transfer")
if bundle is None:
    st.error(missing_message("transfer"))
else:
    results(bundle, True, "bundled")
    if bundle.get("by_size"):
        st.markdown(_("**With fewer images per class** (same settings otherwise):"))
        by_size = cached.figure("bundled transfer by size",
                                lambda: accuracy_by_size(transfer_results.accuracy_points(bundle)))
        st.plotly_chart(by_size, width="stretch",
                        key="train_transfer_by_size")
        fewest, accuracy = transfer_results.fewest_images(bundle)
        st.caption(_("With {count} images per class: {accuracies}. Chance is {chance}.").format(
            count=fewest, accuracies=", ".join(f"{_mode(mode)} {value:.1%}" for mode, value in accuracy.items()),
            chance=f"{1 / CLASSES:.0%}"))

st.header(_("Run it yourself"))
st.write(_("A quick version: {per_class} images per class, {epochs} epochs, the three modes one after the other "
           "(about a minute on two CPU cores).").format(per_class=QUICK.per_class, epochs=QUICK.epochs))


modes = st.multiselect(_("Modes"), list(MODES), format_func=_mode,
                       key=url_state.several("modes", "train_transfer_modes", list(MODES), list(MODES)))
per_class = st.slider(_("Training images per class"), 1, MOST_PER_CLASS,
                      key=url_state.bind("per_class", "train_transfer_per_class", QUICK.per_class,
                                         bounds=(1, MOST_PER_CLASS)))
epochs = st.slider(_("Epochs"), 1, MOST_EPOCHS,
                   key=url_state.bind("epochs", "train_transfer_epochs", QUICK.epochs, bounds=(1, MOST_EPOCHS)))


def train() -> None:
    from dataclasses import asdict

    from cnnviz.training.device import pick_device
    from cnnviz.training.progress import fraction_done
    from cnnviz.training.transfer import quick_config, runs_to_json, train_mode, transfer_data

    config = quick_config(per_class, epochs)
    bar = st.progress(0.0, text=_("Loading the pretrained encoder…"))
    finished: list = []
    epoch_text = _("{mode}: epoch {done}/{total}, validation accuracy {accuracy}")

    def show(run, done: int, total: int) -> None:
        # Before any Streamlit call: the script can be stopped inside one of them.
        st.session_state[PARTIAL] = {"runs": [asdict(r) for r in finished + [run]], "done": done, "epochs": total,
                                     "queue": len(modes)}
        st.session_state.pop("train_transfer_live", None)  # the last comparison is replaced from now on
        bar.progress(fraction_done([1] * len(modes), len(finished), done, total),
                     text=epoch_text.format(mode=_mode(run.mode), done=done, total=total,
                                            accuracy=f"{run.val_accuracy[-1]:.1%}"))

    data = transfer_data(config)
    for mode in modes:
        finished.append(train_mode(mode, config, data, show))
    bar.empty()
    st.session_state["train_transfer_live"] = runs_to_json(config, finished, pick_device())
    st.session_state.pop(PARTIAL, None)


start = st.button(_("Run the quick comparison"), type="primary", key="train_transfer_start",
                  icon=":material/play_arrow:", disabled=not modes)
if start:
    # In turn with the other sessions' trainings; a full line says so here and the last comparison stays below.
    with training_turn("transfer", len(modes) * per_class * epochs) as trained:
        if trained:
            train()
elif PARTIAL in st.session_state:
    partial = st.session_state[PARTIAL]
    stopped = partial["runs"][-1]
    st.info(_("The last comparison stopped at epoch {done} of {epochs} of *{mode}* (mode {run} of {runs}) when the "
              "page was left; press **Run the quick comparison** to run it again.").format(
        done=partial["done"], epochs=partial["epochs"], mode=_mode(stopped["mode"]), run=len(partial["runs"]),
        runs=partial["queue"]), icon=":material/pause_circle:")
    figure = transfer_figure(partial["runs"])
    # The stopped mode has no test accuracy yet: only its validation curve so far is shown.
    figure.update_traces(visible=False, selector=dict(legendgroup=stopped["mode"], xaxis="x2"))
    st.plotly_chart(figure, width="stretch", key="train_transfer_partial_chart")
if "train_transfer_live" in st.session_state:
    results(st.session_state["train_transfer_live"], False, "live")
if not modes:
    st.warning(_("Pick at least one mode."))
