"""The three blocks a design adds to torch's layers. The exported code carries this file's classes as they are."""

import torch
from torch import nn


class Residual(nn.Module):
    """out = body(x) + shortcut(x): the shortcut is x itself, or a 1x1 projection where the shapes differ."""

    def __init__(self, body: nn.Module, shortcut: nn.Module | None = None) -> None:
        super().__init__()
        self.body = body
        self.shortcut = shortcut

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x) + (x if self.shortcut is None else self.shortcut(x))


class Concat(nn.Module):
    """out = [x, body(x)] stacked along the channels (or the features of a vector)."""

    def __init__(self, body: nn.Module) -> None:
        super().__init__()
        self.body = body

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([x, self.body(x)], dim=1)


class Branches(nn.Module):
    """out = [branch(x) for each branch] stacked along the channels: an Inception block."""

    def __init__(self, *branches: nn.Module) -> None:
        super().__init__()
        self.branches = nn.ModuleList(branches)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([branch(x) for branch in self.branches], dim=1)


class OpenBranches(Branches):
    """Branches not joined yet (a span still being built): each runs, and the last one's output goes on."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return [branch(x) for branch in self.branches][-1]
