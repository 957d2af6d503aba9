"""Draw the home page while another thread is half-way through importing pandas (run in a fresh interpreter).

A finder holds pandas' module body until a timer opens the gate: pandas then sits half-initialised in
``sys.modules``, as it does while the app's background warm-up imports it. plotly looks pandas up there, so a page
that draws a chart in that moment fails unless the app has waited for the import to finish. Prints the page's
exceptions (none expected).
"""

import importlib.abc
import importlib.util
import sys
import threading
from pathlib import Path

from streamlit.testing.v1 import AppTest  # the server has streamlit loaded before any session starts

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
assert "pandas" not in sys.modules
gate, inside = threading.Event(), threading.Event()


class HeldPandas(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name != "pandas":
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec("pandas")
        run_body = spec.loader.exec_module

        def exec_module(module):
            inside.set()
            gate.wait()
            run_body(module)

        spec.loader.exec_module = exec_module
        return spec


sys.meta_path.insert(0, HeldPandas())
import cnnviz.warmup  # noqa: E402

cnnviz.warmup._started.set()  # the thread below plays the warm-up, which starts after the server's first page
threading.Thread(target=lambda: __import__("pandas"), daemon=True).start()
inside.wait(30)
threading.Timer(3, gate.set).start()

app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
app.query_params["ilsvrc"] = "1"  # the home page's chart, opened by its link
app.run()
print("exceptions:", [e.message for e in app.exception])
print("charts:", len(app.get("plotly_chart")))
