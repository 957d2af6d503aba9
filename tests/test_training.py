"""The mini-trainings: checked against ln 10, hand formulas, torch's schedulers and optimisers, and the
ResNet paper's claims in the bundled curves."""

from __future__ import annotations

import dataclasses
import json
import math
import random
import sys
import threading

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from cnnviz.training import optimisers as opt
from cnnviz.training.data import digits, digits_subset
from cnnviz.training.plain_vs_residual import StageNet, SweepConfig, train_one
from cnnviz.training.schedules import plateau, step_decay, train_with_schedule, warmup
from cnnviz.training.transfer import MODES
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


# --- random numbers: per run, never the global generators ------------------------------------------------

def _global_states() -> tuple:
    return torch.get_rng_state(), np.random.get_state(), random.getstate()


def _same_states(first: tuple, second: tuple) -> bool:
    (t1, n1, r1), (t2, n2, r2) = first, second
    return (torch.equal(t1, t2) and n1[0] == n2[0] and np.array_equal(n1[1], n2[1]) and n1[2:] == n2[2:]
            and r1 == r2)


def _lenet():
    from cnnviz.training.lenet_live import LeNetConfig, train_lenet

    run = train_lenet(LeNetConfig(epochs=1), device="cpu")
    return run.step_loss, run.after.filters, run.val_accuracy


def _schedule():
    run = train_with_schedule("warmup", 4, patience=1, warm_epochs=1)
    return run.lr, run.train_loss, run.val_loss


def _residual():
    run = train_one("residual", 8, SweepConfig(depths=(8,), width=4, epochs=1), digits(8), device="cpu")
    return run.train_loss, run.val_error


def _finetune():
    from cnnviz.training.transfer import TransferConfig, train_mode, transfer_data

    config = TransferConfig(per_class=1, image_size=32, epochs=1, batch_size=10)
    run = train_mode("finetune", config, transfer_data(config), device="cpu")
    return run.train_loss, run.val_accuracy, run.test_accuracy


TRAININGS = [_lenet, _schedule, _residual, pytest.param(_finetune, marks=pytest.mark.slow)]


@pytest.mark.parametrize("train", TRAININGS)
def test_a_training_leaves_the_global_generators_alone(train):
    before = _global_states()
    train()
    assert _same_states(_global_states(), before)


@pytest.mark.parametrize("train", TRAININGS)
def test_trainings_at_the_same_time_give_the_run_alone(train):
    """Three students train with the same settings at once while another session reseeds and draws from the
    global generators: each run is still exactly the run made alone."""
    alone = train()
    results, failures, stop = [None] * 3, [], threading.Event()

    def student(index: int) -> None:
        try:
            results[index] = train()
        except BaseException as error:  # noqa: BLE001  (re-raised in the main thread below)
            failures.append(error)

    def neighbour() -> None:
        while not stop.is_set():
            torch.manual_seed(1)
            torch.rand(256)

    switch, states = sys.getswitchinterval(), _global_states()
    sys.setswitchinterval(1e-5)  # hand the interpreter between threads often, as a busy server does
    try:
        others = [threading.Thread(target=student, args=(i,)) for i in range(len(results))]
        noise = threading.Thread(target=neighbour)
        noise.start()
        for thread in others:
            thread.start()
        for thread in others:
            thread.join()
    finally:
        stop.set()
        noise.join()
        sys.setswitchinterval(switch)
        torch.set_rng_state(states[0])
    assert not failures, failures
    assert results == [alone] * len(results)


def test_seeded_initialisation_is_torchs_own():
    """Each model's first weights are those torch.manual_seed(seed) and the constructor would give (so results
    made that way still hold), and every parameter and buffer is set."""
    from cnnviz.training.schedules import small_net
    from cnnviz.training.seeding import run_generator, seeded_model
    from cnnviz.zoo.models.lenet import lenet5
    from cnnviz.zoo.registry import resolve

    builds = {"lenet": lambda: lenet5(10, "relu"), "stage": lambda: StageNet(14, residual=False, width=4),
              "efficientnet": resolve("efficientnet_lite0")[1].build,
              "mlp": lambda: torch.nn.Sequential(torch.nn.Linear(64, 64), torch.nn.Linear(64, 10))}
    for name, build in builds.items():
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(3)
            expected = build()
        generator = run_generator(3)
        seeded = seeded_model(build, generator)
        if name == "stage":
            seeded.he_init(generator)
        ours, theirs = seeded.state_dict(), expected.state_dict()
        assert ours.keys() == theirs.keys()
        assert all(torch.equal(ours[key], theirs[key]) for key in ours), name
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        assert all(torch.equal(a, b) for a, b in zip(small_net(0).parameters(), torch.nn.Sequential(
            torch.nn.Flatten(), torch.nn.Linear(64, 64), torch.nn.ReLU(), torch.nn.Linear(64, 10)).parameters()))


def test_seeded_initialisation_refuses_layers_it_cannot_seed():
    from cnnviz.training.seeding import run_generator, seeded_model

    with pytest.raises(TypeError, match="Embedding"):
        seeded_model(lambda: torch.nn.Embedding(5, 3), run_generator(0))


def test_transfer_drop_connect_draws_from_the_runs_generator():
    from cnnviz.training.seeding import run_generator
    from cnnviz.training.transfer import Classifier

    x = torch.randn(6, 3, 32, 32, generator=run_generator(1))
    first, second = (Classifier(False, run_generator(0)).train() for _ in range(2))
    before = _global_states()
    with torch.no_grad():
        a, b = first(x), second(x)
        again = first(x)  # batch statistics as before; only the masks, drawn further on, differ
    assert _same_states(_global_states(), before)
    assert torch.equal(a, b)
    assert not torch.equal(a, again)


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
    assert warmup(5, warm_epochs=2) == pytest.approx([0.01, 0.01, 0.1, 0.1, 0.1])  # the notes: 0.01, then 0.1


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


def test_schedule_settings_and_formula_check():
    from cnnviz.training import schedules as sch

    settings = sch.Settings(epochs=16, patience=1, warm_epochs=3)
    used = {name: sch.used_settings(name, settings) for name in (*sch.SCHEDULES, *sch.OPTIMISERS)}
    assert used["warmup"] == settings
    assert used["plateau"] == sch.Settings(16, 1, 0)
    assert used["step"] == used["momentum"] == used["rmsprop"] == sch.Settings(16, 0, 0)
    runs = {name: train_with_schedule(name, *dataclasses.astuple(used[name])) for name in sch.SCHEDULES}
    check = sch.check_formulas(runs, settings)
    assert check.agree
    assert check.plateau_drops == [e + 1 for e in range(1, 16) if runs["plateau"].lr[e] < runs["plateau"].lr[e - 1]]
    assert check.plateau_drops  # patience 1 drops within 16 epochs
    # A schedule that is not the formula's is caught: the warm-up's formula read with another warm-up length.
    assert not sch.check_formulas(runs, dataclasses.replace(settings, warm_epochs=2)).agree


def test_step_schedule_halves_after_the_epochs_it_says():
    from cnnviz.training.schedules import STEP_LR, epochs_to_halve

    n = epochs_to_halve()
    lrs = step_decay(n + 1)
    assert lrs[n] <= STEP_LR / 2 < lrs[n - 1]


def test_page_choices_are_what_the_runs_use():
    from cnnviz.training import schedules as sch

    run = train_with_schedule("warmup", 3, warm_epochs=1)
    assert run.lr[0] == pytest.approx(sch.WARM_LR) and run.lr[1] == pytest.approx(sch.PLATEAU_LR)
    assert train_with_schedule("step", 1).lr == [sch.STEP_LR]


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


def test_race_on_the_valley_names_who_diverged_and_who_arrived():
    limit = opt.largest_stable_lr()
    below = max(lr for lr in opt.LEARNING_RATES if lr < limit)
    above = min(lr for lr in opt.LEARNING_RATES if lr > limit)
    calm, wild = opt.race(below, 0.0, 0.1), opt.race(above, 0.0, 0.1)
    sgd = lambda race: next(name for name in race.paths if name.startswith("SGD"))  # noqa: E731
    assert sgd(calm) not in calm.diverged and sgd(wild) in wild.diverged
    for race in (calm, wild):
        for name, path in race.paths.items():
            assert race.losses[name] == opt.losses(path)
            assert race.reached[name] == opt.steps_to_reach(path, opt.TARGET)
            assert len(path) == race.steps + 1


def test_progress_fraction_runs_from_zero_to_one():
    from cnnviz.training.progress import fraction_done

    costs, epochs = [8, 20, 32], 4
    seen = [fraction_done(costs, run, done, epochs) for run in range(len(costs)) for done in range(epochs + 1)]
    assert seen[0] == 0.0 and seen[-1] == pytest.approx(1.0)
    assert seen == sorted(seen)
    assert fraction_done(costs, len(costs), 0, epochs) == 1.0
    # The deepest net's epochs count for more: half of its run is more than half of the first net's.
    assert fraction_done(costs, 2, 2, epochs) - fraction_done(costs, 2, 0, epochs) > fraction_done(costs, 0, 2, epochs)


def test_sweep_results_read_the_bundle():
    from cnnviz.training import sweep_results

    bundle = _bundle()
    runs = bundle["runs"]
    compared = sweep_results.compare_depths(runs)
    assert compared.deep == max(r["depth"] for r in runs) and compared.shallow in sweep_results.depths(runs)
    plain_deep = next(r for r in runs if r["kind"] == "plain" and r["depth"] == compared.deep)
    assert compared.plain_ratio * compared.loss[("plain", compared.shallow)] == pytest.approx(
        plain_deep["train_loss"][-1])
    rows = sweep_results.table_rows(runs)
    assert [row["depth"] for row in rows] == sweep_results.depths(runs)
    setup = sweep_results.first_setup(bundle["first_setup"], bundle["sizes"]["train"])
    batch = setup.config["batch_size"]
    assert (setup.updates_per_epoch - 1) * batch < bundle["sizes"]["train"] <= setup.updates_per_epoch * batch


def test_transfer_results_compare_modes():
    from cnnviz.training import transfer_results
    from cnnviz.training.bundled import load_bundled

    bundle = load_bundled("transfer")
    compared = transfer_results.compare_modes(bundle["runs"])
    assert compared.best["test_accuracy"] == max(r["test_accuracy"] for r in bundle["runs"])
    alone = transfer_results.compare_modes([r for r in bundle["runs"] if r["mode"] == "scratch"])
    assert alone.frozen_minus_scratch is None and alone.finetune_minus_frozen is None
    points = transfer_results.accuracy_points(bundle)
    assert len(points) == sum(len(entry["runs"]) for entry in bundle["by_size"]) + len(bundle["runs"])
    fewest, accuracy = transfer_results.fewest_images(bundle)
    assert fewest == min(entry["per_class"] for entry in bundle["by_size"]) and accuracy.keys() <= MODES.keys()


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


# How far one training moves between CPUs, measured on residual-8 and plain-8 against the run here (which makes
# the bundle's numbers exactly): 1 to 4 threads, oneDNN on and off, deterministic algorithms, and oneDNN / ATen /
# MKL held to AVX-512, AVX2, AVX, SSE4 or no SIMD, as on other CPUs (ONEDNN_MAX_CPU_ISA, ATEN_CPU_CAPABILITY,
# MKL_ENABLE_INSTRUCTIONS). The first epoch's mean loss moved by at most 1.3e-4 (relative), the second by 1.1e-2,
# the third by 5.0e-2 (oneDNN off; AVX2-only oneDNN gives the 1.4e-2 seen on a CPU without AVX-512) and later
# ones by up to 90%: rounding differences grow chaotically. So the first epoch is held to about 8x its spread,
# the second to about 5x, and later ones are not compared.
CPU_SPREAD_RTOL = (1e-3, 5e-2)


@pytest.fixture
def deterministic():
    before = torch.are_deterministic_algorithms_enabled()
    torch.use_deterministic_algorithms(True)
    yield
    torch.use_deterministic_algorithms(before)


def test_bundled_curves_are_made_by_this_code(deterministic):
    from dataclasses import replace

    bundle = _bundle()
    config = SweepConfig(**{k: tuple(v) if isinstance(v, list) else v for k, v in bundle["config"].items()})
    bundled = next(r for r in bundle["runs"] if r["kind"] == "residual" and r["depth"] == 8)
    # The first epochs again (single-threaded, as every run; the schedule's milestones come later).
    epochs = len(CPU_SPREAD_RTOL)
    run = train_one("residual", 8, replace(config, epochs=epochs), digits(config.image_size, config.seed),
                    device="cpu")
    assert run.params == bundled["params"]
    for epoch, rtol in enumerate(CPU_SPREAD_RTOL):
        assert run.train_loss[epoch] == pytest.approx(bundled["train_loss"][epoch], rel=rtol), f"epoch {epoch + 1}"
