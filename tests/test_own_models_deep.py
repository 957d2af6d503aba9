"""cnnviz's own deeper models: pre-activation ResNet, stochastic depth, FractalNet, the autoencoder, U-Net and
the Siamese network, against hand-computed numbers."""

from __future__ import annotations

import copy
import importlib
import random

import pytest
import torch
import torchvision

from tests.model_helpers import builder, conv_params, linear_params, meta_inputs, n_params, on_meta


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
