"""Inception-style blocks in the designer (branch markers split a span into parallel branches that a concatenation
stacks) and registry models read as designs as far as they are a chain of the designer's layers ("the first 8
layers of VGG-16")."""

from __future__ import annotations

import math
import runpy

import pytest
import torch

from cnnviz.analysis.summary import summarize_model, summary_of
from cnnviz.designer.analysis import analyse
from cnnviz.designer.build import build
from cnnviz.designer.check import shapes
from cnnviz.designer.code import onnx_bytes, pytorch_code
from cnnviz.designer.design import Design, Layer
from cnnviz.designer.link import from_json, from_link, to_json, to_link
from cnnviz.designer.registry import read_registry
from cnnviz.designer.templates import small_inception
from cnnviz.zoo.registry import model_names
from tests.conftest import open_link, open_page

L = Layer.of


def _basic(out: int, kernel: int = 1) -> list[Layer]:
    """torchvision's BasicConv2d: a convolution without bias, batch norm, ReLU."""
    return [L("conv", out=out, kernel=kernel, padding=kernel // 2, bias=False), L("bn"), L("relu")]


# GoogLeNet's inception3a (torchvision: the third branch has a 3x3 where the paper has a 5x5) on its 192x28x28
# input, made by a 1x1 convolution from three channels (a design takes at most 16).
INCEPTION_3A = Design(3, 28, 10, (
    L("conv", out=192, kernel=1), L("span"), *_basic(64), L("branch"), *_basic(96), *_basic(128, 3), L("branch"),
    *_basic(16), *_basic(32, 3), L("branch"), L("maxpool", kernel=3, stride=1, padding=1, ceil_mode=True),
    *_basic(32), L("concat"), L("gap"), L("flatten"), L("linear", out=10)))


def test_googlenets_inception3a_rebuilt_from_branches_has_the_registrys_numbers():
    report = analyse(INCEPTION_3A)
    assert report.problem is None
    concat = next(row for row in report.rows if row.kind == "concat")
    assert concat.output_shape == (64 + 128 + 32 + 32, 28, 28)
    # torchvision's BasicConv2d calls its ReLU as a function: no rows of their own (and no numbers) there
    block = [row for row in report.summary.layers if row.name.startswith("concat2.") and row.type != "ReLU"]
    registry = [row for row in summary_of("googlenet").layers if row.name.startswith("inception3a.")]
    assert len(block) == len(registry) == 13
    for ours, theirs in zip(block, registry):  # branch by branch, layer by layer
        assert (ours.type, ours.output_shape, ours.params, ours.macs, ours.activations) == (
            theirs.type, theirs.output_shape, theirs.params, theirs.macs, theirs.activations), theirs.name
    # The rows add up to the totals; a branch marker has no numbers and hands on the span's input.
    assert sum(row.params for row in report.rows) == report.total_params
    markers = [row for row in report.rows if row.kind == "branch"]
    assert len(markers) == 3 and all(row.output_shape == (192, 28, 28) and row.params == 0 for row in markers)
    assert all(row.rf == 1 for row in markers)  # the field where the span starts: after a 1x1 convolution
    assert concat.rf == 3  # the widest branch's: a 3x3 convolution (or the 3x3 pooling)


@pytest.mark.parametrize("layers,number,words", [
    ([L("conv", out=4), L("branch")], 2, "this branch marker needs a span start before it"),
    ([L("span"), L("branch"), L("conv", out=4), L("concat")], 2,
     "branch 1 of the span that starts at layer 1 is empty"),
    ([L("span"), L("conv", out=4), L("branch"), L("branch"), L("conv", out=4), L("concat")], 4,
     "branch 2 of the span that starts at layer 1 is empty"),
    ([L("span"), L("conv", out=4), L("branch"), L("concat")], 4,
     "branch 2 of the span that starts at layer 1 is empty"),
    ([L("span"), L("conv", out=4), L("branch"), L("conv", out=4), L("add")], 5,
     "a residual add cannot join the branches of the span that starts at layer 1"),
    ([L("span"), L("conv", out=4, kernel=3, padding=1), L("branch"), L("conv", out=4, kernel=3), L("concat")], 5,
     "the concatenation joins the branches 4x32x32, 4x30x30: the maps must have the same height and width"),
    ([L("span"), L("conv", out=4), L("branch"), L("flatten"), L("concat")], 5,
     "the concatenation joins the branches 4x30x30, 3072: maps and vectors cannot be stacked"),
])
def test_every_branch_mistake_is_its_sentence_at_its_layer(layers, number, words):
    _shaped, problem = shapes(Design(3, 32, 10, tuple(layers)))
    assert problem is not None and problem.layer == number and problem.blocking, problem
    assert words in problem.sentence(str), problem.sentence(str)
    assert problem.suggestion(str)


def test_branches_of_a_span_still_open_are_counted_side_by_side():
    """Before the concatenation that fails, every branch's layers are counted (each from the span's input)."""
    design = from_link("1_1x8_10_c8k3p1,r,s,c4k1,br,c4k3,br,mk3s1p1,c4k1,cat,gap,f,l10")
    report = analyse(design)
    assert report.problem.layer == 10 and report.counted == 9
    assert [row.params for row in report.rows[3:9]] == [8 * 4 + 4, 0, 8 * 4 * 9 + 4, 0, 0, 8 * 4 + 4]
    assert report.rows[5].output_shape == (4, 6, 6)


def test_a_branched_design_reads_back_from_its_link_and_json():
    design = small_inception()
    assert ",br," in to_link(design)
    assert from_link(to_link(design)) == design
    assert from_json(to_json(design)) == design
    assert '"kind": "branch"' in to_json(design)


def test_branched_design_exports_code_and_onnx_with_its_numbers(tmp_path):
    from cnnviz.any_network.onnx_file import OnnxFile
    from cnnviz.any_network.onnx_graph import onnx_network

    design, report = INCEPTION_3A, analyse(INCEPTION_3A)
    path = tmp_path / "my_cnn.py"
    path.write_text(pytorch_code(design))
    assert "class Branches(nn.Module)" in path.read_text()
    with torch.device("meta"):
        model = runpy.run_path(str(path))["build"]().eval()
    traced = summarize_model(model, (torch.zeros(1, 3, 28, 28, device="meta"),), "exported")
    assert (traced.total_params, traced.total_macs) == (report.total_params, report.total_macs)
    network = onnx_network(OnnxFile("design.onnx", onnx_bytes(design)))
    assert (network.summary.total_params, network.summary.total_macs) == (report.total_params, report.total_macs)


def test_the_small_inception_template_runs_and_fits_the_digits():
    from cnnviz.designer.training import misfit

    design = small_inception()
    report = analyse(design)
    assert report.problem is None and misfit(report) is None
    assert build(design)(torch.zeros(2, 1, 8, 8)).shape == (2, 10)


def test_graph_and_walk_draw_a_branched_design():
    for tab in ("graph", "walk", "cost"):
        app = open_link("design", net=to_link(small_inception()), tab=tab)
        assert not app.error, [e.value for e in app.error]


# --- registry models as designs -------------------------------------------------------------------------------
CHAINS = ["lenet5", "alexnet", "vgg11", "vgg16", "vgg16_bn", "vgg19_bn", "nin", "mobilenet_v1"]


@pytest.mark.parametrize("name", CHAINS)
def test_a_registry_chain_read_whole_has_the_registrys_exact_counts(name):
    reading = read_registry(name)
    assert reading.whole, reading.reason(str)
    report, registry = analyse(reading.design), summary_of(name)
    assert report.problem is None
    assert (report.total_params, report.total_macs) == (registry.total_params, registry.total_macs)
    assert math.prod(registry.layers[-1].output_shape) == math.prod(report.rows[-1].output_shape) == \
        reading.design.classes


def test_every_registry_model_reads_without_an_exception_and_says_where_it_stops():
    stops = {}
    for name in model_names():
        reading = read_registry(name)
        assert analyse(reading.design).runs, name  # what is read always runs
        if not reading.whole:
            stops[name] = (len(reading.design.layers), reading.reason(str))
    assert stops["alexnet_paper"] == (2, "its LocalResponseNorm is not one of the designer's layers")
    assert stops["resnet18"] == (9, "its forward() calls add_, which the designer has no layer for")
    assert stops["resnet50"][1] == ("its Conv2d does not take the output of the layer before it: the model "
                                    "branches there")
    assert stops["mobilenet_v2"] == (2, "its ReLU6 is not one of the designer's layers")
    assert stops["siamese_net"] == (0, "siamese_net takes 2 images at once, and a design takes one")
    assert not {"vgg16", "alexnet", "lenet5"} & set(stops)


def test_the_first_8_layers_of_vgg16():
    design = read_registry("vgg16").first(8)
    assert to_link(design) == "1_3x224_1000_c64p1,r,c64p1,r,ms2,c128p1,r,c128p1"
    report = analyse(design)
    assert report.total_params == (3 * 9 + 1) * 64 + (64 * 9 + 1) * 64 + (64 * 9 + 1) * 128 + (128 * 9 + 1) * 128
    assert report.rows[-1].output_shape == (128, 112, 112)


def test_the_page_loads_a_registry_models_first_layers_and_says_where_reading_stops():
    app = open_page("pages/design.py")
    app.selectbox(key="design_registry_model").set_value("vgg16").run()
    app.button(key="design_registry_load").click().run()
    assert app.session_state["design_net"] == "1_3x224_1000_c64p1,r,c64p1,r,ms2,c128p1,r,c128p1"
    assert "Loaded vgg16's first 8 layers; the designer reads all 40 of its layers." in [c.value for c in app.caption]
    app.selectbox(key="design_registry_model").set_value("alexnet_paper").run()
    app.number_input(key="design_registry_count").set_value(20).run()
    app.button(key="design_registry_load").click().run()
    assert app.session_state["design_net"] == "1_3x227_1000_c96k11s4,r"
    assert ("Loaded alexnet_paper's first 2 layers; the designer reads its first 2, then its LocalResponseNorm is "
            "not one of the designer's layers.") in [c.value for c in app.caption]
    app.selectbox(key="design_registry_model").set_value("siamese_net").run()
    app.button(key="design_registry_load").click().run()
    assert not app.exception
    assert app.session_state["design_net"] == "1_3x227_1000_c96k11s4,r"  # kept
    assert ("The designer cannot read siamese_net's first layer: siamese_net takes 2 images at once, and a design "
            "takes one.") in [w.value for w in app.warning]
