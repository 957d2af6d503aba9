"""A live class in headless Chromium: an instructor and three students (Chinese, Korean, and a 390x844 phone).
A multiple-choice question of the instructor's own is answered on the phone and revealed; follow mode moves the
phones when the instructor steps the walk, and the phone lands on the step; a question from that step reaches the
phones, answers reach the projector, the reveal groups a planted slip, and the student who made it reads why in
Chinese."""

from __future__ import annotations

import contextlib
import dataclasses
import re
import time

import pytest

from tests.browser import CHROMIUM, CHROMIUM_ARGS, app_server, chromium_available
from tests.required import must_have

IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
ERROR_BOX = '[data-testid="stException"], [data-testid="stAlertContentError"]'
TIMEOUT_MS = 90_000
STUDENT_MS = 60_000  # a phone polls every 2 s; on two loaded cores, with the server warming up, it answers later


def _metric(page, label: str) -> str:
    return page.locator(f'[data-testid="stMetric"]:has-text("{label}") [data-testid="stMetricValue"]').first \
        .inner_text().strip()


def _wait_metric(page, label: str, value: str, timeout_s: float = 20) -> None:
    deadline = time.monotonic() + timeout_s
    while _metric(page, label) != value:
        assert time.monotonic() < deadline, f"{label}: {_metric(page, label)}, not {value}"
        time.sleep(0.1)


def _near_the_top(page, locator, what: str) -> None:
    """``locator`` is at the top of the window, just below Streamlit's header: the page landed on it."""
    locator.wait_for()
    try:
        page.wait_for_function("""(e) => { const top = e.getBoundingClientRect().top;
            const header = document.querySelector('[data-testid="stHeader"]').getBoundingClientRect().bottom;
            return top >= header && top <= header + 100; }""", arg=locator.element_handle(), polling=100,
                               timeout=15_000)
    except Exception:  # noqa: BLE001 — said with where it is
        raise AssertionError(f"{what} is not at the top of the window: {locator.bounding_box()}") from None


def _need(*programs: tuple[bool, str]) -> None:
    """Skip where a program is missing (``programs``: whether it is there, its Debian package); fail where this
    machine must have it (``tests.required``)."""
    missing = " ".join(package for there, package in programs if not there)
    if missing and must_have():
        pytest.fail(f"required here, not installed: {missing} (apt-get install -y {missing})", pytrace=False)
    if missing:
        pytest.skip(f"not installed: {missing} (apt-get install -y {missing})")


@contextlib.contextmanager
def _browser(playwright, tmp_path):
    """Headless chromium and the list of the pages the test opens in it: each one's screenshot on a failure."""
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    pages = []
    try:
        yield browser, pages
    except Exception:
        for number, page in enumerate(pages):
            page.screenshot(path=tmp_path / f"failure-{number}.png", full_page=True)
        raise
    finally:
        browser.close()


def _no_error_box(pages) -> None:
    for page in pages:
        assert page.locator(ERROR_BOX).count() == 0, page.locator(ERROR_BOX).all_inner_texts()


def _send(page, value: int, send: str) -> None:
    page.wait_for_selector(IDLE)
    page.locator('[data-testid="stNumberInput"] input').first.fill(str(value))
    page.get_by_role("button", name=send).click()
    page.wait_for_selector(IDLE)


@pytest.mark.slow
def test_an_instructor_and_three_students_in_three_languages(tmp_path, monkeypatch):
    _need((chromium_available(), "chromium"))
    from playwright.sync_api import sync_playwright

    from cnnviz import i18n
    from cnnviz.classroom import questions, rooms, store

    monkeypatch.setenv("CNNVIZ_DATA_DIR", str(tmp_path / "data"))  # the server's SQLite, read here too
    monkeypatch.delenv("CNNVIZ_DATABASE_URL", raising=False)
    with app_server(timeout=120) as (url, _), sync_playwright() as playwright, \
            _browser(playwright, tmp_path) as (browser, pages):
        instructor = browser.new_context(viewport={"width": 1280, "height": 720}, locale="en-US").new_page()
        pages.append(instructor)
        instructor.set_default_timeout(TIMEOUT_MS)
        instructor.goto(f"{url}/class")
        instructor.get_by_role("button", name="Start a class").click()
        instructor.wait_for_url(re.compile(r"room=\w{6}&key="))
        code = re.search(r"room=(\w{6})", instructor.url).group(1)
        key = re.search(r"key=([^&]+)", instructor.url).group(1)
        instructor.get_by_text("Phones follow my walk").click()

        students = {}
        for name, options in (("zh", {"locale": "zh-CN"}), ("ko", {"locale": "ko-KR"}),
                              ("phone", {"locale": "en-US", "viewport": {"width": 390, "height": 844},
                                         "is_mobile": True, "has_touch": True, "device_scale_factor": 3})):
            page = browser.new_context(**options).new_page()
            page.set_default_timeout(TIMEOUT_MS)
            page.goto(f"{url}/class?room={code}", wait_until="commit")  # the three load together
            pages.append(page)
            students[name] = page
        students["zh"].get_by_text("你已加入").wait_for()
        students["ko"].get_by_text("참여했습니다").wait_for()
        students["phone"].get_by_text("You are in").wait_for()
        _wait_metric(instructor, "Joined", "3")

        # The instructor's own multiple-choice question, answered by a tap on the phone.
        instructor.get_by_role("radio", name="Your own question").click()
        instructor.get_by_label("Your question").fill("Which layer of VGG-16 has no weights?")
        instructor.get_by_text("a choice", exact=True).click()
        instructor.get_by_label("Choices, one per line").fill("CONV1_1\nPOOL1\nFC6")
        instructor.get_by_label("Number of the right choice").fill("2")
        instructor.get_by_label("Number of the right choice").press("Enter")
        instructor.wait_for_selector(IDLE)
        instructor.get_by_role("button", name="Ask the room").click()
        instructor.get_by_text("Which layer of VGG-16 has no weights?").first.wait_for()
        students["phone"].get_by_role("button", name="B. POOL1").click()
        students["phone"].get_by_text("Your answer B. POOL1 is in").wait_for()
        students["zh"].get_by_role("button", name="A. CONV1_1").click()
        _wait_metric(instructor, "Answered", "2")
        instructor.get_by_role("button", name="Reveal").click()
        instructor.get_by_text("Right answer: B. POOL1 (1 of 2 right)").wait_for()
        students["phone"].get_by_text("Your answer B. POOL1 is right.").wait_for(timeout=STUDENT_MS)
        students["zh"].get_by_text("你的答案 A. CONV1_1 不对。").wait_for(timeout=STUDENT_MS)

        # Follow mode: the instructor walks VGG-16 (the page "VGG") in the same tab; the phones show the step,
        # and the phone, below the revealed question, lands on it.
        instructor.get_by_test_id("stSidebarNav").get_by_role("link", name="VGG", exact=True).click()
        instructor.get_by_role("heading", name="VGG", exact=True).wait_for()
        instructor.wait_for_selector(IDLE)
        instructor.get_by_role("button", name="Next").click()  # to CONV1_2: a padded convolution
        instructor.wait_for_selector(IDLE)
        followed = students["phone"].get_by_text(re.compile(r"On the projector: .* step 2 of \d+"))
        _near_the_top(students["phone"], followed, "the projector's step on the phone")
        students["zh"].get_by_text(re.compile(r"第 2 步")).wait_for(timeout=STUDENT_MS)
        students["ko"].get_by_text(re.compile(r"2단계")).wait_for(timeout=STUDENT_MS)
        assert students["phone"].evaluate("document.documentElement.scrollWidth") <= 390 + 1, \
            "the followed step is wider than the phone"

        # Back to the class: the question comes from the step the instructor is on.
        instructor.get_by_test_id("stSidebarNav").get_by_role("link", name="Live class", exact=True).click()
        instructor.get_by_role("button", name="Ask the room").wait_for()
        instructor.wait_for_selector(IDLE)
        if instructor.get_by_role("radio", name="A walk step", checked=False).count():  # kept its last source
            instructor.get_by_role("radio", name="A walk step").click()
            instructor.wait_for_selector(IDLE)
        instructor.get_by_role("button", name="Ask the room").click()
        instructor.get_by_text("Question 2").first.wait_for()
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
        i18n.use("zh")
        why = asked.explanation(str(slipped)).split("：")[0].split(":")[0]  # its first clause, in Chinese
        i18n.use(i18n.DEFAULT)

        _near_the_top(students["phone"], students["phone"].get_by_role("heading", name="Question 2"),
                      "the new question on the phone")
        students["zh"].get_by_text("第 2 题").wait_for(timeout=STUDENT_MS)
        _send(students["zh"], slipped, "发送")
        students["ko"].get_by_text("문제 2").wait_for(timeout=STUDENT_MS)
        _send(students["ko"], right, "보내기")
        _send(students["phone"], right + 1, "Send")
        _send(students["phone"], right, "Send")  # changed while open
        students["phone"].get_by_text(f"Your answer {right} is in").wait_for()
        _wait_metric(instructor, "Answered", "3", timeout_s=10)

        instructor.get_by_role("button", name="Reveal").click()
        instructor.get_by_text(f"Right answer: {right} (2 of 3 right)").wait_for()
        instructor.get_by_text("1 forgot the padding").wait_for()
        students["zh"].get_by_text(why).first.wait_for(timeout=STUDENT_MS)  # their own slip, in Chinese
        students["ko"].get_by_text(f"내 답: {right} — 정답입니다").wait_for(timeout=STUDENT_MS)
        _no_error_box(pages)
        instructor.screenshot(path=tmp_path / "projector.png")
        students["phone"].screenshot(path=tmp_path / "phone.png", full_page=True)


@pytest.mark.slow
def test_a_postgresql_restart_mid_question_says_reconnecting_and_loses_no_answer(tmp_path, monkeypatch):
    """One app server on PostgreSQL, a projector and a phone on an open question; the database stops and starts
    again: both pages say "reconnecting" (never an error box), the answer the phone sent while it was down is
    counted once it is back, and both pages carry on without a reload."""
    from tests import postgres

    _need((chromium_available(), "chromium"), (postgres.binaries() is not None, "postgresql"))
    from playwright.sync_api import sync_playwright

    from cnnviz.classroom import rooms, store

    with postgres.cluster() as pg:
        monkeypatch.setenv("CNNVIZ_DATABASE_URL", pg.new_database())  # the app server inherits it
        engine = store.make_engine()
        store.use_engine(engine)
        try:
            room = rooms.start_class("test")
            rooms.ask(room.code, room.key, {"kind": "output_size", "W": 224, "F": 7, "P": 3, "S": 2})  # 112
            with app_server(timeout=120) as (url, _), sync_playwright() as playwright, \
                    _browser(playwright, tmp_path) as (browser, pages):
                projector = browser.new_context(viewport={"width": 1280, "height": 720}).new_page()
                phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True,
                                            has_touch=True).new_page()
                pages += [projector, phone]
                for page, link in ((projector, f"{url}/class?room={room.code}&key={room.key}"),
                                   (phone, f"{url}/class?room={room.code}")):
                    page.set_default_timeout(TIMEOUT_MS)
                    page.goto(link, wait_until="commit")
                phone.locator('[data-testid="stNumberInput"] input').first.wait_for()
                _wait_metric(projector, "Joined", "1")

                pg.stop()  # then started again below: a restart, long enough for the pages to notice
                for page in pages:  # the pages poll every 1-2 s; a server still warming up answers later
                    page.get_by_text("Reconnecting to the class").first.wait_for(timeout=60_000)
                _send(phone, 112, "Send")  # while the database is down
                phone.get_by_text("Your answer is kept").wait_for()
                _no_error_box(pages)
                pg.start()

                phone.get_by_text("Your answer 112 is in").wait_for(timeout=60_000)  # no reload, no resend
                _wait_metric(projector, "Answered", "1")
                for page in pages:
                    page.get_by_text("Reconnecting to the class").wait_for(state="detached", timeout=30_000)
                _no_error_box(pages)
                assert rooms.projector(room.code, room.key).answered == 1
                projector.get_by_role("button", name="Reveal").click()
                projector.get_by_text("Right answer: 112 (1 of 1 right)").wait_for()
                phone.get_by_text("Your answer 112 is right.").wait_for(timeout=STUDENT_MS)
        finally:
            store.use_engine(None)
            engine.dispose()
