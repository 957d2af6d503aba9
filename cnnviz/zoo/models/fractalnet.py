"""FractalNet for CIFAR-size input.

Paper: G. Larsson, M. Maire, G. Shakhnarovich, "FractalNet: Ultra-Deep Neural Networks without
Residuals", ICLR 2017 (arXiv 2016). https://arxiv.org/abs/1605.07648

The expansion rule f_1(z) = conv(z), f_{C+1}(z) = join(f_C(f_C(z)), conv(z)) builds C columns side by
side; column c (c = 1..C) is 2^(c-1) conv units deep and a join (element-wise mean) merges every column
that ends at the same depth. A block is therefore 2^(C-1) joins deep, and five blocks with 2x2
max-pooling after each give FractalNet-20 (C=3) and FractalNet-40 (C=4) for 32x32 input.

Drop-path regularises training: local drop-path keeps each join input with probability 0.85 (at least
one survives); global drop-path keeps one column, the same one in every block. The paper mixes both
50/50 per mini-batch (``global_drop_ratio``). Choices are drawn with Python's ``random``, never from
tensor values, so the model traces on the ``meta`` device. In eval mode every join averages all columns.

Departures from the paper:

* Drop-path is drawn per forward call (a mini-batch), as in the paper, but with Python's RNG, so
  ``torch.manual_seed`` does not make it reproducible: seed ``random`` too.
* Dropout (the paper's 0, 0.1, 0.2, 0.3, 0.4 per block) is optional and off by default.
"""

import random
from typing import Optional, Sequence

import torch
from torch import Tensor, nn

__all__ = ["FractalBlock", "FractalNet", "fractalnet20", "fractalnet40"]


class ConvUnit(nn.Sequential):
    """conv3x3 + BN + ReLU (+ dropout), the paper's convolutional layer."""

    def __init__(self, in_channels: int, out_channels: int, dropout: float = 0.0) -> None:
        layers = [nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=False),
                  nn.BatchNorm2d(out_channels), nn.ReLU(inplace=True)]
        super().__init__(*layers, *([nn.Dropout(dropout)] if dropout > 0 else []))


class FractalBlock(nn.Module):
    """C columns, column c holding 2^c conv units (c = 0..C-1); joins where columns end together."""

    def __init__(self, in_channels: int, out_channels: int, columns: int, local_keep: float = 0.85,
                 dropout: float = 0.0) -> None:
        super().__init__()
        self.num_columns = columns
        self.depth = 2 ** (columns - 1)
        self.local_keep = local_keep
        # columns[c][k]: the k-th unit of column c; only each column's first unit sees in_channels.
        self.columns = nn.ModuleList(
            nn.ModuleList(ConvUnit(in_channels if k == 0 else out_channels, out_channels, dropout)
                          for k in range(2 ** c))
            for c in range(columns)
        )

    def _ending_at(self, step: int) -> list[int]:
        # Column c has one unit every 2^(C-1-c) steps, so it ends a unit at steps divisible by that.
        return [c for c in range(self.num_columns) if step % 2 ** (self.num_columns - 1 - c) == 0]

    def _kept(self, inputs: list[int]) -> list[int]:
        if not self.training:
            return inputs
        kept = [c for c in inputs if random.random() < self.local_keep]
        return kept or [random.choice(inputs)]

    def forward(self, x: Tensor, global_column: Optional[int] = None) -> Tensor:
        if global_column is not None:
            # Global drop-path: only this column, no joins.
            for unit in self.columns[global_column]:
                x = unit(x)
            return x
        inputs = [x] * self.num_columns  # what each column reads next
        next_unit = [0] * self.num_columns
        for step in range(1, self.depth + 1):
            ending = self._ending_at(step)
            outputs = {}
            for c in ending:
                outputs[c] = self.columns[c][next_unit[c]](inputs[c])
                next_unit[c] += 1
            if len(ending) == 1:  # only the deepest column ends here: nothing to join
                joined = outputs[ending[0]]
            else:
                joined = torch.stack([outputs[c] for c in self._kept(ending)]).mean(0)
            for c in ending:
                inputs[c] = joined
        return joined


class FractalNet(nn.Module):
    def __init__(self, columns: int, channels: Sequence[int] = (64, 128, 256, 512, 512),
                 num_classes: int = 10, local_keep: float = 0.85, global_drop_ratio: float = 0.5,
                 dropout: Sequence[float] = (0.0, 0.0, 0.0, 0.0, 0.0)) -> None:
        super().__init__()
        self.num_columns = columns
        self.global_drop_ratio = global_drop_ratio
        blocks, pools = [], []
        in_channels = 3
        for out_channels, p in zip(channels, dropout):
            blocks.append(FractalBlock(in_channels, out_channels, columns, local_keep, p))
            pools.append(nn.MaxPool2d(2))
            in_channels = out_channels
        # Spatial: 32 -> 16 -> 8 -> 4 -> 2 -> 1 after the five pools.
        self.blocks = nn.ModuleList(blocks)
        self.pools = nn.ModuleList(pools)
        self.flatten = nn.Flatten()  # N x 512
        self.fc = nn.Linear(in_channels, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        # N x 3 x 32 x 32
        column = None
        if self.training and random.random() < self.global_drop_ratio:
            column = random.randrange(self.num_columns)  # one column for the whole network
        for block, pool in zip(self.blocks, self.pools):
            x = pool(block(x, column))
        return self.fc(self.flatten(x))


def fractalnet20(num_classes: int = 10) -> FractalNet:
    """FractalNet with C=3 columns (20 conv layers deep) for 32x32 RGB input."""
    return FractalNet(columns=3, num_classes=num_classes).eval()


def fractalnet40(num_classes: int = 10) -> FractalNet:
    """FractalNet with C=4 columns (40 conv layers deep) for 32x32 RGB input."""
    return FractalNet(columns=4, num_classes=num_classes).eval()
