"""Quotes of the lecture notes: word for word from the notes the repository ships (cnnviz/lectures/notes), in the
notes' own language, with a translation beside them for a reader of another language."""

from __future__ import annotations

import importlib
import pkgutil
import re

import pytest
from babel.messages.pofile import read_po

from cnnviz import i18n, labs, lectures
from cnnviz.lectures.course_notes import NOTES, Quote, in_notes, notes_text, quote_language, quoted
from cnnviz.lectures.notes_check import CLAIMS
from cnnviz.lectures.notes_tables import TABLES, WRITTEN

CJK = re.compile(r"[\u3400-\u9fff\uac00-\ud7a3]")


def _module_quotes() -> list[Quote]:
    """Every ``Quote`` the labs' and the lectures' modules define."""
    found = []
    for package in (labs, lectures):
        for info in pkgutil.iter_modules(package.__path__, f"{package.__name__}."):
            module = importlib.import_module(info.name)
            found += [value for value in vars(module).values() if isinstance(value, Quote)]
    return found


def test_the_check_reads_the_notes_as_printed():
    """Markup the notes' reader does not see is no part of a quote; a word that is not in the notes fails."""
    assert in_notes("(a) 5 × 5 × 64 × 64 + 64 = 102464 权重数", "004")  # LaTeX in the slides
    assert in_notes("相比于V2, top-5 错误率下降3%", "004")  # bold in the slides
    assert in_notes("AlexNet 1998, first CNN. conv filter 5*5, stride 1 … architecture: conv-pool-conv-pool-fc-fc",
                    "001")
    assert in_notes("Number of parameters / 4 bytes per parameter / 294 MiB", "001")
    assert not in_notes("AlexNet: 1998, first CNN; conv filter 5*5, stride 1", "001")  # punctuation added
    assert not in_notes("lr 0.01 to warm up, then 0.1", "004")  # a translation, not the slides' words
    assert not in_notes("conv-pool-conv-pool-fc-fc … 1998, first CNN", "001")  # parts out of order


@pytest.mark.parametrize("claim", CLAIMS, ids=lambda c: c.key)
def test_every_checked_claim_quotes_its_notes_word_for_word(claim):
    assert in_notes(claim.quote, claim.notes), f"not in notes {claim.notes}: {claim.quote!r}"
    assert bool(claim.english) == (quote_language(claim.quote) != "en"), "a translation where, and only where, due"


def test_the_summary_tables_quote_the_slides():
    for table in TABLES:
        cells = [table.title, *(row for row, _english, _attribute in table.rows)]
        cells += [written for column in table.columns for written in column.written if written]
        assert [cell for cell in cells if not in_notes(cell, "004")] == [], table.part
        assert all(english for row, english, _ in table.rows if CJK.search(row))
    assert all(CJK.search(cell) for cell in WRITTEN)  # the Chinese cells are translated


def test_the_modules_quotes_are_the_notes_words():
    quotes = _module_quotes()
    assert quotes, "the labs quote the notes"
    for quote in quotes:
        assert in_notes(quote.text, quote.notes), quote
        assert bool(quote.english) == (quote_language(quote.text) != "en"), quote


def test_every_quote_in_chinese_or_korean_inside_a_text_is_the_notes_words():
    """A text may quote the notes inside its own words (“学习率0.01 来warm up 若干周期, …” (learning rate 0.01 to
    warm up …)): such a quote is the notes' own, not a paraphrase in another language."""
    with (i18n.LOCALE_DIR / f"{i18n.DOMAIN}.pot").open("rb") as source:
        texts = [message.id for message in read_po(source) if isinstance(message.id, str)]
    quotes = [quote for text in texts for quote in re.findall(r"“([^“”]*)”", text) if CJK.search(quote)]
    assert quotes
    numbers = [path.stem for path in NOTES.glob("*.txt")]
    assert [quote for quote in quotes if not any(in_notes(quote, number) for number in numbers)] == []


@pytest.mark.parametrize("language", ["en", "zh", "ko"])
def test_a_quote_is_shown_in_its_own_words_with_a_translation_in_another_language(language):
    """The Korean summary's own sentence: as written in Korean; beside it in English and Chinese, its translation."""
    claim = next(c for c in CLAIMS if quote_language(c.quote) == "ko")
    i18n.use(language)
    try:
        shown = quoted(claim.quote, claim.english)
    finally:
        i18n.use(i18n.DEFAULT)
    assert shown.startswith(claim.quote) and claim.quote in notes_text(claim.notes)
    assert (shown == claim.quote) == (language == "ko")
