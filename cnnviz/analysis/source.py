"""Source code of a model's own classes (not torch.nn's), for the page's "builder source" expander."""

from __future__ import annotations

import inspect

from cnnviz.analysis.summary import Summary


def model_sources(summary: Summary) -> list[tuple[str, str]]:
    """(qualified class name, source) for the model class and every block class it uses, model first."""
    sources = []
    for cls in (c for c in summary.module_classes if not c.__module__.startswith("torch.nn")):
        try:
            sources.append((f"{cls.__module__}.{cls.__qualname__}", inspect.getsource(cls)))
        except (OSError, TypeError):
            continue  # classes built at run time have no file to read
    return sources
