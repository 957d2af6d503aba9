"""Tabs whose open tab is in the link (``?tab=photo``) and stays open when the language changes. A link that names
a tab opens at it: the browser scrolls the tabs to the top of the window (``ui.scroll``)."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from cnnviz import i18n
from cnnviz.i18n import _
from ui import scroll, url_state


def open_tab(key: str, tabs: dict[str, str], sections: dict[str, Callable[[], None]]) -> None:
    """Draw the tabs (``tabs``: id -> English title marked with N_, the first one the default) and run only the
    open tab's section: the others may be heavy (back-propagation, large figures)."""
    titles = {tab: _(title) for tab, title in tabs.items()}
    ids = {title: tab for tab, title in titles.items()}
    _hand_over(key, tabs, titles)

    def parse(raw: str) -> str:
        if raw not in titles:
            raise url_state.BadValue(raw)
        return titles[raw]

    linked = url_state.opened("tab", titles)
    drawn = st.tabs(list(titles.values()), on_change="rerun",
                    key=url_state.bind("tab", key, next(iter(titles.values())), choices=ids, parse=parse,
                                       show=ids.get, label=str))  # a notice names the tab by its title
    for tab, name in zip(drawn, titles, strict=True):
        if tab.open:
            with tab:
                sections[name]()
                if linked:
                    scroll.into_view(scroll.TABS)


def _hand_over(key: str, tabs: dict[str, str], titles: dict[str, str]) -> None:
    """st.tabs keeps the open tab's title in the language it was drawn in; after a change of language the tabs
    are a new widget that would open the first tab, so the open one is handed over by its title now."""
    language_key = f"{key}_language"
    drawn, shown = st.session_state.get(language_key), st.session_state.get(key)
    st.session_state[language_key] = i18n.current()
    if drawn in (None, i18n.current()) or shown is None:
        return
    tab = next((tab for tab, title in tabs.items() if i18n.catalog(drawn).gettext(title) == shown), None)
    if tab is not None:
        st.session_state[key] = titles[tab]
