"""Local response normalisation: the notes' (and AlexNet paper's) formula, term by term, and torch's layer.

    b^i_{x,y} = a^i_{x,y} / (k + alpha * sum_{j=max(0, i-n/2)}^{min(N-1, i+n/2)} (a^j_{x,y})^2)^beta

with n/2 rounded down, so the window holds 2*floor(n/2) + 1 channels. ``torch.nn.LocalResponseNorm(size,
alpha, beta, k)`` differs twice: it divides alpha by ``size`` (an average, not a sum, of squares) and its
window is channels c - size//2 .. c + (size-1)//2, exactly ``size`` wide. With size = 2*floor(n/2) + 1 and
alpha * size it reproduces the formula.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

NOTES_EXAMPLE = dict(k=0.0, n=2, alpha=1.0, beta=1.0)  # N = 4, (k, alpha, beta, n) = (0, 1, 1, 2)
ALEXNET = dict(k=2.0, n=5, alpha=1e-4, beta=0.75)


@dataclass(frozen=True)
class Term:
    j: int
    a: float
    square: float


@dataclass(frozen=True)
class Worked:
    """One output b^i_{x,y} with every term of its sum."""

    i: int
    a: float
    terms: list[Term]
    total: float  # sum of squares in the window
    denominator: float  # (k + alpha * total) ** beta
    b: float  # a / 0 when the denominator is 0 (k = 0, a zero window, beta > 0): nan, or +-inf if alpha = 0


def window(i: int, n: int, channels: int) -> range:
    """The formula's channels: max(0, i - n//2) .. min(N - 1, i + n//2)."""
    return range(max(0, i - n // 2), min(channels - 1, i + n // 2) + 1)


def worked(activations: np.ndarray, i: int, k: float, n: int, alpha: float, beta: float) -> Worked:
    """``activations``: one position's N channel values."""
    a = np.asarray(activations, dtype=float)
    terms = [Term(j, float(a[j]), float(a[j] ** 2)) for j in window(i, n, len(a))]
    total = sum(t.square for t in terms)
    # In float64 numpy, as ``formula`` and torch compute it: 0 ** 0 = 1 (beta = 0 leaves a unchanged even on
    # a zero window), and a / 0 gives nan or inf instead of raising.
    denominator = float(np.float64(k + alpha * total) ** beta)
    with np.errstate(divide="ignore", invalid="ignore"):
        b = float(np.float64(a[i]) / denominator)
    return Worked(i, float(a[i]), terms, total, denominator, b)


def formula(activations: np.ndarray, k: float, n: int, alpha: float, beta: float) -> np.ndarray:
    """The formula on an (N, H, W) tensor, written out channel by channel."""
    a = np.asarray(activations, dtype=float)
    out = np.empty_like(a)
    for i in range(a.shape[0]):
        squares = sum(a[j] ** 2 for j in window(i, n, a.shape[0]))
        with np.errstate(divide="ignore", invalid="ignore"):
            out[i] = a[i] / (k + alpha * squares) ** beta
    return out


def torch_arguments(k: float, n: int, alpha: float, beta: float) -> dict:
    """``nn.LocalResponseNorm`` arguments that give the formula's numbers."""
    size = 2 * (n // 2) + 1
    return dict(size=size, alpha=alpha * size, beta=beta, k=k)


def torch_lrn(activations: np.ndarray, size: int, alpha: float, beta: float, k: float) -> np.ndarray:
    """``torch.nn.LocalResponseNorm`` itself, in float64, on an (N, H, W) tensor."""
    x = torch.as_tensor(np.asarray(activations, dtype=float)).unsqueeze(0)
    with torch.no_grad():
        return nn.LocalResponseNorm(size, alpha, beta, k)(x)[0].numpy()


def torch_call(k: float, n: int, alpha: float, beta: float) -> str:
    args = torch_arguments(k, n, alpha, beta)
    return f"torch.nn.LocalResponseNorm(size={args['size']}, alpha={args['alpha']:g}, beta={beta:g}, k={k:g})"
