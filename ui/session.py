"""Whose job it is: the owner that the shared queues' fair share counts (``cnnviz.work_queue``).

One student is one browser. Its tabs are separate Streamlit sessions, and so is a tab reloaded while its last job
still runs, so counting sessions would let one student's tabs fill the queues. Every tab of a browser sends the
same Streamlit XSRF cookie, though: its token names the browser. Where there is none (XSRF protection off, a
client that keeps no cookies), the session is the owner.
"""

from __future__ import annotations

import hashlib

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

XSRF_COOKIE = "_streamlit_xsrf"  # Streamlit's name for it; set on the first page a browser loads


def session_owner() -> str | None:
    """The owner of the calling session's jobs: its browser, else the session itself; None outside a session's
    run (the warm-up, the command line): no share to keep. Works inside a cached function, which Streamlit computes
    in the calling session's thread."""
    context = get_script_run_ctx(suppress_warning=True)
    if context is None:
        return None
    token = browser_token(_xsrf_cookie())
    if token:  # hashed: the token is a secret of the browser's, and the owner may be shown in a log
        return "browser " + hashlib.sha256(token).hexdigest()[:16]
    return "session " + context.session_id


def browser_token(cookie: str | None) -> bytes | None:
    """The token in Streamlit's XSRF cookie. Version 2, ``2|mask|masked token|timestamp`` (hex), is the token XOR a
    four-byte mask that Streamlit draws anew for every page it serves, so the cookie's text differs between tabs
    opened at different times while the token stays; version 1 is the token itself. None for a value of neither
    form."""
    if not cookie:
        return None
    if not cookie.startswith("2|"):
        return cookie.encode()
    parts = cookie.split("|")
    try:
        mask, masked = bytes.fromhex(parts[1]), bytes.fromhex(parts[2])
    except (IndexError, ValueError):
        return None
    if len(parts) != 4 or len(mask) != 4 or not masked:
        return None
    return bytes(byte ^ mask[index % 4] for index, byte in enumerate(masked))


def _xsrf_cookie() -> str | None:
    try:
        value = st.context.cookies.get(XSRF_COOKIE)
    except Exception:  # noqa: BLE001 — a session without a client (a test's) has no cookies to read
        return None
    return value if isinstance(value, str) else None
