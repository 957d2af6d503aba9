"""The live trainings take turns: a bounded queue (``cnnviz.work_queue``), and a lower priority while they run.

A class pressing "Train" together must not start one training per student on the same few cores: one runs per
``training_workers()``, the others wait in line (or hear at once that the line is full). While it runs, a
training uses one torch thread and a lower CPU priority for its thread, so the pages other students open keep
the cores first. A training's ``work`` is what its time grows with (epochs, depth x epochs, ...): the queue
estimates waits from recent seconds per unit of work of each kind, starting from the guesses below. A student
holds at most ``training_share()`` of the places (``OverShare`` beyond; the page waits for it in view).
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from typing import Callable, Iterator

import torch

from cnnviz.work_queue import ASK, Owner, Ticket, WorkQueue, share_from_env, workers_from_env

# Seconds per unit of work on one thread of a 2-core machine, measured: LeNet-5 per epoch and activation,
# the residual sweep per depth x epoch, a schedule per epoch, transfer per mode x epoch x image per class, a
# designed network per epoch x (1 + its MACs in millions).
FIRST_GUESS_S = {"lenet": 0.6, "residual": 0.07, "schedules": 0.02, "transfer": 1.0, "design": 0.12}
BACKGROUND_NICENESS = 10  # nice 10 weighs about a tenth of nice 0 in Linux's scheduler
_held = threading.local()  # the running ticket of this thread's training, if any


class InLine(Exception):
    """A training found no free worker where it cannot show a wait (inside a cached call): the caller takes
    its place in line (``training_turn`` in the UI) and calls again."""


def training_workers() -> int:
    """``CNNVIZ_TRAINING_WORKERS`` if it is a whole number (at least 1), else one per four cores, at least 1."""
    return workers_from_env("CNNVIZ_TRAINING_WORKERS", max(1, (os.cpu_count() or 1) // 4))


def training_share() -> int:
    """``CNNVIZ_TRAINING_SHARE`` if it is a whole number (0: no limit), else 1: the trainings one student may have
    running or in line at once. A page holds one training at a time, and a training takes seconds to minutes of the
    one worker: a second one from another tab would add its whole length to every other student's wait."""
    return share_from_env("CNNVIZ_TRAINING_SHARE", 1)


def training_queue(workers: int | None = None, waiting: int = 0, share: int | None = None,
                   owner_of: Callable[[], Owner] | None = None) -> WorkQueue:
    """A queue for the trainings: waits as long as it takes (the page shows the place in line). ``owner_of``: the
    owner of each ticket (the UI's session); without it, no share is kept."""
    return WorkQueue(workers or training_workers(), waiting, wait_s=None, first_guess_s=FIRST_GUESS_S,
                     share=training_share() if share is None else share, owner_of=owner_of)


def _lower_priority() -> int | None:
    """Nice the calling thread (Linux: a thread id is a ``PRIO_PROCESS`` target); its niceness before, or None."""
    if not sys.platform.startswith("linux"):  # elsewhere setpriority(PRIO_PROCESS, tid) would name a process
        return None
    thread = threading.get_native_id()
    try:
        before = os.getpriority(os.PRIO_PROCESS, thread)
        os.setpriority(os.PRIO_PROCESS, thread, max(before, BACKGROUND_NICENESS))
    except OSError:
        return None
    return before


def _restore_priority(before: int | None) -> None:
    if before is None:
        return
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), before)
    except OSError:
        # Raising a priority again needs CAP_SYS_NICE. Streamlit runs each script run in a thread of its own, so
        # the rest of this session's run (and a rerun it was asked for meanwhile) finishes niced; none other is.
        pass


@contextlib.contextmanager
def in_background() -> Iterator[None]:
    """One torch thread (the setting is per thread) and a lower CPU priority for the calling thread; both are
    put back afterwards where the system allows."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    before = _lower_priority()
    try:
        yield
    finally:
        _restore_priority(before)
        torch.set_num_threads(threads)


@contextlib.contextmanager
def holding(ticket: Ticket) -> Iterator[Ticket]:
    """Mark ``ticket`` (running) as this thread's: ``admitted`` calls inside run under it, not in line again."""
    before = getattr(_held, "ticket", None)
    _held.ticket = ticket
    try:
        yield ticket
    finally:
        _held.ticket = before


@contextlib.contextmanager
def shown_elsewhere() -> Iterator[None]:
    """Inside: an ``admitted`` call that would have to wait raises ``InLine`` instead of waiting unseen."""
    before = getattr(_held, "show_wait", False)
    _held.show_wait = True
    try:
        yield
    finally:
        _held.show_wait = before


@contextlib.contextmanager
def admitted(queue: WorkQueue, kind: str, work: float = 1.0, owner: Owner | object = ASK) -> Iterator[Ticket]:
    """Run the block as a training of ``kind``: under the thread's running ticket if it holds one, else in its
    turn (``Busy`` at once when the line is full, ``OverShare`` when ``owner``, by default the queue's, holds its
    share; ``InLine`` inside ``shown_elsewhere`` instead of waiting)."""
    held: Ticket | None = getattr(_held, "ticket", None)
    if held is not None and held.queue is queue and held.place == 0:
        yield held
        return
    with queue.ticket(kind, work, owner) as ticket:
        if ticket.place != 0:
            if getattr(_held, "show_wait", False):
                raise InLine(f"{kind}: place {ticket.place} in line")  # leaving the line on the way out
            ticket.wait()
        with in_background(), holding(ticket):
            yield ticket

