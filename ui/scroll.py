"""The browser scrolls one part of the page to the top of the window, once: a link to a walk's step or to a tab
opens there rather than at the page's header, and a phone in a live class lands on what just changed.

``into_view`` draws a script that scrolls the element enclosing it (a CSS selector) into view. A page draws it only
on the run that should scroll, as the last element of its block: gone on the next run, it moves no element after
it. It takes no room (``style``, drawn with the run's other styles). The script holds the part in place while the
page above it is still being drawn (pictures load, an expander opens) and lets go at the reader's first scroll,
touch, click or key, or after ``HOLD_MS``.
"""

from __future__ import annotations

import json
import secrets

import streamlit as st

HOLD_MS = 10_000
TABS = '[data-testid="stTabs"]'  # the tabs element around a point (a tab's content, the walk in its tab)
_MARK = "cnnviz-scroll"

# The Streamlit header covers the window's top 60 px: the part stops below it (its scroll margin).
_SCRIPT = """(() => {
  const part = document.currentScript && document.currentScript.closest(%(selector)s);
  if (!part) return;
  if (window.cnnvizScrollRelease) window.cnnvizScrollRelease();  // the newest script holds the page
  const header = document.querySelector('[data-testid="stHeader"]');
  const content = document.querySelector('[data-testid="stMainBlockContainer"]') || document.body;
  const ends = Date.now() + %(hold)d, events = ["wheel", "touchstart", "pointerdown", "keydown"];
  let observer = null;
  const release = () => {
    if (observer) observer.disconnect();
    events.forEach((name) => window.removeEventListener(name, release, true));
    if (window.cnnvizScrollRelease === release) window.cnnvizScrollRelease = null;
  };
  const place = () => {
    if (!part.isConnected || Date.now() > ends) return release();
    part.style.scrollMarginTop = ((header ? header.offsetHeight : 0) + 8) + "px";
    part.scrollIntoView({block: "start", behavior: "instant"});
  };
  window.cnnvizScrollRelease = release;
  events.forEach((name) => window.addEventListener(name, release, {capture: true, passive: true}));
  observer = new ResizeObserver(place);
  observer.observe(content);
})();"""


def style() -> str:
    """The script's element takes no room, not even the gap between elements (app.py draws it with the others)."""
    return f'<style>[data-testid="stElementContainer"]:has(.{_MARK}) {{ display: none; }}</style>'


def into_view(selector: str) -> None:
    """Scroll the element around this point that matches ``selector`` to the top of the window, once."""
    # A new body every time: the browser runs an element's script when its body changes, not when it is drawn again.
    script = _SCRIPT % {"selector": json.dumps(selector), "hold": HOLD_MS}
    st.html(f'<div class="{_MARK}" data-run="{secrets.token_hex(4)}"></div><script>{script}</script>',
            unsafe_allow_javascript=True)


def key_selector(key: str) -> str:
    """The CSS selector of a keyed Streamlit element or container (Streamlit gives it the class ``st-key-KEY``)."""
    return f".st-key-{key}"
