""""Check yourself" questions on one convolution or pooling layer of a model.

Each question asks for the output size, parameters, MACs, activations, the bytes of the weights in float32 and,
where the notes' one-number recursion describes the layer, the receptive field and jump after it. Answers come
from the formulas the notes teach (``conv_arithmetic``) with the layer's own bias, ceil_mode, dilation, groups
and padding; every answer has its worked solution (the formula with this layer's numbers filled in) and a
diagnosis of the usual slips. ``measure_module`` counts the model's real layer in torch, ``measure`` a layer
built from a question (the "new numbers" variants), so tests and the page show that formula and PyTorch agree.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace

from cnnviz.analysis import conv_arithmetic as arithmetic
from cnnviz.i18n import _

POOLING_TYPES = {"MaxPool2d": False, "AvgPool2d": True}  # layer type -> averages (instead of taking the max)


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
            steps.append(rf"{rounded} + 1 - 1\ \text{{(the last window would start in the padding)}}")
        return dilated + " = ".join(steps) + f" = {self.output_size}"

    def _params_worked(self) -> str:
        if self.pooling:
            return r"\text{pooling learns nothing: } 0"
        per = rf"{self.kernel}\cdot{self.kernel}\cdot{self.in_channels}" + (
            f"/{self.groups}" if self.groups > 1 else "")
        symbol = r"F\cdot F\cdot C/g" if self.groups > 1 else r"F\cdot F\cdot C"
        if self.bias:
            return rf"({symbol} + 1)\cdot K = ({per} + 1)\cdot {self.filters} = {latex_number(self.params)}"
        return rf"{symbol}\cdot K = {per}\cdot {self.filters} = {latex_number(self.params)}\ \text{{(no bias)}}"

    def _macs_worked(self) -> str:
        if self.pooling:
            return (r"\text{pooling multiplies nothing (a max compares, an average adds; the counter counts "
                    r"convolutions and matrix products): } 0")
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
        return (rf"\text{{parameters}}\cdot {size}\ \text{{bytes (float32)}} = {latex_number(self.params)}\cdot {size} = "
                rf"{latex_number(self.weight_bytes)}\ \text{{bytes}}")

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
                   _("Numbers in the output map for one image: what the forward pass stores.")),
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
        """The usual slip that gives ``given`` for answer ``key``, in one sentence, or None if none fits."""
        for slip, explanation in self._slips(key):
            if slip == given:
                return explanation
        return None

    def _groups_ignored(self, key: str) -> list[tuple[int, str]]:
        """The answer a student gets by forgetting that a grouped filter reads only C/g channels."""
        if self.groups == 1:
            return []
        return [(getattr(replace(self, groups=1), key),
                 _("With {groups} groups each filter reads only C/g = {per_group} channels.").format(
                     groups=self.groups, per_group=self.in_channels // self.groups))]

    def _slips(self, key: str) -> list[tuple[int, str]]:
        if key == "output":
            slips = [(replace(self, ceil_mode=not self.ceil_mode).output_size,
                      _("This pooling has ceil_mode=True: PyTorch rounds up, so a last partial window still makes "
                        "an output pixel.") if self.ceil_mode else
                      _("PyTorch rounds down (floor) here: a last partial window makes no output pixel."))]
            if self.padding or self.pad_after:
                slips.append((replace(self, padding=0, padding_after=0).output_size,
                              _("The padding is missing: it adds pixels on both sides before the window slides.")))
            if self.dilation > 1:
                slips.append((replace(self, dilation=1).output_size,
                              _("A dilated kernel spans D(F-1)+1 pixels, not F.")))
            return slips
        if key in ("params", "macs", "weight_bytes") and self.pooling:
            return []
        if key == "params":
            return [(replace(self, bias=not self.bias).params,
                     _("This layer has a bias: add one per filter.") if self.bias else
                     _("This layer has no bias (bias=False), so there is no +1 per filter.")),
                    *self._groups_ignored("params")]
        if key == "macs":
            return [(2 * self.macs, _("That is FLOPs: one MAC is a multiplication and an addition, 2 FLOPs.")),
                    *self._groups_ignored("macs")]
        if key == "weight_bytes":
            return [(self.params, _("That is the number of parameters; each float32 number takes {bytes} "
                                    "bytes.").format(bytes=float32_bytes()))]
        if key == "activations":
            return [(self.output_size ** 2,
                     _("Count every channel: the map has W_out x W_out values per channel."))]
        if key == "field" and self.has_field:
            return [(self.field_in + arithmetic.effective_kernel(self.kernel, self.dilation) - 1,
                     _("Each step of the kernel moves j = {jump} input pixels: multiply (F - 1) by the "
                       "input's jump.").format(jump=self.jump_in))]
        if key == "jump" and self.has_field:
            return [(self.stride, _("The jump multiplies: the input's jump {jump} times the stride.").format(
                jump=self.jump_in))]
        return []


def measure(question: LayerQuestion) -> tuple[int, int, int]:
    """(output size, parameters, MACs) of the layer built in torch from the question, on the meta device."""
    from torch import nn

    if question.pooling:
        if question.average:
            layer = nn.AvgPool2d(question.kernel, question.stride, question.padding, question.ceil_mode)
        else:
            layer = nn.MaxPool2d(question.kernel, question.stride, question.padding, question.dilation,
                                 ceil_mode=question.ceil_mode)
    else:
        layer = nn.Conv2d(question.in_channels, question.filters, question.kernel, question.stride,
                          question.padding, question.dilation, question.groups, bias=question.bias)
    if question.pad_after != question.padding:
        pads = (0, question.pad_after - question.padding) * 2  # the extra right and bottom padding
        layer = nn.Sequential(nn.ZeroPad2d(pads), layer)
    return measure_module(layer, (question.in_channels, question.in_size, question.in_size))


def measure_module(module, input_shape: tuple[int, ...]) -> tuple[int, int, int]:
    """(output size, parameters, MACs) of a torch module on one input of ``input_shape``: a meta forward pass,
    the module's own parameters and PyTorch's FLOP counter."""
    from cnnviz.analysis import counting

    return (counting.output_shape(module, input_shape)[-1], counting.parameters(module),
            counting.macs(module, input_shape))


def new_numbers(question: LayerQuestion, seed: int) -> LayerQuestion:
    """Same kind of layer (convolution or pooling, bias, ceil_mode, the input's field), fresh settings; the
    division is whole unless ceil_mode rounds it (so the answer is a whole number of pixels either way)."""
    rng = random.Random(seed)
    for _attempt in range(1000):
        kernel = rng.choice([1, 3, 5, 7, 11] if not question.pooling else [2, 3])
        stride = rng.choice([1, 2, 4] if kernel > 3 else [1, 2])
        padding = rng.choice([0, kernel // 2])
        in_size = rng.randrange(max(kernel, 8), 232)
        channels = rng.choice([1, 3, 16, 32, 64, 96, 128, 256])
        candidate = replace(question, in_size=in_size, in_channels=channels, kernel=kernel, stride=stride,
                            padding=padding, padding_after=None, groups=1, dilation=1,
                            filters=channels if question.pooling else rng.choice([16, 32, 64, 96, 128, 256, 384]))
        if (candidate.divides_evenly or candidate.ceil_mode) and candidate.output_size >= 1:
            return candidate
    raise RuntimeError("no evenly dividing layer found")  # unreachable in practice: 1x1 stride 1 always divides


def _one(text: str) -> int | None:
    """The single number of a square setting ("3"), or None for a per-axis one ("1x7")."""
    return int(text) if text and "x" not in text else None


def _field_of(row, field, question: LayerQuestion) -> tuple[int | None, int | None]:
    """The input's (field, jump) where the notes' one-number recursion gives this layer's field exactly.

    It does not where joined branches' fields are offset (their union is wider than the widest), after a
    transposed convolution, or per axis; those layers get no field question."""
    if field is None or not field.uniform or len(set(field.rf_hw)) > 1 or len(set(field.jump_hw)) > 1:
        return None, None
    if not float(field.jump_in).is_integer() or field.jump_in <= 0:
        return None, None
    step = arithmetic.receptive_field_step(field.rf_in, field.jump_in, question.kernel, question.stride,
                                           question.dilation)
    if step != (field.rf, field.jump):
        return None, None
    return field.rf_in, int(field.jump_in)


def from_layer(row, field=None) -> LayerQuestion | None:
    """A question about a model's own layer (a LayerRow), or None when it is not a square convolution or
    pooling layer on a square input. ``field``: the layer's LayerRF from the receptive-field recursion."""
    pooling = row.type in POOLING_TYPES
    convolution = row.groups is not None and "Transpose" not in row.type
    if not (pooling or convolution) or len(row.input_shape) != 3 or row.input_shape[1] != row.input_shape[2]:
        return None
    kernel, stride, padding = _one(row.kernel), _one(row.stride), _one(row.padding)
    dilation = _one(row.dilation) or 1
    if None in (kernel, stride, padding):
        return None
    padding_after = None
    if row.pre_padding:
        left, right, top, bottom = row.pre_padding
        if (left, right) != (top, bottom) or padding:
            return None
        padding, padding_after = left, right
    channels, size = row.input_shape[0], row.input_shape[-1]
    question = LayerQuestion(size, channels, channels if pooling else row.output_shape[0], kernel, stride, padding,
                             pooling, row.groups or 1, bias=row.bias, ceil_mode=row.ceil_mode, dilation=dilation,
                             padding_after=padding_after, average=POOLING_TYPES.get(row.type, False))
    field_in, jump_in = _field_of(row, field, question)
    return replace(question, field_in=field_in, jump_in=jump_in)


def questions(summary, fields=()) -> dict[str, LayerQuestion]:
    """Every layer of the inference path that the quiz can ask about, by name, in execution order.
    ``fields``: the model's LayerRFs (``receptive_field.recursion``), for the field and jump questions."""
    by_name = {f.name: f for f in fields}
    return {row.name: q for row in summary.layers if not row.auxiliary and not row.shared
            and (q := from_layer(row, by_name.get(row.name)))}


def default_layer(asked: dict[str, LayerQuestion]) -> str:
    """A layer in the middle of the network, preferring a convolution with a spatial kernel (it has the most to
    work out: a pooling learns nothing and a 1x1 sees no neighbours)."""
    names = list(asked)
    spatial = ([i for i, name in enumerate(names) if asked[name].kernel > 1 and not asked[name].pooling]
               or [i for i, name in enumerate(names) if not asked[name].pooling] or list(range(len(names))))
    middle = (len(names) - 1) / 2
    return names[min(spatial, key=lambda i: (abs(i - middle), i))]


def module_of(summary, name: str):
    """The traced model's own module called ``name`` (for measuring the real layer)."""
    return next(node.module for node in summary.nodes if node.name == name and node.module is not None)
