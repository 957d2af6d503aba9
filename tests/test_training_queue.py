"""Trainings take turns: first come, first served, each ticket knowing its place and an estimate of its wait,
a full line answered at once, a place freed by leaving (an exception while waiting or running); a training runs
on one torch thread at a lower priority; the training pages show the one line of a full queue and still train."""

from __future__ import annotations

import os
import sys
import threading
import time

import pytest
import torch

from cnnviz.training import queueing
from cnnviz.work_queue import Busy, WorkQueue
from tests.conftest import open_link, open_tab


class Clock:
    """``time.monotonic`` for the queue, moved by hand: estimates without sleeping."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch):
    from cnnviz import work_queue

    fake = Clock()
    monkeypatch.setattr(work_queue.time, "monotonic", fake)
    return fake


def test_places_are_first_come_first_served_and_a_full_line_is_busy_at_once():
    queue = WorkQueue(workers=1, waiting=3)
    tickets = [queue.ticket() for _ in range(4)]
    assert [t.place for t in tickets] == [0, 1, 2, 3]
    with pytest.raises(Busy, match="all 4 places"):
        queue.ticket()
    tickets[1].leave()  # someone in line gave up: those behind move up
    assert [t.place for t in tickets] == [0, -1, 1, 2]
    tickets[0].leave(finished=True)
    assert [t.place for t in tickets] == [-1, -1, 0, 1]
    queue.ticket().leave()  # a place is free again
    assert queue.busy_answers == 1 and queue.peak_admitted == 4


def test_waiting_tickets_start_in_their_order():
    queue = WorkQueue(workers=1, waiting=5)
    first = queue.ticket()
    tickets = [queue.ticket() for _ in range(4)]
    started, lock = [], threading.Lock()

    def job(number: int) -> None:
        with tickets[number] as ticket:
            ticket.wait()
            with lock:
                started.append(number)

    # Threads begin waiting in the reverse order of their tickets: the tickets' order is what counts.
    threads = [threading.Thread(target=job, args=(n,)) for n in reversed(range(4))]
    for thread in threads:
        thread.start()
    first.leave(finished=True)
    for thread in threads:
        thread.join(timeout=10)
    assert started == [0, 1, 2, 3]


def test_no_more_than_the_workers_run_at_once():
    queue = WorkQueue(workers=2, waiting=10)
    running, peak, lock, go = [0], [0], threading.Lock(), threading.Barrier(8)

    def job() -> None:
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        time.sleep(0.01)  # long enough for the others to pile in, were they let through
        with lock:
            running[0] -= 1

    def student() -> None:
        go.wait()  # all eight press at once
        queue.run(job)

    threads = [threading.Thread(target=student) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert peak[0] == 2 and queue.peak_admitted <= queue.capacity


def test_the_estimate_adds_up_the_jobs_ahead_from_first_guesses(clock):
    queue = WorkQueue(workers=1, waiting=5, first_guess_s={"lenet": 2.0, "residual": 0.1}, default_guess_s=3.0)
    running = queue.ticket("lenet", work=5)  # expected 10 s
    second = queue.ticket("residual", work=40)  # expected 4 s
    third = queue.ticket("other")  # no guess of its own: 3 s
    fourth = queue.ticket("lenet", work=1)
    assert running.estimate_s() == 0
    assert second.estimate_s() == pytest.approx(10)
    assert third.estimate_s() == pytest.approx(14)
    assert fourth.estimate_s() == pytest.approx(17)
    clock.now += 4  # the running job is 4 s in: 6 s left
    assert second.estimate_s() == pytest.approx(6) and fourth.estimate_s() == pytest.approx(13)
    clock.now += 20  # past its expected time: it is given one more second
    assert second.estimate_s() == pytest.approx(1)


def test_the_estimate_hands_jobs_to_the_first_free_worker(clock):
    queue = WorkQueue(workers=2, waiting=5, first_guess_s={"a": 1.0})
    queue.ticket("a", work=10), queue.ticket("a", work=4)  # both workers busy: free after 10 and 4 s
    line = [queue.ticket("a", work=w) for w in (6, 3, 1)]
    # 6 s job starts at 4 (free at 10); 3 s job starts at 10 (free at 13); the last starts at 10.
    assert [t.estimate_s() for t in line] == pytest.approx([4, 10, 10])


def test_recent_durations_per_unit_of_work_replace_the_first_guess(clock):
    queue = WorkQueue(workers=1, first_guess_s={"lenet": 2.0}, remembered=4)
    assert queue.seconds_per_work("lenet") == 2.0
    for seconds, work in ((10, 2), (30, 10), (8, 2)):
        with queue.ticket("lenet", work):
            clock.now += seconds
    assert queue.seconds_per_work("lenet") == pytest.approx(4.0)  # median of 5, 3 and 4 s per unit
    with pytest.raises(KeyboardInterrupt), queue.ticket("lenet", 1):
        clock.now += 1000
        raise KeyboardInterrupt  # a training stopped half-way says nothing about how long one takes
    assert queue.seconds_per_work("lenet") == pytest.approx(4.0)
    for _ in range(3):  # only the last four count
        with queue.ticket("lenet", 1):
            clock.now += 1
    assert queue.seconds_per_work("lenet") == pytest.approx(1.0)  # median of 4, 1, 1 and 1 s per unit
    assert queue.seconds_per_work("residual") == 1.0  # still the default guess


def test_leaving_while_waiting_frees_the_place_and_updates_say_the_place():
    queue = WorkQueue(workers=1, waiting=1)
    running = queue.ticket()
    updates = []

    class LeftThePage(Exception):
        pass

    def update(place: int, estimate_s: float) -> None:
        updates.append((place, estimate_s))
        raise LeftThePage  # as Streamlit stops a script inside an st call

    with pytest.raises(LeftThePage):
        with queue.ticket() as waiting:
            waiting.wait(on_update=update)
    assert updates == [(1, pytest.approx(1.0, abs=0.1))] and waiting.place == -1
    queue.ticket().leave()  # its place is free: no Busy
    running.leave()


def test_updates_follow_the_line_until_the_turn_comes():
    queue = WorkQueue(workers=1, waiting=3)
    first, second = queue.ticket(), queue.ticket()
    seen, moved = [], {1: threading.Event(), 2: threading.Event()}

    def update(place: int, _estimate_s: float) -> None:
        seen.append(place)
        moved[place].set()

    def third_in_line() -> None:
        with queue.ticket() as ticket:
            ticket.wait(on_update=update, every_s=0.05)
            seen.append(0)

    waiter = threading.Thread(target=third_in_line)
    waiter.start()
    assert moved[2].wait(5)
    first.leave(finished=True)
    assert moved[1].wait(5)
    second.leave(finished=True)
    waiter.join(timeout=5)
    assert seen[0] == 2 and 1 in seen and seen[-1] == 0 and seen == sorted(seen, reverse=True)


def test_an_exception_while_running_frees_the_worker():
    queue = WorkQueue(workers=1, waiting=1)
    with pytest.raises(ValueError):
        queue.run(lambda: (_ for _ in ()).throw(ValueError("bad settings")))
    assert queue.run(lambda: 42) == 42


def test_waiting_too_long_is_busy_and_frees_the_place():
    queue = WorkQueue(workers=1, waiting=1, wait_s=0.05)
    running = queue.ticket()
    with pytest.raises(Busy, match="no worker"), queue.ticket() as waiting:
        waiting.wait()
    assert waiting.place == -1
    queue.ticket().leave()
    running.leave()


@pytest.mark.parametrize("value, cores, expected", [("3", 2, 3), ("", 2, 1), ("", 4, 1), ("", 16, 4), ("0", 8, 1)])
def test_training_workers_from_the_environment_or_a_quarter_of_the_cores(monkeypatch, value, cores, expected):
    monkeypatch.setenv("CNNVIZ_TRAINING_WORKERS", value)
    monkeypatch.setattr(queueing.os, "cpu_count", lambda: cores)
    assert queueing.training_workers() == expected
    assert queueing.training_queue().workers == expected


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="thread priorities are Linux's")
def test_a_training_runs_on_one_thread_at_a_lower_priority():
    seen = {}

    def training() -> None:
        me = threading.get_native_id()
        seen["before"] = os.getpriority(os.PRIO_PROCESS, me), torch.get_num_threads()
        with queueing.in_background():
            seen["inside"] = os.getpriority(os.PRIO_PROCESS, me), torch.get_num_threads()
        seen["after"] = os.getpriority(os.PRIO_PROCESS, me), torch.get_num_threads()

    threads = torch.get_num_threads()
    torch.set_num_threads(2)
    thread = threading.Thread(target=training)
    thread.start()
    thread.join()
    torch.set_num_threads(threads)
    main_niceness = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    assert seen["inside"] == (max(seen["before"][0], queueing.BACKGROUND_NICENESS), 1)
    assert seen["after"][1] == seen["before"][1]  # torch's threads are put back
    if os.geteuid() == 0:  # raising a priority again needs the privilege
        assert seen["after"][0] == seen["before"][0]
    assert main_niceness == seen["before"][0]  # only the training's thread was lowered


def test_admitted_hands_the_wait_to_the_caller_or_waits_unseen():
    queue = WorkQueue(workers=1, waiting=2)
    holder = queue.ticket()
    with pytest.raises(queueing.InLine), queueing.shown_elsewhere(), queueing.admitted(queue, "schedules"):
        pass  # never reached
    assert queue.peak_admitted == 2 and holder.place == 0
    done = []

    def cached_training() -> None:  # outside ``shown_elsewhere``: it waits its turn in place
        with queueing.admitted(queue, "schedules") as ticket:
            done.append(ticket.place)

    thread = threading.Thread(target=cached_training)
    thread.start()
    thread.join(timeout=0.2)
    assert not done and thread.is_alive()  # waiting behind the holder
    holder.leave(finished=True)
    thread.join(timeout=5)
    assert done == [0]
    assert [queue.ticket().place for _ in range(3)] == [0, 1, 2]  # every place was freed


def test_admitted_runs_under_a_held_ticket_without_queueing_again():
    queue = WorkQueue(workers=1, waiting=1)
    with queue.ticket() as ticket, queueing.holding(ticket):
        with queueing.admitted(queue, "schedules") as inner:
            assert inner is ticket
        with queueing.admitted(WorkQueue(workers=1), "schedules") as other:  # another queue: its own ticket
            assert other is not ticket


# --- The pages ---

@pytest.fixture
def small_queue(monkeypatch):
    """The app's training queue replaced by one with one worker and one waiting place."""
    from ui.cached import trainings

    queue = queueing.training_queue(workers=1, waiting=1)
    monkeypatch.setattr(trainings, "training_queue", lambda: queue)
    return queue


def _full_lines(app) -> list[str]:
    return [w.value for w in app.warning if "training places are taken" in w.value]


@pytest.mark.slow
def test_lenet_says_a_full_line_in_one_line_then_trains_in_turn(small_queue, monkeypatch, one_torch_thread):
    from ui import training_queue

    app = open_link("train-lenet", activation="tanh", epochs="1")
    held = [small_queue.ticket("lenet", 300), small_queue.ticket()]  # one training running (3 min), one in line
    app.button(key="train_lenet_start").click().run()
    assert not app.exception, app.exception
    assert _full_lines(app) == ["All 2 training places are taken; the first frees in about 3 min."]
    assert not [m for m in app.metric if m.label == "Test accuracy"]  # nothing trained

    held[1].leave()  # a place in line is free, the worker still busy: the page waits, showing its place
    places = []
    monkeypatch.setattr(training_queue, "waiting_text", lambda place, s: places.append(place) or f"place {place}")
    threading.Timer(1.5, held[0].leave).start()
    app.button(key="train_lenet_start").click().run()
    assert not app.exception, app.exception
    assert places and set(places) == {1} and not _full_lines(app)
    assert any(m.label == "Test accuracy" for m in app.metric)
    assert small_queue.seconds_per_work("lenet") != queueing.FIRST_GUESS_S["lenet"]  # its time was recorded
    assert small_queue.ticket().place == 0  # and its place freed


@pytest.mark.slow
def test_schedules_show_the_line_instead_of_the_chart_and_do_not_cache_it(small_queue, monkeypatch):
    from ui import cached, training_queue

    cached.schedule_run.clear()
    held = [small_queue.ticket(), small_queue.ticket()]
    app = open_link("train-schedules", epochs="20")
    full = ["All 2 training places are taken; the first frees in about 1 s."]
    assert _full_lines(app) == full and not app.get("plotly_chart")  # the schedules' chart
    assert not [m for m in app.metric if m.label == "Formula vs torch"]
    open_tab(app, "train_schedules_tab", "SGD with momentum vs RMSProp")
    assert _full_lines(app) == full  # the digits' chart
    assert len(app.get("plotly_chart")) == 2  # the valley race's two charts, which train nothing
    for ticket in held:
        ticket.leave()
    app.run()  # the Busy answers were not cached: this time it trains
    assert not app.exception, app.exception
    assert not _full_lines(app) and len(app.get("plotly_chart")) == 3
    open_tab(app, "train_schedules_tab", "Three schedules")
    assert not _full_lines(app) and len(app.get("plotly_chart")) == 1
    assert next(m for m in app.metric if m.label == "Formula vs torch").value == "agree"

    # The worker busy, a place free: a setting not cached yet waits its turn in view, then trains.
    places = []
    monkeypatch.setattr(training_queue, "waiting_text", lambda place, s: places.append(place) or f"place {place}")
    held = small_queue.ticket()
    threading.Timer(1.5, held.leave).start()
    app.slider(key="train_schedules_epochs").set_value(30).run()
    assert not app.exception, app.exception
    assert places and set(places) == {1} and not _full_lines(app)
    assert len(app.get("plotly_chart")) == 1
    assert small_queue.ticket().place == 0  # every place freed


def test_a_full_line_says_when_its_first_place_frees():
    queue = WorkQueue(workers=2, waiting=1, first_guess_s={"lenet": 10.0})
    held = [queue.ticket("lenet", 6), queue.ticket("lenet", 3), queue.ticket("lenet", 1)]  # 60 s, 30 s, in line
    with pytest.raises(Busy) as busy:
        queue.ticket("lenet")
    assert 29 < busy.value.frees_in_s <= 30  # the shorter running training's end
    held[1].started -= 40  # now past its expected end: given one more second
    with pytest.raises(Busy) as busy:
        queue.ticket("lenet")
    assert busy.value.frees_in_s == 1.0


def test_the_full_line_reads_in_seconds_then_minutes():
    from ui.training_queue import full_text

    queue = WorkQueue(workers=1, waiting=8)
    assert full_text(queue, Busy("", 44.6)) == "All 9 training places are taken; the first frees in about 45 s."
    assert full_text(queue, Busy("", 1000)) == "All 9 training places are taken; the first frees in about 17 min."


def test_the_waiting_line_reads_in_seconds_then_minutes():
    from ui.training_queue import waiting_text

    assert waiting_text(3, 39.6) == "In line for training: place 3, about 40 s until it starts."
    assert waiting_text(1, 0.2) == "In line for training: place 1, about 1 s until it starts."
    assert waiting_text(2, 150) == "In line for training: place 2, about 2 min until it starts."
