"""A link to a walk's step or to a tab opens there on a phone and on a projector, not at the page's header: the
browser scrolls the walk (the tab) into view on the link's first draw. A link without one opens at the top, and a
click on Next afterwards does not move the page (in headless Debian chromium)."""

import os
import re

import pytest

from cnnviz.analysis.summary import summary_of
from tests.browser import browser_page, chromium_available, wait_until_idle

pytestmark = pytest.mark.slow

if not chromium_available():
    if os.environ.get("CNNVIZ_REQUIRE_BROWSER"):
        raise RuntimeError("chromium is required here (apt-get install -y chromium)")
    pytest.skip("Debian chromium is not installed (apt-get install -y chromium)", allow_module_level=True)

PHONE, PROJECTOR = {"width": 390, "height": 844}, {"width": 1280, "height": 720}

# Whether an element is wholly in the window, below Streamlit's header (which covers the window's top).
_IN_VIEW = """(element) => {
  const box = element.getBoundingClientRect(), header = document.querySelector('[data-testid="stHeader"]');
  return box.top >= (header ? header.getBoundingClientRect().bottom : 0) && box.bottom <= window.innerHeight;
}"""
_SCROLLED = "() => document.querySelector('[data-testid=stMain]').scrollTop"


def _titles(name: str) -> list[str]:
    """The walk's step titles, from the walk itself (not from the page)."""
    from cnnviz.analysis.receptive_field.recursion import receptive_fields
    from cnnviz.lectures.stepper import walk_steps
    from cnnviz.zoo.registry import resolve

    return [step.title for step in walk_steps(summary_of(name), receptive_fields(resolve(name)[1]))]


def _step_heading(page, title: str):
    """The walk's heading of the step ``title``: "MAX POOL1 · MaxPool2d"."""
    return page.get_by_test_id("stMain").get_by_role("heading", name=re.compile(rf"^{re.escape(title)} ·")).first


def _wait_in_view(page, locator, what: str) -> None:
    locator.wait_for(timeout=90_000)
    try:
        page.wait_for_function(_IN_VIEW, arg=locator.element_handle(), polling=100, timeout=15_000)
    except Exception:  # noqa: BLE001 — said with where it is
        box = locator.bounding_box()
        raise AssertionError(f"{what} is not in the {page.viewport_size} window: {box}, the page scrolled "
                             f"{page.evaluate(_SCROLLED)} px") from None


def _open_step_link_then_next(page, url: str) -> None:
    titles = _titles("vgg19")
    page.goto(f"{url}/vgg16?variant=vgg19&step=3")
    _wait_in_view(page, _step_heading(page, titles[2]), f"step 3 ({titles[2]})")
    wait_until_idle(page, 90_000)
    assert page.evaluate(_SCROLLED) > 0
    # The reader scrolls a little, then clicks Next: the walk stays where the reader put it. Measured where the walk
    # is in the window: the page's scroll offset may change under it (the browser keeps what is in view in place
    # while a picture above it loads).
    tabs = page.get_by_test_id("stTabs").first
    landed = tabs.bounding_box()["y"]
    page.mouse.move(page.viewport_size["width"] / 2, page.viewport_size["height"] / 2)
    # Up, not down: on a projector the walk can sit at the page's end, where a scroll down moves nothing.
    page.mouse.wheel(0, -50)
    page.wait_for_function("(y) => document.querySelector('[data-testid=stTabs]').getBoundingClientRect().y > y",
                           arg=landed + 40, polling=50, timeout=5_000)
    before = tabs.bounding_box()["y"]
    page.get_by_role("button", name="Next").click()
    _step_heading(page, titles[3]).wait_for(timeout=60_000)
    wait_until_idle(page, 60_000)
    assert tabs.bounding_box()["y"] == pytest.approx(before, abs=2), "the walk moved on Next"
    _wait_in_view(page, _step_heading(page, titles[3]), f"step 4 ({titles[3]})")


def test_a_step_link_opens_at_the_step_on_a_phone_and_a_link_without_one_at_the_top(app_url):
    with browser_page() as page:
        page.set_viewport_size(PHONE)
        _open_step_link_then_next(page, app_url)
        page.goto(f"{app_url}/vgg16?variant=vgg19")
        page.get_by_role("button", name="Next").wait_for(timeout=90_000)
        wait_until_idle(page, 90_000)
        page.wait_for_timeout(500)  # a script that scrolled would have run: it runs as it is drawn
        assert page.evaluate(_SCROLLED) == 0, "a link without a step did not open at the top"


def test_a_step_link_and_a_tab_link_open_there_on_a_projector(app_url):
    with browser_page() as page:
        page.set_viewport_size(PROJECTOR)
        _open_step_link_then_next(page, app_url)
        page.goto(f"{app_url}/vgg16?tab=table")
        tab = page.get_by_role("tab", name="Layer table", selected=True)
        _wait_in_view(page, tab, "the tab Layer table")
        _wait_in_view(page, page.get_by_test_id("stTabs").get_by_test_id("stDataFrame").first.locator("xpath=.."),
                      "the layer table's top")
