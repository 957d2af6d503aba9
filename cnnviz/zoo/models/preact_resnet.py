"""Pre-activation ResNet for ImageNet.

Paper: K. He, X. Zhang, S. Ren, J. Sun, "Identity Mappings in Deep Residual Networks", ECCV 2016.
https://arxiv.org/abs/1603.05027

Batch norm and ReLU move in front of each convolution (BN -> ReLU -> conv), and nothing follows the
addition, so the shortcut path is a clean identity from the first block to the last. When a block
changes the shape, its 1x1 projection shortcut reads the pre-activated input, as in the authors' code
(github.com/KaimingHe/resnet-1k-layers and fb.resnet.torch's preresnet.lua).

Departures from the paper:

* The stem (conv 7x7/2 + BN + ReLU + max-pool) is ResNet's; as in preresnet.lua, the first block skips
  its own BN-ReLU because the stem already ends with one, and a final BN-ReLU precedes the pooling.
* Bottlenecks put the stride on the 3x3 convolution (torchvision's "v1.5" placement), not the first 1x1.
"""

from typing import Type, Union

from torch import Tensor, nn

__all__ = ["PreActBasicBlock", "PreActBottleneck", "PreActResNet", "preact_resnet18", "preact_resnet34",
           "preact_resnet50", "preact_resnet101", "preact_resnet152"]


def _bn_relu(channels: int) -> nn.Sequential:
    return nn.Sequential(nn.BatchNorm2d(channels), nn.ReLU(inplace=True))


def _conv(in_planes: int, out_planes: int, kernel_size: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(in_planes, out_planes, kernel_size, stride=stride, padding=kernel_size // 2, bias=False)


class _PreActBlock(nn.Module):
    """Shared forward: pre-activate, project the shortcut if needed, run the residual branch, add."""

    expansion = 1

    def __init__(self, inplanes: int, planes: int, stride: int, preactivate: bool) -> None:
        super().__init__()
        self.preact = _bn_relu(inplanes) if preactivate else nn.Identity()
        out = planes * self.expansion
        self.shortcut = _conv(inplanes, out, 1, stride) if stride != 1 or inplanes != out else None

    def residual(self, x: Tensor) -> Tensor:
        raise NotImplementedError

    def forward(self, x: Tensor) -> Tensor:
        out = self.preact(x)
        # An identity shortcut carries the raw input; a projection needs normalised, activated input.
        shortcut = x if self.shortcut is None else self.shortcut(out)
        return self.residual(out) + shortcut


class PreActBasicBlock(_PreActBlock):
    """BN-ReLU-conv3x3, BN-ReLU-conv3x3."""

    def __init__(self, inplanes: int, planes: int, stride: int = 1, preactivate: bool = True) -> None:
        super().__init__(inplanes, planes, stride, preactivate)
        self.conv1 = _conv(inplanes, planes, 3, stride)
        self.act2 = _bn_relu(planes)
        self.conv2 = _conv(planes, planes, 3)

    def residual(self, x: Tensor) -> Tensor:
        return self.conv2(self.act2(self.conv1(x)))


class PreActBottleneck(_PreActBlock):
    """BN-ReLU-conv1x1, BN-ReLU-conv3x3 (stride), BN-ReLU-conv1x1 (x4 channels)."""

    expansion = 4

    def __init__(self, inplanes: int, planes: int, stride: int = 1, preactivate: bool = True) -> None:
        super().__init__(inplanes, planes, stride, preactivate)
        self.conv1 = _conv(inplanes, planes, 1)
        self.act2 = _bn_relu(planes)
        self.conv2 = _conv(planes, planes, 3, stride)
        self.act3 = _bn_relu(planes)
        self.conv3 = _conv(planes, planes * self.expansion, 1)

    def residual(self, x: Tensor) -> Tensor:
        return self.conv3(self.act3(self.conv2(self.act2(self.conv1(x)))))


Block = Type[Union[PreActBasicBlock, PreActBottleneck]]


class PreActResNet(nn.Module):
    def __init__(self, block: Block, layers: list[int], num_classes: int = 1000) -> None:
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(3, 64, kernel_size=7, stride=2, padding=3, bias=False),  # N x 64 x 112 x 112
            nn.BatchNorm2d(64),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2, padding=1),  # N x 64 x 56 x 56
        )
        self.inplanes = 64
        self.layer1 = self._make_layer(block, 64, layers[0], 1, first=True)  # N x 64e x 56 x 56
        self.layer2 = self._make_layer(block, 128, layers[1], 2)  # N x 128e x 28 x 28
        self.layer3 = self._make_layer(block, 256, layers[2], 2)  # N x 256e x 14 x 14
        self.layer4 = self._make_layer(block, 512, layers[3], 2)  # N x 512e x 7 x 7
        # Blocks end in a bare addition, so the last one's output still needs normalising.
        self.final_act = _bn_relu(self.inplanes)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(self.inplanes, num_classes)

    def _make_layer(self, block: Block, planes: int, blocks: int, stride: int, first: bool = False):
        layers = [block(self.inplanes, planes, stride, preactivate=not first)]
        self.inplanes = planes * block.expansion
        layers += [block(self.inplanes, planes) for _ in range(1, blocks)]
        return nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        # N x 3 x 224 x 224
        x = self.stem(x)
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        x = self.avgpool(self.final_act(x))
        return self.fc(x.flatten(1))


# Depth -> (block, blocks per stage), the same counts as torchvision's ResNets.
_CONFIGS = {
    18: (PreActBasicBlock, [2, 2, 2, 2]),
    34: (PreActBasicBlock, [3, 4, 6, 3]),
    50: (PreActBottleneck, [3, 4, 6, 3]),
    101: (PreActBottleneck, [3, 4, 23, 3]),
    152: (PreActBottleneck, [3, 8, 36, 3]),
}


def _preact_resnet(depth: int, num_classes: int) -> PreActResNet:
    block, layers = _CONFIGS[depth]
    return PreActResNet(block, layers, num_classes=num_classes).eval()


def preact_resnet18(num_classes: int = 1000) -> PreActResNet:
    return _preact_resnet(18, num_classes)


def preact_resnet34(num_classes: int = 1000) -> PreActResNet:
    return _preact_resnet(34, num_classes)


def preact_resnet50(num_classes: int = 1000) -> PreActResNet:
    return _preact_resnet(50, num_classes)


def preact_resnet101(num_classes: int = 1000) -> PreActResNet:
    return _preact_resnet(101, num_classes)


def preact_resnet152(num_classes: int = 1000) -> PreActResNet:
    return _preact_resnet(152, num_classes)
