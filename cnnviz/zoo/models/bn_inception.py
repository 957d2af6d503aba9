"""BN-Inception ("Inception v2").

Paper: S. Ioffe, C. Szegedy, "Batch Normalization: Accelerating Deep Network Training by Reducing Internal
Covariate Shift", ICML 2015. https://arxiv.org/abs/1502.03167 (the model: Appendix, Figure 5).

GoogLeNet with batch normalisation after every convolution, and three more changes the Appendix lists: each
5x5 convolution becomes two stacked 3x3s (the "double 3x3" branch), there are three 28x28 modules (3a, 3b,
3c) instead of two, and the grid shrinks inside modules 3c and 4e (stride-2 branches and a max-pool that
passes its input through) instead of in pooling layers between modules. The first convolution is a
separable 7x7 with depth multiplier 8, as the Appendix says the paper's model used.

Departures from the paper:

* Figure 5 prints 576 channels after 4c and 4d and 1024 after 4e, but its own filter columns add up to
  608, 608 and 1056 (4c: 160 + 160 + 160 + 128). The model follows the columns, as the Caffe model
  released with later work (and its PyTorch ports) does; 5a and 5b give the printed 1024 again.
* Figure 5 prints the input grid (28x28, 14x14) as the output of the stride-2 modules 3c and 4e; they
  output 14x14 and 7x7.
* Padding is symmetric (PyTorch); the paper's TensorFlow-style "same" padding put the extra pixel of a
  stride-2 layer at the bottom and right. Shapes and counts are the same.
* No auxiliary classifiers and no dropout: Section 4.2 describes the model with no fully connected layer
  but the classifier, and Section 4.2.1 removes dropout from the batch-normalised network.
"""

from __future__ import annotations

from torch import Tensor, cat, nn

# GoogLeNet's conv (no bias) + BN (eps 0.001) + ReLU, reused rather than written again.
from torchvision.models.googlenet import BasicConv2d

__all__ = ["BNInception", "InceptionBN", "PAPER_PARAMETERS", "PRINTED_DEPTHS", "SeparableStem", "bn_inception"]

# Figure 5, one row per module: #1x1, #3x3 reduce, #3x3, double #3x3 reduce, double #3x3, pool, pool
# projection (0: the pooled input passes through), stride. 0 in #1x1: no 1x1 branch.
_MODULES = {
    "inception3a": (64, 64, 64, 64, 96, "avg", 32, 1),
    "inception3b": (64, 64, 96, 64, 96, "avg", 64, 1),
    "inception3c": (0, 128, 160, 64, 96, "max", 0, 2),
    "inception4a": (224, 64, 96, 96, 128, "avg", 128, 1),
    "inception4b": (192, 96, 128, 96, 128, "avg", 128, 1),
    "inception4c": (160, 128, 160, 128, 160, "avg", 128, 1),
    "inception4d": (96, 128, 192, 160, 192, "avg", 128, 1),
    "inception4e": (0, 128, 192, 192, 256, "max", 0, 2),
    "inception5a": (352, 192, 320, 160, 224, "avg", 128, 1),
    "inception5b": (352, 192, 320, 192, 224, "max", 128, 1),
}
DEPTH_MULTIPLIER = 8  # of the separable first convolution (Appendix)
# The output depths Figure 5 prints where its own columns add up to more (the model follows the columns).
PRINTED_DEPTHS = {"inception4c": 576, "inception4d": 576, "inception4e": 1024}
PAPER_PARAMETERS = 13.6e6  # Section 4.2: "The network contains 13.6 * 10^6 parameters"


class SeparableStem(nn.Sequential):
    """The first layer: a depthwise 7x7/2 that gives each RGB channel 8 filters, then a pointwise 1x1 to 64."""

    def __init__(self, in_channels: int = 3, out_channels: int = 64) -> None:
        depthwise = in_channels * DEPTH_MULTIPLIER
        super().__init__(
            # No BN or ReLU between the two halves: together they are one separable convolution.
            nn.Conv2d(in_channels, depthwise, 7, stride=2, padding=3, groups=in_channels, bias=False),
            BasicConv2d(depthwise, out_channels, kernel_size=1),
        )


class InceptionBN(nn.Module):
    """An inception module of Figure 5: 1x1, 3x3, double 3x3 and pool branches, concatenated.

    With ``stride`` 2 the 3x3 branches and the max-pool shrink the grid, there is no 1x1 branch, and the
    pooled input passes through unprojected (modules 3c and 4e).
    """

    def __init__(self, in_channels: int, ch1x1: int, ch3x3red: int, ch3x3: int, dbl3x3red: int, dbl3x3: int,
                 pool: str, pool_proj: int, stride: int = 1) -> None:
        super().__init__()
        self.out_channels = ch1x1 + ch3x3 + dbl3x3 + (pool_proj or in_channels)
        self.branch1 = BasicConv2d(in_channels, ch1x1, kernel_size=1) if ch1x1 else None
        self.branch2 = nn.Sequential(BasicConv2d(in_channels, ch3x3red, kernel_size=1),
                                     BasicConv2d(ch3x3red, ch3x3, kernel_size=3, stride=stride, padding=1))
        self.branch3 = nn.Sequential(BasicConv2d(in_channels, dbl3x3red, kernel_size=1),
                                     BasicConv2d(dbl3x3red, dbl3x3, kernel_size=3, padding=1),
                                     BasicConv2d(dbl3x3, dbl3x3, kernel_size=3, stride=stride, padding=1))
        pooling = (nn.AvgPool2d(3, stride=stride, padding=1, count_include_pad=False) if pool == "avg"
                   else nn.MaxPool2d(3, stride=stride, padding=1))
        projection = [BasicConv2d(in_channels, pool_proj, kernel_size=1)] if pool_proj else []
        self.branch4 = nn.Sequential(pooling, *projection)

    def forward(self, x: Tensor) -> Tensor:
        branches = [self.branch2(x), self.branch3(x), self.branch4(x)]
        if self.branch1 is not None:
            branches.insert(0, self.branch1(x))
        return cat(branches, 1)


class BNInception(nn.Module):
    def __init__(self, num_classes: int = 1000) -> None:
        super().__init__()
        self.conv1 = SeparableStem(3, 64)  # N x 64 x 112 x 112
        self.maxpool1 = nn.MaxPool2d(3, stride=2, padding=1)  # N x 64 x 56 x 56
        self.conv2 = BasicConv2d(64, 64, kernel_size=1)  # the "#3x3 reduce" of the second row
        self.conv3 = BasicConv2d(64, 192, kernel_size=3, padding=1)  # N x 192 x 56 x 56
        self.maxpool2 = nn.MaxPool2d(3, stride=2, padding=1)  # N x 192 x 28 x 28
        channels = 192
        for name, (*filters, pool, pool_proj, stride) in _MODULES.items():
            module = InceptionBN(channels, *filters, pool=pool, pool_proj=pool_proj, stride=stride)
            self.add_module(name, module)
            channels = module.out_channels
        # 28x28: 3a 256, 3b 320; 14x14: 3c 576, 4a 576, 4b 576, 4c 608, 4d 608; 7x7: 4e 1056, 5a/5b 1024.
        self.avgpool = nn.AdaptiveAvgPool2d(1)  # the paper's 7x7 average pool: N x 1024 x 1 x 1
        self.fc = nn.Linear(channels, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        # N x 3 x 224 x 224
        x = self.maxpool1(self.conv1(x))
        x = self.maxpool2(self.conv3(self.conv2(x)))
        for name in _MODULES:
            x = getattr(self, name)(x)
        return self.fc(self.avgpool(x).flatten(1))


def bn_inception(num_classes: int = 1000) -> BNInception:
    """BN-Inception (Inception v2) for 224x224 RGB input, as in the paper's Figure 5."""
    return BNInception(num_classes=num_classes).eval()
