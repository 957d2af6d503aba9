"""The mini-trainings' caches: small seeded runs, the same for every visitor, taking turns through one bounded
queue."""

from __future__ import annotations

import streamlit as st

@st.cache_resource(show_spinner=False)
def training_queue():
    """Shared by every session: ``CNNVIZ_TRAINING_WORKERS`` trainings at once, eight waiting per worker, each
    student's share (``CNNVIZ_TRAINING_SHARE``) counted by ``ui.session``."""
    from cnnviz.training.queueing import training_queue as new_queue
    from ui.session import session_owner

    return new_queue(owner_of=session_owner)


def schedule_runs(names: tuple[str, ...], settings) -> dict | None:
    """One cached run per schedule, keyed only by the settings that schedule uses. A run not cached yet waits
    its turn in the training queue, its place in line shown; None (with one line shown) when the line is full."""
    from cnnviz.training.schedules import used_settings
    from ui.training_queue import queued

    used = {name: used_settings(name, settings) for name in names}
    return queued(lambda: {name: schedule_run(name, s.epochs, s.patience, s.warm_epochs) for name, s in used.items()},
                  "schedules", sum(s.epochs for s in used.values()))


@st.cache_data(show_spinner=False, max_entries=96)  # the page shows the spinner, in the session's language
def schedule_run(name: str, epochs: int, patience: int, warm_epochs: int):
    """``Busy`` and ``InLine`` (no worker free: ``schedule_runs`` waits in view and calls again) are raised, not
    cached."""
    from cnnviz.training.queueing import admitted
    from cnnviz.training.schedules import train_with_schedule

    with admitted(training_queue(), "schedules", epochs):
        return train_with_schedule(name, epochs, patience, warm_epochs)
