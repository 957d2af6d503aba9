"""The network designer without a page: templates rebuild the registry's exact counts, shapes by formula agree with
torch, every kind of mistake is its sentence at its layer, and the link, JSON and command line read back what they
wrote (and name the layer they cannot read)."""

import json
from dataclasses import replace

import pytest
import torch
from torch import nn

from cnnviz.analysis.receptive_field.recursion import last_stage, receptive_fields
from cnnviz.analysis.summary import summary_of
from cnnviz.designer.analysis import analyse
from cnnviz.designer.build import build
from cnnviz.designer.check import output_side, shapes
from cnnviz.designer.design import Design, Layer
from cnnviz.designer.link import DesignFormatError, from_json, from_link, to_json, to_link
from cnnviz.designer.templates import TEMPLATES, alexnet, lenet5, resnet18
from cnnviz.zoo.registry import resolve

L = Layer.of
REBUILT = [(key, model) for key, (_label, _make, model) in TEMPLATES.items() if model]


@pytest.mark.parametrize("key,model", REBUILT)
def test_template_has_its_registry_models_exact_counts(key, model):
    report = analyse(TEMPLATES[key][1]())
    registry = summary_of(model)
    assert report.problem is None
    assert (report.total_params, report.total_macs, report.total_activations) == (
        registry.total_params, registry.total_macs, registry.total_activations)
    # the rows add up to the totals (a span start has no numbers of its own; an add holds its projection)
    assert sum(row.params for row in report.rows) == report.total_params
    assert sum(row.macs for row in report.rows) == report.total_macs


@pytest.mark.parametrize("key,model", REBUILT)
def test_every_shape_by_formula_is_the_traced_one(key, model):
    report = analyse(TEMPLATES[key][1]())
    traced = {row.name: row.output_shape for row in report.summary.layers}
    checked = 0
    for row in report.rows:
        for name in row.modules:
            if ".shortcut." not in name:
                assert traced[name] == row.output_shape, (row.number, name)
                checked += 1
    assert checked > 10


@pytest.mark.parametrize("key,model", [("alexnet", "alexnet"), ("resnet18", "resnet18"), ("lenet5", "lenet5")])
def test_receptive_field_is_the_registry_models(key, model):
    assert analyse(TEMPLATES[key][1]()).receptive_field == last_stage(receptive_fields(resolve(model)[1])).rf


def test_rows_carry_field_and_jump_of_the_recursion():
    rows = analyse(alexnet()).rows
    first, pool = rows[0], rows[2]
    assert (first.rf, first.jump) == (11, 4)  # one 11x11 window at stride 4
    assert (pool.rf, pool.jump) == (11 + 2 * 4, 8)  # l = 11 + (3 - 1)·4, j = 4·2
    assert rows[13].kind == "flatten" and rows[13].rf is None


@pytest.mark.parametrize("side", range(5, 17))
@pytest.mark.parametrize("kernel,stride,padding", [(3, 2, 0), (3, 2, 1), (2, 2, 0), (3, 3, 1), (5, 2, 2)])
def test_ceil_mode_sides_are_torchs(side, kernel, stride, padding):
    pool = nn.MaxPool2d(kernel, stride, padding, ceil_mode=True)
    expected = pool(torch.zeros(1, 1, side, side, device="meta")).shape[-1]
    assert output_side(side, kernel, padding, stride, ceil_mode=True) == expected


def _problem(layers, channels=3, side=32, classes=10):
    return shapes(Design(channels, side, classes, tuple(layers)))[1]


def _sentence(layers, **kwargs) -> str:
    problem = _problem(layers, **kwargs)
    assert problem is not None
    return str(problem)


def test_kernel_that_does_not_fit_names_its_layer_with_the_arithmetic():
    layers = [L("conv", out=8, kernel=5), L("maxpool", kernel=2), L("conv", out=8, kernel=5), L("maxpool", kernel=3),
              L("conv", out=8, kernel=5)]  # 32 -> 28 -> 14 -> 10 -> 3 -> the 5x5 does not fit
    problem = _problem(layers)
    assert problem.layer == 5 and problem.blocking
    assert problem.sentence(str) == "layer 5: a 5x5 kernel does not fit the 3x3 map: (3 - 5 + 2·0)/1 + 1 = -1"
    assert problem.suggestion(str) == "Use a kernel of at most 3, or padding 1"


def test_dilated_kernel_says_how_far_it_spans():
    text = _sentence([L("conv", out=4, kernel=3, dilation=4)], side=8)
    assert text.startswith("layer 1: a 3x3 kernel at dilation 4 spans 9x9 and does not fit the 8x8 map: "
                           "(8 - 9 + 2·0)/1 + 1 = 0")


def test_strided_formula_shows_its_floor():
    text = _sentence([L("conv", out=4, kernel=7, stride=2)], side=4)
    assert "floor((4 - 7 + 2·0)/2) + 1 = -1" in text


def test_linear_that_expects_other_inputs():
    design = alexnet()
    layers = list(design.layers)
    layers[15] = L("linear", out=4096, inputs=4096)
    problem = _problem(layers, side=224)
    assert problem.layer == 16
    assert problem.sentence(str) == "layer 16: the linear layer expects 4,096 inputs but gets 9,216 = 256·6·6"
    assert "Set its inputs to 9,216" in problem.suggestion(str)


@pytest.mark.parametrize("layers,number,words", [
    ([L("conv", out=8, kernel=1), L("conv", out=6, kernel=1, groups=4)], 2,
     "6 output channels do not split into 4 groups: 6/4 is not whole"),
    ([L("conv", out=8, kernel=1), L("conv", out=8, kernel=1, groups=3)], 2,
     "8 input channels do not split into 3 groups: 8/3 is not whole"),
    ([L("maxpool", kernel=3, padding=2)], 1, "padding 2 is more than half the 3x3 window"),
    ([L("maxpool", kernel=8), L("maxpool", kernel=5)], 2, "a 5x5 window does not fit the 4x4 map: floor((4 - 5 + 2·0)/5) + 1 = 0"),
    ([L("flatten"), L("conv", out=4)], 2, "a convolution needs a map (channels x height x width) but gets a vector of "
                                          "3,072 values"),
    ([L("flatten"), L("avgpool")], 2, "a pooling needs a map"),
    ([L("flatten"), L("gap")], 2, "global average pooling needs a map"),
    ([L("flatten"), L("adaptiveavg")], 2, "a pooling needs a map"),
    ([L("conv", out=16, kernel=5), L("linear", out=10)], 2,
     "the linear layer gets a 16x28x28 map"),
    ([L("conv", out=4), L("add")], 2, "this residual add closes a span, but no span start comes before it"),
    ([L("conv", out=4), L("concat")], 2, "this concatenation closes a span, but no span start comes before it"),
    ([L("span"), L("add")], 2, "the span that starts at layer 1 is empty"),
    ([L("conv", out=4), L("span"), L("conv", out=4)], 2, "this span start is never closed"),
    ([L("span"), L("conv", out=8, kernel=3, padding=1), L("add", project=False)], 3,
     "the residual add joins the span's input 3x32x32 (layer 1) and its output 8x32x32: the shapes must match"),
    ([L("span"), L("conv", out=3, kernel=3), L("add")], 3,
     "the shortcut cannot take 3x32x32 to 3x30x30: no stride of a 1x1 convolution turns 32 pixels into 30"),
    ([L("flatten"), L("span"), L("linear", out=20), L("add")], 4,
     "the residual add joins 3072 and 20: a 1x1 projection needs maps on both sides"),
    ([L("span"), L("flatten"), L("concat")], 3, "a map and a vector cannot be stacked"),
    ([L("span"), L("conv", out=4, kernel=3), L("concat")], 3,
     "the concatenation joins 3x32x32 and 4x30x30: the maps must have the same height and width"),
])
def test_every_kind_of_mistake_is_its_sentence_at_its_layer(layers, number, words):
    problem = _problem(layers)
    assert problem is not None and problem.layer == number and problem.blocking, problem
    assert words in problem.sentence(str), problem.sentence(str)
    assert problem.suggestion(str)  # every mistake comes with a fix


def test_an_output_without_one_value_per_class_is_said_and_still_counted():
    design = replace(lenet5(), classes=7)
    report = analyse(design)
    assert report.problem is not None and not report.problem.blocking and report.problem.layer is None
    assert str(report.problem) == ("the network ends with 10 (10 values) but there are 7 classes. Set the last linear "
                                   "layer's outputs to 7.")
    assert report.total_params == 61706 and report.runs


def test_layers_before_a_mistake_are_counted_and_the_rest_are_not():
    layers = list(lenet5().layers)
    layers.insert(6, L("conv", out=8, kernel=9))  # after S4 (16x5x5): does not fit
    report = analyse(replace(lenet5(), layers=tuple(layers)))
    assert report.problem.layer == 7 and not report.runs
    assert report.counted == 6
    expected = sum(p.numel() for p in (nn.Conv2d(1, 6, 5), nn.Conv2d(6, 16, 5)) for p in p.parameters())
    assert report.total_params == expected


def test_open_span_before_a_mistake_still_counts_its_layers():
    report = analyse(Design(3, 32, 10, (L("span"), L("conv", out=4, kernel=3), L("conv", out=4, kernel=40))))
    assert report.problem.layer == 3 and report.counted == 2
    assert report.total_params == 3 * 4 * 9 + 4


def test_projection_shortcut_is_counted_at_its_add():
    report = analyse(resnet18())
    add = next(row for row in report.rows if row.kind == "add" and row.params)
    assert add.params == 64 * 128 + 2 * 128  # 1x1 convolution without bias and its batch norm
    assert add.input_shape == (128, 28, 28) and add.output_shape == (128, 28, 28)


def test_concatenation_stacks_the_channels():
    design = Design(3, 16, 10, (L("conv", out=8, kernel=3, padding=1), L("span"), L("bn"), L("relu"),
                                L("conv", out=4, kernel=3, padding=1), L("concat"), L("gap"), L("flatten"),
                                L("linear", out=10)))
    report = analyse(design)
    assert report.problem is None
    assert report.rows[5].output_shape == (12, 16, 16)
    model = build(design)
    assert model(torch.randn(2, 3, 16, 16)).shape == (2, 10)


def test_built_design_trains_a_step_with_in_place_activations():
    """ReLU works in place only after a layer that keeps no output for backward: a training step never fails."""
    design = Design(1, 16, 10, (L("conv", out=8, kernel=3, padding=1), L("relu"), L("tanh"), L("relu"),
                                L("span"), L("relu"), L("conv", out=8, kernel=3, padding=1), L("bn"), L("relu"),
                                L("add"), L("relu"), L("maxpool"), L("relu"), L("flatten"), L("linear", out=10)))
    model = build(design)
    relus = [m for m in model.modules() if isinstance(m, nn.ReLU)]
    assert [m.inplace for m in relus] == [True, False, False, True, True, True]
    loss = nn.functional.cross_entropy(model(torch.randn(4, 1, 16, 16)), torch.arange(4))
    loss.backward()


@pytest.mark.parametrize("key", list(TEMPLATES))
def test_link_and_json_read_back_what_they_wrote(key):
    design = TEMPLATES[key][1]()
    assert from_link(to_link(design)) == design
    assert from_json(to_json(design)) == design


def test_link_is_compact_and_versioned():
    assert to_link(lenet5()) == "1_1x32_10_c6k5,t,as2,c16k5,t,as2,c120k5,t,f,l84i120,t,l10i84"
    assert len(to_link(resnet18())) < 400


@pytest.mark.parametrize("text,words", [
    ("1_1x32_10_c6k5,t,zz,f", "layer 3 of the link cannot be read: zz"),
    ("1_1x32_10_c6k5,t,as2,c16k5q3", "layer 4 of the link cannot be read: c16k5q3"),
    ("1_1x32_10_c6k99", "layer 1 (conv): kernel must be between 1 and 31, not 99"),
    ("1_1x32_10_c6,do2", "layer 2 (dropout): p must be between 0 and 0.95, not 2"),
    ("1_1x32_10_c6,addp7", "layer 2 (add): project cannot be 7"),
    ("1_1x32_10_c6k3k5", "layer 1 of the link cannot be read: c6k3k5"),
    ("2_1x32_10_c6", "this link's design is of version 2; this app reads version 1"),
    ("1_0x32_10", "the input's channels must be 1 to 16, not 0"),
    ("1_1x4_10", "the input's side must be 8 to 1024 pixels, not 4"),
    ("1_1x32_10_" + ",".join(["r"] * 121), "a design has at most 120 layers, not 121"),
    ("vgg16", "does not start with its version"),
])
def test_a_bad_link_says_what_it_could_not_read(text, words):
    with pytest.raises(DesignFormatError) as caught:
        from_link(text)
    assert words in str(caught.value)


@pytest.mark.parametrize("change,words", [
    (lambda d: d.update(format="x"), "this is not a cnnviz design"),
    (lambda d: d["layers"][2].update(kind="pool"), "layer 3: there is no layer kind pool"),
    (lambda d: d["layers"][0].update(kernal=3), "layer 1 (conv) has no setting kernal"),
    (lambda d: d["layers"][0].update(out="six"), "layer 1 (conv): out cannot be six"),
    (lambda d: d["layers"][0].update(out=6.5), "layer 1 (conv): out cannot be 6.5"),
    (lambda d: d["layers"][0].update(bias="yes"), "layer 1 (conv): bias cannot be yes"),
    (lambda d: d["layers"].insert(1, 7), "layer 2 is not a kind and its settings"),
    (lambda d: d["input"].update(side=True), "the input's side must be 8 to 1024 pixels, not True"),
])
def test_a_bad_json_design_says_what_it_could_not_read(change, words):
    data = json.loads(to_json(lenet5()))
    change(data)
    with pytest.raises(DesignFormatError) as caught:
        from_json(json.dumps(data))
    assert words in str(caught.value)


def test_not_json_is_one_line():
    with pytest.raises(DesignFormatError, match="the design is not JSON"):
        from_json(b"\xff{")


# --- the command line ----------------------------------------------------------------------------------------------
def _cli(capsys, *args):
    from cnnviz.cli.main import main

    status = main(list(args))
    out, err = capsys.readouterr()
    return status, out, err


def test_summary_of_a_design_file_is_the_same_table_and_json_as_the_registry_models(tmp_path, capsys):
    path = tmp_path / "alexnet_design.json"
    path.write_text(to_json(alexnet()))
    status, out, err = _cli(capsys, "summary", str(path), "--json")
    assert status == 0 and err == ""
    data = json.loads(out)  # stdout is only JSON
    registry = summary_of("alexnet").to_dict()
    assert data["model"] == "alexnet_design"
    assert {k: data[k] for k in ("total_params", "total_macs", "total_activations", "input_shapes")} == {
        k: registry[k] for k in ("total_params", "total_macs", "total_activations", "input_shapes")}
    counted = ("Conv2d", "Linear", "MaxPool2d")
    assert [r["output_shape"] for r in data["layers"] if r["type"] in counted] == [
        r["output_shape"] for r in registry["layers"] if r["type"] in counted]
    status, out, err = _cli(capsys, "summary", str(path))
    assert status == 0 and "total parameters 61,100,840 (61.10 M); MACs 714,188,480" in out


def test_summary_of_a_broken_design_is_its_sentence_on_stderr(tmp_path, capsys):
    path = tmp_path / "small.json"
    path.write_text(to_json(replace(lenet5(), side=12)))
    status, out, err = _cli(capsys, "summary", str(path), "--json")
    assert status == 2 and out == ""
    assert err.strip() == (f"error: {path}: layer 4: a 5x5 kernel does not fit the 4x4 map: (4 - 5 + 2·0)/1 + 1 = 0. "
                           "Use a kernel of at most 4, or padding 1.")


@pytest.mark.parametrize("content,words", [
    (None, "No such file or directory"),
    ("{", "the design is not JSON"),
    ('{"format": "cnnviz-design", "version": 1, "input": {"channels": 1, "side": 32}, "classes": 10, '
     '"layers": [{"kind": "conv", "kernel": 0}]}', "layer 1 (conv): kernel must be between 1 and 31, not 0"),
])
def test_summary_of_an_unreadable_design_file_is_one_line(tmp_path, capsys, content, words):
    path = tmp_path / "design.json"
    if content is not None:
        path.write_text(content)
    status, out, err = _cli(capsys, "summary", str(path), "--json")
    assert status == 2 and out == "" and len(err.strip().splitlines()) == 1 and words in err


def test_summary_of_a_design_takes_an_input_size(tmp_path, capsys):
    path = tmp_path / "lenet.json"
    path.write_text(to_json(lenet5()))
    status, out, err = _cli(capsys, "summary", str(path), "--input-size", "36", "--json")
    assert status == 2 and "layer 10: the linear layer expects 120 inputs but gets 480 = 120·2·2" in err
    free = lenet5().with_layers(layer.changed(inputs=None) if layer.kind == "linear" else layer
                                for layer in lenet5().layers)
    path.write_text(to_json(free))
    status, out, _err = _cli(capsys, "summary", str(path), "--input-size", "36", "--json")
    data = json.loads(out)
    assert status == 0 and data["input_size"] == 36 and data["layers"][0]["output_shape"] == [6, 32, 32]
    assert "problem" not in data  # C5 slides over a 6x6 map now; the linear layers take what comes
    status, out, err = _cli(capsys, "summary", str(path), "--input-size", "2")
    assert status == 2 and "--input-size must be 8 to 1024" in err


def test_summary_of_a_design_that_is_no_classifier_of_its_classes_says_so(tmp_path, capsys):
    path = tmp_path / "seven.json"
    path.write_text(to_json(replace(lenet5(), classes=7)))
    status, out, _err = _cli(capsys, "summary", str(path), "--json")
    assert status == 0 and json.loads(out)["problem"].startswith("the network ends with 10 (10 values) but there "
                                                                 "are 7 classes")
    status, out, _err = _cli(capsys, "summary", str(path))
    assert "note: the network ends with 10" in out
