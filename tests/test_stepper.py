"""The step-through layer walk (``cnnviz.lectures.stepper``) on every registry variant, against the traced model,
the layer graph and the lecture notes; and its volume drawing (``cnnviz.lectures.volumes``)."""

import functools
import re
import xml.etree.ElementTree as ElementTree

import pytest

from cnnviz.analysis.graph import layer_graph
from cnnviz.analysis.receptive_field.recursion import receptive_fields
from cnnviz.analysis.summary import summary_of
from cnnviz.lectures.course_notes import notes_text
from cnnviz.lectures.step_arithmetic import MACS, OUTPUT_SIZE, PARAMETERS, RECEPTIVE_FIELD
from cnnviz.lectures.stepper import walk_steps
from cnnviz.lectures.volumes import volume_svg
from cnnviz.zoo.registry import model_names, resolve

# Node statements of a DOT source: `name [` or `"qualified.name" [` at the start of a line (not edges).
NODE = re.compile(r'^\s*(?:"((?:[^"\\]|\\.)*)"|([A-Za-z_]\w*)) \[', re.M)


@functools.cache
def walked(name: str):
    """The summary and the fields the app uses (``ui.cached``: ``summary_of``, ``receptive_fields``), default
    input size, on the meta device; then the walk."""
    summary = summary_of(name, None)
    return summary, walk_steps(summary, receptive_fields(resolve(name)[1], None))


def dot_nodes(source: str) -> set[str]:
    return {quoted or plain for quoted, plain in NODE.findall(source)} - {"graph", "node", "edge"}


def number(text: str) -> int:
    return int(text.replace(",", ""))


def size_text(shape) -> str:
    if len(shape) < 3:
        return str(shape[-1])
    height, width = shape[-2:]
    return str(height) if height == width else f"{height}x{width}"


def graph_keys(summary) -> dict[str, object]:
    """Graph node name -> trace node: a repeated call of a name is drawn as "name (k)"."""
    seen: dict[str, int] = {}
    keys = {}
    for node in summary.nodes:
        seen[node.name] = seen.get(node.name, 0) + 1
        keys[node.name if seen[node.name] == 1 else f"{node.name} ({seen[node.name]})"] = node
    return keys


def check_layer(step, summary, keys) -> None:
    """A layer or join step: shape as traced, the worked counts equal the layer's row, the field adds up."""
    node = next(keys[k] for k in step.graph_nodes if keys[k].name == step.layer)
    assert step.output_shape == node.output_shape, step.title
    row = summary.row_of_node.get(node.index)
    worked = {w.what: w for w in step.worked}
    if OUTPUT_SIZE in worked:
        assert worked[OUTPUT_SIZE].result == size_text(node.output_shape), (step.title, worked[OUTPUT_SIZE])
    if row is not None and node.first_call:
        if PARAMETERS in worked:
            assert number(worked[PARAMETERS].result) == row.params, (step.title, worked[PARAMETERS])
        if MACS in worked:
            assert number(worked[MACS].result) == row.macs, (step.title, worked[MACS])
    recursion = re.fullmatch(r"(\d+) \+ \((\d+) − 1\)·([\d.]+)", worked[RECEPTIVE_FIELD].worked) \
        if RECEPTIVE_FIELD in worked else None
    if recursion:  # l_k = l_{k-1} + (f - 1) j_{k-1}, evaluated from the worked text
        field, kernel, jump = int(recursion[1]), int(recursion[2]), float(recursion[3])
        assert field + (kernel - 1) * jump == step.rf == number(worked[RECEPTIVE_FIELD].result)


@pytest.mark.parametrize("name", model_names())
def test_walk_matches_the_traced_model_and_the_graph(name):
    summary, steps = walked(name)
    assert steps
    assert sum(s.params for s in steps) == summary.total_params  # auxiliary heads excluded, BN folded in
    assert sum(s.macs for s in steps) == summary.total_macs
    keys = graph_keys(summary)
    folded = dot_nodes(layer_graph(summary, unfold=()).source)
    highlighted = [n for s in steps for n in s.graph_nodes]
    assert len(highlighted) == len(set(highlighted)) and set(highlighted) <= folded, set(highlighted) - folded
    for step in steps:
        if not step.layers:
            check_layer(step, summary, keys)
            continue
        block_nodes = [n for n in summary.nodes if n.block == step.layer and n.output_shape]
        assert step.graph_nodes == (step.layer,)
        assert step.output_shape == block_nodes[-1].output_shape
        assert step.params == sum(s.params for s in step.layers)
        assert step.macs == sum(s.macs for s in step.layers)
        worked = {w.what: w for w in step.worked}
        assert worked[OUTPUT_SIZE].result == size_text(step.output_shape)
        opened = dot_nodes(layer_graph(summary, unfold=(step.layer,)).source)
        for inner in step.layers:
            assert set(inner.graph_nodes) <= opened, (step.layer, set(inner.graph_nodes) - opened)
            check_layer(inner, summary, keys)


@pytest.mark.parametrize("name", model_names())
def test_every_step_starts_where_the_last_one_ended(name):
    """The walk accounts for every change of shape: a step's input is the previous step's output (flattened, at
    most, into the vector a fully connected layer reads), or a model input where a model reads several; the last
    output is the model's. DenseNet's and MobileNet v2's global pooling are function calls in their forward."""
    import math

    def same(shape, then) -> bool:  # a step may end in a folded flatten ("then flatten to 1000")
        return shape == then or len(then) == 1 and math.prod(shape) == math.prod(then)

    summary, steps = walked(name)
    steps = [s for s in steps if s.title != "PARAMETERS"]
    assert steps[0].input_shape == summary.input_shapes[0]
    for before, after in zip(steps, steps[1:]):
        another_input = len(summary.input_shapes) > 1 and after.input_shape in summary.input_shapes
        assert same(before.output_shape, after.input_shape) or another_input, (before.title, after.title)
    variant = resolve(name)[1]
    output = variant.build_on_meta().eval()(*variant.example_inputs())
    assert same(steps[-1].output_shape, tuple(output.shape[1:]))


def test_densenet_walk_shows_its_last_relu_and_global_pool_and_fractalnet_joins_by_a_mean():
    summary, steps = walked("densenet121")
    assert steps[-2].input_shape == (1024, 7, 7) and steps[-2].output_shape == (1024, 1, 1)
    assert steps[-2].description == "BN, ReLU, then adaptive average pool to 1x1"
    rows = {row.name: row for row in summary.layers}  # the layer table has them too
    assert (rows["relu"].type, rows["relu"].output_shape) == ("ReLU", (1024, 7, 7))
    assert (rows["adaptive_avg_pool2d"].type, rows["adaptive_avg_pool2d"].output_shape) == \
        ("AdaptiveAvgPool2d", (1024, 1, 1))
    assert walked("mobilenet_v2")[1][-2].description == "adaptive average pool to 1x1"
    steps = walked("fractalnet20")[1]
    join = steps[0].layers[-1]
    assert (join.title, join.description) == ("MEAN", "averages 3 tensors element by element")
    assert join.output_shape == steps[0].output_shape == (64, 32, 32)
    assert steps[0].description.endswith("; averages 3 tensors element by element (+ 1 join inside)")


def test_alexnet_first_steps_match_the_lecture_notes():
    """CS231n's walk in notes 003 ("[55x55x96] CONV1: 96 11×11 filters at stride 4, pad 0"), the parameter count
    of notes 002 ("(11x11x3)x96 = 35K") and the receptive-field recursion of notes 004, computed by hand here."""
    walk = notes_text("003")
    size, _, channels = map(int, re.search(r"\[(\d+)x(\d+)x(\d+)\] INPUT", walk).groups())
    conv = re.search(r"\[(\d+)x\d+x(\d+)\] CONV1: (\d+) (\d+)×\d+ filters at stride (\d+), pad (\d+)", walk)
    conv_out, conv_channels, filters, kernel, stride, pad = map(int, conv.groups())
    pool = re.search(r"\[(\d+)x\d+x(\d+)\] MAX POOL1: (\d+)×\d+ filters at stride (\d+)", walk)
    pool_out, pool_channels, pool_kernel, pool_stride = map(int, pool.groups())
    assert "l_k = l_{k-1} + (f_k - 1) * \\prod_i^{k-1} s_i" in notes_text("004")
    thousands = int(re.search(r"\(11x11x3\)x96 = (\d+)K", notes_text("002")).group(1))

    conv1, pool1 = walked("alexnet_paper")[1][:3:2]  # CONV1, NORM1 (the paper's order), MAX POOL1
    assert (conv1.title, pool1.title) == ("CONV1", "MAX POOL1")
    assert conv1.output_shape == (conv_channels, conv_out, conv_out) == (filters, conv_out, conv_out)
    worked = {w.what: w for w in conv1.worked}
    assert worked[OUTPUT_SIZE].worked == f"⌊({size} − {kernel} + 2·{pad})/{stride}⌋ + 1"
    assert worked[OUTPUT_SIZE].result == str(conv_out) == str((size - kernel + 2 * pad) // stride + 1)
    params = filters * (kernel * kernel * channels + 1)
    assert conv1.params == params == number(worked[PARAMETERS].result) and round(params / 1000) == thousands
    assert conv1.macs == conv_out * conv_out * filters * kernel * kernel * channels == number(worked[MACS].result)
    assert (conv1.rf, conv1.jump) == (1 + (kernel - 1) * 1, stride)
    assert conv1.kernel_hw == (kernel, kernel)
    assert pool1.output_shape == (pool_channels, pool_out, pool_out) and pool1.params == 0
    assert (pool1.rf, pool1.jump) == (conv1.rf + (pool_kernel - 1) * stride, stride * pool_stride)


def test_vgg16_walks_13_conv_5_pool_3_fc_with_relu_folded():
    steps = walked("vgg16")[1]
    kinds = [s.kind for s in steps]
    assert (kinds.count("Conv2d"), kinds.count("MaxPool2d"), kinds.count("Linear"), len(steps)) == (13, 5, 3, 21)
    assert steps[0].description.endswith("then ReLU") and steps[-1].title == "FC16"


def test_blocks_are_opened_into_their_layers_with_folded_batch_norm():
    """Pre-activation BN goes into the next layer; the residual add is a step of the opened block."""
    steps = {s.title: s for s in walked("preact_resnet18")[1]}
    inner = steps["layer1.1"].layers
    assert inner[0].description.startswith("BN, ReLU, then 64 3x3 filters")
    assert inner[-1].title == "ADD" and "identity shortcut" in inner[-1].description
    inception = {s.title: s for s in walked("googlenet")[1]}["inception3a"]
    channels = next(w for w in inception.worked if w.what == "Channels")
    assert sum(map(number, channels.worked.split(" + "))) == inception.output_shape[0] == number(channels.result)
    assert "aux1" not in {s.layer for s in walked("googlenet")[1]}


def test_repeated_calls_of_shared_weights_add_macs_but_no_parameters():
    steps = walked("siamese_net")[1]
    twin = [s for s in steps if "(call 2)" in s.title]
    assert twin and all(s.params == 0 for s in twin) and sum(s.macs for s in twin) > 0


def _texts(svg: str) -> list[str]:
    return [t.text for t in ElementTree.fromstring(svg).iter("{http://www.w3.org/2000/svg}text")]


def _points(svg: str) -> list[tuple[float, float]]:
    root = ElementTree.fromstring(svg)
    found = []
    for element in root.iter():
        if element.get("points"):
            found += [tuple(map(float, p.split(","))) for p in element.get("points").split()]
        for x, y in (("x", "y"), ("x1", "y1"), ("x2", "y2")):
            if element.get(x) is not None:
                found.append((float(element.get(x)), float(element.get(y))))
    return found


def test_volume_svg_labels_both_shapes_and_draws_the_window_only_when_given():
    svg = volume_svg((3, 227, 227), (96, 55, 55), (11, 11), "input", "CONV1 输出")
    texts = _texts(svg)
    assert {"3", "227", "96", "55", "input", "CONV1 输出", "11x11"} <= set(texts)
    assert 'class="kernel"' in svg and "Noto Sans CJK SC, sans-serif" in svg
    plain = volume_svg((9216,), (4096,), None, "flatten", "FC6")
    assert {"9216", "4096"} <= set(_texts(plain)) and 'class="kernel"' not in plain


def test_volume_svg_fits_2048_and_1_channel_volumes_in_its_view_box():
    svg = volume_svg((2048, 7, 7), (1, 2048, 2048), (7, 7), "a", "b")
    _, _, width, height = map(float, ElementTree.fromstring(svg).get("viewBox").split())
    points = _points(svg)
    assert points and all(0 <= x <= width and 0 <= y <= height for x, y in points)
    assert {"2048", "1", "7"} <= set(_texts(svg))


def test_formulas_take_subscripts_after_one_letter_symbols_only():
    from ui.stepper import with_subscripts

    assert with_subscripts("l_k = l_{k−1} + (F_eff − 1)·j_{k−1}") == \
        "l<sub>k</sub> = l<sub>k−1</sub> + (F<sub>eff</sub> − 1)·j<sub>k−1</sub>"
    steps = walked("conv_autoencoder")[1]
    formulas = {w.formula for step in steps for layer in (step, *step.layers) for w in layer.worked}
    transposed = next(f for f in formulas if "output_padding" in f)  # the decoder's up-convolutions: a name
    assert "output_padding" in with_subscripts(transposed)
    assert "H<sub>in</sub>" in with_subscripts(next(f for f in formulas if "H_in" in f))
