"""Work that goes through the inference queue, as every page shows it: a one-line notice while the server is
busy and retries, a one-line error if it stays busy."""

from __future__ import annotations

from typing import Callable, TypeVar

import streamlit as st

from cnnviz.i18n import N_, _
from cnnviz.imagelab.serving import Busy, retry_busy

T = TypeVar("T")
BUSY_TEXT = N_("The server is busy with other photos; try again in a minute.")


def when_free(call: Callable[[], T]) -> T | None:
    """``call()`` through the queue's retries; None (with the error shown) when the server stays busy. The
    notices are worded here, in the session's run: ``call`` may run elsewhere."""
    notice = st.empty()
    retrying = _("Busy, retrying… (attempt {attempt})")
    try:
        result = retry_busy(call, on_busy=lambda attempt, _busy: notice.info(retrying.format(attempt=attempt + 1)))
    except Busy:
        notice.error(_(BUSY_TEXT), icon=":material/hourglass_top:")
        return None
    notice.empty()
    return result
