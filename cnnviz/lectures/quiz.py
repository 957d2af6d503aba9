""""Check yourself" questions on one convolution or pooling layer of a model.

Each question asks for the output size, parameters, MACs, activations, the bytes of the weights in float32 and,
where the notes' one-number recursion describes the layer, the receptive field and jump after it. Answers come
from the formulas the notes teach (``conv_arithmetic``) with the layer's own bias, ceil_mode, dilation, groups
and padding; every answer has its worked solution (the formula with this layer's numbers filled in) and a
diagnosis of the usual slips. Where questions come from (a model's layer, fresh numbers) and how torch counts the
same layer, so that tests and the page show that formula and PyTorch agree: ``quiz_layers``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from cnnviz.analysis import conv_arithmetic as arithmetic
from cnnviz.format import latex_text
from cnnviz.i18n import N_, _

def float32_bytes() -> int:
    import torch

    return torch.finfo(torch.float32).bits // 8


def latex_number(value: float) -> str:
    """A number for LaTeX: thousands separators that KaTeX does not space out."""
    text = f"{int(value):,}" if float(value).is_integer() else f"{value:,.4g}"
    return text.replace(",", "{,}")


@dataclass(frozen=True)
class Answer:
    key: str
    label: str
    value: int
    worked: str  # LaTeX: the formula, then this layer's numbers in it, then the result
    help: str  # what the number is, for the input's tooltip


@dataclass(frozen=True)
class LayerQuestion:
    in_size: int  # W (square input)
    in_channels: int  # C
    filters: int  # K (for pooling: equal to C)
    kernel: int  # F
    stride: int  # S
    padding: int  # P (left and top)
    pooling: bool = False
    groups: int = 1
    bias: bool = True
    ceil_mode: bool = False  # pooling only: round the size up
    dilation: int = 1
    padding_after: int | None = None  # right and bottom padding where it differs from ``padding`` (TF "same")
    average: bool = False  # average pooling (else max pooling)
    field_in: int | None = None  # l_{k-1}: receptive field of this layer's input, in input pixels
    jump_in: int | None = None  # j_{k-1}: input pixels between neighbouring units of this layer's input

    @property
    def pad_after(self) -> int:
        return self.padding if self.padding_after is None else self.padding_after

    @property
    def _width(self) -> int:
        # Extra padding on the right only is the same as a wider input with the left padding on both sides.
        return self.in_size + self.pad_after - self.padding

    @property
    def output_size(self) -> int:
        return arithmetic.output_size(self._width, self.kernel, self.stride, self.padding, self.dilation,
                                      self.ceil_mode)

    @property
    def divides_evenly(self) -> bool:
        return arithmetic.divides_evenly(self._width, self.kernel, self.stride, self.padding, self.dilation)

    @property
    def weights_per_filter(self) -> int:
        return arithmetic.weights_per_filter(self.kernel, self.in_channels, self.groups)

    @property
    def params(self) -> int:
        return 0 if self.pooling else arithmetic.params(self.kernel, self.in_channels, self.filters, self.groups,
                                                        bias=self.bias)

    @property
    def macs(self) -> int:
        size = self.output_size
        return 0 if self.pooling else arithmetic.macs(size, size, self.filters, self.kernel, self.in_channels,
                                                      self.groups)

    @property
    def activations(self) -> int:
        return self.output_size ** 2 * self.filters

    @property
    def weight_bytes(self) -> int:
        return self.params * float32_bytes()

    @property
    def has_field(self) -> bool:
        return self.field_in is not None and self.jump_in is not None

    @property
    def field_and_jump(self) -> tuple[int, int]:
        field, jump = arithmetic.receptive_field_step(self.field_in, self.jump_in, self.kernel, self.stride,
                                                      self.dilation)
        return int(field), int(jump)

    def describe(self) -> str:
        """The layer in plain words (each sentence stands alone, for translation)."""
        numbers = dict(kernel=self.kernel, stride=self.stride, padding=self.padding, after=self.pad_after,
                       filters=self.filters)
        symmetric = self.pad_after == self.padding
        if self.pooling and self.average:
            layer = (_("Layer: {kernel}x{kernel} average pooling, stride {stride}, padding {padding}.") if symmetric
                     else _("Layer: {kernel}x{kernel} average pooling, stride {stride}, padding {padding} on the "
                            "left and top and {after} on the right and bottom."))
        elif self.pooling:
            layer = (_("Layer: {kernel}x{kernel} max pooling, stride {stride}, padding {padding}.") if symmetric
                     else _("Layer: {kernel}x{kernel} max pooling, stride {stride}, padding {padding} on the left "
                            "and top and {after} on the right and bottom."))
        else:
            layer = (_("Layer: {filters} filters of {kernel}x{kernel}, stride {stride}, padding {padding}.")
                     if symmetric else
                     _("Layer: {filters} filters of {kernel}x{kernel}, stride {stride}, padding {padding} on the "
                       "left and top and {after} on the right and bottom."))
        sentences = [_("Input: {size}x{size}x{channels} (width x height x channels).").format(
                         size=self.in_size, channels=self.in_channels),
                     layer.format(**numbers)]
        if self.groups > 1:
            sentences.append(_("Groups: {groups} (each filter reads {per_group} of the {channels} input "
                               "channels).").format(groups=self.groups, per_group=self.in_channels // self.groups,
                                                    channels=self.in_channels))
        if self.dilation > 1:
            sentences.append(_("Dilation: {dilation} (the kernel's taps are {dilation} pixels apart).").format(
                dilation=self.dilation))
        if self.pooling and self.ceil_mode:
            sentences.append(_("ceil_mode=True: the output size is rounded up, not down."))
        if not self.pooling:
            sentences.append(_("Bias: one per filter.") if self.bias else
                             _("Bias: none (bias=False)."))
        if self.has_field:
            sentences.append(_("The input's receptive field: l = {field}, jump j = {jump} (in input pixels).").format(
                field=self.field_in, jump=self.jump_in))
        # A space between sentences, none after a full-width stop (Chinese writes sentences without one).
        return "".join(s if s.endswith(("。", "！", "？")) else s + " " for s in sentences).rstrip()

    # --- worked solutions -------------------------------------------------------------------------------------

    def _size_worked(self) -> str:
        f_eff = arithmetic.effective_kernel(self.kernel, self.dilation)
        dilated = ""
        kernel = "F"
        if self.dilation > 1:
            kernel = r"F_{eff}"
            dilated = rf"F_{{eff}} = D(F-1)+1 = {self.dilation}\cdot({self.kernel}-1)+1 = {f_eff};\quad "
        if self.pad_after == self.padding:
            pad, pad_numbers = "2P", rf"2\cdot {self.padding}"
        else:
            pad, pad_numbers = "P_l + P_r", f"{self.padding} + {self.pad_after}"
        span = self.in_size - f_eff + self.padding + self.pad_after
        left, right = (r"\left\lceil", r"\right\rceil") if self.ceil_mode else (r"\left\lfloor", r"\right\rfloor")
        rounded = -(-span // self.stride) if self.ceil_mode else span // self.stride
        steps = [rf"{left} \frac{{W - {kernel} + {pad}}}{{S}} {right} + 1",
                 rf"{left} \frac{{{self.in_size} - {f_eff} + {pad_numbers}}}{{{self.stride}}} {right} + 1",
                 rf"{left} {latex_number(span / self.stride)} {right} + 1"]
        if rounded + 1 != self.output_size:  # PyTorch drops a last window that would start in the padding
            steps.append(rf"{rounded} + 1 - 1\ " + latex_text(_("(the last window would start in the padding)")))
        return dilated + " = ".join(steps) + f" = {self.output_size}"

    def _params_worked(self) -> str:
        if self.pooling:
            return latex_text(_("pooling learns nothing:")) + r"\ 0"
        per = rf"{self.kernel}\cdot{self.kernel}\cdot{self.in_channels}" + (
            f"/{self.groups}" if self.groups > 1 else "")
        symbol = r"F\cdot F\cdot C/g" if self.groups > 1 else r"F\cdot F\cdot C"
        if self.bias:
            return rf"({symbol} + 1)\cdot K = ({per} + 1)\cdot {self.filters} = {latex_number(self.params)}"
        return (rf"{symbol}\cdot K = {per}\cdot {self.filters} = {latex_number(self.params)}\ "
                + latex_text(_("(no bias)")))

    def _macs_worked(self) -> str:
        if self.pooling:
            return latex_text(_("pooling multiplies nothing (a max compares, an average adds; the counter counts "
                                "convolutions and matrix products):")) + r"\ 0"
        per = rf"{self.kernel}\cdot{self.kernel}\cdot{self.in_channels}" + (
            f"/{self.groups}" if self.groups > 1 else "")
        symbol = r"F\cdot F\cdot C/g" if self.groups > 1 else r"F\cdot F\cdot C"
        return (rf"W_{{out}}^2\cdot K\cdot {symbol} = {self.output_size}^2\cdot {self.filters}\cdot {per} = "
                rf"{latex_number(self.macs)}")

    def _activations_worked(self) -> str:
        channels = "C" if self.pooling else "K"
        return (rf"W_{{out}}^2\cdot {channels} = {self.output_size}^2\cdot {self.filters} = "
                rf"{latex_number(self.activations)}")

    def _bytes_worked(self) -> str:
        size = float32_bytes()
        return (latex_text(_("parameters")) + rf"\cdot {size}\ " + latex_text(_("bytes (float32)"))
                + rf" = {latex_number(self.params)}\cdot {size} = {latex_number(self.weight_bytes)}\ "
                + latex_text(_("bytes")))

    def _field_worked(self) -> str:
        f_eff = arithmetic.effective_kernel(self.kernel, self.dilation)
        kernel = "F_{eff}" if self.dilation > 1 else "F"
        return (rf"l_k = l_{{k-1}} + ({kernel} - 1)\cdot j_{{k-1}} = {self.field_in} + ({f_eff} - 1)\cdot "
                rf"{self.jump_in} = {self.field_and_jump[0]}")

    def _jump_worked(self) -> str:
        return rf"j_k = j_{{k-1}}\cdot S = {self.jump_in}\cdot {self.stride} = {self.field_and_jump[1]}"

    def answers(self) -> list[Answer]:
        """Every question about this layer, its answer and its worked solution, in the order to ask them."""
        answers = [
            Answer("output", _("Output width"), self.output_size, self._size_worked(),
                   _("Pixels per side of the output map.")),
            Answer("params", _("Parameters"), self.params, self._params_worked(),
                   _("Learned numbers: weights, plus one bias per filter if the layer has biases.")),
            Answer("macs", _("MACs"), self.macs, self._macs_worked(),
                   _("Multiply-accumulates for one image: one multiplication and one addition each (2 FLOPs).")),
            Answer("activations", _("Activations"), self.activations, self._activations_worked(),
                   _("Numbers in the output map for one image: what training keeps for the backward pass.")),
            Answer("weight_bytes", _("Weight bytes (float32)"), self.weight_bytes, self._bytes_worked(),
                   _("Memory of the parameters stored as 32-bit floats.")),
        ]
        if self.has_field:
            field, jump = self.field_and_jump
            answers += [
                Answer("field", _("Receptive field after"), field, self._field_worked(),
                       _("Input pixels (per side) that one output unit sees.")),
                Answer("jump", _("Jump after"), jump, self._jump_worked(),
                       _("Input pixels between neighbouring output units (the product of the strides so far).")),
            ]
        return answers

    def worked(self) -> dict[str, str]:
        """LaTeX of each answer's worked solution, by answer key."""
        return {answer.key: answer.worked for answer in self.answers()}

    def why_wrong(self, key: str, given: int) -> str | None:
        """The usual slip that gives ``given`` for answer ``key``, in one sentence, or None if none fits. Where
        several slips give the same number (2 groups forgotten is also 2x the MACs, as FLOPs), each is said."""
        fitting = list(dict.fromkeys(explanation for value, _name, explanation in self._slips(key) if value == given))
        if len(fitting) < 2:
            return fitting[0] if fitting else None
        # A space between sentences, none after a full-width stop (Chinese writes sentences without one).
        either = "".join(s if s.endswith(("。", "！", "？")) else s + " " for s in fitting).rstrip()
        return _("Either slip gives this number. {slips}").format(slips=either)

    def slip(self, key: str, given: int) -> tuple[str, str] | None:
        """(the slip's name in ``SLIPS``, its explanation) of the usual slip that gives ``given`` for answer
        ``key``, or None if none fits."""
        for value, name, explanation in self._slips(key):
            if value == given:
                return name, explanation
        return None

    def _groups_ignored(self, key: str) -> list[tuple[int, str, str]]:
        """The answer a student gets by forgetting that a grouped filter reads only C/g channels."""
        if self.groups == 1:
            return []
        return [(getattr(replace(self, groups=1), key), "groups",
                 _("With {groups} groups each filter reads only C/g = {per_group} channels.").format(
                     groups=self.groups, per_group=self.in_channels // self.groups))]

    def _slips(self, key: str) -> list[tuple[int, str, str]]:
        if key == "output":
            slips = [(replace(self, ceil_mode=not self.ceil_mode).output_size, "rounding",
                      _("This pooling has ceil_mode=True: PyTorch rounds up, so a last partial window still makes "
                        "an output pixel.") if self.ceil_mode else
                      _("PyTorch rounds down (floor) here: a last partial window makes no output pixel."))]
            if self.padding or self.pad_after:
                slips.append((replace(self, padding=0, padding_after=0).output_size, "padding",
                              _("The padding is missing: it adds pixels on both sides before the window slides.")))
            if self.dilation > 1:
                slips.append((replace(self, dilation=1).output_size, "dilation",
                              _("A dilated kernel spans D(F-1)+1 pixels, not F.")))
            return slips
        if key in ("params", "macs", "weight_bytes") and self.pooling:
            return []
        if key == "params":
            return [(replace(self, bias=not self.bias).params, "bias_missing" if self.bias else "bias_counted",
                     _("This layer has a bias: add one per filter.") if self.bias else
                     _("This layer has no bias (bias=False), so there is no +1 per filter.")),
                    *self._groups_ignored("params")]
        if key == "macs":
            return [(2 * self.macs, "flops",
                     _("That is FLOPs: one MAC is a multiplication and an addition, 2 FLOPs.")),
                    *self._groups_ignored("macs")]
        if key == "weight_bytes":
            return [(self.params, "bytes", _("That is the number of parameters; each float32 number takes {bytes} "
                                             "bytes.").format(bytes=float32_bytes()))]
        if key == "activations":
            return [(self.output_size ** 2, "channels",
                     _("Count every channel: the map has W_out x W_out values per channel."))]
        if key == "field" and self.has_field:
            return [(self.field_in + arithmetic.effective_kernel(self.kernel, self.dilation) - 1, "jump_missing",
                     _("Each step of the kernel moves j = {jump} input pixels: multiply (F - 1) by the "
                       "input's jump.").format(jump=self.jump_in))]
        if key == "jump" and self.has_field:
            return [(self.stride, "jump_added", _("The jump multiplies: the input's jump {jump} times the "
                                                  "stride.").format(jump=self.jump_in))]
        return []


# The usual slips by name, as a few words for a count ("14 forgot the padding"): a projector groups a room's wrong
# answers by them. Shown as ``_(SLIPS[name])``.
SLIPS = {
    "rounding": N_("rounded the wrong way"),
    "padding": N_("forgot the padding"),
    "dilation": N_("ignored the dilation"),
    "bias_missing": N_("forgot the bias"),
    "bias_counted": N_("counted the bias"),
    "groups": N_("ignored the groups"),
    "flops": N_("gave FLOPs for MACs"),
    "bytes": N_("gave parameters for bytes"),
    "channels": N_("forgot the channels"),
    "jump_missing": N_("forgot the jump"),
    "jump_added": N_("took the stride for the jump"),
}
