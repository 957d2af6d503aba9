"""The mini-trainings' links: a link opens exactly its settings, a changed widget is written into the URL, a bad
value falls back with one line, a page left and come back to keeps its settings, and a training stopped half-way
(the page left while it ran) is shown as far as it got, with one line saying so.

Trainings are tiny (LeNet-5 for two or three epochs, one depth-8 net) or stand-ins that report epochs without
training; an interruption is Streamlit's own ``st.stop()`` raised inside the page's epoch callback, where a page
change or a widget press stops the script."""

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from tests.conftest import leave_and_return, open_link, open_page, open_tab

pytestmark = pytest.mark.slow


def _notices(app: AppTest) -> list[str]:
    return [w.value for w in app.warning if "does not fit this page" in w.value]


def _watched(train, stop_after: int | None = None, run_index: int = 0):
    """``train`` with its calls recorded; with ``stop_after``, its ``run_index``-th call (from 0) is stopped by
    Streamlit right after that epoch was reported, as a page change stops it (in a Streamlit call of the page's
    epoch callback)."""
    calls = []

    def watched(*args):
        args, position = list(args), len(calls)
        calls.append(args)
        at = next(i for i, arg in enumerate(args) if callable(arg))  # the page's epoch callback
        report = args[at]

        def on_epoch(run, done: int, total: int) -> None:
            report(run, done, total)
            if position == run_index and done == stop_after:
                st.stop()

        args[at] = on_epoch
        return train(*args)

    watched.calls = calls
    return watched


# --- LeNet-5 trained live ---

def test_lenet_link_opens_its_settings_and_trains_with_them(one_torch_thread):
    app = open_link("train-lenet", activation="relu", epochs="2", lr="0.05", digit="4")
    assert app.radio(key="train_lenet_activation").value == "relu"
    assert app.slider(key="train_lenet_epochs").value == 2
    assert app.select_slider(key="train_lenet_lr").value == 0.05
    assert not _notices(app)
    app.button(key="train_lenet_start").click().run()
    assert not app.exception, app.exception
    assert [h.value for h in app.header][0] == "ReLU"
    timing = next(m for m in app.metric if m.label == "Training time")
    assert "2 epochs" in timing.proto.help
    assert app.selectbox(key="train_lenet_digit_pick").value == 3  # digit #4 in the link, as the label counts
    assert dict(app.query_params) == {"activation": "relu", "epochs": "2", "lr": "0.05", "digit": "4"}


def test_lenet_widgets_write_the_url():
    app = open_link("train-lenet")
    assert dict(app.query_params) == {}
    app.radio(key="train_lenet_activation").set_value("tanh").run()
    app.slider(key="train_lenet_epochs").set_value(5).run()
    app.select_slider(key="train_lenet_lr").set_value(0.01).run()
    assert dict(app.query_params) == {"activation": "tanh", "epochs": "5", "lr": "0.01"}


def test_lenet_bad_links_fall_back_with_one_line():
    from cnnviz.training.lenet_live import DEFAULT_CHOICE, LeNetConfig

    app = open_link("train-lenet", activation="sigmoid", epochs="99", lr="0.03")
    assert len(_notices(app)) == 3 and not app.exception
    assert app.radio(key="train_lenet_activation").value == DEFAULT_CHOICE
    assert app.slider(key="train_lenet_epochs").value == LeNetConfig.epochs
    assert app.select_slider(key="train_lenet_lr").value == LeNetConfig.lr
    assert dict(app.query_params) == {}
    app = open_link("train-lenet", epochs="ten")
    (notice,) = _notices(app)
    assert "`epochs=ten`" in notice and app.slider(key="train_lenet_epochs").value == LeNetConfig.epochs


def test_lenet_keeps_its_settings_when_left():
    app = open_page("pages/train-lenet.py")
    app.radio(key="train_lenet_activation").set_value("relu").run()
    app.slider(key="train_lenet_epochs").set_value(4).run()
    app.select_slider(key="train_lenet_lr").set_value(0.1).run()
    leave_and_return(app, "train-lenet")
    assert app.radio(key="train_lenet_activation").value == "relu"
    assert app.slider(key="train_lenet_epochs").value == 4
    assert app.select_slider(key="train_lenet_lr").value == 0.1
    assert dict(app.query_params) == {"activation": "relu", "epochs": "4", "lr": "0.1"}


def test_lenet_run_stopped_by_leaving_shows_its_curves_so_far(monkeypatch, one_torch_thread):
    from cnnviz.training import lenet_live

    monkeypatch.setattr(lenet_live, "train_lenet", _watched(lenet_live.train_lenet, stop_after=2))
    app = open_page("pages/train-lenet.py")
    app.radio(key="train_lenet_activation").set_value("tanh").run()
    app.slider(key="train_lenet_epochs").set_value(3).run()
    app.button(key="train_lenet_start").click().run()  # stopped after epoch 2 of 3
    assert not app.exception, app.exception
    leave_and_return(app, "train-lenet")

    (notice,) = [i.value for i in app.info if "stopped" in i.value]
    assert notice == "The last run stopped at epoch 2 of 3 when the page was left; press **Train** to run it again."
    (chart,) = app.get("plotly_chart")
    assert '"tanh: epoch mean"' in chart.proto.spec and '"x":[1,2]' in chart.proto.spec
    assert not [m for m in app.metric if m.label == "Test accuracy"]  # no test of a run that did not finish

    monkeypatch.undo()  # a full run replaces the stopped one
    app.slider(key="train_lenet_epochs").set_value(1).run()
    app.button(key="train_lenet_start").click().run()
    assert not app.exception, app.exception
    assert not [i for i in app.info if "stopped" in i.value]
    assert any(m.label == "Test accuracy" for m in app.metric)


# --- Residual vs plain ---

def _curves(app: AppTest) -> str:
    return app.get("plotly_chart")[0].proto.spec  # the bundled runs' curves come first


def test_residual_link_opens_its_settings():
    app = open_link("train-residual", depths="8,20", kinds="plain", live="8,14", epochs="2")
    assert app.multiselect(key="train_residual_depths").value == [8, 20]
    assert app.multiselect(key="train_residual_kinds").value == ["plain"]
    assert app.multiselect(key="train_residual_live_depths").value == [8, 14]
    assert app.slider(key="train_residual_live_epochs").value == 2
    assert '"plain-8"' in _curves(app) and '"plain-20"' in _curves(app) and '"residual-8"' not in _curves(app)
    assert not _notices(app)


def test_residual_table_folds_away_when_presenting():
    app = open_link("train-residual", present="1")
    (folded,) = [e for e in app.expander if e.label == "Every run in a table"]
    assert folded.dataframe and not folded.proto.expanded


def test_residual_widgets_write_the_url():
    app = open_link("train-residual")
    app.multiselect(key="train_residual_depths").set_value([56]).run()
    app.multiselect(key="train_residual_kinds").set_value(["residual"]).run()
    app.multiselect(key="train_residual_live_depths").set_value([26]).run()
    app.slider(key="train_residual_live_epochs").set_value(9).run()
    assert dict(app.query_params) == {"depths": "56", "kinds": "residual", "live": "26", "epochs": "9"}


def test_residual_bad_links_fall_back_with_one_line():
    from cnnviz.training.plain_vs_residual import QUICK

    app = open_link("train-residual", depths="8,99", kinds="wide", live="deep", epochs="40")
    notices = _notices(app)
    assert len(notices) == 4 and not app.exception
    assert any("`depths=99`" in n for n in notices)
    assert app.multiselect(key="train_residual_depths").value == [8]  # the one it knows stays
    assert app.multiselect(key="train_residual_kinds").value == ["plain", "residual"]
    assert app.multiselect(key="train_residual_live_depths").value == list(QUICK.depths)
    assert app.slider(key="train_residual_live_epochs").value == QUICK.epochs
    assert dict(app.query_params) == {"depths": "8"}


def test_residual_keeps_its_settings_when_left():
    app = open_page("pages/train-residual.py")
    app.multiselect(key="train_residual_depths").set_value([20, 44]).run()
    app.slider(key="train_residual_live_epochs").set_value(3).run()
    leave_and_return(app, "train-residual")
    assert app.multiselect(key="train_residual_depths").value == [20, 44]
    assert app.slider(key="train_residual_live_epochs").value == 3
    assert '"plain-44"' in _curves(app) and '"plain-8"' not in _curves(app)


def test_residual_sweep_stopped_by_leaving_shows_its_curves_so_far(monkeypatch, one_torch_thread):
    from cnnviz.training import plain_vs_residual

    monkeypatch.setattr(plain_vs_residual, "train_one", _watched(plain_vs_residual.train_one, stop_after=1,
                                                                 run_index=1))
    app = open_link("train-residual", live="8", epochs="2")
    app.button(key="train_residual_quick").click().run()  # plain-8 finishes, residual-8 stops after epoch 1
    assert not app.exception, app.exception
    app.run()  # the next run of the page (another widget pressed, or the page opened again)
    (notice,) = [i.value for i in app.info if "stopped" in i.value]
    assert notice.startswith("The last sweep stopped at epoch 1 of 2 of residual-8 (run 2 of 2)")
    partial = app.get("plotly_chart")[-1].proto.spec
    assert '"plain-8"' in partial and '"residual-8"' in partial
    assert not app.success  # no "Done in" for a sweep that did not finish


# --- Schedules and optimisers ---

OPTIMISERS_TAB = "SGD with momentum vs RMSProp"


def test_schedules_link_opens_its_settings():
    """One link carries both tabs' settings: each tab shows its own."""
    from cnnviz.training import optimisers as opt
    from cnnviz.training import schedules as sch

    link = {"epochs": "20", "patience": "3", "warm": "4", "lr": "0.05", "mu": "0.9", "rms": "0.05"}
    app = open_link("train-schedules", **link)
    assert [app.slider(key=f"train_schedules_{k}").value for k in ("epochs", "patience", "warm")] == [20, 3, 4]
    last = next(m for m in app.metric if m.label == "GoogLeNet lr in the last epoch")
    assert last.value == f"{sch.step_decay(20)[-1]:.5f}"  # the formula, not torch's scheduler
    assert not app.select_slider  # the optimisers' tab is closed: it does not run
    app = open_link("train-schedules", tab="optimisers", **link)
    assert [app.select_slider(key=f"train_schedules_{k}").value for k in ("lr", "mu", "rms")] == [0.05, 0.9, 0.05]
    race = next(m.value for m in app.markdown if "steps" in m.value and "**" in m.value)
    for name, steps in opt.race(0.05, 0.9, 0.05).reached.items():
        assert f"**{name}**: f < {opt.TARGET:g} " + (f"after {steps} steps" if steps is not None else "not") in race
    assert not app.slider and not _notices(app)


def test_schedules_widgets_write_the_url_and_bad_links_fall_back():
    from cnnviz.training import optimisers as opt

    app = open_link("train-schedules", epochs="25")
    assert len(_notices(app)) == 1 and not app.exception
    assert app.slider(key="train_schedules_epochs").value == 100
    assert dict(app.query_params) == {}
    app.slider(key="train_schedules_patience").set_value(6).run()
    assert dict(app.query_params) == {"patience": "6"}

    app = open_link("train-schedules", tab="optimisers", mu="0.7", rms="fast")
    assert len(_notices(app)) == 2 and not app.exception
    assert app.select_slider(key="train_schedules_mu").value == opt.DEFAULT_MU
    app.select_slider(key="train_schedules_rms").set_value(0.2).run()
    assert dict(app.query_params) == {"tab": "optimisers", "rms": "0.2"}


def test_schedules_keep_their_settings_when_left():
    app = open_page("pages/train-schedules.py")
    app.slider(key="train_schedules_warm").set_value(5).run()
    open_tab(app, "train_schedules_tab", OPTIMISERS_TAB)
    app.select_slider(key="train_schedules_lr").set_value(0.08).run()
    leave_and_return(app, "train-schedules")
    assert app.select_slider(key="train_schedules_lr").value == 0.08  # the open tab too was kept
    open_tab(app, "train_schedules_tab", "Three schedules")
    assert app.slider(key="train_schedules_warm").value == 5


# --- Transfer learning ---

def _transfer_stand_in(mode, config, data, on_epoch=None, device=None):
    """A run that reports its epochs without training: what the page does with them is under test."""
    from cnnviz.training.transfer import TransferRun

    run = TransferRun(mode, trainable_params=10)
    for epoch in range(config.epochs):
        run.train_loss.append(1 / (epoch + 1))
        run.val_accuracy.append(0.1 * (epoch + 1))
        run.seconds = epoch + 1.0
        if on_epoch:
            on_epoch(run, epoch + 1, config.epochs)
    run.test_accuracy = 0.5
    return run


@pytest.fixture
def quick_transfer(monkeypatch):
    """The stand-in for training, its calls recorded."""
    from cnnviz.training import transfer

    stand_in = _watched(_transfer_stand_in)
    monkeypatch.setattr(transfer, "train_mode", stand_in)
    return stand_in


def test_transfer_link_opens_its_settings_and_trains_with_them(quick_transfer):
    app = open_link("train-transfer", modes="frozen,scratch", per_class="2", epochs="3")
    assert app.multiselect(key="train_transfer_modes").value == ["frozen", "scratch"]
    assert app.slider(key="train_transfer_per_class").value == 2
    assert app.slider(key="train_transfer_epochs").value == 3
    assert not _notices(app)
    app.button(key="train_transfer_start").click().run()
    assert not app.exception, app.exception
    assert [(call[0], call[1].per_class, call[1].epochs) for call in quick_transfer.calls] == [
        ("frozen", 2, 3), ("scratch", 2, 3)]
    assert dict(app.query_params) == {"modes": "frozen,scratch", "per_class": "2", "epochs": "3"}


def test_transfer_widgets_write_the_url_and_bad_links_fall_back():
    from cnnviz.training.transfer import MODES, QUICK

    app = open_link("train-transfer", modes="all", per_class="0", epochs="x")
    assert len(_notices(app)) == 3 and not app.exception
    assert app.multiselect(key="train_transfer_modes").value == list(MODES)
    assert app.slider(key="train_transfer_per_class").value == QUICK.per_class
    assert app.slider(key="train_transfer_epochs").value == QUICK.epochs
    assert dict(app.query_params) == {}
    app.multiselect(key="train_transfer_modes").set_value(["finetune"]).run()
    app.slider(key="train_transfer_epochs").set_value(12).run()
    assert dict(app.query_params) == {"modes": "finetune", "epochs": "12"}


def test_transfer_keeps_its_settings_when_left():
    app = open_page("pages/train-transfer.py")
    app.multiselect(key="train_transfer_modes").set_value(["scratch"]).run()
    app.slider(key="train_transfer_per_class").set_value(7).run()
    leave_and_return(app, "train-transfer")
    assert app.multiselect(key="train_transfer_modes").value == ["scratch"]
    assert app.slider(key="train_transfer_per_class").value == 7


def test_transfer_run_stopped_by_leaving_shows_its_curves_so_far(monkeypatch):
    from cnnviz.training import transfer

    monkeypatch.setattr(transfer, "train_mode", _watched(_transfer_stand_in, stop_after=2, run_index=1))
    app = open_link("train-transfer", modes="frozen,scratch", per_class="1", epochs="3")
    app.button(key="train_transfer_start").click().run()
    assert not app.exception, app.exception
    app.run()
    (notice,) = [i.value for i in app.info if "stopped" in i.value]
    assert notice.startswith("The last comparison stopped at epoch 2 of 3 of *train from scratch* (mode 2 of 2)")
    chart = app.get("plotly_chart")[-1].proto.spec
    assert '"name":"frozen"' in chart and '"name":"scratch"' in chart
    assert '"visible":false' in chart  # the stopped mode has no test accuracy to plot yet
