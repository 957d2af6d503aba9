"""Layer analysis on meta, checked against torchvision's published counts and independent references."""

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
    expected_params = summary.all_params if variant.published_params_include_aux else summary.total_params
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
    """Szegedy et al. 2015, section 5: each auxiliary classifier pools the output of inception (4a), 512 channels,
    or (4d), 528 channels, to 4x4, then a 1x1 convolution with 128 filters, a fully connected layer of 1024 units
    and a 1000-way linear layer. Their parameters, against torchvision's builder with and without them, are in
    ``test_total_params_is_the_inference_model_and_aux_heads_are_apart``."""
    variant = resolve("googlenet")[1]
    summary = summarize(variant)
    aux = [r for r in summary.layers if r.auxiliary]
    assert {r.name.split(".")[0] for r in aux} == {"aux1", "aux2"}
    assert summary.aux_macs == sum(4 * 4 * channels * 128 + 4 * 4 * 128 * 1024 + 1024 * 1000
                                   for channels in (512, 528))
    # The totals are the model at inference, where torchvision never calls the heads: torch's FLOP counter on it.
    model = variant.build_on_meta().eval()
    with FlopCounterMode(display=False) as counter:
        model(*variant.example_inputs())
    assert summary.total_macs == counter.get_total_flops() // 2


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


@pytest.mark.parametrize("name", ["conv_autoencoder", "unet_small"])
def test_transposed_convolution_macs_of_whole_models_equal_torch_flop_counter(name):
    """Each up-convolution's row against torch's FLOP counter (2 FLOPs per MAC) run on that module alone, at the
    input the row records; then the whole model. Their channels change (16 -> 64 -> 32 -> 1 in the autoencoder,
    halved in U-Net), so counting per input or per output channel tells."""
    variant = resolve(name)[1]
    summary = summarize(variant)
    model = variant.build_on_meta().eval()
    rows = [r for r in summary.layers if r.type == "ConvTranspose2d"]
    assert len(rows) == {"conv_autoencoder": 3, "unet_small": 4}[name]
    for row in rows:
        module = model.get_submodule(row.name)
        assert module.in_channels != module.out_channels
        with FlopCounterMode(display=False) as counter:
            module(torch.zeros((1, *row.input_shape), device="meta"))
        assert row.macs == counter.get_total_flops() // 2, row.name
    with FlopCounterMode(display=False) as counter:
        model(*variant.example_inputs())
    assert summary.total_macs == counter.get_total_flops() // 2


def test_resnet50_rows_and_blocks_against_torchvision_and_the_bottleneck_formula():
    """Every ResNet-50 parameter sits in a layer, so its rows alone add up to torchvision's published count. The
    blocks are the stem's layers, the bottlenecks of the four stages (3, 4, 6 and 3 deep: He et al. 2016, table 1),
    the pooling and the classifier; block layer1.0 is worked out by hand below."""
    from torchvision.models import ResNet50_Weights

    summary = summarize(resolve("resnet50")[1])
    assert "Parameter" not in {r.type for r in summary.layers}
    assert sum(r.params for r in summary.layers) == ResNet50_Weights.IMAGENET1K_V1.meta["num_params"]
    blocks = block_totals(summary)
    stages = [f"layer{stage}.{block}" for stage, depth in enumerate((3, 4, 6, 3), 1) for block in range(depth)]
    assert list(blocks) == ["conv1", "bn1", "relu", "maxpool", *stages, "avgpool", "fc"]
    # 1x1 64->64, 3x3 64->64, 1x1 64->256 and the 1x1 64->256 projection, without biases, on a 56x56 map; each
    # followed by batch norm (a scale and a shift per channel).
    weights = 64 * 64 + 3 * 3 * 64 * 64 + 64 * 256 + 64 * 256
    assert blocks["layer1.0"]["params"] == weights + 2 * (64 + 64 + 256 + 256)
    assert blocks["layer1.0"]["macs"] == weights * 56 * 56
    # torchvision's Bottleneck.forward calls conv1, bn1, relu, conv2, bn2, relu, conv3, bn3, downsample (a
    # convolution and a batch norm) and relu: one row per call, the shared ReLU three times.
    assert blocks["layer1.0"]["layers"] == 11


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


# ---- headline totals: the model that runs at inference, auxiliary heads apart ----------------------------------

def _torchvision_params(builder: str, **kwargs) -> int:
    import torchvision

    with torch.device("meta"):
        model = getattr(torchvision.models, builder)(weights=None, init_weights=False, **kwargs)
    return sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize("name, expected", [("googlenet", 6_624_904), ("inception_v3", 23_834_568)])
def test_total_params_is_the_inference_model_and_aux_heads_are_apart(name, expected):
    """torchvision's builders without their auxiliary heads are the inference model, counted independently."""
    summary = summarize(resolve(name)[1])
    inference, everything = _torchvision_params(name, aux_logits=False), _torchvision_params(name, aux_logits=True)
    assert summary.total_params == inference == expected
    assert summary.aux_params == everything - inference and summary.all_params == everything
    assert summary.total_params == sum(r.params for r in summary.layers if not r.auxiliary)
    assert summary.aux_macs == sum(r.macs for r in summary.layers if r.auxiliary) > 0


def test_inception_v3_published_count_includes_its_aux_head():
    summary = summarize(resolve("inception_v3")[1])
    published = published_counts(resolve("inception_v3")[1])
    assert published.num_params == summary.all_params == summary.total_params + summary.aux_params
    sentence = published.sentence(summary)
    assert f"{summary.total_params:,} parameters for inference" in sentence
    assert f"{published.num_params:,} parameters (which count AuxLogits)" in sentence


def test_inception_v3_runs_at_75_pixels_without_its_training_only_head():
    """torchvision documents 75x75 as Inception v3's smallest input; only AuxLogits needs more."""
    variant = resolve("inception_v3")[1]
    small = summarize(variant, 75)
    assert not small.aux_traced and small.aux_macs is None
    assert not any(r.auxiliary for r in small.layers)
    assert (small.total_params, small.aux_params) == (summarize(variant).total_params, summarize(variant).aux_params)
    model = variant.build_on_meta().eval()
    with FlopCounterMode(display=False) as counter:
        model(*variant.example_inputs(75))
    assert small.total_macs == counter.get_total_flops() // 2
    with pytest.raises(RuntimeError):
        summarize(variant, 74)  # too small for the inference path too


# ---- activations: one definition ------------------------------------------------------------------------------

def test_vgg16_activations_are_cs231n_per_layer_list():
    """CS231n's VGG-16 memory list: the input, every conv, pool and FC output (ReLUs work in place)."""
    summary = summarize(resolve("vgg16")[1])
    convs = [(224, 64)] * 2 + [(112, 128)] * 2 + [(56, 256)] * 3 + [(28, 512)] * 3 + [(14, 512)] * 3
    pools = [(112, 64), (56, 128), (28, 256), (14, 512), (7, 512)]
    expected = 224 * 224 * 3 + sum(s * s * c for s, c in convs + pools) + 4096 + 4096 + 1000
    assert summary.total_activations == expected == 15_237_608


def test_layers_that_hand_back_their_input_add_no_activations():
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU(inplace=True), nn.ReLU(), nn.AdaptiveAvgPool2d(6),
                          nn.Flatten(), nn.Dropout(), nn.Linear(144, 10)).to("meta")
    summary = summarize_model(model, (torch.zeros(1, 3, 8, 8, device="meta"),), "toy")
    new = {r.type + r.name: r.activations for r in summary.layers}
    assert new == {"Conv2d0": 4 * 6 * 6, "ReLU1": 0, "ReLU2": 4 * 6 * 6, "AdaptiveAvgPool2d3": 0, "Flatten4": 0,
                   "Dropout5": 0, "Linear6": 10}
    assert summary.total_activations == 3 * 8 * 8 + 2 * 4 * 6 * 6 + 10


# ---- repeated calls and per-image costs -------------------------------------------------------------------------

def test_each_call_of_a_shared_module_is_a_row_with_its_own_shape():
    """EfficientNet-Lite0 applies one activation module after the stem and after the head convolution."""
    summary = summarize(resolve("efficientnet_lite0")[1])
    calls = [i for i, r in enumerate(summary.layers) if r.name == "_swish"]
    assert len(calls) == 2
    for i in calls:  # each call keeps the shape of the batch norm it follows
        assert summary.layers[i].output_shape == summary.layers[i - 1].output_shape
    assert [summary.layers[i - 1].name for i in calls] == ["_bn0", "_bn1"]
    assert summary.layers[calls[0]].output_shape != summary.layers[calls[1]].output_shape


def test_siamese_macs_per_image_is_one_twin():
    variant = resolve("siamese_net")[1]
    summary = summarize(variant)
    model = variant.build_on_meta().eval()
    with FlopCounterMode(display=False) as counter:
        model.embedding(variant.example_inputs()[0])
    one_twin = counter.get_total_flops() // 2
    assert summary.macs_of_input(0) == summary.macs_of_input(1) == one_twin
    assert summary.total_macs == 2 * one_twin + model.head.in_features


# ---- the architecture page shows these totals -------------------------------------------------------------------

def test_architecture_page_cards_show_inference_totals_and_per_image_costs():
    from cnnviz.analysis.summary import ACTIVATIONS_DEFINITION, summary_of
    from cnnviz.format import count
    from tests.conftest import open_link, open_page

    googlenet = summary_of("googlenet")
    app = open_page("pages/googlenet.py")
    cards = {m.label: m for m in app.metric}
    assert cards["Parameters"].value == count(googlenet.total_params) and "6,624,904" in cards["Parameters"].help
    assert any("6,379,984 parameters" in c.value and "13,004,888" in c.value for c in app.caption)

    app = open_page("pages/inception_v3.py")
    app.number_input(key="inception_v3_inception_v3_size").set_value(75).run()
    assert not app.exception and not app.error
    assert any("cannot run on a 75x75 input" in c.value for c in app.caption)

    siamese = summary_of("siamese_net")
    app = open_page("pages/siamese.py")
    cards = {m.label: m for m in app.metric}
    assert cards["MACs per pair of images"].value == count(siamese.total_macs)
    assert any(f"{siamese.macs_of_input(0):,} MACs" in c.value for c in app.caption)

    vgg = summary_of("vgg16")
    app = open_link("vgg16", tab="table")
    assert {m.label: m.value for m in app.metric}["Activations per image"] == count(vgg.total_activations)
    assert any(c.value == ACTIVATIONS_DEFINITION for c in app.caption)
