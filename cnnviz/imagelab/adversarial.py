"""Adversarial photos: FGSM (Goodfellow et al. 2015) and PGD (Madry et al. 2018) against the photo's top-1 class.

Everything is in pixel levels: the photo is 8-bit, epsilon is a whole number of levels out of 255, and every step
is a whole number of levels, so the adversarial photo is itself an 8-bit photo that could be saved and uploaded
(clamped to 0..255, then normalised by the model as any photo is).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from cnnviz.imagelab.attribution import PixelSpace, Progress

ATTACKS = ("fgsm", "pgd")
LEVEL = 1 / 255
PGD_STEPS = 10
MOST_LEVELS = 16  # the smallest-epsilon search goes up to 16/255, where every photo we tried had flipped
_BATCH = 8


def _loss_gradient(net: PixelSpace, pixels: torch.Tensor, label: int) -> torch.Tensor:
    with torch.inference_mode(False), torch.enable_grad():
        pixels = pixels.clone().requires_grad_(True)
        loss = F.cross_entropy(net(pixels), torch.tensor([label]))
        (gradient,) = torch.autograd.grad(loss, pixels)
    return gradient


def fgsm(net: PixelSpace, pixels: torch.Tensor, label: int, levels: int) -> torch.Tensor:
    """One step of ``levels`` levels in the direction (sign) that raises the loss of ``label`` most."""
    step = torch.sign(_loss_gradient(net, pixels, label)) * levels * LEVEL
    return (pixels + step).clamp(0, 1)


def pgd(net: PixelSpace, pixels: torch.Tensor, label: int, levels: int, steps: int = PGD_STEPS) -> torch.Tensor:
    """``steps`` signed-gradient steps of max(1, levels/4) levels, each projected back into the box of ``levels``
    levels around the photo and into 0..1 (no random start: every student sees the same photo)."""
    step = max(1, round(levels / 4)) * LEVEL
    low, high = (pixels - levels * LEVEL).clamp(0, 1), (pixels + levels * LEVEL).clamp(0, 1)
    adversarial = pixels.clone()
    for _ in range(steps if levels else 0):
        adversarial = adversarial + torch.sign(_loss_gradient(net, adversarial, label)) * step
        adversarial = torch.maximum(torch.minimum(adversarial, high), low)
    return _on_levels(adversarial)


def _on_levels(pixels: torch.Tensor) -> torch.Tensor:
    """Rounded to whole levels (the steps are whole levels already; this removes float rounding's dust)."""
    return (pixels * 255).round() / 255


def attack(net: PixelSpace, pixels: torch.Tensor, label: int, method: str, levels: int) -> torch.Tensor:
    if method not in ATTACKS:
        raise ValueError(f"unknown attack {method!r}; choose one of: {', '.join(ATTACKS)}")
    return _on_levels(fgsm(net, pixels, label, levels)) if method == "fgsm" else pgd(net, pixels, label, levels)


def _top1(net: PixelSpace, batch: torch.Tensor) -> list[int]:
    with torch.inference_mode():
        return [int(i) for chunk in batch.split(_BATCH) for i in net(chunk).argmax(dim=1)]


def smallest_flip(net: PixelSpace, pixels: torch.Tensor, label: int, method: str, most: int = MOST_LEVELS,
                  progress: Progress | None = None) -> int | None:
    """The smallest epsilon (in levels, 1..``most``) at which the attack changes the top-1 class; None if none does.

    FGSM's direction is the same for every epsilon: one gradient, then one forward pass per level. PGD is run
    level by level from 1 and stops at the first that flips (usually one or two levels)."""
    if method == "fgsm":
        direction = torch.sign(_loss_gradient(net, pixels, label))
        candidates = torch.cat([_on_levels((pixels + direction * levels * LEVEL).clamp(0, 1))
                                for levels in range(1, most + 1)])
        flipped = [levels for levels, top in enumerate(_top1(net, candidates), start=1) if top != label]
        if progress:
            progress(1.0)
        return flipped[0] if flipped else None
    for levels in range(1, most + 1):
        if progress:
            progress(levels / most)
        if _top1(net, attack(net, pixels, label, method, levels))[0] != label:
            return levels
    return None


@dataclass(frozen=True)
class Attacked:
    picture: np.ndarray  # (H, W, 3) uint8: the adversarial photo
    perturbation: np.ndarray  # (H, W, 3) int16: adversarial minus photo, in levels
    before: np.ndarray  # softmax over the classes, the photo
    after: np.ndarray  # the adversarial photo


def attacked(net: PixelSpace, pixels: torch.Tensor, method: str, levels: int) -> Attacked:
    """The attack of the photo's top-1 class at ``levels``, with both softmax vectors."""
    with torch.inference_mode():
        before = torch.softmax(net(pixels)[0].double(), dim=0)
    adversarial = attack(net, pixels, int(before.argmax()), method, levels)
    with torch.inference_mode():
        after = torch.softmax(net(adversarial)[0].double(), dim=0)
    as_levels = (adversarial[0].permute(1, 2, 0) * 255).round()
    difference = as_levels - (pixels[0].permute(1, 2, 0) * 255).round()
    return Attacked(as_levels.to(torch.uint8).numpy(), difference.to(torch.int16).numpy(), before.numpy(),
                    after.numpy())


def amplified(perturbation: np.ndarray, levels: int) -> np.ndarray:
    """The perturbation made visible: -epsilon is black, 0 mid-grey, +epsilon white."""
    scale = 127.5 / max(1, levels)
    return np.clip(127.5 + perturbation * scale, 0, 255).round().astype(np.uint8)
