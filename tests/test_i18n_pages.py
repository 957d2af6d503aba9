"""Every page in Chinese and Korean: AppTest renders each without an exception, mostly in that language."""

import pytest

from tests.conftest import open_link
from ui.catalog import page_groups

PAGES = [entry.url_path for entries in page_groups().values() for entry in entries]
SCRIPTS = {"zh": ("\u4e00", "\u9fff"), "ko": ("\uac00", "\ud7a3")}


def written_share(texts: list[str], language: str) -> float:
    """The share of the letters that are Chinese characters or Hangul syllables. A Latin word counts as one
    letter, as a syllable or a character does: "ResNet-50 的参数" is 1 Latin word and 3 Chinese letters."""
    import re

    low, high = SCRIPTS[language]
    text = " ".join(texts)
    native = sum(low <= ch <= high for ch in text)
    latin = len(re.findall(r"[A-Za-z]+", text))
    return native / max(1, native + latin)


def _texts(app) -> list[str]:
    parts = [e.value for kind in ("title", "header", "subheader", "markdown", "caption") for e in getattr(app, kind)]
    return [p for p in parts if isinstance(p, str)]


@pytest.mark.slow
@pytest.mark.usefixtures("no_torchvision_weights")
@pytest.mark.parametrize("language", list(SCRIPTS))
@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_in_the_language(page, language):
    app = open_link(page, lang=language)
    share = written_share(_texts(app), language)
    assert share > 0.5, f"/{page}?lang={language}: only {share:.0%} of the words are in the language"
