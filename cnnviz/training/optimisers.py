"""SGD with momentum and RMSProp, written as the notes' update formulas, on a two-parameter valley.

Written out by hand (not torch.optim) so that each term of the formula is a line here; the tests check the
paths against torch.optim.SGD and torch.optim.RMSprop.

    momentum:  v <- mu v - lr grad;                 w <- w + v
    RMSProp:   G <- mu G + (1 - mu) grad^2;          w <- w - lr grad / sqrt(G + eps)
"""

from __future__ import annotations

import numpy as np

# f(w) = (a w1^2 + b w2^2) / 2: a long, narrow valley whose curvatures differ by b / a.
VALLEY = (1.0, 20.0)
START = (-4.5, 1.5)


def valley(w: np.ndarray, curvature: tuple[float, float] = VALLEY) -> float:
    a, b = curvature
    return 0.5 * (a * w[0] ** 2 + b * w[1] ** 2)


def valley_grad(w: np.ndarray, curvature: tuple[float, float] = VALLEY) -> np.ndarray:
    return np.array([curvature[0] * w[0], curvature[1] * w[1]])


def momentum_path(lr: float, mu: float, steps: int, start=START, curvature=VALLEY) -> np.ndarray:
    """Points w_0 .. w_steps; mu = 0 is plain gradient descent."""
    w, v = np.array(start, dtype=float), np.zeros(2)
    path = [w.copy()]
    for _ in range(steps):
        v = mu * v - lr * valley_grad(w, curvature)
        w = w + v
        path.append(w.copy())
    return np.array(path)


def rmsprop_path(lr: float, mu: float, steps: int, eps: float = 1e-8, start=START, curvature=VALLEY) -> np.ndarray:
    w, g2 = np.array(start, dtype=float), np.zeros(2)
    path = [w.copy()]
    for _ in range(steps):
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
