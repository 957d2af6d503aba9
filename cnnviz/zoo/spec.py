"""What a registry entry is: an architecture is one page, a variant is one buildable model.

Entries live in ``cnnviz.zoo.architectures``; look-ups in ``cnnviz.zoo.registry``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:  # torch loads lazily so that the home page does not wait for it
    import torch
    from torch import nn


@dataclass(frozen=True)
class Variant:
    """One buildable model, named like torchvision's builder where torchvision has it."""

    name: str
    label: str  # marked with N_ where it has words to translate; shown as _(label)
    build: Callable[[], "nn.Module"]
    input_shapes: tuple[tuple[int, int, int], ...] = ((3, 224, 224),)
    torchvision_weights: str | None = None  # builder name whose weights' meta holds the published counts
    auxiliary: tuple[str, ...] = ()  # training-only heads (GoogLeNet's aux1/aux2, Inception v3's AuxLogits)
    published_params_include_aux: bool = False  # torchvision counts Inception v3's aux head, not GoogLeNet's
    note: str = ""

    @property
    def input_size(self) -> int:
        return self.input_shapes[0][-1]

    def example_inputs(self, input_size: int | None = None, device: str = "meta") -> tuple["torch.Tensor", ...]:
        import torch

        shapes = [(c, input_size or h, input_size or w) for c, h, w in self.input_shapes]
        return tuple(torch.zeros((1, *shape), device=device) for shape in shapes)

    def build_on_meta(self) -> "nn.Module":
        from cnnviz.zoo.meta_build import on_meta

        with on_meta():
            return self.build()


@dataclass(frozen=True)
class Architecture:
    """One architecture page: the story facts and its variants (the first is the default)."""

    key: str
    title: str  # a model's name; a descriptive one ("Siamese network") is marked with N_
    group: str  # "Classic", "Very deep", "Efficient", "Beyond classification"
    year: int
    authors: str  # names; with words besides the names ("(deep autoencoders)") marked with N_
    paper: str
    paper_url: str
    idea: str  # two or three sentences; marked with N_ and translated where shown
    line: str  # the idea's first sentence: the architecture's line on the home page
    variants: tuple[Variant, ...]
    departures: tuple[str, ...] = field(default=())  # where the implementation differs from the paper (N_)
    source: Callable | None = None  # the builder class or function whose source the page shows

    @property
    def default(self) -> Variant:
        return self.variants[0]

    def variant(self, name: str | None) -> Variant:
        if name is None:
            return self.default
        for variant in self.variants:
            if variant.name == name:
                return variant
        raise KeyError(f"{self.key} has no variant {name!r}; choose one of: {', '.join(self.variant_names)}")

    @property
    def variant_names(self) -> list[str]:
        return [v.name for v in self.variants]


class UnknownModel(KeyError):
    def __str__(self) -> str:
        return self.args[0]
