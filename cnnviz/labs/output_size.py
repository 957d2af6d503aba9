"""Output sizes of convolution, pooling and transposed convolution: the formula, and PyTorch's answer.

    out = floor((W - F_eff + 2P) / S) + 1,   F_eff = D (F - 1) + 1
    (pooling with ceil_mode: ceil instead of floor, but the last window must start inside the input
    or its left padding)
    transposed: out = (W - 1) S - 2P + D (F - 1) + output_padding + 1
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch
from torch import nn

from cnnviz.analysis import conv_arithmetic as arithmetic
from cnnviz.i18n import N_, _

# The kinds' ids (in the link, written with "-" for " ") are their English names: show them with ``_(kind)``.
KINDS = (N_("convolution"), N_("max pooling"), N_("transposed convolution"))


@dataclass(frozen=True)
class Layer:
    kind: str  # one of KINDS
    kernel: int
    stride: int = 1
    padding: int = 0
    dilation: int = 1
    ceil_mode: bool = False  # pooling only
    output_padding: int = 0  # transposed only

    @property
    def effective_kernel(self) -> int:
        return arithmetic.effective_kernel(self.kernel, self.dilation)


@dataclass(frozen=True)
class Answer:
    size: int | None  # None: PyTorch refuses
    error: str = ""  # why PyTorch refuses, in words (in the language of the session that asked)
    numerator: int = 0  # W - F_eff + 2P (or (W - 1) S for transposed)
    remainder: int = 0  # numerator mod S: input pixels no window reaches (floor) or a partial window (ceil)
    note: str = ""
    dropped: bool = False  # ceil_mode pooling: PyTorch dropped ceil's last window (it would start in the padding)


def formula(width: int, layer: Layer) -> Answer:
    """The formula, with PyTorch's rules for what it refuses; ``error`` and ``note`` are in the session's language."""
    f, s, p, d = layer.effective_kernel, layer.stride, layer.padding, layer.dilation
    if width < 1 or layer.kernel < 1 or s < 1 or p < 0 or d < 1:
        return Answer(None, _("sizes, kernel, stride and dilation must be positive and padding not negative"))
    if layer.kind == "transposed convolution":
        if layer.output_padding >= max(s, d):
            return Answer(None, _("output_padding ({output_padding}) must be smaller than the stride ({stride}) "
                                  "or the dilation ({dilation})").format(output_padding=layer.output_padding,
                                                                         stride=s, dilation=d))
        size = arithmetic.transposed_output_size(width, layer.kernel, s, p, d, layer.output_padding)
        if size < 1:
            return Answer(None, _("the padding ({padding} on each side) removes more than the {pixels} pixels "
                                  "the transposed convolution produces").format(padding=p, pixels=size + 2 * p))
        return Answer(size, numerator=(width - 1) * s, note=_("every input pixel spreads a kernel onto the output: "
                                                              "there is no division, so the result is always whole"))
    numerator = arithmetic.padded_span(width, layer.kernel, p, d)
    too_big = Answer(None, _("the effective kernel ({kernel}) is larger than the padded input ({padded})").format(
        kernel=f, padded=width + 2 * p), numerator)
    if layer.kind == "max pooling" and p > layer.kernel // 2:
        return Answer(None, _("PyTorch pads a pooling window by at most half the kernel ({half}); "
                              "padding {padding} would give windows that see only padding").format(
                                  half=layer.kernel // 2, padding=p))
    if numerator < 0 and not (layer.kind == "max pooling" and layer.ceil_mode):
        return too_big
    remainder = numerator % s
    if layer.kind == "max pooling" and layer.ceil_mode:
        size = arithmetic.output_size(width, layer.kernel, s, p, d, ceil_mode=True)
        dropped = arithmetic.ceil_mode_drops_last_window(width, layer.kernel, s, p, d)
        if size < 1:
            return too_big
        if remainder == 0:
            note = _("{numerator} / {stride} is whole: ceil and floor agree").format(numerator=numerator, stride=s)
        elif dropped:
            note = _("{numerator} / {stride} is not whole; ceil would add a window starting in the right padding, "
                     "which PyTorch drops, so the answer equals floor").format(numerator=numerator, stride=s)
        else:
            note = _("{numerator} / {stride} = {quotient} is not whole: ceil_mode keeps a last, partial window "
                     "over the last {remainder} pixel(s)").format(numerator=numerator, stride=s,
                                                                 quotient=f"{numerator / s:.4g}", remainder=remainder)
        return Answer(size, numerator=numerator, remainder=remainder, note=note, dropped=dropped)
    size = arithmetic.output_size(width, layer.kernel, s, p, d)
    if remainder == 0:
        note = _("{numerator} / {stride} = {quotient} is whole: every padded pixel is covered").format(
            numerator=numerator, stride=s, quotient=numerator // s)
    else:
        note = _("{numerator} / {stride} = {quotient} is not whole: PyTorch rounds down, so the last "
                 "{remainder} pixel(s) of the padded input are never under a window").format(
                     numerator=numerator, stride=s, quotient=f"{numerator / s:.4g}", remainder=remainder)
    return Answer(size, numerator=numerator, remainder=remainder, note=note)


def module(layer: Layer) -> nn.Module:
    if layer.kind == "convolution":
        return nn.Conv2d(1, 1, layer.kernel, layer.stride, layer.padding, layer.dilation, bias=False)
    if layer.kind == "max pooling":
        return nn.MaxPool2d(layer.kernel, layer.stride, layer.padding, layer.dilation, ceil_mode=layer.ceil_mode)
    return nn.ConvTranspose2d(1, 1, layer.kernel, layer.stride, layer.padding, layer.output_padding,
                              dilation=layer.dilation, bias=False)


def torch_size(width: int, layer: Layer) -> tuple[int | None, str]:
    """What PyTorch itself returns for a 1 x width x width input: (size, '') or (None, its error).

    The layer runs on the ``meta`` device: same shape checks and errors, no memory, so a 4096-pixel
    transposed convolution costs nothing. Meta tensors skip one check, though: a transposed convolution's
    output_padding must be smaller than its stride or dilation. That check runs first on the CPU, on a
    1-pixel input without padding (its output is then never too small, so only that rule can fail)."""
    try:
        with torch.no_grad():
            if layer.kind == "transposed convolution":
                module(replace(layer, padding=0))(torch.zeros(1, 1, 1, 1))
            out = module(layer).to("meta")(torch.zeros(1, 1, width, width, device="meta"))
    except (RuntimeError, ValueError) as error:
        return None, str(error).splitlines()[0]
    return out.shape[-1], ""
