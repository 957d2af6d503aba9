"""Where training runs, on how many CPU threads (its random numbers: ``cnnviz.training.seeding``)."""

from __future__ import annotations

import contextlib
import functools

import torch


def pick_device() -> str:
    """CUDA when present, else the CPU."""
    return "cuda" if torch.cuda.is_available() else "cpu"


@contextlib.contextmanager
def cpu_threads(limit: int):
    """At most ``limit`` intra-op CPU threads inside the block, then the previous number again.

    The mini-trainings' tensors are small: handing each op to a second thread costs more than the arithmetic,
    and on a busy machine it made one schedule run 20x slower (16 s instead of 0.8 s). With torch's OpenMP
    backend the setting belongs to the calling thread, so other sessions of the app are not affected.
    """
    before = torch.get_num_threads()
    torch.set_num_threads(max(1, min(limit, before)))
    try:
        yield
    finally:
        torch.set_num_threads(before)


def single_threaded(function):
    """``function`` run inside ``cpu_threads(1)``: for the mini-trainings, whose tensors are too small to share."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        with cpu_threads(1):
            return function(*args, **kwargs)

    return wrapper
