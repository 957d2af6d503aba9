"""Network in Network for ImageNet-size input.

Paper: M. Lin, Q. Chen, S. Yan, "Network In Network", ICLR 2014 (arXiv 2013).
https://arxiv.org/abs/1312.4400

An mlpconv block is a kxk convolution followed by two 1x1 convolutions: a small multilayer perceptron
that slides over the image. The last block outputs one map per class and global average pooling turns
each map into a score, so there are no fully connected layers.

Departures from the paper:

* The paper details its CIFAR/SVHN models only; the ImageNet model here is the one in "Dive into Deep
  Learning" (d2l.ai, section 8.3), with AlexNet-like kernel sizes (11, 5, 3, 3) and widths.
* No LRN and no weight decay tricks; dropout 0.5 sits before the last mlpconv as in d2l.
"""

from torch import Tensor, nn

__all__ = ["MlpConv", "NiN", "nin"]


class MlpConv(nn.Module):
    """kxk conv, then two 1x1 convs (the 'micro network'), each followed by ReLU."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, stride: int, padding: int):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size, stride=stride, padding=padding)
        self.relu = nn.ReLU(inplace=True)
        self.mlp1 = nn.Conv2d(out_channels, out_channels, kernel_size=1)
        self.relu1 = nn.ReLU(inplace=True)
        self.mlp2 = nn.Conv2d(out_channels, out_channels, kernel_size=1)
        self.relu2 = nn.ReLU(inplace=True)

    def forward(self, x: Tensor) -> Tensor:
        x = self.relu(self.conv(x))
        x = self.relu1(self.mlp1(x))
        return self.relu2(self.mlp2(x))


class NiN(nn.Module):
    def __init__(self, num_classes: int = 1000, dropout: float = 0.5) -> None:
        super().__init__()
        self.features = nn.Sequential(
            MlpConv(3, 96, kernel_size=11, stride=4, padding=0),  # N x 96 x 54 x 54
            nn.MaxPool2d(kernel_size=3, stride=2),  # N x 96 x 26 x 26
            MlpConv(96, 256, kernel_size=5, stride=1, padding=2),  # N x 256 x 26 x 26
            nn.MaxPool2d(kernel_size=3, stride=2),  # N x 256 x 12 x 12
            MlpConv(256, 384, kernel_size=3, stride=1, padding=1),  # N x 384 x 12 x 12
            nn.MaxPool2d(kernel_size=3, stride=2),  # N x 384 x 5 x 5
            nn.Dropout(p=dropout),
            # One map per class: its average is the class score.
            MlpConv(384, num_classes, kernel_size=3, stride=1, padding=1),  # N x num_classes x 5 x 5
        )
        self.avgpool = nn.AdaptiveAvgPool2d(1)  # N x num_classes x 1 x 1
        self.flatten = nn.Flatten()

    def forward(self, x: Tensor) -> Tensor:
        # N x 3 x 224 x 224
        return self.flatten(self.avgpool(self.features(x)))


def nin(num_classes: int = 1000) -> NiN:
    """Network in Network (d2l's ImageNet version) for 224x224 RGB input."""
    return NiN(num_classes=num_classes).eval()
