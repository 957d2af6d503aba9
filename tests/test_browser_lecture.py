"""Lecture mode in headless Debian chromium, as an instructor uses it: presenter mode from a new session's very
first link, the arrow keys stepping through the layers while the graph follows, and a shared link read back
from its QR code and opened by a student."""

import html
import io
import os
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from PIL import Image

from cnnviz.analysis.summary import summary_of
from cnnviz.format import count
from tests.browser import browser_page, chromium_available, wait_until_idle
from tests.required import require_module

pytestmark = pytest.mark.slow

if not chromium_available():
    if os.environ.get("CNNVIZ_REQUIRE_BROWSER"):
        raise RuntimeError("chromium is required here (apt-get install -y chromium)")
    pytest.skip("Debian chromium is not installed (apt-get install -y chromium)", allow_module_level=True)

PROJECTOR = {"width": 1280, "height": 720}
HIGHLIGHTED = "#ffd54f"  # cnnviz.analysis.graph.HIGHLIGHT's fill


def _steps(name: str):
    from cnnviz.analysis.receptive_field.recursion import receptive_fields
    from cnnviz.lectures.stepper import walk_steps
    from cnnviz.zoo.registry import resolve

    return walk_steps(summary_of(name), receptive_fields(resolve(name)[1]))


def _open(page, url: str, heading: str) -> None:
    page.goto(url)
    page.get_by_role("heading", name=heading, exact=True).wait_for(timeout=90_000)
    wait_until_idle(page, 90_000)


def _text_size(page) -> float:
    """The computed size of the page's first paragraph of body text (the architecture's idea)."""
    return float(page.locator("[data-testid=stMarkdownContainer] p").first.evaluate(
        "e => parseFloat(getComputedStyle(e).fontSize)"))


def _highlighted_node_text(page) -> str:
    """The text of the graph's marked nodes (a step marks its layer and the BN/ReLU folded into it). The graph is
    an SVG picture drawn by graphviz's ``dot`` on the server: its nodes are read from the picture's source."""
    pictures = page.locator("[data-testid=stMain] [data-testid=stImage] img")
    pictures.nth(1).wait_for(timeout=30_000)  # the step's volume drawing, then its graph
    sources = pictures.evaluate_all("images => Promise.all(images.map(i => fetch(i.src).then(r => r.text())))")
    texts = []
    for source in sources:
        for node in source.split('<g id="node')[1:]:
            node = node.split("</g>")[0]
            if f'fill="{HIGHLIGHTED}"' in node:
                texts += re.findall(r"<text[^>]*>([^<]*)</text>", node)
    return " ".join(html.unescape(text) for text in texts)


def _press(page, key: str) -> None:
    page.locator("body").press(key)
    page.wait_for_timeout(300)
    wait_until_idle(page, 60_000)


def test_presenter_mode_from_the_first_link_is_large_and_the_arrow_keys_step_the_walk(app_url):
    steps, url = _steps("alexnet_paper"), app_url
    with browser_page() as page:
        page.set_viewport_size(PROJECTOR)
        _open(page, f"{url}/alexnet?present=1&variant=alexnet_paper", "AlexNet")
        assert page.get_by_role("dialog").count() == 0
        assert page.get_by_test_id("stException").count() == 0
        sidebar = page.get_by_test_id("stSidebar").evaluate("e => e.getBoundingClientRect().width")
        assert sidebar < 5, f"the sidebar is {sidebar}px wide in presenter mode"
        # The run's style element can land a moment after the script's end: wait for it (never drawn fails below).
        page.wait_for_function("() => parseFloat(getComputedStyle(document.documentElement).fontSize) > 16",
                               timeout=10_000, polling=100)
        large = _text_size(page)
        assert steps[0].graph_nodes[0] in _highlighted_node_text(page)
        for number in (2, 3):
            _press(page, "ArrowRight")
            assert parse_qs(urlsplit(page.url).query)["step"] == [str(number)]
            assert steps[number - 1].graph_nodes[0] in _highlighted_node_text(page)
        _press(page, "ArrowLeft")
        assert parse_qs(urlsplit(page.url).query)["step"] == ["2"]
        _open(page, f"{url}/alexnet?variant=alexnet_paper", "AlexNet")
        normal = _text_size(page)
    assert large >= 1.4 * normal, (large, normal)


def test_a_shared_link_read_from_its_qr_code_opens_the_same_view_for_a_student(app_url):
    zxingcpp = require_module("zxingcpp", "pip install zxing-cpp")
    steps, url = _steps("vgg19"), app_url
    with browser_page() as page:
        page.set_viewport_size(PROJECTOR)
        _open(page, f"{url}/vgg16?present=1", "VGG")
        page.get_by_test_id("stSelectbox").first.click()
        page.get_by_role("option", name="vgg19", exact=False).first.click()
        wait_until_idle(page, 90_000)
        page.get_by_role("heading", name="VGG", exact=True).click()  # the arrow keys belong to a focused select box
        for _ in range(2):
            _press(page, "ArrowRight")
        assert parse_qs(urlsplit(page.url).query) == {"present": ["1"], "variant": ["vgg19"], "step": ["3"]}
        page.get_by_test_id("stMain").get_by_role("button", name="Share this view").click()  # the sidebar is folded
        qr = page.get_by_role("dialog").locator("img").first
        qr.wait_for(timeout=30_000)
        codes = zxingcpp.read_barcodes(Image.open(io.BytesIO(qr.screenshot())))
        assert len(codes) == 1
        link = codes[0].text
        assert urlsplit(link).path == "/vgg16"
        assert parse_qs(urlsplit(link).query) == {"variant": ["vgg19"], "step": ["3"]}

        student = page.context.browser.new_page(viewport={"width": 390, "height": 844})  # a phone, a new session
        _open(student, link, "VGG")
        assert student.get_by_role("dialog").count() == 0
        parameters = count(summary_of("vgg19").total_params)  # VGG-19's, not the page's default VGG-16
        assert student.get_by_test_id("stMetricValue").first.inner_text() == parameters
        assert f"3/{len(steps)}" in student.get_by_test_id("stSlider").first.inner_text()
        assert steps[2].graph_nodes[0] in _highlighted_node_text(student)
