"""Many users at once: a bounded queue in front of inference, and PyTorch's thread count set once.

A lecture hall uploading at the same moment must neither run 200 forward passes side by side (each holds
its activations, so memory would grow with the crowd) nor wait forever. ``workers`` inferences run at
once; up to ``waiting`` more wait their turn for at most ``wait_s`` seconds; anyone beyond that is told
"busy" at once, and ``retry_busy`` tries again after a short, jittered pause. One student holds at most
``default_share()`` of the admitted jobs (``OverShare`` beyond), so their tabs cannot fill the line for everyone
else. The queue itself, with its tickets, is ``cnnviz.work_queue`` (the live trainings wait in one too).
"""

from __future__ import annotations

import ctypes
import os
import random
import threading
import time
from typing import Callable, TypeVar

from cnnviz.work_queue import ASK, Busy, Owner, WorkQueue, share_from_env, workers_from_env

T = TypeVar("T")
_threads_lock = threading.Lock()
_threads_set: int | None = None


def default_workers() -> int:
    """``CNNVIZ_INFERENCE_WORKERS`` if it is a whole number (at least 1), else one per core, at most 4."""
    return workers_from_env("CNNVIZ_INFERENCE_WORKERS", max(1, min(4, os.cpu_count() or 1)))


def default_share() -> int:
    """``CNNVIZ_INFERENCE_SHARE`` if it is a whole number (0: no limit), else 2: the jobs one student may have
    running or waiting at once. A page runs one job at a time, so 2 leaves room for a second tab (or the job a
    reloaded tab left running) without letting one student take more than two of the 2 workers + 16 places."""
    return share_from_env("CNNVIZ_INFERENCE_SHARE", 2)


def configure_torch_threads(workers: int | None = None) -> int:
    """Give each of ``workers`` concurrent inferences an equal share of the cores.

    The number is chosen once; every call applies it to the calling thread, because with torch's OpenMP
    backend each thread keeps its own count (new threads start from the last one set anywhere).
    """
    global _threads_set
    import torch

    with _threads_lock:
        if _threads_set is None:
            _threads_set = max(1, (os.cpu_count() or 1) // max(1, workers or default_workers()))
            keep_freed_memory()  # here: the first inference sets it, before any feature map is allocated
            try:
                torch.set_num_interop_threads(1)  # one model call at a time per request: no inter-op parallelism
            except RuntimeError:
                pass  # already fixed by an earlier parallel section; harmless
    if torch.get_num_threads() != _threads_set:
        torch.set_num_threads(_threads_set)
    return _threads_set


def keep_freed_memory() -> bool:
    """Let glibc's malloc keep freed feature-map buffers for reuse instead of returning them to the OS.

    By default every forward pass maps its multi-megabyte activations afresh and pays thousands of page
    faults (about a fifth of EfficientNet-Lite0's time on one core); ONNX Runtime avoids this with its own
    arena. Memory stays bounded: the process keeps its peak, and the queue bounds the peak. Returns
    whether the setting applied (glibc only).
    """
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return False
    trim_threshold, mmap_threshold = -1, -3  # mallopt parameter numbers from <malloc.h>
    return bool(libc.mallopt(trim_threshold, 1 << 30) and libc.mallopt(mmap_threshold, 32 << 20))


def release_freed_memory() -> bool:
    """Hand memory that is free inside the process back to the OS (glibc's ``malloc_trim``). ``keep_freed_memory``
    keeps it for the next forward pass; after a job that needed far more than a forward pass (the gradients of a
    batch, in the attribution lab) that would keep the job's peak for the life of the server. Returns whether it
    applied (glibc only)."""
    try:
        return bool(ctypes.CDLL("libc.so.6").malloc_trim(0))
    except (OSError, AttributeError):
        return False


class InferenceQueue(WorkQueue):
    """A ``WorkQueue`` whose jobs run on the cores' share ``configure_torch_threads`` gives each worker."""

    def __init__(self, workers: int | None = None, waiting: int = 0, wait_s: float = 20.0, share: int | None = None,
                 owner_of: Callable[[], Owner] | None = None) -> None:
        super().__init__(workers or default_workers(), waiting, wait_s,
                         share=default_share() if share is None else share, owner_of=owner_of)

    def run(self, function: Callable[..., T], *args, owner: Owner | object = ASK, **kwargs) -> T:
        """Run ``function`` when a worker is free; raise ``Busy`` if the queue is full or the wait too long,
        ``OverShare`` if ``owner`` (by default the queue's ``owner_of()``) already holds its share."""
        with self.ticket(owner=owner) as ticket:
            ticket.wait()
            configure_torch_threads(self.workers)
            return function(*args, **kwargs)


def retry_busy(call: Callable[[], T], attempts: int = 5, pause_s: float = 0.5,
               on_busy: Callable[[int, Busy], None] | None = None) -> T:
    """Call ``call()`` until it does not raise ``Busy``, at most ``attempts`` times (then re-raise)."""
    for attempt in range(1, attempts + 1):
        try:
            return call()
        except Busy as busy:
            if attempt == attempts:
                raise
            if on_busy:
                on_busy(attempt, busy)
            # Jitter spreads the retries of a crowd that was turned away at the same moment.
            time.sleep(pause_s * attempt * random.uniform(0.5, 1.5))
    raise AssertionError("unreachable")
