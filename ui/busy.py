"""Work that goes through the inference queue, as every page shows it: a one-line notice while the server is
busy and retries, a one-line error if it stays busy."""

from __future__ import annotations

from typing import Callable, TypeVar

import streamlit as st

from cnnviz.imagelab.serving import Busy, retry_busy

T = TypeVar("T")
BUSY_TEXT = "The server is busy with other photos; try again in a minute."


def when_free(call: Callable[[], T]) -> T | None:
    """``call()`` through the queue's retries; None (with the error shown) when the server stays busy."""
    notice = st.empty()
    try:
        result = retry_busy(call, on_busy=lambda attempt, _: notice.info(f"Busy, retrying… (attempt {attempt + 1})"))
    except Busy:
        notice.error(BUSY_TEXT, icon=":material/hourglass_top:")
        return None
    notice.empty()
    return result
