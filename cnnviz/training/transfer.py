"""Transfer learning with the pretrained EfficientNet-Lite0 encoder on a small offline dataset.

The dataset is the scikit-learn digits, drawn black on white, upsampled and copied to three channels, with
only a few training images per class: the regime where ImageNet features should pay off. Three modes:

* ``frozen``: keep the pretrained encoder fixed and train a new linear head on its pooled features;
* ``finetune``: start from the pretrained weights, new head, train everything;
* ``scratch``: the same architecture from random initialisation, train everything.
"""

from __future__ import annotations

import functools
import time
from dataclasses import asdict, dataclass, field, replace
from typing import Callable

import torch
from torch import Tensor, nn

from cnnviz.i18n import N_
from cnnviz.training import loop
from cnnviz.training.data import Split, digits, digits_subset
from cnnviz.training.device import pick_device
from cnnviz.training.seeding import run_generator, seeded_model

# Marked with N_: pages translate them where they show them.
MODES = {"frozen": N_("freeze the encoder, train a new head"), "finetune": N_("fine-tune everything"),
         "scratch": N_("train from scratch")}
FEATURES = 1280  # channels of EfficientNet-Lite0's last 1x1 convolution
MOMENTUM = 0.9  # SGD + momentum in every mode


@dataclass(frozen=True)
class TransferConfig:
    per_class: int = 10  # training images per class
    image_size: int = 96
    epochs: int = 15
    head_lr: float = 0.01
    body_lr: float = 0.01
    batch_size: int = 20
    seed: int = 0


QUICK = TransferConfig(per_class=5, image_size=64, epochs=8)
FEWER = (2, 5)  # the bundle also repeats the comparison with this many images per class


@dataclass
class TransferRun:
    mode: str
    trainable_params: int
    train_loss: list[float] = field(default_factory=list)
    val_accuracy: list[float] = field(default_factory=list)
    test_accuracy: float = 0.0
    seconds: float = 0.0  # training only (for ``frozen``: the one pass that computes its features, then
    # the head's epochs); evaluation excluded


Progress = Callable[[TransferRun, int, int], None]


def transfer_data(config: TransferConfig) -> Split:
    """Black-on-white RGB digits at ``image_size``, scaled as EfficientNet-Lite expects."""
    from cnnviz.imagelab.pretrained import LITE_MEAN, LITE_STD

    split = digits_subset(digits(config.image_size, config.seed), config.per_class, config.seed)
    mean, std = LITE_MEAN[0], LITE_STD[0]
    rgb = lambda x: ((1 - x).expand(-1, 3, -1, -1) - mean) / std  # noqa: E731
    return Split(rgb(split.x_train), split.y_train, rgb(split.x_val), split.y_val, rgb(split.x_test),
                 split.y_test, split.classes)


class Classifier(nn.Module):
    """EfficientNet-Lite0's encoder, global average pooling and a new linear head; random numbers from ``generator``.

    The pretrained encoder's random initial weights are drawn too, though the pretrained ones replace them: the
    head's weights and the drop-connect masks then come from the same draws as when the bundle was made.
    """

    def __init__(self, pretrained: bool, generator: torch.Generator, num_classes: int = 10) -> None:
        super().__init__()
        from cnnviz.zoo.registry import resolve

        self.encoder = seeded_model(resolve("efficientnet_lite0")[1].build, generator)
        if pretrained:
            from cnnviz.imagelab.pretrained import efficientnet_lite0_weights_path

            self.encoder.load_state_dict(torch.load(efficientnet_lite0_weights_path(), map_location="cpu",
                                                    weights_only=True))
        self.encoder._fc = nn.Identity()  # the old 1000-class head: replaced by ``head``, never trained
        self.head = seeded_model(lambda: nn.Linear(FEATURES, num_classes), generator)
        seeded_drop_connect(self.encoder, generator)

    def features(self, x: Tensor) -> Tensor:
        return self.encoder.extract_features(x).mean((2, 3))

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.features(x))


def seeded_drop_connect(encoder: nn.Module, generator: torch.Generator) -> None:
    """The encoder's drop-connect (stochastic depth while training), with its masks drawn from ``generator``.

    The library draws them from the global generator. Its own is switched off here, and a hook applies the same
    mask at the same point (the block's last batch norm, just before the skip connection adds the input).
    """
    rate = encoder._global_params.drop_connect_rate
    encoder._global_params = encoder._global_params._replace(drop_connect_rate=None)
    blocks = encoder._blocks
    for index, block in enumerate(blocks):
        args = block._block_args
        block_rate = rate * (float(index) / len(blocks)) if rate else 0.0  # the library's scaling, float for float
        if block_rate and block.id_skip and args.stride == 1 and args.input_filters == args.output_filters:
            block._bn2.register_forward_hook(functools.partial(_drop_connect, rate=block_rate, generator=generator))


def _drop_connect(module: nn.Module, inputs, output: Tensor, rate: float, generator: torch.Generator) -> Tensor:
    if not module.training:
        return output
    keep = 1 - rate
    # The library's formula: floor(keep + U[0, 1)) is 1 with probability ``keep``, per image.
    draw = torch.rand((len(output), 1, 1, 1), dtype=output.dtype, generator=generator).to(output.device)
    return output / keep * torch.floor(keep + draw)


def train_mode(mode: str, config: TransferConfig, data: Split, on_epoch: Progress | None = None,
               device: str | None = None) -> TransferRun:
    if mode not in MODES:
        raise ValueError(f"mode must be one of {sorted(MODES)}, got {mode!r}")
    device = device or pick_device()
    model = Classifier(mode != "scratch", run_generator(config.seed)).to(device)
    data_order = run_generator(config.seed)
    clock = time.perf_counter()  # training time only: evaluation is the same work in every mode
    if mode == "frozen":
        model.encoder.requires_grad_(False)
        # With the encoder fixed (BN in eval mode) its features never change: compute them once.
        model.eval()
        with torch.no_grad():
            features = lambda x: torch.cat([model.features(x[i:i + 128].to(device))  # noqa: E731
                                            for i in range(0, len(x), 128)])
            cache = {"train": features(data.x_train)}
            training = time.perf_counter() - clock
            cache.update(val=features(data.x_val), test=features(data.x_test))
        clock = time.perf_counter()
        params = list(model.head.parameters())
    else:
        # The library keeps TensorFlow's BN momentum (0.01 in torch terms): after a few dozen updates its
        # running statistics would still be mostly ImageNet's (or the initial 0 and 1), and evaluation would
        # collapse to chance. Torch's default 0.1 lets them follow the new data.
        for module in model.modules():
            if isinstance(module, nn.BatchNorm2d):
                module.momentum = 0.1
        training = 0.0
        params = [{"params": model.encoder.parameters(), "lr": config.body_lr},
                  {"params": model.head.parameters(), "lr": config.head_lr}]
    optimiser = torch.optim.SGD(params, lr=config.head_lr, momentum=MOMENTUM)
    run = TransferRun(mode, sum(p.numel() for p in model.parameters() if p.requires_grad))
    y, y_val, y_test = (labels.to(device) for labels in (data.y_train, data.y_val, data.y_test))
    if mode == "frozen":  # only the head sees the images, as the encoder's cached features
        net, x, x_val, x_test, chunk = model.head, cache["train"], cache["val"], cache["test"], None
    else:  # 128 images at a time: a full split through the encoder at once would hold all its activations
        net, chunk = model, 128
        x, x_val, x_test = (images.to(device) for images in (data.x_train, data.x_val, data.x_test))
    for epoch in range(config.epochs):
        if mode != "frozen":
            model.train()
        order = torch.randperm(len(y), generator=data_order).to(device)
        run.train_loss.append(loop.epoch(net, optimiser, x, y, order, config.batch_size))
        training += time.perf_counter() - clock
        run.val_accuracy.append(loop.evaluate(net, x_val, y_val, chunk)[1])
        run.seconds = training
        if on_epoch:
            on_epoch(run, epoch + 1, config.epochs)
        clock = time.perf_counter()
    run.test_accuracy = loop.evaluate(net, x_test, y_test, chunk)[1]
    return run


def compare(config: TransferConfig = TransferConfig(), modes: tuple[str, ...] = tuple(MODES),
            on_epoch: Progress | None = None, device: str | None = None) -> list[TransferRun]:
    data = transfer_data(config)
    return [train_mode(mode, config, data, on_epoch, device) for mode in modes]


def quick_config(per_class: int, epochs: int) -> TransferConfig:
    """``QUICK`` with the page's choice of training set size and length."""
    return replace(QUICK, per_class=per_class, epochs=epochs)


def runs_to_json(config: TransferConfig, runs: list[TransferRun], device: str,
                 fewer: dict[int, list[TransferRun]] | None = None) -> dict:
    # Validation and test sets are the full split's; training keeps ``per_class`` images of each digit.
    split = digits(config.image_size, config.seed)
    _, val, test = split.sizes
    bundle = {"config": asdict(config), "device": device, "runs": [asdict(run) for run in runs],
              "sizes": {"train": len(split.classes) * config.per_class, "val": val, "test": test}}
    if fewer:
        bundle["by_size"] = [{"per_class": k, "runs": [asdict(run) for run in more]} for k, more in fewer.items()]
    return bundle


def bundle(config: TransferConfig = TransferConfig(), fewer: tuple[int, ...] = FEWER,
           on_epoch: Progress | None = None, device: str | None = None) -> dict:
    """The bundled comparison, plus the same with fewer images per class."""
    device = device or pick_device()
    runs = compare(config, on_epoch=on_epoch, device=device)
    more = {k: compare(replace(config, per_class=k), on_epoch=on_epoch, device=device) for k in fewer}
    return runs_to_json(config, runs, device, more)
