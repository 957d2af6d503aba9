"""The ResNet paper's Figures 1 and 6 in miniature: plain and residual nets of the same depth and width.

The nets follow the paper's CIFAR-10 design (Section 4.2): a 3x3 stem, three stages of ``n`` two-conv blocks
with widths w, 2w, 4w (stride 2 between stages), global average pooling and one linear layer, so
depth = 6n + 2 weighted layers. The shortcut is the paper's option A (identity, zero-padded channels when the
width doubles), which has no parameters: a plain net and a residual net of the same depth have exactly the
same weights, and only the ``+ x`` differs.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field, replace
from typing import Callable

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from cnnviz.training import loop
from cnnviz.training.data import Split, digits
from cnnviz.training.device import pick_device, single_threaded
from cnnviz.training.seeding import run_generator, seeded_model


def blocks_for_depth(depth: int) -> int:
    if depth < 8 or (depth - 2) % 6:
        raise ValueError(f"depth must be 6n + 2 with n >= 1 (8, 14, 20, 26, 32, ...), got {depth}")
    return (depth - 2) // 6


class Block(nn.Module):
    def __init__(self, c_in: int, c_out: int, stride: int, residual: bool) -> None:
        super().__init__()
        self.residual = residual
        self.conv1 = nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(c_out)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(c_out)
        self.stride, self.pad = stride, c_out - c_in

    def shortcut(self, x: Tensor) -> Tensor:
        # Option A: subsample by striding and zero-pad the new channels, adding no parameters.
        x = x[:, :, ::self.stride, ::self.stride]
        return F.pad(x, (0, 0, 0, 0, 0, self.pad)) if self.pad else x

    def forward(self, x: Tensor) -> Tensor:
        out = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
        if self.residual:
            out = out + self.shortcut(x)
        return F.relu(out)


class StageNet(nn.Module):
    """A plain (``residual=False``) or residual net of ``depth`` = 6n + 2 layers and base width ``width``."""

    def __init__(self, depth: int, residual: bool, width: int = 16, in_channels: int = 1,
                 num_classes: int = 10) -> None:
        super().__init__()
        n = blocks_for_depth(depth)
        self.stem = nn.Sequential(nn.Conv2d(in_channels, width, 3, 1, 1, bias=False), nn.BatchNorm2d(width),
                                  nn.ReLU())
        layers, c_in = [], width
        for stage, c_out in enumerate((width, 2 * width, 4 * width)):
            for i in range(n):
                layers.append(Block(c_in, c_out, 2 if stage and i == 0 else 1, residual))
                c_in = c_out
        self.stages = nn.Sequential(*layers)
        self.head = nn.Linear(c_in, num_classes)
        self.he_init()

    def he_init(self, generator: torch.Generator | None = None) -> None:
        """He et al.'s initialisation of every convolution, as in the paper (torch's default elsewhere)."""
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu", generator=generator)

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.stages(self.stem(x)).mean((2, 3)))


@dataclass(frozen=True)
class SweepConfig:
    depths: tuple[int, ...] = (8, 20, 32, 44, 56)
    width: int = 16
    epochs: int = 30
    lr: float = 0.03
    milestones: tuple[int, ...] = (15, 23)  # lr / 10 here, as the paper did at 50% and 75% of training
    warmup_epochs: int = 1  # lr / 10 before this, as the paper did for its 110-layer net
    shift: int = 1  # random translation by up to this many pixels, the paper's pad-and-crop augmentation
    momentum: float = 0.9
    weight_decay: float = 1e-4
    batch_size: int = 32
    image_size: int = 8
    seed: int = 0


# The paper's CIFAR-10 recipe scaled down as-is; in 300 updates it left the deep residual nets behind too.
FIRST_SETUP = SweepConfig(depths=(20, 56), lr=0.1, warmup_epochs=0, shift=0, batch_size=128)
QUICK = SweepConfig(depths=(8, 20, 32), epochs=8, milestones=(6,))
LIVE_DEPTHS = tuple(6 * n + 2 for n in range(1, 6))  # the page's live choices, 8 to 32 layers


def quick_config(depths: list[int], epochs: int) -> SweepConfig:
    """``QUICK`` at other depths and length; a milestone past the last epoch is dropped."""
    return replace(QUICK, depths=tuple(sorted(depths)), epochs=epochs,
                   milestones=tuple(m for m in QUICK.milestones if m < epochs))


def sweep_plan(config: SweepConfig) -> list[tuple[str, int]]:
    """(kind, depth) of each run, in order: plain then residual at every depth."""
    return [(kind, depth) for kind in ("plain", "residual") for depth in config.depths]


@dataclass
class Run:
    kind: str  # "plain" or "residual"
    depth: int
    params: int
    train_loss: list[float] = field(default_factory=list)  # mean over each epoch's mini-batches
    val_error: list[float] = field(default_factory=list)  # fraction misclassified after each epoch
    seconds: float = 0.0


def random_shift(x: Tensor, shift: int, generator: torch.Generator) -> Tensor:
    """Zero-pad by ``shift`` pixels and crop back at a random offset per image (the paper's augmentation)."""
    if not shift:
        return x
    size, padded = x.shape[-1], F.pad(x, (shift,) * 4)
    offsets = torch.randint(0, 2 * shift + 1, (len(x), 2), generator=generator).tolist()
    return torch.stack([padded[i, :, dy:dy + size, dx:dx + size] for i, (dy, dx) in enumerate(offsets)])


def lr_factor(epoch: int, config: SweepConfig) -> float:
    """Multiplier of ``config.lr`` in ``epoch``: 0.1 while warming up, then 0.1 per milestone passed."""
    if epoch < config.warmup_epochs:
        return 0.1
    return 0.1 ** sum(epoch >= m for m in config.milestones)


Progress = Callable[[Run, int, int], None]  # (run so far, epochs done, epochs in this run)


@single_threaded
def train_one(kind: str, depth: int, config: SweepConfig, data: Split, on_epoch: Progress | None = None,
              device: str | None = None) -> Run:
    device = device or pick_device()
    weights = run_generator(config.seed)
    model = seeded_model(lambda: StageNet(depth, kind == "residual", config.width), weights)
    model.he_init(weights)  # draws on after the default initialisation, as the constructor does
    model.to(device)
    run = Run(kind, depth, sum(p.numel() for p in model.parameters()))
    optimiser = torch.optim.SGD(model.parameters(), lr=config.lr, momentum=config.momentum,
                                weight_decay=config.weight_decay)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimiser, lambda e: lr_factor(e, config))
    x, y = data.x_train.to(device), data.y_train.to(device)
    x_val, y_val = data.x_val.to(device), data.y_val.to(device)
    batches = run_generator(config.seed)  # the data order and the random shifts
    started = time.perf_counter()
    for epoch in range(config.epochs):
        model.train()
        order = torch.randperm(len(y), generator=batches).to(device)
        mean_loss = loop.epoch(model, optimiser, x, y, order, config.batch_size,
                               lambda batch: random_shift(batch, config.shift, batches))
        model.eval()
        with torch.no_grad():
            wrong = (model(x_val).argmax(1) != y_val).float().mean().item()
        schedule.step()
        run.train_loss.append(mean_loss)
        run.val_error.append(wrong)
        run.seconds = time.perf_counter() - started
        if on_epoch:
            on_epoch(run, epoch + 1, config.epochs)
    return run


def sweep(config: SweepConfig = SweepConfig(), on_epoch: Progress | None = None,
          device: str | None = None) -> list[Run]:
    """Plain then residual at every depth, each from the same seed."""
    data = digits(config.image_size, config.seed)
    return [train_one(kind, depth, config, data, on_epoch, device) for kind, depth in sweep_plan(config)]


def runs_to_json(config: SweepConfig, runs: list[Run], device: str, first: list[Run] | None = None) -> dict:
    bundle = {"config": asdict(config), "device": device, "runs": [asdict(run) for run in runs],
              "sizes": dict(zip(("train", "val", "test"), digits(config.image_size, config.seed).sizes))}
    if first is not None:
        bundle["first_setup"] = {"config": asdict(FIRST_SETUP), "runs": [asdict(run) for run in first]}
    return bundle
