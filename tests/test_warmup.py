"""The server's warm-up and the first views' caches. Every warm-up step runs (the warm-up skips a failing step
silently, and that page's first visitor then waits for the computation)."""

from __future__ import annotations


def test_every_warm_up_step_runs():
    from ui import warmup

    steps, failed = warmup._steps(), []
    for step in steps:
        try:
            step()
        except Exception as error:  # noqa: BLE001 — every failure is listed, not only the first
            failed.append(f"{step}: {error!r}")
    assert not failed, failed
    assert len(steps) > 20  # one step per architecture page, then the other pages'


def test_a_first_view_figure_is_built_once_per_key_and_language():
    import plotly.graph_objects as go

    from cnnviz import i18n
    from ui.cached import figure

    built = []

    def bars(height: int):
        built.append(height)
        return go.Figure(go.Bar(y=[height]))

    first = figure(("test bars", 1), lambda: bars(1))
    again = figure(("test bars", 1), lambda: bars(99))  # the same key: the same picture, not built again
    other = figure(("test bars", 2), lambda: bars(2))
    assert built == [1, 2]
    assert list(first["data"][0]["y"]) == list(again["data"][0]["y"]) == [1]
    assert list(other["data"][0]["y"]) == [2]
    previous = i18n.current()
    try:
        i18n.use("zh")  # its titles are in another language: built again
        figure(("test bars", 1), lambda: bars(3))
    finally:
        i18n.use(previous)
    assert built == [1, 2, 3]
