"""timm architectures by name: parameters and MACs as timm's own model and PyTorch's FLOP counter give them, the
closest names for an unknown one, and the command line for timm models and ONNX files."""

import contextlib
import io
import json
from types import SimpleNamespace

import pytest
import timm
import torch
from torch.utils.flop_counter import FlopCounterMode

from cnnviz.any_network import NetworkError
from cnnviz.any_network.timm_models import check_name, timm_names, timm_network
from cnnviz.cli.main import main
from tests.any_network_files import tiny_graph, with_einsum


# Convolutional networks: their FLOPs are all convolutions and linear layers, which is what MACs count here.
@pytest.mark.parametrize("name", ["convnext_tiny", "regnetx_002", "resnet18d", "efficientnet_b0",
                                  "mobilenetv3_small_100"])
def test_timm_convnets_match_timms_model_and_the_flop_counter(name, one_torch_thread):
    network = timm_network(name)
    model = timm.create_model(name, pretrained=False).eval()  # real CPU weights: small models
    size = model.pretrained_cfg["input_size"]
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        model(torch.zeros(1, *size))
    assert network.summary.total_params == sum(p.numel() for p in model.parameters())
    assert network.summary.total_macs == counter.get_total_flops() // 2
    assert network.summary.input_shapes == (tuple(size),)


def test_another_input_size_and_the_receptive_field():
    at_160 = timm_network("resnet18d", 160)
    assert at_160.summary.input_size == 160 and at_160.default_size == 224
    assert at_160.summary.total_macs < timm_network("resnet18d").summary.total_macs
    assert at_160.fields and max(f.jump for f in at_160.fields if not f.global_pool) == 32


def test_unknown_names_get_the_closest_ones():
    with pytest.raises(NetworkError, match="closest: convnext_tiny") as raised:
        check_name("convnext_tiy")
    assert "\n" not in str(raised.value)
    with pytest.raises(NetworkError, match=r"^timm has no model 'zzzzqqqq'$"):
        check_name("zzzzqqqq")


def test_the_family_filter():
    convnets, others = set(timm_names("convnets")), set(timm_names("others"))
    assert {"resnet50", "convnext_tiny", "efficientnet_b0"} <= convnets
    assert {"vit_base_patch16_224", "swin_tiny_patch4_window7_224"} <= others
    assert convnets | others == set(timm_names()) and not convnets & others


def _cli(*args):
    """``python -m cnnviz ARGS`` in this process (the command line's own tests start it as a program)."""
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        returncode = main(list(args))
    return SimpleNamespace(returncode=returncode, stdout=stdout.getvalue(), stderr=stderr.getvalue())


def test_cli_summary_of_a_timm_model_has_the_registry_json_shape():
    result = _cli("summary", "timm:resnet18d", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    registry = json.loads(_cli("summary", "resnet18", "--json").stdout)
    assert set(data) == set(registry) and set(data["layers"][0]) == set(registry["layers"][0])
    assert data["total_params"] == sum(p.numel() for p in timm.create_model("resnet18d").parameters())


def test_cli_summary_and_rf_of_an_onnx_file(tmp_path):
    path = tmp_path / "tiny.onnx"
    path.write_bytes(tiny_graph(["N", 3, "H", "W"]).SerializeToString())
    asked = _cli("summary", str(path))
    assert asked.returncode == 2 and asked.stdout == ""
    assert asked.stderr.strip().endswith("give an input size (--input-size N)")
    assert len(asked.stderr.strip().splitlines()) == 1
    data = json.loads(_cli("summary", str(path), "--input-size", "64", "--json").stdout)
    assert data["input_shapes"] == [[3, 64, 64]] and data["total_macs"] == 8 * 32 * 32 * 27 + 80
    rf = json.loads(_cli("rf", str(path), "--input-size", "64", "--json").stdout)
    assert rf["layers"][0]["name"] == "stem/conv/Conv" and rf["receptive_field"] == 3


def test_cli_flags_uncounted_operators_and_refuses_bad_names(tmp_path):
    path = tmp_path / "einsum.onnx"
    path.write_bytes(with_einsum())
    assert "operators not counted (0 MACs in the total): Einsum" in _cli("summary", str(path)).stdout
    unknown = _cli("rf", "timm:convnext_tiy")
    assert unknown.returncode == 2
    assert unknown.stderr == "error: timm:convnext_tiy: timm has no model 'convnext_tiy'; closest: convnext_tiny, " \
                             "convnextv2_tiny, convnext_tiny_hnf\n"
    text = tmp_path / "notes.onnx"
    text.write_text("not a model")
    assert _cli("summary", str(text)).stderr == f"error: {text}: this is not an ONNX file\n"
