"""The registry's look-ups: every architecture by key, every variant by model name.

Entries live in ``cnnviz.zoo.architectures`` and their types in ``cnnviz.zoo.spec``; tests loop over the
registry so a new model is tested by being registered.
"""

from __future__ import annotations

import functools

from cnnviz.zoo.architectures import ARCHITECTURES
from cnnviz.zoo.spec import Architecture, UnknownModel, Variant

__all__ = ["UnknownModel", "architectures", "model_names", "resolve"]


@functools.cache
def architectures() -> dict[str, Architecture]:
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
