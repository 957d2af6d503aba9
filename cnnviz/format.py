"""Human-readable numbers and shapes, shared by the CLI, the graph and the pages."""

from __future__ import annotations

import re

_LATEX_SPECIAL = re.compile(r"([#$%&_])")  # characters LaTeX's text mode reads as commands


def count(value: int | float) -> str:
    """1234 -> '1.23 K', 138357544 -> '138.36 M', 15470264320 -> '15.47 G'."""
    for limit, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "K")):
        if abs(value) >= limit:
            return f"{value / limit:.2f} {suffix}"
    return f"{value:,.0f}" if isinstance(value, int) or float(value).is_integer() else f"{value:.3g}"


def shape_text(shape) -> str:
    """(96, 55, 55) -> '96x55x55' (channels first, as PyTorch stores it)."""
    return "x".join(str(d) for d in shape) if shape else ""


DEVICES = {"cpu": "CPU", "cuda": "GPU (CUDA)", "mps": "GPU (MPS)"}


def device_name(device: str) -> str:
    """"cpu" -> "CPU": torch's name of a device as a sentence names it."""
    return DEVICES.get(device, device)


def megabytes(params: int, bytes_per_param: int = 4) -> float:
    """Storage of float32 weights in MiB (2**20 bytes)."""
    return params * bytes_per_param / 2**20


def latex_text(template: str, symbols: dict[str, str] | None = None, **text) -> str:
    """Words inside a formula: ``template`` (already translated, ``_``) in LaTeX's ``\\text{}``, its ``text`` values
    (names, counts) among the words and its ``symbols`` (math: symbols, formulas) in math mode between them, so
    that a translation can put them in its own order. ``latex_text(_("{n} bytes"), n="4")``."""
    values = {key: _LATEX_SPECIAL.sub(r"\\\1", str(value)) for key, value in text.items()}
    values |= {key: "}" + value + r"\text{" for key, value in (symbols or {}).items()}
    return (r"\text{" + _LATEX_SPECIAL.sub(r"\\\1", template).format(**values) + "}").replace(r"\text{}", "")
