"""Convolution and pooling arithmetic as the notes teach it, in one place: output sizes, weights, MACs, fields.

Square kernels and maps (the notes' W, F, S, P, D). Pure integer functions, no torch: the labs, the quiz and
the notes' checks use these, and tests compare them with PyTorch's own layers and FLOP counter.

    F_eff = D (F - 1) + 1
    out   = floor((W - F_eff + 2P) / S) + 1                       (ceil for pooling with ceil_mode)
    out_T = (W - 1) S - 2P + D (F - 1) + output_padding + 1       (transposed convolution)
    weights per filter = F F C_in / groups,  params = filters * that (+ filters biases)
    MACs  = out_h out_w filters * (weights per filter)
    l_k   = l_{k-1} + (f_k - 1) j_{k-1},  j_k = j_{k-1} s_k       (receptive field and jump)
"""

from __future__ import annotations


def effective_kernel(kernel: int, dilation: int = 1) -> int:
    """F_eff = D (F - 1) + 1: the pixels a dilated kernel spans."""
    return dilation * (kernel - 1) + 1


def padded_span(width: int, kernel: int, padding: int = 0, dilation: int = 1) -> int:
    """W - F_eff + 2P: how far the window slides across the padded input (the formula's numerator)."""
    return width - effective_kernel(kernel, dilation) + 2 * padding


def divides_evenly(width: int, kernel: int, stride: int = 1, padding: int = 0, dilation: int = 1) -> bool:
    """Whether the last window ends exactly on the last padded pixel: (W - F_eff + 2P) mod S = 0."""
    return padded_span(width, kernel, padding, dilation) % stride == 0


def _ceil_div(numerator: int, denominator: int) -> int:
    # Integer ceil: math.ceil(a / b) goes through a float and is wrong for very large integers.
    return -(-numerator // denominator)


def ceil_mode_drops_last_window(width: int, kernel: int, stride: int = 1, padding: int = 0,
                                dilation: int = 1) -> bool:
    """PyTorch's ceil_mode rule: rounding up adds a last window, unless that window would start in the right
    padding (at or past input + left padding); then PyTorch drops it."""
    extra_windows = _ceil_div(padded_span(width, kernel, padding, dilation), stride)
    return extra_windows * stride >= width + padding


def output_size(width: int, kernel: int, stride: int = 1, padding: int = 0, dilation: int = 1,
                ceil_mode: bool = False) -> int:
    """Output pixels per side of a convolution or pooling layer, as PyTorch computes them.

    ``ceil_mode`` (pooling only in PyTorch) rounds up instead of down, less a last window that would start in the
    right padding. A result below 1 means there is no output: PyTorch refuses such a layer."""
    span = padded_span(width, kernel, padding, dilation)
    if not ceil_mode:
        return span // stride + 1  # Python's // floors, as PyTorch's div_rtn does for a negative span
    size = _ceil_div(span, stride) + 1
    return size - ceil_mode_drops_last_window(width, kernel, stride, padding, dilation)


def exact_input_size(output: int, kernel: int, stride: int = 1, padding: int = 0, dilation: int = 1) -> int:
    """The input that gives ``output`` pixels with the division whole (no pixel left over): the output-size
    formula solved for W, (out - 1) S + F_eff - 2P."""
    return (output - 1) * stride + effective_kernel(kernel, dilation) - 2 * padding


def transposed_output_size(width: int, kernel: int, stride: int = 1, padding: int = 0, dilation: int = 1,
                           output_padding: int = 0) -> int:
    """(W - 1) S - 2P + D (F - 1) + output_padding + 1: every input pixel spreads a kernel onto the output.
    A result below 1 means the padding removes everything: PyTorch refuses."""
    return (width - 1) * stride - 2 * padding + dilation * (kernel - 1) + output_padding + 1


def weights_per_filter(kernel: int, in_channels: int, groups: int = 1) -> int:
    """F F C_in / groups: one filter reads its group's channels only."""
    if in_channels % groups:
        raise ValueError(f"in_channels ({in_channels}) must be divisible by groups ({groups}), as PyTorch requires")
    return kernel * kernel * (in_channels // groups)


def params(kernel: int, in_channels: int, filters: int, groups: int = 1, bias: bool = True) -> int:
    """Learned numbers of a convolution with ``filters`` output channels; ``bias``: whether the layer has one
    bias per filter. A transposed convolution has the same count (its weight tensor is the transpose).
    A fully connected layer is the case kernel = 1 (in_channels inputs, filters outputs)."""
    return filters * weights_per_filter(kernel, in_channels, groups) + (filters if bias else 0)


def macs(out_height: int, out_width: int, filters: int, kernel: int, in_channels: int, groups: int = 1) -> int:
    """Multiply-accumulates of one image: every output value is one filter applied once. Bias additions are
    not counted (PyTorch's FLOP counter leaves them out too)."""
    return out_height * out_width * filters * weights_per_filter(kernel, in_channels, groups)


def transposed_macs(in_height: int, in_width: int, in_channels: int, filters: int, kernel: int,
                    groups: int = 1) -> int:
    """A transposed convolution multiplies every input value by the kernels of its group's outputs:
    in_h in_w C_in F F filters / groups (PyTorch's FLOP counter counts it the same way)."""
    if filters % groups:
        raise ValueError(f"out_channels ({filters}) must be divisible by groups ({groups}), as PyTorch requires")
    return in_height * in_width * in_channels * kernel * kernel * (filters // groups)


def receptive_field_step(field: float, jump: float, kernel: int, stride: int = 1,
                         dilation: int = 1) -> tuple[float, float]:
    """One layer of the notes' recursion: (l_k, j_k) from (l_{k-1}, j_{k-1}).

    l_k = l_{k-1} + (f_k - 1) j_{k-1} and j_k = j_{k-1} s_k, with a dilated kernel counted as f = F_eff."""
    return field + (effective_kernel(kernel, dilation) - 1) * jump, jump * stride


def receptive_fields(kernels: list[int], strides: list[int] | None = None) -> list[int]:
    """The field after each layer of a chain, starting from one pixel (l_0 = 1, j_0 = 1)."""
    field, jump, fields = 1, 1, []
    for kernel, stride in zip(kernels, strides or [1] * len(kernels), strict=True):
        field, jump = receptive_field_step(field, jump, kernel, stride)
        fields.append(field)
    return fields
