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
from cnnviz.lectures.quiz import latex_number as n
from cnnviz.lectures.recipes import recipe_number

LECUN_TANH = (1.7159, 2 / 3)  # A and S of LeCun et al. 1998, Appendix A
AUX_LOSS_WEIGHT = 0.3  # Szegedy et al. 2014, Section 5: the auxiliary losses' weight
COMPOUND = (1.2, 1.1, 1.15)  # α, β, γ of Tan & Le 2019, Section 3.3 (grid search at φ = 1)
LABEL_SMOOTHING = 0.1  # ε of Szegedy et al. 2015, Section 7


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
            rf"f'(0) = AS = {a * s:.4f}\quad\text{{(this model uses plain {activation})}}"]


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
    return [rf"k={lrn['k']:g},\ n={lrn['n']},\ \alpha={lrn['alpha']:g},\ \beta={lrn['beta']:g};\ \text{{every }}a = 1:"
            rf"\ b = 1/({lrn['k']:g} + {lrn['alpha']:g}\cdot {lrn['n']})^{{{lrn['beta']:g}}} = {lrn['paper']:.4f}"
            rf"\ \ (\text{{PyTorch divides }}\alpha\text{{ by }}n: {lrn['pytorch']:.4f})",
            rf"\mu = {mu:g},\ \alpha = {lr:g}:\ \text{{a constant gradient }}g\text{{ gives }}v \to "
            rf"-\frac{{\alpha g}}{{1-\mu}} = -\frac{{{lr:g}\,g}}{{1-{mu:g}}} = -{lr / (1 - mu):g}\,g"
            rf"\ \ (\text{{{1 / (1 - mu):.0f}x the plain step}})"]


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
    return [r"l:\ " + r",\ \ ".join(steps) + r"\ \ (\text{conv, conv, pool, conv})",
            rf"\text{{5x5}}\to\text{{two 3x3: }}{arithmetic.weights_per_filter(5, 1)} \to {five};\ "
            rf"\text{{7x7}}\to\text{{three 3x3: }}{arithmetic.weights_per_filter(7, 1)} \to "
            rf"{3 * arithmetic.weights_per_filter(3, 1)}\text{{ per channel pair; }}C = {c}:\ "
            rf"27\cdot {c}^2 = {n(three)} < 49\cdot {c}^2 = {n(seven)}"]


def _nin(summary: Summary) -> list[str]:
    pool = next(r for r in summary.layers if "AdaptiveAvgPool" in r.type)
    c, h, w = pool.input_shape
    return [rf"H = W = {h}:\ s_c = \frac{{1}}{{{h}\cdot{w}}}\sum_{{{h * w}\text{{ positions}}}} f_c(x,y);\ "
            rf"{c}\text{{ maps}} \to {c}\text{{ scores, }}{pool.params}\text{{ parameters}}"]


def _googlenet(summary: Summary) -> list[str]:
    k = _classes(summary)
    start = math.log(k)
    heads = 1 + len({r.name.split(".")[0] for r in summary.layers if r.auxiliary})
    total = start + AUX_LOSS_WEIGHT * (heads - 1) * start
    return [rf"w = {AUX_LOSS_WEIGHT};\ \text{{at the start every head guesses }}1/{k}:\ L = \ln {k} + {AUX_LOSS_WEIGHT}"
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
    pair, where = _factorised_pair(summary), ""
    if pair is None:  # a variant without 1xn convolutions: Inception v3's own pair
        from cnnviz.analysis.summary import summary_of

        pair, where = _factorised_pair(summary_of("inception_v3")), "Inception v3's "
    c, side = pair.input_shape[0], int(pair.kernel.split("x")[1])
    return [rf"\epsilon = {eps:g}\ (\text{{this model}});\ x = 1,\ \mu_B = 0,\ \sigma_B^2 = 1:\ \hat{{x}} = "
            rf"1/\sqrt{{1 + {eps:g}}} = {1 / math.sqrt(1 + eps):.4f};\ \text{{{bn.num_features} channels learn }}"
            rf"{2 * bn.num_features}\ \gamma,\beta",
            rf"\mu = {decay:g},\ \epsilon = {rms_eps:g},\ \alpha = {lr:g};\ G_0 = 0,\ g = 1:\ G_1 = {g_1:g},\ "
            rf"\text{{step}} = {lr:g}/\sqrt{{{g_1:g} + {rms_eps:g}}} = {lr / math.sqrt(g_1 + rms_eps):.4f}",
            rf"K = {k},\ \epsilon = {LABEL_SMOOTHING}:\ \text{{paper }}(1-\epsilon)\delta + \epsilon/K:\ "
            rf"{smooth['paper_true']:.4f}\ /\ {smooth['paper_other']:.4f};\ \text{{slides: }}"
            rf"{smooth['slides_true']:g}\ /\ {smooth['slides_other']:.7f}",
            rf"n = {side},\ C = {c}\ (\text{{{where}{_text(pair.name)}}}):\ {side}^2\cdot {c}^2 = {n(side * side * c * c)} \to "
            rf"2\cdot {side}\cdot {c}^2 = {n(2 * side * c * c)}\ \ ({side / 2:g}\text{{x fewer}})"]


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
    model = (rf";\ \text{{this model's block {sd['l']}: }}{sd['model_p_l']:.4f}\ (\text{{its rates start at block 1}})"
             if "model_p_l" in sd else "")
    return [rf"\text{{{_text(block)}: }}x,\ \mathcal{{F}}(x)\text{{ both }}{shape}:\ {n(math.prod(join.output_shape))}"
            r"\text{ additions, 0 parameters}",
            rf"W_s = \text{{{_text(projection.name)}: 1x1, }}{projection.input_shape[0]}\to{projection.output_shape[0]}"
            rf"\text{{, stride {projection.stride}: }}{projection.input_shape[0]}\cdot{projection.output_shape[0]} = "
            rf"{n(projection.params)}\text{{ weights}}",
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
    return (rf"\text{{{_text(block)}: }}" + " + ".join(terms) + rf" = {n(total)}\ \ (\text{{two 3x3 at }}{c}\text{{ channels: }}"
            rf"{n(plain)})")


def _preact(summary: Summary) -> list[str]:
    blocks = _block_names(summary, "layer3")
    identity = [b for b in blocks if not any(r.block == b and _on_shortcut(r) for r in summary.layers)]
    last = next(node for node in reversed(summary.nodes) if node.block == blocks[-1])
    shape = "x".join(map(str, last.output_shape))
    return [rf"x_{{\text{{out of {_text(blocks[-1])}}}}} = x_{{\text{{into {_text(identity[0])}}}}} + \sum\text{{ of "
            rf"{len(identity)} residual branches, each }}{shape}"]


def dense_channels(summary: Summary) -> tuple[list[int], int]:
    """Channels into each layer of dense block 1, and out of the block."""
    firsts = [r for r in summary.layers if r.name.startswith("features.denseblock1.") and r.name.endswith(".conv1")]
    last_conv = [r for r in summary.layers if r.name.startswith("features.denseblock1.") and r.type == "Conv2d"][-1]
    channels = [r.input_shape[0] for r in firsts]
    return channels, channels[-1] + last_conv.output_shape[0]


def _densenet(summary: Summary) -> list[str]:
    channels, out = dense_channels(summary)
    k0, k, layers = channels[0], channels[1] - channels[0], len(channels)
    return [rf"\ell = {layers}:\ H_{{{layers}}}\text{{ reads }}[x_0,\dots,x_{{{layers - 1}}}] = {k0} + "
            rf"{layers - 1}\cdot {k} = {channels[-1]}\text{{ channels and adds }}{k};\ \text{{block output }}{out}",
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
    return [rf"C = {len(columns)}:\ \text{{columns of }}" + ", ".join(map(str, columns)) +
            rf"\text{{ convs}} = {sum(columns)}\text{{ per block; deepest path }}{max(columns)}\cdot {blocks}"
            rf"\text{{ blocks}} = {max(columns) * blocks}"]


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
            rf"= {s['ratio']:.4f}\ (\text{{the model's MACs: }}{s['model_ratio']:.4f})"]


def compound() -> dict[str, float]:
    alpha, beta, gamma = COMPOUND
    return {"alpha": alpha, "beta": beta, "gamma": gamma, "flops": alpha * beta ** 2 * gamma ** 2}


def _efficientnet(summary: Summary) -> list[str]:
    c = compound()
    stem = _rows(summary)[0]
    return [rf"\alpha = {c['alpha']},\ \beta = {c['beta']},\ \gamma = {c['gamma']}:\ \alpha\beta^2\gamma^2 = "
            rf"{c['flops']:.4f} \approx 2\ (\text{{FLOPs}} \times{c['flops']:.2f}\text{{ per step of }}\phi);\ "
            rf"\phi = 1:\ {summary.input_size}\cdot{c['gamma']} = {summary.input_size * c['gamma']:.0f}\text{{ px}}"
            rf";\ \text{{this model }}\phi = 0:\ {summary.input_size}\text{{ px, }}{stem.output_shape[0]}"
            r"\text{ stem filters}"]


def _autoencoder(summary: Summary) -> list[str]:
    row = _rows(summary, "ConvTranspose2d")[1]
    module = next(node.module for node in summary.nodes if node.name == row.name)
    w, s, p, f = row.input_shape[-1], module.stride[0], module.padding[0], module.kernel_size[0]
    extra = module.output_padding[0]
    size = arithmetic.transposed_output_size(w, f, s, p, output_padding=extra)
    out = _rows(summary)[-1].output_shape
    return [rf"\text{{{_text(row.name)}: }}({w} - 1)\cdot {s} - 2\cdot {p} + {f} + {extra} = {size}",
            "n = " + r"\cdot".join(map(str, out)) + rf" = {math.prod(out)}\text{{ pixels: }}L = "
            rf"\frac{{1}}{{{math.prod(out)}}}\sum_i (\hat{{x}}_i - x_i)^2"]


def _siamese(summary: Summary) -> list[str]:
    head = _rows(summary, "Linear")[-1]
    features = head.input_shape[-1]
    return [rf"j = 1..{features}:\ {features}\ \alpha_j + 1\text{{ bias}} = {n(head.params)}\text{{ parameters}};"
            r"\ \text{identical embeddings give }p = \sigma(b)"]


WORKED = {"lenet5": _lenet, "alexnet": _alexnet, "vgg16": _vgg, "nin": _nin, "googlenet": _googlenet,
          "inception_v3": _inception, "resnet50": _resnet, "preact_resnet": _preact, "densenet121": _densenet,
          "fractalnet": _fractal, "mobilenet_v1": _mobilenet, "efficientnet_lite0": _efficientnet,
          "autoencoder": _autoencoder, "siamese": _siamese}


def worked(key: str, summary: Summary) -> list[str]:
    """One LaTeX line per formula of architecture ``key``'s lecture, with ``summary``'s numbers."""
    return WORKED[key](summary) if key in WORKED else []
