"""Every formula of an architecture page with this model's numbers in it: one worked line (LaTeX) per formula.

``worked(key, summary)`` returns a line for each of ``lecture(key).formulas``, in the same order, for the variant
whose ``summary`` is on screen. Sizes, channels, counts and layer settings are read from the traced model; the
few constants that only the papers state (EfficientNet's α, β, γ, GoogLeNet's loss weight, LeCun's tanh) live
here, once.
"""

from __future__ import annotations

import inspect
import math

from cnnviz.analysis import conv_arithmetic as arithmetic
from cnnviz.analysis.summary import LayerRow, Summary
from cnnviz.format import latex_text as _words
from cnnviz.i18n import _
from cnnviz.lectures.quiz import latex_number as n
from cnnviz.lectures.recipes import recipe_number

LECUN_TANH = (1.7159, 2 / 3)  # A and S of LeCun et al. 1998, Appendix A
AUX_LOSS_WEIGHT = 0.3  # Szegedy et al. 2014, Section 5: the auxiliary losses' weight
COMPOUND = (1.2, 1.1, 1.15)  # α, β, γ of Tan & Le 2019, Section 3.3 (grid search at φ = 1)
LABEL_SMOOTHING = 0.1  # ε of Szegedy et al. 2015, Section 7
# Variants on the Inception v3 page that were not trained with RMSProp: their worked line says so before giving
# Inception v3's numbers.
NOT_RMSPROP = {"bn_inception": "Ioffe & Szegedy 2015, Section 4.2"}




def _rows(summary: Summary, kind: str | None = None, prefix: str = "") -> list[LayerRow]:
    return [r for r in summary.layers if (kind is None or r.type == kind) and r.name.startswith(prefix)
            and not r.auxiliary]


def _module(summary: Summary, kind: str):
    """The first module of class ``kind`` or of a subclass of it (timm's BatchNormAct2d is a BatchNorm2d)."""
    return next(node.module for node in summary.nodes if node.module is not None
                and any(c.__name__ == kind for c in type(node.module).__mro__))


def _classes(summary: Summary) -> int:
    return _rows(summary, "Linear")[-1].output_shape[-1]


def _lenet(summary: Summary) -> list[str]:
    a, s = LECUN_TANH
    activation = "tanh" if any(c.__name__ == "Tanh" for c in summary.module_classes) else "ReLU"
    return [rf"A = {a},\ S = \tfrac{{2}}{{3}}:\ f(1) = {a}\tanh({s:.4f}) = {a * math.tanh(s):.4f},\quad "
            rf"f'(0) = AS = {a * s:.4f}\quad"
            + _words(_("(this model uses plain {activation})"), activation=activation)]


def lrn_numbers(summary: Summary | None = None) -> dict[str, float]:
    """The 2012 model's LRN settings and the output for all-ones input in a middle channel: the paper's formula
    and PyTorch's (which divides α by n)."""
    from cnnviz.analysis.summary import summary_of

    lrn = _module(summary_of("alexnet_paper"), "LocalResponseNorm")
    n_, alpha, beta, k = lrn.size, lrn.alpha / lrn.size, lrn.beta, lrn.k  # the model's torch alpha is the paper's x n
    return {"n": n_, "alpha": alpha, "beta": beta, "k": k, "paper": (k + alpha * n_) ** -beta,
            "pytorch": (k + alpha / n_ * n_) ** -beta}


def _alexnet(summary: Summary) -> list[str]:
    lrn = lrn_numbers()
    mu = recipe_number("alexnet", "optimizer", r"momentum ([\d.]+)")
    lr = recipe_number("alexnet", "learning_rate", r"([\d.]+)")
    return [rf"k={lrn['k']:g},\ n={lrn['n']},\ \alpha={lrn['alpha']:g},\ \beta={lrn['beta']:g};\ "
            + _words(_("every {a}"), {"a": "a"}) + " = 1:"
            rf"\ b = 1/({lrn['k']:g} + {lrn['alpha']:g}\cdot {lrn['n']})^{{{lrn['beta']:g}}} = {lrn['paper']:.4f}"
            r"\ \ (" + _words(_("PyTorch divides {alpha} by {n}"), {"alpha": r"\alpha", "n": "n"})
            + f": {lrn['pytorch']:.4f})",
            rf"\mu = {mu:g},\ \alpha = {lr:g}:\ " + _words(_("a constant gradient {g} gives {v}"), {"g": "g", "v": "v"})
            + rf" \to -\frac{{\alpha g}}{{1-\mu}} = -\frac{{{lr:g}\,g}}{{1-{mu:g}}} = -{lr / (1 - mu):g}\,g"
            r"\ \ (" + _words(_("{times}x the plain step"), times=f"{1 / (1 - mu):.0f}") + ")"]


def _fields(summary: Summary):
    from cnnviz.analysis.receptive_field.recursion import receptive_fields
    from cnnviz.zoo.registry import resolve

    return receptive_fields(resolve(summary.model)[1], summary.input_size)


def _vgg(summary: Summary) -> list[str]:
    fields = [f for f in _fields(summary) if f.kernel][:4]
    steps = [rf"{f.rf_in} + ({f.effective_kernel} - 1)\cdot {f.jump_in:g} = {f.rf}" for f in fields]
    last = _rows(summary, "Conv2d")[-1]
    c = last.input_shape[0]
    three = 3 * arithmetic.params(3, c, c, bias=False)
    seven = arithmetic.params(7, c, c, bias=False)
    five = 2 * arithmetic.weights_per_filter(3, 1)
    two = rf"{arithmetic.weights_per_filter(5, 1)} \to {five}"
    three_weights = rf"{arithmetic.weights_per_filter(7, 1)} \to {3 * arithmetic.weights_per_filter(3, 1)}"
    return [r"l:\ " + r",\ \ ".join(steps) + r"\ \ (" + _words(_("conv, conv, pool, conv")) + ")",
            r"\text{5x5}\to" + _words(_("two 3x3: {weights}"), {"weights": two}) + r";\ "
            r"\text{7x7}\to" + _words(_("three 3x3: {weights} per channel pair;"), {"weights": three_weights})
            + rf"\ C = {c}:\ 27\cdot {c}^2 = {n(three)} < 49\cdot {c}^2 = {n(seven)}"]


def _nin(summary: Summary) -> list[str]:
    pool = next(r for r in summary.layers if "AdaptiveAvgPool" in r.type)
    c, h, w = pool.input_shape
    positions = _words(_("{count} positions"), {"count": str(h * w)})
    return [rf"H = W = {h}:\ s_c = \frac{{1}}{{{h}\cdot{w}}}\sum_{{{positions}}} f_c(x,y);\ "
            + _words(_("{count} maps"), {"count": str(c)}) + r" \to "
            + _words(_("{count} scores, {params} parameters"), {"count": str(c), "params": str(pool.params)})]


def _googlenet(summary: Summary) -> list[str]:
    k = _classes(summary)
    start = math.log(k)
    heads = 1 + len({r.name.split(".")[0] for r in summary.layers if r.auxiliary})
    total = start + AUX_LOSS_WEIGHT * (heads - 1) * start
    return [rf"w = {AUX_LOSS_WEIGHT};\ " + _words(_("at the start every head guesses {p}"), {"p": f"1/{k}"})
            + rf":\ L = \ln {k} + {AUX_LOSS_WEIGHT}"
            rf"\cdot({heads - 1}\cdot\ln {k}) = {start:.3f} + {AUX_LOSS_WEIGHT * (heads - 1) * start:.3f} = "
            rf"{total:.3f}"]


def label_smoothing(k: int, epsilon: float = LABEL_SMOOTHING) -> dict[str, float]:
    """Targets of the paper's form (1 - ε)δ + ε/K and of the slides' form [ε/(K-1), ..., 1 - ε]."""
    return {"paper_true": 1 - epsilon + epsilon / k, "paper_other": epsilon / k,
            "slides_true": 1 - epsilon, "slides_other": epsilon / (k - 1)}


def _inception(summary: Summary) -> list[str]:
    bn = _module(summary, "BatchNorm2d")
    eps = bn.eps
    decay = recipe_number("inception_v3", "optimizer", r"decay ([\d.]+)")
    rms_eps = recipe_number("inception_v3", "optimizer", r"and ε = ([\d.]+)")
    lr = recipe_number("inception_v3", "learning_rate", r"([\d.]+)")
    g_1 = (1 - decay) * 1
    k = _classes(summary)
    smooth = label_smoothing(k)
    pair = _factorised_pair(summary)
    where = _words("{layer}", layer=pair.name) if pair is not None else ""
    if pair is None:  # a variant without 1xn convolutions: Inception v3's own pair
        from cnnviz.analysis.summary import summary_of

        pair = _factorised_pair(summary_of("inception_v3"))
        where = _words(_("Inception v3's {layer}"), layer=pair.name)
    c, side = pair.input_shape[0], int(pair.kernel.split("x")[1])
    learn = _words(_("{channels} channels learn {params}"), {"params": rf"{2 * bn.num_features}\ \gamma,\beta"},
                   channels=bn.num_features)
    rmsprop = (rf"\mu = {decay:g},\ \epsilon = {rms_eps:g},\ \alpha = {lr:g};\ G_0 = 0,\ g = 1:\ G_1 = {g_1:g},\ "
               + _words(_("step size")) + rf" = {lr:g}/\sqrt{{{g_1:g} + {rms_eps:g}}} = "
               rf"{lr / math.sqrt(g_1 + rms_eps):.4f}")
    if summary.model in NOT_RMSPROP:
        rmsprop = _words(_("{model} was trained with SGD with momentum ({source}), not RMSProp; Inception v3's "
                           "recipe:"), model=summary.model, source=NOT_RMSPROP[summary.model]) + r"\ " + rmsprop
    return [rf"\epsilon = {eps:g}\ (" + _words(_("this model")) + r");\ x = 1,\ \mu_B = 0,\ \sigma_B^2 = 1:\ "
            rf"\hat{{x}} = 1/\sqrt{{1 + {eps:g}}} = {1 / math.sqrt(1 + eps):.4f};\ " + learn,
            rmsprop,
            rf"K = {k},\ \epsilon = {LABEL_SMOOTHING}:\ "
            + _words(_("paper {formula}"), {"formula": r"(1-\epsilon)\delta + \epsilon/K"})
            + rf":\ {smooth['paper_true']:.4f}\ /\ {smooth['paper_other']:.4f};\ "
            + _words(_("slides: {targets}"),
                     {"targets": rf"{smooth['slides_true']:g}\ /\ {smooth['slides_other']:.7f}"}),
            rf"n = {side},\ C = {c}\ (" + where + rf"):\ {side}^2\cdot {c}^2 = {n(side * side * c * c)} \to "
            rf"2\cdot {side}\cdot {c}^2 = {n(2 * side * c * c)}\ \ ("
            + _words(_("{ratio}x fewer"), {"ratio": f"{side / 2:g}"}) + ")"]


def _factorised_pair(summary: Summary) -> LayerRow | None:
    """A 1xn convolution with as many channels out as in (the first half of a factorised nxn)."""
    return next((r for r in summary.layers if r.kernel.startswith("1x") and r.input_shape[0] == r.output_shape[0]
                 and not r.auxiliary), None)


def _text(name: str) -> str:
    """A layer name inside LaTeX's \\text{}: underscores escaped."""
    return name.replace("_", r"\_")


def _block_names(summary: Summary, stage: str) -> list[str]:
    return list(dict.fromkeys(r.block for r in summary.layers if r.block and r.block.startswith(stage + ".")))


def _on_shortcut(row: LayerRow) -> bool:  # torchvision calls W_s "downsample", the other models "shortcut"
    return ".downsample" in row.name or ".shortcut" in row.name


def stochastic_depth(summary: Summary) -> dict[str, float]:
    """L, p_L and the paper's survival probability of the middle block; the model's own where it has the rates."""
    from cnnviz.zoo.models.stochastic_depth import add_stochastic_depth

    blocks = [b for stage in ("layer1", "layer2", "layer3", "layer4") for b in _block_names(summary, stage)]
    rates = [node.module.p for node in summary.nodes if node.kind == "StochasticDepth"]
    drop_last = rates[-1] if rates else inspect.signature(add_stochastic_depth).parameters["p_last"].default
    total, middle = len(blocks), len(blocks) // 2
    numbers = {"L": total, "l": middle, "p_L": 1 - drop_last, "p_l": 1 - middle / total * drop_last}
    if rates:
        numbers["model_p_l"] = 1 - rates[middle - 1]
    return numbers


def _resnet(summary: Summary) -> list[str]:
    block = _block_names(summary, "layer1")[1]
    join = next(node for node in summary.nodes if node.block == block and node.module is None)
    shape = "x".join(map(str, join.output_shape))
    projection = next(r for r in summary.layers if r.block == _block_names(summary, "layer2")[0]
                      and _on_shortcut(r) and r.groups)
    sd = stochastic_depth(summary)
    model = (r";\ " + _words(_("this model's block {block}: {p}"), {"p": f"{sd['model_p_l']:.4f}"}, block=sd["l"])
             + r"\ (" + _words(_("its rates start at block 1")) + ")" if "model_p_l" in sd else "")
    channels = rf"{projection.input_shape[0]}\to{projection.output_shape[0]}"
    weights = rf"{projection.input_shape[0]}\cdot{projection.output_shape[0]} = {n(projection.params)}"
    return [_words(_("{block}: {x} both {shape}"), {"x": r"x,\ \mathcal{F}(x)"}, block=block, shape=shape) + r":\ "
            + _words(_("{count} additions, 0 parameters"), {"count": n(math.prod(join.output_shape))}),
            "W_s = " + _words(_("{layer}: 1x1, {channels}, stride {stride}: {weights} weights"),
                              {"channels": channels, "weights": weights}, layer=projection.name,
                              stride=projection.stride),
            rf"L = {sd['L']},\ p_L = {sd['p_L']:g}:\ p_{{{sd['l']}}} = 1 - \frac{{{sd['l']}}}{{{sd['L']}}}"
            rf"(1 - {sd['p_L']:g}) = {sd['p_l']:g}" + model,
            _block_params(summary, block)]


def _block_params(summary: Summary, block: str) -> str:
    convs = [r for r in summary.layers if r.block == block and r.groups and not _on_shortcut(r)]
    terms = [rf"{r.kernel}^2\cdot{r.input_shape[0]}\cdot{r.output_shape[0]}" + (f"/{r.groups}" if r.groups > 1 else "")
             for r in convs]
    total = sum(r.params for r in convs)
    c = convs[0].input_shape[0]
    plain = 2 * arithmetic.params(3, c, c, bias=False)
    return (rf"\text{{{_text(block)}: }}" + " + ".join(terms) + rf" = {n(total)}\ \ ("
            + _words(_("two 3x3 at {channels} channels: {params}"), {"channels": str(c), "params": n(plain)}) + ")")


def _preact(summary: Summary) -> list[str]:
    blocks = _block_names(summary, "layer3")
    identity = [b for b in blocks if not any(r.block == b and _on_shortcut(r) for r in summary.layers)]
    last = next(node for node in reversed(summary.nodes) if node.block == blocks[-1])
    shape = "x".join(map(str, last.output_shape))
    return ["x_{" + _words(_("out of {block}"), block=blocks[-1]) + "} = x_{"
            + _words(_("into {block}"), block=identity[0]) + r"} + \sum\ "
            + _words(_("of {count} residual branches, each {shape}"), {"shape": shape}, count=len(identity))]


def dense_channels(summary: Summary) -> tuple[list[int], int]:
    """Channels into each layer of dense block 1, and out of the block."""
    firsts = [r for r in summary.layers if r.name.startswith("features.denseblock1.") and r.name.endswith(".conv1")]
    last_conv = [r for r in summary.layers if r.name.startswith("features.denseblock1.") and r.type == "Conv2d"][-1]
    channels = [r.input_shape[0] for r in firsts]
    return channels, channels[-1] + last_conv.output_shape[0]


def _densenet(summary: Summary) -> list[str]:
    channels, out = dense_channels(summary)
    k0, k, layers = channels[0], channels[1] - channels[0], len(channels)
    inputs = rf"[x_0,\dots,x_{{{layers - 1}}}] = {k0} + {layers - 1}\cdot {k} = {channels[-1]}"
    return [rf"\ell = {layers}:\ H_{{{layers}}}\ "
            + _words(_("reads {inputs} channels and adds {k}"), {"inputs": inputs, "k": str(k)}) + r";\ "
            + _words(_("block output {channels}"), {"channels": str(out)}),
            rf"k_0 = {k0},\ k = {k}:\ " + r" \to ".join(map(str, channels)) + rf"\ (\ell = 1..{layers})"]


def fractal_columns(summary: Summary) -> list[int]:
    """Convolutions in each column of the first fractal block, shortest column first."""
    counts: dict[str, int] = {}
    for row in _rows(summary, "Conv2d", "blocks.0.columns."):
        column = row.name.split(".")[3]
        counts[column] = counts.get(column, 0) + 1
    return [counts[c] for c in sorted(counts, key=int)]


def _fractal(summary: Summary) -> list[str]:
    columns = fractal_columns(summary)
    blocks = len({r.name.split(".")[1] for r in _rows(summary, "Conv2d", "blocks.")})
    listed = ", ".join(map(str, columns))
    return [rf"C = {len(columns)}:\ " + _words(_("columns of {columns} convs"), {"columns": listed})
            + rf" = {sum(columns)}\ "
            + _words(_("per block; deepest path {blocks} blocks"), {"blocks": rf"{max(columns)}\cdot {blocks}"})
            + f" = {max(columns) * blocks}"]


def separable(summary: Summary, block: str = "features.2") -> dict[str, float]:
    from cnnviz.labs.bottleneck import separable_ratio

    depthwise, pointwise = [r for r in summary.layers if r.block == block and r.type == "Conv2d"][:2]
    k, m, out_n = int(depthwise.kernel), depthwise.input_shape[0], pointwise.output_shape[0]
    side = pointwise.output_shape[-1]
    standard = arithmetic.macs(side, side, out_n, k, m)
    return {"k": k, "M": m, "N": out_n, "ratio": separable_ratio(out_n, k),
            "model_ratio": (depthwise.macs + pointwise.macs) / standard}


def _mobilenet(summary: Summary) -> list[str]:
    s = separable(summary)
    return [rf"\text{{features.2: }}k = {s['k']},\ N = {s['N']}:\ \frac{{1}}{{{s['N']}}} + \frac{{1}}{{{s['k']}^2}} "
            rf"= {s['ratio']:.4f}\ (" + _words(_("the model's MACs: {ratio}"), {"ratio": f"{s['model_ratio']:.4f}"})
            + ")"]


def compound() -> dict[str, float]:
    alpha, beta, gamma = COMPOUND
    return {"alpha": alpha, "beta": beta, "gamma": gamma, "flops": alpha * beta ** 2 * gamma ** 2}


def released_b1_size() -> int:
    """EfficientNet-B1's input side as released (torchvision's weights, from the authors' code): 240, not the
    224·γ ≈ 258 that the compound formula gives at φ = 1."""
    from torchvision.models import EfficientNet_B1_Weights

    (size,) = EfficientNet_B1_Weights.IMAGENET1K_V1.transforms().crop_size
    return size


def _efficientnet(summary: Summary) -> list[str]:
    c = compound()
    stem = _rows(summary)[0]
    return [rf"\alpha = {c['alpha']},\ \beta = {c['beta']},\ \gamma = {c['gamma']}:\ \alpha\beta^2\gamma^2 = "
            rf"{c['flops']:.4f} \approx 2\ ("
            + _words(_("FLOPs {factor} per step of {phi}"), {"factor": rf"\times{c['flops']:.2f}", "phi": r"\phi"})
            + rf");\ \phi = 1:\ {summary.input_size}\cdot{c['gamma']} = {summary.input_size * c['gamma']:.0f}"
            r"\text{ px}\ (" + _words(_("EfficientNet-B1 as released: {size} px"), size=released_b1_size()) + r");\ "
            + _words(_("this model {phi}"), {"phi": r"\phi = 0"}) + r":\ "
            + _words(_("{size} px, {count} stem filters"), {"size": str(summary.input_size),
                                                            "count": str(stem.output_shape[0])})]


def _autoencoder(summary: Summary) -> list[str]:
    row = _rows(summary, "ConvTranspose2d")[1]
    module = next(node.module for node in summary.nodes if node.name == row.name)
    w, s, p, f = row.input_shape[-1], module.stride[0], module.padding[0], module.kernel_size[0]
    extra = module.output_padding[0]
    size = arithmetic.transposed_output_size(w, f, s, p, output_padding=extra)
    out = _rows(summary)[-1].output_shape
    loss = rf"L = \frac{{1}}{{{math.prod(out)}}}\sum_i (\hat{{x}}_i - x_i)^2"
    return [rf"\text{{{_text(row.name)}: }}({w} - 1)\cdot {s} - 2\cdot {p} + {f} + {extra} = {size}",
            "n = " + r"\cdot".join(map(str, out)) + " = "
            + _words(_("{count} pixels: {loss}"), {"count": str(math.prod(out)), "loss": loss})]


def _siamese(summary: Summary) -> list[str]:
    head = _rows(summary, "Linear")[-1]
    features = head.input_shape[-1]
    return [rf"j = 1..{features}:\ "
            + _words(_("{weights} + 1 bias = {params} parameters"), {"weights": rf"{features}\ \alpha_j",
                                                                     "params": n(head.params)}) + r";\ "
            + _words(_("identical embeddings give {p}"), {"p": r"p = \sigma(b)"})]


WORKED = {"lenet5": _lenet, "alexnet": _alexnet, "vgg16": _vgg, "nin": _nin, "googlenet": _googlenet,
          "inception_v3": _inception, "resnet50": _resnet, "preact_resnet": _preact, "densenet121": _densenet,
          "fractalnet": _fractal, "mobilenet_v1": _mobilenet, "efficientnet_lite0": _efficientnet,
          "autoencoder": _autoencoder, "siamese": _siamese}


def worked(key: str, summary: Summary) -> list[str]:
    """One LaTeX line per formula of architecture ``key``'s lecture, with ``summary``'s numbers."""
    return WORKED[key](summary) if key in WORKED else []
