"""The comparison and transfer-learning pages' caches."""

from __future__ import annotations

import streamlit as st

from cnnviz.i18n import N_
from ui.cached.spinners import with_spinner


@st.cache_data(show_spinner=False)  # the page shows the spinner, in the session's language
def compare_summary_table(language: str) -> list[dict]:
    """``language``: ``i18n.current()``, part of the key: the records hold words (yes, no, titles)."""
    from cnnviz.lectures.comparison import summary_table

    return summary_table()


@st.cache_data(show_spinner=False)  # the page shows the spinner, in the session's language
def compare_notes_verdicts(language: str) -> list[dict]:
    """``language``: ``i18n.current()``, part of the key: the records hold the explanations and translations."""
    from cnnviz.lectures.comparison import notes_vs_ours, verdict_records

    return verdict_records(notes_vs_ours())


@st.cache_data(show_spinner=False)
def compare_winner_depths() -> dict[str, int]:
    from cnnviz.lectures.comparison import model_profile
    from cnnviz.lectures.ilsvrc import RESULTS

    return {entry.model: model_profile(entry.model).depth for entry in RESULTS if entry.model}


@st.cache_data(show_spinner=False)  # numbers and names only; the page shows the spinner, translated
def compare_accuracy_points() -> list[dict]:
    from cnnviz.lectures.ilsvrc import accuracy_points

    return accuracy_points()


@with_spinner(N_("Cutting the model into stages…"))
@st.cache_data(show_spinner=False, max_entries=32)
def transfer_stages(model: str) -> list[dict]:
    from dataclasses import asdict

    from cnnviz.lectures.transfer_stages import model_stages

    return [asdict(stage) for stage in model_stages(model)]


@with_spinner(N_("Building the model and setting requires_grad…"))
@st.cache_data(show_spinner=False, max_entries=64)
def transfer_freezing(model: str, mode: str, new_classes: int, top_stages: int) -> dict:
    from dataclasses import asdict

    from cnnviz.lectures.transfer_stages import Stage, freeze

    found = [Stage(**row) for row in transfer_stages(model)]
    return asdict(freeze(model, mode, new_classes, top_stages, found)[1])
