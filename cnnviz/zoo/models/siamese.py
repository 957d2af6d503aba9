"""Siamese network for one-shot image recognition.

Paper: G. Koch, R. Zemel, R. Salakhutdinov, "Siamese Neural Networks for One-shot Image Recognition",
ICML Deep Learning Workshop 2015. https://www.cs.cmu.edu/~rsalakhu/papers/oneshot1.pdf

Two 105x105 Omniglot characters pass through one embedding network (the same weights: a "twin" is the
same module called twice). The component-wise L1 distance |e1 - e2| of the 4096-d embeddings is
weighted by one linear unit; its sigmoid is the probability that both show the same character.
Parameters: 38,951,745 (embedding 38,947,648 + head 4,097), counted once since the twins share them.

Departures from the paper:

* ``forward`` returns the logit, not the probability: pair it with ``BCEWithLogitsLoss`` (numerically
  safer); apply ``torch.sigmoid`` for the probability.
* The paper's layer-wise learning rates, momentum schedule and L2 penalties are training details, not here.
"""

import torch
from torch import Tensor, nn

__all__ = ["SiameseNet", "siamese_net"]


class SiameseNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.embedding = nn.Sequential(
            nn.Conv2d(1, 64, 10),  # N x 64 x 96 x 96
            nn.ReLU(inplace=True),
            nn.MaxPool2d(2),  # N x 64 x 48 x 48
            nn.Conv2d(64, 128, 7),  # N x 128 x 42 x 42
            nn.ReLU(inplace=True),
            nn.MaxPool2d(2),  # N x 128 x 21 x 21
            nn.Conv2d(128, 128, 4),  # N x 128 x 18 x 18
            nn.ReLU(inplace=True),
            nn.MaxPool2d(2),  # N x 128 x 9 x 9
            nn.Conv2d(128, 256, 4),  # N x 256 x 6 x 6
            nn.ReLU(inplace=True),
            nn.Flatten(),  # N x 9216
            nn.Linear(9216, 4096),
            nn.Sigmoid(),  # N x 4096
        )
        self.head = nn.Linear(4096, 1)

    def forward(self, x1: Tensor, x2: Tensor) -> Tensor:
        # Each: N x 1 x 105 x 105. One module, two calls: the twins cannot drift apart.
        e1 = self.embedding(x1)
        e2 = self.embedding(x2)
        return self.head(torch.abs(e1 - e2))  # N x 1 logit


def siamese_net() -> SiameseNet:
    """Koch et al.'s Siamese network for pairs of 105x105 grey-scale images; returns a logit."""
    return SiameseNet().eval()
