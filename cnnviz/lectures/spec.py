"""What an architecture page teaches beyond its tables: the story, the key block to draw, the formulas,
and what each variant changes. Text only: every number a page shows is computed elsewhere."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Lecture:
    story: str  # markdown: why it was built and what it changed
    key_block: dict[str, str] = field(default_factory=dict)  # variant name -> block to draw unfolded
    key_caption: str = ""
    formulas: tuple[tuple[str, str], ...] = ()  # (caption, LaTeX)
    variants: dict[str, str] = field(default_factory=dict)  # variant name -> what it changes
    notes_facts: tuple[str, ...] = ()  # non-numeric slips in the notes, with the correction
