"""One term per idea and language: the termbase (``cnnviz/locale/terms.csv``) against both catalogs.

Each row names an idea in English (``|`` between the forms a text may use), the one Chinese and Korean term for it,
the variants rejected for it (``zh_avoid``, ``ko_avoid``) and the English texts where the word means something else
(``except``: fragments of those texts). A text that names the idea in English must name it with the row's term."""

import csv
import re

import pytest
from babel.messages.pofile import read_po

from cnnviz import i18n

TERMS = i18n.LOCALE_DIR / "terms.csv"
LANGUAGES = ("zh", "ko")
# Placeholders, code, links and dotted names (torch.nn.Dropout) name no idea.
NOT_PROSE = re.compile(r"%?\{[^{}]*\}|`[^`]*`|https?://\S+|[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+", re.ASCII)


def _rows() -> list[dict]:
    with TERMS.open(encoding="utf-8", newline="") as source:
        return list(csv.DictReader(source))


def _words(cell: str) -> list[str]:
    return [word for word in cell.split("|") if word]


def _pattern(forms: list[str]) -> re.Pattern:
    """Any form as a whole word, any case, a space also matching a hyphen, with a plural ending."""
    longest_first = sorted(forms, key=len, reverse=True)
    alternatives = "|".join(r"[\s-]+".join(map(re.escape, form.split())) for form in longest_first)
    return re.compile(rf"(?<![A-Za-z0-9_])(?:{alternatives})(?:s|es)?(?![A-Za-z0-9_])", re.IGNORECASE)


def _entries(language: str) -> list[tuple[str, list[str]]]:
    """(English text, its translations) of every message; both plural forms of a plural message."""
    with (i18n.LOCALE_DIR / language / "LC_MESSAGES" / f"{i18n.DOMAIN}.po").open("rb") as source:
        catalog = read_po(source, locale=language)
    entries = []
    for message in catalog:
        if message.id:
            ids = message.id if isinstance(message.id, tuple) else (message.id,)
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            entries.append(("\n".join(ids), [string for string in strings if string]))
    return entries


def _ideas_named(english: str, rows: list[dict]) -> list[dict]:
    """The rows whose idea ``english`` names. Longer forms first, and a match hides its words from shorter ones:
    'depthwise separable' is not also 'depthwise', 'max pooling' not also 'pooling'."""
    text = NOT_PROSE.sub(" ", english)
    named = []
    for row in sorted(rows, key=lambda row: -max(map(len, _words(row["en"])))):
        found = _pattern(_words(row["en"])).search(text)
        if found and not any(fragment in english for fragment in _words(row["except"])):
            named.append(row)
        text = _pattern(_words(row["en"])).sub(lambda match: "\0" * len(match.group()), text)
    return named


def _rejected_variants(language: str, translation: str, rows: list[dict]) -> list[str]:
    """The rejected variants ``translation`` uses. A chosen term that contains a rejected word (分组卷积 holds
    组卷积) is taken out before that word is looked for."""
    text = NOT_PROSE.sub(" ", translation).lower()
    terms = [row[language].lower() for row in rows]
    found = []
    for row in rows:
        for variant in _words(row[f"{language}_avoid"]):
            variant = variant.lower()
            rest = text
            for term in terms:
                if variant in term:
                    rest = rest.replace(term, " ")
            if variant in rest:
                found.append(f"{variant} (use {row[language]})")
    return found


def test_the_termbase_is_well_formed():
    rows = _rows()
    assert len(rows) > 40
    seen = {}
    for row in rows:
        assert row["en"] and row["zh"] and row["ko"], row
        for language in LANGUAGES:
            assert row[language].lower() not in [word.lower() for word in _words(row[f"{language}_avoid"])], row
        for form in _words(row["en"]):
            assert form.lower() not in seen, f"{form!r} in two rows: {seen.get(form.lower())} and {row['en']}"
            seen[form.lower()] = row["en"]


def test_every_exception_still_names_a_text():
    """An exception that matches no English text any more would hide a future one for nothing."""
    english = [text for text, _ in _entries("zh")]
    stale = [(row["en"], fragment) for row in _rows() for fragment in _words(row["except"])
             if not any(fragment in text for text in english)]
    assert stale == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_each_idea_has_one_term(language):
    """Where the English text names an idea of the termbase, the translation uses the row's term; no translation
    uses a rejected variant. Every offending entry is printed."""
    rows = _rows()
    offences = []
    for english, translations in _entries(language):
        for translation in translations:
            prose = NOT_PROSE.sub(" ", translation).lower()
            missing = [row[language] for row in _ideas_named(english, rows) if row[language].lower() not in prose]
            rejected = _rejected_variants(language, translation, rows)
            if missing or rejected:
                offences.append(f"{english!r}\n  -> {translation!r}\n  missing: {missing}  rejected: {rejected}")
    for offence in offences:
        print(f"{language}: {offence}")
    assert not offences, f"{len(offences)} {language} translations break the termbase (printed above)"
