"""The designer's exports give the designer's numbers: the PyTorch file, executed, builds a module with the same
parameters and MACs (traced like every model), and the ONNX file reads back on "Your network" with the same
totals."""

import runpy

import pytest
import torch

from cnnviz.analysis.summary import summarize_model
from cnnviz.designer.analysis import analyse
from cnnviz.designer.code import onnx_bytes, pytorch_code
from cnnviz.designer.design import Design, Layer
from cnnviz.designer.templates import alexnet, lenet5, resnet18

L = Layer.of
DENSE = Design(3, 32, 10, (L("conv", out=8, kernel=3, padding=1), L("span"), L("bn"), L("relu"),
                           L("conv", out=8, kernel=3, padding=1, groups=2, dilation=1), L("concat"),
                           L("maxpool", kernel=3, stride=2, ceil_mode=True), L("span"),
                           L("conv", out=32, kernel=3, stride=2, padding=2, dilation=2, bias=False), L("bn"),
                           L("add"), L("gelu"), L("adaptiveavg", size=2), L("flatten"), L("dropout", p=0.25),
                           L("linear", out=10)))


@pytest.mark.parametrize("make", [lenet5, alexnet, resnet18, lambda: DENSE], ids=["lenet5", "alexnet", "resnet18",
                                                                                  "spans"])
def test_exported_code_executes_and_builds_the_counted_network(make, tmp_path):
    design = make()
    path = tmp_path / "my_cnn.py"
    path.write_text(pytorch_code(design))
    namespace = runpy.run_path(str(path))  # the student's file, as Python runs it
    with torch.device("meta"):
        model = namespace["build"]().eval()
    inputs = (torch.zeros(1, design.channels, design.side, design.side, device="meta"),)
    ours, theirs = analyse(design), summarize_model(model, inputs, "exported")
    assert ours.problem is None
    assert (theirs.total_params, theirs.total_macs, theirs.total_activations) == (
        ours.total_params, ours.total_macs, ours.total_activations)
    assert [row.name for row in theirs.layers] == [row.name for row in ours.summary.layers]


def test_exported_code_runs_as_a_script(tmp_path, capsys):
    path = tmp_path / "lenet.py"
    path.write_text(pytorch_code(lenet5()))
    runpy.run_path(str(path), run_name="__main__")
    out = capsys.readouterr().out
    assert "parameters: 61706" in out and "output: (1, 10)" in out


def test_code_of_a_broken_design_is_refused():
    with pytest.raises(ValueError, match="layer 2: a 5x5 kernel does not fit the 4x4 map"):
        pytorch_code(Design(1, 8, 10, (L("conv", kernel=5), L("conv", kernel=5))))


@pytest.mark.parametrize("make", [lenet5, resnet18, lambda: DENSE], ids=["lenet5", "resnet18", "spans"])
def test_onnx_export_reads_back_with_the_designs_numbers(make):
    from cnnviz.any_network.onnx_file import OnnxFile
    from cnnviz.any_network.onnx_graph import onnx_network

    design = make()
    network = onnx_network(OnnxFile("design.onnx", onnx_bytes(design)))
    report = analyse(design)
    assert network.uncounted == ()
    assert (network.summary.total_params, network.summary.total_macs) == (report.total_params, report.total_macs)
    assert network.summary.input_shapes == ((design.channels, design.side, design.side),)
