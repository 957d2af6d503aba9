"""The app in headless Debian chromium: open it, go to three pages and find their layer tables."""

import os

import pytest

from tests.browser import app_server, browser_page, chromium_available, wait_until_idle

pytestmark = pytest.mark.slow

if not chromium_available():
    if os.environ.get("CNNVIZ_REQUIRE_BROWSER"):
        raise RuntimeError("chromium is required here (apt-get install -y chromium)")
    pytest.skip("Debian chromium is not installed (apt-get install -y chromium)", allow_module_level=True)


def test_three_pages_show_their_tables(app_url):
    with browser_page() as page:
        page.goto(app_url)
        page.get_by_role("heading", name="cnnviz").wait_for(timeout=30_000)
        for title, first_layer in (("AlexNet", "features.0"), ("ResNet", "conv1"), ("DenseNet", "features.conv0")):
            page.get_by_test_id("stSidebarNav").get_by_role("link", name=title, exact=True).click()
            page.get_by_role("heading", name=title, exact=True).wait_for(timeout=30_000)
            wait_until_idle(page)
            page.get_by_role("tab", name="Layer table").click()  # only the open tab runs: this one runs now
            page.locator("text=Totals >> visible=true").first.wait_for(timeout=30_000)
            wait_until_idle(page)
            table = page.locator("[data-testid=stDataFrame]:visible").first
            table.wait_for(timeout=30_000)
            assert table.is_visible()
            errors = page.get_by_test_id("stException")
            assert errors.count() == 0, f"{title} shows an exception"
            assert page.locator("text=Totals >> visible=true").count() == 1


@pytest.mark.parametrize("path, heading", [("lab-lrn", "Local response normalisation (LRN)"),
                                           ("image-predictions", "What do the networks see in a photo?")])
def test_a_page_link_is_the_first_request_of_a_new_server(path, heading):
    """What a class gets when the instructor starts the server and shares a link: that page, in the app's
    navigation, and no "Page not found" dialog."""
    with app_server() as (url, _), browser_page() as page:
        page.goto(f"{url}/{path}")
        page.get_by_role("heading", name=heading, exact=True).wait_for(timeout=60_000)
        wait_until_idle(page, 60_000)
        assert page.get_by_role("dialog").count() == 0, page.get_by_role("dialog").all_inner_texts()
        assert page.get_by_test_id("stException").count() == 0
        nav = page.get_by_test_id("stSidebarNav")
        assert nav.get_by_text("Concept labs").count() == 1  # app.py's groups, not the folder's file list
        assert page.url.rstrip("/").endswith(path)


def test_a_link_to_home_by_its_file_name_opens_the_home_page():
    """Every page's link is its file name; the home page's too (/home), though Streamlit serves it at /. First as a
    new server's first visitor (Streamlit's legacy pages/ mode), then as a later one."""
    with app_server() as (url, _), browser_page() as page:
        for visitor in ("first", "later"):
            page.goto(f"{url}/home")
            page.get_by_role("heading", name="cnnviz — classic CNN architectures, live").wait_for(timeout=60_000)
            wait_until_idle(page, 60_000)
            assert page.get_by_role("dialog").count() == 0, (visitor, page.get_by_role("dialog").all_inner_texts())
            assert page.get_by_test_id("stException").count() == 0, visitor
