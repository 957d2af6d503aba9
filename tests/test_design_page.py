"""The designer's page through AppTest: a student rebuilds LeNet-5 and AlexNet from an empty page and gets the
registry's exact counts; a mistake shows its sentence at its layer; a bad link names the layer it cannot read;
goals from the link are checked live; edits move and remove layers; the design opens on "Your network"."""

import pytest

from cnnviz.analysis.summary import summary_of
from cnnviz.designer.link import to_link
from cnnviz.designer.templates import alexnet, lenet5
from tests.conftest import open_page

PAGE = "pages/design.py"


def _numbers(app) -> str:
    return next(m.value for m in app.markdown if "**Totals**" in m.value)


def _add(app, kind: str, **values) -> None:
    app.selectbox(key="design_new_kind").set_value(kind).run()
    app.button(key="design_insert").click().run()
    number = app.session_state["design_layer"]
    for name, value in values.items():
        key = f"design_{number}_{name}"
        widget = app.checkbox(key=key) if isinstance(value, bool) else app.number_input(key=key)
        widget.set_value(value).run()
    assert not app.exception, app.exception


def _from_empty(app) -> None:
    app.selectbox(key="design_template").set_value("empty").run()
    app.button(key="design_load").click().run()
    assert app.session_state["design_net"] == "1_1x32_10"


def _layers_of(app, design) -> None:
    """Every layer of ``design`` added through the editor, its settings typed in one by one."""
    for layer in design.layers:
        _add(app, layer.kind, **dict(layer.settings))


@pytest.mark.slow
def test_a_student_rebuilds_lenet5_from_an_empty_page():
    app = open_page(PAGE)
    _from_empty(app)
    _layers_of(app, lenet5())
    assert not app.error
    registry = summary_of("lenet5")
    assert f"{registry.total_params:,} parameters · {registry.total_macs:,} MACs" in _numbers(app)
    assert app.session_state["design_net"] == to_link(lenet5())


@pytest.mark.slow
def test_a_student_rebuilds_alexnet_from_an_empty_page():
    app = open_page(PAGE)
    _from_empty(app)
    for name, value in (("channels", 3), ("side", 224), ("classes", 1000)):
        app.number_input(key=f"design_{name}").set_value(value).run()
    _layers_of(app, alexnet())
    assert not app.error
    registry = summary_of("alexnet")
    assert f"{registry.total_params:,} parameters · {registry.total_macs:,} MACs" in _numbers(app)


def test_a_mistake_shows_its_sentence_at_its_layer_and_counts_the_layers_before():
    app = open_page(PAGE)
    app.number_input(key="design_side").set_value(12).run()  # LeNet-5 on 12x12: C3 finds a 4x4 map
    assert not app.exception
    assert app.error[0].value.startswith("layer 4: a 5x5 kernel does not fit the 4x4 map: (4 - 5 + 2·0)/1 + 1 = 0")
    table = app.dataframe[0].value
    assert table.loc[3, "note"].startswith("layer 4: a 5x5 kernel does not fit")
    assert table.loc[5, "note"] == "not counted: after the mistake"
    assert "Counted: layers 1 to 3" in " ".join(c.value for c in app.caption)


def test_a_link_opens_its_design_and_a_bad_link_names_the_layer_it_cannot_read():
    app = open_page(PAGE)
    app.query_params["net"] = to_link(alexnet())
    app.run()
    assert "61,100,840 parameters" in _numbers(app)
    app.query_params["net"] = "1_1x32_10_c6k5,t,zz,f"
    app.run()
    assert not app.exception
    assert any("layer 3 of the link cannot be read: zz" in w.value for w in app.warning)
    assert "61,100,840 parameters" in _numbers(app)  # the design the page had


def test_goals_in_the_link_are_checked_live():
    app = open_page(PAGE)
    app.query_params.update({"rf_goal": "100", "params_budget": "1000000"})
    app.run()
    lines = [m.value for m in app.markdown]
    assert "❌ receptive field 32 px, at least 100 px" in lines
    assert "✅ 61,706 parameters, under 1,000,000" in lines
    assert not app.success
    app.query_params["net"] = to_link(alexnet())
    app.query_params["params_budget"] = "100000000"
    app.run()
    lines = [m.value for m in app.markdown]
    assert "✅ receptive field 195 px, at least 100 px" in lines
    assert any(s.value == "Challenge met." for s in app.success)


def test_edits_move_and_remove_layers():
    app = open_page(PAGE)
    app.selectbox(key="design_layer").set_value(2).run()
    app.button(key="design_up").click().run()
    assert app.session_state["design_net"].startswith("1_1x32_10_t,c6k5,")
    assert app.session_state["design_layer"] == 1
    app.button(key="design_remove").click().run()
    assert app.session_state["design_net"].startswith("1_1x32_10_c6k5,as2,")
    app.button(key="design_down").click().run()
    assert app.session_state["design_net"].startswith("1_1x32_10_as2,c6k5,")
    assert app.query_params["net"] == app.session_state["design_net"]  # every edit is in the link


def test_export_tab_offers_the_files_and_opens_the_design_on_your_network():
    app = open_page(PAGE)
    app.query_params["tab"] = "export"
    app.run()
    labels = [b.label for b in app.get("download_button")]
    assert len(labels) == 3
    app.button(key="design_open_onnx").click().run()
    assert not app.exception
    assert "Your network" == app.title[0].value
    assert any(m.value == "61.71 K" for m in app.metric)


@pytest.mark.parametrize("language,words", [("zh", "第 4 层：5x5 的卷积核放不进 4x4 的特征图"),
                                            ("ko", "레이어 4: 5x5 커널이 4x4 맵에 들어가지 않습니다")])
def test_the_mistake_is_said_in_the_sessions_language(language, words):
    app = open_page(PAGE)
    app.query_params["lang"] = language
    app.query_params["net"] = "1_1x12_10_c6k5,t,as2,c16k5"
    app.run()
    assert not app.exception
    assert words in app.error[0].value


@pytest.mark.parametrize("tab", ["graph", "cost", "walk"])
def test_graph_cost_and_walk_draw_a_design_with_spans(tab):
    from cnnviz.designer.templates import resnet18

    app = open_page(PAGE)
    app.query_params.update({"net": to_link(resnet18()), "tab": tab, "step": "3"})
    app.run()
    assert not app.exception and not app.error
    if tab == "walk":
        assert app.markdown[[m.value.startswith("## ") for m in app.markdown].index(True)].value == \
            "## residual5 · Residual"
