"""LeNet-5.

Paper: Y. LeCun, L. Bottou, Y. Bengio, P. Haffner, "Gradient-Based Learning Applied to Document
Recognition", Proc. IEEE, 1998. http://yann.lecun.com/exdb/publis/pdf/lecun-98.pdf

Departures from the paper:

* C3 connects each of its 16 maps to all six S2 maps; the paper used a sparse connection table
  (Table I, ``C3_TABLE`` below) to save weights and break the symmetry between maps. ``SparseC3`` is the
  paper's layer, for the comparison of the two.
* S2 and S4 are plain 2x2 average pooling; the paper's subsampling units multiplied the sum by a
  trainable coefficient, added a trainable bias and passed it through a sigmoid.
* The output is a 10-way linear layer; the paper used Euclidean radial basis function (RBF) units with
  fixed bitmap-like weights.
* The paper's squashing function was a scaled tanh, 1.7159 tanh(2x/3); here it is plain tanh (or ReLU).

With these choices the model has 61,706 parameters (the paper's LeNet-5 had 60,000 trainable ones).
"""

import torch
from torch import Tensor, nn

__all__ = ["C3_TABLE", "LeNet5", "SparseC3", "lenet5"]

# LeCun et al. 1998, Table I: the S2 maps each C3 map reads. Maps 0-5 read three neighbouring S2 maps, 6-11
# four neighbouring ones, 12-14 four non-neighbouring ones, and 15 all six (neighbours wrap around from 5 to 0).
C3_TABLE: tuple[tuple[int, ...], ...] = (
    (0, 1, 2), (1, 2, 3), (2, 3, 4), (3, 4, 5), (4, 5, 0), (5, 0, 1),
    (0, 1, 2, 3), (1, 2, 3, 4), (2, 3, 4, 5), (3, 4, 5, 0), (4, 5, 0, 1), (5, 0, 1, 2),
    (0, 1, 3, 4), (1, 2, 4, 5), (0, 2, 3, 5),
    (0, 1, 2, 3, 4, 5),
)

_ACTIVATIONS = {"tanh": nn.Tanh, "relu": nn.ReLU}


class LeNet5(nn.Module):
    def __init__(self, num_classes: int = 10, activation: str = "tanh") -> None:
        super().__init__()
        if activation not in _ACTIVATIONS:
            raise ValueError(f"activation must be one of {sorted(_ACTIVATIONS)}, got {activation!r}")
        act = _ACTIVATIONS[activation]
        self.features = nn.Sequential(
            nn.Conv2d(1, 6, kernel_size=5),  # C1: N x 6 x 28 x 28
            act(),
            nn.AvgPool2d(kernel_size=2, stride=2),  # S2: N x 6 x 14 x 14
            nn.Conv2d(6, 16, kernel_size=5),  # C3: N x 16 x 10 x 10
            act(),
            nn.AvgPool2d(kernel_size=2, stride=2),  # S4: N x 16 x 5 x 5
            # C5 is a convolution in the paper: on a 5x5 map it equals a fully connected layer,
            # but on larger inputs it would slide, which is how LeNet read whole cheques.
            nn.Conv2d(16, 120, kernel_size=5),  # C5: N x 120 x 1 x 1
            act(),
        )
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Linear(120, 84),  # F6
            act(),
            nn.Linear(84, num_classes),  # OUTPUT (RBF units in the paper)
        )

    def forward(self, x: Tensor) -> Tensor:
        # N x 1 x 32 x 32
        return self.classifier(self.features(x))


class SparseC3(nn.Module):
    """The paper's C3: one 5x5 convolution per C3 map, over the S2 maps ``C3_TABLE`` connects to it."""

    # torch has no per-output connection table; 16 one-map convolutions are the plainest exact form of it.
    def __init__(self, table: tuple[tuple[int, ...], ...] = C3_TABLE, kernel_size: int = 5) -> None:
        super().__init__()
        self.table = table
        self.maps = nn.ModuleList(nn.Conv2d(len(inputs), 1, kernel_size) for inputs in table)

    def forward(self, x: Tensor) -> Tensor:
        return torch.cat([conv(x[:, list(inputs)]) for conv, inputs in zip(self.maps, self.table)], dim=1)


def lenet5(num_classes: int = 10, activation: str = "tanh") -> LeNet5:
    """LeNet-5 for 32x32 grey-scale input; ``activation`` is ``"tanh"`` (the paper) or ``"relu"``."""
    return LeNet5(num_classes=num_classes, activation=activation).eval()
