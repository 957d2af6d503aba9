"""cnnviz's own model definitions: shapes, parameter counts and MACs against hand-computed numbers.

Models are built on the ``meta`` device (no memory, no weights) except where values are checked.
Expected numbers come from the papers or from the formulas written out here, never from the models.
"""

from __future__ import annotations

import importlib

import pytest
import torch
from torch import nn

from tests.model_helpers import (builder, conv_params, linear_params, macs, meta_inputs, n_params, on_meta,
                                 output_shapes)

BUILDERS = [  # (module, builder, input shapes (C, H, W), output shape without the batch)
    ("lenet", "lenet5", [(1, 32, 32)], (10,)),
    ("alexnet_paper", "alexnet_paper", [(3, 227, 227)], (1000,)),
    ("zfnet", "zfnet", [(3, 224, 224)], (1000,)),
    ("zfnet", "zfnet_wide", [(3, 224, 224)], (1000,)),
    ("nin", "nin", [(3, 224, 224)], (1000,)),
    ("mobilenet_v1", "mobilenet_v1", [(3, 224, 224)], (1000,)),
    ("bn_inception", "bn_inception", [(3, 224, 224)], (1000,)),
    *[("preact_resnet", f"preact_resnet{d}", [(3, 224, 224)], (1000,)) for d in (18, 34, 50, 101, 152)],
    ("stochastic_depth", "stochastic_depth_resnet50", [(3, 224, 224)], (1000,)),
    ("stochastic_depth", "stochastic_depth_resnet152", [(3, 224, 224)], (1000,)),
    ("fractalnet", "fractalnet20", [(3, 32, 32)], (10,)),
    ("fractalnet", "fractalnet40", [(3, 32, 32)], (10,)),
    ("autoencoder", "conv_autoencoder", [(1, 28, 28)], (1, 28, 28)),
    ("unet", "unet", [(1, 572, 572)], (2, 388, 388)),
    ("unet", "unet_small", [(3, 128, 128)], (1, 128, 128)),
    ("siamese", "siamese_net", [(1, 105, 105), (1, 105, 105)], (1,)),
]


@pytest.mark.parametrize("module,name,shapes,out", BUILDERS, ids=[b[1] for b in BUILDERS])
def test_builds_on_meta_and_runs_in_eval(module, name, shapes, out):
    model = on_meta(module, name)
    assert not model.training, "builders return models ready for inference"
    assert all(p.device.type == "meta" for p in model.parameters())
    y = model(*meta_inputs(shapes))
    assert tuple(y.shape) == (2, *out)


def test_lenet5_parameters_and_activation():
    # C1 + C3 (full connection table) + C5 + F6 + output
    expected = (conv_params(1, 6, 5) + conv_params(6, 16, 5) + conv_params(16, 120, 5)
                + linear_params(120, 84) + linear_params(84, 10))
    assert expected == 61_706
    for activation, kind in (("tanh", nn.Tanh), ("relu", nn.ReLU)):
        model = on_meta("lenet", "lenet5", activation=activation)
        assert n_params(model) == expected
        assert sum(isinstance(m, kind) for m in model.modules()) == 4
    with pytest.raises(ValueError):
        on_meta("lenet", "lenet5", activation="sigmoid")


def test_lenet5_on_cpu_is_finite():
    torch.manual_seed(0)
    for activation in ("tanh", "relu"):
        model = builder("lenet", "lenet5")(activation=activation)
        y = model(torch.randn(4, 1, 32, 32))
        assert y.shape == (4, 10) and torch.isfinite(y).all()


# LeCun et al. 1998, Table I as printed: one row per S2 map, one column per C3 map, X where they connect.
_LENET_TABLE_I = ("X...XXX..XXXX.XX",
                  "XX...XXX..XXXX.X",
                  "XXX...XXX..X.XXX",
                  ".XXX..XXXX..X.XX",
                  "..XXX..XXXX.XX.X",
                  "...XXX..XXXX.XXX")


def test_lenet5_sparse_c3_is_the_papers_table_i():
    lenet = importlib.import_module("cnnviz.zoo.models.lenet")
    assert len(lenet.C3_TABLE) == 16
    for c3_map, inputs in enumerate(lenet.C3_TABLE):
        printed = {s2_map for s2_map, row in enumerate(_LENET_TABLE_I) if row[c3_map] == "X"}
        assert sorted(inputs) == sorted(printed), f"C3 map {c3_map}"
    torch.manual_seed(0)
    c3 = lenet.SparseC3()
    s2 = torch.randn(1, 6, 14, 14)
    with torch.no_grad():
        out = c3(s2)
        assert tuple(out.shape) == (1, 16, 10, 10)
        # Each map reads only its table's S2 maps: zeroing every other S2 map leaves it unchanged.
        for c3_map, inputs in enumerate(lenet.C3_TABLE):
            others = s2.clone()
            others[:, [m for m in range(6) if m not in inputs]] = 0
            torch.testing.assert_close(c3(others)[:, c3_map], out[:, c3_map])
    # The paper, Section II.B: C3 has 1,516 trainable parameters and 151,600 connections (every weight and bias
    # is used once at each of the 10x10 output positions).
    assert n_params(c3) == 1516
    assert n_params(c3) * out.shape[-2] * out.shape[-1] == 151_600


def test_lenet5_is_not_called_the_first_network_trained_by_back_propagation():
    """LeCun et al. 1989 (zip codes) trained a convolutional network end to end with back-propagation first."""
    from cnnviz.lectures.story import lecture
    from cnnviz.zoo.registry import architectures

    texts = (architectures()["lenet5"].idea, lecture("lenet5").story)
    assert not any("The first convolutional network trained" in text for text in texts)
    assert "LeCun et al. 1989" in architectures()["lenet5"].idea


def test_alexnet_paper_counts():
    model = on_meta("alexnet_paper", "alexnet_paper")
    conv1 = model.features[0]
    assert n_params(conv1) == 34_944 == conv_params(3, 96, 11)
    shapes = output_shapes(model, nn.Conv2d, *meta_inputs([(3, 227, 227)], 1))
    assert [s[1:] for s in shapes] == [(55, 55), (27, 27), (13, 13), (13, 13), (13, 13)]
    assert shapes[0] == (96, 55, 55)
    expected = (conv_params(3, 96, 11) + conv_params(96, 256, 5, groups=2) + conv_params(256, 384, 3)
                + conv_params(384, 384, 3, groups=2) + conv_params(384, 256, 3, groups=2)
                + linear_params(9216, 4096) + linear_params(4096, 4096) + linear_params(4096, 1000))
    assert n_params(model) == expected == 60_965_224


@pytest.mark.parametrize("module,name", [("alexnet_paper", "alexnet_paper"), ("zfnet", "zfnet")])
def test_dropout_acts_on_the_outputs_of_fc6_and_fc7(module, name):
    """Krizhevsky et al. 2012, Section 4.2: dropout "in the first two fully-connected layers", on their outputs
    (Caffe's reference: drop6 after relu6, drop7 after relu7); the 9,216 pooled values reach FC6 whole. The
    walk says so."""
    from cnnviz.analysis.receptive_field.recursion import receptive_fields
    from cnnviz.analysis.summary import summary_of
    from cnnviz.lectures.stepper import walk_steps
    from cnnviz.zoo.registry import resolve

    layers = list(on_meta(module, name).classifier)
    kinds = [type(m).__name__ for m in layers]
    assert kinds == ["Linear", "ReLU", "Dropout", "Linear", "ReLU", "Dropout", "Linear"]
    assert [m.p for m in layers if isinstance(m, nn.Dropout)] == [0.5, 0.5]
    steps = {s.title: s for s in walk_steps(summary_of(name), receptive_fields(resolve(name)[1]))}
    assert steps["FC6"].description == "4096 neurons, then ReLU, dropout 0.5" == steps["FC7"].description


@pytest.mark.parametrize("name,widths", [("zfnet", (384, 384, 256)), ("zfnet_wide", (512, 1024, 512))])
def test_zfnet_sizes_follow_the_paper_figure(name, widths):
    model = on_meta("zfnet", name)
    x = meta_inputs([(3, 224, 224)], 1)
    sizes = [s[1] for s in output_shapes(model, (nn.Conv2d, nn.MaxPool2d), *x)]
    # conv1, pool1, conv2, pool2, conv3, conv4, conv5, pool5
    assert sizes == [110, 55, 26, 13, 13, 13, 13, 6]
    c3, c4, c5 = widths
    expected = (conv_params(3, 96, 7) + conv_params(96, 256, 5) + conv_params(256, c3, 3)
                + conv_params(c3, c4, 3) + conv_params(c4, c5, 3)
                + linear_params(c5 * 36, 4096) + linear_params(4096, 4096) + linear_params(4096, 1000))
    assert n_params(model) == expected


def test_zfnet_normalises_like_alexnet():
    def normalisations(model: nn.Module) -> list[tuple]:
        return [(m.size, m.alpha, m.beta, m.k) for m in model.modules() if isinstance(m, nn.LocalResponseNorm)]

    zfnet = normalisations(on_meta("zfnet", "zfnet"))
    assert len(zfnet) == 2 and zfnet == normalisations(on_meta("alexnet_paper", "alexnet_paper"))


def test_alexnet_lrn_is_the_papers_formula():
    """Krizhevsky et al. 2012, Section 3.3: b = a / (k + alpha * sum of squares over n maps)^beta, k = 2, n = 5,
    alpha = 1e-4, beta = 0.75; written out channel by channel in the LRN lab's ``formula``."""
    from cnnviz.labs import lrn
    from cnnviz.zoo.models.alexnet_paper import local_response_norm

    layer = local_response_norm()
    a = torch.randn(96, 7, 7, dtype=torch.float64, generator=torch.Generator().manual_seed(0)) * 20
    paper = torch.from_numpy(lrn.formula(a.numpy(), k=2.0, n=5, alpha=1e-4, beta=0.75))
    with torch.no_grad():
        torch.testing.assert_close(layer(a.unsqueeze(0))[0], paper, rtol=1e-12, atol=0)
        # The paper's 1e-4 passed to torch as it stands: torch divides it by n, so the maps are normalised less.
        torch_as_typed = nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=2.0)(a.unsqueeze(0))[0]
    assert not torch.allclose(torch_as_typed, paper, rtol=1e-6)


def test_nin_blocks_fold_and_count():
    nin = importlib.import_module("cnnviz.zoo.models.nin")
    model = on_meta("nin", "nin")
    assert sum(isinstance(m, nin.MlpConv) for m in model.modules()) == 4
    assert not any(isinstance(m, nn.Linear) for m in model.modules()), "NiN has no fully connected layer"
    expected = sum(conv_params(i, o, k) + 2 * conv_params(o, o, 1)
                   for i, o, k in ((3, 96, 11), (96, 256, 5), (256, 384, 3), (384, 1000, 3)))
    assert n_params(model) == expected


_MOBILENET_TABLE = [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2),
                    *[(512, 1)] * 5, (1024, 2), (1024, 1)]


def test_mobilenet_v1_matches_the_paper():
    model = on_meta("mobilenet_v1", "mobilenet_v1")
    # Hand count from Table 1: BN has 2 parameters per channel, convs no bias.
    params, mults, cin, size = 27 * 32 + 2 * 32, 112 * 112 * 27 * 32, 32, 112
    for cout, stride in _MOBILENET_TABLE:
        size //= stride
        params += 9 * cin + 2 * cin + cin * cout + 2 * cout
        mults += size * size * (9 * cin + cin * cout)
        cin = cout
    params += linear_params(1024, 1000)
    mults += 1024 * 1000
    assert params == 4_231_976
    assert n_params(model) == params
    measured = macs(model, *meta_inputs([(3, 224, 224)], 1))
    assert measured == mults
    assert abs(measured - 569e6) / 569e6 < 0.01  # the paper: 569 million mult-adds
    mod = importlib.import_module("cnnviz.zoo.models.mobilenet_v1")
    blocks = [m for m in model.modules() if isinstance(m, mod.DepthwiseSeparable)]
    assert len(blocks) == 13
    assert all(b[0].groups == b[0].in_channels and b[0].bias is None for b in blocks)


def test_mobilenet_v1_width_multiplier():
    model = on_meta("mobilenet_v1", "mobilenet_v1", width_mult=0.5)
    assert model.classifier.in_features == 512
    assert model(*meta_inputs([(3, 224, 224)])).shape == (2, 1000)


# The paper's Tables 6 and 7, as printed: (α, input side, million mult-adds, million parameters).
_MOBILENET_TABLES_6_7 = {"mobilenet_v1": (1.0, 224, 569, 4.2), "mobilenet_v1_0.75": (0.75, 224, 325, 2.6),
                         "mobilenet_v1_0.5": (0.5, 224, 149, 1.3), "mobilenet_v1_0.25": (0.25, 224, 41, 0.5),
                         "mobilenet_v1_192": (1.0, 192, 418, 4.2), "mobilenet_v1_160": (1.0, 160, 290, 4.2),
                         "mobilenet_v1_128": (1.0, 128, 186, 4.2)}


@pytest.mark.parametrize("name", _MOBILENET_TABLES_6_7)
def test_mobilenet_v1_width_and_resolution_variants_match_tables_6_and_7(name):
    from cnnviz.zoo.registry import resolve

    alpha, side, paper_macs, paper_params = _MOBILENET_TABLES_6_7[name]
    arch, variant = resolve(name)
    assert arch.key == "mobilenet_v1" and variant.input_size == side
    model = variant.build_on_meta()
    assert model.features[0][0].out_channels == int(32 * alpha)  # Table 1's first layer, thinned by α
    measured = macs(model, *variant.example_inputs())
    # The paper prints whole millions of mult-adds and tenths of millions of parameters.
    assert abs(measured / 1e6 - paper_macs) < 1
    assert round(n_params(model) / 1e6, 1) == paper_params


def test_mobilenet_v1_page_puts_numbers_into_the_papers_cost_formula():
    from cnnviz.analysis.summary import summary_of
    from cnnviz.lectures.key_ideas import key_facts

    summary = summary_of("mobilenet_v1_0.75")
    facts = dict(key_facts("mobilenet_v1", summary))
    # features.3: a stride-1 block of 128α channels on a 224/4 = 56 pixel grid.
    m, side = int(128 * 0.75), 224 // 4
    formula = next(value for label, value in facts.items() if "D_K·D_K·αM·ρD_F·ρD_F" in label)
    layer = sum(r.macs for r in summary.layers if r.block == "features.3")
    assert formula.startswith(f"3·3·{m}·{side}·{side} + {m}·{m}·{side}·{side} = ")
    assert f"= {9 * m * side * side + m * m * side * side:,} MACs (the layer table: {layer:,})" in formula
    assert "α = 0.75, ρ = 1:" in next(label for label in facts if "D_K" in label)
    for name, (alpha, size, paper_macs, paper_params) in _MOBILENET_TABLES_6_7.items():
        row = facts[f"{name}: α = {alpha:g}, {size}x{size} input"]
        assert f"{summary_of(name).total_macs:,} MACs" in row
        assert f"{paper_macs} million mult-adds, {paper_params} million parameters" in row


@pytest.mark.slow
def test_mobilenet_v1_page_shows_the_variants_next_to_the_papers_tables():
    from cnnviz.analysis.summary import summary_of
    from tests.conftest import open_page

    app = open_page("pages/mobilenet_v1.py")
    app.selectbox(key="mobilenet_v1_variant").set_value("mobilenet_v1_0.25").run()
    assert not app.exception, app.exception
    table = next(m.value for m in app.markdown if m.value.startswith("| what | computed from this model |"))
    shown = dict(tuple(cell.strip() for cell in row.strip("|").split(" | ")) for row in table.splitlines()[2:])
    assert any(label.startswith("features.3 at α = 0.25, ρ = 1:") for label in shown)
    row = shown["mobilenet_v1_0.25: α = 0.25, 224x224 input"]
    assert f"{summary_of('mobilenet_v1_0.25').total_params:,} parameters" in row and "Table 6: 41 million" in row


# Ioffe & Szegedy 2015, Figure 5: #1x1, #3x3 reduce, #3x3, double #3x3 reduce, double #3x3, pool projection
# (0: the pooled input passes through), and the output depth the figure prints.
_FIGURE_5 = {
    "inception3a": (64, 64, 64, 64, 96, 32, 256), "inception3b": (64, 64, 96, 64, 96, 64, 320),
    "inception3c": (0, 128, 160, 64, 96, 0, 576), "inception4a": (224, 64, 96, 96, 128, 128, 576),
    "inception4b": (192, 96, 128, 96, 128, 128, 576), "inception4c": (160, 128, 160, 128, 160, 128, 576),
    "inception4d": (96, 128, 192, 160, 192, 128, 576), "inception4e": (0, 128, 192, 192, 256, 0, 1024),
    "inception5a": (352, 192, 320, 160, 224, 128, 1024), "inception5b": (352, 192, 320, 192, 224, 128, 1024),
}
# The grid each module outputs: 3c and 4e end in stride 2 (the figure prints the grid they start from).
_FIGURE_5_GRID = {"inception3a": 28, "inception3b": 28, "inception3c": 14, "inception4a": 14, "inception4b": 14,
                  "inception4c": 14, "inception4d": 14, "inception4e": 7, "inception5a": 7, "inception5b": 7}


def test_bn_inception_stages_follow_figure_5():
    model = on_meta("bn_inception", "bn_inception")
    shapes = {}

    def record(name):
        def hook(module, args, out):
            shapes[name] = tuple(out.shape[1:])
        return hook

    for name in ("conv1", "maxpool1", "conv3", "maxpool2", *_FIGURE_5, "avgpool"):
        model.get_submodule(name).register_forward_hook(record(name))
    model(*meta_inputs([(3, 224, 224)], 1))
    assert shapes["conv1"] == (64, 112, 112) and shapes["maxpool1"] == (64, 56, 56)
    assert shapes["conv3"] == (192, 56, 56) and shapes["maxpool2"] == (192, 28, 28)
    channels, slips = 192, {}
    for name, (c1, _, c3, _, d3, proj, printed) in _FIGURE_5.items():
        channels = c1 + c3 + d3 + (proj or channels)  # the figure's columns, concatenated
        assert shapes[name] == (channels, _FIGURE_5_GRID[name], _FIGURE_5_GRID[name]), name
        if channels != printed:
            slips[name] = (printed, channels)
    # The figure's printed depths for 4c, 4d and 4e are not the sums of its own columns.
    assert slips == {"inception4c": (576, 608), "inception4d": (576, 608), "inception4e": (1024, 1056)}
    assert shapes["inception3a"] == (256, 28, 28) and shapes["avgpool"] == (1024, 1, 1)


def test_bn_inception_parameters_from_figure_5():
    mod = importlib.import_module("cnnviz.zoo.models.bn_inception")
    model = on_meta("bn_inception", "bn_inception")

    def conv_bn(cin: int, cout: int, k: int) -> int:  # convolution without bias, batch norm's scale and shift
        return conv_params(cin, cout, k, bias=False) + 2 * cout

    # Separable 7x7/2 with depth multiplier 8 (3 -> 24 channels, no BN between), then 1x1 to 64.
    expected = conv_params(3, 24, 7, groups=3, bias=False) + conv_bn(24, 64, 1)
    expected += conv_bn(64, 64, 1) + conv_bn(64, 192, 3)
    cin = 192
    for c1, r3, c3, rd, d3, proj, _ in _FIGURE_5.values():
        expected += (conv_bn(cin, c1, 1) if c1 else 0) + conv_bn(cin, r3, 1) + conv_bn(r3, c3, 3)
        expected += conv_bn(cin, rd, 1) + conv_bn(rd, d3, 3) + conv_bn(d3, d3, 3)
        expected += conv_bn(cin, proj, 1) if proj else 0
        cin = c1 + c3 + d3 + (proj or cin)
    expected += linear_params(1024, 1000)
    assert n_params(model) == expected
    # Section 4.2 of the paper says 13.6 million; the layers of Figure 5 give 11.3 million, and the paper
    # does not say where the rest lies (GoogLeNet's auxiliary heads would add about 3 million each).
    assert round(expected / 1e6, 1) == 11.3
    # The page says both where it shows the count, with the figure's printed depths against its columns.
    from cnnviz.analysis.published import paper_parameters_note
    from cnnviz.analysis.summary import summary_of

    note = paper_parameters_note(summary_of("bn_inception"))
    assert note.startswith("Section 4.2 of the batch-norm paper gives 13.6 M parameters for this network; the "
                           f"model here has {expected:,} ({13_600_000 - expected:,} fewer).")
    assert "(576, 576, 1024) are not the sums of those columns (608, 608, 1056)" in note
    assert paper_parameters_note(summary_of("inception_v3")) is None
    stem = model.conv1[0]
    assert stem.groups == 3 and stem.out_channels == 3 * mod.DEPTH_MULTIPLIER == 24
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
    norms = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    assert len(norms) == len(convs) - 1, "batch norm after every convolution but the depthwise half of conv1"
    assert not any(m.bias is not None for m in convs)
    assert not any(isinstance(m, (nn.Dropout, nn.LocalResponseNorm)) for m in model.modules())
