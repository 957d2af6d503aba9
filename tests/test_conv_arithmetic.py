"""The shared convolution arithmetic against PyTorch's layers (meta device, FLOP counter) and the notes' numbers."""

import itertools

import pytest
from torch import nn

from cnnviz.analysis import conv_arithmetic as arithmetic
from cnnviz.analysis import counting

WIDTHS = (1, 2, 5, 8, 13)


def _torch_size(layer: nn.Module, width: int, channels: int) -> int | None:
    """PyTorch's output side for a channels x width x width input, or None where it refuses."""
    try:
        return counting.output_shape(layer, (channels, width, width))[-1]
    except (RuntimeError, ValueError):
        return None


def _or_none(size: int) -> int | None:
    return size if size >= 1 else None


def test_convolution_sizes_params_and_macs_equal_torch():
    checked = 0
    for kernel, stride, padding, dilation, groups, bias in itertools.product(
            (1, 2, 3, 5), (1, 2, 3), (0, 1, 2), (1, 2), (1, 2, 4), (True, False)):
        c_in, filters = 4, 8
        conv = nn.Conv2d(c_in, filters, kernel, stride, padding, dilation, groups, bias, device="meta")
        assert arithmetic.params(kernel, c_in, filters, groups, bias) == counting.parameters(conv)
        assert arithmetic.weights_per_filter(kernel, c_in, groups) == conv.weight[0].numel()
        for width in WIDTHS:
            ours = arithmetic.output_size(width, kernel, stride, padding, dilation)
            theirs = _torch_size(conv, width, c_in)
            assert _or_none(ours) == theirs, (kernel, stride, padding, dilation, width)
            if theirs is not None:
                assert arithmetic.macs(ours, ours, filters, kernel, c_in, groups) == \
                    counting.macs(conv, (c_in, width, width))
                checked += 1
    assert checked > 800


def test_pooling_sizes_with_and_without_ceil_mode_equal_torch():
    dropped = 0
    for kernel, stride, dilation, ceil_mode, width in itertools.product(
            (1, 2, 3, 5), (1, 2, 3), (1, 2), (False, True), WIDTHS):
        for padding in range(kernel // 2 + 1):  # PyTorch pads a pooling window by at most half its kernel
            pool = nn.MaxPool2d(kernel, stride, padding, dilation, ceil_mode=ceil_mode)
            ours = arithmetic.output_size(width, kernel, stride, padding, dilation, ceil_mode)
            assert _or_none(ours) == _torch_size(pool, width, 1), (kernel, stride, padding, dilation, ceil_mode, width)
            dropped += ceil_mode and arithmetic.ceil_mode_drops_last_window(width, kernel, stride, padding, dilation)
    assert dropped > 10  # the grid reaches PyTorch's rule for a last window starting in the right padding


def test_ceil_mode_drops_a_window_starting_in_the_padding():
    # 5 pixels, 2x2 windows at stride 2, padding 1: ceil(5/2) + 1 = 4 windows, the 4th would start at the
    # right padding (padded position 6 = 5 + 1), so PyTorch keeps 3.
    assert arithmetic.ceil_mode_drops_last_window(5, 2, 2, 1)
    assert arithmetic.output_size(5, 2, 2, 1, ceil_mode=True) == 3
    assert _torch_size(nn.MaxPool2d(2, 2, 1, ceil_mode=True), 5, 1) == 3
    assert arithmetic.output_size(112, 3, 2, ceil_mode=True) == 56  # GoogLeNet's pool: a partial window kept
    assert arithmetic.output_size(112, 3, 2) == 55


def test_transposed_convolution_equals_torch():
    checked = 0
    for kernel, stride, padding, dilation, groups, bias in itertools.product(
            (1, 2, 3, 4), (1, 2, 3), (0, 1, 2), (1, 2), (1, 2), (True, False)):
        for output_padding in range(max(stride, dilation)):  # PyTorch: smaller than the stride or the dilation
            c_in, filters = 4, 6
            layer = nn.ConvTranspose2d(c_in, filters, kernel, stride, padding, output_padding, groups, bias,
                                       dilation, device="meta")
            assert arithmetic.params(kernel, c_in, filters, groups, bias) == counting.parameters(layer)
            for width in WIDTHS:
                ours = arithmetic.transposed_output_size(width, kernel, stride, padding, dilation, output_padding)
                theirs = _torch_size(layer, width, c_in)
                assert _or_none(ours) == theirs, (kernel, stride, padding, dilation, output_padding, width)
                if theirs is not None:
                    assert arithmetic.transposed_macs(width, width, c_in, filters, kernel, groups) == \
                        counting.macs(layer, (c_in, width, width))
                    checked += 1
    assert checked > 400


def test_a_fully_connected_layer_is_the_kernel_1_case():
    for inputs, outputs, bias in ((25_088, 4096, True), (512, 1000, False), (1, 1, True)):
        layer = nn.Linear(inputs, outputs, bias, device="meta")
        assert arithmetic.params(1, inputs, outputs, bias=bias) == counting.parameters(layer)
        assert arithmetic.macs(1, 1, outputs, 1, inputs) == counting.macs(layer, (inputs,))


def test_groups_must_divide_the_channels_as_in_torch():
    with pytest.raises(ValueError):
        nn.Conv2d(6, 8, 3, groups=4)
    with pytest.raises(ValueError, match="divisible"):
        arithmetic.weights_per_filter(3, 6, groups=4)
    with pytest.raises(ValueError, match="divisible"):
        arithmetic.transposed_macs(4, 4, 8, 6, 3, groups=4)


def test_alexnet_conv1_as_in_the_notes():
    # 227 input, 96 filters of 11x11x3 at stride 4: 55x55x96, 34,944 parameters, 105,415,200 MACs.
    side = arithmetic.output_size(227, 11, 4)
    assert side == 55 and arithmetic.divides_evenly(227, 11, 4)
    assert arithmetic.weights_per_filter(11, 3) == 363
    assert arithmetic.params(11, 3, 96) == 34_944
    assert arithmetic.params(11, 3, 96, bias=False) == 34_848  # the notes' 11*11*3*96 forgets the biases
    assert arithmetic.macs(side, side, 96, 11, 3) == 105_415_200
    conv1 = nn.Conv2d(3, 96, 11, 4, device="meta")
    assert counting.macs(conv1, (3, 227, 227)) == 105_415_200 and counting.parameters(conv1) == 34_944
    # The paper's 224 does not divide: (224 - 11) / 4 = 53.25, floored to 54 outputs.
    assert not arithmetic.divides_evenly(224, 11, 4) and arithmetic.output_size(224, 11, 4) == 54
    assert arithmetic.exact_input_size(55, 11, 4) == 227


@pytest.mark.parametrize("output, kernel, stride, padding, dilation",
                         [(55, 11, 4, 0, 1), (1, 7, 3, 2, 1), (28, 3, 2, 1, 2), (10, 1, 1, 0, 1)])
def test_exact_input_size_inverts_the_formula(output, kernel, stride, padding, dilation):
    width = arithmetic.exact_input_size(output, kernel, stride, padding, dilation)
    assert arithmetic.output_size(width, kernel, stride, padding, dilation) == output
    assert arithmetic.divides_evenly(width, kernel, stride, padding, dilation)
    assert arithmetic.output_size(width - 1, kernel, stride, padding, dilation) == output - 1


def test_receptive_field_recursion_matches_back_propagation():
    from cnnviz.analysis.receptive_field.measure import measure_module

    # conv 3/1, conv 3/2, dilated conv 3/1 (F_eff 5), max-pool 2/2, conv 3/1
    layers = [(3, 1, 1), (3, 2, 1), (3, 1, 2), (2, 2, 1), (3, 1, 1)]
    field, jump, fields = 1, 1, []
    for kernel, stride, dilation in layers:
        field, jump = arithmetic.receptive_field_step(field, jump, kernel, stride, dilation)
        fields.append(field)
    # By hand: l = 1 + 2·1 = 3, + 2·1 = 5 (jump 2), + (5 - 1)·2 = 13, + 1·2 = 15 (jump 4), + 2·4 = 23.
    assert fields == [3, 5, 13, 15, 23] and jump == 4
    modules = [nn.Conv2d(1, 1, 3), nn.Conv2d(1, 1, 3, 2), nn.Conv2d(1, 1, 3, dilation=2), nn.MaxPool2d(2, 2),
               nn.Conv2d(1, 1, 3)]
    model = nn.Sequential(*modules).to("meta")
    assert measure_module(model, [(1, 64, 64)], None).rf == fields[-1]
    assert arithmetic.receptive_fields([3, 3, 3]) == [3, 5, 7]  # the notes: 3 + 3 - 1 = 5, then 7
    assert arithmetic.receptive_fields([11, 3, 5], [4, 2, 1]) == [11, 19, 51]  # AlexNet: conv1, pool1, conv2
