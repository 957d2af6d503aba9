import functools
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("STREAMLIT_BROWSER_GATHER_USAGE_STATS", "false")


def pytest_configure(config):
    """With the tests spread over several processes (pytest-xdist, pytest.ini), each gets its share of the cores
    for torch. With two processes of two OpenMP threads each on two cores, torch's many short parallel sections wait
    at every barrier for a thread that is not running: EfficientNet-Lite0's backward passes took five times as long
    as with one thread, and longer still on a busier machine."""
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    if workers > 1 and os.environ.get("PYTEST_XDIST_WORKER"):
        import torch

        torch.set_num_threads(max(1, (os.cpu_count() or 1) // workers))


@pytest.fixture(scope="session", autouse=True)
def components_scanned_once():
    """Every new AppTest scans all installed distributions for Streamlit components (0.2 s, several hundred
    AppTests in this suite); the installed packages do not change during a run, so the first scan is kept."""
    from streamlit.components.v2 import manifest_scanner

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(manifest_scanner, "scan_component_manifests",
                      functools.cache(manifest_scanner.scan_component_manifests))
        yield


@pytest.fixture(autouse=True)
def english_after_each_test():
    """A test that draws in Chinese or Korean sets this thread's language (AppTest formats drawn choices in the
    test's thread); the next test starts in English again."""
    yield
    from cnnviz import i18n

    i18n.use(i18n.DEFAULT)


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the groups (--dist loadgroup, pytest.ini)
def pytest_collection_modifyitems(config, items):
    """The tests that use the shared app server (``app_url``) run in one process, so that one server is started.
    The longest work goes first (the groups that run in one process: the shared server's tests, the attribution
    lab's, PostgreSQL's; then the ``slow`` tests): the processes take the next test as they finish one, so a long
    test started last would keep one process busy while the other waits."""
    for item in items:
        if "app_url" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.xdist_group("app_server"))
    if os.environ.get("PYTEST_XDIST_WORKER"):
        items.sort(key=lambda item: 0 if item.get_closest_marker("xdist_group") else
                   1 if item.get_closest_marker("slow") else 2)


# The attribution lab fills caches that take ~18 s here (its maps and the sanity check's stages): every test that
# opens it runs in one process, which fills them once (xdist sends a group to one process).
ONE_PROCESS = {"attribution-lab": pytest.mark.xdist_group("attribution-lab")}


def page_param(page: str):
    """A ``page`` parameter, sent to the process of the other tests of that page where its caches are slow to fill."""
    return pytest.param(page, marks=ONE_PROCESS[page]) if page in ONE_PROCESS else page


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


@pytest.fixture(scope="session")
def app_url():
    """The base URL of one ``streamlit run app.py`` shared by the browser tests that each open the app in a new
    browser, as a new visitor of a running server: starting a server and its warm-up takes 10-15 s. A test about
    a new server's first request starts its own (``tests.browser.app_server``)."""
    from tests.browser import app_server

    with app_server() as (url, _):
        yield url


@pytest.fixture(scope="session")
def lite0_classifier():
    """EfficientNet-Lite0 with its eager model (``fast=False``), loaded once for the whole run: the app, too, shares
    one read-only model among all its sessions and threads. The teardown checks that no test changed its weights
    (one that wants other weights works on a copy, as the sanity check's randomisation does)."""
    import torch

    from cnnviz.imagelab.predict import load_classifier

    classifier = load_classifier("efficientnet_lite0", fast=False)
    weights = {key: value.clone() for key, value in classifier.model.state_dict().items()}
    yield classifier
    changed = [key for key, value in classifier.model.state_dict().items() if not torch.equal(weights[key], value)]
    assert not changed, f"a test changed the shared EfficientNet-Lite0's weights: {changed[:5]}"


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
