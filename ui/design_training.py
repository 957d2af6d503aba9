"""The designer's training tab: the design trained on the handwritten digits in turn with the other trainings
(``ui.training_queue``), its loss and accuracy drawn beside LeNet-5's bundled run, and its trained weights kept in
the session for the exports (``trained``), as long as the design stays the one that was trained."""

from __future__ import annotations

import math

import streamlit as st

from cnnviz import i18n
from cnnviz.designer.analysis import DesignReport
from cnnviz.designer.design import Design
from cnnviz.designer.training import (DIGIT_SIDE, LEARNING_RATES, MOST_EPOCHS, MOST_SEED, DesignRun, TrainConfig,
                                      misfit, train_design, work)
from cnnviz.i18n import _
from cnnviz.training.bundled import load_bundled_or_none, missing_message
from cnnviz.training.data import digits_scanned
from cnnviz.training.lenet_live import WRITTEN
from cnnviz.training.progress import fraction_done
from ui import url_state
from ui.plain import plain
from ui.training_queue import training_turn

PAGE = "design"
TRAINED = f"{PAGE}_trained"  # {"run": DesignRun, "state": the trained weights (a CPU state dict)}
# The training under way, rewritten at every epoch: Streamlit stops the script mid-loop when the page is left or
# another widget is pressed, and this is then what was trained so far (removed when a training finishes).
PARTIAL = f"{PAGE}_train_partial"
FIGURES = f"{PAGE}_train_figures"  # (what the chart shows, language) -> its figure, built once
UNTRAINED_LOSS = math.log(10)  # ten equal scores: cross-entropy -ln(1/10)


def trained(text: str) -> tuple[DesignRun, dict] | None:
    """This session's trained weights of the design ``text`` (its link text), with their run; None when this design
    was not trained here (another one was, or none)."""
    kept = st.session_state.get(TRAINED)
    if kept is None or kept["run"].net != text:
        return None
    return kept["run"], kept["state"]


def _references() -> list[dict]:
    """LeNet-5's bundled runs (one per activation), as ``curves_beside`` draws them."""
    bundle = load_bundled_or_none("lenet5")
    if bundle is None:
        return []
    return [{"name": _("LeNet-5 ({activation})").format(activation=WRITTEN.get(run["activation"], run["activation"])),
             "dash": "dash",
             "train_loss": run["train_loss"], "val_accuracy": run["val_accuracy"],
             "test_accuracy": run["test_accuracy"]} for run in bundle["runs"]]


def _curves(run: DesignRun | None, total_epochs: int | None = None):
    from cnnviz.training.charts import curves_beside

    shown = [] if run is None else [{"name": _("your design"), "train_loss": run.train_loss,
                                     "val_accuracy": run.val_accuracy, "step_loss": run.step_loss}]
    references = _references()
    longest = max([len(r["train_loss"]) for r in references] + [total_epochs or 0])
    return curves_beside(shown + references, longest)


def _draw(place, figures, key: str) -> None:
    """The loss and accuracy charts in ``place`` (an ``st.empty()``), side by side where the screen is wide."""
    with place.container():
        for column, figure, part in zip(st.columns(2), figures, ("loss", "accuracy")):
            column.plotly_chart(figure, width="stretch", key=f"{key}_{part}")


def _figure(key: tuple, run: DesignRun | None):
    """The charts of a finished run (or of the references alone), built once per run and language."""
    figures = st.session_state.setdefault(FIGURES, {})
    key = (*key, i18n.current())
    if key not in figures:
        figures.clear()  # one chart at a time
        figures[key] = _curves(run)
    return figures[key]


def render(design: Design, report: DesignReport, text: str) -> None:
    count, scan = digits_scanned()
    st.write(_("Train this design on the {count} handwritten digits that ship with scikit-learn, here and now, in "
               "turn with the other trainings: the same split, optimiser (SGD with momentum {momentum} on "
               "mini-batches of {batch}) and learning rates as LeNet-5's training page, whose bundled run is drawn "
               "beside yours.").format(count=f"{count:,}", momentum=f"{TrainConfig.momentum:g}",
                                       batch=TrainConfig.batch_size))
    problem = misfit(report)
    if problem is not None:
        st.warning(plain(_("This design cannot train on the digits: {reason}").format(reason=problem.text())),
                   icon=":material/block:")
        return
    if design.side == DIGIT_SIDE:
        st.caption(_("The {scan}x{scan} scans go in as they are.").format(scan=scan))
    else:
        st.caption(_("The {scan}x{scan} scans are upsampled (bilinear) to {side}x{side}, this design's input, as "
                     "LeNet-5's page upsamples them to 32x32.").format(scan=scan, side=design.side))
    left, middle, right = st.columns(3)
    epochs = left.slider(_("Epochs"), 1, MOST_EPOCHS, key=url_state.bind(
        "epochs", f"{PAGE}_epochs", TrainConfig.epochs, bounds=(1, MOST_EPOCHS)))
    lr = middle.select_slider(_("Learning rate"), LEARNING_RATES, key=url_state.bind(
        "lr", f"{PAGE}_lr", TrainConfig.lr, choices=LEARNING_RATES))
    seed = right.number_input(_("Seed"), min_value=0, max_value=MOST_SEED, step=1, key=url_state.bind(
        "seed", f"{PAGE}_seed", 0, bounds=(0, MOST_SEED)), help=_("The run's own random numbers: its initial "
                                                                  "weights, the order of the digits and dropout's "
                                                                  "masks. The same seed gives the same run."))
    start = st.button(_("Train"), type="primary", key=f"{PAGE}_train", icon=":material/play_arrow:")
    notice, curves, progress = st.empty(), st.empty(), st.empty()
    config = TrainConfig(epochs=int(epochs), lr=lr, seed=int(seed))
    finished = False
    if start:
        # In turn with the other sessions' trainings; a full line says so here and the last results stay below.
        with training_turn("design", work(report, config.epochs), notice) as turn:
            if turn:
                _train(design, text, config, curves, progress)
                finished = True
    elif st.session_state.get(PARTIAL, {}).get("net") == text:
        partial = st.session_state[PARTIAL]
        notice.info(_("The last run stopped at epoch {done} of {epochs} when the page was left; press **Train** to "
                      "run it again.").format(done=partial["done"], epochs=partial["epochs"]),
                    icon=":material/pause_circle:")
        _draw(curves, _curves(partial["run"], partial["epochs"]), f"{PAGE}_partial")
        return
    _results(text, curves, finished)


def _train(design: Design, text: str, config: TrainConfig, curves, progress) -> None:
    bar = progress.progress(0.0, text=_("Starting…"))
    epoch_text = _("Epoch {done}/{total}, loss {loss}, validation accuracy {accuracy}")

    def show(run: DesignRun, done: int, total: int) -> None:
        # Before any Streamlit call: the script can be stopped inside one of them.
        st.session_state[PARTIAL] = {"net": text, "run": run, "done": done, "epochs": total}
        bar.progress(fraction_done([1], 0, done, total), text=epoch_text.format(
            done=done, total=total, loss=f"{run.train_loss[-1]:.3f}", accuracy=f"{run.val_accuracy[-1]:.1%}"))
        _draw(curves, _curves(run, total), f"{PAGE}_live_{done}")

    run, model = train_design(design, text, config, show)
    st.session_state[TRAINED] = {"run": run, "state": model.state_dict()}
    st.session_state.pop(PARTIAL, None)
    progress.empty()


def _results(text: str, curves, finished: bool) -> None:
    result = trained(text)
    run = result[0] if result else None
    if not finished:  # else the chart drawn live stays
        key = ("run", run.net, run.config, run.seconds) if run else ("references",)
        _draw(curves, _figure(key, run), f"{PAGE}_curves")
    references = _references()
    if not references:
        st.caption(missing_message("lenet5"))
    if run is None:
        st.info(_("Press **Train** to train this design: the chart then holds its curves beside LeNet-5's."),
                icon=":material/info:")
        return
    best = max(references, key=lambda r: r["test_accuracy"], default=None)
    a, b, c = st.columns(3)
    a.metric(_("First loss"), f"{run.initial_loss:.4f}", f"{run.initial_loss - UNTRAINED_LOSS:+.4f}",
             delta_color="off", delta_description=_("vs ln 10"),
             help=_("Mean cross-entropy on the training set before the first update: near ln 10 when the ten scores "
                    "start nearly equal"))
    if best is None:
        b.metric(_("Test accuracy"), f"{run.test_accuracy:.1%}", help=_("Digits never seen in training"))
    else:
        b.metric(_("Test accuracy"), f"{run.test_accuracy:.1%}",
                 _("{difference} pp").format(difference=f"{100 * (run.test_accuracy - best['test_accuracy']):+.1f}"),
                 delta_description=_("vs {reference}").format(reference=best["name"]),
                 help=_("Digits never seen in training, the same as LeNet-5's"))
    c.metric(_("Training time"), f"{run.seconds:.1f} s", help=_("{epochs} epochs, seed {seed}, learning rate "
                                                                "{lr}").format(
        epochs=run.config.epochs, seed=run.config.seed, lr=f"{run.config.lr:g}"))
    st.caption(_("The trained weights stay in this session for this design: the Export tab's ONNX file and weights "
                 "hold them until the design changes."))
