"""The app in headless Debian chromium: open it, go to three pages and find their layer tables."""

import os

import pytest

from tests.browser import app_server, browser_page, chromium_available, wait_until_idle

pytestmark = pytest.mark.slow

if not chromium_available():
    if os.environ.get("CNNVIZ_REQUIRE_BROWSER"):
        raise RuntimeError("chromium is required here (apt-get install -y chromium)")
    pytest.skip("Debian chromium is not installed (apt-get install -y chromium)", allow_module_level=True)


def test_three_pages_show_their_tables():
    with app_server() as (url, _), browser_page() as page:
        page.goto(url)
        page.get_by_role("heading", name="cnnviz").wait_for(timeout=30_000)
        for title, first_layer in (("AlexNet", "features.0"), ("ResNet", "conv1"), ("DenseNet", "features.conv0")):
            page.get_by_test_id("stSidebarNav").get_by_role("link", name=title, exact=True).click()
            page.get_by_role("heading", name=title, exact=True).wait_for(timeout=30_000)
            wait_until_idle(page)
            page.get_by_role("tab", name="Layer table").click()
            table = page.locator("[data-testid=stDataFrame]:visible").first
            table.wait_for(timeout=30_000)
            assert table.is_visible()
            errors = page.get_by_test_id("stException")
            assert errors.count() == 0, f"{title} shows an exception"
            assert page.locator("text=Totals >> visible=true").count() == 1
