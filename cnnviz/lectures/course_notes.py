"""The four lecture notes the app teaches, shipped with it (``notes/``, their README says which is which):
the notes' claims and tables are checked against them, and pages quote them."""

from __future__ import annotations

import functools
from pathlib import Path

NOTES = Path(__file__).resolve().parent / "notes"


@functools.cache
def notes_text(number: str) -> str:
    """The whole text of notes ``"001"`` .. ``"004"``."""
    return (NOTES / f"{number}.txt").read_text(encoding="utf-8")
