"""What bench/load.py's browser sessions share: the server's memory, one Chromium with a context per session,
waiting for a page to settle, and the texts and boxes a session saw."""

from __future__ import annotations

import asyncio
import contextlib
import re
import statistics
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from tests.browser import CHROMIUM, CHROMIUM_ARGS

IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
# An exception, or an st.error box (Streamlit names an alert's content by its kind).
ERROR_BOX = '[data-testid="stException"], [data-testid="stAlertContentError"]'
VIEWPORT = {"width": 1400, "height": 1000}


class ServerMemory:
    """Peak resident memory of the app server and its children, sampled in a thread every ``every_s`` seconds.

    Sampled, not read from the kernel's high-water mark: that exists per process only, and the server's
    children (graphviz's ``dot``) come and go."""

    def __init__(self, url: str, every_s: float = 0.2) -> None:
        self.process = _server_process(url)
        self.every_s = every_s
        self.peak = 0
        self.phases: dict[str, int] = {}  # each phase's peak, in the order the phases began
        self._phase = "start"
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def now(self) -> int:
        total = 0
        for process in [self.process, *self.process.children(recursive=True)]:
            with contextlib.suppress(psutil.Error):  # a child that ended between listing and reading
                total += process.memory_info().rss
        return total

    def new_phase(self, name: str) -> None:
        self._phase = name
        self.phases[name] = self.now()

    def phase_line(self) -> str:
        return "; ".join(f"{name} {gb(peak)}" for name, peak in self.phases.items())

    def _sample(self) -> None:
        while not self._stop.is_set():
            with contextlib.suppress(psutil.Error):
                rss, phase = self.now(), self._phase
                self.peak, self.phases[phase] = max(self.peak, rss), max(self.phases.get(phase, 0), rss)
            self._stop.wait(self.every_s)

    def __enter__(self) -> ServerMemory:
        self.peak = self.phases[self._phase] = self.now()
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def _server_process(url: str) -> psutil.Process:
    """The ``streamlit run`` that ``tests.browser.app_server`` started for ``url``: a child of this process."""
    port = url.rsplit(":", 1)[1]
    for process in psutil.Process().children(recursive=True):
        with contextlib.suppress(psutil.Error):
            command = process.cmdline()
            if "streamlit" in " ".join(command) and port in command:
                return process
    raise RuntimeError(f"no app server process for {url}")


def gb(size: int) -> str:
    return f"{size / 1e9:.2f} GB"


def one_line(error: BaseException) -> str:
    """A session's failure as one line (Playwright's messages run on for a dozen lines of call log)."""
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}"[:200]


@dataclass
class Session:
    """One student's browser context and page, and the watched texts its page ever showed."""
    number: int
    page: object
    context: object
    notes: dict = field(default_factory=dict)

    async def seen(self) -> set[str]:
        return set(await self.page.evaluate("Object.keys(window.__seen || {})"))


async def page_state(page) -> str:
    """What a page shows besides its content, in one line: the script's state, charts, notices and progress."""
    return await page.evaluate("""() => {
        const app = document.querySelector('[data-testid="stApp"]');
        const texts = [...document.querySelectorAll(
            '[data-testid="stAlert"], [data-testid="stSpinner"], [data-testid="stProgress"]')]
            .map((a) => a.innerText.replace(/\\s+/g, ' ').trim().slice(0, 90)).filter((t) => t);
        const charts = document.querySelectorAll('[data-testid="stPlotlyChart"]').length;
        return `script ${app && app.dataset.testScriptState}, ${charts} chart(s), notices [${texts.join(' | ')}]`;
    }""")


def _watch_script(texts: list[str]) -> str:
    """Remember every watched text that ever appears on the page, even for a moment (a retry notice)."""
    return """
    window.__seen = {};
    const watched = %s;
    const look = (text) => { for (const w of watched) if (text && text.includes(w)) window.__seen[w] = true; };
    new MutationObserver((records) => {
      for (const r of records) {
        if (r.type === 'characterData') look(r.target.textContent);
        for (const n of r.addedNodes) look(n.textContent);
      }
    }).observe(document, {childList: true, subtree: true, characterData: true});
    """ % repr(texts)


@contextlib.asynccontextmanager
async def chromium():
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            await browser.close()


async def open_session(browser, number: int, url: str, watched: list[str], timeout_s: float) -> Session:
    context = await browser.new_context(viewport=VIEWPORT, locale="en-US")
    await context.add_init_script(_watch_script(watched))
    page = await context.new_page()
    page.set_default_timeout(timeout_s * 1000)
    session = Session(number, page, context)
    await page.goto(url, timeout=timeout_s * 1000)
    await heading_drawn(page, None, timeout_s)
    return session


async def heading_drawn(page, title: str | None, timeout_s: float, before: str | None = None) -> None:
    """The page's title heading shows (``title``, or any that differs from ``before``) and its script finished."""
    await page.wait_for_function(
        """([idle, title, before]) => {
             const h = document.querySelector('[data-testid="stMain"] h1');
             if (!h) return false;
             const text = h.textContent.trim();
             return text && (title === null ? text !== before : text === title) && document.querySelector(idle);
           }""", arg=[IDLE, title, before], timeout=timeout_s * 1000, polling=100)


async def settle(page, timeout_s: float) -> None:
    await page.wait_for_selector(IDLE, timeout=timeout_s * 1000)


async def gather_limited(calls, at_once: int):
    """Run the coroutine functions in ``calls``, at most ``at_once`` at a time (opening 50 pages together on two
    cores only makes every one of them time out)."""
    gate = asyncio.Semaphore(at_once)

    async def limited(call):
        async with gate:
            return await call()

    return await asyncio.gather(*(limited(call) for call in calls), return_exceptions=True)


def seconds_line(label: str, seconds: list[float]) -> str:
    if not seconds:
        return f"{label}: none"
    return (f"{label}: median {statistics.median(seconds):.2f} s, max {max(seconds):.2f} s "
            f"({len(seconds)} timed)")


def warm_up_seconds(log: Path, limit_s: float) -> str:
    """Wait for the server's warm-up (imports, every page's first view) to finish; its time, from its log."""
    started = time.perf_counter()
    while time.perf_counter() - started < limit_s:
        found = re.search(r"warm-up finished in ([\d.]+) s", log.read_text())
        if found:
            return f"{found.group(1)} s after the first page"
        time.sleep(0.5)
    return f"not finished after {limit_s:.0f} s"


def clock() -> float:
    return time.perf_counter()
