"""Live trainings take turns (``cnnviz.training.queueing``), as every training page shows it: while a training
waits, one line that updates says its place in line and about how long; a full line says so in one line; then
the page's own progress takes over. Leaving the page while waiting frees the place (Streamlit stops the script
in the line's next update). A student whose own trainings (another tab's) fill their share waits for one of them to
end, its one line saying so, before it takes a place: it takes none of the others' places meanwhile."""

from __future__ import annotations

import contextlib
from typing import Callable, Iterator, TypeVar

import streamlit as st

from cnnviz.i18n import N_, _, ngettext
from cnnviz.training.queueing import InLine, holding, in_background, shown_elsewhere
from cnnviz.work_queue import Busy, OverShare, Ticket, WorkQueue
from ui.cached import trainings

T = TypeVar("T")
WAITING_SECONDS = N_("In line for training: place {place}, about {seconds} s until it starts.")
WAITING_MINUTES = N_("In line for training: place {place}, about {minutes} min until it starts.")
FULL_SECONDS = N_("All {places} training places are taken; the first frees in about {seconds} s.")
FULL_MINUTES = N_("All {places} training places are taken; the first frees in about {minutes} min.")
ICON = ":material/hourglass_top:"


def waiting_text(place: int, estimate_s: float) -> str:
    return _in_seconds_or_minutes(WAITING_SECONDS, WAITING_MINUTES, estimate_s, place=place)


def full_text(queue: WorkQueue, busy: Busy) -> str:
    """The one line of a full queue, with about when a place frees (the running training's expected end)."""
    return _in_seconds_or_minutes(FULL_SECONDS, FULL_MINUTES, busy.frees_in_s, places=queue.capacity)


def over_share_text(over: OverShare) -> str:
    """The one line while this student's own trainings fill their share."""
    return ngettext("You already have {count} training running or in line; this one joins the line when it ends.",
                    "You already have {count} trainings running or in line; this one joins the line when one of "
                    "them ends.", over.held).format(count=over.held)


def _in_seconds_or_minutes(seconds_text: str, minutes_text: str, seconds: float, **values) -> str:
    if seconds >= 90:
        return _(minutes_text).format(minutes=round(seconds / 60), **values)
    return _(seconds_text).format(seconds=max(1, round(seconds)), **values)


@contextlib.contextmanager
def training_turn(kind: str, work: float = 1.0, notice=None) -> Iterator[bool]:
    """``with training_turn("lenet", epochs) as turn: if turn: ...train...``: ``turn`` is True once this
    session's training may run (one torch thread, lower priority), False when the line is full (the one line
    shown). ``notice``: where the line goes (an ``st.empty()``; by default here)."""
    queue = trainings.training_queue()
    notice = st.empty() if notice is None else notice
    try:
        ticket, shown = _within_share(queue, kind, work, notice)
    except Busy as busy:
        notice.warning(full_text(queue, busy), icon=ICON)
        yield False
        return
    with ticket:  # an exception while waiting or training (the page left) frees the place
        if ticket.place:
            ticket.wait(None, lambda place, estimate_s: notice.info(waiting_text(place, estimate_s), icon=ICON))
            shown = True
        if shown:
            notice.empty()
        with in_background(), holding(ticket):
            yield True


def _within_share(queue: WorkQueue, kind: str, work: float, notice, every_s: float = 1.0) -> tuple[Ticket, bool]:
    """A ticket once this student's share has room, and whether the line was shown: until then it says why, drawn
    again every ``every_s`` seconds so that Streamlit can stop the wait when the page is left. ``Busy`` when the
    line is full."""
    shown = False
    while True:
        try:
            return queue.ticket(kind, work), shown
        except OverShare as over:
            shown = True
            notice.info(over_share_text(over), icon=ICON)
            queue.share_frees(over.owner, every_s)


def queued(call: Callable[[], T], kind: str, work: float = 1.0, notice=None) -> T | None:
    """``call()``, whose trainings inside cached functions (``queueing.admitted``) wait their turn in view here:
    a cache hit runs at once, a miss runs when a worker is free. None, with the one line shown, when the line
    is full. (A cached function must not draw: Streamlit would replay the line on every later hit.)"""
    notice = st.empty() if notice is None else notice
    try:
        with shown_elsewhere():
            return call()
    except (InLine, OverShare):
        pass  # no worker free, or the share taken: wait where it can be shown, and call again in turn
    except Busy as busy:
        notice.warning(full_text(trainings.training_queue(), busy), icon=ICON)
        return None
    with training_turn(kind, work, notice) as turn:
        return call() if turn else None
