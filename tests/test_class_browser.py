"""A live class in headless Chromium: an instructor and three students (Chinese, Korean, and a 390x844 phone).
Follow mode moves the phones when the instructor steps the walk; answers reach the projector; the reveal groups a
planted slip, and the student who made it reads why in Chinese."""

from __future__ import annotations

import dataclasses
import re
import time

import pytest

from tests.browser import CHROMIUM, CHROMIUM_ARGS, app_server, chromium_available
from tests.required import must_have

IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
ERROR_BOX = '[data-testid="stException"], [data-testid="stAlertContentError"]'
TIMEOUT_MS = 90_000


def _metric(page, label: str) -> str:
    return page.locator(f'[data-testid="stMetric"]:has-text("{label}") [data-testid="stMetricValue"]').first \
        .inner_text().strip()


def _wait_metric(page, label: str, value: str, timeout_s: float = 20) -> None:
    deadline = time.monotonic() + timeout_s
    while _metric(page, label) != value:
        assert time.monotonic() < deadline, f"{label}: {_metric(page, label)}, not {value}"
        time.sleep(0.1)


def _send(page, value: int, send: str) -> None:
    page.wait_for_selector(IDLE)
    page.locator('[data-testid="stNumberInput"] input').first.fill(str(value))
    page.get_by_role("button", name=send).click()
    page.wait_for_selector(IDLE)


@pytest.mark.slow
def test_an_instructor_and_three_students_in_three_languages(tmp_path, monkeypatch):
    if not chromium_available():
        if must_have():
            pytest.fail("Debian chromium is required here (apt-get install -y chromium)", pytrace=False)
        pytest.skip("Debian chromium is not installed (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    from cnnviz.classroom import questions, rooms, store

    monkeypatch.setenv("CNNVIZ_DATA_DIR", str(tmp_path / "data"))  # the server's SQLite, read here too
    monkeypatch.delenv("CNNVIZ_DATABASE_URL", raising=False)
    with app_server(timeout=120) as (url, _), sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        pages = []
        try:
            instructor = browser.new_context(viewport={"width": 1280, "height": 720}, locale="en-US").new_page()
            pages.append(instructor)
            instructor.set_default_timeout(TIMEOUT_MS)
            instructor.goto(f"{url}/class")
            instructor.get_by_role("button", name="Start a class").click()
            instructor.wait_for_url(re.compile(r"room=\w{6}&key="))
            code = re.search(r"room=(\w{6})", instructor.url).group(1)
            key = re.search(r"key=([^&]+)", instructor.url).group(1)
            instructor.get_by_text("Phones follow my walk").click()
            instructor.wait_for_selector(IDLE)

            students = {}
            for name, options in (("zh", {"locale": "zh-CN"}), ("ko", {"locale": "ko-KR"}),
                                  ("phone", {"locale": "en-US", "viewport": {"width": 390, "height": 844},
                                             "is_mobile": True, "has_touch": True, "device_scale_factor": 3})):
                page = browser.new_context(**options).new_page()
                page.set_default_timeout(TIMEOUT_MS)
                page.goto(f"{url}/class?room={code}")
                pages.append(page)
                students[name] = page
            students["zh"].get_by_text("你已加入").wait_for()
            students["ko"].get_by_text("참여했습니다").wait_for()
            students["phone"].get_by_text("You are in").wait_for()
            _wait_metric(instructor, "Joined", "3")

            # Follow mode: the instructor walks VGG-16 (the page "VGG") in the same tab; the phones show the step.
            instructor.get_by_test_id("stSidebarNav").get_by_role("link", name="VGG", exact=True).click()
            instructor.get_by_role("heading", name="VGG", exact=True).wait_for()
            instructor.wait_for_selector(IDLE)
            instructor.get_by_role("button", name="Next").click()
            instructor.wait_for_selector(IDLE)
            students["phone"].get_by_text(re.compile(r"step 2 of \d+")).wait_for(timeout=20_000)
            students["zh"].get_by_text(re.compile(r"第 2 步")).wait_for(timeout=20_000)
            students["ko"].get_by_text(re.compile(r"2단계")).wait_for(timeout=20_000)
            instructor.get_by_role("button", name="Next").click()
            students["phone"].get_by_text(re.compile(r"step 3 of \d+")).wait_for(timeout=20_000)
            assert students["phone"].evaluate("document.documentElement.scrollWidth") <= 390 + 1, \
                "the followed step is wider than the phone"
            instructor.get_by_role("button", name="Back").click()  # to CONV1_2: a padded convolution
            instructor.wait_for_selector(IDLE)
            students["phone"].get_by_text(re.compile(r"step 2 of \d+")).wait_for(timeout=20_000)

            # Back to the class: the question comes from the step the instructor is on.
            instructor.get_by_test_id("stSidebarNav").get_by_role("link", name="Live class", exact=True).click()
            instructor.get_by_role("button", name="Ask the room").click()
            instructor.get_by_text("Question 1").first.wait_for()
            store.use_engine(store.make_engine())
            try:
                view = rooms.projector(code, key)
            finally:
                store.use_engine(None)
            asked = questions.build(view.spec)
            assert view.spec["source"]["model"] == "vgg16" and view.spec["source"]["step"] == 2
            right = int(asked.right())
            slipped = dataclasses.replace(asked.question, padding=0, padding_after=0).output_size
            assert slipped != right

            students["zh"].get_by_text("第 1 题").wait_for(timeout=20_000)
            _send(students["zh"], slipped, "发送")
            students["ko"].get_by_text("문제 1").wait_for(timeout=20_000)
            _send(students["ko"], right, "보내기")
            students["phone"].get_by_text("Question 1").wait_for(timeout=20_000)
            _send(students["phone"], right + 1, "Send")
            _send(students["phone"], right, "Send")  # changed while open
            students["phone"].get_by_text(f"Your answer {right} is in").wait_for()
            _wait_metric(instructor, "Answered", "3", timeout_s=10)

            instructor.get_by_role("button", name="Reveal").click()
            instructor.get_by_text(f"Right answer: {right} (2 of 3 right)").wait_for()
            instructor.get_by_text("1 forgot the padding").wait_for()
            students["zh"].get_by_text("填充").first.wait_for(timeout=20_000)  # their own slip, in Chinese
            students["ko"].get_by_text(f"내 답: {right} — 정답입니다").wait_for(timeout=20_000)
            for page in pages:
                assert page.locator(ERROR_BOX).count() == 0, page.locator(ERROR_BOX).all_inner_texts()
            instructor.screenshot(path=tmp_path / "projector.png")
            students["phone"].screenshot(path=tmp_path / "phone.png", full_page=True)
        except Exception:
            for number, page in enumerate(pages):
                page.screenshot(path=tmp_path / f"failure-{number}.png", full_page=True)
            raise
        finally:
            browser.close()
