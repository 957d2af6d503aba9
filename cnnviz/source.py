"""Source code of a model's own classes (not torch.nn's), for the page's "builder source" expander."""

from __future__ import annotations

import inspect

from cnnviz.registry import Variant


def model_sources(variant: Variant) -> list[tuple[str, str]]:
    """(qualified class name, source) for the model class and every block class it uses, model first."""
    model = variant.build_on_meta()
    seen: dict[type, None] = {}
    for module in model.modules():
        cls = type(module)
        if not cls.__module__.startswith("torch.nn"):
            seen.setdefault(cls)
    sources = []
    for cls in seen:
        try:
            sources.append((f"{cls.__module__}.{cls.__qualname__}", inspect.getsource(cls)))
        except (OSError, TypeError):
            continue  # classes built at run time have no file to read
    return sources
