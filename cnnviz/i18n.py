"""The app's languages: gettext catalogs (``cnnviz/locale/<lang>/LC_MESSAGES/cnnviz.po``) managed with Babel.

The language is per session, not per process: each Streamlit session runs its script in its own thread, and the
active catalog lives in a context variable that the app sets at the start of every run (``use``). Nothing calls
``gettext.install``. Texts are marked with ``_("...")`` where they are shown, or with ``N_("...")`` where they
are defined as data and translated later (page titles, labels of choices).

Adding a language: ``pybabel init -i cnnviz/locale/cnnviz.pot -d cnnviz/locale -D cnnviz -l ja``, translate the
new .po file and add the language to ``LANGUAGES``. After changing texts: ``python -m cnnviz.i18n`` extracts
them again and merges the catalogs (``pybabel extract`` + ``pybabel update``).
"""

from __future__ import annotations

import functools
import gettext
import io
from contextvars import ContextVar
from pathlib import Path

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "cnnviz"
LANGUAGES = {"en": "English", "zh": "中文", "ko": "한국어"}  # each language's name in itself
DEFAULT = "en"

_active: ContextVar[gettext.NullTranslations] = ContextVar("cnnviz_language", default=gettext.NullTranslations())
_code: ContextVar[str] = ContextVar("cnnviz_language_code", default=DEFAULT)


@functools.cache
def catalog(language: str) -> gettext.NullTranslations:
    """The compiled catalog of ``language`` (English: the texts as written). Compiled in memory from the .po file
    with Babel, so the repository holds no build output."""
    po = LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    if language == DEFAULT or not po.exists():
        return gettext.NullTranslations()
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po.open("rb") as source:
        messages = read_po(source, locale=language)
    compiled = io.BytesIO()
    write_mo(compiled, messages)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


def use(language: str) -> None:
    """Make ``language`` the one this thread (this session's run) speaks."""
    language = language if language in LANGUAGES else DEFAULT
    _active.set(catalog(language))
    _code.set(language)


def current() -> str:
    return _code.get()


def _(message: str) -> str:
    return _active.get().gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return _active.get().ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Marks a text for extraction where it is defined; ``_`` translates it where it is shown."""
    return message


def from_locale(locale: str | None) -> str:
    """The app language for a browser locale such as ``zh-CN`` or ``ko-KR``; English for any other."""
    primary = (locale or "").replace("_", "-").split("-")[0].lower()
    return primary if primary in LANGUAGES else DEFAULT


WIDTH = 116  # the catalogs' line width (the template keeps Babel's 76; 76 here would rewrap every translation)


def update_catalogs() -> None:
    """``pybabel extract`` then ``pybabel update``: every marked text into the template and every catalog."""
    from babel.messages.frontend import CommandLineInterface

    root = LOCALE_DIR.parents[1]
    template = LOCALE_DIR / f"{DOMAIN}.pot"
    pybabel = CommandLineInterface().run
    pybabel(["pybabel", "-q", "extract", "-F", str(root / "babel.cfg"), "-k", "_", "-k", "N_", "-k", "ngettext:1,2",
             "--no-location", "--sort-output", "--omit-header", "-o", str(template), str(root)])
    pybabel(["pybabel", "-q", "update", "-i", str(template), "-d", str(LOCALE_DIR), "-D", DOMAIN,
             "--no-fuzzy-matching", "--ignore-obsolete", "-w", str(WIDTH)])  # a fuzzy or kept-old entry shows English


if __name__ == "__main__":
    update_catalogs()
