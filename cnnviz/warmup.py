"""Import the heavy libraries in the background once the first page is on screen, so that the first
click on an architecture page does not wait for torch and torchvision to load."""

from __future__ import annotations

import importlib
import threading

HEAVY_MODULES = ("torch", "torchvision.models", "cnnviz.analysis", "cnnviz.graph", "cnnviz.charts",
                 "cnnviz.published", "pandas", "plotly.graph_objects")
_started = threading.Event()


def start_background_imports() -> None:
    """Idempotent: the first call starts one daemon thread for the whole process."""
    if _started.is_set():
        return
    _started.set()
    threading.Thread(target=lambda: [importlib.import_module(m) for m in HEAVY_MODULES],
                     name="cnnviz-warmup", daemon=True).start()
