"""Streamlit's own English in the widgets it draws, replaced with the app's words where Streamlit has no option for
it: the file uploader's "Drag and drop file here", "64MB per file" and its "Upload" button, and an input's "Press
Enter to apply" / "Press Enter to submit form".

The uploader's limit line states the transport cap (``max_upload_size``), not the app's smaller limit that the
uploader's label states: it is hidden in every language. The other texts are hidden or replaced in the languages
Streamlit does not speak."""

from __future__ import annotations

import json


from cnnviz import i18n
from cnnviz.i18n import _

_DROPZONE = '[data-testid="stFileUploaderDropzone"]'
_INSTRUCTIONS = '[data-testid="stFileUploaderDropzoneInstructions"]'


def _css_text(text: str) -> str:
    """A CSS string holding ``text``: quotes and backslashes escaped as CSS escapes them (and as JSON does), other
    characters as they are (CSS reads no ``\\uXXXX``)."""
    return json.dumps(text, ensure_ascii=False)


def style() -> str:
    """The CSS that hides or replaces Streamlit's words (app.py draws every run's styles in one element)."""
    drop, choose = _css_text(_("Drag and drop a file here")), _css_text(_("Choose a file"))
    style = f"{_INSTRUCTIONS} > * {{ display: none; }} {_INSTRUCTIONS}::after {{ content: {drop}; }}"
    if i18n.current() != i18n.DEFAULT:
        # The button's label is markdown beside its icon: hidden, and the app's words put after the icon.
        style += (f'{_DROPZONE} button [data-testid="stMarkdownContainer"] {{ display: none; }} '
                  f"{_DROPZONE} button [data-has-shortcut]::after {{ content: {choose}; }} "
                  '[data-testid="InputInstructions"] { display: none; }')
    return f"<style>{style}</style>"
