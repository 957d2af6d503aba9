"""ZFNet.

Paper: M. D. Zeiler, R. Fergus, "Visualizing and Understanding Convolutional Networks", ECCV 2014
(arXiv 2013). https://arxiv.org/abs/1311.2901

AlexNet re-tuned after looking at what its layers learned: conv1 is 7x7 stride 2 (not 11x11 stride 4)
and conv2 uses stride 2, which removes the aliasing the visualisations showed. Spatial sizes follow the
paper's Figure 3: 224 -> 110 -> 55 -> 26 -> 13 -> 13 -> 13 -> 6.

Departures from the paper:

* The figure gives no paddings. These are chosen so that the sizes match it: conv1 pad 1 (224 -> 110),
  pool1 pad 1 (110 -> 55), conv2 pad 0 (55 -> 26), pool2 pad 1 (26 -> 13), conv3-5 pad 1, pool5 pad 0
  (13 -> 6). Caffe-style ceil-mode pooling without padding gives the same sizes.
* "Contrast normalisation across feature maps" is AlexNet's LRN with AlexNet's constants.
* The rescaling of every conv filter whose RMS exceeds 0.1 back to 0.1 is a training rule on the weights,
  not a layer: not here.

``zfnet`` follows Figure 3 (384-384-256 filters in conv3-5). ``zfnet_wide`` has 512-1024-512, the
paper's Table 1 variant "layers 3,4,5: 512,1024,512 maps" and the version CS231n describes.
"""

from typing import Sequence

from torch import Tensor, nn

from cnnviz.zoo.models.alexnet_paper import fc_head, local_response_norm

__all__ = ["ZFNet", "zfnet", "zfnet_wide"]


class ZFNet(nn.Module):
    def __init__(self, widths: Sequence[int] = (384, 384, 256), num_classes: int = 1000,
                 dropout: float = 0.5) -> None:
        super().__init__()
        c3, c4, c5 = widths
        self.features = nn.Sequential(
            nn.Conv2d(3, 96, kernel_size=7, stride=2, padding=1),  # N x 96 x 110 x 110
            nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2, padding=1),  # N x 96 x 55 x 55
            local_response_norm(),
            nn.Conv2d(96, 256, kernel_size=5, stride=2),  # N x 256 x 26 x 26
            nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2, padding=1),  # N x 256 x 13 x 13
            local_response_norm(),
            nn.Conv2d(256, c3, kernel_size=3, padding=1),  # N x c3 x 13 x 13
            nn.ReLU(inplace=True),
            nn.Conv2d(c3, c4, kernel_size=3, padding=1),  # N x c4 x 13 x 13
            nn.ReLU(inplace=True),
            nn.Conv2d(c4, c5, kernel_size=3, padding=1),  # N x c5 x 13 x 13
            nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),  # N x c5 x 6 x 6
        )
        self.classifier = fc_head(c5 * 6 * 6, num_classes, dropout)

    def forward(self, x: Tensor) -> Tensor:
        # N x 3 x 224 x 224
        x = self.features(x)
        return self.classifier(x.flatten(1))


def zfnet(num_classes: int = 1000) -> ZFNet:
    """ZFNet as in the paper's Figure 3 (conv3-5: 384, 384, 256 filters), 224x224 input."""
    return ZFNet((384, 384, 256), num_classes=num_classes).eval()


def zfnet_wide(num_classes: int = 1000) -> ZFNet:
    """ZFNet with 512, 1024, 512 filters in conv3-5 (the version taught in CS231n), 224x224 input."""
    return ZFNet((512, 1024, 512), num_classes=num_classes).eval()
