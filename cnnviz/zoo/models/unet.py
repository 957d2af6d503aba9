"""U-Net.

Paper: O. Ronneberger, P. Fischer, T. Brox, "U-Net: Convolutional Networks for Biomedical Image
Segmentation", MICCAI 2015. https://arxiv.org/abs/1505.04597

A contracting path (two 3x3 convs + ReLU, then 2x2 max-pool, four times: 64 -> 1024 channels) and an
expanding path (2x2 up-convolution halving the channels, concatenation with the centre-cropped encoder
map of the same stage, two 3x3 convs). The paper's convs are unpadded, so a 572x572 tile gives a
388x388 segmentation map; ``unet`` has 31,030,658 parameters for 2 classes.

Departures from the paper:

* ``unet_small`` is not in the paper: padded convs (output size = input size) and narrower stages,
  a common choice for small images.
* No dropout at the end of the contracting path (the paper mentions "drop-out layers" there without
  giving their rate or place).
"""

import torch
from torch import Tensor, nn

__all__ = ["DoubleConv", "Down", "Up", "UNet", "unet", "unet_small"]


class DoubleConv(nn.Sequential):
    """Two 3x3 convs, each followed by ReLU; unpadded (padding=0) in the paper."""

    def __init__(self, in_channels: int, out_channels: int, padding: int = 0) -> None:
        super().__init__(
            nn.Conv2d(in_channels, out_channels, 3, padding=padding),
            nn.ReLU(inplace=True),
            nn.Conv2d(out_channels, out_channels, 3, padding=padding),
            nn.ReLU(inplace=True),
        )


class Down(nn.Sequential):
    """2x2 max-pool (stride 2), then DoubleConv doubling the channels."""

    def __init__(self, in_channels: int, out_channels: int, padding: int = 0) -> None:
        super().__init__(nn.MaxPool2d(2), DoubleConv(in_channels, out_channels, padding))


class Up(nn.Module):
    """2x2 up-convolution halving the channels, concat with the cropped skip, then DoubleConv."""

    def __init__(self, in_channels: int, out_channels: int, padding: int = 0) -> None:
        super().__init__()
        self.up = nn.ConvTranspose2d(in_channels, in_channels // 2, kernel_size=2, stride=2)
        self.conv = DoubleConv(in_channels, out_channels, padding)

    def forward(self, x: Tensor, skip: Tensor) -> Tensor:
        x = self.up(x)
        # Unpadded convs lose a border, so the encoder map is larger: take its centre (the paper's crop).
        top = (skip.shape[-2] - x.shape[-2]) // 2
        left = (skip.shape[-1] - x.shape[-1]) // 2
        skip = skip[..., top:top + x.shape[-2], left:left + x.shape[-1]]
        return self.conv(torch.cat([skip, x], dim=1))


class UNet(nn.Module):
    def __init__(self, in_channels: int = 1, num_classes: int = 2, base: int = 64, padding: int = 0) -> None:
        super().__init__()
        c1, c2, c3, c4, c5 = (base * 2 ** i for i in range(5))
        self.inc = DoubleConv(in_channels, c1, padding)  # paper: N x 64 x 568 x 568
        self.down1 = Down(c1, c2, padding)  # N x 128 x 280 x 280
        self.down2 = Down(c2, c3, padding)  # N x 256 x 136 x 136
        self.down3 = Down(c3, c4, padding)  # N x 512 x 64 x 64
        self.down4 = Down(c4, c5, padding)  # N x 1024 x 28 x 28
        self.up1 = Up(c5, c4, padding)  # N x 512 x 52 x 52
        self.up2 = Up(c4, c3, padding)  # N x 256 x 100 x 100
        self.up3 = Up(c3, c2, padding)  # N x 128 x 196 x 196
        self.up4 = Up(c2, c1, padding)  # N x 64 x 388 x 388
        self.outc = nn.Conv2d(c1, num_classes, kernel_size=1)  # N x num_classes x 388 x 388

    def forward(self, x: Tensor) -> Tensor:
        # paper: N x 1 x 572 x 572
        x1 = self.inc(x)
        x2 = self.down1(x1)
        x3 = self.down2(x2)
        x4 = self.down3(x3)
        x = self.down4(x4)
        x = self.up1(x, x4)
        x = self.up2(x, x3)
        x = self.up3(x, x2)
        x = self.up4(x, x1)
        return self.outc(x)


def unet(in_channels: int = 1, num_classes: int = 2) -> UNet:
    """The paper's U-Net: unpadded convs, 572x572 input -> 388x388 output."""
    return UNet(in_channels, num_classes).eval()


def unet_small(in_channels: int = 3, num_classes: int = 1, base: int = 16) -> UNet:
    """A narrow U-Net with padded convs for 128x128 input; output size equals input size."""
    return UNet(in_channels, num_classes, base=base, padding=1).eval()
