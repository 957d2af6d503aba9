"""A bounded first-come-first-served queue with tickets: a place in line and an estimate of the wait.

Used in front of inference (``cnnviz.imagelab.serving``) and the live trainings (``cnnviz.training.queueing``).
``workers`` jobs run at once; up to ``waiting`` more wait in line; anyone beyond that gets ``Busy`` at once.
A ticket is a context manager: leaving it (normally, or by an exception while waiting or running) frees its
place. The wait is estimated from a running record of how long recent jobs of each kind took per unit of work
(``work``: epochs, say), with a first guess per kind before any job of that kind finished.

A fair share: a ticket may name its ``owner`` (a student: the UI passes the browser or the session), and an owner
holds at most ``share`` admitted jobs (running and waiting together); one more is ``OverShare`` at once, and takes
no place. Without the share, one student's tabs could fill every place and everyone else would hear "busy". A
ticket with no owner (the command line, the warm-up) has no share to keep.
"""

from __future__ import annotations

import heapq
import os
import statistics
import threading
import time
import warnings
from collections import deque
from typing import Callable, Hashable, Mapping

Update = Callable[[int, float], None]  # (place in line, estimated seconds until the job starts)
Owner = Hashable | None  # whose job it is; None: no one's, no share to keep
ASK = object()  # ``owner`` not given: ask the queue's ``owner_of``


class Busy(RuntimeError):
    """Every worker and every waiting place is taken, or the wait was too long; ``frees_in_s``: about when the
    first running job ends, which frees a place."""

    def __init__(self, message: str, frees_in_s: float = 0.0) -> None:
        super().__init__(message)
        self.frees_in_s = frees_in_s


class OverShare(Busy):
    """The owner already holds ``held`` admitted jobs, its ``share``: this one was refused, though places may be
    free. ``frees_in_s``: about when the first of the owner's own jobs ends."""

    def __init__(self, message: str, frees_in_s: float, owner: Owner, held: int, share: int) -> None:
        super().__init__(message, frees_in_s)
        self.owner, self.held, self.share = owner, held, share


def whole_from_env(variable: str, fallback: int, smallest: int, meaning: str) -> int:
    """``$variable`` if it is a whole number (``smallest`` at least), else ``fallback``; ``meaning`` words the
    fallback in the warning ("{fallback} workers")."""
    value = os.environ.get(variable, "").strip()
    try:
        return max(smallest, int(value)) if value else fallback
    except ValueError:  # a typo in the deployment's settings must not stop the app
        warnings.warn(f"{variable}={value!r} is not a whole number; using {meaning.format(fallback=fallback)}",
                      stacklevel=3)
        return fallback


def workers_from_env(variable: str, fallback: int) -> int:
    """``$variable`` if it is a whole number (at least 1), else ``fallback``."""
    return whole_from_env(variable, fallback, 1, "{fallback} workers")


def share_from_env(variable: str, fallback: int) -> int:
    """``$variable`` if it is a whole number (0: no share, any owner may take every place), else ``fallback``."""
    return whole_from_env(variable, fallback, 0, "a share of {fallback}")


class WorkQueue:
    """``waiting``: places in line (0: eight per worker). ``wait_s``: how long a ticket waits at most by default
    (None: as long as it takes). ``first_guess_s``: seconds per unit of work of each kind before any job of that
    kind finished (``default_guess_s`` for kinds not in it). The last ``remembered`` jobs of a kind make its rate.
    ``share``: admitted jobs per owner at most (0: no limit). ``owner_of()``: the owner of a ticket that names none
    (the UI's: the session calling; None: no owner)."""

    def __init__(self, workers: int, waiting: int = 0, wait_s: float | None = None,
                 first_guess_s: Mapping[str, float] | None = None, default_guess_s: float = 1.0,
                 remembered: int = 5, share: int = 0, owner_of: Callable[[], Owner] | None = None) -> None:
        self.workers = max(1, workers)
        self.waiting = waiting or 8 * self.workers
        self.wait_s = wait_s
        self.share = max(0, share)
        self.owner_of = owner_of
        self.peak_admitted = 0
        self.busy_answers = 0
        self.over_share_answers = 0
        self._first_guess_s = dict(first_guess_s or {})
        self._default_guess_s = default_guess_s
        self._remembered = remembered
        self._rates: dict[str, deque[float]] = {}
        self._line: list[Ticket] = []  # first come, first served
        self._running: list[Ticket] = []
        self._changed = threading.Condition()

    @property
    def capacity(self) -> int:
        return self.workers + self.waiting

    def ticket(self, kind: str = "", work: float = 1.0, owner: Owner | object = ASK) -> Ticket:
        """A place in line (or a worker, if one is free); ``OverShare`` at once when ``owner`` (by default
        ``owner_of()``) already holds its share, ``Busy`` at once when every place is taken."""
        owner = self.owner(owner)
        with self._changed:
            held = self._held(owner)
            if held:  # checked first: a student over the share hears about their own jobs, not a full server
                self.over_share_answers += 1
                raise OverShare(f"over share: this owner already has {len(held)} of its {self.share} jobs admitted",
                                min(self._ends_of(held)), owner, len(held), self.share)
            admitted = len(self._line) + len(self._running)
            if admitted >= self.capacity:
                self.busy_answers += 1
                raise Busy(f"busy: all {self.capacity} places are taken", self._frees_in_s())
            ticket = Ticket(self, kind, work, owner)
            self._line.append(ticket)
            self.peak_admitted = max(self.peak_admitted, admitted + 1)
            self._start_next()
            return ticket

    def run(self, function: Callable[..., object], *args, kind: str = "", work: float = 1.0,
            owner: Owner | object = ASK, **kwargs):
        """``function(*args, **kwargs)`` in its turn (``Busy`` if the queue is full or the wait too long,
        ``OverShare`` if ``owner`` holds its share)."""
        with self.ticket(kind, work, owner) as ticket:
            ticket.wait()
            return function(*args, **kwargs)

    def owner(self, owner: Owner | object = ASK) -> Owner:
        """``owner``, or where it was not given, ``owner_of()`` (None without one)."""
        if owner is ASK:
            return self.owner_of() if self.owner_of is not None else None
        return owner

    def share_frees(self, owner: Owner, timeout_s: float | None = None) -> bool:
        """Wait until ``owner`` holds less than its share (at most ``timeout_s``); whether it does."""
        with self._changed:
            return self._changed.wait_for(lambda: not self._held(owner), timeout_s)

    def _held(self, owner: Owner) -> list[Ticket]:  # with the lock held
        """``owner``'s admitted tickets where they fill its share, else none."""
        if owner is None or not self.share:
            return []
        held = [t for t in self._running + self._line if t.owner == owner]
        return held if len(held) >= self.share else []

    def _ends_of(self, tickets: list[Ticket]) -> list[float]:  # with the lock held
        """When each of ``tickets`` ends if every job takes its expected time (a running one past it: in a second)."""
        now = time.monotonic()
        return [max(1.0, self._expected_s(t) - (now - t.started)) if t in self._running
                else self._estimate_s(t) + self._expected_s(t) for t in tickets]

    def seconds_per_work(self, kind: str) -> float:
        """The median rate of the last jobs of ``kind`` that finished, else the first guess."""
        with self._changed:
            return self._rate(kind)

    def _rate(self, kind: str) -> float:  # with the lock held
        recent = self._rates.get(kind)
        return statistics.median(recent) if recent else self._first_guess_s.get(kind, self._default_guess_s)

    def _start_next(self) -> None:  # with the lock held
        while self._line and len(self._running) < self.workers:
            ticket = self._line.pop(0)
            ticket.started = time.monotonic()
            self._running.append(ticket)
        self._changed.notify_all()

    def _place(self, ticket: Ticket) -> int:  # with the lock held
        if ticket in self._running:
            return 0
        return self._line.index(ticket) + 1 if ticket in self._line else -1

    def _expected_s(self, ticket: Ticket) -> float:  # with the lock held
        return self._rate(ticket.kind) * ticket.work

    def _ends_in_s(self) -> list[float]:  # with the lock held
        """When each running job ends if it takes its expected time (one more second once past it)."""
        return self._ends_of(self._running)

    def _frees_in_s(self) -> float:  # with the lock held
        """When the first place frees: the first running job's end."""
        return min(self._ends_in_s(), default=0.0)

    def _estimate_s(self, ticket: Ticket) -> float:  # with the lock held
        """When ``ticket`` starts if every job takes its expected time: the jobs ahead, handed to the workers
        as they become free (a running job past its expected time is given one more second)."""
        place = self._place(ticket)
        if place <= 0:
            return 0.0
        free_at = self._ends_in_s()
        free_at += [0.0] * (self.workers - len(free_at))
        heapq.heapify(free_at)
        for ahead in self._line[:place - 1]:
            heapq.heappush(free_at, heapq.heappop(free_at) + self._expected_s(ahead))
        return free_at[0]

    def _leave(self, ticket: Ticket, finished: bool) -> None:
        with self._changed:
            if ticket in self._running:
                self._running.remove(ticket)
                if finished and ticket.work > 0:
                    recent = self._rates.setdefault(ticket.kind, deque(maxlen=self._remembered))
                    recent.append((time.monotonic() - ticket.started) / ticket.work)
            elif ticket in self._line:
                self._line.remove(ticket)
            self._start_next()


class Ticket:
    """One job's place: ``place`` 0 while it runs, k while it is k-th in line, -1 once it left."""

    def __init__(self, queue: WorkQueue, kind: str, work: float, owner: Owner = None) -> None:
        self.queue, self.kind, self.work, self.owner = queue, kind, work, owner
        self.started = 0.0

    @property
    def place(self) -> int:
        with self.queue._changed:
            return self.queue._place(self)

    def estimate_s(self) -> float:
        """Estimated seconds until this job starts (0 once it runs)."""
        with self.queue._changed:
            return self.queue._estimate_s(self)

    def wait(self, timeout_s: float | None = -1.0, on_update: Update | None = None, every_s: float = 1.0) -> None:
        """Block until this job's turn. ``on_update(place, estimate_s)`` is called in the waiting thread at once
        and then every ``every_s`` seconds while it waits (an exception there leaves the line, through the
        ticket's context). ``Busy`` (and the place freed) after ``timeout_s`` (default: the queue's ``wait_s``)."""
        timeout_s = self.queue.wait_s if timeout_s is not None and timeout_s < 0 else timeout_s
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        changed = self.queue._changed
        while True:
            with changed:
                place = self.queue._place(self)
                if place == 0:
                    return
                if place < 0:
                    raise RuntimeError("this ticket has left the queue")
                left_s = None if deadline is None else deadline - time.monotonic()
                if left_s is not None and left_s <= 0:
                    self.queue.busy_answers += 1
                    self.queue._line.remove(self)
                    self.queue._start_next()
                    raise Busy(f"busy: no worker became free within {timeout_s:.0f} s", self.queue._frees_in_s())
                estimate = self.queue._estimate_s(self)
            if on_update:
                on_update(place, estimate)  # outside the lock: it may draw, or raise to leave
            with changed:
                if self.queue._place(self) > 0:
                    changed.wait(every_s if left_s is None else min(every_s, left_s))

    def leave(self, finished: bool = False) -> None:
        """Free the place (idempotent). ``finished``: the job ran to its end, and its duration counts."""
        self.queue._leave(self, finished)

    def __enter__(self) -> Ticket:
        return self

    def __exit__(self, error_type, error, traceback) -> None:
        self.leave(finished=error_type is None)
