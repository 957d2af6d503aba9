"""MobileNet v1.

Paper: A. G. Howard, M. Zhu, B. Chen, D. Kalenichenko, W. Wang, T. Weyand, M. Andreetto, H. Adam,
"MobileNets: Efficient Convolutional Neural Networks for Mobile Vision Applications", 2017.
https://arxiv.org/abs/1704.04861

Every convolution but the first is factorised into a depthwise 3x3 (one filter per channel) and a
pointwise 1x1 that mixes channels. At width 1.0 and 224x224 input: 4,231,976 parameters and about
569 M multiply-adds, as in the paper's Table 8 (4.2 M, 569 M).

The width multiplier α (``width_mult``) thins every layer; the resolution multiplier ρ is the input size
(the model ends in adaptive average pooling, so other input sizes run unchanged). The registry builds the
rows of the paper's Tables 6 (α = 1, 0.75, 0.5, 0.25) and 7 (224, 192, 160, 128 pixels).

Departures from the paper:

* ``width_mult`` rounds channels down with ``int()``; the reference TensorFlow code also enforces a
  minimum depth of 8 and ignores it for width 1.0, where both agree.
* No dropout before the classifier (the paper names none; TF-Slim's reference adds it).
"""

from torch import Tensor, nn

__all__ = ["DepthwiseSeparable", "MobileNetV1", "mobilenet_v1"]

# The paper's Table 1 after the first convolution: (output channels, stride of the depthwise conv).
_BLOCKS = ((64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2),
           (512, 1), (512, 1), (512, 1), (512, 1), (512, 1), (1024, 2), (1024, 1))


def _conv_bn_relu(in_channels: int, out_channels: int, kernel_size: int, stride: int, groups: int = 1):
    # Convs carry no bias: the batch norm right after has its own shift.
    return [
        nn.Conv2d(in_channels, out_channels, kernel_size, stride=stride, padding=kernel_size // 2,
                  groups=groups, bias=False),
        nn.BatchNorm2d(out_channels),
        nn.ReLU(inplace=True),
    ]


class DepthwiseSeparable(nn.Sequential):
    """Depthwise 3x3 (groups = channels) + BN + ReLU, then pointwise 1x1 + BN + ReLU."""

    def __init__(self, in_channels: int, out_channels: int, stride: int) -> None:
        super().__init__(
            *_conv_bn_relu(in_channels, in_channels, 3, stride, groups=in_channels),
            *_conv_bn_relu(in_channels, out_channels, 1, 1),
        )


class MobileNetV1(nn.Module):
    def __init__(self, num_classes: int = 1000, width_mult: float = 1.0) -> None:
        super().__init__()
        channels = int(32 * width_mult)
        layers: list[nn.Module] = [nn.Sequential(*_conv_bn_relu(3, channels, 3, 2))]  # N x 32 x 112 x 112
        for out, stride in _BLOCKS:
            out = int(out * width_mult)
            layers.append(DepthwiseSeparable(channels, out, stride))
            channels = out
        # Spatial sizes: 112 (64 ch), 56 (128), 28 (256), 14 (512 x 6), 7 (1024 x 2).
        self.features = nn.Sequential(*layers)  # N x 1024 x 7 x 7
        self.avgpool = nn.AdaptiveAvgPool2d(1)  # N x 1024 x 1 x 1
        self.classifier = nn.Linear(channels, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        # N x 3 x 224 x 224
        x = self.avgpool(self.features(x))
        return self.classifier(x.flatten(1))


def mobilenet_v1(num_classes: int = 1000, width_mult: float = 1.0) -> MobileNetV1:
    """MobileNet v1 for 224x224 RGB input; ``width_mult`` is the paper's width multiplier alpha."""
    return MobileNetV1(num_classes=num_classes, width_mult=width_mult).eval()
