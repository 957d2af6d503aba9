"""Chinese and Korean in headless Debian chromium: three pages opened by a ?lang= link read mostly in that
language (Korean breaking lines between words), and the language stays after a click on a sidebar link."""

import os

import pytest

from tests.browser import browser_page, chromium_available, wait_until_idle
from tests.english_words import written_share

pytestmark = pytest.mark.slow

if not chromium_available():
    if os.environ.get("CNNVIZ_REQUIRE_BROWSER"):
        raise RuntimeError("chromium is required here (apt-get install -y chromium)")
    pytest.skip("Debian chromium is not installed (apt-get install -y chromium)", allow_module_level=True)


def _main_text(page) -> str:
    return page.get_by_test_id("stMain").inner_text()


@pytest.mark.parametrize("language", ["zh", "ko"])
def test_three_pages_read_in_the_language_and_it_stays_across_a_sidebar_click(app_url, language):
    with browser_page() as page:
        for path in ("", "alexnet", "lab-lrn"):
            page.goto(f"{app_url}/{path}?lang={language}")
            page.get_by_test_id("stMain").locator("h1").first.wait_for(timeout=90_000)
            wait_until_idle(page, 90_000)
            assert page.get_by_test_id("stException").count() == 0
            share = written_share([_main_text(page)], language)
            assert share > 0.5, f"/{path}?lang={language}: {share:.0%}"
            # Korean breaks lines between words, Chinese between any two characters.
            title_breaks = page.evaluate("getComputedStyle(document.querySelector('h1')).wordBreak")
            assert (title_breaks == "keep-all") == (language == "ko"), title_breaks
        page.get_by_test_id("stSidebarNav").locator("a[href$='/lab-output-size']").click()
        page.wait_for_url("**/lab-output-size*", timeout=30_000)
        page.get_by_test_id("stMain").locator("h1").first.wait_for(timeout=90_000)
        wait_until_idle(page, 90_000)
        assert written_share([_main_text(page)], language) > 0.5
        assert f"lang={language}" in page.url
