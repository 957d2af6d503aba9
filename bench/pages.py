"""Time every architecture page in a real browser: server start to home, click to interactive.

Run: python bench/pages.py   (needs Debian chromium). Prints one line per page and the summary figures.
"Interactive" means the script has finished and the layer table is on screen. Caches start cold.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pages.catalog import page_groups  # noqa: E402
from tests.browser import app_server, browser_page, wait_until_idle  # noqa: E402

HEAVY_VARIANTS = {"VGG": "vgg19", "ResNet": "resnet152", "DenseNet": "densenet264"}


def _ready(page, heading: str) -> None:
    page.get_by_role("heading", name=heading, exact=True).wait_for(timeout=60_000)
    wait_until_idle(page, 60_000)
    page.get_by_test_id("stDataFrame").first.wait_for(timeout=60_000)


def main() -> None:
    timings: list[tuple[str, float]] = []
    with app_server() as (url, _), browser_page() as page:
        started = time.perf_counter()
        page.goto(url)
        page.get_by_role("heading", name="cnnviz").wait_for(timeout=60_000)
        print(f"home page shown {time.perf_counter() - started:.2f} s after navigation (server already up)")
    with app_server() as (url, server_seconds), browser_page() as page:
        started = time.perf_counter()
        page.goto(url)
        page.get_by_role("heading", name="cnnviz").wait_for(timeout=60_000)
        home_seconds = server_seconds + time.perf_counter() - started
        print(f"server start + home page: {home_seconds:.2f} s")
        for entry in page_groups()["Architectures"]:
            clicked = time.perf_counter()
            page.get_by_test_id("stSidebarNav").get_by_role("link", name=entry.title, exact=True).click()
            _ready(page, entry.title)
            timings.append((entry.title, time.perf_counter() - clicked))
            print(f"{entry.title:28s} {timings[-1][1]:.2f} s")
            if entry.title in HEAVY_VARIANTS:
                variant = HEAVY_VARIANTS[entry.title]
                clicked = time.perf_counter()
                page.get_by_test_id("stSelectbox").first.click()
                page.get_by_role("option", name=f"· {variant}", exact=False).first.click()
                wait_until_idle(page, 60_000)
                page.get_by_test_id("stDataFrame").first.wait_for(timeout=60_000)
                timings.append((f"{entry.title}: {variant}", time.perf_counter() - clicked))
                print(f"{'  variant ' + variant:28s} {timings[-1][1]:.2f} s")
    seconds = [t for _, t in timings]
    worst = max(timings, key=lambda item: item[1])
    print(f"pages and variants timed: {len(seconds)}; median {statistics.median(seconds):.2f} s; "
          f"max {worst[1]:.2f} s ({worst[0]}); server start + home {home_seconds:.2f} s")


if __name__ == "__main__":
    main()
