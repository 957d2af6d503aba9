"""Bundled training results in ``assets/``: made by ``python -m cnnviz train NAME``, read by the pages and CLI."""

from __future__ import annotations

import json
from pathlib import Path

ASSETS = Path(__file__).resolve().parents[2] / "assets"
BUNDLED = {"plain-vs-residual": "plain_vs_residual.json", "transfer": "transfer.json"}


def bundled_path(name: str) -> Path:
    if name not in BUNDLED:
        raise KeyError(f"no bundled results named {name!r}; choose from {', '.join(BUNDLED)}")
    return ASSETS / BUNDLED[name]


def load_bundled(name: str) -> dict:
    with open(bundled_path(name), encoding="utf-8") as handle:
        return json.load(handle)


def save(data: dict, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
