"""Bundled training results in ``assets/``: made by ``python -m cnnviz train NAME``, read by the pages and CLI."""

from __future__ import annotations

import json
from pathlib import Path

from cnnviz.i18n import _

ASSETS = Path(__file__).resolve().parents[2] / "assets"
BUNDLED = {"plain-vs-residual": "plain_vs_residual.json", "transfer": "transfer.json", "lenet5": "lenet5.json"}


def bundled_path(name: str) -> Path:
    if name not in BUNDLED:
        raise KeyError(f"no bundled results named {name!r}; choose from {', '.join(BUNDLED)}")
    return ASSETS / BUNDLED[name]


def load_bundled(name: str) -> dict:
    with open(bundled_path(name), encoding="utf-8") as handle:
        return json.load(handle)


def missing_message(name: str) -> str:
    """In the session's language on a page (English on the command line)."""
    return _("{file} is missing: make it with `python -m cnnviz train {name}`").format(
        file=f"{ASSETS.name}/{BUNDLED[name]}", name=name)


def load_bundled_or_none(name: str) -> dict | None:
    """The bundled results, or None while the file is missing (show ``missing_message`` then)."""
    return load_bundled(name) if bundled_path(name).exists() else None


def save(data: dict, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
