"""Human-readable numbers and shapes, shared by the CLI, the graph and the pages."""

from __future__ import annotations


def count(value: int | float) -> str:
    """1234 -> '1.23 K', 138357544 -> '138.36 M', 15470264320 -> '15.47 G'."""
    for limit, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "K")):
        if abs(value) >= limit:
            return f"{value / limit:.2f} {suffix}"
    return f"{value:,.0f}" if isinstance(value, int) or float(value).is_integer() else f"{value:.3g}"


def shape_text(shape) -> str:
    """(96, 55, 55) -> '96x55x55' (channels first, as PyTorch stores it)."""
    return "x".join(str(d) for d in shape) if shape else ""


def megabytes(params: int, bytes_per_param: int = 4) -> float:
    """Storage of float32 weights in MiB (2**20 bytes)."""
    return params * bytes_per_param / 2**20
