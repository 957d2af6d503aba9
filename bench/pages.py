"""How fast every page of the app is fully drawn in a real browser, beside a bare Streamlit app.

Run: python bench/pages.py [--only PATH ...]   (needs Debian chromium)

Every figure is timed until the page is **fully drawn**, what a student waits for: the script has finished, no
element is stale (left from the page before), no spinner or progress bar, every chart drawn (plotly's SVG, the
layer graph's SVG, a data frame's canvas), every image loaded, and nothing moved for two frames. The time until the
page's title is drawn is printed beside it (what this bench measured before: a title alone is not a page).
Each figure is printed with the same measurement of a bare two-page Streamlit app in the same run, and its goal
(a multiple of bare Streamlit):
- cold start: ``streamlit run`` to the home page drawn;
- in-app navigation on a warm server (its warm-up done): a click on a sidebar link to that page fully drawn, every
  page once, in the sidebar's order; each click waits until the page before is fully drawn and the browser idle;
- a page link in a new tab (what a shared link, a QR code or a projector's refresh does), every page once.
Cold starts and new tabs are timed twice: in a browser that has opened the app before (an instructor's or a
student's second visit: its cache holds Streamlit's scripts), and in one that never has (a new profile, which
downloads and compiles them first).
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import tempfile
import textwrap
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._sessions import warm_up_seconds  # noqa: E402
from tests.browser import CHROMIUM, CHROMIUM_ARGS, app_server, free_port  # noqa: E402
from ui.catalog import page_groups  # noqa: E402

# (median, slowest) as multiples of bare Streamlit's median, measured the same way in the same run.
GOALS = {"cold start": (2.5, None), "in-app navigation": (2.0, 6.0), "page link in a new tab": (1.3, 2.0)}
BROWSERS = {"seen": "browser that opened the app before", "new": "browser new to the app"}
VIEWPORT = {"width": 1400, "height": 1000}
WARM_UP_LIMIT_S = 300
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'

BARE_APP = """
import streamlit as st
st.navigation([st.Page("one.py", title="One", url_path="one", default=True),
               st.Page("two.py", title="Two", url_path="two")]).run()
"""
BARE_TITLES = {"one": "One", "two": "Two"}
BARE_PAGE = 'import streamlit as st\nst.title("{title}")\nst.write("A bare Streamlit page.")\n'


def _title_drawn(page, timeout_ms: int = 60_000, before: str | None = None) -> None:
    """The page's first heading is there (and is not the previous page's) and its script has finished."""
    page.wait_for_function(
        """([idle, before]) => {
             const h = document.querySelector('[data-testid="stMain"] h1');
             return h && h.textContent.trim() && h.textContent !== before && document.querySelector(idle);
           }""", arg=[IDLE, before], timeout=timeout_ms, polling=25)


FULLY_DRAWN = """([idle, before]) => {
  const main = document.querySelector('[data-testid="stMain"]');
  const h = main && main.querySelector('h1');
  if (!h || !h.textContent.trim() || h.textContent === before || !document.querySelector(idle)) return false;
  if (main.querySelector('[data-stale="true"], [data-testid="stSpinner"], [data-testid="stSkeleton"], '
                         + '[data-testid="stProgress"]')) return false;
  // A closed expander's or another tab's content is drawn when opened: not waited for.
  const shown = (e) => e.offsetParent !== null && !e.closest('details:not([open])');
  const drawn = [['[data-testid="stPlotlyChart"]', '.main-svg'], ['[data-testid="stGraphVizChart"]', 'svg'],
                 ['[data-testid="stDataFrame"]', 'canvas'], ['[data-testid="stVegaLiteChart"]', 'svg, canvas']];
  for (const [chart, picture] of drawn)
    for (const e of main.querySelectorAll(chart)) if (shown(e) && !e.querySelector(picture)) return false;
  for (const img of main.querySelectorAll('img')) if (shown(img) && !(img.complete && img.naturalWidth)) return false;
  const size = main.scrollHeight;  // nothing moved over two frames (a chart growing into its place, a late element)
  if (window.__cnnvizSize !== size) { window.__cnnvizSize = size; window.__cnnvizSince = performance.now(); }
  return performance.now() - window.__cnnvizSince >= 33;
}"""


def _fully_drawn(page, timeout_ms: int = 90_000, before: str | None = None) -> float:
    """Wait until the page is fully drawn (the module's doc); the seconds from the call until its title was drawn."""
    started = time.perf_counter()
    _title_drawn(page, timeout_ms, before)
    titled = time.perf_counter() - started
    page.wait_for_function(FULLY_DRAWN, arg=[IDLE, before], timeout=timeout_ms, polling="raf")
    return titled


def _settled(page) -> None:
    """The browser has nothing left to draw or fetch: its main thread is idle and the network quiet."""
    page.wait_for_load_state("networkidle")
    page.evaluate("() => new Promise(done => requestIdleCallback(() => done(), {timeout: 5000}))")


def _heading(page) -> str:
    return page.locator('[data-testid="stMain"] h1').first.text_content()


@contextlib.contextmanager
def _tab(browser, seen_by):
    """A new tab: in the context ``seen_by`` (a browser that opened the app before), or in a new context."""
    if seen_by is not None:
        page = seen_by.new_page()
        yield page
        page.close()
        return
    context = browser.new_context(viewport=VIEWPORT)
    yield context.new_page()
    context.close()


def cold_start(browser, server, port: int, seen_by=None) -> float:
    with server(port=port) as (url, server_seconds), _tab(browser, seen_by) as page:
        started = time.perf_counter()
        page.goto(url)
        _fully_drawn(page)
        return server_seconds + time.perf_counter() - started


def cold_starts(browser, rounds: int = 3) -> dict[tuple[str, str], list[float]]:
    """(app, browser kind) -> seconds, the four kinds interleaved round by round. Each app keeps its port, so that a
    browser that opened it before finds its cache (as an instructor's browser does after a restart)."""
    seconds: dict[tuple[str, str], list[float]] = {}
    servers = {"cnnviz": (app_server, free_port()), "bare": (bare_server, free_port())}
    seen = {app: browser.new_context(viewport=VIEWPORT) for app in servers}
    for app, (server, port) in servers.items():  # the first visit, which fills the cache
        cold_start(browser, server, port, seen[app])
    for _ in range(rounds):
        for app, (server, port) in servers.items():
            for kind in BROWSERS:
                seconds.setdefault((app, kind), []).append(
                    cold_start(browser, server, port, seen[app] if kind == "seen" else None))
    for context in seen.values():
        context.close()
    return seconds


def navigation(browser, url: str, paths: list[str], titles: dict[str, str]) -> list[tuple[str, float]]:
    """One click per page, each from the page before it: (page, seconds until fully drawn) in the order clicked."""
    page = browser.new_page(viewport=VIEWPORT)
    page.goto(url)
    _fully_drawn(page)
    seconds = []
    for path in paths:
        _settled(page)
        before = _heading(page)
        link = page.get_by_test_id("stSidebarNav").get_by_role("link", name=titles[path], exact=True)
        clicked = time.perf_counter()
        link.click()
        titled = _fully_drawn(page, before=before)
        seconds.append((path, time.perf_counter() - clicked))
        print(f"  click  {titles.get(path, path):34s} {seconds[-1][1]:5.2f} s (title {titled:.2f} s)", flush=True)
    page.close()
    return seconds


def new_tabs(browser, url: str, paths: list[str], titles: dict[str, str]) -> dict[str, dict[str, float]]:
    """Browser kind -> page -> seconds: each page in a new tab of a browser that opened the app before, then in a
    browser new to the app."""
    seen_by = browser.new_context(viewport=VIEWPORT)
    with _tab(browser, seen_by) as page:
        page.goto(url)
        _fully_drawn(page)
    seconds: dict[str, dict[str, float]] = {kind: {} for kind in BROWSERS}
    for path in paths:
        titled = {}
        for kind in BROWSERS:
            with _tab(browser, seen_by if kind == "seen" else None) as page:
                opened = time.perf_counter()
                page.goto(f"{url}/{path}")
                titled[kind] = _fully_drawn(page)
                seconds[kind][path] = time.perf_counter() - opened
        print(f"  link   {titles.get(path, path):34s} " + ", ".join(
            f"{seconds[kind][path]:5.2f} s ({kind}; title {titled[kind]:.2f} s)" for kind in BROWSERS), flush=True)
    seen_by.close()
    return seconds


@contextlib.contextmanager
def bare_server(port: int | None = None):
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "app.py").write_text(textwrap.dedent(BARE_APP))
        for name in ("one", "two"):
            (root / f"{name}.py").write_text(BARE_PAGE.format(title=name.title()))
        with app_server(root=root, port=port) as served:
            yield served


def _line(name: str, ours: list[float], bare: list[float], worst: str = "", kind: str = "") -> None:
    median_goal, max_goal = GOALS[name]
    name = f"{name}, {BROWSERS[kind]}" if kind else name
    median, bare_median = statistics.median(ours), statistics.median(bare)
    goal = f"goal median <= {median_goal:.1f}x" + (f", slowest <= {max_goal:.1f}x" if max_goal else "")
    met = median <= median_goal * bare_median and (max_goal is None or max(ours) <= max_goal * bare_median)
    slowest = f", slowest {max(ours):.2f} s = {max(ours) / bare_median:.1f}x ({worst})" if worst else ""
    print(f"{name:60s} median {median:5.2f} s = {median / bare_median:.1f}x{slowest}; bare Streamlit "
          f"{bare_median:.2f} s; {goal}: {'met' if met else 'NOT MET'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="URL paths to time (default: every page)")
    args = parser.parse_args()
    entries = [entry for group in page_groups().values() for entry in group]
    titles = {entry.url_path: entry.title for entry in entries}
    paths = args.only or [entry.url_path for entry in entries if entry.url_path != "home"]
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        print("cold start")
        cold = cold_starts(browser)
        for key, seconds in cold.items():
            print(f"  {key[0]:7s} {BROWSERS[key[1]]:36s} {', '.join(f'{s:.2f}' for s in seconds)} s")
        with bare_server() as (bare_url, _):
            bare_nav = [s for _, s in navigation(browser, bare_url, ["two", "one"] * 3, BARE_TITLES)]
            bare_tabs = new_tabs(browser, bare_url, ["one", "two"] * 3, BARE_TITLES)
        log = Path(tempfile.mkdtemp()) / "server.log"
        with app_server(log=log) as (url, _):
            warm = browser.new_page()
            warm.goto(url)
            _fully_drawn(warm)
            warm.close()
            print(f"server warm-up: {warm_up_seconds(log, WARM_UP_LIMIT_S)}")
            print("in-app navigation, warm server")
            clicks = dict(navigation(browser, url, paths, titles))
            print("page link in a new tab, same server")
            tabs = new_tabs(browser, url, paths, titles)
        browser.close()
    print()
    for kind in BROWSERS:
        _line("cold start", [statistics.median(cold["cnnviz", kind])], cold["bare", kind], kind=kind)
    _line("in-app navigation", list(clicks.values()), bare_nav, titles[max(clicks, key=clicks.get)])
    for kind in BROWSERS:
        _line("page link in a new tab", list(tabs[kind].values()), list(bare_tabs[kind].values()),
              titles[max(tabs[kind], key=tabs[kind].get)], kind)


if __name__ == "__main__":
    main()
