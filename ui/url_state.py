"""Every view's state in its URL: a link opens exactly this view, and a page left and come back to keeps its
settings.

A widget joins by taking its key from ``bind``::

    name = st.selectbox("Variant", names, key=url_state.bind("variant", f"{arch}_variant", names[0], choices=names))

``bind`` gives the widget its value before it is drawn (from a link just opened, else what the session had,
else the default) and writes that value into the URL (a default value is left out, to keep links short). A bad
or stale value in a link falls back to the default with a one-line notice. Widgets that take their value this
way must not be given ``value=``/``index=`` as well.

Streamlit's own ``bind="query-params"`` puts a choice's shown label into the URL and drops a bad value without a
word; links here carry stable names (``variant=vgg19``) and say when a value is not understood, so this module
writes ``st.query_params`` itself.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from typing import Any, TypeVar

import streamlit as st

from cnnviz.i18n import _
from ui.plain import code, plain

T = TypeVar("T")

_KEPT = "_url_state_kept"  # widget key -> its last value: widgets lose their state when their page is left
_WRITTEN = "_url_state_written"  # param -> the text this session last wrote, to tell a newly opened link from it


class BadValue(ValueError):
    """A link's value that this view cannot show."""


def _store(name: str) -> dict:
    return st.session_state.setdefault(name, {})


def bind(param: str, key: str, default: T, *, choices: Collection | None = None,
         parse: Callable[[str], T] | None = None, show: Callable[[T], str] = str,
         bounds: tuple[Any, Any] | None = None, label: Callable[[T], str] | None = None) -> str:
    """The widget key ``key``, with its value set (see the module). ``parse`` reads the link's text (raising
    ValueError when it cannot); ``choices`` or ``bounds`` say which values are allowed. ``label``: how the page
    names a value to the student (a tab's title, a photo's name), where the link's text (``show``) is an id."""
    kept, written = _store(_KEPT), _store(_WRITTEN)
    raw = st.query_params.get(param)
    if raw is not None and raw != written.get(param):  # a link was opened (or the URL edited): it wins, once
        try:
            st.session_state[key] = _read(raw, default, choices, parse, bounds)
        except (ValueError, TypeError):
            notice(param, raw, _shown(default, show, label))
            st.session_state[key] = default
    elif key not in st.session_state:
        st.session_state[key] = kept.get(key, default)
    value = st.session_state[key]
    if choices is not None and value not in choices:  # a kept value that this view no longer offers
        value = st.session_state[key] = default
    kept[key] = value
    text = show(value)
    if value == default:
        st.query_params.pop(param, None)
        written.pop(param, None)
    else:
        if st.query_params.get(param) != text:
            st.query_params[param] = text
        written[param] = text
    return key


def opened(param: str, texts: Collection[str]) -> bool:
    """Whether this run opens a link whose ``param`` is one of ``texts`` (a link just followed, or the URL edited),
    not a value this session wrote itself. Asked before the ``bind`` that reads it: after it, the value is the
    session's own. A text not in ``texts`` is no view to open: ``bind`` says so in a notice."""
    raw = st.query_params.get(param)
    return raw is not None and raw != _store(_WRITTEN).get(param) and raw in texts


def _shown(value, show: Callable[[Any], str], label: Callable[[Any], str] | None) -> str:
    """The value a notice says is shown instead, as markdown: its label as text, else its link text as code."""
    if label is not None:
        return plain(label(value))
    text = show(value)
    return code(text) if text else _("the default")


def _read(raw: str, default, choices, parse, bounds):
    if parse is not None:
        value = parse(raw)
    elif isinstance(default, bool):
        value = parse_flag(raw)
    elif isinstance(default, (int, float)):
        value = type(default)(raw)
    else:
        value = raw
    if choices is not None and value not in choices:
        raise BadValue(raw)
    if bounds is not None and not bounds[0] <= value <= bounds[1]:
        raise BadValue(raw)
    return value


def parse_flag(raw: str) -> bool:
    if raw in ("1", "true", "on", "yes"):
        return True
    if raw in ("0", "false", "off", "no"):
        return False
    raise BadValue(raw)


def show_flag(value: bool) -> str:
    return "1" if value else "0"


def flag(param: str, key: str, default: bool = False) -> str:
    """``bind`` for a toggle or checkbox: ``?present=1``."""
    return bind(param, key, default, parse=parse_flag, show=show_flag, label=lambda on: _("on") if on else _("off"))


def several(param: str, key: str, choices: Sequence, default: Sequence = (), item: Callable[[str], Any] = str,
            most: int | None = None) -> str:
    """``bind`` for a multiselect: ``?unfold=inception3a,inception4e``, ``?depths=8,20``. ``item`` reads one value.
    Values this view does not offer (and those past ``most``) are left out with a notice; a link naming none of
    them falls back to the default."""
    def parse(raw: str) -> list:
        values = [item(text) for text in raw.split(",") if text]  # an unreadable value raises: the default
        known = [value for value in values if value in choices]
        if not known:
            raise BadValue(raw)
        if len(known) < len(values):
            notice(param, ",".join(str(v) for v in values if v not in choices), _("the others"))
        if most is not None and len(known) > most:
            notice(param, ",".join(map(str, known[most:])), _("the first {count}").format(count=most))
        return known[:most]

    bind(param, key, list(default), parse=parse, show=lambda values: ",".join(map(str, values)))
    # Sent with the widget on every run, not only when it changed: a multiselect the browser draws afresh without
    # it (a run cut short by the next one, on a busy server) starts from an empty choice.
    st.session_state[key] = list(st.session_state[key])
    return key


def notice(param: str, raw: str, instead: str) -> None:
    """One line: this link's ``param=raw`` is not shown; ``instead`` (markdown) is. ``raw`` is anyone's text: a
    code span that it cannot close keeps it from becoming a link, an image or an icon in the app's own box."""
    shown = raw if len(raw) <= 40 else raw[:40] + "…"
    st.warning(_("This link's {setting} does not fit this page; showing {instead} instead.").format(
        setting=code(f"{param}={shown}"), instead=instead), icon=":material/link_off:")


def current_link(leave_out: Collection[str] = ()) -> str:
    """This view's full address, as a student opening it would type it; ``leave_out``: params it drops."""
    url = st.context.url or ""
    base = url.split("?", 1)[0]
    query = "&".join(f"{name}={_quote(value)}" for name, value in st.query_params.items() if name not in leave_out)
    return f"{base}?{query}" if query else base


def _quote(value: str) -> str:
    from urllib.parse import quote

    return quote(value, safe=",-_.")
