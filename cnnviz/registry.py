"""The registry's types and look-ups: an architecture is one page, a variant is one buildable model.

Entries live in ``cnnviz.architectures``; tests loop over ``ARCHITECTURES`` so a new model is tested by
being registered.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:  # torch loads lazily so that the home page does not wait for it
    import torch
    from torch import nn


@dataclass(frozen=True)
class Variant:
    """One buildable model, named like torchvision's builder where torchvision has it."""

    name: str
    label: str
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
        import torch

        from cnnviz.meta_init import skip_init_on_meta

        skip_init_on_meta()
        with torch.device("meta"):
            model = self.build()
        return model


@dataclass(frozen=True)
class Architecture:
    """One architecture page: the story facts and its variants (the first is the default)."""

    key: str
    title: str
    group: str  # "Classic", "Very deep", "Efficient", "Beyond classification"
    year: int
    authors: str
    paper: str
    paper_url: str
    idea: str  # two or three sentences
    variants: tuple[Variant, ...]
    ilsvrc: str | None = None
    departures: tuple[str, ...] = field(default=())  # where the implementation differs from the paper
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


@functools.cache
def architectures() -> dict[str, Architecture]:
    from cnnviz.architectures import ARCHITECTURES

    return {arch.key: arch for arch in ARCHITECTURES}


def model_names() -> list[str]:
    return [v.name for arch in architectures().values() for v in arch.variants]


def resolve(name: str, variant: str | None = None) -> tuple[Architecture, Variant]:
    """Find a model by architecture key or by any variant's model name (``vgg16_bn``, ``resnet152``)."""
    archs = architectures()
    if name in archs:
        try:
            return archs[name], archs[name].variant(variant)
        except KeyError as error:
            raise UnknownModel(error.args[0]) from None
    for arch in archs.values():
        if name in arch.variant_names:
            if variant is not None and variant not in arch.variant_names:
                raise UnknownModel(f"{arch.key} has no variant {variant!r}; choose one of: "
                                   f"{', '.join(arch.variant_names)}")
            return arch, arch.variant(variant or name)
    raise UnknownModel(f"unknown model {name!r}; valid names: {', '.join(model_names())}")
