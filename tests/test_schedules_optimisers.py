"""Learning-rate schedules and optimisers: the notes' formulas against torch's schedulers and optimisers, the
recipes' values, and the page's choices."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
import torch

from cnnviz.training import optimisers as opt
from cnnviz.training.schedules import plateau, step_decay, train_with_schedule, warmup
from cnnviz.training.transfer import MODES


pytestmark = pytest.mark.usefixtures("one_torch_thread")  # trainings as the app runs them


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
    # AlexNet and VGG: 0.01, divided by 10 at most three times
    assert flat.lr == pytest.approx(plateau(flat.val_loss, 0.01, patience=2, min_lr=1e-5))
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
    assert min(runs["warmup"].lr[3:]) < sch.RESNET_LR  # the formula was checked across drops (ResNet's 0.1)
    # A schedule that is not the formula's is caught: the warm-up's formula read with another warm-up length.
    assert not sch.check_formulas(runs, dataclasses.replace(settings, warm_epochs=2)).agree


def test_default_run_shows_the_plateau_drops():
    """At the page's defaults AlexNet's and VGG's 0.01 meets a plateau inside the run, so the drops are seen."""
    from cnnviz.training import schedules as sch

    settings = sch.Settings()
    run = train_with_schedule("plateau", *dataclasses.astuple(sch.used_settings("plateau", settings)))
    assert min(run.lr) < sch.PLATEAU_LR


def test_step_schedule_halves_after_the_epochs_it_says():
    from cnnviz.training.schedules import STEP_LR, epochs_to_halve

    n = epochs_to_halve()
    lrs = step_decay(n + 1)
    assert lrs[n] <= STEP_LR / 2 < lrs[n - 1]


def test_page_choices_are_what_the_runs_use():
    from cnnviz.training import schedules as sch

    run = train_with_schedule("warmup", 3, warm_epochs=1)
    assert run.lr[0] == pytest.approx(sch.WARM_LR) and run.lr[1] == pytest.approx(sch.RESNET_LR)
    assert train_with_schedule("step", 1).lr == [sch.STEP_LR]
    assert train_with_schedule("plateau", 1).lr == [sch.PLATEAU_LR]


def test_schedules_start_where_the_papers_did():
    """Krizhevsky et al. 2012, Section 5 and Simonyan & Zisserman 2014, Section 3.1: 0.01, divided by 10 three
    times; He et al. 2015, Section 3.4: 0.1. The labels say whose recipe each run is."""
    from cnnviz.lectures.recipes import recipe_number
    from cnnviz.training import schedules as sch

    assert train_with_schedule("plateau", 1).lr == pytest.approx([0.01])
    assert recipe_number("vgg16", "learning_rate", r"^([\d.]+)") == sch.PLATEAU_LR  # VGG shares AlexNet's
    assert sch.PLATEAU_MIN_LR == pytest.approx(1e-5)
    assert "lr 0.01" in sch.SCHEDULES["plateau"] and "ResNet" not in sch.SCHEDULES["plateau"]
    assert "AlexNet" in sch.SCHEDULES["plateau"] and "VGG" in sch.SCHEDULES["plateau"]
    assert train_with_schedule("warmup", 3, warm_epochs=1).lr[1:] == pytest.approx([0.1, 0.1])


def test_rmsprop_run_is_inception_v3s_recipe():
    """Szegedy et al. 2015, Section 8: RMSProp with decay 0.9 and ε = 1.0, learning rate 0.045 decayed every two
    epochs by 0.94, gradient clipping with threshold 2.0."""
    from cnnviz.training import schedules as sch

    run = train_with_schedule("rmsprop", 5)
    assert run.lr == pytest.approx([0.045, 0.045, 0.045 * 0.94, 0.045 * 0.94, 0.045 * 0.94 ** 2])
    assert (sch.RMSPROP_RHO, sch.RMSPROP_EPS, sch.RMSPROP_CLIP) == (0.9, 1.0, 2.0)
    label = sch.OPTIMISERS["rmsprop"]
    assert all(part in label for part in ("lr 0.045", "ε 1", "x0.94 every 2 epochs", "clipped at 2", "Inception v3"))


def test_training_step_clips_the_gradient_norm():
    from cnnviz.training import loop

    model = torch.nn.Linear(4, 3)
    before = [p.detach().clone() for p in model.parameters()]
    optimiser = torch.optim.SGD(model.parameters(), lr=1.0)
    inputs, targets = torch.full((2, 4), 1000.0), torch.tensor([0, 1])  # a gradient far above the threshold
    loop.step(model, optimiser, inputs, targets, clip=2.0)
    moved = torch.cat([(p.detach() - b).flatten() for p, b in zip(model.parameters(), before)])
    assert moved.norm().item() == pytest.approx(2.0, rel=1e-5)  # plain SGD at lr 1 moves by the clipped gradient


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
