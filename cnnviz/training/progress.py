"""How far a queue of training runs has got, for the pages' progress bars."""

from __future__ import annotations


def fraction_done(costs: list[float], finished: int, epochs_done: int, epochs: int) -> float:
    """Share of the work done when the first ``finished`` runs are complete and the next has ``epochs_done``.

    ``costs`` is each run's cost per epoch (1 each when the runs are alike); every run has ``epochs`` epochs.
    """
    total = sum(costs) * epochs
    current = costs[finished] * epochs_done if finished < len(costs) else 0.0
    return min((sum(costs[:finished]) * epochs + current) / total, 1.0) if total else 1.0
