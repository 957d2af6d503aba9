"""Numbers from the lecture notes, each recomputed from a live model: the "what the notes got wrong" callouts.

A claim is right when our computation matches it to the precision the notes wrote it with.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Callable

from cnnviz.analysis import conv_arithmetic as arithmetic
from cnnviz.format import megabytes
from cnnviz.i18n import N_, _
from cnnviz.lectures import course_notes

NOTES = {"001": N_("course notes (English/Chinese)"), "002": N_("CS231n lecture 9 summary (Korean)"),
         "003": N_("case-study notes (Chinese)"), "004": N_("university slides (Chinese)")}


def source(notes: str) -> str:
    """"001 (course notes (English/Chinese))", in the session's language."""
    return _("{number} ({description})").format(number=notes, description=_(NOTES[notes]))


@dataclass(frozen=True)
class Claim:
    key: str
    arch: str  # the architecture page that shows it
    notes: str  # which file of cnnviz/lectures/notes: "001".."004"
    quote: str  # what the notes say, as written (an English quote is marked N_: its own msgid)
    claimed: float
    compute: Callable[[], float]
    amount: str  # a msgid that says the number with its unit, "{number} MACs": one phrase each language words whole
    tolerance: float  # relative: how precisely the notes wrote the number
    why: str  # what the notes got wrong (a msgid), with {computed} and {extras} fields filled in from computation
    extras: Callable[[], dict] = dict
    english: str = ""  # the quote's English translation (a msgid) when the quote is not in English

    @functools.cached_property
    def computed(self) -> float:
        return self.compute()

    @property
    def explanation(self) -> str:
        """In the session's language."""
        return _(self.why).format(computed=self.computed, **self.extras())

    @property
    def translation(self) -> str | None:
        """The quote's translation into the session's language; None when the session reads the quote's own."""
        return course_notes.translation(self.quote, self.english or None)

    def record(self) -> dict:
        """What a page shows of the claim, in the session's language: the quote as written and its translation
        (``translation``: None when none is due). Also the English msgids and the numbers (``file``, ``source``,
        ``why``, ``values``, ``english``, the keys of ``ui.cached``'s language-free records)."""
        values = {"computed": self.computed, **self.extras()}
        return {"notes": source(self.notes), "quote": self.quote, "translation": self.translation,
                "claimed": self.claimed, "computed": self.computed, "amount": self.amount, "correct": self.correct,
                "explanation": _(self.why).format(**values), "file": self.notes, "source": NOTES[self.notes],
                "why": self.why, "values": values, "english": self.english}

    @property
    def correct(self) -> bool:
        return math.isclose(self.claimed, self.computed, rel_tol=self.tolerance)


def _summary(model: str, input_size: int | None = None):
    from cnnviz.analysis.summary import summary_of

    return summary_of(model, input_size)


def _params(model: str) -> int:
    return _summary(model).total_params


def _forward_activations(model: str) -> int:
    """CS231n's memory count is the page's activations total (``summary.ACTIVATIONS_DEFINITION``)."""
    return _summary(model).total_activations


def _first_conv(model: str):
    return next(r for r in _summary(model).layers if r.type == "Conv2d")


def _first_pool(model: str):
    return next(r for r in _summary(model).layers if r.type == "MaxPool2d")


def _conv_macs(c_in: int, c_out: int, k: int, size: int) -> int:
    from cnnviz.lectures.quiz import LayerQuestion
    from cnnviz.lectures.quiz_layers import measure

    return measure(LayerQuestion(size, c_in, c_out, k, 1, k // 2))[2]


def _conv_params(c_in: int, c_out: int, k: int) -> int:
    from cnnviz.lectures.quiz import LayerQuestion
    from cnnviz.lectures.quiz_layers import measure

    return measure(LayerQuestion(8, c_in, c_out, k, 1, k // 2))[1]


MIB = N_("{number} MiB")
CLAIMS: tuple[Claim, ...] = (
    Claim("alexnet-kernel", "alexnet", "001", N_("AlexNet 1998, first CNN. conv filter 5*5, stride 1 … "
                                                "architecture: conv-pool-conv-pool-fc-fc"),
          5, lambda: int(_first_conv("alexnet_paper").kernel), N_("a {number} px kernel"), 0,
          N_("That paragraph describes LeNet-5 (1998, 5x5 filters at stride 1). AlexNet (2012) opens with "
             "{computed:.0f}x{computed:.0f} filters at stride {stride}."),
          lambda: {"stride": _first_conv("alexnet_paper").stride}),
    Claim("alexnet-memory", "alexnet", "001", N_("Number of parameters / 4 bytes per parameter / 294 MiB"), 294,
          lambda: megabytes(_params("alexnet_paper")), MIB, 0.01,
          N_("4 bytes × the paper model's parameters is {computed:.1f} MiB (torchvision's AlexNet: {tv:.1f} MiB)."),
          lambda: {"tv": megabytes(_params("alexnet"))}),
    Claim("alexnet-conv1-params", "alexnet", "003", "这一层有多少个参数？就是11*11*3*96个", 11 * 11 * 3 * 96,
          lambda: _first_conv("alexnet_paper").params, N_("{number} parameters"), 0,
          N_("11·11·3·96 counts the weights only; each of the 96 filters also has a bias: {computed:,.0f}."),
          english=N_("How many parameters does this layer have? Just 11*11*3*96.")),
    Claim("alexnet-conv1-params-35k", "alexnet", "002", N_("total number of parameters? / (11x11x3)x96 = 35K"),
          35_000, lambda: _first_conv("alexnet_paper").params, N_("{number} parameters"), 0.02,
          N_("Rounded to thousands.")),
    Claim("alexnet-pool-params", "alexnet", "002", "CONV/FC는 parameter가 있고 RELU/POOL 등은 parameter가 없음", 0,
          lambda: _first_pool("alexnet_paper").params, N_("{number} parameters in a pooling layer"), 0,
          N_("Right: the paper model's first max pooling has {computed:.0f} parameters; a pooling layer only "
             "compares or averages what it sees."),
          english=N_("CONV/FC have parameters; RELU/POOL and the like have none")),
    Claim("alexnet-conv1-macs", "alexnet", "004", "11 × 11 × 3 × 55 × 55 × 96 = 105.4M", 105.4e6,
          lambda: _first_conv("alexnet_paper").macs, N_("{number} MACs"), 0.001, N_("Checked by the traced model.")),
    Claim("alexnet-227", "alexnet", "003", "虽然论文中给出的input image size是224*224*3，但是经过推算它不可能"
          "可以得到55*55*96的feature map。所以在后人的实现中，都把224改成了227", 227,
          lambda: arithmetic.exact_input_size(55, 11, 4), N_("an input of {number} pixels for a 55x55 output"), 0,
          N_("Right: (224 − 11)/4 + 1 = {from224} is not whole; (W − 11)/4 + 1 = 55 needs W = {computed:.0f}."),
          lambda: {"from224": arithmetic.padded_span(224, 11) / 4 + 1},
          english=N_("Although the paper gives the input image size as 224*224*3, working it through shows it cannot "
                     "give a 55*55*96 feature map. So later implementations all changed 224 to 227.")),
    Claim("vgg16-memory", "vgg16", "001", N_("total params: 138M parameters, 552 MiB"), 552,
          lambda: megabytes(_params("vgg16")), MIB, 0.01,
          N_("{params:,} parameters × 4 bytes = {mb:.1f} MB in powers of ten, which is {computed:.1f} MiB: the "
             "notes mixed MB and MiB."), lambda: {"params": _params("vgg16"), "mb": _params("vgg16") * 4 / 1e6}),
    Claim("vgg16-activations", "vgg16", "001", N_("total memory: 24M*4 bytes=96MB\\image"), 24e6,
          lambda: _forward_activations("vgg16"), N_("{number} activations per image"), 0.05,
          N_("Adding up VGG-16's activations as this page counts them (the input, then every conv, pool and FC "
             "output; its ReLUs work in place) gives {computed:,.0f} values, {mb:.1f} MB at 4 bytes (forward pass "
             "only); the 24 M total of the CS231n slide does not match the slide's own per-layer list."),
          lambda: {"mb": _forward_activations("vgg16") * 4 / 1e6}),
    Claim("vgg16-7x7-vs-3x3", "vgg16", "001",
          N_("Number of parameters of one 7*7 filter vs three 3*3 filters: / assuming 3 channel / 1*7*7*3=147 / "
             "3*3*3*3=81"), 81,
          lambda: _stacked_weights(7, 3, 3), N_("{number} weights per output channel"), 0,
          N_("Right in the notes' per-filter count (biases ignored): {layers} stacked 3x3 layers see 7x7, each with "
             "{per_layer} weights per filter on 3 channels; one 7x7 filter has {single}."),
          lambda: {"layers": _layers_for_field(7, 3), "per_layer": arithmetic.weights_per_filter(3, 3),
                   "single": arithmetic.weights_per_filter(7, 3)}),
    Claim("vgg16-gap", "vgg16", "003", "在7*7*512当中进行一个求平均 … 再通过全连接就会减少49倍的参数和内存", 49,
          lambda: _params_ratio_gap(), N_("{number} times fewer weights"), 0.01,
          N_("Right: VGG-16's first fully connected layer reads the whole {h}x{w}x{c} map, so it has {computed:.0f} "
             "times the weights of a {c} → {out} layer after global average pooling."),
          lambda: dict(zip("hwc", _vgg_fc_input_map())) | {"out": _vgg_first_fc().output_shape[-1]},
          english=N_("averaging over the 7*7*512 … then through the fully connected layer, cuts the parameters "
                     "and memory 49 times")),
    Claim("googlenet-params", "googlenet", "001", N_("only 5M params"), 5e6, lambda: _paper_googlenet_params(),
          N_("{number} parameters"), 0.1,
          N_("'5 million' is the authors' own round figure (Szegedy et al. 2015, Section 1, on GoogLeNet), not a sum "
             "of their table. GoogLeNet as published (5x5 convolutions in the '5x5' branches, no batch norm, the "
             "auxiliary classifiers left out as at inference) has {computed:,.0f} parameters. torchvision's "
             "GoogLeNet, with 3x3 convolutions in those branches and batch norm, has {tv:,} ({tv_aux:,} with its "
             "auxiliary classifiers)."),
          lambda: {"tv": _params("googlenet"), "tv_aux": _summary("googlenet").all_params}),
    Claim("googlenet-vs-alexnet", "googlenet", "002", N_("5 million parameters(12x less than AlexNet)"), 12,
          lambda: _params("alexnet_paper") / _paper_googlenet_params(), N_("{number} times fewer parameters"), 0.1,
          N_("'12 times fewer parameters' is the authors' own claim (Szegedy et al. 2014, Section 1). Counted on "
             "both networks as published, the 2012 AlexNet's {alexnet:,} parameters over GoogLeNet's {googlenet:,} "
             "(5x5 branches, no batch norm, no auxiliary classifiers) is {computed:.1f} times, not 12."),
          lambda: {"alexnet": _params("alexnet_paper"), "googlenet": _paper_googlenet_params()}),
    Claim("googlenet-naive-macs", "googlenet", "004", "(a) … 5 × 5 × 64 × 64 × i × i = 10240 i² MACs", 10240,
          lambda: _conv_macs(64, 64, 5, 1), N_("{number} i² MACs"), 0,
          N_("5·5·64·64 = {computed:,.0f}: a zero went missing. With the reduced version's (right) 53,248 i², the "
             "1x1 bottleneck saves {saving:.0%} of the MACs; with the notes' number it would cost five times more."),
          lambda: {"saving": 1 - (_conv_macs(64, 32, 1, 1) + _conv_macs(32, 64, 5, 1)) / _conv_macs(64, 64, 5, 1)}),
    Claim("googlenet-reduced-macs", "googlenet", "004", "(b) … (1 × 1 × 64 × 32 + 5 × 5 × 32 × 64) × i × i = "
          "53248 i² MACs", 53248, lambda: _conv_macs(64, 32, 1, 1) + _conv_macs(32, 64, 5, 1),
          N_("{number} i² MACs"), 0, N_("Right.")),
    Claim("googlenet-naive-weights", "googlenet", "004", "(a) 5 × 5 × 64 × 64 + 64 = 102464 权重数", 102_464,
          lambda: _conv_params(64, 64, 5), N_("{number} weights and biases"), 0, N_("Right."),
          english=N_("(a) 5 × 5 × 64 × 64 + 64 = 102464 weights")),
    Claim("googlenet-reduced-weights", "googlenet", "004", "(b) 1 × 1 × 64 × 32 + 32 + 5 × 5 × 32 × 64 + 64 = "
          "53344 权重数", 53_344, lambda: _conv_params(64, 32, 1) + _conv_params(32, 64, 5),
          N_("{number} weights and biases"), 0, N_("Right."),
          english=N_("(b) 1 × 1 × 64 × 32 + 32 + 5 × 5 × 32 × 64 + 64 = 53344 weights")),
    # The slides' v2 figure is the batch-norm paper's validation error: v3's is taken on the same set.
    Claim("inception-v3-drop", "inception_v3", "004", "相比于V2, top-5 错误率下降3%", 3.0,
          lambda: _v2_top5_in_slides() - _ensemble("inception_v3").validation,
          N_("a drop of {number} percentage points"), 0.05,
          N_("The same slides give v2 {v2:g}% top-5 error, the batch-norm paper's ensemble on the validation set; "
             "v3's ensemble gives {v3:g}% on the validation set: a drop of {computed:.2f} points ({relative:.0%} "
             "relative), not 3 points. On the test set the two ensembles give {v2_test:g}% and {v3_test:g}%: "
             "{test_drop:.2f} points."),
          lambda: _v2_to_v3_figures(),
          english=N_("Compared with V2, the top-5 error rate drops by 3%")),
)


@functools.cache
def _paper_googlenet_params() -> int:
    """GoogLeNet as published (the paper's build of ``paper_vs_impl``), auxiliary classifiers left out."""
    from cnnviz.lectures.paper_vs_impl import departures_for

    (departure,) = departures_for("googlenet")
    return departure.build_paper().total_params


def _layers_for_field(field: int, kernel: int) -> int:
    """How many stacked stride-1 kernel x kernel layers it takes to see ``field`` x ``field`` pixels."""
    layers = 1
    while arithmetic.receptive_fields([kernel] * layers)[-1] < field:
        layers += 1
    return layers


def _stacked_weights(field: int, kernel: int, channels: int) -> int:
    """Weights per output channel of the stack of kernel x kernel layers that sees ``field`` x ``field``."""
    return _layers_for_field(field, kernel) * arithmetic.weights_per_filter(kernel, channels)


def _vgg_first_fc():
    return next(r for r in _summary("vgg16").layers if r.type == "Linear")


def _vgg_fc_input_map() -> tuple[int, int, int]:
    """(H, W, C) of the map VGG-16's first fully connected layer flattens: the last 3-d output before it."""
    rows = _summary("vgg16").layers
    before = rows[:rows.index(_vgg_first_fc())]
    c, h, w = next(r.output_shape for r in reversed(before) if len(r.output_shape) == 3)
    return h, w, c


def _params_ratio_gap() -> float:
    """Weights of VGG-16's first FC layer (over the whole last map) over those of one after GAP (one value per
    channel), read from the model."""
    fc = _vgg_first_fc()
    h, w, c = _vgg_fc_input_map()
    after_gap = arithmetic.params(1, c, fc.output_shape[-1], bias=False)
    weights = fc.params - (fc.output_shape[-1] if fc.bias else 0)
    return weights / after_gap


def _v2_top5_in_slides() -> float:
    """The slides' (004) top-5 error of GoogLeNet-V2 (BN-Inception), read from the slides themselves."""
    import re

    from cnnviz.lectures.course_notes import notes_text

    return float(re.search(r"ImageNet top-5 错误率:([\d.]+)%", notes_text("004")).group(1))


def _ensemble(model: str):
    from cnnviz.lectures.ilsvrc import ENSEMBLES

    return ENSEMBLES[model]


def _v2_to_v3_figures() -> dict:
    v2, v3 = _ensemble("bn_inception"), _ensemble("inception_v3")
    slides = _v2_top5_in_slides()
    return {"v2": slides, "v3": v3.validation, "relative": (slides - v3.validation) / slides,
            "v2_test": v2.test, "v3_test": v3.test, "test_drop": v2.test - v3.test}


def claims_for(arch: str) -> list[Claim]:
    return [claim for claim in CLAIMS if claim.arch == arch]


def claims_with_keys(keys: tuple[str, ...]) -> list[Claim]:
    """The claims a concept lab discusses, in the order given."""
    by_key = {claim.key: claim for claim in CLAIMS}
    return [by_key[key] for key in keys]
