"""Work that goes through the inference queue, as every page shows it: a one-line notice while the server is
busy and retries, a one-line error if it stays busy. A student whose own jobs fill their share (``OverShare``) is
told so instead, in one line: the others' pages are not busy on their account."""

from __future__ import annotations

from typing import Callable, TypeVar

import streamlit as st

from cnnviz.i18n import N_, _, ngettext
from cnnviz.imagelab.serving import Busy, retry_busy
from cnnviz.work_queue import OverShare

T = TypeVar("T")
BUSY_TEXT = N_("The server is busy with other photos; try again in a minute.")
BUSY_WORK_TEXT = N_("The server is busy with other students' work; try again in a minute.")  # tracing: no photo


def over_share_text(over: OverShare, waiting: bool = False) -> str:
    """The one line for a student whose own jobs fill their share: while it retries (``waiting``), or after."""
    if waiting:
        return ngettext("You already have {count} job running or in line; this one starts when it ends…",
                        "You already have {count} jobs running or in line; this one starts when one of them ends…",
                        over.held).format(count=over.held)
    return ngettext("You already have {count} job running or in line; try this one again when it has ended.",
                    "You already have {count} jobs running or in line; try this one again when one of them has "
                    "ended.", over.held).format(count=over.held)


def when_free(call: Callable[[], T]) -> T | None:
    """``call()`` through the queue's retries; None (with the error shown) when the server stays busy or the
    student's own jobs still fill their share. The notices are worded here, in the session's run: ``call`` may run
    elsewhere."""
    notice = st.empty()
    retrying = _("Busy, retrying… (attempt {attempt})")

    def on_busy(attempt: int, busy: Busy) -> None:
        if isinstance(busy, OverShare):
            notice.info(over_share_text(busy, waiting=True), icon=":material/hourglass_top:")
        else:
            notice.info(retrying.format(attempt=attempt + 1))

    try:
        result = retry_busy(call, on_busy=on_busy)
    except OverShare as over:
        notice.error(over_share_text(over), icon=":material/hourglass_top:")
        return None
    except Busy:
        notice.error(_(BUSY_TEXT), icon=":material/hourglass_top:")
        return None
    notice.empty()
    return result


def network_error(busy: Busy) -> Exception:
    """``busy`` as the ``NetworkError`` whose one line a page shows (tracing a timm model), worded when shown."""
    from cnnviz.any_network import NetworkError  # here: it brings torch, which most pages importing this never need

    error = NetworkError(BUSY_WORK_TEXT)
    if isinstance(busy, OverShare):
        error.text = lambda: over_share_text(busy)  # the share's line, in the language of the session showing it
    return error
