"""A whole class on one app server: many real browser sessions at once, and the server's memory while they act.

Run (needs Debian chromium; ``pip install -r bench/requirements.txt``):

    python bench/load.py [--sessions 50]            # the image lab, every student uploads a photo at once
    python bench/load.py --mode train [--sessions 50] [--trainings 10]

The script starts its own app server and one headless Chromium with a browser context per session
(Playwright's async API, so the sessions really act at the same time), and samples the server's resident
memory (the process and its children, every 0.2 s) throughout.

Both modes run on a warm server, as a class meets one started before the lesson: one visitor opens the home page
and the server's warm-up (every page's first view) finishes before the sessions arrive (``--cold``: they arrive
at once, during the warm-up).

upload: every session opens /image-predictions and picks "Upload a file"; then all of them upload a distinct
12-megapixel JPEG (4000x3000, made beforehand from the bundled sample photos, each cropped, turned and
noised its own way so that no two files share a digest) at the same moment. Timed per session: from the
upload to its top-5 chart drawn and the page's script finished. Printed: the seconds, how many got their
top-5, error boxes and busy notices, and the server's peak memory, each beside its goal.

train: ``--trainings`` sessions open a training page (/train-lenet) while the others browse architecture
pages (a click on a sidebar link, timed to the page's title drawn and its script finished). After a warm-up
pass (caches warm), one pass of browsing alone gives the idle times; then every training session presses
its button at the same moment and the browsing goes on until the trainings have ended. Printed: both
medians, their ratio against the goal (within 2x), trainings finished and queued, and error boxes.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import re
import statistics
import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image
from playwright.async_api import TimeoutError as PlaywrightTimeout

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._sessions import (ERROR_BOX, IDLE, ServerMemory, chromium, clock, gather_limited, gb,  # noqa: E402
                             heading_drawn, one_line, open_session, page_state, seconds_line, settle,
                             warm_up_seconds)
from cnnviz.imagelab.samples import SAMPLES, sample_image  # noqa: E402
from tests.browser import app_server  # noqa: E402
from ui.catalog import page_groups  # noqa: E402

PHOTO_SIZE = (4000, 3000)  # a 12-megapixel phone photo
RSS_GOAL = 2e9
BUSY_RETRY = "Busy, retrying"
BUSY_TEXT = "The server is busy with other photos"
OPEN_AT_ONCE = 5
TOP5_GRACE_S = 30
FRESH_TOP5 = """(idle) => document.querySelector(idle) && document.querySelector(
    '[data-testid="stElementContainer"][data-stale="false"] [data-testid="stPlotlyChart"]')"""
BROWSED = ("alexnet", "vgg16", "resnet50", "googlenet", "densenet121", "mobilenet_v2")
QUEUED_TEXT = "In line for training"
FULL_TEXT = "training places are taken"
CLICK_FAILURES_ALLOWED = 3
WARM_UP_LIMIT_S = 600


def make_photos(folder: Path, count: int) -> list[Path]:
    """``count`` distinct 4000x3000 JPEGs: each a sample photo turned, cropped and noised by its own seed."""
    keys = list(SAMPLES)
    sources = {key: sample_image(key) for key in keys}
    width, height = PHOTO_SIZE
    paths = []
    for number in range(count):
        chance = random.Random(number)
        image = sources[keys[number % len(keys)]].rotate(chance.uniform(-8, 8), resample=Image.Resampling.BICUBIC,
                                                         expand=False)
        margin = chance.uniform(1.1, 1.3)  # cover the canvas with room to shift the crop
        scale = margin * max(width / image.width, height / image.height)
        image = image.resize((round(image.width * scale), round(image.height * scale)), Image.Resampling.BICUBIC)
        left, top = chance.randrange(image.width - width + 1), chance.randrange(image.height - height + 1)
        pixels = np.asarray(image.crop((left, top, left + width, top + height)), dtype=np.int16)
        # Sensor-like noise gives the file a phone photo's size (a smooth upscale compresses to a fraction).
        noise = np.asarray(Image.effect_noise(PHOTO_SIZE, chance.uniform(5, 9)), dtype=np.int16) - 128
        pixels = np.clip(pixels + noise[..., None], 0, 255).astype(np.uint8)
        path = folder / f"student-{number + 1:02d}.jpg"
        Image.fromarray(pixels).save(path, quality=90)
        paths.append(path)
    return paths


async def _first_visit(url: str, timeout_s: float) -> None:
    """One visitor on the home page: the server starts its warm-up after the first page."""
    async with chromium() as browser:
        session = await open_session(browser, 0, url, [], timeout_s)
        await session.context.close()


async def _prepare_upload(browser, number: int, url: str, timeout_s: float):
    session = await open_session(browser, number, f"{url}/image-predictions", [BUSY_RETRY, BUSY_TEXT], timeout_s)
    page = session.page
    await page.get_by_test_id("stRadio").get_by_text("Upload a file", exact=True).click()
    await page.locator('input[type="file"]').wait_for(state="attached")
    await settle(page, timeout_s)
    return session


async def _upload(session, photo: Path, timeout_s: float) -> dict:
    page, started = session.page, clock()
    result = {"session": session.number, "shown": None, "seconds": None, "top5": False, "error": None}
    try:
        await page.locator('input[type="file"]').set_input_files(photo)
        # The preview's caption names the new file once the upload's rerun has drawn it; then the run finishes.
        await page.get_by_text(f"{photo.name} ·").wait_for(timeout=timeout_s * 1000)
        result["shown"] = clock() - started
        await page.wait_for_selector(IDLE, timeout=timeout_s * 1000)
        try:  # the run is over: its top-5 chart is there, and not the last photo's left stale
            await page.wait_for_function(FRESH_TOP5, arg=IDLE, timeout=TOP5_GRACE_S * 1000, polling=100)
            result["seconds"], result["top5"] = clock() - started, True
        except PlaywrightTimeout:
            result["seconds"] = clock() - started
            result["error"] = "the run ended without a top-5 chart; the page shows: " + await page_state(page)
    except Exception as error:  # noqa: BLE001 - one line per session, the others go on
        result["error"] = one_line(error)
    try:
        result["boxes"] = await page.locator(ERROR_BOX).count()
        result["busy_final"] = await page.get_by_text(BUSY_TEXT).count() > 0
        result["retried"] = BUSY_RETRY in await session.seen()
    except Exception as error:  # noqa: BLE001
        result.update(boxes=0, busy_final=False, retried=False, error=result["error"] or one_line(error))
    return result


async def run_upload(url: str, memory: ServerMemory, photos: list[Path], timeout_s: float) -> None:
    count = len(photos)
    async with chromium() as browser:
        started = clock()
        memory.new_phase("opening the pages")
        opened = await gather_limited(
            [lambda n=n: _prepare_upload(browser, n, url, timeout_s) for n in range(1, count + 1)], OPEN_AT_ONCE)
        sessions = [s for s in opened if not isinstance(s, BaseException)]
        for number, failure in enumerate(opened, 1):
            if isinstance(failure, BaseException):
                print(f"session {number:2d}: could not open the page: {one_line(failure)}")
        print(f"{len(sessions)} of {count} sessions on the upload form in {clock() - started:.0f} s; "
              f"server memory now {gb(memory.now())}; uploading all at once", flush=True)
        memory.new_phase("uploads")
        results = await asyncio.gather(*(_upload(s, photos[s.number - 1], timeout_s) for s in sessions))
    _print_upload(results, count, memory)


def _print_upload(results: list[dict], count: int, memory: ServerMemory) -> None:
    for result in sorted(results, key=lambda r: (r["seconds"] is None, r["seconds"] or 0)):
        state = (f"{result['seconds']:6.1f} s" if result["seconds"] is not None else "   --   ")
        state += f" (photo shown at {result['shown']:5.1f} s)" if result["shown"] is not None else ""
        marks = [m for m, on in (("top-5", result["top5"]), ("retried", result["retried"]),
                                 ("BUSY", result["busy_final"]), (f"{result['boxes']} error box(es)",
                                                                   result["boxes"])) if on]
        print(f"session {result['session']:2d}: {state}  {', '.join(marks)}"
              + (f"  FAILED {result['error']}" if result["error"] else ""))
    seconds = [r["seconds"] for r in results if r["top5"]]
    shown = [r["shown"] for r in results if r["shown"] is not None]
    served = sum(r["top5"] for r in results)
    boxes = sum(1 for r in results if r["boxes"])
    busy = sum(r["busy_final"] for r in results)
    retried = sum(r["retried"] for r in results)
    print()
    print(seconds_line("upload to the photo's preview", shown))
    print(seconds_line("upload to top-5", seconds))
    print(f"served (top-5 shown): {served} of {count}; goal {count} of {count}: "
          f"{'met' if served == count else 'NOT MET'}")
    print(f"sessions with an error box: {boxes} (of them the busy line: {busy}); goal none: "
          f"{'met' if boxes == 0 else 'NOT MET'}; sessions that were told to wait and retried: {retried}")
    _print_memory(memory)


def _print_memory(memory: ServerMemory) -> None:
    met = "met" if memory.peak <= RSS_GOAL else "NOT MET"
    print(f"server peak RSS: {gb(memory.peak)}; goal <= {gb(RSS_GOAL)}: {met} (peak by phase: {memory.phase_line()})")


async def _click(page, path: str, title: str, timeout_s: float) -> tuple[float, float]:
    """Click the sidebar link to ``path``; (when clicked, seconds until its title showed and its run finished)."""
    link = page.get_by_test_id("stSidebarNav").locator(f'a[href$="/{path}"]').first
    started = clock()
    await link.click()
    await heading_drawn(page, title, timeout_s)
    return started, clock() - started


async def _browse_round(session, titles: dict[str, str], timeout_s: float, phase: str, clicks: list) -> None:
    """One click on each browsed page, starting after the one the session shows (each session has its own turn)."""
    turn = session.notes.setdefault("turn", session.number % len(BROWSED))
    for step in range(1, len(BROWSED) + 1):
        if session.notes.get("failures", 0) >= CLICK_FAILURES_ALLOWED:
            return
        path = BROWSED[(turn + step) % len(BROWSED)]
        try:
            started, seconds = await _click(session.page, path, titles[path], timeout_s)
            clicks.append({"phase": phase, "session": session.number, "path": path, "started": started,
                           "seconds": seconds})
        except Exception as error:  # noqa: BLE001 - one line, and the session clicks on
            session.notes["failures"] = session.notes.get("failures", 0) + 1
            print(f"browsing session {session.number:2d}: {phase} click on {path} failed: {one_line(error)}",
                  flush=True)
    session.notes["turn"] = turn


async def _train(session, button_text: str, done_text: str, timeout_s: float) -> dict:
    page, started = session.page, clock()
    result = {"session": session.number, "finished": False, "seconds": None, "ended": None, "error": None}
    try:
        await page.get_by_role("button", name=re.compile(rf"(^|\s){re.escape(button_text)}$")).click()
        # The training's run (its wait in line included) holds the script running; done when it has finished.
        with contextlib.suppress(PlaywrightTimeout):  # a run too short to be seen running is over already
            await page.wait_for_selector('[data-test-script-state="running"]', timeout=30_000)
        await settle(page, timeout_s)
        result["ended"] = clock()
        result["seconds"] = result["ended"] - started
        result["finished"] = (await page.locator(ERROR_BOX).count() == 0
                              and await page.get_by_text(done_text).count() > 0)
    except Exception as error:  # noqa: BLE001
        result["ended"] = clock()
        result["error"] = one_line(error)
    with contextlib.suppress(Exception):
        result["boxes"] = await page.locator(ERROR_BOX).count()
        seen = await session.seen()
        result["queued"], result["full"] = QUEUED_TEXT in seen, FULL_TEXT in seen
        if not result["finished"]:
            result["state"] = await page_state(page)
    return result


async def run_training(url: str, memory: ServerMemory, args: argparse.Namespace, trainings: int) -> None:
    count, training_page, timeout_s = args.sessions, args.training_page, args.timeout
    titles = {entry.url_path: entry.title for entry in page_groups()["Architectures"]}
    async with chromium() as browser:
        started = clock()
        memory.new_phase("opening the pages")
        calls = [lambda n=n: open_session(browser, n, f"{url}/{training_page}", [QUEUED_TEXT, FULL_TEXT],
                                                 timeout_s)
                 for n in range(1, trainings + 1)]
        calls += [lambda n=n: open_session(browser, n, f"{url}/{BROWSED[n % len(BROWSED)]}", [], timeout_s)
                  for n in range(trainings + 1, count + 1)]
        opened = await gather_limited(calls, OPEN_AT_ONCE)
        for number, failure in enumerate(opened, 1):
            if isinstance(failure, BaseException):
                print(f"session {number:2d}: could not open its page: {one_line(failure)}")
        trainers = [s for s in opened[:trainings] if not isinstance(s, BaseException)]
        browsers = [s for s in opened[trainings:] if not isinstance(s, BaseException)]
        print(f"{len(trainers)} training and {len(browsers)} browsing sessions open in {clock() - started:.0f} s",
              flush=True)
        clicks: list[dict] = []
        for phase in ("warm-up", "idle"):
            started = clock()
            memory.new_phase(f"{phase} pass")
            await asyncio.gather(*(_browse_round(s, titles, timeout_s, phase, clicks) for s in browsers))
            print(f"{phase} pass: {len(browsers)} sessions x {len(BROWSED)} clicks in {clock() - started:.0f} s; "
                  f"server memory {gb(memory.now())}", flush=True)
        memory.new_phase("training")
        pressed = clock()
        trainings_run = (_train(s, args.train_button, args.done_text, args.training_timeout) for s in trainers)
        training = asyncio.ensure_future(asyncio.gather(*trainings_run))

        async def browse_while_training(session) -> None:
            while True:  # at least one pass, then on until every training has ended
                await _browse_round(session, titles, timeout_s, "training", clicks)
                if training.done() or session.notes.get("failures", 0) >= CLICK_FAILURES_ALLOWED:
                    return

        trained, *_ = await asyncio.gather(training, *(browse_while_training(s) for s in browsers))
    last_end = max((t["ended"] for t in trained), default=pressed)
    _print_training(clicks, trained, pressed, last_end, len(browsers), memory)


def _print_training(clicks, trained, pressed: float, last_end: float, browsing: int, memory: ServerMemory) -> None:
    for result in sorted(trained, key=lambda r: r["session"]):
        state = f"{result['seconds']:6.1f} s" if result["seconds"] is not None else "   --   "
        marks = [m for m, on in (("finished", result["finished"]), ("queued", result.get("queued")),
                                 ("told the line is full", result.get("full")),
                                 (f"{result.get('boxes', 0)} error box(es)", result.get("boxes"))) if on]
        print(f"training session {result['session']:2d}: {state}  {', '.join(marks)}"
              + (f"  FAILED {result['error']}" if result["error"] else "")
              + (f"\n    the page shows: {result['state']}" if result.get("state") else ""))
    idle = [c["seconds"] for c in clicks if c["phase"] == "idle"]
    during = [c["seconds"] for c in clicks if c["phase"] == "training" and c["started"] < last_end]
    after = [c["seconds"] for c in clicks if c["phase"] == "training" and c["started"] >= last_end]
    print()
    print(f"trainings: {len(trained)} pressed at once; the last ended {last_end - pressed:.1f} s after the press")
    print(seconds_line(f"browsing alone ({browsing} sessions)", idle))
    print(seconds_line("browsing while the trainings ran (clicks begun before the last ended)", during))
    if after:
        print(seconds_line("browsing after the trainings (not compared)", after))
    if idle and during:
        ratio = statistics.median(during) / statistics.median(idle)
        print(f"median while training / median alone: {ratio:.2f}x; goal within 2x: "
              f"{'met' if ratio <= 2 else 'NOT MET'}")
    finished = sum(r["finished"] for r in trained)
    queued = sum(bool(r.get("queued")) for r in trained)
    full = sum(bool(r.get("full")) for r in trained)
    boxes = sum(1 for r in trained if r.get("boxes"))
    print(f"trainings finished: {finished} of {len(trained)}; shown in line for training: {queued}; "
          f"told the line is full: {full}; "
          f"training sessions with an error box: {boxes}")
    _print_memory(memory)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog="\n\n".join(__doc__.split("\n\n")[1:]))
    parser.add_argument("--mode", choices=("upload", "train"), default="upload",
                        help="upload: every session uploads a photo at once (default); train: trainings and browsing")
    parser.add_argument("--sessions", type=int, default=50, help="browser sessions in all (default 50)")
    parser.add_argument("--trainings", type=int, help="train mode: sessions that train (default a fifth, 10 of 50)")
    parser.add_argument("--training-page", default="train-lenet", help="train mode: the page (default train-lenet)")
    parser.add_argument("--train-button", default="Train", help="train mode: the button's text (default Train)")
    parser.add_argument("--done-text", default="Test accuracy",
                        help="train mode: a text only a finished training shows (default Test accuracy)")
    parser.add_argument("--timeout", type=float, default=900, help="seconds one session may wait for a step")
    parser.add_argument("--training-timeout", type=float, default=2400,
                        help="train mode: seconds a training may take, its wait in line included (default 2400)")
    parser.add_argument("--cold", action="store_true", help="do not wait for the server's warm-up")
    args = parser.parse_args()
    if args.sessions < 1:
        parser.error("--sessions must be at least 1")
    trainings = args.trainings if args.trainings is not None else max(1, round(args.sessions / 5))
    if args.mode == "train" and not 1 <= trainings < args.sessions:
        parser.error("--trainings must leave at least one browsing session")
    log = Path(tempfile.mkdtemp()) / "server.log"
    with app_server(timeout=120, log=log) as (url, server_seconds):
        print(f"app server {url} answered in {server_seconds:.1f} s", flush=True)
        with ServerMemory(url) as memory:
            if not args.cold:
                asyncio.run(_first_visit(url, args.timeout))
                print(f"server warm-up: {warm_up_seconds(log, WARM_UP_LIMIT_S)}; server memory now "
                      f"{gb(memory.now())}", flush=True)
            if args.mode == "upload":
                with tempfile.TemporaryDirectory() as folder:
                    started = clock()
                    photos = make_photos(Path(folder), args.sessions)
                    sizes = [p.stat().st_size / 2**20 for p in photos]
                    print(f"{len(photos)} photos of {PHOTO_SIZE[0]}x{PHOTO_SIZE[1]} made in {clock() - started:.0f} s"
                          f" ({min(sizes):.1f} to {max(sizes):.1f} MiB)", flush=True)
                    asyncio.run(run_upload(url, memory, photos, args.timeout))
            else:
                asyncio.run(run_training(url, memory, args, trainings))


if __name__ == "__main__":
    main()
