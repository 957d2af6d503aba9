"""The mini-training pages render, and their live runs work in a tiny setting (AppTest runs them serially)."""

from __future__ import annotations

import math

import pytest

from tests.conftest import open_page, open_tab

PAGES = ["pages/train-residual.py", "pages/train-lenet.py", "pages/train-schedules.py", "pages/train-transfer.py"]


_page = open_page


def test_pages_are_in_the_catalog():
    from ui.catalog import MINI_TRAININGS

    assert [entry.path for entry in MINI_TRAININGS] == PAGES


@pytest.mark.slow
@pytest.mark.parametrize("path", PAGES)
def test_page_renders(path):
    app = _page(path)
    assert app.title
    if path != "pages/train-lenet.py":  # LeNet draws its charts once trained
        assert app.get("plotly_chart")


@pytest.mark.slow
def test_residual_quick_run_tiny():
    app = _page("pages/train-residual.py")
    app.multiselect(key="train_residual_live_depths").set_value([8]).run()
    app.slider(key="train_residual_live_epochs").set_value(1).run()
    app.button(key="train_residual_quick").click().run()
    assert not app.exception, app.exception
    assert any("Done in" in s.value for s in app.success)


@pytest.mark.slow
def test_lenet_tiny_training_shows_ln10_and_accuracy():
    app = _page("pages/train-lenet.py")
    app.radio(key="train_lenet_activation").set_value("tanh").run()
    app.slider(key="train_lenet_epochs").set_value(1).run()
    app.button(key="train_lenet_start").click().run()
    assert not app.exception, app.exception
    first = next(m for m in app.metric if m.label == "First loss")
    assert float(first.value) == pytest.approx(math.log(10), abs=0.05)
    assert any(m.label == "Test accuracy" for m in app.metric)
    assert app.get("plotly_chart")


@pytest.mark.slow
def test_schedules_widgets_rerun():
    app = _page("pages/train-schedules.py")
    app.slider(key="train_schedules_epochs").set_value(20).run()
    agree = next(m for m in app.metric if m.label == "Formula vs torch")
    assert agree.value == "agree"
    open_tab(app, "train_schedules_tab", "SGD with momentum vs RMSProp")
    app.select_slider(key="train_schedules_lr").set_value(0.11).run()  # diverging SGD: a message, not a crash
    assert not app.exception, app.exception
    assert any("diverged" in w.value for w in app.warning)


@pytest.mark.slow
def test_transfer_quick_run_tiny():
    app = _page("pages/train-transfer.py")
    app.multiselect(key="train_transfer_modes").set_value(["frozen"]).run()
    app.slider(key="train_transfer_per_class").set_value(1).run()
    app.slider(key="train_transfer_epochs").set_value(1).run()
    app.button(key="train_transfer_start").click().run()
    assert not app.exception, app.exception
    assert any(m.label.startswith("freeze the encoder") for m in app.metric)


@pytest.mark.slow
def test_lenet_figures_are_built_once_per_training():
    app = _page("pages/train-lenet.py")
    app.radio(key="train_lenet_activation").set_value("tanh").run()
    app.slider(key="train_lenet_epochs").set_value(1).run()
    app.button(key="train_lenet_start").click().run()
    app.selectbox(key="train_lenet_digit_pick").set_value(3).run()
    assert not app.exception, app.exception
    figures = app.session_state["train_lenet_figures"]
    assert {("tanh", "filters"), ("tanh", 1), ("tanh", 3)} <= figures.keys()
    built = figures[("tanh", 3)]
    app.slider(key="train_lenet_epochs").set_value(2).run()  # a slider move before Train: nothing rebuilt
    assert app.session_state["train_lenet_figures"][("tanh", 3)] is built
    app.button(key="train_lenet_start").click().run()  # a new training: only the figures it shows, new
    assert not app.exception, app.exception
    assert ("tanh", 1) not in app.session_state["train_lenet_figures"]
    assert app.session_state["train_lenet_figures"][("tanh", 3)] is not built


def test_lenet_page_states_the_defaults_it_uses(monkeypatch):
    from cnnviz.training import lenet_live

    monkeypatch.setattr(lenet_live.LeNetConfig, "epochs", 7)  # the page must follow the module, not restate it
    app = _page("pages/train-lenet.py")
    assert not app.exception
    assert app.slider(key="train_lenet_epochs").value == 7
    assert "both, one after the other, 7 epochs" in app.info[0].value
    from sklearn.datasets import load_digits

    from cnnviz.zoo.registry import resolve

    scans, side = load_digits().images, resolve("lenet5")[1].input_size
    intro = app.markdown[0].value
    assert f"{len(scans):,} handwritten digits" in intro and f"{scans.shape[-1]}x{scans.shape[-1]} scans" in intro
    assert f"the {side}x{side} input" in intro
