"""cnnviz's own model definitions: shapes, parameter counts and MACs against hand-computed numbers.

Models are built on the ``meta`` device (no memory, no weights) except where values are checked.
Expected numbers come from the papers or from the formulas written out here, never from the models.
"""

from __future__ import annotations

import copy
import importlib
import random

import pytest
import torch
import torchvision
from torch import nn

BUILDERS = [  # (module, builder, input shapes (C, H, W), output shape without the batch)
    ("lenet", "lenet5", [(1, 32, 32)], (10,)),
    ("alexnet_paper", "alexnet_paper", [(3, 227, 227)], (1000,)),
    ("zfnet", "zfnet", [(3, 224, 224)], (1000,)),
    ("zfnet", "zfnet_wide", [(3, 224, 224)], (1000,)),
    ("nin", "nin", [(3, 224, 224)], (1000,)),
    ("mobilenet_v1", "mobilenet_v1", [(3, 224, 224)], (1000,)),
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


def builder(module: str, name: str):
    return getattr(importlib.import_module(f"cnnviz.zoo.models.{module}"), name)


def on_meta(module: str, name: str, **kwargs) -> nn.Module:
    with torch.device("meta"):
        return builder(module, name)(**kwargs)


def meta_inputs(shapes, batch: int = 2):
    return [torch.zeros(batch, *shape, device="meta") for shape in shapes]


def n_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def conv_params(cin: int, cout: int, k: int, groups: int = 1, bias: bool = True) -> int:
    return cin // groups * cout * k * k + (cout if bias else 0)


def linear_params(fin: int, fout: int) -> int:
    return fin * fout + fout


def macs(model: nn.Module, *inputs: torch.Tensor) -> int:
    """Multiply-adds of conv and linear layers for the batch given."""
    total = 0

    def hook(m, args, out):
        nonlocal total
        kh, kw = getattr(m, "kernel_size", (1, 1))
        if isinstance(m, nn.ConvTranspose2d):
            total += args[0].numel() * m.out_channels // m.groups * kh * kw
        elif isinstance(m, nn.Conv2d):
            total += out.numel() * m.in_channels // m.groups * kh * kw
        else:
            total += out.numel() * m.in_features

    handles = [m.register_forward_hook(hook) for m in model.modules()
               if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear))]
    model(*inputs)
    for h in handles:
        h.remove()
    return total


def output_shapes(model: nn.Module, types, *inputs) -> list[tuple[int, ...]]:
    shapes = []
    handles = [m.register_forward_hook(lambda m, a, out: shapes.append(tuple(out.shape[1:])))
               for m in model.modules() if isinstance(m, types)]
    model(*inputs)
    for h in handles:
        h.remove()
    return shapes


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


def _preact_params(bottleneck: bool, layers: list[int]) -> int:
    e = 4 if bottleneck else 1
    total = conv_params(3, 64, 7, bias=False) + 2 * 64  # stem conv + BN
    cin = 64
    for stage, (planes, count) in enumerate(zip((64, 128, 256, 512), layers)):
        for i in range(count):
            stride = 2 if stage > 0 and i == 0 else 1
            preact = 0 if stage == 0 and i == 0 else 2 * cin  # the first block reuses the stem's BN-ReLU
            proj = cin * planes * e if stride != 1 or cin != planes * e else 0
            if bottleneck:
                body = cin * planes + 2 * planes + 9 * planes * planes + 2 * planes + planes * planes * e
            else:
                body = 9 * cin * planes + 2 * planes + 9 * planes * planes
            total += preact + proj + body
            cin = planes * e
    return total + 2 * cin + linear_params(cin, 1000)  # final BN + fc


@pytest.mark.parametrize("depth,bottleneck,layers", [
    (18, False, [2, 2, 2, 2]), (34, False, [3, 4, 6, 3]), (50, True, [3, 4, 6, 3]),
    (101, True, [3, 4, 23, 3]), (152, True, [3, 8, 36, 3])])
def test_preact_resnet_parameters(depth, bottleneck, layers):
    model = on_meta("preact_resnet", f"preact_resnet{depth}")
    assert n_params(model) == _preact_params(bottleneck, layers)


def test_preact_block_order_and_projection_input():
    mod = importlib.import_module("cnnviz.zoo.models.preact_resnet")
    model = on_meta("preact_resnet", "preact_resnet50")
    block = model.layer2[0]  # stride 2, 256 -> 512 channels: a projection shortcut
    assert isinstance(block, mod.PreActBottleneck)
    calls, seen = [], {}

    def record(name):
        def hook(m, args, out):
            calls.append(type(m).__name__)
            seen[name] = (args[0], out)
        return hook

    handles = [m.register_forward_hook(record(n)) for n, m in block.named_modules() if not list(m.children())]
    block(torch.zeros(1, 256, 56, 56, device="meta"))
    for h in handles:
        h.remove()
    assert calls[:2] == ["BatchNorm2d", "ReLU"], "pre-activation: BN and ReLU come first"
    assert calls[-1] == "Conv2d", "nothing follows the last conv (the addition is bare)"
    assert seen["shortcut"][0] is seen["preact.1"][1], "the projection reads the pre-activated input"


@pytest.mark.parametrize("depth", [50, 152])
def test_stochastic_depth_keeps_torchvision_parameters(depth):
    model = on_meta("stochastic_depth", f"stochastic_depth_resnet{depth}")
    with torch.device("meta"):
        reference = getattr(torchvision.models, f"resnet{depth}")(weights=None)
    assert n_params(model) == n_params(reference)
    ops = [m for m in model.modules() if isinstance(m, torchvision.ops.StochasticDepth)]
    blocks = {50: 16, 152: 50}[depth]
    assert len(ops) == blocks
    assert [op.p for op in ops] == pytest.approx([0.5 * i / (blocks - 1) for i in range(blocks)])
    assert all(op.mode == "row" for op in ops)
    model.train()
    assert model(*meta_inputs([(3, 224, 224)], 4)).shape == (4, 1000)


def test_stochastic_depth_eval_equals_plain_resnet():
    sd = importlib.import_module("cnnviz.zoo.models.stochastic_depth")
    torch.manual_seed(0)
    reference = torchvision.models.resnet50(weights=None).eval()
    model = sd.add_stochastic_depth(copy.deepcopy(reference)).eval()
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        torch.testing.assert_close(model(x), reference(x))


@pytest.mark.parametrize("name,columns", [("fractalnet20", 3), ("fractalnet40", 4)])
def test_fractalnet_structure_and_training(name, columns):
    mod = importlib.import_module("cnnviz.zoo.models.fractalnet")
    model = on_meta("fractalnet", name)
    widths, expected, cin = (64, 128, 256, 512, 512), linear_params(512, 10), 3
    for cout in widths:
        # Column c holds 2^c units; the first of each reads the block input. Units: conv (no bias) + BN.
        for c in range(columns):
            expected += 9 * cin * cout + (2 ** c - 1) * 9 * cout * cout + 2 ** c * 2 * cout
        cin = cout
    assert n_params(model) == expected
    blocks = [m for m in model.modules() if isinstance(m, mod.FractalBlock)]
    assert len(blocks) == 5
    assert 5 * len(blocks[0].columns[-1]) == {3: 20, 4: 40}[columns], "deepest path length"
    x = meta_inputs([(3, 32, 32)], 4)
    model.train()
    random.seed(0)
    for ratio in (0.0, 0.5, 1.0):  # local only, mixed, global only
        model.global_drop_ratio = ratio
        for _ in range(4):
            assert model(*x).shape == (4, 10)


def test_fractal_join_averages_columns_in_eval():
    mod = importlib.import_module("cnnviz.zoo.models.fractalnet")
    torch.manual_seed(0)
    block = mod.FractalBlock(3, 4, columns=2).eval()
    x = torch.randn(1, 3, 8, 8)
    deep = block.columns[1][1](block.columns[1][0](x))
    shallow = block.columns[0][0](x)
    with torch.no_grad():
        torch.testing.assert_close(block(x), (deep + shallow) / 2)
        torch.testing.assert_close(block(x, global_column=0), shallow)


def test_autoencoder_reconstructs_input_shape():
    model = on_meta("autoencoder", "conv_autoencoder", latent_channels=8)
    x = meta_inputs([(1, 28, 28)])[0]
    assert model.encoder(x).shape == (2, 8, 1, 1)
    assert model(x).shape == x.shape
    cpu = builder("autoencoder", "conv_autoencoder")(in_channels=3)
    y = cpu(torch.randn(2, 3, 28, 28))
    assert y.shape == (2, 3, 28, 28) and ((y >= 0) & (y <= 1)).all()


def test_unet_paper_shapes_and_parameters():
    mod = importlib.import_module("cnnviz.zoo.models.unet")
    model = on_meta("unet", "unet")
    assert model(*meta_inputs([(1, 572, 572)], 1)).shape == (1, 2, 388, 388)
    double = lambda i, o: conv_params(i, o, 3) + conv_params(o, o, 3)  # noqa: E731
    widths = (64, 128, 256, 512, 1024)
    expected = double(1, 64) + sum(double(i, o) for i, o in zip(widths, widths[1:]))
    for i, o in zip(widths[::-1], widths[-2::-1]):
        expected += (i * (i // 2) * 4 + i // 2) + double(i, o)  # 2x2 up-conv, then DoubleConv on the concat
    expected += conv_params(64, 2, 1)
    assert n_params(model) == expected == 31_030_658
    assert sum(isinstance(m, mod.Up) for m in model.modules()) == 4
    small = on_meta("unet", "unet_small")
    assert small(*meta_inputs([(3, 128, 128)])).shape == (2, 1, 128, 128)


def test_siamese_shares_weights():
    model = on_meta("siamese", "siamese_net")
    embedding = (conv_params(1, 64, 10) + conv_params(64, 128, 7) + conv_params(128, 128, 4)
                 + conv_params(128, 256, 4) + linear_params(9216, 4096))
    assert n_params(model) == embedding + linear_params(4096, 1) == 38_951_745
    calls = []
    model.embedding.register_forward_hook(lambda m, a, out: calls.append(out.shape))
    model(*meta_inputs([(1, 105, 105)] * 2))
    assert calls == [(2, 4096), (2, 4096)], "both images go through the one embedding module"


def test_siamese_on_cpu_is_symmetric_and_finite():
    torch.manual_seed(0)
    model = builder("siamese", "siamese_net")()
    a, b = torch.rand(2, 1, 105, 105), torch.rand(2, 1, 105, 105)
    with torch.no_grad():
        ab, ba, aa = model(a, b), model(b, a), model(a, a)
    assert torch.isfinite(ab).all()
    torch.testing.assert_close(ab, ba)  # |e1 - e2| with shared weights is symmetric
    torch.testing.assert_close(aa, model.head.bias.expand(2, 1))  # identical inputs: zero distance
