"""Time every architecture page in a real browser: server start to home, click to interactive.

Run: python bench/pages.py   (needs Debian chromium). Prints one line per page and the summary figures.
"Interactive" means the script has finished and the page's first tab (the layer walk) is drawn.
Three figures: a cold server's start and home page; a first click made the moment the home page shows
(the process is still importing torch); and every page and heavy variant once the server has warmed up
(a few seconds after its first visitor), each page's caches still cold.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cnnviz.lectures.story import lecture  # noqa: E402
from cnnviz.zoo.registry import architectures  # noqa: E402
from tests.browser import app_server, browser_page, wait_until_idle  # noqa: E402
from ui.catalog import page_groups  # noqa: E402

HEAVY_VARIANTS = {"VGG": ("vgg16", "vgg19"), "ResNet": ("resnet50", "resnet152"),
                  "DenseNet": ("densenet121", "densenet264")}
WARM_UP_SECONDS = 6


def _ready(page, heading: str, text: str = "INPUT") -> None:
    page.get_by_role("heading", name=heading, exact=True).wait_for(timeout=60_000)
    wait_until_idle(page, 60_000)
    page.get_by_text(text, exact=False).first.wait_for(timeout=60_000)


def _open(page, title: str) -> float:
    clicked = time.perf_counter()
    page.get_by_test_id("stSidebarNav").get_by_role("link", name=title, exact=True).click()
    _ready(page, title)
    return time.perf_counter() - clicked


def _home(page, url: str) -> float:
    started = time.perf_counter()
    page.goto(url)
    page.get_by_role("heading", name="cnnviz").wait_for(timeout=60_000)
    return time.perf_counter() - started


def main() -> None:
    with app_server() as (url, server_seconds), browser_page() as page:
        home_seconds = server_seconds + _home(page, url)
        cold_click = _open(page, "LeNet-5")
    print(f"cold server: start + home page {home_seconds:.2f} s; first click at once (LeNet-5) {cold_click:.2f} s")

    timings: list[tuple[str, float]] = []
    with app_server() as (url, _), browser_page() as page:
        _home(page, url)
        time.sleep(WARM_UP_SECONDS)
        for entry in page_groups()["Architectures"]:
            if entry.url_path not in architectures():
                continue
            timings.append((entry.title, _open(page, entry.title)))
            print(f"{entry.title:28s} {timings[-1][1]:.2f} s")
            if entry.title in HEAVY_VARIANTS:
                default, variant = HEAVY_VARIANTS[entry.title]
                note = lecture(entry.url_path).variants[variant]
                clicked = time.perf_counter()
                page.get_by_test_id("stSelectbox").first.click()
                page.get_by_role("option", name=f"· {variant}", exact=False).first.click()
                _ready(page, entry.title, note[:40])
                timings.append((f"{entry.title}: {variant}", time.perf_counter() - clicked))
                print(f"{'  variant ' + variant:28s} {timings[-1][1]:.2f} s")
    seconds = [t for _, t in timings]
    worst = max(timings, key=lambda item: item[1])
    print(f"warm server, {len(seconds)} pages and variants: median {statistics.median(seconds):.2f} s; "
          f"max {worst[1]:.2f} s ({worst[0]})")


if __name__ == "__main__":
    main()
