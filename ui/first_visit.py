"""Every page script starts with ``through_app()``.

Streamlit runs a session's first script in the legacy multipage mode of a folder named ``pages/``
(streamlit#9992; on a freshly started server, and in every AppTest run): a link such as /lab-lrn runs
pages/lab-lrn.py directly, without app.py's navigation, and a link whose name is no file stem gets a "Page not
found" dialog. File stems equal the URL paths (``ui.catalog``), so the page is found; this call then runs app.py
in its place, whose ``st.navigation`` leaves the legacy mode and draws the same page with the app's navigation,
in this same run (a rerun would drop the click that started it).
"""

from __future__ import annotations

import runpy

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager
from streamlit.runtime.scriptrunner import get_script_run_ctx


def skip_direct_run_check() -> None:
    """Streamlit checks once per process, at the first element drawn, whether it runs in a Python REPL instead of
    under ``streamlit run``; the check reads the source of every frame on the stack (``inspect.stack()``), 0.4 s of
    a new server's first page. The app runs under ``streamlit run`` (or AppTest): there is nothing to warn about."""
    from streamlit import delta_generator

    if hasattr(delta_generator, "_use_warning_has_been_displayed"):
        delta_generator._use_warning_has_been_displayed = True


def home_by_its_file_name(home_url_path: str) -> None:
    """A link to /home (the home page's file name, as every other page's link is its file name) opens the home
    page. Streamlit serves the default page only at /, and would draw a "Page not found" dialog over it."""
    manager = get_script_run_ctx().pages_manager
    # Streamlit's page manager is internal: where a later version changes it, /home shows the dialog again instead
    # of every page failing.
    asked_home = getattr(manager, "intended_page_name", None) == home_url_path
    if asked_home and not getattr(manager, "intended_page_script_hash", None) and hasattr(manager, "set_script_intent"):
        manager.set_script_intent("", "")


def through_app() -> None:
    if not PagesManager.uses_pages_directory:
        return
    runpy.run_path(get_script_run_ctx().pages_manager.main_script_path, run_name="__main__")
    st.stop()  # the page has been drawn inside app.py's navigation
