"""The mini-trainings: checked against ln 10, hand formulas, torch's schedulers and optimisers, and the
ResNet paper's claims in the bundled curves."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from cnnviz.training import optimisers as opt
from cnnviz.training.data import digits, digits_subset
from cnnviz.training.plain_vs_residual import StageNet, SweepConfig, train_one
from cnnviz.training.schedules import plateau, step_decay, train_with_schedule, warmup
from tests.conftest import ROOT


@pytest.fixture(autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


# --- data -------------------------------------------------------------------------------------------------

def test_digits_split_is_stratified_and_upsampled():
    split = digits(32)
    assert split.x_train.shape[1:] == (1, 32, 32)
    assert sum(split.sizes) == 1797  # scikit-learn's digits
    assert 0.0 <= float(split.x_train.min()) and float(split.x_train.max()) <= 1.0
    for part in (split.y_train, split.y_val, split.y_test):  # every class in every part
        assert set(part.tolist()) == set(range(10))
    small = digits_subset(split, 3)
    assert torch.bincount(small.y_train).tolist() == [3] * 10


def test_bundled_results_or_none_when_missing(monkeypatch, tmp_path):
    from cnnviz.training import bundled

    assert bundled.load_bundled_or_none("transfer") == bundled.load_bundled("transfer")
    monkeypatch.setattr(bundled, "ASSETS", tmp_path / "assets")
    assert bundled.load_bundled_or_none("transfer") is None
    assert bundled.missing_message("transfer") == ("assets/transfer.json is missing: make it with "
                                                   "`python -m cnnviz train transfer`")


# --- the shared loop and device helpers -------------------------------------------------------------------

def test_single_threaded_limits_threads_and_keeps_the_signature():
    import inspect

    from cnnviz.training.device import single_threaded
    from cnnviz.training.lenet_live import train_lenet

    @single_threaded
    def probe(value, *, extra=1):
        """Doc."""
        return value + extra, torch.get_num_threads()

    torch.set_num_threads(2)  # the autouse fixture restores the previous number
    assert probe(1, extra=2) == (3, 1)
    assert torch.get_num_threads() == 2
    assert probe.__name__ == "probe" and probe.__doc__ == "Doc."
    assert list(inspect.signature(train_lenet).parameters) == ["config", "on_epoch", "data", "device"]


def test_evaluate_in_chunks_equals_one_pass():
    from cnnviz.training import loop

    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(64, 10))
    split = digits(8)
    whole = loop.evaluate(model, split.x_val, split.y_val)
    assert loop.evaluate(model, split.x_val, split.y_val, batch_size=50) == pytest.approx(whole, rel=1e-6)
    logits = model(split.x_val)
    assert whole[0] == pytest.approx(F.cross_entropy(logits, split.y_val).item())
    assert whole[1] == pytest.approx((logits.argmax(1) == split.y_val).float().mean().item())


# --- LeNet-5 ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_lenet_initial_loss_is_about_ln10(activation):
    from cnnviz.training.lenet_live import LeNetConfig, train_lenet

    run = train_lenet(LeNetConfig(activation=activation, epochs=1))
    assert run.initial_loss == pytest.approx(math.log(10), abs=0.05)
    assert run.train_loss[0] < run.initial_loss  # one epoch already learns something
    assert np.array(run.before.filters).shape == (6, 5, 5)
    assert np.array(run.after.c1_maps).shape == (8, 6, 28, 28)
    assert np.array(run.after.c3_maps).shape == (8, 16, 10, 10)


def test_lenet_same_seed_same_run():
    from cnnviz.training.lenet_live import LeNetConfig, train_lenet

    first, second = (train_lenet(LeNetConfig(epochs=1)) for _ in range(2))
    assert first.step_loss == second.step_loss
    assert first.test_accuracy == second.test_accuracy


@pytest.mark.slow
def test_lenet_learns_the_digits():
    from cnnviz.training.lenet_live import LeNetConfig, train_lenet

    run = train_lenet(LeNetConfig(epochs=8))
    assert run.test_accuracy > 0.9
    assert run.seconds < 30


# --- plain vs residual ------------------------------------------------------------------------------------

def test_plain_and_residual_have_the_papers_parameter_count():
    # Depth 8 (n = 1), width 16: hand count of the paper's CIFAR design with option-A shortcuts.
    conv = lambda c_in, c_out: 9 * c_in * c_out  # noqa: E731  (3x3, no bias)
    bn = lambda c: 2 * c  # noqa: E731
    expected = (conv(1, 16) + bn(16) + 2 * (conv(16, 16) + bn(16)) + conv(16, 32) + conv(32, 32) + 2 * bn(32)
                + conv(32, 64) + conv(64, 64) + 2 * bn(64) + 64 * 10 + 10)
    for residual in (False, True):
        model = StageNet(8, residual)
        assert sum(p.numel() for p in model.parameters()) == expected
    convs = sum(isinstance(m, torch.nn.Conv2d) for m in StageNet(56, True).modules())
    assert convs + 1 == 56  # 55 convolutions and one linear layer


def test_bad_depth_is_refused():
    with pytest.raises(ValueError, match="6n"):
        StageNet(10, True)


def test_tiny_net_overfits_a_handful_of_samples():
    split = digits(8)
    x, y = split.x_train[:10], split.y_train[:10]
    torch.manual_seed(0)
    model = StageNet(8, residual=True, width=8)
    optimiser = torch.optim.Adam(model.parameters(), lr=0.01)
    for _ in range(150):
        loss = F.cross_entropy(model(x), y)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    model.eval()
    assert F.cross_entropy(model(x), y).item() < 0.05
    assert (model(x).argmax(1) == y).all()


def test_sweep_runs_are_repeatable():
    config = SweepConfig(depths=(8,), width=4, epochs=2)
    data = digits(8)
    first, second = (train_one("residual", 8, config, data, device="cpu") for _ in range(2))
    assert first.train_loss == second.train_loss and first.val_error == second.val_error


def _bundle() -> dict:
    return json.loads((ROOT / "assets" / "plain_vs_residual.json").read_text())


def _last(run: dict) -> float:
    return float(np.mean(run["train_loss"][-3:]))  # the last three epochs, to smooth mini-batch noise


def test_bundled_curves_show_deeper_plain_nets_train_worse():
    runs = _bundle()["runs"]
    plain = {r["depth"]: _last(r) for r in runs if r["kind"] == "plain"}
    depths = sorted(plain)
    assert len(depths) >= 3
    deep = [d for d in depths if d >= 20]
    # Figure 1 of the paper: each deeper plain net ends with a higher training loss.
    assert all(plain[a] < plain[b] for a, b in zip(deep, deep[1:])), plain
    assert plain[depths[-1]] > 10 * plain[20]


def test_bundled_curves_show_residual_nets_do_not_degrade():
    runs = _bundle()["runs"]
    plain = {r["depth"]: _last(r) for r in runs if r["kind"] == "plain"}
    residual = {r["depth"]: _last(r) for r in runs if r["kind"] == "residual"}
    assert residual.keys() == plain.keys()
    deepest = max(residual)
    # Figure 6: the deepest residual net is not worse than the 20-layer one (beyond noise) ...
    assert residual[deepest] <= residual[20] + 0.02, residual
    # ... and at every depth from 20 on, residual beats plain with the very same parameters.
    assert all(residual[d] < plain[d] for d in residual if d >= 20)


def test_bundled_curves_are_complete():
    bundle = _bundle()
    epochs = bundle["config"]["epochs"]
    for run in bundle["runs"]:
        assert len(run["train_loss"]) == len(run["val_error"]) == epochs
        assert all(0.0 <= e <= 1.0 for e in run["val_error"])
        # Each first epoch starts near the untrained loss ln 10 or above it, never at zero.
        assert run["train_loss"][0] > 0.5


# --- schedules --------------------------------------------------------------------------------------------

def _torch_lrs(scheduler_factory, epochs: int, metric=None) -> list[float]:
    optimiser = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    scheduler = scheduler_factory(optimiser)
    lrs = []
    for e in range(epochs):
        lrs.append(optimiser.param_groups[0]["lr"])
        optimiser.step()
        scheduler.step(metric[e]) if metric is not None else scheduler.step()
    return lrs


def test_googlenet_schedule_matches_steplr_and_the_notes():
    ours = step_decay(40)
    optimiser = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.01)
    step = torch.optim.lr_scheduler.StepLR(optimiser, step_size=8, gamma=0.96)
    theirs = []
    for _ in range(40):
        theirs.append(optimiser.param_groups[0]["lr"])
        optimiser.step()
        step.step()
    assert ours == pytest.approx(theirs, rel=1e-12)
    # The notes: 0.01, decayed by 0.96 every 8 epochs.
    assert ours[7] == pytest.approx(0.01) and ours[8] == pytest.approx(0.0096) and ours[16] == pytest.approx(0.009216)


def test_warmup_matches_constantlr():
    theirs = _torch_lrs(lambda o: torch.optim.lr_scheduler.ConstantLR(o, factor=0.01, total_iters=3), 8)
    assert warmup(8, warm_lr=0.01, lr=1.0, warm_epochs=3) == pytest.approx(theirs)
    assert warmup(5, warm_epochs=2) == [0.01, 0.01, 0.1, 0.1, 0.1]  # the notes: 0.01, then 0.1


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("patience", [0, 2, 5])
def test_plateau_rule_matches_reducelronplateau(seed, patience):
    rng = np.random.default_rng(seed)
    # A loss that falls, then wanders: flat stretches trigger drops, tiny improvements (below threshold) do not.
    metric = list(np.maximum.accumulate(rng.random(60))[::-1] + rng.normal(0, 0.002, 60))
    metric[20:24] = [metric[19] * (1 - 5e-5)] * 4  # improvements smaller than the relative threshold 1e-4
    theirs = _torch_lrs(lambda o: torch.optim.lr_scheduler.ReduceLROnPlateau(o, factor=0.1, patience=patience,
                                                                           min_lr=1e-3), 60, metric)
    ours = plateau(metric, 1.0, patience=patience, min_lr=1e-3)
    assert ours == pytest.approx(theirs, rel=1e-12)
    assert min(ours) < 1.0  # the sequence did trigger at least one drop


def test_live_schedules_follow_their_formulas():
    epochs = 24
    step = train_with_schedule("step", epochs)
    assert step.lr == pytest.approx([0.01 * 0.96 ** (e // 8) for e in range(epochs)])
    warm = train_with_schedule("warmup", epochs, patience=2, warm_epochs=3)
    assert warm.lr[:3] == pytest.approx([0.01] * 3) and warm.lr[3] == pytest.approx(0.1)
    assert warm.lr[3:] == pytest.approx(plateau(warm.val_loss[3:], 0.1, patience=2, min_lr=1e-3))
    flat = train_with_schedule("plateau", epochs, patience=2)
    assert flat.lr == pytest.approx(plateau(flat.val_loss, 0.1, patience=2, min_lr=1e-3))
    assert flat.val_loss[-1] < math.log(10)  # it learned


# --- optimisers -------------------------------------------------------------------------------------------

def _torch_path(optimiser_factory, steps: int) -> np.ndarray:
    w = torch.nn.Parameter(torch.tensor(opt.START, dtype=torch.float64))
    optimiser = optimiser_factory([w])
    a, b = opt.VALLEY
    path = [w.detach().numpy().copy()]
    for _ in range(steps):
        loss = 0.5 * (a * w[0] ** 2 + b * w[1] ** 2)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        path.append(w.detach().numpy().copy())
    return np.array(path)


@pytest.mark.parametrize("mu", [0.0, 0.9])
def test_notes_momentum_formula_equals_torch_sgd(mu):
    ours = opt.momentum_path(0.05, mu, 50)
    theirs = _torch_path(lambda p: torch.optim.SGD(p, lr=0.05, momentum=mu), 50)
    np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)


def test_notes_rmsprop_formula_equals_torch_rmsprop_up_to_epsilon():
    ours = opt.rmsprop_path(0.05, 0.9, 40, eps=0.0)
    theirs = _torch_path(lambda p: torch.optim.RMSprop(p, lr=0.05, alpha=0.9, eps=0.0), 40)
    np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-12)


def test_gradient_descent_diverges_above_two_over_curvature():
    steep = opt.VALLEY[1]
    assert opt.losses(opt.momentum_path(1.9 / steep, 0.0, 200))[-1] < 1e-3
    assert opt.losses(opt.momentum_path(2.1 / steep, 0.0, 200))[-1] > 1e3


def test_momentum_reaches_the_minimum_sooner_than_sgd():
    sgd = opt.steps_to_reach(opt.momentum_path(0.05, 0.0, 400), 1e-3)
    momentum = opt.steps_to_reach(opt.momentum_path(0.05, 0.9, 400), 1e-3)
    assert momentum is not None and sgd is not None and momentum < sgd


# --- transfer learning ------------------------------------------------------------------------------------

@pytest.mark.slow
def test_transfer_modes_train_what_they_say():
    from cnnviz.imagelab.pretrained import efficientnet_lite0
    from cnnviz.training.transfer import TransferConfig, compare

    config = TransferConfig(per_class=1, image_size=32, epochs=1, batch_size=10)
    runs = {run.mode: run for run in compare(config, device="cpu")}
    pretrained = efficientnet_lite0()
    encoder = sum(p.numel() for name, p in pretrained.named_parameters() if not name.startswith("_fc"))
    head = 1280 * 10 + 10
    assert runs["frozen"].trainable_params == head
    assert runs["finetune"].trainable_params == runs["scratch"].trainable_params == encoder + head
    for run in runs.values():
        assert len(run.val_accuracy) == 1 and 0.0 <= run.test_accuracy <= 1.0
    again = compare(config, modes=("frozen",), device="cpu")[0]
    assert again.train_loss == runs["frozen"].train_loss  # same seed, same run


def test_transfer_data_is_black_on_white_and_scaled_for_lite():
    from cnnviz.imagelab.pretrained import LITE_MEAN, LITE_STD
    from cnnviz.training.transfer import TransferConfig, transfer_data

    data = transfer_data(TransferConfig(per_class=2, image_size=32))
    assert data.x_train.shape == (20, 3, 32, 32)
    white = (1.0 - LITE_MEAN[0]) / LITE_STD[0]  # a blank pixel, scaled as (p - 127) / 128
    corner = data.x_train[:, :, 0, 0]
    assert torch.allclose(corner, torch.full_like(corner, white), atol=0.05)


def test_bundled_curves_are_made_by_this_code():
    from dataclasses import replace

    bundle = _bundle()
    config = SweepConfig(**{k: tuple(v) if isinstance(v, list) else v for k, v in bundle["config"].items()})
    bundled = next(r for r in bundle["runs"] if r["kind"] == "residual" and r["depth"] == 8)
    # The first three epochs again (the schedule's milestones come later): the same numbers, up to the
    # rounding differences between CPUs.
    run = train_one("residual", 8, replace(config, epochs=3), digits(config.image_size, config.seed), device="cpu")
    assert run.params == bundled["params"]
    assert run.train_loss == pytest.approx(bundled["train_loss"][:3], rel=1e-3)
