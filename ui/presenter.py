"""Presenter mode (``?present=1``): for a projector at 1280x720 read from the back row. The sidebar starts
collapsed, type is 1.5x larger, code and long tables fold away, and stepping views get big buttons that the
arrow keys press."""

from __future__ import annotations

import contextlib

import streamlit as st

from cnnviz.i18n import _
from ui import url_state

KEY = "present"
SCALE = 1.5  # type size against the normal view; the issue asks for at least 1.4x

# Streamlit sizes its type in rem, so one root size scales text, widgets and spacing together.
_STYLE = f"""
<style>
html {{ font-size: {SCALE * 100:.0f}%; }}
[data-testid="stMainBlockContainer"] {{ padding-top: 4.5rem; padding-left: 2rem; padding-right: 2rem; }}
</style>
"""


def bind() -> bool:
    """Read ``present`` from the link or the session (app.py calls this before the page is drawn)."""
    url_state.flag("present", KEY)
    return presenting()


def presenting() -> bool:
    return bool(st.session_state.get(KEY, False))


def style() -> str:
    """Presenter mode's CSS, or nothing (app.py draws every run's styles in one element)."""
    return _STYLE if presenting() else ""


def toggle(container) -> None:
    container.toggle(_("Presenter mode"), key=KEY,
                     help=_("Large type, the sidebar folded away and big step buttons (arrow keys step). Also "
                            "opened by a link ending in ?present=1."))


@contextlib.contextmanager
def folded(title: str):
    """Long tables and code: shown in place normally, folded into a closed expander when presenting."""
    if presenting():
        with st.expander(_(title), expanded=False):
            yield
    else:
        yield


def _leave() -> None:
    st.session_state[KEY] = False


def top_bar() -> None:
    """With the sidebar folded away: share and leave, small, at the top right."""
    from ui import share

    bar = st.container(horizontal=True, horizontal_alignment="right")
    share.button(bar, key="share_top")
    bar.button(_("Leave presenter mode"), icon=":material/close_fullscreen:", on_click=_leave, key="present_leave")
