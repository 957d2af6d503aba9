"""Each concept-lab page renders, and reacts to its widgets (each at its minimum and maximum) without an exception."""


import pytest
from streamlit.proto.NumberInput_pb2 import NumberInput as NumberInputProto
from streamlit.proto.Slider_pb2 import Slider as SliderProto
from streamlit.runtime.state.common import user_key_from_element_id

from tests.conftest import ROOT, open_page, open_tab
from ui.catalog import CONCEPT_LABS

_page = open_page


def test_every_lab_is_in_the_catalog():
    paths = {entry.path for entry in CONCEPT_LABS}
    assert paths == {f"pages/lab-{name}.py" for name in
                     ("receptive-field", "stacking", "lrn", "bottleneck", "1x1-gap", "output-size",
                      "regularisation")}
    assert all((ROOT / path).is_file() for path in paths)
    assert len({entry.url_path for entry in CONCEPT_LABS}) == len(CONCEPT_LABS)


def test_receptive_field_page():
    app = _page("pages/lab-receptive-field.py")
    assert "212 px" in app.metric[0].value  # VGG-16's last stage
    app.selectbox(key="lab_rf_model").set_value("resnet50").run()
    assert not app.exception
    assert "427 px" in app.metric[0].value
    app.toggle(key="lab_rf_resnet50_measure").set_value(True).run()
    assert not app.exception and app.success and "427" in app.success[0].value
    app.session_state["lab_rf_tab"] = "Growth across models"  # only the open tab runs
    app.run()
    assert not app.exception and len(app.get("plotly_chart")) == 1
    app.session_state["lab_rf_tab"] = "On a photo"
    app.run()
    (row,) = [s for s in app.slider if s.label == "Unit row"]  # keyed by the default layer, which may change
    row.set_value(0).run()
    assert not app.exception and len(app.get("plotly_chart")) == 2
    assert "rows 0–" in app.caption[-2].value  # the first row's field is clipped at the top of the image


def test_stacking_page():
    app = _page("pages/lab-stacking.py")
    assert app.success, "formula and torch should agree"
    app.slider(key="lab_stacking_layers").set_value(2).run()
    assert not app.exception and app.success
    assert "5x5" in app.get("plotly_chart")[0].proto.spec


def test_lrn_page():
    app = _page("pages/lab-lrn.py")
    assert "b = 1 / (1² + 1²) = 0.5" in app.info[0].value and "Computed: 0.5" in app.info[0].value
    app.radio(key="lab_lrn_preset").set_value("alexnet").run()
    assert not app.exception
    app.number_input(key="lab_lrn_alexnet_k").set_value(0.0).run()
    assert not app.exception


def test_bottleneck_page():
    app = _page("pages/lab-bottleneck.py")
    assert any("102,400 i²" in w.value for w in app.warning)
    assert len(app.success) == 2 and not app.error  # formula and torch agree on both designs
    assert "lab_bottleneck_res_mid" not in [n.key for n in app.number_input]  # the ResNet tab is closed
    app.number_input(key="lab_bottleneck_reduce").set_value(16).run()
    assert not app.exception and not app.error
    app.session_state["lab_bottleneck_tab"] = "ResNet bottleneck"  # only the open tab runs
    app.run()
    # Any bottleneck width: the block's channels follow (4x), so torchvision's block can always run.
    app.number_input(key="lab_bottleneck_res_mid").set_value(32).run()
    assert not app.exception and not app.error
    assert any("128 → 32 → 128" in str(frame.value) for frame in app.dataframe)


def test_1x1_gap_page():
    app = _page("pages/lab-1x1-gap.py")
    assert any(m.value == "102,764,544" for m in app.metric)
    app.number_input(key="lab_gap_hidden").set_value(1000).run()
    assert not app.exception and not app.error


def test_output_size_page_never_breaks():
    app = _page("pages/lab-output-size.py")
    app.selectbox(key="lab_output_size_example").set_value("alexnet-paper").run()
    assert not app.exception
    assert any("not whole" in i.value for i in app.info)
    prefix = "lab_output_size_alexnet-paper"
    app.number_input(key=f"{prefix}_w").set_value(8).run()  # the kernel is larger than the input
    assert not app.exception and "larger than the padded input" in app.error[0].value
    assert any("Kernel size can't be greater" in c.value for c in app.caption)  # PyTorch's own refusal


def test_output_size_equation_shows_the_dropped_window():
    app = _page("pages/lab-output-size.py")
    prefix = "lab_output_size_own"
    app.selectbox(key=f"{prefix}_kind").set_value("max pooling").run()
    for field, value in (("w", 5), ("f", 2), ("s", 2), ("p", 1)):
        app.number_input(key=f"{prefix}_{field}").set_value(value)
    app.toggle(key=f"{prefix}_ceil").set_value(True).run()
    assert not app.exception and app.success  # formula and PyTorch agree: 3
    equation = app.latex[-1].value  # ceil(5/2) + 1 = 4 windows, less the one starting in the right padding
    assert r"\frac{5}{2} \Big\rceil + 1 - 1 = 3" in equation, equation


# Every number input and slider of every lab, in each of its tabs, at its minimum, then at its maximum --------

INT = {"number_input": NumberInputProto.DataType.INT, "slider": SliderProto.DataType.INT}
# Error boxes a page shows on purpose for the chosen numbers (a refusal explained), by page; any other is ours.
EXPECTED_ERRORS = {"pages/lab-output-size.py": ("No output:",), "pages/lab-lrn.py": ("Undefined:",)}


def _bound(widget, end: str):
    """The widget's min or max in its own type; None for an unbounded number input."""
    proto = widget.proto
    if widget.type == "number_input" and not (proto.has_min if end == "min" else proto.has_max):
        return None
    value = proto.min if end == "min" else proto.max
    return int(value) if proto.data_type == INT[widget.type] else float(value)  # the protos hold doubles


def _at(widget, value) -> bool:
    current = widget.value
    return list(current) == [value] * len(current) if isinstance(current, (list, tuple)) else current == value


def _all_to(app, end: str) -> None:
    """Set every enabled number input and slider to its ``end`` and run, until every one is there: a changed
    value can bring new widgets (keys that depend on it) or move another widget's bounds."""
    for _ in range(4):
        pending = []
        for widget in [*app.number_input, *app.slider]:
            value = _bound(widget, end)
            if value is not None and not widget.proto.disabled and not _at(widget, value):
                pending.append(widget)
                widget.set_value([value, value] if isinstance(widget.value, (list, tuple)) else value)
        if not pending:
            return
        app.run()
        assert not app.exception, (end, [w.key for w in pending], app.exception)
    raise AssertionError(f"the widgets never settled at their {end}: {[w.key for w in pending]}")


def _our_errors(app, page: str) -> list[str]:
    expected = EXPECTED_ERRORS.get(page, ())
    return [e.value for e in app.error if not e.value.startswith(expected)]


LAB_PAGES = sorted(str(path.relative_to(ROOT)) for path in (ROOT / "pages").glob("lab-*.py"))


def _choose(key: str, choice: str):
    return lambda app: app.selectbox(key=key).set_value(choice)


def _linked_tabs(app) -> list[tuple[str, str]]:
    """(session key, title) of every tab of the page's linked tabs (``ui.linked_tabs``: keyed, only the open one
    runs), read from the page as drawn, so that a tab added to a lab is driven without a change here."""
    return [(key, tab.label) for container in app.get("tab_container")
            if (key := user_key_from_element_id(container.proto.tab_container.id))
            for tab in container.children.values()]


def _open(app, key: str, title: str) -> None:
    open_tab(app, key, title)
    assert not app.exception, (title, app.exception)
    # Only the open tab has content: an empty one here means the click reached no tab and its inputs went unset.
    filled = [tab.label for container in app.get("tab_container") for tab in container.children.values()
              if tab.children]
    assert filled == [title], (title, filled)


# Each setup runs once in each tab before the inputs go to their minimum and maximum.
SETUPS = {"pages/lab-output-size.py": [_choose("lab_output_size_own_kind", kind)
                                       for kind in ("convolution", "max pooling", "transposed convolution")]}


@pytest.mark.parametrize("page", LAB_PAGES)
def test_every_input_at_its_minimum_and_maximum(page):
    driven = 0
    for tab in _linked_tabs(_page(page)) or [None]:
        app = _page(page)  # each tab from the page's defaults, not from the last tab's maximums
        if tab is not None:
            _open(app, *tab)
        for setup in SETUPS.get(page, [None]):
            if setup is not None:
                setup(app)
                app.run()
                assert not app.exception, (tab, app.exception)
            driven += len(app.number_input) + len(app.slider)
            for end in ("min", "max"):
                _all_to(app, end)
                assert not _our_errors(app, page), (tab, end, _our_errors(app, page))
    assert driven, "nothing to set: the test would check nothing"
