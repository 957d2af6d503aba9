"""Layer analysis on meta, checked against torchvision's published counts and independent references."""

import math
import threading

import pytest
import torch
from torch import nn
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils.flop_counter import FlopCounterMode

from cnnviz.analysis.published import published_counts
from cnnviz.analysis.summary import block_totals, is_auxiliary, layer_macs, summarize, summarize_model
from cnnviz.zoo.registry import architectures, resolve

TORCHVISION = [v for arch in architectures().values() for v in arch.variants if v.torchvision_weights]


@pytest.mark.parametrize("variant", TORCHVISION, ids=lambda v: v.name)
def test_totals_equal_torchvision_published_counts(variant):
    summary = summarize(variant)
    published = published_counts(variant)
    expected_params = summary.total_params if variant.published_params_include_aux else summary.inference_params
    assert expected_params == published.num_params
    assert round(summary.total_macs / 1e9, 3) == pytest.approx(published.gmacs, abs=1e-9)
    assert published.params_match(summary) and published.macs_match(summary)


@pytest.mark.parametrize("name", ["resnet18", "densenet121", "mobilenet_v2", "inception_v3", "squeezenet1_1"])
def test_macs_equal_torch_flop_counter(name):
    """torch's FlopCounterMode counts 2 FLOPs per MAC of every matmul and convolution."""
    variant = resolve(name)[1]
    model = variant.build_on_meta().eval()
    with FlopCounterMode(display=False) as counter:
        model(*variant.example_inputs())
    assert summarize(variant).total_macs == counter.get_total_flops() // 2


def test_googlenet_aux_heads_are_training_only():
    summary = summarize(resolve("googlenet")[1])
    aux = [r for r in summary.layers if r.auxiliary]
    assert {r.name.split(".")[0] for r in aux} == {"aux1", "aux2"}
    model = resolve("googlenet")[1].build_on_meta()
    expected = sum(p.numel() for name in ("aux1", "aux2") for p in model.get_submodule(name).parameters())
    assert summary.aux_params == expected > 0
    assert summary.total_macs == sum(r.macs for r in summary.layers if not r.auxiliary)


def test_auxiliary_heads_match_by_module_path_not_by_prefix():
    assert is_auxiliary("aux1", ("aux1",)) and is_auxiliary("aux2.fc1", ("aux1", "aux2"))
    assert not is_auxiliary("aux10.fc", ("aux1",)) and not is_auxiliary("features.aux1", ("aux1",))
    assert not is_auxiliary("aux1", ())


class ScaledConv(nn.Module):
    """A convolution, then a learnable scale owned by the model itself rather than by a layer."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.scale = nn.Parameter(torch.ones(4, 1, 1))

    def forward(self, x):
        return self.pool(self.conv(x) * self.scale)


def scaled_conv_summary():
    return summarize_model(ScaledConv().to("meta"), (torch.zeros(1, 3, 8, 8, device="meta"),), "scaled")


def test_each_module_call_has_its_row_and_parameters_outside_layers_have_no_node():
    summary = scaled_conv_summary()
    calls = [n for n in summary.nodes if n.module is not None]
    assert [summary.row_of_node[n.index].name for n in calls] == [n.name for n in calls] == ["conv", "pool"]
    outside = summary.layers[-1]
    assert outside.type == "Parameter" and outside.params == 4  # the scale
    assert all(row is not outside for row in summary.row_of_node.values())
    shared = summarize(resolve("siamese_net")[1])  # twin calls of one encoder: one row per call
    assert len(shared.row_of_node) == len(shared.layers) == sum(n.module is not None for n in shared.nodes)


def test_hand_computed_conv_layer():
    """96 11x11 filters at stride 4 on 227x227x3: 55x55x96 out, (11*11*3+1)*96 params, 11*11*3*55*55*96 MACs."""
    conv = nn.Conv2d(3, 96, 11, stride=4)
    summary = summarize_model(conv.to("meta"), (torch.zeros(1, 3, 227, 227, device="meta"),), "conv1")
    (row,) = summary.layers
    assert row.output_shape == (96, (227 - 11) // 4 + 1, 55)
    assert row.params == (11 * 11 * 3 + 1) * 96 == 34_944
    assert row.macs == 11 * 11 * 3 * 55 * 55 * 96 == 105_415_200


def test_grouped_and_transposed_macs():
    grouped = nn.Conv2d(96, 256, 5, padding=2, groups=2)
    assert layer_macs(grouped, (96, 27, 27), (256, 27, 27)) == 256 * 27 * 27 * 48 * 25
    transposed = nn.ConvTranspose2d(64, 32, 2, stride=2)
    # every input element meets 32 output channels through a 2x2 kernel
    assert layer_macs(transposed, (64, 28, 28), (32, 56, 56)) == 64 * 28 * 28 * 32 * 4
    linear = nn.Linear(9216, 4096)
    assert layer_macs(linear, (9216,), (4096,)) == 9216 * 4096


def test_rows_sum_to_totals_and_blocks_partition_layers():
    summary = summarize(resolve("resnet50")[1])
    assert sum(r.params for r in summary.layers) == summary.total_params
    blocks = block_totals(summary)
    assert sum(b["macs"] for b in blocks.values()) == summary.total_macs
    assert blocks["layer1.0"]["layers"] == len([r for r in summary.layers if r.block == "layer1.0"])
    activations = sum(math.prod(r.output_shape) for r in summary.layers if r.output_shape)
    assert summary.total_activations == activations


def test_input_size_changes_macs_not_params():
    variant = resolve("vgg16")[1]
    small, large = summarize(variant, 112), summarize(variant)
    assert small.total_params == large.total_params
    conv_macs = sum(r.macs for r in large.layers if r.type == "Conv2d")
    # convolutions cost a quarter at half the side; the classifier (after adaptive pooling) is unchanged
    assert large.total_macs - small.total_macs == conv_macs - conv_macs // 4


def test_builder_sources_are_the_models_own_classes_model_first():
    from cnnviz.analysis.source import model_sources

    sources = model_sources(summarize(resolve("resnet50")[1]))
    names = [name for name, _ in sources]
    assert names[0] == "torchvision.models.resnet.ResNet"
    assert "torchvision.models.resnet.Bottleneck" in names
    assert not any(name.startswith("torch.nn.") for name in names)
    assert "class Bottleneck" in dict(sources)["torchvision.models.resnet.Bottleneck"]


def _replaced_init_functions() -> list[str]:
    """The public ``torch.nn.init`` functions that are no longer torch's own (wrapped or patched by someone)."""
    from torch.nn import init

    public = [name for name in dir(init) if name.endswith("_") and not name.startswith("_")]
    return [name for name in public if getattr(init, name).__code__.co_filename != init.__file__]


class _CountRandomFills(TorchDispatchMode):
    """Counts the aten random fills that reach the dispatcher (skipped ones never do)."""

    def __init__(self):
        super().__init__()
        self.fills = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        self.fills += func.overloadpacket in (torch.ops.aten.normal_, torch.ops.aten.uniform_)
        return func(*args, **(kwargs or {}))


def test_meta_builds_skip_random_initialisation():
    variant = resolve("densenet121")[1]
    with _CountRandomFills() as plain, torch.device("meta"):
        variant.build()
    with _CountRandomFills() as skipped:
        model = variant.build_on_meta()
    assert plain.fills > 0 and skipped.fills == 0
    assert all(p.is_meta for p in model.parameters())


def test_meta_build_changes_nothing_process_wide():
    resolve("resnet18")[1].build_on_meta()
    assert not _replaced_init_functions()


def test_real_models_initialise_while_a_meta_build_runs_in_another_thread():
    from cnnviz.zoo.spec import Variant

    torch.manual_seed(0)
    expected = nn.Conv2d(3, 8, 3).weight.detach().clone()
    inside, release = threading.Event(), threading.Event()
    seen_inside: dict[str, torch.Tensor] = {}

    def paused_build() -> nn.Module:
        real = torch.empty(64, 64, device="cpu")  # a real tensor inside the meta build is still drawn
        seen_inside["real"] = nn.init.kaiming_normal_(real)
        inside.set()
        assert release.wait(timeout=60)
        return nn.Conv2d(3, 8, 3)

    built: list[nn.Module] = []
    meta = threading.Thread(target=lambda: built.append(Variant("paused", "paused", paused_build).build_on_meta()))
    meta.start()
    try:
        assert inside.wait(timeout=60)
        assert not _replaced_init_functions()
        torch.manual_seed(0)
        real = nn.Conv2d(3, 8, 3)
        assert not real.weight.is_meta and torch.equal(real.weight, expected)
    finally:
        release.set()
        meta.join(timeout=60)
    assert built and built[0].weight.is_meta
    assert seen_inside["real"].std() > 0.1  # He initialisation of 64 inputs: std sqrt(2/64) ≈ 0.18
