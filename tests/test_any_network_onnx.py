"""ONNX files analysed like registry models: a torchvision model exported by torch gives the registry's totals and
torchvision's published ones; every bad file is one line."""

import pytest
import torchvision

from cnnviz.analysis.receptive_field.recursion import last_stage, receptive_fields
from cnnviz.analysis.summary import summary_of
from cnnviz.any_network import NeedsInputSize, NetworkError
from cnnviz.any_network import onnx_file
from cnnviz.any_network.onnx_file import OnnxFile
from cnnviz.any_network.onnx_graph import onnx_network
from cnnviz.zoo.registry import resolve
from tests.any_network_files import TINY_PARAMS, exported, tiny_graph, tiny_macs, with_einsum, with_external_weights


@pytest.fixture(scope="module")
def resnet18_onnx() -> bytes:
    return exported(torchvision.models.resnet18())


def test_resnet18_exported_gives_the_registry_and_torchvision_totals(resnet18_onnx):
    network = onnx_network(OnnxFile("resnet18.onnx", resnet18_onnx))
    meta = torchvision.models.ResNet18_Weights.IMAGENET1K_V1.meta
    registry = summary_of("resnet18")
    assert network.summary.total_params == meta["num_params"] == registry.total_params
    assert network.summary.total_macs == registry.total_macs
    assert round(network.summary.total_macs / 1e9, 3) == meta["_ops"]
    assert network.uncounted == ()
    # The residual blocks come from the node names: /layer1/layer1.0/conv1/Conv is in block layer1/layer1.0.
    assert {row.block for row in network.summary.layers if row.block} >= {"layer1/layer1.0", "layer4/layer4.1"}


def test_resnet18_exported_has_the_registry_models_receptive_fields(resnet18_onnx):
    network = onnx_network(OnnxFile("resnet18.onnx", resnet18_onnx))
    ours, registry = last_stage(network.fields), last_stage(receptive_fields(resolve("resnet18")[1]))
    assert (ours.rf, ours.jump) == (registry.rf, registry.jump)
    assert [f.rf for f in network.fields if f.kind == "Conv"] == [f.rf for f in receptive_fields(
        resolve("resnet18")[1]) if f.kind == "Conv2d"]


@pytest.mark.parametrize("name, build, weights", [
    ("mobilenet_v2", torchvision.models.mobilenet_v2, torchvision.models.MobileNet_V2_Weights.IMAGENET1K_V1),
    # In eval mode GoogLeNet does not call its auxiliary heads: the registry's inference totals.
    ("googlenet", lambda: torchvision.models.googlenet(aux_logits=False, init_weights=False),
     torchvision.models.GoogLeNet_Weights.IMAGENET1K_V1)])
def test_more_exported_models_give_the_registry_totals(name, build, weights):
    network = onnx_network(OnnxFile(f"{name}.onnx", exported(build())))
    registry = summary_of(name)
    assert network.summary.total_params == registry.total_params == weights.meta["num_params"]
    assert network.summary.total_macs == registry.total_macs
    assert round(network.summary.total_macs / 1e9, 3) == weights.meta["_ops"]


def test_open_input_size_must_be_given_then_counts_at_that_size():
    file = OnnxFile("tiny.onnx", tiny_graph(["N", 3, "H", "W"]).SerializeToString())
    with pytest.raises(NeedsInputSize, match="give an input size"):
        onnx_network(file)
    for size in (32, 65):
        network = onnx_network(file, size)
        assert network.dynamic and network.summary.input_shapes == ((3, size, size),)
        assert (network.summary.total_params, network.summary.total_macs) == (TINY_PARAMS, tiny_macs(size))


def test_a_fixed_input_ignores_another_size():
    network = onnx_network(OnnxFile("tiny.onnx", tiny_graph([1, 3, 32, 32]).SerializeToString()), 100)
    assert network.summary.input_shapes == ((3, 32, 32),) and network.summary.total_macs == tiny_macs(32)


def test_operators_we_cannot_count_are_listed_and_count_zero():
    network = onnx_network(OnnxFile("einsum.onnx", with_einsum()))
    assert network.uncounted == ("Einsum",)
    einsum = next(row for row in network.summary.layers if row.type == "Einsum")
    assert einsum.macs == 0 and einsum.params == 64
    assert network.summary.total_macs == tiny_macs(32)


@pytest.mark.parametrize("data, message", [
    (b"", "the file is empty"),
    (b"GIF89a this is a picture, not a model", "this is not an ONNX file"),
    (with_external_weights(), "external data files"),
])
def test_bad_files_are_one_line(data, message):
    with pytest.raises(NetworkError, match=message) as raised:
        onnx_network(OnnxFile("bad.onnx", data))
    assert "\n" not in str(raised.value)


def test_a_truncated_file_is_damaged(resnet18_onnx):
    with pytest.raises(NetworkError, match="damaged or cut short"):
        onnx_network(OnnxFile("cut.onnx", resnet18_onnx[:len(resnet18_onnx) // 2]))


def test_external_data_is_never_read(tmp_path):
    """The file points to a real file beside it; the refusal names the tensor, not the file's contents."""
    secret = tmp_path / "weights.bin"
    secret.write_bytes(b"\0" * 8 * 3 * 3 * 3 * 4)
    with pytest.raises(NetworkError, match=r"external data files \(w\)"):
        onnx_network(OnnxFile("external.onnx", with_external_weights(str(secret))))


def test_a_file_over_the_limit_is_refused_before_parsing(monkeypatch, tmp_path):
    monkeypatch.setattr(onnx_file, "MAX_BYTES", 1000)
    path = tmp_path / "big.onnx"
    path.write_bytes(b"\x08" * 2000)
    with pytest.raises(NetworkError, match="the limit is 0 MiB"):
        onnx_file.read_path(path)
    with pytest.raises(NetworkError, match="limit"):
        onnx_network(OnnxFile("big.onnx", b"\x08" * 2000))
