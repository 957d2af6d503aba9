import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("STREAMLIT_BROWSER_GATHER_USAGE_STATS", "false")


def open_page(path: str):
    """A fresh AppTest of the whole app switched to ``path``, asserted to have rendered without an exception."""
    from streamlit.testing.v1 import AppTest

    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    app.switch_page(path).run()
    assert not app.exception, app.exception
    return app


@pytest.fixture
def no_torchvision_weights(tmp_path, monkeypatch):
    """An empty torch cache: the image pages offer a download instead of loading weights (fast, offline)."""
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))


@pytest.fixture
def one_torch_thread():
    """Torch on one thread for the test, as the app's trainings run (``cnnviz.training.device``)."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def open_link(page: str, **params: str):
    """A fresh AppTest of the whole app opened as a link would open it: ``open_link("alexnet", variant="alexnet_paper")``
    is /alexnet?variant=alexnet_paper. Asserted to have rendered without an exception."""
    from streamlit.testing.v1 import AppTest

    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    app.switch_page(f"pages/{page}.py")
    for name, value in params.items():
        app.query_params[name] = value
    app.run()
    assert not app.exception, app.exception
    return app


def open_tab(app, key: str, title: str):
    """Open a linked tab (``ui.linked_tabs``) by its title, as a click on it would: only the open tab runs."""
    app.session_state[key] = title
    app.run()
    return app


def leave_and_return(app, page: str):
    """Home and back within the session. The browser clears the URL on a change of page; AppTest keeps it, so it
    is cleared here: what comes back is what the session kept."""
    app.switch_page("pages/home.py").run()
    app.query_params.clear()
    app.switch_page(f"pages/{page}.py").run()
    assert not app.exception, app.exception
    return app
