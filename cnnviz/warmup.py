"""Import the heavy libraries and trace a few small models in the background once the first page is on
screen, so that the first click on an architecture page does not wait for torch to load and warm up."""

from __future__ import annotations

import atexit
import importlib
import threading

HEAVY_MODULES = ("torch", "torchvision.models", "cnnviz.analysis.summary", "cnnviz.analysis.graph",
                 "cnnviz.analysis.charts", "cnnviz.analysis.published", "plotly.graph_objects")
WARM_UP_MODELS = ("resnet18", "densenet121", "mobilenet_v2", "googlenet", "alexnet")
_started = threading.Event()
_stopping = threading.Event()


def start_background_imports() -> None:
    """Idempotent: the first call starts one daemon thread for the whole process."""
    if _started.is_set():
        return
    _started.set()
    thread = threading.Thread(target=_warm_up, name="cnnviz-warmup", daemon=True)
    thread.start()
    atexit.register(_finish, thread)


def _finish(thread: threading.Thread) -> None:
    """At exit: a daemon thread still inside torch when the interpreter finalises aborts the process, so the
    warm-up stops after its current step and is waited for."""
    _stopping.set()
    thread.join(timeout=60)


def _warm_up() -> None:
    for module in HEAVY_MODULES:
        if _stopping.is_set():
            return
        importlib.import_module(module)
    # torch prepares each meta kernel on its first call (DenseNet-121's first trace takes twice its
    # second): trace small models that use the common layer types once, off the visitor's clock.
    from cnnviz.analysis.summary import summary_of

    for model in WARM_UP_MODELS:
        if _stopping.is_set():
            return
        summary_of(model)  # kept: the pages reuse these
