"""A live class on one app server: N students' phones join by the QR code's link at the same moment, see the
question, answer, and the projector counts them.

Run (needs Debian chromium, and Debian's postgresql for the PostgreSQL run; ``pip install -r bench/requirements.txt``):

    python bench/class_live.py [--students 50] [--database sqlite|postgresql|both]

For each database the script starts its own app server (SQLite in a temporary data folder, or a throw-away
PostgreSQL cluster, tests/postgres.py), waits for its warm-up, starts a class, and opens the projector (the
instructor link) and N student contexts in one headless Chromium (Playwright's async API: the students act at the
same time). Then:

1. join: every student opens the join link at once (the QR burst) and waits for "You are in".
2. question: the instructor asks; timed per student until the question shows on their page (their page polls the
   room every 2 s).
3. answers: every student types the answer and sends it at the same moment; counted in the database (N of N),
   and the projector's lag: from the last answer confirmed on a phone to the projector showing N answered.

Printed for each database: the join and question times (median, max), answers recorded, the projector's lag, error
boxes seen, and the server's CPU (cores used on average over the run) and peak memory, beside the goals: 50 of 50
recorded, lag <= 2 s, no error box.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._sessions import (ERROR_BOX, ServerMemory, chromium, gather_limited, gb, one_line,  # noqa: E402
                             seconds_line, warm_up_seconds)
from tests.browser import app_server  # noqa: E402

QUESTION = {"kind": "output_size", "W": 224, "F": 7, "P": 3, "S": 2}  # 112
RIGHT, SLIP = 112, 109  # the padding forgotten: (224 - 7) // 2 + 1
LAG_GOAL_S = 2.0
OPEN_AT_ONCE = 50  # the QR burst: everyone at once
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "locale": "en-US"}


async def _student(browser, url: str, timeout_s: float) -> dict:
    context = await browser.new_context(**PHONE)
    page = await context.new_page()
    page.set_default_timeout(timeout_s * 1000)
    started = time.perf_counter()
    await page.goto(url)
    await page.get_by_text("You are in").wait_for()
    return {"page": page, "context": context, "join_s": time.perf_counter() - started}


async def _sees_question(student: dict, asked_at: float) -> float:
    await student["page"].get_by_text("Question 1").first.wait_for()
    await student["page"].locator('[data-testid="stNumberInput"] input').first.wait_for()
    return time.perf_counter() - asked_at


async def _answer(student: dict, value: int) -> float:
    page = student["page"]
    await page.locator('[data-testid="stNumberInput"] input').first.fill(str(value))
    await page.get_by_role("button", name="Send").click()
    await page.get_by_text(f"Your answer {value} is in").wait_for()
    return time.perf_counter()


async def _answered_on(projector, count: int, timeout_s: float) -> float:
    await projector.wait_for_function(
        """(count) => [...document.querySelectorAll('[data-testid="stMetric"]')].some((m) =>
             m.innerText.includes('Answered') && m.querySelector('[data-testid="stMetricValue"]')
               .innerText.trim() === String(count))""", arg=count, timeout=timeout_s * 1000, polling=50)
    return time.perf_counter()


async def _run(url: str, students_count: int, timeout_s: float, memory: ServerMemory) -> dict:
    from cnnviz.classroom import rooms, store

    store.use_engine(store.make_engine())
    room = rooms.start_class("bench")
    result: dict = {}
    async with chromium() as browser:
        projector_context = await browser.new_context(viewport={"width": 1280, "height": 720}, locale="en-US")
        projector = await projector_context.new_page()
        projector.set_default_timeout(timeout_s * 1000)
        await projector.goto(f"{url}/class?room={room.code}&key={room.key}")
        await projector.get_by_text("No question yet").wait_for()

        memory.new_phase("join")
        join_link = f"{url}/class?room={room.code}"
        joined = await gather_limited([lambda: _student(browser, join_link, timeout_s)
                                       for _ in range(students_count)], OPEN_AT_ONCE)
        students = [s for s in joined if isinstance(s, dict)]
        result["join_failures"] = [one_line(s) for s in joined if not isinstance(s, dict)]
        result["join_s"] = [s["join_s"] for s in students]

        memory.new_phase("question")
        asked_at = time.perf_counter()
        rooms.ask(room.code, room.key, QUESTION)
        seen = await asyncio.gather(*(_sees_question(s, asked_at) for s in students), return_exceptions=True)
        result["question_s"] = [s for s in seen if isinstance(s, float)]
        result["question_failures"] = [one_line(s) for s in seen if not isinstance(s, float)]

        memory.new_phase("answers")
        values = [SLIP if n % 5 == 0 else RIGHT for n in range(len(students))]  # one in five forgets the padding
        sent = await asyncio.gather(*(_answer(s, v) for s, v in zip(students, values)), return_exceptions=True)
        confirmed = [s for s in sent if isinstance(s, float)]
        result["answer_failures"] = [one_line(s) for s in sent if not isinstance(s, float)]
        if confirmed:
            shown = await _answered_on(projector, len(confirmed), timeout_s)
            result["lag_s"] = shown - max(confirmed)
        result["recorded"] = rooms.projector(room.code, room.key).answered
        result["students"] = students_count
        boxes = 0
        for page in [projector] + [s["page"] for s in students]:
            boxes += await page.locator(ERROR_BOX).count()
        result["error_boxes"] = boxes
        try:  # the projector redraws every second: under load a click may need a few tries
            await projector.get_by_role("button", name="Reveal").click(timeout=60_000)
            await projector.get_by_text("forgot the padding").first.wait_for(timeout=60_000)
            result["reveal"] = (await projector.get_by_text("forgot the padding").first.inner_text()).strip()
        except Exception as error:  # noqa: BLE001 — reported with the figures
            result["reveal"] = f"not shown: {one_line(error)}"
    store.use_engine(None)
    return result


def _report(name: str, result: dict, memory: ServerMemory, cpu_s: float, wall_s: float) -> None:
    students = result["students"]
    print(f"\n== {name}: {students} students ==")
    print(seconds_line("join (page to 'You are in', all at once)", result["join_s"]))
    print(seconds_line("time until the question shows", result["question_s"]))
    lag = result.get("lag_s")
    print(f"answers recorded: {result['recorded']} of {students} (goal {students} of {students})")
    print(f"projector's lag after the last answer: {lag:.2f} s (goal <= {LAG_GOAL_S:.0f} s)" if lag is not None
          else "projector's lag: no answer confirmed")
    print(f"the reveal: {result['reveal']}")
    print(f"error boxes: {result['error_boxes']} (goal 0); failures: join {len(result['join_failures'])}, "
          f"question {len(result['question_failures'])}, answer {len(result['answer_failures'])}")
    for line in (result["join_failures"] + result["question_failures"] + result["answer_failures"])[:5]:
        print(f"  {line}")
    print(f"server CPU: {cpu_s:.1f} s over {wall_s:.1f} s = {cpu_s / wall_s:.2f} cores on average; "
          f"peak memory {gb(memory.peak)} ({memory.phase_line()})")


def _cpu_seconds(memory: ServerMemory) -> float:
    total = 0.0
    for process in [memory.process, *memory.process.children(recursive=True)]:
        with contextlib.suppress(Exception):
            times = process.cpu_times()
            total += times.user + times.system
    return total


def _one(name: str, students: int, timeout_s: float, work: Path) -> None:
    log = work / f"server-{name}.log"
    with app_server(timeout=180, log=log) as (url, _):
        from tests.browser import browser_page, wait_until_idle

        with browser_page() as page:  # a first visitor before the class: the server's warm-up starts
            page.goto(f"{url}/class")
            wait_until_idle(page, 120_000)
        print(f"{name}: server warm-up {warm_up_seconds(log, 600)}", flush=True)
        with ServerMemory(url) as memory:
            cpu_before, started = _cpu_seconds(memory), time.perf_counter()
            result = asyncio.run(_run(url, students, timeout_s, memory))
            cpu_s, wall_s = _cpu_seconds(memory) - cpu_before, time.perf_counter() - started
        _report(name, result, memory, cpu_s, wall_s)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=50)
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--timeout", type=float, default=180, help="seconds any one step may take")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cnnviz-class-bench-") as folder:
        work = Path(folder)
        if args.database in ("sqlite", "both"):
            os.environ.pop("CNNVIZ_DATABASE_URL", None)
            os.environ["CNNVIZ_DATA_DIR"] = str(work / "data")
            _one("SQLite", args.students, args.timeout, work)
        if args.database in ("postgresql", "both"):
            from tests.postgres import cluster

            with cluster() as pg:
                os.environ["CNNVIZ_DATABASE_URL"] = pg.new_database()
                _one("PostgreSQL", args.students, args.timeout, work)


if __name__ == "__main__":
    main()
