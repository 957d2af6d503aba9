"""Every page renders without an exception (AppTest is not thread-safe: these run one after another)."""

import subprocess
import sys

import pytest
from streamlit.testing.v1 import AppTest

from cnnviz.zoo.registry import architectures
from tests.conftest import ROOT, open_tab
from ui.catalog import page_groups

ENTRIES = [entry for entries in page_groups().values() for entry in entries]


def _app() -> AppTest:
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    return app.run()


def test_home_links_every_page():
    app = _app()
    assert not app.exception
    links = {el.proto.page: el.proto.label for el in app.get("page_link")}
    entries = [entry for entry in ENTRIES if entry.url_path != "home"]
    assert list(links) == [entry.url_path for entry in entries]  # every page but home itself, in the sidebar's order
    for entry in entries:  # its title, and its line below it in gray
        assert links[entry.url_path] == f"{entry.title}  \n:gray[{entry.line}]"


@pytest.mark.parametrize("entry", [e for e in ENTRIES if e.url_path != "home"], ids=lambda e: e.url_path)
def test_page_renders(entry):
    app = _app()
    app.switch_page(entry.path).run()
    assert not app.exception, app.exception
    if entry.url_path in architectures():
        assert app.title[0].value == entry.title
        # The walk's volume drawing and its graph: an SVG picture, or drawn by the browser where `dot` is missing.
        assert len(app.get("image")) >= 2 or app.get("graphviz_chart"), "the layer walk's graph is missing"
        frames = len(app.dataframe)
        _open_tab(app, entry.url_path, "Layer table")
        assert len(app.dataframe) == frames + 1, "the layer table is missing, or it ran while its tab was closed"
        _open_tab(app, entry.url_path, "Where the cost is")
        assert app.get("plotly_chart"), "cost chart missing"


def _open_tab(app: AppTest, page: str, title: str) -> None:
    open_tab(app, f"{page}_tab", title)
    assert not app.exception, app.exception


def test_variant_switch_and_unfold_update_the_page():
    app = _app()
    app.switch_page("pages/resnet50.py").run()
    _open_tab(app, "resnet50", "Layer graph")
    app.selectbox(key="resnet50_variant").set_value("resnet152").run()
    assert not app.exception
    assert any("60,192,808" in m.help for m in app.metric if m.help)
    folded = app.get("graphviz_chart")[-1].proto.spec
    app.toggle(key="resnet50_resnet152_unfold_all").set_value(True).run()
    assert not app.exception
    unfolded = app.get("graphviz_chart")[-1].proto.spec
    assert "layer4.2.conv3" in unfolded and "layer4.2.conv3" not in folded


def test_bad_input_size_is_a_message_not_a_traceback():
    app = _app()
    app.switch_page("pages/alexnet.py").run()
    app.number_input(key="alexnet_alexnet_size").set_value(16).run()
    assert not app.exception
    assert "cannot take" in app.error[0].value


def test_home_page_draws_while_another_thread_imports_pandas():
    """The background warm-up imports pandas; plotly reads the half-imported module unless the app waits."""
    script = ROOT / "tests" / "home_while_pandas_imports.py"
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300)
    assert "exceptions: []" in done.stdout, done.stdout + done.stderr[-2000:]
    assert "charts: 1" in done.stdout


def test_the_servers_first_page_does_not_wait_for_pandas_nor_for_the_emoji_pattern():
    """Cold start: the first run comes before the warm-up, so it neither imports pandas nor waits for it. Nor does it
    compile Streamlit's emoji pattern (0.25 s), which a label that is not ASCII makes some widgets compile."""
    script = ("import sys; from streamlit.testing.v1 import AppTest; "
              f"app = AppTest.from_file({str(ROOT / 'app.py')!r}, default_timeout=120); "
              "import cnnviz.warmup; cnnviz.warmup.start_background_imports = lambda *a, **k: None; "
              "app.run(); print('exceptions:', [e.message for e in app.exception], "
              "[m for m in ('pandas', 'streamlit.emojis') if m in sys.modules])")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert "exceptions: [] []" in done.stdout, done.stdout + done.stderr[-2000:]
