"""The session's language: ``?lang=`` in the link, else the browser's language, else English; a switch in the
sidebar that keeps the page and its settings."""

from __future__ import annotations

import streamlit as st

from cnnviz import i18n
from cnnviz.i18n import _
from ui import url_state

KEY = "lang"


def choose() -> str:
    """Called first in every run (app.py): every text drawn after it is in the session's language."""
    default = i18n.from_locale(st.context.locale)
    url_state.bind("lang", KEY, default, choices=list(i18n.LANGUAGES))
    i18n.use(st.session_state[KEY])
    return st.session_state[KEY]


def style() -> str:
    """The language's own CSS (app.py draws every run's styles in one element)."""
    return _KOREAN_LINES if i18n.current() == "ko" else ""


# Korean is written with spaces between words and breaks lines between them, not between syllables (browsers'
# default breaks "사진에서" into "사진에 / 서" at phone width); a word longer than the line still wraps.
# Streamlit sets its own word-break on headings and text, hence every element and !important.
_KOREAN_LINES = ("<style>[data-testid='stApp'] *:not(code):not(pre) "
                 "{word-break: keep-all !important; overflow-wrap: break-word;}</style>")


def switch(container) -> None:
    # A radio, not a segmented control: the latter looks for a leading emoji in every label that is not ASCII (中文,
    # 한국어), and its first look compiles Streamlit's emoji pattern, 0.25 s of a new server's first page.
    container.radio(_("Language"), list(i18n.LANGUAGES), format_func=i18n.LANGUAGES.get, key=KEY, horizontal=True,
                    help=_("Also chosen by a link ending in ?lang=zh or ?lang=ko"))
