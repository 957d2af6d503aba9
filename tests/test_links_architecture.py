"""Links that open exactly a view of an architecture page, presenter mode and the share dialog, in AppTest."""

import pytest

from cnnviz.analysis.summary import summary_of
from cnnviz.format import count
from tests.conftest import leave_and_return, open_link, open_page

NOTICE = "does not fit this page"


def _notices(app) -> list[str]:
    return [w.value for w in app.warning if NOTICE in w.value]


def _step_slider(app):
    return next(s for s in app.select_slider if s.key.endswith("_step"))


def test_a_link_restores_variant_size_step_and_unfolded_blocks():
    app = open_link("googlenet", size="256", step="4", unfold="inception3b,inception4a")
    assert app.number_input[0].value == 256
    assert _step_slider(app).value == 4
    # The page shows the numbers of what the link asked for, computed here independently.
    shown = {m.label: m.value for m in app.metric}
    assert shown["MACs per image"] == count(summary_of("googlenet", 256).total_macs)
    assert not _notices(app)
    # The graph's tab has not run: its setting stays in the link for when it opens.
    assert dict(app.query_params) == {"size": "256", "step": "4", "unfold": "inception3b,inception4a"}
    app = open_link("googlenet", size="256", tab="graph", unfold="inception3b,inception4a")
    assert app.multiselect[0].value == ["inception3b", "inception4a"]
    assert not _notices(app)
    assert dict(app.query_params) == {"size": "256", "tab": "graph", "unfold": "inception3b,inception4a"}


def test_a_link_to_another_variant_shows_that_variant():
    app = open_link("vgg16", variant="vgg19")
    assert app.selectbox[0].value == "vgg19"
    shown = {m.label: m.value for m in app.metric}
    assert shown["Parameters"] == count(summary_of("vgg19").total_params)
    assert shown["Parameters"] != count(summary_of("vgg16").total_params)


@pytest.mark.parametrize("params, widget", [({"variant": "vgg99"}, "variant"), ({"size": "huge"}, "size"),
                                            ({"size": "5000"}, "size"), ({"step": "999"}, "step"),
                                            ({"step": "x"}, "step"), ({"unfold_all": "maybe", "tab": "graph"}, "unfold_all"),
                                            ({"tab": "nowhere"}, "tab")])
def test_a_bad_value_falls_back_to_the_default_with_one_notice(params, widget):
    app = open_link("vgg16", **params)
    notices = _notices(app)
    assert len(notices) == 1 and f"`{widget}=" in notices[0], notices
    assert widget not in app.query_params  # the default is not written back into the link
    assert app.selectbox[0].value == "vgg16" and app.number_input[0].value == 224
    if params.get("tab") != "graph":
        assert _step_slider(app).value == 1


def test_changing_a_widget_writes_the_link_and_the_default_leaves_it():
    app = open_link("alexnet")
    assert dict(app.query_params) == {}
    app.selectbox[0].set_value("alexnet_paper").run()
    assert app.query_params["variant"] == "alexnet_paper"
    app.button(key="alexnet_alexnet_paper_None_next").click().run()
    app.button(key="alexnet_alexnet_paper_None_next").click().run()
    assert app.query_params["step"] == "3" and _step_slider(app).value == 3
    app.button(key="alexnet_alexnet_paper_None_back").click().run()
    assert app.query_params["step"] == "2"
    app.selectbox[0].set_value("alexnet").run()
    assert "variant" not in app.query_params


def _scrolls(app) -> int:
    """The scripts of the last run that scroll the browser to a part of the page (``ui.scroll``)."""
    return sum('class="cnnviz-scroll"' in element.value for element in app.get("html"))


def test_a_link_to_a_step_or_a_tab_scrolls_there_on_its_first_run_only():
    app = open_link("vgg16", variant="vgg19", step="3")
    assert _scrolls(app) == 1
    app.button(key="vgg16_vgg19_None_next").click().run()  # the session's own step: the page stays where it is
    assert app.query_params["step"] == "4" and _scrolls(app) == 0
    assert _scrolls(open_link("vgg16", variant="vgg19")) == 0
    assert _scrolls(open_link("vgg16", step="999")) == 0  # a notice, at the top
    assert _scrolls(open_link("vgg16", tab="table")) == 1


def test_leaving_the_page_and_coming_back_keeps_its_settings():
    app = open_link("resnet50", variant="resnet101", size="320")
    leave_and_return(app, "resnet50")
    assert app.selectbox[0].value == "resnet101" and app.number_input[0].value == 320


def test_a_block_opens_into_its_layers_and_next_walks_through_them():
    from cnnviz.analysis.receptive_field.recursion import receptive_fields
    from cnnviz.lectures.stepper import walk_steps
    from cnnviz.zoo.registry import resolve

    steps = walk_steps(summary_of("resnet50"), receptive_fields(resolve("resnet50")[1]))
    block = next(number for number, step in enumerate(steps, 1) if step.layers)
    app = open_link("resnet50", step=str(block), open="1")
    prefix = "resnet50_resnet50_None"
    inner = next(s for s in app.select_slider if s.key == f"{prefix}_sub")
    layers = len(steps[block - 1].layers)
    assert len(inner.options) == layers > 1
    for _ in range(layers - 1):
        app.button(key=f"{prefix}_next").click().run()
    assert app.query_params["sub"] == str(layers) and app.query_params["step"] == str(block)
    assert any(steps[block - 1].layers[-1].title in m.value for m in app.markdown)
    app.button(key=f"{prefix}_next").click().run()  # past the block's last layer: the next block's first layer
    assert app.query_params["step"] == str(block + 1) and "sub" not in app.query_params
    app.button(key=f"{prefix}_back").click().run()  # and back: the previous block's last layer
    assert app.query_params["step"] == str(block) and app.query_params["sub"] == str(layers)


def test_the_notes_quotes_are_shown_as_written():
    """A quote's asterisks and dollar signs are the notes' own characters, not markdown's emphasis or a formula."""
    app = open_page("pages/alexnet.py")
    confirmed = next(md.value for md in app.markdown if "224 to 227" in md.value)
    assert r"224\*224\*3" in confirmed and r"55\*55\*96" in confirmed


def test_the_paper_tab_shows_the_differences_read_from_the_models():
    from cnnviz.lectures.paper_vs_impl import MODEL_NOTES, departures_for

    app = open_link("alexnet", tab="paper")
    captions = [c.value for c in app.caption]
    (departure,) = departures_for("alexnet")
    assert departure.differences() and all(sentence in captions for sentence in departure.differences())
    app = open_link("inception_v3", tab="paper")
    assert all(f"- {line}" in [t.value for t in app.text] for line in MODEL_NOTES["inception_v3"]())


def test_bn_inception_shows_the_papers_count_beside_ours():
    from cnnviz.analysis.published import paper_parameters_note

    app = open_link("inception_v3", variant="bn_inception")
    shown = {m.label: m.value for m in app.metric}
    assert shown["Parameters"] == count(summary_of("bn_inception").total_params)
    assert paper_parameters_note(summary_of("bn_inception")) in [box.value for box in app.info]
