"""Links to the concept labs, the comparison page and the transfer-learning page: a link opens exactly its view, a
changed widget writes the URL, a bad value falls back with one notice, and a page left and come back to keeps its
settings (AppTest, one app at a time)."""

import pytest

from tests.conftest import open_link, open_page


def _notices(app) -> list[str]:
    return [w.value for w in app.warning if "does not fit this page" in w.value]


def _folded(app, title: str, kind: str) -> bool:
    """Whether an element of ``kind`` (code, dataframe, table) sits in the closed expander ``title``."""
    return any(e.label == title and not e.proto.expanded and getattr(e, kind) for e in app.expander)


# Concept labs ------------------------------------------------------------------------------------------------

def test_stacking_link():
    app = open_link("lab-stacking", channels="32", layers="2", size="10")
    assert [s.value for s in app.slider] == [32, 2, 10]
    assert "5x5" in app.get("plotly_chart")[0].proto.spec and app.success  # two 3x3 layers see 5x5
    app.slider(key="lab_stacking_layers").set_value(4).run()
    assert app.query_params == {"channels": "32", "layers": "4", "size": "10"}
    app.slider(key="lab_stacking_channels").set_value(64).run()  # back to the default: left out of the link
    assert "channels" not in app.query_params


def test_stacking_bad_link():
    app = open_link("lab-stacking", layers="9", size="abc")
    assert [s.value for s in app.slider] == [64, 3, 56]
    assert len(_notices(app)) == 2 and "`layers=9`" in _notices(app)[0]
    assert app.query_params == {}


def test_a_link_opened_again_wins_after_its_widget_went_back_to_the_default():
    """The slider to 4 (?layers=4) and back to 3 (the default, so out of the URL), then ?layers=4 opened again in
    the same session: the link is new text to this session, so it wins, once; the next move of the slider wins."""
    app = open_page("pages/lab-stacking.py")

    def slider():  # each run draws the widget anew: look it up after every run
        return app.slider(key="lab_stacking_layers")

    slider().set_value(4).run()
    assert app.query_params == {"layers": "4"}
    slider().set_value(3).run()
    assert "layers" not in app.query_params
    app.query_params["layers"] = "4"
    app.run()
    assert slider().value == 4 and app.query_params == {"layers": "4"} and not _notices(app)
    # The page follows: four stacked 3x3 layers see 2 * 4 + 1 = 9 pixels, one 9x9 the same.
    table = app.dataframe[0].value
    assert table.iloc[0][["4 x 3x3 (formula)", "one 9x9 (formula)"]].tolist() == [2 * 4 + 1] * 2
    slider().set_value(2).run()
    assert slider().value == 2 and app.query_params == {"layers": "2"}


def test_1x1_gap_link():
    app = open_link("lab-1x1-gap", **{"in": "128"}, out="32", size="14", channels="256", side="5", hidden="1000")
    assert [s.value for s in app.slider] == [128, 32, 14]
    assert [n.value for n in app.number_input] == [256, 5, 1000]
    metrics = {m.label: m.value for m in app.metric}
    assert metrics["Weights"] == f"{128 * 32 + 32:,}" and metrics["Output"] == "14x14x32"
    assert metrics["Parameters, GAP + FC"] == f"{256 * 1000 + 1000:,}"
    app.number_input(key="lab_gap_hidden").set_value(2000).run()
    assert app.query_params["hidden"] == "2000" and app.query_params["in"] == "128"


def test_1x1_gap_bad_link():
    app = open_link("lab-1x1-gap", **{"in": "0"}, side="x", hidden="1.5")
    assert app.slider(key="lab_gap_in").value == 256 and app.number_input(key="lab_gap_side").value == 7
    assert app.number_input(key="lab_gap_hidden").value == 4096
    assert len(_notices(app)) == 3 and not app.error


BOTTLENECK_LINK = {"in": "128", "reduce": "16", "inc_3x3": "64", "res_mid": "32", "mb_k": "5", "fire_e3": "32"}
BOTTLENECK_TABS = {"notes": ("in", "reduce"), "inception": ("inc_3x3",), "resnet": ("res_mid",),
                   "mobilenet": ("mb_k",), "fire": ("fire_e3",)}


@pytest.mark.parametrize("tab", list(BOTTLENECK_TABS))
def test_bottleneck_link(tab):
    """One link carries every tab's numbers; the open tab (?tab=) shows its own, the others wait in the link."""
    app = open_link("lab-bottleneck", tab=tab, **BOTTLENECK_LINK)
    shown = {n.key.removeprefix("lab_bottleneck_") for n in app.number_input}
    assert set(BOTTLENECK_TABS[tab]) <= shown and not shown & {p for t in BOTTLENECK_TABS if t != tab
                                                              for p in BOTTLENECK_TABS[t]}
    assert all(app.number_input(key=f"lab_bottleneck_{p}").value == int(BOTTLENECK_LINK[p])
               for p in BOTTLENECK_TABS[tab])
    tables = [str(frame.value) for frame in [*app.dataframe, *app.table]]
    expected = {"notes": "128 → 16", "inception": "64 → 64", "resnet": "128 → 32 → 128", "mobilenet": "standard 5x5",
                "fire": "16 → 32"}[tab]
    assert any(expected in t for t in tables) and not app.error
    assert all(app.query_params[p] == v for p, v in BOTTLENECK_LINK.items())  # the other tabs' numbers stay


def test_bottleneck_link_back_to_a_default():
    app = open_link("lab-bottleneck", tab="mobilenet", mb_k="5", res_mid="32")
    app.number_input(key="lab_bottleneck_mb_k").set_value(3).run()
    assert "mb_k" not in app.query_params and app.query_params["res_mid"] == "32"


@pytest.mark.parametrize("tab, param, bad, default", [("notes", "reduce", "-3", 32), ("mobilenet", "mb_k", "12", 3),
                                                      ("fire", "fire_in", "abc", 96)])
def test_bottleneck_bad_link(tab, param, bad, default):
    app = open_link("lab-bottleneck", tab=tab, **{param: bad})
    assert app.number_input(key=f"lab_bottleneck_{param}").value == default
    assert len(_notices(app)) == 1 and not app.error


def test_lrn_link():
    app = open_link("lab-lrn", preset="alexnet", k="1.5", n="3", alpha="0.001", beta="0.5", channels="6", i="5",
                    pos="1")
    assert app.radio(key="lab_lrn_preset").value == "alexnet"
    constants = [app.number_input(key=f"lab_lrn_alexnet_{name}").value for name in ("k", "n", "alpha", "beta")]
    assert constants == [1.5, 3, 0.001, 0.5]
    assert app.slider(key="lab_lrn_channels").value == 6 and app.number_input(key="lab_lrn_i_6").value == 5
    assert app.radio(key="lab_lrn_pos").value == 1
    assert "LocalResponseNorm(size=3, alpha=0.001, beta=0.5, k=1.5)" in app.code[0].value
    assert r"b^{5}" in app.latex[-1].value
    app.radio(key="lab_lrn_pos").set_value(0).run()
    assert "pos" not in app.query_params and app.query_params["preset"] == "alexnet"


def test_lrn_bad_link():
    app = open_link("lab-lrn", preset="lrn2", k="nan", channels="13", pos="2")
    assert app.radio(key="lab_lrn_preset").value == "notes"
    assert app.number_input(key="lab_lrn_notes_k").value == 0.0
    assert app.slider(key="lab_lrn_channels").value == 4 and app.radio(key="lab_lrn_pos").value == 0
    assert len(_notices(app)) == 4
    assert app.code and all(e.label != "The torch calls" for e in app.expander)  # in place when not presenting


def test_output_size_link():
    app = open_link("lab-output-size", example="vgg-3x3", kind="max-pooling", w="9", f="2", s="2", p="0",
                    ceil="1")
    assert app.selectbox(key="lab_output_size_example").value == "vgg-3x3"
    assert app.selectbox(key="lab_output_size_vgg-3x3_kind").value == "max pooling"
    sizes = [app.number_input(key=f"lab_output_size_vgg-3x3_{name}").value for name in ("w", "f", "s", "p", "d")]
    assert sizes == [9, 2, 2, 0, 1] and app.toggle(key="lab_output_size_vgg-3x3_ceil").value
    assert {m.label: m.value for m in app.metric}["Output size"] == "5 x 5"  # ceil(7 / 2) + 1
    assert app.success  # the formula and PyTorch agree
    app.selectbox(key="lab_output_size_vgg-3x3_kind").set_value("transposed convolution").run()
    assert app.query_params["kind"] == "transposed-convolution" and app.query_params["ceil"] == "1"


def test_output_size_bad_link():
    app = open_link("lab-output-size", example="nope", kind="pool", w="0", ceil="maybe")
    assert app.selectbox(key="lab_output_size_example").value == "own"
    assert app.selectbox(key="lab_output_size_own_kind").value == "convolution"
    assert app.number_input(key="lab_output_size_own_w").value == 8
    assert not app.toggle(key="lab_output_size_own_ceil").value
    assert len(_notices(app)) == 4 and app.query_params == {}


def test_receptive_field_links_to_each_tab():
    app = open_link("lab-receptive-field", model="alexnet", measure="1")
    assert app.selectbox(key="lab_rf_model").value == "alexnet"
    assert app.toggle(key="lab_rf_alexnet_measure").value and app.success  # measured = computed
    app.selectbox(key="lab_rf_model").set_value("vgg16").run()
    assert "model" not in app.query_params and "measure" not in app.query_params  # vgg16's own toggle is off

    app = open_link("lab-receptive-field", tab="growth", models="alexnet,resnet50")
    assert app.multiselect(key="lab_rf_growth_models").value == ["alexnet", "resnet50"]
    assert len(app.get("plotly_chart")) == 1

    app = open_link("lab-receptive-field", tab="photo", net="alexnet", photo="astronaut", layer="features.3",
                    row="0", col="2")
    assert app.selectbox(key="lab_rf_photo_model").value == "alexnet"
    assert app.selectbox(key="lab_rf_photo").value == "astronaut"
    assert app.selectbox(key="lab_rf_alexnet_layer").value == "features.3"
    assert [app.slider(key=f"lab_rf_alexnet_features.3_{axis}").value for axis in ("row", "col")] == [0, 2]
    assert any("`features.3`" in c.value and "rows 0–" in c.value for c in app.caption)
    app.slider(key="lab_rf_alexnet_features.3_col").set_value(5).run()
    assert app.query_params["col"] == "5" and app.query_params["tab"] == "photo"


def test_receptive_field_bad_link():
    app = open_link("lab-receptive-field", tab="photos", model="vgg99")
    assert app.selectbox(key="lab_rf_model").value == "vgg16"  # the first tab, with its default model
    assert len(_notices(app)) == 2 and not app.error
    app = open_link("lab-receptive-field", tab="growth", models="alexnet,bogus")
    assert app.multiselect(key="lab_rf_growth_models").value == ["alexnet"]  # the known names stay
    assert len(_notices(app)) == 1 and "bogus" in _notices(app)[0]
    app = open_link("lab-receptive-field", tab="growth", models="bogus")
    assert app.multiselect(key="lab_rf_growth_models").value == ["alexnet", "vgg16", "googlenet", "resnet50",
                                                                 "mobilenet_v2"]
    assert len(_notices(app)) == 1
    app = open_link("lab-receptive-field", tab="photo", net="alexnet", layer="features.99", row="-1")
    default_layer = app.selectbox(key="lab_rf_alexnet_layer").value
    assert default_layer != "features.99" and len(_notices(app)) == 2
    rows = app.slider(key=f"lab_rf_alexnet_{default_layer}_row")
    assert rows.value == (rows.proto.max + 1) // 2  # the middle unit


def test_regularisation_link():
    app = open_link("lab-regularisation", p="0.2")
    assert app.slider(key="lab_regularisation_p").value == 0.2
    assert any("torch.nn.Dropout(0.2)" in c.value for c in app.caption)
    app.slider(key="lab_regularisation_p").set_value(0.7).run()
    assert app.query_params["p"] == "0.7"


def test_regularisation_bad_link():
    app = open_link("lab-regularisation", p="0.25")  # between the slider's steps
    assert app.slider(key="lab_regularisation_p").value == 0.5 and len(_notices(app)) == 1


# Settings survive leaving the page ---------------------------------------------------------------------------

def test_lab_settings_survive_leaving_the_page():
    app = open_page("pages/lab-lrn.py")
    app.radio(key="lab_lrn_preset").set_value("alexnet").run()
    app.number_input(key="lab_lrn_alexnet_beta").set_value(0.5)
    app.slider(key="lab_lrn_channels").set_value(6).run()
    app.number_input(key="lab_lrn_i_6").set_value(4).run()
    link = dict(app.query_params)
    assert link == {"preset": "alexnet", "beta": "0.5", "channels": "6", "i": "4"}
    app.switch_page("pages/home.py").run()
    app.query_params.clear()  # changing page clears the URL
    app.switch_page("pages/lab-lrn.py").run()
    assert not app.exception
    assert app.radio(key="lab_lrn_preset").value == "alexnet"
    assert app.number_input(key="lab_lrn_alexnet_beta").value == 0.5
    assert app.slider(key="lab_lrn_channels").value == 6 and app.number_input(key="lab_lrn_i_6").value == 4
    assert dict(app.query_params) == link  # and the link is written again


# The comparison and transfer-learning pages ------------------------------------------------------------------

def test_compare_link():
    app = open_link("compare-architectures", tab="notes", flagged="1", recipes="vgg16,resnet50")
    assert app.toggle(key="compare_notes_flagged_only").value
    flagged = int({m.label: m.value for m in app.metric}["Flagged"])
    assert len(app.dataframe[0].value) == flagged
    assert app.query_params["recipes"] == "vgg16,resnet50"  # kept for its tab, which has not run
    app = open_link("compare-architectures", tab="recipes", flagged="1", recipes="vgg16,resnet50")
    assert app.multiselect(key="compare_recipes").value == ["vgg16", "resnet50"]
    assert len(app.table[0].value.columns) == 2  # one column per chosen architecture
    app.multiselect(key="compare_recipes").set_value(["alexnet"]).run()
    assert app.query_params["recipes"] == "alexnet" and app.query_params["flagged"] == "1"
    assert app.query_params["tab"] == "recipes"


def test_compare_bad_link():
    app = open_link("compare-architectures", tab="notes", flagged="2", recipes="vgg16,bogus")
    assert not app.toggle(key="compare_notes_flagged_only").value
    assert len(_notices(app)) == 1
    app = open_link("compare-architectures", tab="recipes", flagged="2", recipes="vgg16,bogus")
    assert app.multiselect(key="compare_recipes").value == ["vgg16"]
    assert len(_notices(app)) == 1


def test_transfer_link():
    app = open_link("transfer-learning", model="vgg16", classes="3", mode="top", top="2")
    assert app.selectbox(key="transfer_learning_model").value == "vgg16"
    assert app.number_input(key="transfer_learning_classes").value == 3
    assert app.radio(key="transfer_learning_mode").value == "top"
    assert app.slider(key="transfer_learning_top").value == 2
    assert {m.label: m.value for m in app.metric}["New head"] == f"{4096 * 3 + 3:,}"  # VGG's last layer reads 4096
    assert list(app.dataframe[0].value["trains"]).count("yes") == 3  # two stages and the new head
    app.radio(key="transfer_learning_mode").set_value("all").run()
    assert app.query_params["mode"] == "all" and app.query_params["model"] == "vgg16"


def test_transfer_bad_link():
    app = open_link("transfer-learning", model="resnet9", classes="0", mode="top", top="99")
    assert app.selectbox(key="transfer_learning_model").value == "resnet50"
    assert app.number_input(key="transfer_learning_classes").value == 10
    assert app.radio(key="transfer_learning_mode").value == "top" and app.slider(key="transfer_learning_top").value == 1
    assert len(_notices(app)) == 3


# Presenter mode folds code and long tables ---------------------------------------------------------------------

FOLDED = {"lab-lrn": [("The torch calls", "code"), ("Every value: the formula and torch", "dataframe")],
          "lab-receptive-field": [("Every layer's field", "dataframe")],
          "lab-regularisation": [("Each crop's top class", "dataframe")],
          "compare-architectures": [("The summary table", "dataframe")],
          "transfer-learning": [("The PyTorch code", "code")]}


@pytest.mark.parametrize("page", FOLDED)
def test_presenter_mode_folds_code_and_long_tables(page):
    app = open_page(f"pages/{page}.py")
    shown = len(app.code) + len(app.dataframe) + len(app.table)
    assert not any(_folded(app, title, kind) for title, kind in FOLDED[page])
    app.query_params["present"] = "1"  # app.py reads it (open_link runs the page alone)
    app.run()
    assert not app.exception
    assert all(_folded(app, title, kind) for title, kind in FOLDED[page])
    assert len(app.code) + len(app.dataframe) + len(app.table) == shown  # folded away, not dropped
