"""AlexNet as described in the 2012 paper.

Paper: A. Krizhevsky, I. Sutskever, G. E. Hinton, "ImageNet Classification with Deep Convolutional
Neural Networks", NeurIPS 2012.
https://papers.nips.cc/paper/4824-imagenet-classification-with-deep-convolutional-neural-networks

torchvision's ``alexnet`` follows the later "One weird trick" paper (64-192-384-256-256 filters,
no LRN, no groups); this file is the 2012 network.

Departures from the paper:

* The input is 227x227: the paper says 224x224, but an 11x11 stride-4 filter without padding needs
  227 pixels to give the 55x55 maps the paper reports.
* The two GPUs are expressed as ``groups=2``: conv2, conv4 and conv5 see only the maps of their own GPU;
  conv3 and the fully connected layers talk across both, exactly as in the paper's Figure 2.
  Splitting a fully connected layer over two GPUs changes nothing in the maths, so they are single layers.
* The paper's overlapping pooling, LRN and dropout (on the outputs of FC6 and FC7) are kept. LRN is the
  paper's equation: PyTorch divides its alpha by the window size n, so the layer is given n times the
  paper's alpha.
* Weight initialisation (and the biases of 1 in conv2, 4, 5 and the FC layers) is left at PyTorch's
  defaults, since no weights are trained here.

Parameters: 60,965,224 (conv1 alone: 34,944).
"""

from torch import Tensor, nn

from cnnviz.labs import lrn

__all__ = ["AlexNetPaper", "alexnet_paper"]


def local_response_norm() -> nn.LocalResponseNorm:
    """AlexNet's LRN across feature maps as the paper's equation (shared with ZFNet, which kept AlexNet's
    constants): Section 3.3's k = 2, n = 5, alpha = 1e-4, beta = 0.75 (``lrn.ALEXNET``)."""
    # torch divides its alpha by the window size, so the paper's layer is alpha * n = 5e-4 in torch's terms.
    return nn.LocalResponseNorm(**lrn.torch_arguments(**lrn.ALEXNET))


def fc_head(in_features: int, num_classes: int, dropout: float) -> nn.Sequential:
    """FC6-FC8: two 4096-wide layers, dropout on the output of each, then the class scores (shared with ZFNet).
    Section 4.2 applies dropout in "the first two fully-connected layers", as Caffe's reference (drop6 after
    relu6, drop7 after relu7); torchvision's alexnet puts it before FC6 and FC7 instead."""
    return nn.Sequential(
        nn.Linear(in_features, 4096),
        nn.ReLU(inplace=True),
        nn.Dropout(p=dropout),
        nn.Linear(4096, 4096),
        nn.ReLU(inplace=True),
        nn.Dropout(p=dropout),
        nn.Linear(4096, num_classes),
    )


class AlexNetPaper(nn.Module):
    def __init__(self, num_classes: int = 1000, dropout: float = 0.5) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 96, kernel_size=11, stride=4),  # N x 96 x 55 x 55
            nn.ReLU(inplace=True),
            local_response_norm(),
            nn.MaxPool2d(kernel_size=3, stride=2),  # N x 96 x 27 x 27
            nn.Conv2d(96, 256, kernel_size=5, padding=2, groups=2),  # N x 256 x 27 x 27
            nn.ReLU(inplace=True),
            local_response_norm(),
            nn.MaxPool2d(kernel_size=3, stride=2),  # N x 256 x 13 x 13
            nn.Conv2d(256, 384, kernel_size=3, padding=1),  # N x 384 x 13 x 13, across both GPUs
            nn.ReLU(inplace=True),
            nn.Conv2d(384, 384, kernel_size=3, padding=1, groups=2),  # N x 384 x 13 x 13
            nn.ReLU(inplace=True),
            nn.Conv2d(384, 256, kernel_size=3, padding=1, groups=2),  # N x 256 x 13 x 13
            nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),  # N x 256 x 6 x 6
        )
        self.classifier = fc_head(256 * 6 * 6, num_classes, dropout)

    def forward(self, x: Tensor) -> Tensor:
        # N x 3 x 227 x 227
        x = self.features(x)
        x = x.flatten(1)  # N x 9216
        return self.classifier(x)


def alexnet_paper(num_classes: int = 1000) -> AlexNetPaper:
    """AlexNet as in Krizhevsky et al. 2012, for 227x227 RGB input."""
    return AlexNetPaper(num_classes=num_classes).eval()
