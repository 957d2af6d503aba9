"""The comparison and transfer-learning pages render, with their tables and charts (AppTest, one at a time)."""

import pytest

from cnnviz.lectures.comparison import notes_vs_ours
from cnnviz.lectures.recipes import RECIPES
from tests.conftest import open_link, open_page

pytestmark = pytest.mark.slow


_page = open_page


def test_compare_page_runs_only_its_open_tab():
    app = _page("pages/compare-architectures.py")
    assert app.title[0].value == "Compare architectures"
    assert app.latex and len(app.dataframe) == 1  # the summary table, nothing of the other tabs
    assert not app.get("plotly_chart") and not app.table and not app.metric
    summary = app.dataframe[0].value
    assert {"single path", "depth", "parameters", "MiB", "MACs", "filter sizes"} <= set(summary.columns)
    assert summary.set_index("architecture").loc["VGG", "depth"] == 16


def test_compare_page_tabs_show_charts_flags_and_recipes():
    for tab in ("ilsvrc", "accuracy"):
        assert len(open_link("compare-architectures", tab=tab).get("plotly_chart")) == 1
    app = open_link("compare-architectures", tab="notes")
    verdicts = app.dataframe[0].value
    flagged = {m.label: m.value for m in app.metric}["Flagged"]
    app.toggle(key="compare_notes_flagged_only").set_value(True).run()
    assert not app.exception
    # The page shows every cell of the notes' tables and flags those the verdicts flag.
    cells = notes_vs_ours()
    assert len(verdicts) == len(cells) and int(flagged) == sum(v.flagged for v in cells)
    assert len(app.dataframe[0].value) == int(flagged) < len(verdicts)
    app = open_link("compare-architectures", tab="recipes")
    assert len(app.table) == 1
    warnings = [w.value for w in app.warning]
    assert any(RECIPES["resnet50"].notes_disagree in w for w in warnings)


def test_compare_page_with_no_recipes_chosen_says_so():
    app = open_link("compare-architectures", tab="recipes")
    app.multiselect(key="compare_recipes").set_value([]).run()
    assert not app.exception and not app.table
    assert "Pick at least one" in app.info[0].value


def test_transfer_learning_page_counts_what_trains():
    app = _page("pages/transfer-learning.py")
    assert app.title[0].value == "Transfer learning" and app.latex
    metrics = {m.label: m.value for m in app.metric}
    assert metrics["Trainable parameters"] == f"{2048 * 10 + 10:,}"  # ResNet-50's new 10-class head
    assert app.dataframe and app.get("plotly_chart")
    app.radio(key="transfer_learning_mode").set_value("top").run()
    app.slider(key="transfer_learning_top").set_value(2).run()
    assert not app.exception
    stages = app.dataframe[0].value.set_index("stage")["trains"]
    assert list(stages) == ["frozen", "frozen", "frozen", "yes", "yes", "yes"]
    app.selectbox(key="transfer_learning_model").set_value("efficientnet_lite0").run()
    app.radio(key="transfer_learning_mode").set_value("freeze").run()
    app.number_input(key="transfer_learning_classes").set_value(3).run()
    assert not app.exception
    assert {m.label: m.value for m in app.metric}["Trainable parameters"] == f"{1280 * 3 + 3:,}"
