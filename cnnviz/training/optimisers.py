"""SGD with momentum and RMSProp, written as the notes' update formulas, on a two-parameter valley.

Written out by hand (not torch.optim) so that each term of the formula is a line here; the tests check the
paths against torch.optim.SGD and torch.optim.RMSprop.

    momentum:  v <- mu v - lr grad;                 w <- w + v
    RMSProp:   G <- mu G + (1 - mu) grad^2;          w <- w - lr grad / sqrt(G + eps)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cnnviz.i18n import _

# f(w) = (a w1^2 + b w2^2) / 2: a long, narrow valley whose curvatures differ by b / a.
VALLEY = (1.0, 20.0)
START = (-4.5, 1.5)

# The page's choices: learning rates on both sides of the steep direction's limit (2 / 20 = 0.1), momenta up to
# 0.99 (the notes' recipes use 0.9; on this small valley 0.8 overshoots less), and RMSProp's rates.
LEARNING_RATES, DEFAULT_LR = (0.01, 0.02, 0.03, 0.05, 0.08, 0.09, 0.1, 0.11), 0.03
MOMENTA, DEFAULT_MU = (0.0, 0.5, 0.8, 0.9, 0.95, 0.99), 0.8
RMSPROP_RATES, DEFAULT_RMSPROP_LR = (0.01, 0.02, 0.05, 0.1, 0.2), 0.1
RMSPROP_MU = 0.9
STEPS = 150
TARGET = 1e-3  # "reached the minimum": f(w) below this


def valley(w: np.ndarray, curvature: tuple[float, float] = VALLEY) -> float:
    a, b = curvature
    return 0.5 * (a * w[0] ** 2 + b * w[1] ** 2)


def valley_grad(w: np.ndarray, curvature: tuple[float, float] = VALLEY) -> np.ndarray:
    return np.array([curvature[0] * w[0], curvature[1] * w[1]])


def momentum_path(lr: float, mu: float, steps: int, start=START, curvature=VALLEY) -> np.ndarray:
    """Points w_0 .. w_steps; mu = 0 is plain gradient descent."""
    w, v = np.array(start, dtype=float), np.zeros(2)
    path = [w.copy()]
    for _step in range(steps):
        v = mu * v - lr * valley_grad(w, curvature)
        w = w + v
        path.append(w.copy())
    return np.array(path)


def rmsprop_path(lr: float, mu: float, steps: int, eps: float = 1e-8, start=START, curvature=VALLEY) -> np.ndarray:
    w, g2 = np.array(start, dtype=float), np.zeros(2)
    path = [w.copy()]
    for _step in range(steps):
        grad = valley_grad(w, curvature)
        g2 = mu * g2 + (1 - mu) * grad ** 2
        w = w - lr * grad / np.sqrt(g2 + eps)
        path.append(w.copy())
    return np.array(path)


def losses(path: np.ndarray, curvature=VALLEY) -> list[float]:
    return [valley(w, curvature) for w in path]


def steps_to_reach(path: np.ndarray, target: float, curvature=VALLEY) -> int | None:
    """First step at which the loss is below ``target`` (None if never)."""
    for step, value in enumerate(losses(path, curvature)):
        if value < target:
            return step
    return None


def largest_stable_lr(curvature=VALLEY) -> float:
    """Plain gradient descent diverges above 2 / (steepest curvature): each step overshoots more than it corrects."""
    return 2 / max(curvature)


@dataclass(frozen=True)
class Race:
    """SGD, momentum and RMSProp from the same start: their paths, losses, steps to ``TARGET``, and who diverged."""

    paths: dict[str, np.ndarray]
    losses: dict[str, list[float]]
    reached: dict[str, int | None]  # None: not in ``steps``
    diverged: list[str]  # ended higher than they started
    steps: int


def race(lr: float, mu: float, rmsprop_lr: float, steps: int = STEPS, target: float = TARGET) -> Race:
    # Named in the language of the session that runs the race (English on the command line and in tests).
    paths = {_("SGD α={lr}").format(lr=f"{lr:g}"): momentum_path(lr, 0.0, steps),
             _("momentum α={lr}, μ={mu}").format(lr=f"{lr:g}", mu=f"{mu:g}"): momentum_path(lr, mu, steps),
             _("RMSProp α={lr}, μ={mu}").format(lr=f"{rmsprop_lr:g}", mu=f"{RMSPROP_MU:g}"):
                 rmsprop_path(rmsprop_lr, RMSPROP_MU, steps)}
    curves = {name: losses(path) for name, path in paths.items()}
    return Race(paths, curves, {name: steps_to_reach(path, target) for name, path in paths.items()},
                [name for name, values in curves.items() if values[-1] > values[0]], steps)
