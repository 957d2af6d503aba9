"""Concept labs: every formula against torch (built modules, PyTorch's FLOP counter) and the lecture notes."""

import itertools

import numpy as np
import pytest

from cnnviz.labs import bottleneck as bn
from cnnviz.labs import gap, lrn, output_size, stacking

# 3x3 stacks vs one big kernel ------------------------------------------------------------------------------

def test_notes_27c_vs_49c():
    for c in (1, 3, 64, 512):  # CS231n: 3 x (3x3xC) = 27C vs 7x7xC = 49C
        assert stacking.per_filter_params(c, 3, layers=3) == 27 * c
        assert stacking.per_filter_params(c, 7) == 49 * c
        assert stacking.conv_params(c, 3, bias=False) * 3 == 27 * c * c
        assert stacking.conv_params(c, 7, bias=False) == 49 * c * c


def test_notes_three_channel_example():
    # The course notes, "assuming 3 channels": 1*7*7*3 = 147 and 3*3*3*3 = 81, one filter per layer.
    assert stacking.single_costs(3, 3, 8).per_filter == 147
    assert stacking.stack_costs(3, 3, 8).per_filter == 81
    # Full layers with 3 input and 3 output channels are 3x larger: 243 vs 441 weights.
    assert stacking.stack_costs(3, 3, 8).params_no_bias == 243
    assert stacking.single_costs(3, 3, 8).params_no_bias == 441


@pytest.mark.parametrize("channels, layers, size", [(1, 1, 5), (3, 3, 8), (64, 3, 56), (512, 2, 14), (16, 5, 32)])
def test_stack_formulas_equal_torch(channels, layers, size):
    assert stacking.stack_costs(channels, layers, size) == stacking.measured_costs(channels, layers, size)
    big = stacking.stack_rf(layers)
    assert stacking.single_costs(channels, layers, size) == stacking.measured_costs(channels, 1, size, big)


def test_receptive_field_steps():
    assert stacking.rf_steps(3) == [3, 5, 7]  # the notes: 3 + 3 - 1 = 5, then 7


# Local response normalisation ------------------------------------------------------------------------------

def test_notes_lrn_example():
    # N = 4, (k, alpha, beta, n) = (0, 1, 1, 2); at (i, x, y) = (0, 0, 0) value 1, neighbour 1 -> 1/(1^2 + 1^2).
    worked = lrn.worked(np.array([1.0, 1.0, 3.0, 2.0]), 0, **lrn.NOTES_EXAMPLE)
    assert [t.j for t in worked.terms] == [0, 1]  # channel i - 1 does not exist
    assert worked.b == 0.5


def test_lrn_window_by_hand():
    a = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    worked = lrn.worked(a, 3, **lrn.ALEXNET)  # n = 5: channels 1..5
    assert [t.j for t in worked.terms] == [1, 2, 3, 4, 5]
    assert worked.b == pytest.approx(4.0 / (2 + 1e-4 * (4 + 9 + 16 + 25 + 36)) ** 0.75, rel=1e-12)


@pytest.mark.parametrize("values", [lrn.NOTES_EXAMPLE, lrn.ALEXNET, dict(k=1.0, n=4, alpha=0.5, beta=0.5),
                                    dict(k=0.5, n=1, alpha=2.0, beta=1.5)])
def test_matched_torch_layer_reproduces_the_formula(values):
    a = np.random.default_rng(0).uniform(0.1, 3.0, size=(7, 3, 2))
    ours = lrn.formula(a, **values)
    theirs = lrn.torch_lrn(a, **lrn.torch_arguments(**values))
    np.testing.assert_allclose(theirs, ours, rtol=1e-12)


@pytest.mark.parametrize("k, alpha, beta", [(0.0, 1.0, 0.0), (0.0, 1.0, 0.75), (0.0, 0.0, 0.5), (1.0, 1.0, 0.0)])
def test_worked_output_matches_formula_and_torch_on_a_zero_window(k, alpha, beta):
    # Channels 0 and 1 see only zeros. With beta = 0 the denominator is 0 ** 0 = 1 (b = a, not undefined);
    # with beta > 0 it is 0 and b = a / 0: nan for a = 0, inf for a != 0 (alpha = 0), as torch computes it.
    a = np.array([0.0, 0.0, 0.0, 2.0])
    ours = [lrn.worked(a, i, k, 2, alpha, beta).b for i in range(4)]
    theirs = lrn.torch_lrn(a[:, None, None], **lrn.torch_arguments(k, 2, alpha, beta))[:, 0, 0]
    np.testing.assert_allclose(ours, lrn.formula(a[:, None, None], k, 2, alpha, beta)[:, 0, 0], rtol=1e-12)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)
    assert lrn.worked(a, 0, 0.0, 2, 1.0, 0.0).denominator == 1.0  # was 0 and b nan ("undefined")


def test_torch_layer_with_the_formulas_numbers_differs():
    a = np.array([1.0, 1.0, 3.0, 2.0])[:, None, None]
    direct = lrn.torch_lrn(a, size=2, alpha=1.0, beta=1.0, k=0.0)
    assert direct[0, 0, 0] == 2.0  # alpha / n halves the sum and the window misses channel 1: 1 / (1/2 * 1)


# Bottleneck arithmetic -------------------------------------------------------------------------------------

def test_notes_5x5_question():
    from cnnviz.lectures.notes_check import claims_with_keys

    keys = ("googlenet-naive-weights", "googlenet-reduced-weights", "googlenet-reduced-macs", "googlenet-naive-macs")
    checked = dict(zip(("naive weights", "reduced weights", "reduced MACs / i²", "naive MACs / i²"),
                       claims_with_keys(keys)))
    assert checked["naive weights"].computed == 5 * 5 * 64 * 64 + 64 == 102_464
    assert checked["reduced weights"].computed == 1 * 1 * 64 * 32 + 32 + 5 * 5 * 32 * 64 + 64 == 53_344
    assert checked["reduced MACs / i²"].computed == 53_248 and checked["reduced MACs / i²"].correct
    # The notes' 10240 i^2 for the naive convolution drops a factor of 10.
    assert checked["naive MACs / i²"].computed == 102_400 and not checked["naive MACs / i²"].correct
    # The lab's own formulas give the same numbers.
    assert bn.weights(bn.naive_5x5()) == checked["naive weights"].computed
    assert bn.mac_coefficient(bn.reduced_5x5()) == checked["reduced MACs / i²"].computed


@pytest.mark.parametrize("size", [1, 7, 28])
def test_5x5_designs_counted_by_torch(size):
    for convs in (bn.naive_5x5(), bn.reduced_5x5()):
        assert bn.counted(bn.chain(convs), 64, size) == (bn.weights(convs), bn.mac_coefficient(convs) * size ** 2)
        assert bn.macs(convs, size) == bn.counted(bn.chain(convs), 64, size)[1]
    assert bn.counted(bn.chain(bn.naive_5x5()), 64, size)[1] == 102_400 * size ** 2


def test_inception_module_by_hand_and_by_torch():
    module = bn.Inception()
    naive_macs = 28 * 28 * (128 * 256 + 192 * 9 * 256 + 96 * 25 * 256)
    reduced_macs = 28 * 28 * (128 * 256 + 64 * 256 + 192 * 9 * 64 + 64 * 256 + 96 * 25 * 64 + 64 * 256)
    assert bn.counted(module.naive_module(), 256, 28)[1] == naive_macs == 854_196_224
    assert bn.counted(module.reduced_module(), 256, 28)[1] == reduced_macs == 271_351_808
    assert bn.counted(module.naive_module(), 256, 28)[0] == bn.weights(module.naive())
    from cnnviz.analysis.counting import output_shape
    assert output_shape(module.naive_module(), (256, 28, 28)) == (module.naive_channels(), 28, 28) == (672, 28, 28)
    assert output_shape(module.reduced_module(), (256, 28, 28))[0] == module.reduced_channels() == 480


def test_resnet_blocks_against_torchvision():
    blocks = bn.torch_resnet_blocks(64)
    assert bn.conv_only(blocks["bottleneck"], 256, 56)[0] == bn.weights(bn.resnet_bottleneck()) == 69_632
    assert bn.conv_only(blocks["basic_wide"], 256, 56)[0] == bn.weights(bn.basic_block(256)) == 2 * 9 * 256 * 256
    assert bn.conv_only(blocks["basic_narrow"], 64, 56) == (73_728, 73_728 * 56 * 56)


@pytest.mark.parametrize("mid", [1, 16, 64, 100, 512])
def test_resnet_bottleneck_of_any_width(mid):
    # torchvision's Bottleneck(channels, mid) outputs 4 * mid channels and adds its input to them: the block's
    # channels follow from its width (a separate channel count crashed the page at anything but 4x).
    from torchvision.models.resnet import Bottleneck

    channels = bn.block_channels(mid)
    assert channels == mid * Bottleneck.expansion == 4 * mid
    convs = bn.resnet_bottleneck(mid)
    assert (convs[0].c_in, convs[-1].c_out) == (channels, channels)
    blocks = bn.torch_resnet_blocks(mid)
    from cnnviz.analysis.counting import output_shape
    assert output_shape(blocks["bottleneck"], (channels, 14, 14)) == (channels, 14, 14)
    assert bn.conv_only(blocks["bottleneck"], channels, 14) == (bn.weights(convs), bn.mac_coefficient(convs) * 14 ** 2)
    assert bn.conv_only(blocks["basic_wide"], channels, 14)[0] == bn.weights(bn.basic_block(channels))


@pytest.mark.parametrize("mid", [1, 64])
def test_resnet_blocks_at_map_size_1(mid):
    # Batch norm in training mode refuses one value per channel ("Expected more than 1 value per channel when
    # training"): the page crashed at map size 1. The count is taken in eval mode, and the modes are restored.
    from cnnviz.analysis.counting import output_shape

    blocks = bn.torch_resnet_blocks(mid)
    designs = {"bottleneck": (bn.resnet_bottleneck(mid), bn.block_channels(mid)),
               "basic_wide": (bn.basic_block(bn.block_channels(mid)), bn.block_channels(mid)),
               "basic_narrow": (bn.basic_block(mid), mid)}
    for name, (convs, channels) in designs.items():
        assert blocks[name].training
        assert bn.conv_only(blocks[name], channels, 1) == (bn.weights(convs), bn.mac_coefficient(convs))
        assert output_shape(blocks[name], (channels, 1, 1)) == (channels, 1, 1)
        assert all(module.training for module in blocks[name].modules())


@pytest.mark.parametrize("m, n, k", [(32, 64, 3), (512, 512, 3), (3, 8, 5), (64, 1024, 7)])
def test_mobilenet_cost_ratio(m, n, k):
    size = 14
    standard = bn.counted(bn.chain(bn.standard(m, n, k)), m, size)[1]
    separable = bn.counted(bn.chain(bn.separable(m, n, k)), m, size)[1]
    assert separable / standard == pytest.approx(1 / n + 1 / k ** 2, rel=1e-12)


def test_fire_module_against_torchvision():
    for args in ((96, 16, 64, 64), (512, 64, 256, 256), (7, 3, 5, 2)):
        fire = bn.fire(*args)
        c_in, s, e1, e3 = args
        assert bn.weights(fire) == c_in * s + s + s * e1 + e1 + 9 * s * e3 + e3
        assert bn.counted(bn.torch_fire(*args), c_in, 13) == (bn.weights(fire), bn.mac_coefficient(fire) * 13 * 13)


# 1x1 convolutions and GAP ----------------------------------------------------------------------------------

def test_one_by_one_is_a_matrix_at_every_pixel():
    assert gap.one_by_one_is_matmul(16, 5, 7, seed=3)["max_difference"] < 1e-12
    torch_params, torch_macs = bn.counted(bn.chain([bn.Conv("1x1", 256, 64, 1)]), 256, 28)
    assert (torch_params, torch_macs) == (gap.one_by_one_params(256, 64), gap.one_by_one_macs(256, 64, 28))


def test_vgg_head_fc_vs_gap():
    fc, pooled = gap.fc_head(512, 7, 4096), gap.gap_head(512, 4096)
    assert fc.params == 7 * 7 * 512 * 4096 + 4096 == 102_764_544
    assert pooled.params == 512 * 4096 + 4096 == 2_101_248
    assert (fc.params - 4096) / (pooled.params - 4096) == 49  # the course notes: "49x fewer parameters"
    measured = gap.torch_heads(512, 7, 4096)
    assert (measured["fc"].params, measured["gap"].params) == (fc.params, pooled.params)
    assert gap.registry_head("vgg16").first_layer_params == fc.params  # VGG-16's own classifier.0


def test_registry_head_reads_a_given_summary(monkeypatch):
    # The page passes its cached summary: nothing is traced again (before, every call ran summarize()).
    from cnnviz.analysis import summary as analysis

    expected = gap.registry_head("googlenet")
    summary = analysis.summary_of("googlenet", None)

    def no_tracing(*args, **kwargs):
        raise AssertionError("registry_head traced the model again")

    monkeypatch.setattr(analysis, "summarize", no_tracing)
    monkeypatch.setattr(analysis, "_cached_summary", no_tracing)
    assert gap.registry_head("googlenet", summary) == expected


def test_googlenet_and_nin_heads():
    googlenet, nin = gap.registry_head("googlenet"), gap.registry_head("nin")
    assert googlenet.uses_gap and googlenet.head_params == 1024 * 1000 + 1000
    assert googlenet.fc_equivalent_params == 7 * 7 * 1024 * 1000 + 1000
    assert nin.uses_gap and nin.head_params == 0


# Output sizes ----------------------------------------------------------------------------------------------

def test_notes_alexnet_sizes():
    conv1 = output_size.formula(227, output_size.Layer("convolution", 11, 4))
    assert conv1.size == 55 and conv1.remainder == 0  # CS231n: "96 55x55"
    assert output_size.formula(55, output_size.Layer("max pooling", 3, 2)).size == 27  # "96 27x27"
    paper = output_size.formula(224, output_size.Layer("convolution", 11, 4))
    assert paper.size == 54 and paper.remainder == 1 and "not whole" in paper.note


def test_formula_equals_pytorch_everywhere():
    checked = 0
    for kind in output_size.KINDS:
        for width, kernel, stride, padding, dilation in itertools.product(
                (1, 2, 5, 8, 13), (1, 2, 3, 5), (1, 2, 3), (0, 1, 2), (1, 2)):
            for ceil in ((False, True) if kind == "max pooling" else (False,)):
                for extra in ((0, 1, 2) if kind == "transposed convolution" else (0,)):
                    layer = output_size.Layer(kind, kernel, stride, padding, dilation, ceil, extra)
                    ours, (theirs, error) = output_size.formula(width, layer), output_size.torch_size(width, layer)
                    assert ours.size == theirs, (layer, width, ours, error)
                    assert (ours.error == "") == (error == "")
                    checked += 1
    assert checked > 2000


def test_pytorch_check_costs_nothing_at_large_sizes():
    # On the CPU these outputs would need 272 MB and 275 GB; on the meta device they are shapes only.
    for width, layer in ((512, output_size.Layer("transposed convolution", 64, 16)),
                         (4096, output_size.Layer("transposed convolution", 64, 64, 0, 16, False, 63)),
                         (4096, output_size.Layer("convolution", 3, 1, 1))):
        assert output_size.torch_size(width, layer) == (output_size.formula(width, layer).size, "")


def test_pytorch_still_refuses_a_too_large_output_padding():
    # Meta tensors skip this check; the small CPU run keeps PyTorch's own refusal.
    for width in (1, 8, 4096):
        size, error = output_size.torch_size(width, output_size.Layer("transposed convolution", 3, 2, 0, 1, False, 2))
        assert size is None and "output padding must be smaller" in error
    # output_padding below the dilation is allowed even with stride 1, and a padding-limited 1-pixel input works.
    assert output_size.torch_size(1, output_size.Layer("transposed convolution", 3, 1, 1, 2, False, 1)) == (4, "")


def test_ceil_mode_dropped_window_is_flagged():
    dropped = output_size.formula(5, output_size.Layer("max pooling", 2, 2, 1, 1, True))
    assert dropped.size == 3 and dropped.dropped  # ceil(5/2) + 1 = 4, less the window starting in the padding
    kept = output_size.formula(112, output_size.Layer("max pooling", 3, 2, 0, 1, True))
    assert kept.size == 56 and not kept.dropped
    assert not output_size.formula(5, output_size.Layer("max pooling", 2, 2, 1)).dropped


def test_refusals_are_messages():
    too_big = output_size.formula(4, output_size.Layer("convolution", 7))
    assert too_big.size is None and "larger than the padded input" in too_big.error
    pad = output_size.formula(8, output_size.Layer("max pooling", 3, 2, 2))
    assert pad.size is None and "half" in pad.error
    assert output_size.torch_size(4, output_size.Layer("convolution", 7))[0] is None
