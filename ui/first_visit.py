"""Every page script starts with ``through_app()``.

On a freshly started server Streamlit runs its first session in the legacy multipage mode of a folder named
``pages/`` (streamlit#9992): a link such as /lab-lrn runs pages/lab-lrn.py directly, without app.py's
navigation, and a link whose name is no file stem gets a "Page not found" dialog. File stems equal the URL
paths (``ui.catalog``), so the page is found; this call then turns the legacy mode off, as ``st.navigation``
itself does, and reruns, so that app.py draws the same page with its navigation.
"""

from __future__ import annotations

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager


def through_app() -> None:
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()
