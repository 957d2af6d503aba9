"""``python -m cnnviz``: JSON on stdout only, one-line errors on stderr with exit status 2.

One test runs the real command (``python -m cnnviz``: its stdout and exit status as a shell sees them); the others
call ``cnnviz.cli.main.main`` in this process, the same code without an interpreter start-up each."""

import json
import subprocess
import sys

import pytest

from tests.conftest import ROOT


def _process(*args):
    return subprocess.run([sys.executable, "-m", "cnnviz", *args], capture_output=True, text=True, cwd=ROOT)


def _in_process(capsys, *args) -> tuple[int, str, str]:
    """``python -m cnnviz ARGS`` in this process (no interpreter start-up): (exit status, stdout, stderr)."""
    from cnnviz.cli.main import main

    status = main(list(args))
    out, err = capsys.readouterr()
    return status, out, err


@pytest.fixture
def run(capsys):
    """``run(*ARGS)``: ``python -m cnnviz ARGS`` in this process, as (returncode, stdout, stderr)."""
    return lambda *args: subprocess.CompletedProcess(args, *_in_process(capsys, *args))


def test_summary_json_is_the_whole_stdout():
    result = _process("summary", "alexnet", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["model"] == "alexnet" and data["input_size"] == 224
    assert data["total_params"] == sum(layer["params"] for layer in data["layers"])
    assert data["total_macs"] == sum(layer["macs"] for layer in data["layers"])
    first = data["layers"][0]
    assert first["output_shape"] == [64, 55, 55] and first["kernel"] == "11" and first["stride"] == "4"


def test_variant_and_input_size(run):
    data = json.loads(run("summary", "vgg16", "--variant", "vgg11", "--input-size", "64", "--json").stdout)
    assert data["model"] == "vgg11" and data["input_size"] == 64
    assert data["layers"][0]["output_shape"] == [64, 64, 64]


def test_table_output_has_totals(run):
    result = run("summary", "squeezenet1_1")
    assert result.returncode == 0
    assert "total parameters 1,235,496" in result.stdout


def test_unknown_name_is_one_line_with_valid_names(run):
    result = run("summary", "vgg17", "--json")
    assert result.returncode == 2 and result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "resnet50" in lines[0] and "vgg17" in lines[0]


def test_impossible_input_size_is_an_error_not_a_traceback(run):
    result = run("summary", "alexnet", "--input-size", "16", "--json")
    assert result.returncode == 2 and result.stdout == "" and "Traceback" not in result.stderr


def _params_without_and_with_aux(builder: str) -> tuple[int, int]:
    import torch
    import torchvision

    counts = []
    for aux in (False, True):
        with torch.device("meta"):
            model = getattr(torchvision.models, builder)(weights=None, aux_logits=aux, init_weights=False)
        counts.append(sum(p.numel() for p in model.parameters()))
    return counts[0], counts[1]


def test_total_params_is_the_inference_model_with_aux_apart(run):
    inference, everything = _params_without_and_with_aux("googlenet")
    data = json.loads(run("summary", "googlenet", "--json").stdout)
    assert (data["total_params"], data["aux_params"], data["all_params"]) == \
        (inference, everything - inference, everything) == (6_624_904, 6_379_984, 13_004_888)
    assert data["total_params"] == sum(layer["params"] for layer in data["layers"] if not layer["auxiliary"])
    assert data["aux_macs"] == sum(layer["macs"] for layer in data["layers"] if layer["auxiliary"]) > 0
    text = run("summary", "googlenet").stdout
    assert f"total parameters {inference:,}" in text and f"With them the model has {everything:,} parameters" in text


def test_inception_v3_at_75_pixels_is_traced_without_its_aux_head(run):
    inference, everything = _params_without_and_with_aux("inception_v3")
    result = run("summary", "inception_v3", "--input-size", "75", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["total_params"] == inference == 23_834_568 and data["all_params"] == everything == 27_161_264
    assert data["aux_macs"] is None and not any(layer["auxiliary"] for layer in data["layers"])


def test_vgg16_activations_include_the_input_once_and_no_in_place_relu(run):
    data = json.loads(run("summary", "vgg16", "--json").stdout)
    relus = [layer for layer in data["layers"] if layer["type"] == "ReLU"]
    assert relus and all(layer["activations"] == 0 for layer in relus)
    assert data["total_activations"] == 224 * 224 * 3 + sum(layer["activations"] for layer in data["layers"])
    assert data["total_activations"] == 15_237_608  # CS231n's per-layer list, as tests/test_analysis.py sums it


@pytest.mark.parametrize("size", ["0", "-3"])
def test_a_size_below_one_pixel_is_refused_alike_for_every_kind_of_model(capsys, size):
    """A timm model or an ONNX file used to take 0 as "no size" and answer at 224 pixels."""
    registry = _in_process(capsys, "summary", "alexnet", "--input-size", size, "--json")
    assert registry[0] == 2 and registry[1] == "" and len(registry[2].strip().splitlines()) == 1
    for name in ("timm:resnet18", "some/model.onnx"):
        assert _in_process(capsys, "summary", name, "--input-size", size, "--json") == registry, name
