"""The layer graph follows the real data flow, folds blocks with subtotals and unfolds on demand."""

import re

from cnnviz.analysis.graph import blocks, layer_graph, svg
from cnnviz.analysis.summary import block_totals, summarize
from cnnviz.format import count
from cnnviz.zoo.registry import resolve


def _edges(dot_source: str) -> list[tuple[str, str, str]]:
    pattern = r'^\s*"?([^"\n]+?)"? -> "?([^"\n]+?)"?(?: \[label=" ?([^"]*)"\])?$'
    return re.findall(pattern, dot_source, flags=re.M)


def test_folded_resnet_has_one_node_per_block_with_subtotals():
    summary = summarize(resolve("resnet18")[1])
    source = layer_graph(summary).source
    assert blocks(summary) == [f"layer{s}.{b}" for s in range(1, 5) for b in range(2)]
    subtotal = block_totals(summary)["layer3.0"]
    assert f"{count(subtotal['params'])} params" in source
    assert "add_" not in source  # the residual add is inside a folded block
    edges = _edges(source)
    assert ("layer2.1", "layer3.0", "128x28x28") in edges


def test_unfolded_block_shows_shortcut_and_projection():
    summary = summarize(resolve("resnet18")[1])
    source = layer_graph(summary, ["layer2.0"]).source
    edges = _edges(source)
    targets_of_input = {t for s, t, _ in edges if s == "layer1.1"}
    # the block's input goes both to conv1 and to the 1x1 projection shortcut W_s
    assert targets_of_input == {"layer2.0.conv1", "layer2.0.downsample.0"}
    assert any(t == "layer2.0.add_" for s, t, _ in edges if s == "layer2.0.downsample.1")
    assert "cluster" in source


def test_inception_module_unfolds_into_four_concatenated_branches():
    summary = summarize(resolve("googlenet")[1])
    source = layer_graph(summary, True).source
    into_cat = [s for s, t, _ in _edges(source) if t == "inception3a.cat"]
    assert len(into_cat) == 4


def test_svg_renders_when_dot_is_installed():
    rendered = svg(layer_graph(summarize(resolve("squeezenet1_1")[1])))
    assert rendered is None or rendered.lstrip().startswith((b"<?xml", b"<svg"))


def test_graph_labels_layers_with_their_own_rows_when_a_parameter_lives_outside_layers():
    from tests.test_analysis import scaled_conv_summary

    summary = scaled_conv_summary()
    conv = summary.layers[0]
    assert conv.name == "conv" and summary.layers[-1].type == "Parameter"
    source = layer_graph(summary).source
    assert f"{count(conv.params)} params · {count(conv.macs)} MACs" in source
    assert "outside layers" not in source
