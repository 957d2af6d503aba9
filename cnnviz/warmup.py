"""Import the heavy libraries and trace a few small models in the background once the first page is on
screen, so that the first click on an architecture page does not wait for torch to load and warm up; then run
the app's own steps (every page's first view), at a lower CPU priority than the visitors' pages."""

from __future__ import annotations

import atexit
import gc
import importlib
import os
import sys
import threading
import time
from collections.abc import Callable, Sequence

HEAVY_MODULES = ("torch", "torchvision.models", "cnnviz.analysis.summary", "cnnviz.analysis.graph",
                 "cnnviz.analysis.charts", "cnnviz.analysis.published", "plotly.graph_objects")
WARM_UP_MODELS = ("resnet18", "densenet121", "mobilenet_v2", "googlenet", "alexnet")
_started = threading.Event()
_stopping = threading.Event()
finished_s: float | None = None  # how long the whole warm-up took, once it has finished


def started() -> bool:
    return _started.is_set()


def start_background_imports(steps: Sequence[Callable[[], object]] = ()) -> None:
    """Idempotent: the first call starts one daemon thread for the whole process, which imports, traces, then
    calls each of ``steps`` in order (a step that fails is skipped: the page will show its error itself)."""
    if _started.is_set():
        return
    _started.set()
    thread = threading.Thread(target=_warm_up, args=(tuple(steps),), name="cnnviz-warmup", daemon=True)
    thread.start()
    atexit.register(_finish, thread)


def _finish(thread: threading.Thread) -> None:
    """At exit: a daemon thread still inside torch when the interpreter finalises aborts the process, so the
    warm-up stops after its current step and is waited for."""
    _stopping.set()
    thread.join(timeout=60)


def lower_priority(niceness: int = 10) -> bool:
    """Give the calling thread (and the threads it starts from now on) a lower CPU priority, so that background
    work yields to the visitors' pages. Linux only (a thread's nice value); returns whether it applied."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), niceness)
    except (AttributeError, OSError):
        return False
    return True


def settle() -> None:
    """Move every object alive now (modules, warm caches) out of the garbage collector's sight. Streamlit runs a
    full collection after every script run while holding the GIL: over torch, timm and the caches it took 0.4-0.7 s
    per page view, during which the server sent nothing to any browser. Frozen objects are still freed by their
    reference counts; only cycles among them would stay, and these live as long as the server anyway."""
    gc.freeze()


def _warm_up(steps: tuple[Callable[[], object], ...] = ()) -> None:
    global finished_s
    started = time.perf_counter()
    lower_priority()
    for module in HEAVY_MODULES:
        if _stopping.is_set():
            return
        importlib.import_module(module)
    settle()
    # torch prepares each meta kernel on its first call (DenseNet-121's first trace takes twice its
    # second): trace small models that use the common layer types once, off the visitor's clock.
    from cnnviz.analysis.summary import summary_of

    for model in WARM_UP_MODELS:
        if _stopping.is_set():
            return
        summary_of(model)  # kept: the pages reuse these
    settle()
    for step in steps:
        if _stopping.is_set():
            return
        try:
            step()
        except Exception:  # noqa: BLE001 — a cache warmed in advance only; the page computes (and reports) it
            pass
        settle()
    finished_s = time.perf_counter() - started
    print(f"cnnviz: warm-up finished in {finished_s:.1f} s", file=sys.stderr, flush=True)  # the server's log
