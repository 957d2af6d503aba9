"""The effective receptive field on a photo: back-propagate from one unit of a real network to the pixels.

Models are registry builds with seeded random weights (PyTorch's default initialisation, seed 0) or the
pretrained EfficientNet-Lite0. The photo ships with scikit-image.
"""

from __future__ import annotations

import threading

import numpy as np
import torch
from torch import nn

MODELS = {
    "resnet18": "ResNet-18 · random weights (seed 0)",
    "alexnet": "AlexNet · random weights (seed 0)",
    "vgg11": "VGG-11 · random weights (seed 0)",
    "efficientnet_lite0": "EfficientNet-Lite0 · pretrained on ImageNet",
}
PHOTOS = ("chelsea", "astronaut", "coffee")
INPUT_SIZE = 224
IMAGENET_MEAN, IMAGENET_STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
_lock = threading.Lock()  # tracing hooks a shared model's modules: one back-propagation at a time


def build(name: str) -> nn.Module:
    if name == "efficientnet_lite0":
        from cnnviz.pretrained import efficientnet_lite0

        return efficientnet_lite0()
    from cnnviz.registry import resolve

    with torch.random.fork_rng():
        torch.manual_seed(0)
        return resolve(name)[1].build().eval()


def photo(name: str = "chelsea", size: int = INPUT_SIZE) -> np.ndarray:
    """A scikit-image sample photo, centre-cropped to a square and resized: size x size x 3, uint8."""
    import skimage.data
    from skimage.transform import resize

    image = getattr(skimage.data, name)()
    height, width = image.shape[:2]
    side = min(height, width)
    top, left = (height - side) // 2, (width - side) // 2
    square = image[top:top + side, left:left + side]
    return (resize(square, (size, size), anti_aliasing=True) * 255).round().astype(np.uint8)


def to_input(image: np.ndarray, model_name: str) -> torch.Tensor:
    from cnnviz.pretrained import LITE_MEAN, LITE_STD

    mean, std = (LITE_MEAN, LITE_STD) if model_name == "efficientnet_lite0" else (IMAGENET_MEAN, IMAGENET_STD)
    x = torch.from_numpy(image).float().permute(2, 0, 1) / 255
    return ((x - torch.tensor(mean)[:, None, None]) / torch.tensor(std)[:, None, None]).unsqueeze(0)


def effective_field(model: nn.Module, model_name: str, layer: str, image: np.ndarray, row: int, col: int) -> np.ndarray:
    """|d unit / d pixel| summed over colour channels, divided by its maximum (all zeros stay zeros)."""
    from cnnviz.receptive_field import effective_rf

    with _lock:
        heat = effective_rf(model, layer, (to_input(image, model_name),), row, col)
    peak = heat.max()
    return heat / peak if peak > 0 else heat


def extent(heat: np.ndarray, fraction: float = 0.0) -> tuple[int, int]:
    """Height and width of the box holding every pixel whose value exceeds ``fraction`` of the maximum."""
    rows, cols = np.nonzero(heat > fraction * heat.max()) if heat.max() > 0 else ((), ())
    if len(rows) == 0:
        return 0, 0
    return int(rows.max() - rows.min() + 1), int(cols.max() - cols.min() + 1)
