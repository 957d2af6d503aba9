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


# ---- the layer walk: a block's shape is its joined output, each call its own step -------------------------------

class _Shown:
    """A step of the layer walk with its output in the notes' notation (28x28x256)."""

    def __init__(self, step):
        from cnnviz.lectures.walk import notes_shape

        self.output = notes_shape(step.output_shape)


def _step(name: str, title: str) -> _Shown:
    from cnnviz.analysis.receptive_field.recursion import receptive_fields
    from cnnviz.lectures.stepper import walk_steps

    variant = resolve(name)[1]
    return _Shown(next(s for s in walk_steps(summarize(variant), receptive_fields(variant)) if s.title == title))


def test_walk_shows_inception_module_as_its_concatenated_branches():
    model = resolve("googlenet")[1].build_on_meta()
    block = model.inception3a
    branches = [block.branch1.conv, block.branch2[-1].conv, block.branch3[-1].conv, block.branch4[-1].conv]
    channels = sum(conv.out_channels for conv in branches)
    assert channels == 64 + 128 + 32 + 32  # Szegedy et al. 2014, Table 1, inception (3a): output 28x28x256
    assert _step("googlenet", "inception3a").output == f"28x28x{channels}"


def test_walk_shows_inception_v3_mixed_5b_as_its_concatenated_branches():
    block = resolve("inception_v3")[1].build_on_meta().Mixed_5b
    channels = sum(b.conv.out_channels for b in (block.branch1x1, block.branch5x5_2, block.branch3x3dbl_3,
                                                   block.branch_pool))
    assert channels == 256
    assert _step("inception_v3", "Mixed_5b").output == f"35x35x{channels}"


def test_walk_shows_dense_block_and_fire_module_outputs():
    densenet = resolve("densenet121")[1].build_on_meta().features
    layers = list(densenet.denseblock1.values())
    channels = densenet.conv0.out_channels + sum(layer.conv2.out_channels for layer in layers)
    assert channels == 64 + 6 * 32  # Huang et al. 2017, Table 1: 6 layers of growth 32 on 64 channels
    assert _step("densenet121", "features.denseblock1").output == f"56x56x{channels}"
    fire = resolve("squeezenet1_0")[1].build_on_meta().features[3]
    assert _step("squeezenet1_0", "features.3").output == \
        f"54x54x{fire.expand1x1.out_channels + fire.expand3x3.out_channels}" == "54x54x128"
