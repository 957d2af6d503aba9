"""The server's warm-up: every step that fills a page's first view runs (a failing step is skipped silently by the
warm-up, and that page's first visitor then waits for the computation)."""

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
