"""The four lecture notes the app teaches, shipped with it (``notes/``, their README says which is which):
the notes' claims and tables are checked against them, and pages quote them.

A page quotes the notes in their own language and, for a reader of another language, adds a translation
(``translation``, ``quoted``). A quote's English translation is a msgid marked with ``N_`` where the quote is
defined; a quote in English is its own msgid."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

from cnnviz.i18n import _, current

NOTES = Path(__file__).resolve().parent / "notes"

_HANGUL = re.compile(r"[\u1100-\u11ff\u3130-\u318f\uac00-\ud7a3]")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")


@functools.cache
def notes_text(number: str) -> str:
    """The whole text of notes ``"001"`` .. ``"004"``."""
    return (NOTES / f"{number}.txt").read_text(encoding="utf-8")


# What a reader of the notes sees of their markup: LaTeX rendered, emphasis, list and heading marks, HTML and math
# delimiters gone. A quote is compared with that, whitespace aside (a quote may join lines the notes break).
_SHOWN = ((re.compile(r"\\times"), "×"), (re.compile(r"\\leq"), "≤"), (re.compile(r"\^\{?2\}?"), "²"),
          (re.compile(r"\\text\{([^{}]*)\}"), r"\1"), (re.compile(r"\\\\"), " "), (re.compile(r"\$+|\*\*|</?\w+>"), ""),
          (re.compile(r"^[ \t]*(?:[-•]|#+)[ \t]+", re.M), ""), (re.compile(r"\s+"), ""))


def _shown(text: str) -> str:
    for pattern, replacement in _SHOWN:
        text = pattern.sub(replacement, text)
    return text


def in_notes(quote: str, number: str) -> bool:
    """Whether ``quote`` is what notes ``number`` print, word for word: as they show (``_SHOWN``), whitespace
    aside. " … " stands for words left out (the parts in the notes' order), " / " for a line break."""
    shown, start = _shown(notes_text(number)), 0
    for part in quote.split("…"):
        readings = [_shown(part), _shown(part.replace(" / ", " "))]
        found = next(((at, len(text)) for text in readings if (at := shown.find(text, start)) >= 0), None)
        if found is None:
            return False
        start = sum(found)
    return bool(quote.strip())


def quote_language(quote: str) -> str:
    """The language a quote of the notes is written in: Korean if it has Hangul, Chinese if it has Chinese
    characters, else English (the notes' English passages, and formulas)."""
    if _HANGUL.search(quote):
        return "ko"
    return "zh" if _HAN.search(quote) else "en"


def translation(quote: str, english: str | None = None) -> str | None:
    """The translation to show beside ``quote`` in the session's language, None where none is due: the session
    reads the quote's own language, or the quote reads the same in every language (a formula, a number).

    ``english``: the quote's English translation (a msgid); an English quote is its own, the default."""
    if not quote or quote_language(quote) == current():
        return None
    shown = _(english or quote)
    return shown if shown != quote else None


def quoted(quote: str, english: str | None = None) -> str:
    """The quote as written, followed by its translation where one is due: "单一路径? (single path?)" in English,
    "单一路径?" in Chinese."""
    shown = translation(quote, english)
    return _("{quote} ({translation})").format(quote=quote, translation=shown) if shown else quote


@dataclass(frozen=True)
class Quote:
    """Words of one file of the notes, as written there (``in_notes``), and their English translation (a msgid)
    where they are not English."""

    notes: str  # "001" .. "004"
    text: str
    english: str = ""

    def shown(self) -> str:
        """The quote as written, with its translation where the session reads another language (``quoted``)."""
        return quoted(self.text, self.english or None)
