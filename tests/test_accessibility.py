"""WCAG 2.1 A and AA in headless Debian chromium: axe-core over every page of the app in English, Chinese and
Korean, each page fully drawn. Any critical or serious finding of ours fails, and so does any heading-order or
empty-table-header finding (best practices that axe does not tag WCAG). Streamlit's own findings are listed apart
(``STREAMLIT_OWN``), each matched by its rule and the element it is on, never by turning a rule off.

One browser with a tab per language; the three go from page to page together by the sidebar's links, as a reader
does, so that one tab's checks run while the server draws another's page. The first page of each language is checked
whole; the others' main area (the sidebar is the same on every page)."""

from __future__ import annotations

import os
import time

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.browser import CHROMIUM, CHROMIUM_ARGS, chromium_available
from ui.accessibility import DOCUMENT_LANGUAGES, MARK
from ui.catalog import page_groups

pytestmark = pytest.mark.slow

if not chromium_available():
    if os.environ.get("CNNVIZ_REQUIRE_BROWSER"):
        raise RuntimeError("chromium is required here (apt-get install -y chromium)")
    pytest.skip("Debian chromium is not installed (apt-get install -y chromium)", allow_module_level=True)

WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
ALSO_CHECKED = ("heading-order", "empty-table-header")  # named by the requirement; axe tags them best practice
FAILING_IMPACTS = ("critical", "serious")

# (rule, CSS selector the flagged element matches, why it is Streamlit's and not ours)
STREAMLIT_OWN = [
    ("list", '[data-testid="stSidebarNavItems"]',
     "Streamlit's grouped navigation puts its group headers (div) straight inside its <ul>; a bare Streamlit app "
     "with st.navigation groups shows the same"),
    ("listitem", '[data-testid="stSidebarNavItems"] li',
     "the same navigation: its <li> items sit in those group divs, not directly in the <ul>"),
]

# The page is fully drawn: the script has finished, no element is stale (left from the run before), no spinner or
# skeleton, every chart drawn and every picture loaded, and the title is this page's.
DRAWN = """before => {
  const app = document.querySelector('[data-testid="stApp"]');
  if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
  const title = document.querySelector('[data-testid="stMain"] h1');
  if (!title || !title.textContent.trim() || title.textContent === before) return false;
  if (document.querySelector('[data-stale="true"], [data-testid="stSpinner"], [data-testid="stSkeleton"]'))
    return false;
  for (const chart of document.querySelectorAll('[data-testid="stPlotlyChart"]'))
    if (!chart.querySelector('.main-svg')) return false;
  for (const chart of document.querySelectorAll('[data-testid="stGraphVizChart"]'))
    if (!chart.querySelector('svg')) return false;
  return [...document.querySelectorAll('[data-testid="stMain"] img')].every(picture => picture.complete);
}"""

DRAWN_WITHIN_MS = 60_000

# A data grid writes the table that screen readers read (and axe checks) once it has been on screen: each grid is
# scrolled into view until it has one, then the page back to its top.
SHOW_GRIDS = """async () => {
  const grids = [...document.querySelectorAll('[data-testid="stDataFrame"]')]
    .filter(grid => grid.checkVisibility() && !grid.querySelector('table'));
  for (const grid of grids) {
    grid.scrollIntoView({block: 'center'});
    for (let wait = 0; wait < 50 && !grid.querySelector('table'); wait++) await new Promise(go => setTimeout(go, 20));
  }
  if (grids.length) document.querySelector('[data-testid="stMain"]').scrollTo(0, 0);
}"""

# axe.run in the page; each finding's nodes come back with the index of the STREAMLIT_OWN entry they match (-1: none)
# and the test id of the nearest Streamlit element around them. axe gives the elements themselves (elementRef) rather
# than a CSS selector for each, which it takes long to build on a page this size.
RUN_AXE = """async ([context, options, own]) => {
  const results = await axe.run(context || document, options);
  return results.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n => {
      const element = n.element;
      const match = own.findIndex(([rule, selector]) => rule === v.id && element && element.matches(selector));
      const around = element && element.closest('[data-testid]');
      return {html: n.html.slice(0, 160), own: match, impact: n.impact || v.impact,
              inside: around ? around.getAttribute('data-testid') : ''};
    }),
  }));
}"""


def _options() -> dict:
    return {"runOnly": {"type": "tag", "values": WCAG_21_AA},
            "rules": {rule: {"enabled": True} for rule in ALSO_CHECKED}, "resultTypes": ["violations"],
            "elementRef": True, "selectors": False}


def _paths() -> list[str]:
    return [entry.url_path for group in page_groups().values() for entry in group]


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def axe_source() -> str:
    from axe_playwright_python.sync_playwright import Axe

    return Axe().axe_script


def _drawn(page, before: str | None) -> None:
    page.wait_for_function(DRAWN, arg=before, timeout=DRAWN_WITHIN_MS, polling=50)


def _title(page) -> str:
    return page.locator('[data-testid="stMain"] h1').first.text_content()


def _start_check(page, axe_source: str, whole: bool) -> None:
    """axe on the whole page, or on its main area, started and left running (``_findings`` collects it): the three
    languages' tabs check at the same time, each in its own browser process."""
    if not page.evaluate("() => typeof axe !== 'undefined'"):
        page.evaluate(axe_source)
    context = None if whole else {"include": [['[data-testid="stMain"]']]}
    page.evaluate(f"args => {{ window.cnnvizAxe = ({RUN_AXE})(args); }}",
                  [context, _options(), [list(own[:2]) for own in STREAMLIT_OWN]])


def _findings(page) -> list[dict]:
    return page.evaluate("() => window.cnnvizAxe")


def _ours(finding: dict, node: dict) -> bool:
    return node["own"] < 0 and (node["impact"] in FAILING_IMPACTS or finding["id"] in ALSO_CHECKED)


def walk(tabs: dict, app_url: str, axe_source: str):
    """Every page in each language (``tabs``: language -> its browser tab), the tabs in step, each going from page
    to page by the sidebar's links. For each language: (page, finding, node) for each node of each finding, the
    document's language on each page; and the seconds each page took in all languages together."""
    found = {language: [] for language in tabs}
    languages = {language: {} for language in tabs}
    seconds, before = {}, dict.fromkeys(tabs)
    for index, path in enumerate(_paths()):
        started = time.perf_counter()
        for language, page in tabs.items():
            if index == 0:
                page.goto(f"{app_url}/{path}?lang={language}", wait_until="commit")
            else:
                page.get_by_test_id("stSidebarNav").locator(f"a[href$='/{path}']").click()
        for language, page in tabs.items():
            try:
                _drawn(page, before[language])
            except PlaywrightTimeout:
                pytest.fail(f"/{path}?lang={language} was not drawn within {DRAWN_WITHIN_MS / 1000:.0f} s")
            before[language] = _title(page)
            languages[language][path] = page.evaluate("document.documentElement.lang")
            page.evaluate(SHOW_GRIDS)
            _start_check(page, axe_source, whole=index == 0)
        for language, page in tabs.items():
            found[language] += [(path, finding, node) for finding in _findings(page) for node in finding["nodes"]]
        seconds[path] = time.perf_counter() - started
    return found, languages, seconds


def test_every_page_meets_wcag_21_aa_in_every_language_and_says_which(app_url, browser, axe_source):
    contexts = {language: browser.new_context(viewport={"width": 1400, "height": 1000})
                for language in DOCUMENT_LANGUAGES}
    try:
        found, languages, seconds = walk({language: context.new_page() for language, context in contexts.items()},
                                         app_url, axe_source)
    finally:
        for context in contexts.values():
            context.close()
    slowest = ", ".join(f"{path} {seconds[path]:.1f} s" for path in sorted(seconds, key=seconds.get)[-3:])
    print(f"\n{len(seconds)} pages in {len(found)} languages in {sum(seconds.values()):.1f} s (slowest {slowest})")
    ours = []
    for language, nodes in found.items():
        streamlits = sorted({(finding["id"], node["own"]) for _path, finding, node in nodes if node["own"] >= 0})
        print(f"{language}: Streamlit's own findings: "
              + "; ".join(f"{rule}: {STREAMLIT_OWN[own][2]}" for rule, own in streamlits))
        ours += [f"{language} /{path}: {finding['id']} ({node['impact']}) {finding['help']}: in {node['inside']}: "
                 f"{node['html']}" for path, finding, node in nodes if _ours(finding, node)]
    assert {language: set(pages.values()) for language, pages in languages.items()} == \
        {language: {tag} for language, tag in DOCUMENT_LANGUAGES.items()}, languages
    assert not ours, f"{len(ours)} findings:\n" + "\n".join(ours)


def test_the_document_language_follows_the_switch_and_its_element_takes_no_room(app_url, browser):
    """The script that sets the language lives in the run's one style element, placed in the page: its container
    is hidden, so the page's first element starts where it did; a switch of language in the sidebar re-runs it."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    try:
        page.goto(f"{app_url}/lab-lrn")
        _drawn(page, None)
        assert page.evaluate("document.documentElement.lang") == "en"
        hidden = page.evaluate("""mark => {
            const container = document.getElementById(mark).closest('[data-testid="stElementContainer"]');
            return [getComputedStyle(container).display, container.getBoundingClientRect().height];
        }""", MARK)
        assert hidden == ["none", 0], hidden
        for language, name in (("zh", "中文"), ("ko", "한국어"), ("en", "English")):
            before = _title(page)
            page.get_by_test_id("stSidebar").get_by_text(name, exact=True).click()
            _drawn(page, before)
            assert page.evaluate("document.documentElement.lang") == DOCUMENT_LANGUAGES[language]
    finally:
        context.close()
