"""The recipes' learning-rate schedules, written as the formulas they state, and a live run of each.

* AlexNet / VGG: start at 0.01, divide by 10 when the validation error plateaus, three times at most
  (``ReduceLROnPlateau``).
* GoogLeNet: the slides' 0.01, multiplied by 0.96 every 8 epochs (``StepLR``).
* ResNet: the slides' warm-up at 0.01, then the paper's 0.1, then divide by 10 on plateau.
* Inception v3: RMSProp (decay 0.9, ε = 1.0) at 0.045, multiplied by 0.94 every two epochs, gradient clipping 2.0.

Every number is read from the recipe cards (``cnnviz.lectures.recipes``). The formulas below are what the page
shows; the live runs use torch's own schedulers, and the tests check that the two agree epoch by epoch.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from cnnviz.i18n import N_, _
from cnnviz.lectures.recipes import recipe_number
from cnnviz.training import loop
from cnnviz.training.data import digits
from cnnviz.training.device import single_threaded
from cnnviz.training.seeding import run_generator, seeded_model


# The recipes' numbers, shared by the live runs, the formulas they are checked against and the page.
PLATEAU_LR = recipe_number("alexnet", "learning_rate", r"^([\d.]+)")  # AlexNet and VGG (the tests check both)
PLATEAU_FACTOR = 1 / recipe_number("alexnet", "schedule", r"divided by (\d+)")
PLATEAU_DROPS = int(recipe_number("alexnet", "schedule", r"(\w+) times"))
# torch's default min_lr=0 goes on dividing; the recipes stop after PLATEAU_DROPS divisions.
PLATEAU_MIN_LR = PLATEAU_LR * PLATEAU_FACTOR ** PLATEAU_DROPS
STEP_LR = recipe_number("googlenet", "notes_disagree", r"initial learning rate ([\d.]+)")  # the slides' value
STEP_GAMMA = 1 - recipe_number("googlenet", "schedule", r"decreased by (\d+)%") / 100
STEP_EVERY = int(recipe_number("googlenet", "schedule", r"every (\d+) epochs"))
RESNET_LR = recipe_number("resnet50", "learning_rate", r"^([\d.]+)")
WARM_LR = recipe_number("resnet50", "notes_disagree", r"学习率([\d.]+) 来warm up")  # the slides' (CIFAR) warm-up
WARM_FACTOR = WARM_LR / RESNET_LR
MIN_LR = RESNET_LR * PLATEAU_FACTOR ** 2  # ResNet: three levels (0.1, 0.01, 0.001), as in its paper's CIFAR runs
MOMENTUM = recipe_number("alexnet", "optimizer", r"momentum ([\d.]+)")
MOMENTUM_LR = PLATEAU_LR
RMSPROP_LR = recipe_number("inception_v3", "learning_rate", r"^([\d.]+)")
RMSPROP_RHO = recipe_number("inception_v3", "optimizer", r"decay ([\d.]+)")
RMSPROP_EPS = recipe_number("inception_v3", "optimizer", r"ε = ([\d.]+)")
RMSPROP_CLIP = recipe_number("inception_v3", "optimizer", r"clipping at ([\d.]+)")
RMSPROP_GAMMA = recipe_number("inception_v3", "schedule", r"multiplied by ([\d.]+)")
RMSPROP_EVERY = int(recipe_number("inception_v3", "schedule", r"every (\w+) epochs"))

# Each run's label: a marked template and its numbers. ``SCHEDULES`` and ``OPTIMISERS`` hold them in English (the
# runs' names); ``title`` says one in the session's language.
_LABELS = {
    "plateau": (N_("SGD+momentum, lr {lr}, /{divide} on plateau, at most {drops} times (AlexNet, VGG)"),
                dict(lr=f"{PLATEAU_LR:g}", divide=f"{1 / PLATEAU_FACTOR:g}", drops=PLATEAU_DROPS)),
    "step": (N_("SGD+momentum, lr {lr}, x{gamma} every {every} epochs (GoogLeNet)"),
             dict(lr=f"{STEP_LR:g}", gamma=f"{STEP_GAMMA:g}", every=STEP_EVERY)),
    "warmup": (N_("SGD+momentum, warm-up {warm}, then {lr}, /{divide} on plateau (ResNet)"),
               dict(warm=f"{WARM_LR:g}", lr=f"{RESNET_LR:g}", divide=f"{1 / PLATEAU_FACTOR:g}")),
    "momentum": (N_("SGD+momentum {momentum}, lr {lr} (AlexNet, VGG)"),
                 dict(momentum=f"{MOMENTUM:g}", lr=f"{MOMENTUM_LR:g}")),
    "rmsprop": (N_("RMSProp, decay {decay}, ε {eps}, lr {lr}, x{gamma} every {every} epochs, gradient norm clipped "
                   "at {clip} (Inception v3)"),
                dict(decay=f"{RMSPROP_RHO:g}", eps=f"{RMSPROP_EPS:g}", lr=f"{RMSPROP_LR:g}",
                     gamma=f"{RMSPROP_GAMMA:g}", every=RMSPROP_EVERY, clip=f"{RMSPROP_CLIP:g}")),
}
SCHEDULES = {name: _LABELS[name][0].format(**_LABELS[name][1]) for name in ("plateau", "step", "warmup")}
OPTIMISERS = {name: _LABELS[name][0].format(**_LABELS[name][1]) for name in ("momentum", "rmsprop")}


def title(name: str) -> str:
    """The label of schedule or optimiser ``name`` in the session's language."""
    template, values = _LABELS[name]
    return _(template).format(**values)


def step_decay(epochs: int, lr0: float = STEP_LR, gamma: float = STEP_GAMMA, every: int = STEP_EVERY) -> list[float]:
    """GoogLeNet: lr_e = lr0 * gamma^floor(e / every), for epochs e = 0, 1, ..."""
    return [lr0 * gamma ** (e // every) for e in range(epochs)]


def warmup(epochs: int, warm_lr: float = WARM_LR, lr: float = RESNET_LR, warm_epochs: int = 2) -> list[float]:
    """ResNet's warm-up: warm_lr for the first ``warm_epochs`` epochs, then lr."""
    return [warm_lr if e < warm_epochs else lr for e in range(epochs)]


def plateau(metric: list[float], lr0: float, factor: float = PLATEAU_FACTOR, patience: int = 10,
            threshold: float = 1e-4, start_epoch: int = 0, min_lr: float = 0.0) -> list[float]:
    """The lr in force during each epoch when ``metric[e]`` (lower is better) is seen at the end of epoch e.

    The rule of ``ReduceLROnPlateau`` in 'min' mode with a relative threshold: an epoch counts as an
    improvement only if its metric beats the best so far by more than ``threshold`` times the best; after
    more than ``patience`` epochs in a row without one, lr is multiplied by ``factor`` (never below ``min_lr``)
    and the count restarts.
    Epochs before ``start_epoch`` are not watched (ResNet's warm-up).
    """
    lrs, lr, best, bad = [], lr0, math.inf, 0
    for e, value in enumerate(metric):
        lrs.append(lr)
        if e < start_epoch:
            continue
        if value < best * (1 - threshold):
            best, bad = value, 0
        else:
            bad += 1
        if bad > patience:
            lr, bad = max(lr * factor, min_lr), 0
    return lrs


@dataclass(frozen=True)
class ScheduleRun:
    name: str
    lr: list[float] = field(default_factory=list)  # in force during each epoch
    train_loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_error: list[float] = field(default_factory=list)


@dataclass(frozen=True)
class Settings:
    """What the page lets a student change: the run's length, the plateau's patience, the warm-up's length."""

    epochs: int = 100  # long enough for AlexNet's and VGG's 0.01 to meet a plateau at the default patience
    patience: int = 4  # the notes quote torch's default, 10; a short run needs less
    warm_epochs: int = 2


def used_settings(name: str, settings: Settings) -> Settings:
    """``settings`` with the ones schedule ``name`` ignores set to 0, so that equal runs share one cache entry."""
    return Settings(settings.epochs, settings.patience if name in ("plateau", "warmup") else 0,
                    settings.warm_epochs if name == "warmup" else 0)


def small_net(seed: int) -> nn.Module:
    """A two-layer perceptron on the 8x8 digits: small enough to train 60 epochs in a second."""
    return seeded_model(lambda: nn.Sequential(nn.Flatten(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10)),
                        run_generator(seed))


@single_threaded
def train_with_schedule(name: str, epochs: int = Settings.epochs, patience: int = Settings.patience,
                        warm_epochs: int = Settings.warm_epochs, batch_size: int = 64, seed: int = 0) -> ScheduleRun:
    """Train ``small_net`` on the digits with one of ``SCHEDULES``; torch's schedulers set the lr."""
    names = {**SCHEDULES, **OPTIMISERS}
    if name not in names:
        raise ValueError(f"schedule must be one of {sorted(names)}, got {name!r}")
    data = digits(8, seed)
    model = small_net(seed)
    sgd = lambda lr: torch.optim.SGD(model.parameters(), lr=lr, momentum=MOMENTUM)  # noqa: E731
    warm, clip = None, None
    if name == "rmsprop":
        optimiser = torch.optim.RMSprop(model.parameters(), lr=RMSPROP_LR, alpha=RMSPROP_RHO, eps=RMSPROP_EPS)
        after = torch.optim.lr_scheduler.StepLR(optimiser, step_size=RMSPROP_EVERY, gamma=RMSPROP_GAMMA)
        clip = RMSPROP_CLIP
    elif name == "momentum":
        optimiser, after = sgd(MOMENTUM_LR), None
    elif name == "step":
        optimiser = sgd(STEP_LR)
        after = torch.optim.lr_scheduler.StepLR(optimiser, step_size=STEP_EVERY, gamma=STEP_GAMMA)
    elif name == "plateau":
        optimiser = sgd(PLATEAU_LR)
        after = torch.optim.lr_scheduler.ReduceLROnPlateau(optimiser, factor=PLATEAU_FACTOR, patience=patience,
                                                           min_lr=PLATEAU_MIN_LR)
    else:
        optimiser = sgd(RESNET_LR)
        # ConstantLR multiplies the lr by this factor for the warm-up epochs
        warm = torch.optim.lr_scheduler.ConstantLR(optimiser, factor=WARM_FACTOR, total_iters=warm_epochs)
        after = torch.optim.lr_scheduler.ReduceLROnPlateau(optimiser, factor=PLATEAU_FACTOR, patience=patience,
                                                           min_lr=MIN_LR)
    run = ScheduleRun(names[name])
    data_order = run_generator(seed)
    for epoch in range(epochs):
        run.lr.append(optimiser.param_groups[0]["lr"])
        model.train()
        order = torch.randperm(len(data.y_train), generator=data_order)
        mean_loss = loop.epoch(model, optimiser, data.x_train, data.y_train, order, batch_size, clip=clip)
        model.eval()
        with torch.no_grad():
            logits = model(data.x_val)
        val_loss = F.cross_entropy(logits, data.y_val).item()
        run.train_loss.append(mean_loss)
        run.val_loss.append(val_loss)
        run.val_error.append((logits.argmax(1) != data.y_val).float().mean().item())
        if warm is not None and epoch < warm_epochs:
            warm.step()
        elif isinstance(after, torch.optim.lr_scheduler.ReduceLROnPlateau):
            after.step(val_loss)
        elif after is not None:
            after.step()
    return run


@dataclass(frozen=True)
class FormulaCheck:
    """The three schedules' formulas, evaluated without torch, against the lr torch's schedulers set."""

    formula: dict[str, list[float]]
    largest_gap: float  # relative, over every schedule and epoch
    plateau_drops: list[int]  # epochs (counted from 1) at whose start the plateau schedule divided its lr

    @property
    def agree(self) -> bool:
        return self.largest_gap < 1e-9  # both multiply the same float64 numbers: only rounding may differ


def check_formulas(runs: dict[str, ScheduleRun], settings: Settings) -> FormulaCheck:
    """Needs the runs of all ``SCHEDULES``; the plateau rules read the validation losses those runs saw."""
    warm, patience = settings.warm_epochs, settings.patience
    formula = {
        "step": step_decay(settings.epochs),
        "warmup": warmup(settings.epochs, warm_epochs=warm)[:warm]
        + plateau(runs["warmup"].val_loss[warm:], RESNET_LR, patience=patience, min_lr=MIN_LR),
        "plateau": plateau(runs["plateau"].val_loss, PLATEAU_LR, patience=patience, min_lr=PLATEAU_MIN_LR),
    }
    gap = max(abs(ours - theirs) / theirs for name, lrs in formula.items() for ours, theirs in zip(lrs, runs[name].lr))
    lr = runs["plateau"].lr
    return FormulaCheck(formula, gap, [e + 1 for e in range(1, len(lr)) if lr[e] < lr[e - 1]])


def epochs_to_halve(gamma: float = STEP_GAMMA, every: int = STEP_EVERY) -> int:
    """Epochs until the step schedule's lr is at most half its start: whole steps of ``every`` epochs."""
    return math.ceil(math.log(0.5) / math.log(gamma)) * every


def lowest_validation_loss(runs: dict[str, ScheduleRun]) -> dict[str, float]:
    return {name: min(run.val_loss) for name, run in runs.items()}
