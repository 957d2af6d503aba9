"""A design trained on the handwritten digits: seeded runs repeat exactly (and draw nothing from torch's global
generator), the LeNet-5 template trains exactly as LeNet-5's bundled run, a design that does not fit the digits
says so in one line with what to change, the trained weights go into the exports; on the page the training takes
its turn in the training queue (a full line is one line, the student's share is kept) and its curves draw beside
LeNet-5's."""

from __future__ import annotations

import runpy
import threading

import pytest
import torch

from cnnviz.designer.analysis import analyse
from cnnviz.designer.code import onnx_bytes, pytorch_code, weights_bytes
from cnnviz.designer.design import Design, Layer
from cnnviz.designer.link import from_link, to_link
from cnnviz.designer.templates import lenet5
from cnnviz.designer.training import MOST_EPOCHS, design_data, TrainConfig, misfit, train_design, trained_model, work
from cnnviz.training import queueing
from cnnviz.training.bundled import load_bundled
from tests.conftest import open_link

L = Layer.of
# Small and quick (a fraction of a second per epoch), with every draw a run makes: dropout's masks too.
SMALL = Design(1, 8, 10, (L("conv", out=8, kernel=3, padding=1), L("bn"), L("relu"), L("maxpool", kernel=2),
                          L("flatten"), L("dropout", p=0.3), L("linear", out=10)))
# Ends in a 10 x 1 x 1 map (a 1x1 convolution and global average pooling, as NiN): its scores are flattened.
ALL_CONVOLUTIONAL = Design(1, 8, 10, (L("conv", out=8, kernel=3, padding=1), L("relu"), L("conv", out=10, kernel=1),
                                      L("gap")))


def _train(design: Design, **settings):
    return train_design(design, to_link(design), TrainConfig(**{"epochs": 2, **settings}), device="cpu")


def test_a_seeded_run_repeats_exactly_and_another_seed_is_another_run():
    global_before = torch.random.get_rng_state()
    first, first_model = _train(SMALL)
    again, again_model = _train(SMALL)
    other, _ = _train(SMALL, seed=1)
    assert torch.equal(torch.random.get_rng_state(), global_before)  # its own generators only
    assert first.step_loss == again.step_loss and first.val_accuracy == again.val_accuracy
    assert first.test_accuracy == again.test_accuracy
    for name, value in first_model.state_dict().items():
        assert torch.equal(value, again_model.state_dict()[name]), name
    assert other.step_loss != first.step_loss
    train_size = design_data(8).sizes[0]
    assert len(first.step_loss) == 2 * -(-train_size // 32)  # every mini-batch of both epochs
    assert len(first.train_loss) == len(first.val_accuracy) == 2


def test_the_lenet5_template_trains_exactly_as_lenet5s_bundled_run():
    """The same split, standardisation, initial weights, data order and optimiser as LeNet-5's training page: the
    rebuilt LeNet-5 gives the bundled tanh run's losses (made on the CPU, rounded to 6 digits)."""
    bundle = load_bundled("lenet5")
    tanh = next(run for run in bundle["runs"] if run["activation"] == "tanh")
    config = bundle["config"]
    run, _ = _train(lenet5(), lr=config["lr"], seed=config["seed"])
    assert run.initial_loss == pytest.approx(tanh["initial_loss"], abs=1e-5)
    assert run.train_loss == pytest.approx(tanh["train_loss"][:2], abs=1e-5)
    assert run.step_loss == pytest.approx(tanh["step_loss"][:len(run.step_loss)], abs=1e-5)
    assert run.val_accuracy == pytest.approx(tanh["val_accuracy"][:2], abs=1e-6)


def test_a_design_ending_in_a_map_of_one_value_per_class_trains():
    run, model = _train(ALL_CONVOLUTIONAL)
    assert run.train_loss[-1] < run.initial_loss
    assert model(torch.zeros(2, 1, 8, 8)).shape == (2, 10, 1, 1)  # the design's own module, unwrapped


@pytest.mark.parametrize("text,line", [
    ("1_3x32_1000_c6k5,f,l1000", "the digits are 8x8 grey scans (1 channel) of 10 classes, but this design takes 3 "
                                 "channels and has 1,000 classes. Set the input channels to 1 and the classes to 10."),
    ("1_3x32_10_c6k5,f,l10", "the digits are 8x8 grey scans (1 channel), but this design takes 3 channels. Set the "
                             "input channels to 1."),
    ("1_1x32_100_c6k5,f,l100", "the digits have 10 classes, but this design has 100. Set the classes to 10."),
    ("1_1x96_10_c6k5s4,f,l10", "the 8x8 digits are trained here at most 64x64 (upsampled), but this design takes "
                               "96x96. Set the input size to 64 or less (LeNet-5 takes 32)."),
    # (9 + 1)·512 + (512·9 + 1)·512 + 512·10 + 10 = 2,370,058
    ("1_1x64_10_c512k3p1,c512k3p1,gap,f,l10", "this design has 2,370,058 parameters; a design trained here has at "
                                               "most 2,000,000. Use fewer channels or a smaller linear layer."),
    # 64·64 positions x (1·9 + 64·9) weights x 64 channels, and 64·10: 153,354,880
    ("1_1x64_10_c64k3p1,r,c64k3p1,gap,f,l10", "this design needs 153,354,880 MACs per image; a design trained "
                                               "here needs at most 20,000,000. Use fewer channels, a smaller "
                                               "input, or shrink the maps earlier."),
    ("1_1x8_10_c6k5,c6k5", "layer 2: a 5x5 kernel does not fit the 4x4 map: (4 - 5 + 2·0)/1 + 1 = 0. Use a kernel "
                           "of at most 4, or padding 1."),
    ("1_1x8_10_c6k3,f,l11", "the network ends with 11 (11 values) but there are 10 classes. Set the last linear "
                            "layer's outputs to 10."),
])
def test_a_design_that_does_not_fit_the_digits_says_what_to_change_in_one_line(text, line):
    problem = misfit(analyse(from_link(text)))
    assert problem is not None and str(problem) == line


def test_fitting_designs_train_and_the_work_grows_with_epochs_and_macs():
    for design in (SMALL, ALL_CONVOLUTIONAL, lenet5()):
        assert misfit(analyse(design)) is None
    small, big = analyse(SMALL), analyse(lenet5())
    assert work(small, 10) == 2 * work(small, 5)
    assert work(big, 5) > work(small, 5)
    with pytest.raises(ValueError, match="epochs must be 1 to 30"):
        _train(SMALL, epochs=MOST_EPOCHS + 1)


def test_the_trained_weights_go_into_the_onnx_file_and_the_codes_trained(tmp_path):
    import onnxruntime

    run, model = _train(SMALL)
    images = torch.randn(3, 1, 8, 8, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        expected = model(images).numpy()
    kept = trained_model(SMALL, model.state_dict())  # as the page rebuilds it from the session's state dict
    with torch.no_grad():
        assert torch.equal(kept(images), model(images))
    session = onnxruntime.InferenceSession(onnx_bytes(SMALL, kept), providers=["CPUExecutionProvider"])
    assert session.run(None, {"image": images.numpy()})[0] == pytest.approx(expected, abs=1e-5)
    untrained = onnxruntime.InferenceSession(onnx_bytes(SMALL), providers=["CPUExecutionProvider"])
    assert untrained.run(None, {"image": images.numpy()})[0] != pytest.approx(expected, abs=1e-3)

    (tmp_path / "my_cnn_weights.pt").write_bytes(weights_bytes(kept))
    (tmp_path / "my_cnn.py").write_text(pytorch_code(SMALL, "my_cnn_weights.pt"))
    namespace = runpy.run_path(str(tmp_path / "my_cnn.py"))
    loaded = namespace["trained"](str(tmp_path / "my_cnn_weights.pt"))
    with torch.no_grad():
        assert torch.equal(loaded(images), model(images))
    assert "def trained(" not in pytorch_code(SMALL)  # only when there are weights to load


# --- the page ----------------------------------------------------------------------------------------------------
@pytest.fixture
def small_queue(monkeypatch):
    """The app's training queue replaced by one with one worker and one waiting place."""
    from ui.cached import trainings

    queue = queueing.training_queue(workers=1, waiting=1)
    monkeypatch.setattr(trainings, "training_queue", lambda: queue)
    return queue


def _curve_names(app) -> list[str]:
    """The runs on the loss chart and on the accuracy chart, which must be the same."""
    import json

    loss, accuracy = (json.loads(chart.proto.spec) for chart in app.get("plotly_chart")[-2:])
    names = [[trace.get("name") for trace in figure["data"] if trace.get("showlegend", True)]
             for figure in (loss, accuracy)]
    assert names[0] == names[1]
    assert loss["layout"]["yaxis"]["type"] == "log" and accuracy["layout"]["yaxis"]["range"] == [0, 102]
    return names[0]


def _full_lines(app) -> list[str]:
    return [w.value for w in app.warning if "training places are taken" in w.value]


@pytest.mark.slow
def test_training_a_small_design_takes_its_turn_in_the_queue_and_its_curves_draw_beside_lenet5(small_queue,
                                                                                                monkeypatch):
    from ui import training_queue

    app = open_link("design", net=to_link(SMALL), tab="train", epochs="2")
    assert _curve_names(app) == ["LeNet-5 (tanh)", "LeNet-5 (ReLU)"]  # before training: the references alone
    held = [small_queue.ticket("lenet", 300), small_queue.ticket()]  # one training running (3 min), one in line
    app.button(key="design_train").click().run()
    assert not app.exception, app.exception
    assert _full_lines(app) == ["All 2 training places are taken; the first frees in about 3 min."]
    assert not [m for m in app.metric if m.label == "Test accuracy"]  # nothing trained

    held[1].leave()  # a place in line free, the worker busy: the page waits, showing its place, then trains
    places = []
    monkeypatch.setattr(training_queue, "waiting_text", lambda place, s: places.append(place) or f"place {place}")
    threading.Timer(1.5, held[0].leave).start()
    app.button(key="design_train").click().run()
    assert not app.exception, app.exception
    assert places and set(places) == {1} and not _full_lines(app)
    assert _curve_names(app) == ["your design", "LeNet-5 (tanh)", "LeNet-5 (ReLU)"]
    accuracy = next(m for m in app.metric if m.label == "Test accuracy")
    assert accuracy.value.endswith("%")
    assert small_queue.seconds_per_work("design") != queueing.FIRST_GUESS_S["design"]  # its time was recorded
    assert small_queue.ticket().place == 0  # and its place freed

    # The trained weights stay in the session for this design: the export offers them.
    run = app.session_state["design_trained"]["run"]
    assert run.net == to_link(SMALL) and len(run.train_loss) == 2
    app.query_params["tab"] = "export"
    app.run()
    labels = [b.label for b in app.get("download_button")]
    assert "Download the trained weights" in labels
    assert any(f"({run.test_accuracy:.1%} test accuracy on the digits)" in c.value for c in app.caption)
    app.query_params.update({"tab": "export", "net": to_link(ALL_CONVOLUTIONAL)})  # another design: fresh weights
    app.run()
    assert "Download the trained weights" not in [b.label for b in app.get("download_button")]


def test_a_second_training_of_the_same_student_waits_for_the_first_in_view(monkeypatch):
    """The fair share of the other trainings: a student's training in another tab holds their one place; this one
    says so in one line, then trains when that one ends."""
    from ui import training_queue
    from ui.cached import trainings

    queue = queueing.training_queue(workers=1, waiting=3, share=1, owner_of=lambda: "student")
    monkeypatch.setattr(trainings, "training_queue", lambda: queue)
    lines = []
    shown = training_queue.over_share_text
    monkeypatch.setattr(training_queue, "over_share_text", lambda over: lines.append(over.held) or shown(over))
    app = open_link("design", net=to_link(SMALL), tab="train", epochs="1")
    other_tab = queue.ticket("lenet", 300, owner="student")
    threading.Timer(1.5, other_tab.leave).start()
    app.button(key="design_train").click().run()
    assert not app.exception, app.exception
    assert lines and set(lines) == {1}
    assert any(m.label == "Test accuracy" for m in app.metric)
    assert queue.ticket(owner="someone").place == 0  # every place freed


def test_a_design_that_does_not_fit_is_one_line_on_the_page():
    app = open_link("design", net="1_3x32_1000_c6k5,r,f,l1000", tab="train")
    lines = [w.value for w in app.warning]
    assert lines == ["This design cannot train on the digits: the digits are 8x8 grey scans (1 channel) of 10 "
                     "classes, but this design takes 3 channels and has 1,000 classes. Set the input channels to 1 "
                     "and the classes to 10."]
    assert not [b for b in app.button if b.key == "design_train"]  # nothing to press
    assert not app.get("plotly_chart")


def test_a_training_links_settings_are_read_and_bounded():
    app = open_link("design", net=to_link(SMALL), tab="train", epochs="7", lr="0.05", seed="42")
    assert (app.slider(key="design_epochs").value, app.select_slider(key="design_lr").value,
            app.number_input(key="design_seed").value) == (7, 0.05, 42)
    app = open_link("design", net=to_link(SMALL), tab="train", epochs="31")
    assert app.slider(key="design_epochs").value == 15
    assert any("epochs=31" in w.value for w in app.warning)


def test_the_servers_warm_up_computes_the_designers_first_view(monkeypatch):
    """After the warm-up step, the page's first view is all cache hits: counting again would fail here."""
    from cnnviz import i18n
    from cnnviz.designer import analysis
    from cnnviz.lectures import stepper
    from ui import cached, warmup
    from ui.designer import DEFAULT

    assert warmup._designer in warmup._steps()
    warmup._designer()

    def counted_again(*args, **kwargs):
        raise AssertionError("not warmed up")

    monkeypatch.setattr(analysis, "analyse", counted_again)
    monkeypatch.setattr(stepper, "walk_steps", counted_again)
    language = i18n.current()
    assert cached.design_report(DEFAULT).total_params == 61706
    assert cached.design_walk(DEFAULT, language)
    assert cached.design_graph_dot(DEFAULT, language) and cached.design_cost_chart(DEFAULT, language)


def test_lenet5s_bundled_run_on_the_command_line(capsys):
    """``python -m cnnviz curves lenet5``: the runs drawn beside a design, as ``train lenet5`` made them."""
    import json

    from cnnviz.cli.main import main

    assert main(["curves", "lenet5", "--json"]) == 0
    runs = json.loads(capsys.readouterr().out)
    assert [run["activation"] for run in runs] == ["tanh", "relu"]
    for run in runs:
        assert len(run["train_loss"]) == len(run["val_accuracy"]) == 15
        assert run["train_loss"][-1] < run["train_loss"][0] and 0.9 < run["test_accuracy"] <= 1.0
    assert main(["curves", "lenet5"]) == 0
    assert "tanh" in capsys.readouterr().out


@pytest.mark.parametrize("tab", ["table", "graph", "walk", "train", "export"])
def test_presenter_mode_draws_the_designer(tab):
    """?present=1 at the projector: every tab draws; the long table folds away."""
    app = open_link("design", present="1", tab=tab, net=to_link(SMALL))
    assert not app.error, [e.value for e in app.error]
    assert app.session_state["present"] is True
    if tab == "table":
        assert "The layer table" in [e.label for e in app.expander]
    if tab == "train":
        assert len(app.get("plotly_chart")) == 2
