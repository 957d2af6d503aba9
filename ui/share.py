"""Share this view: its link and a QR code of it, large enough to scan from the back of a room."""

from __future__ import annotations

import io
from urllib.parse import urlsplit

import streamlit as st

from cnnviz.i18n import _
from ui import presenter, url_state


def qr_png(link: str, scale: int) -> bytes:
    import segno

    buffer = io.BytesIO()
    segno.make(link, error="m").save(buffer, kind="png", scale=scale, border=4)
    return buffer.getvalue()


def qr_text(link: str) -> str:
    """A QR code's text alternative: what a phone that reads it opens."""
    return _("QR code of the link {link}").format(link=link)


LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "0.0.0.0"}


def _dialog() -> None:
    # The projector's large type is not for a phone, and a live class's instructor key stays with the instructor.
    link = url_state.current_link(leave_out=(presenter.KEY, "key"))
    big = presenter.presenting()
    code, words = st.columns([4, 5] if big else [1, 2])
    code.image(qr_png(link, scale=12 if big else 8), width="stretch", alt=qr_text(link))
    with words:
        st.write(_("Point a phone's camera at the code, or open the link: it shows this page as it is now, with "
                   "the same variant, step, settings and sample photo, without presenter mode."))
        st.code(link, language=None, wrap_lines=True)
        if urlsplit(link).hostname in LOCAL_HOSTS:
            st.warning(_("This address works only on this computer. For a class, open the app by this machine's "
                         "network address (the server's *Network URL*), then share."), icon=":material/lan:")


def button(container, key: str) -> None:
    if container.button(_("Share this view"), icon=":material/qr_code_2:", key=key,
                        help=_("The link to exactly this view, with a QR code for the room")):
        st.dialog(_("Share this view"), width="large")(_dialog)()
