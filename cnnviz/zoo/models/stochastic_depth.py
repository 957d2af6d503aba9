"""ResNet with stochastic depth.

Paper: G. Huang, Y. Sun, Z. Liu, D. Sedra, K. Q. Weinberger, "Deep Networks with Stochastic Depth",
ECCV 2016. https://arxiv.org/abs/1603.09382

During training each residual branch is dropped (for a whole sample) with probability p_l, leaving only
the shortcut, so the expected depth is shorter and gradients reach early layers more easily. At test
time every branch is kept; torchvision's ``StochasticDepth`` rescales surviving branches by
1 / (1 - p_l) during training instead, so evaluation is the plain ResNet.

The blocks are torchvision's own ``Bottleneck`` layers, re-wired: parameter counts equal
torchvision's resnet50 / resnet152 exactly.

Departures from the paper:

* The paper's ImageNet experiments used ResNet-152 (and CIFAR ResNet-110); these are torchvision's
  "v1.5" ResNets, with the stride on the 3x3 convolution.
* Drop probabilities grow linearly from 0 at the first block to 0.5 at the last. The paper's rule,
  p_l = l / L * 0.5 for l = 1..L, counts the input as l = 0 and so drops the first block with 0.5 / L.
* The paper scales branches by their survival probability at test time; inverted scaling during
  training (``StochasticDepth``) is equivalent in expectation.
"""

from torch import Tensor, nn
from torchvision.models import resnet50, resnet152
from torchvision.models.resnet import BasicBlock, Bottleneck, ResNet
from torchvision.ops import StochasticDepth

__all__ = ["StochasticDepthBlock", "stochastic_depth_resnet50", "stochastic_depth_resnet152"]


class StochasticDepthBlock(nn.Module):
    """relu(shortcut(x) + stochastic_depth(residual(x))), built from a torchvision ResNet block."""

    def __init__(self, block: nn.Module, p: float) -> None:
        super().__init__()
        if isinstance(block, Bottleneck):
            layers = [block.conv1, block.bn1, nn.ReLU(inplace=True), block.conv2, block.bn2,
                      nn.ReLU(inplace=True), block.conv3, block.bn3]
        elif isinstance(block, BasicBlock):
            layers = [block.conv1, block.bn1, nn.ReLU(inplace=True), block.conv2, block.bn2]
        else:
            raise TypeError(f"expected a torchvision BasicBlock or Bottleneck, got {type(block).__name__}")
        # Fresh ReLUs: torchvision reuses one ReLU module three times, which would read as weight sharing.
        self.residual = nn.Sequential(*layers)
        self.shortcut = block.downsample if block.downsample is not None else nn.Identity()
        self.stochastic_depth = StochasticDepth(p, mode="row")
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x: Tensor) -> Tensor:
        return self.relu(self.shortcut(x) + self.stochastic_depth(self.residual(x)))


def add_stochastic_depth(model: ResNet, p_last: float = 0.5) -> ResNet:
    """Replace every residual block of ``model`` in place; drop probability 0 -> ``p_last``, linearly."""
    stages = [model.layer1, model.layer2, model.layer3, model.layer4]
    total = sum(len(stage) for stage in stages)
    index = 0
    for stage in stages:
        for i, block in enumerate(stage):
            stage[i] = StochasticDepthBlock(block, p_last * index / (total - 1))
            index += 1
    return model


def stochastic_depth_resnet50(num_classes: int = 1000) -> ResNet:
    """torchvision's ResNet-50 (no weights) with stochastic depth on its 16 blocks; 224x224 input."""
    return add_stochastic_depth(resnet50(weights=None, num_classes=num_classes)).eval()


def stochastic_depth_resnet152(num_classes: int = 1000) -> ResNet:
    """torchvision's ResNet-152 (no weights) with stochastic depth on its 50 blocks; 224x224 input."""
    return add_stochastic_depth(resnet152(weights=None, num_classes=num_classes)).eval()
