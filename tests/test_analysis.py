"""Layer analysis on meta, checked against torchvision's published counts and independent references."""

import math

import pytest
import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from cnnviz.analysis.published import published_counts
from cnnviz.analysis.summary import block_totals, layer_macs, summarize, summarize_model
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


def test_meta_builds_skip_initialisation_and_real_builds_still_initialise():
    from torch.nn import init

    from cnnviz.zoo.meta_build import skip_init_on_meta

    skip_init_on_meta()
    meta = torch.empty(4, 4, device="meta")
    assert init.kaiming_normal_(meta) is meta
    real = torch.zeros(64, 64)
    init.kaiming_normal_(real)
    assert real.std() > 0.1  # really drawn: He initialisation gives std sqrt(2/64) ≈ 0.18
    assert torch.equal(init.ones_(torch.zeros(3)), torch.ones(3))
