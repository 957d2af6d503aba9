"""Text alternatives: what the layer graphs and the walk's drawings say to a reader who cannot see them (a screen
reader reads an image's alt text), checked against torchvision's models."""

from __future__ import annotations

import graphviz
import pytest
import torch
import torchvision

from cnnviz.analysis.graph import block_graph, layer_graph
from cnnviz.analysis.graph_text import describe
from cnnviz.analysis.summary import summary_of
from tests.conftest import open_link


def _shape(tensor: torch.Tensor) -> str:
    return "x".join(str(size) for size in tensor.shape[1:])


def test_a_windowed_graph_names_its_layers_their_inputs_and_the_step():
    model = torchvision.models.alexnet().eval()
    picture = torch.zeros(1, 3, 224, 224)
    conv = model.features[0]
    after_conv = conv(picture)
    after_pool = model.features[2](model.features[1](after_conv))
    text = describe(layer_graph(summary_of("alexnet"), (), ("features.0",), 2).source)
    kernel, stride = conv.kernel_size, conv.stride
    assert f"features.0, Conv2d {kernel[0]}x{kernel[1]}/{stride[0]}" in text
    assert f"(the step shown), from input ({_shape(picture)})" in text
    assert f"features.1, ReLU, from features.0 ({_shape(after_conv)})" in text
    assert f"layers not shown, from features.2 ({_shape(after_pool)})" in text  # the window ends there
    assert text.count("(the step shown)") == 1


def test_a_blocks_graph_says_where_each_branch_reads_from():
    """GoogLeNet's inception (3a): its four branches read the block's input, 192x28x28 in torchvision's model."""
    model = torchvision.models.googlenet(weights=None, aux_logits=False, init_weights=False).eval()
    seen = {}
    model.inception3a.register_forward_hook(lambda module, inputs, output: seen.update(shape=_shape(inputs[0])))
    with torch.no_grad():
        model(torch.zeros(1, 3, 224, 224))
    text = describe(block_graph(summary_of("googlenet"), "inception3a").source)
    for branch in ("branch1.conv", "branch2.0.conv", "branch3.0.conv", "branch4.0"):
        assert f"{branch}, " in text
    assert text.count(f"from block input ({seen['shape']})") == 4  # branch 4 starts with its max pool


def test_names_with_quotes_and_backslashes_read_as_they_are_written():
    """An ONNX file names its nodes: a quote or a backslash in a name is the name's, not DOT's."""
    name = 'conv "a" \\ b'
    dot = graphviz.Digraph("x")
    dot.node(graphviz.nohtml(name), graphviz.nohtml(name + "\nConv"))
    dot.node("relu")
    dot.edge(graphviz.nohtml(name), "relu", label=" 8x4x4")
    assert describe(dot.source) == f'Layer graph: {name}, Conv · relu, from {name} (8x4x4).'


@pytest.mark.parametrize("language", ["en", "zh"])
def test_the_walks_drawings_say_their_shapes_and_the_graph_around_the_step(language):
    model = torchvision.models.alexnet().eval()
    picture = torch.zeros(1, 3, 224, 224)
    conv = model.features[0]
    app = open_link("alexnet", lang=language)
    volume, graph = [image.proto.imgs[0].alt for image in app.get("image")[-2:]]
    assert f"{_shape(picture)} → " in volume and f"{_shape(conv(picture))}" in volume, volume
    assert f"{conv.kernel_size[0]}x{conv.kernel_size[1]}" in volume, volume
    assert "features.0" in graph and "Conv2d" in graph, graph
    english = ("Activation volumes" in volume, "Layer graph" in graph)
    assert english == ((True, True) if language == "en" else (False, False)), (volume, graph)
