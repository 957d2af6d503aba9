"""A cached call's spinner in the session's language."""

from __future__ import annotations

import functools

import streamlit as st

from cnnviz.i18n import _


def with_spinner(text: str):
    """``show_spinner`` takes one text for every session; this shows ``_(text)`` in the caller's language."""
    def wrap(cached_function):
        @functools.wraps(cached_function)
        def call(*args, **kwargs):
            with st.spinner(_(text)):
                return cached_function(*args, **kwargs)
        return call
    return wrap
