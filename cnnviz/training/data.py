"""Training data that ships offline: scikit-learn's 1,797 handwritten digits.

Every split is stratified and seeded, so two calls give the same tensors.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

DIGITS_MAX = 16.0  # load_digits pixels are counts 0..16 of a 4x4 block of the original 32x32 bitmap


@dataclass(frozen=True)
class Split:
    """Images N x C x H x W (float32) and integer labels, for training, validation and test."""

    x_train: Tensor
    y_train: Tensor
    x_val: Tensor
    y_val: Tensor
    x_test: Tensor
    y_test: Tensor
    classes: tuple[str, ...]

    @property
    def sizes(self) -> tuple[int, int, int]:
        return len(self.y_train), len(self.y_val), len(self.y_test)


def _stratified(x: Tensor, y: Tensor, fractions: tuple[float, float], seed: int, classes: tuple[str, ...]) -> Split:
    from sklearn.model_selection import train_test_split

    val_fraction, test_fraction = fractions
    index = torch.arange(len(y)).numpy()
    rest, test = train_test_split(index, test_size=test_fraction, stratify=y.numpy(), random_state=seed)
    train, val = train_test_split(rest, test_size=val_fraction / (1 - test_fraction), stratify=y.numpy()[rest],
                                  random_state=seed)
    pick = lambda idx: (x[torch.as_tensor(idx)], y[torch.as_tensor(idx)])  # noqa: E731
    return Split(*pick(train), *pick(val), *pick(test), classes=classes)


@functools.cache
def _digits_raw() -> tuple[Tensor, Tensor]:
    from sklearn.datasets import load_digits

    digits = load_digits()
    x = torch.tensor(digits.images, dtype=torch.float32).unsqueeze(1) / DIGITS_MAX
    return x, torch.tensor(digits.target, dtype=torch.long)


def digits_scanned() -> tuple[int, int]:
    """(how many digits scikit-learn ships, the side of each scan in pixels)."""
    x, _ = _digits_raw()
    return len(x), x.shape[-1]


def digits(size: int = 8, seed: int = 0, fractions: tuple[float, float] = (0.15, 0.2)) -> Split:
    """The 1,797 scikit-learn digits (1 x 8 x 8, ink in [0, 1]), bilinearly upsampled to ``size`` x ``size``.

    LeNet-5 takes 32 x 32, as the paper's digits were 20 x 20 bitmaps padded to 32 x 32.
    """
    if size < 8:
        raise ValueError("digits are 8 x 8; size must be at least 8")
    x, y = _digits_raw()
    if size != 8:
        x = F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False).clamp(0, 1)
    return _stratified(x, y, fractions, seed, tuple(str(d) for d in range(10)))


def standardised(split: Split) -> Split:
    """The same split with every image standardised by the training set's mean and deviation (zero-mean input)."""
    mean, std = split.x_train.mean(), split.x_train.std()
    norm = lambda x: (x - mean) / std  # noqa: E731
    return Split(norm(split.x_train), split.y_train, norm(split.x_val), split.y_val, norm(split.x_test),
                 split.y_test, split.classes)


def digits_subset(split: Split, per_class: int, seed: int = 0) -> Split:
    """The same split with only ``per_class`` training images of each class (a small-data regime)."""
    generator = torch.Generator().manual_seed(seed)
    keep = []
    for label in range(len(split.classes)):
        where = torch.nonzero(split.y_train == label).flatten()
        keep.append(where[torch.randperm(len(where), generator=generator)[:per_class]])
    keep = torch.cat(keep).sort().values
    return Split(split.x_train[keep], split.y_train[keep], split.x_val, split.y_val, split.x_test, split.y_test,
                 split.classes)
