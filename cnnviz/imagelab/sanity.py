"""The sanity check for attribution maps (Adebayo et al. 2018, "Sanity Checks for Saliency Maps"): the weights
are randomised block by block from the top (the classifier first, then down towards the input: cascading
randomisation), the maps drawn again, and each compared with the trained network's map by Spearman's rank
correlation. A map that still looks like the photo once the network knows nothing explains the photo, not the
network.

The randomised networks are copies with weights of their own: the shared model is never changed.
"""

from __future__ import annotations

import copy
import zlib
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from cnnviz.imagelab.attribution import METHODS, PixelSpace, Progress, attribute

_CONTAINERS = (nn.Sequential, nn.ModuleList, nn.ModuleDict)
# The check redraws every map once per stage: coarser settings than the maps tab keep a stage near 2 s (2 cores).
SANITY_OCCLUSION = dict(patch=56, stride=56)  # 4x4 positions
SANITY_IG_STEPS = 16


def weight_blocks(model: nn.Module, prefix: str = "") -> list[str]:
    """The model's blocks that hold weights, from the input to the output: its children, with containers
    (Sequential, ModuleList, ModuleDict) opened one level deeper each time (EfficientNet's ``_blocks.3``,
    ResNet's ``layer2.1``, VGG's ``features.10``)."""
    found = []
    for name, child in model.named_children():
        full = f"{prefix}{name}"
        if isinstance(child, _CONTAINERS):
            found += weight_blocks(child, full + ".")
        elif any(True for _ in child.parameters()):
            found.append(full)
    return found


@dataclass(frozen=True)
class Stage:
    randomised: tuple[str, ...]  # the blocks with random weights, from the top

    @property
    def lowest(self) -> str | None:
        """The block nearest the input that is randomised (None: the trained network)."""
        return self.randomised[-1] if self.randomised else None


def cascade(model: nn.Module) -> list[Stage]:
    """The trained network, then the top block, the top three, a quarter, half, three quarters and all blocks
    randomised (fewer stages where the model has few blocks)."""
    blocks = weight_blocks(model)[::-1]  # from the output down
    total = len(blocks)
    counts = sorted({count for count in (1, 3, total // 4, total // 2, 3 * total // 4, total) if 1 <= count <= total})
    return [Stage(())] + [Stage(tuple(blocks[:count])) for count in counts]


def randomised(net: PixelSpace, stage: Stage, seed: int = 0) -> PixelSpace:
    """A copy of ``net`` with its own weights, where each of the stage's blocks has every weight tensor redrawn
    from a normal distribution with that tensor's own mean and standard deviation (so activations keep their
    scale; batch norm's running statistics stay). Each block is drawn from its own seed: a block gets the same
    random weights at every stage of the cascade."""
    copied = copy.deepcopy(net)
    modules = dict(copied.model.named_modules())
    with torch.no_grad():
        for block in stage.randomised:
            generator = torch.Generator().manual_seed(seed + zlib.crc32(block.encode()))
            for parameter in modules[block].parameters():
                mean = parameter.mean()
                std = parameter.std() if parameter.numel() > 1 else parameter.abs()
                parameter.copy_(torch.randn(parameter.shape, generator=generator) * std + mean)
    return copied.eval()


def stage_maps(net: PixelSpace, pixels: torch.Tensor, target: int, stage: Stage, cam_layer: str,
               methods: tuple[str, ...] = METHODS, progress: Progress | None = None) -> dict[str, np.ndarray]:
    """Every method's map of class ``target`` on the network randomised as ``stage`` says (0..1 each)."""
    network = randomised(net, stage) if stage.randomised else net
    maps = {}
    for done, method in enumerate(methods):
        maps[method] = attribute(network, pixels, target, method, cam_layer=cam_layer, steps=SANITY_IG_STEPS,
                                 **SANITY_OCCLUSION).heatmap
        if progress:
            progress((done + 1) / len(methods))
    return maps


def rank_correlation(before: np.ndarray, after: np.ndarray) -> float:
    """Spearman's rank correlation of two maps' pixels; 0 where a map is constant (a rank order of nothing)."""
    from scipy.stats import spearmanr

    if np.ptp(before) == 0 or np.ptp(after) == 0:
        return 0.0
    return float(spearmanr(before.ravel(), after.ravel()).statistic)
