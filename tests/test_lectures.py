"""The lecture content: quiz answers, the notes' numbers, paper vs implementation, the layer walk."""

import math
import random

import pytest
import torch
import torchvision
from torch import nn

from cnnviz.analysis import counting
from cnnviz.analysis.graph import block_graph
from cnnviz.analysis.summary import summarize, summary_of
from cnnviz.lectures import worked as worked_numbers
from cnnviz.lectures.glossary import GLOSSARY, architecture_page_terms, page_texts
from cnnviz.lectures.key_ideas import key_facts
from cnnviz.lectures.notes_check import CLAIMS
from cnnviz.lectures.paper_vs_impl import departures_for
from cnnviz.lectures.quiz import LayerQuestion
from cnnviz.lectures.quiz_layers import from_layer, measure, new_numbers
from cnnviz.lectures.story import lecture
from cnnviz.lectures.walk import layer_walk
from cnnviz.zoo.registry import architectures, resolve


def test_quiz_formulas_agree_with_torch_on_random_layers():
    rng = random.Random(0)
    for seed in range(40):
        question = new_numbers(LayerQuestion(32, 3, 8, 3, 1, 1, pooling=rng.random() < 0.3), seed)
        assert question.divides_evenly
        assert (question.output_size, question.params, question.macs) == measure(question)


def test_quiz_rounds_down_like_torch_when_division_is_not_whole():
    question = LayerQuestion(224, 3, 96, 11, 4, 0)  # the paper's 224: (224 - 11) / 4 + 1 = 54.25
    assert not question.divides_evenly
    assert question.output_size == measure(question)[0] == 54


def test_quiz_on_alexnet_conv1_matches_the_notes():
    row = summarize(resolve("alexnet_paper")[1]).layers[0]
    question = from_layer(row)
    assert (question.output_size, question.params, question.macs) == (55, 34_944, 105_415_200)
    assert "34{,}944" in question.worked()["params"]


def test_notes_walk_of_alexnet_is_reproduced():
    """CS231n's list: CONV1 55x55x96, POOL1 27x27x96, CONV2 27x27x256, POOL2 13x13x256, CONV3-5 13x13x(384,
    384, 256), POOL3 6x6x256, FC6-8 4096, 4096, 1000 (NORM layers sit before the pools in the paper model)."""
    steps = [s for s in layer_walk(summarize(resolve("alexnet_paper")[1])) if not s.label.startswith("NORM")]
    expected = ["55x55x96", "27x27x96", "27x27x256", "13x13x256", "13x13x384", "13x13x384", "13x13x256",
                "6x6x256", "4096", "4096", "1000"]
    assert [s.output for s in steps] == expected
    assert [s.label for s in steps][:3] == ["CONV1", "MAX POOL1", "CONV2"] and steps[-1].label == "FC8"


WRONG = {"alexnet-kernel", "alexnet-memory", "alexnet-conv1-params", "vgg16-memory", "vgg16-activations",
         "googlenet-params", "googlenet-vs-alexnet", "googlenet-naive-macs", "inception-v3-drop"}


@pytest.mark.parametrize("claim", CLAIMS, ids=lambda c: c.key)
def test_notes_claims_are_judged_by_computation(claim):
    assert claim.correct == (claim.key not in WRONG)
    assert "{" not in claim.explanation


def test_notes_claims_against_hand_formulas():
    by_key = {c.key: c for c in CLAIMS}
    assert by_key["alexnet-memory"].computed == pytest.approx(60_965_224 * 4 / 2**20)
    assert by_key["vgg16-memory"].computed == pytest.approx(138_357_544 * 4 / 2**20)
    assert by_key["googlenet-naive-macs"].computed == 5 * 5 * 64 * 64
    assert by_key["googlenet-reduced-weights"].computed == 64 * 32 + 32 + 5 * 5 * 32 * 64 + 64
    # CS231n's per-layer VGG-16 memory list: 224²·3 + 2·224²·64 + 112²·64 + 2·112²·128 + 56²·128 + ...
    sizes = [(224, 3), (224, 64), (224, 64), (112, 64), (112, 128), (112, 128), (56, 128)] + \
        [(56, 256)] * 3 + [(28, 256)] + [(28, 512)] * 3 + [(14, 512)] * 4 + [(7, 512)]
    assert by_key["vgg16-activations"].computed == sum(s * s * c for s, c in sizes) + 4096 + 4096 + 1000


def test_googlenet_claims_count_both_networks_as_published():
    """'5 million' and '12x fewer than AlexNet' are the authors' claims; the check counts the paper's GoogLeNet
    (5x5 branches, no batch norm, no auxiliary classifiers) against the 2012 AlexNet: 8.7x, not 12x."""
    import torchvision

    from cnnviz.lectures.paper_vs_impl import googlenet_paper_branches
    from cnnviz.zoo.models.alexnet_paper import alexnet_paper

    with torch.device("meta"):
        googlenet = torchvision.models.googlenet(aux_logits=False, init_weights=False)
        alexnet = alexnet_paper()
    googlenet_paper_branches(googlenet)
    googlenet_params = sum(p.numel() for p in googlenet.parameters())
    alexnet_params = sum(p.numel() for p in alexnet.parameters())
    by_key = {c.key: c for c in CLAIMS}
    assert by_key["googlenet-params"].computed == googlenet_params
    assert by_key["googlenet-vs-alexnet"].computed == pytest.approx(alexnet_params / googlenet_params)
    assert f"{by_key['googlenet-vs-alexnet'].computed:.1f}" == "8.7"
    assert "authors' own" in by_key["googlenet-params"].explanation
    assert "authors' own claim (Szegedy et al. 2014" in by_key["googlenet-vs-alexnet"].explanation


def test_notes_checks_compute_what_they_used_to_type_in():
    from cnnviz.lectures import notes_check
    from cnnviz.lectures.course_notes import notes_text
    from cnnviz.lectures.ilsvrc import ENSEMBLES

    # Stacked 3x3 layers: a 7x7 (5x5) input is the smallest that a stack of 3 (2) reduces to one value.
    for field in (3, 5, 7, 9):
        layers = notes_check._layers_for_field(field, 3)
        stack = nn.Sequential(*[nn.Conv2d(1, 1, 3) for _ in range(layers)])
        assert stack(torch.zeros(1, 1, field, field)).shape[-1] == 1
        assert layers == 1 or nn.Sequential(*stack[:-1])(torch.zeros(1, 1, field, field)).shape[-1] > 1
    # VGG-16's first FC layer over the one after GAP: its input features over the channels of the map it reads.
    vgg = resolve("vgg16")[1].build_on_meta()
    fc = next(m for m in vgg.modules() if isinstance(m, nn.Linear))
    channels = [m for m in vgg.modules() if isinstance(m, nn.Conv2d)][-1].out_channels
    by_key = {c.key: c for c in CLAIMS}
    assert by_key["vgg16-gap"].computed == fc.in_features / channels
    # Inception v2 (BN-Inception) as the slides give it: the batch-norm paper's validation figure, so v3's
    # validation figure is the one to compare it with (4.9 - 3.46), and the test figures apart (4.82 - 3.58).
    assert "ImageNet top-5 错误率:4.9%" in notes_text("004")
    assert ENSEMBLES["bn_inception"].validation == 4.9
    drop = by_key["inception-v3-drop"]
    assert drop.computed == pytest.approx(4.9 - ENSEMBLES["inception_v3"].validation) == pytest.approx(1.44)
    assert "a drop of 1.44 points" in drop.explanation and "4.82% and 3.58%: 1.24 points" in drop.explanation


def test_resnet_v1_matches_table_ii_and_v15_costs_more():
    (departure,) = departures_for("resnet50")
    v15, v1 = departure.build_implementation(), departure.build_paper()
    assert v1.total_params == v15.total_params
    assert round(v1.total_macs / 1e9, 2) == 3.86  # the slides' TABLE II (original ResNet-50)
    assert v15.total_macs > v1.total_macs


def test_lenet_sparse_c3_has_the_papers_1516_parameters():
    (departure,) = departures_for("lenet5")
    full, sparse = departure.build_implementation(), departure.build_paper()
    c3_full = 16 * (6 * 25 + 1)
    c3_sparse = 6 * (3 * 25 + 1) + 9 * (4 * 25 + 1) + 1 * (6 * 25 + 1)
    assert c3_sparse == 1516
    assert full.total_params - sparse.total_params == c3_full - c3_sparse


def test_googlenet_paper_version_has_5x5_and_no_batch_norm():
    (departure,) = departures_for("googlenet")
    paper = departure.build_paper()
    kernels = {r.kernel for r in paper.layers if r.type == "Conv2d"}
    assert "5" in kernels and not any(r.type == "BatchNorm2d" for r in paper.layers)
    branch = nn.Conv2d(16, 32, 5, padding=2, bias=True).to("meta")
    out = branch(torch.zeros(1, 16, 28, 28, device="meta"))
    ours = [r for r in paper.layers if r.name == "inception3a.branch3.1.conv"][0]
    assert ours.macs == out[0].numel() * 16 * 25


def test_alexnet_departure_reads_filters_and_groups_from_both_models():
    """torchvision's single-GPU AlexNet has fewer conv2 filters than the paper's (192 against 256), not more; conv4
    has 256 against 384. Every number in the sentences is an out_channels (or groups) of the two models."""
    (departure,) = departures_for("alexnet")
    sentences = departure.differences()
    convs = [[m for m in resolve(name)[1].build_on_meta().modules() if isinstance(m, nn.Conv2d)]
             for name in ("alexnet", "alexnet_paper")]
    expected = []
    for index, (ours, paper) in enumerate(zip(*convs, strict=True), 1):
        if ours.out_channels != paper.out_channels:
            word = "fewer" if ours.out_channels < paper.out_channels else "more"
            expected.append(f"conv{index}: {ours.out_channels} filters in alexnet, {paper.out_channels} in "
                            f"alexnet_paper ({word}).")
        if ours.groups != paper.groups:
            expected.append(f"conv{index}: `groups={ours.groups}` in alexnet, `groups={paper.groups}` in "
                            f"alexnet_paper, where each filter reads {paper.in_channels // paper.groups} of the "
                            f"{paper.in_channels} input channels.")
    assert sentences == expected
    assert "conv2: 192 filters in alexnet, 256 in alexnet_paper (fewer)." in sentences
    assert "conv4: 256 filters in alexnet, 384 in alexnet_paper (fewer)." in sentences
    assert "more" not in " ".join(sentences) + departure.explanation


def test_inception_v3_paper_tab_lists_the_5x5_convolutions_torchvision_keeps():
    """The paper factorises 5x5 into two 3x3s; torchvision's Mixed_5b/c/d keep a 5x5 branch (and AuxLogits one)."""
    from cnnviz.lectures.paper_vs_impl import MODEL_NOTES

    model = resolve("inception_v3")[1].build_on_meta()
    kept = [name for name, m in model.named_modules() if isinstance(m, nn.Conv2d) and m.kernel_size == (5, 5)]
    assert [name.split(".")[0] for name in kept] == ["Mixed_5b", "Mixed_5c", "Mixed_5d", "AuxLogits"]
    inference, training = MODEL_NOTES["inception_v3"]()
    assert "in 3 places on its inference path: " + ", ".join(kept[:3]) + "." in inference
    assert training.endswith(f"1 more 5x5 convolution(s): {kept[3]}.")


def test_zfnet_texts_keep_the_lrn_layer_apart_from_the_filter_rule_and_put_textures_in_layer_3():
    """Zeiler & Fergus 2013: contrast normalisation is a layer of the model (AlexNet's LRN here); the rescaling of
    every convolutional filter whose RMS exceeds 0.1 is a rule on the weights during training (Section 3). Their
    Figure 2: corners and edge/colour conjunctions in layer 2, textures in layer 3."""
    from cnnviz.lectures.recipes import RECIPES

    model = resolve("zfnet")[1].build_on_meta()
    assert any(isinstance(m, nn.LocalResponseNorm) for m in model.modules())
    (departure,) = architectures()["zfnet"].departures
    assert "without LRN" not in departure and "LRN layers are the paper's contrast normalisation" in departure
    assert "training rule on the weights, not a layer" in departure
    assert "first-layer" not in RECIPES["zfnet"].normalisation and "every convolutional filter whose RMS exceeds 0.1" \
        in RECIPES["zfnet"].normalisation
    story = lecture("zfnet").story
    assert "textures in layer 2" not in story
    assert "corners and other conjunctions of edges and colours in layer 2, textures in layer 3" in story


@pytest.mark.parametrize("key", architectures(), ids=str)
def test_every_architecture_has_a_lecture_with_valid_blocks(key):
    arch = architectures()[key]
    notes = lecture(key)
    assert notes is not None and len(notes.story.split()) > 40
    assert set(notes.variants) <= set(arch.variant_names)
    for variant_name, block in notes.key_block.items():
        summary = summarize(arch.variant(variant_name))
        assert block in {r.block for r in summary.layers}
        assert "block output" in block_graph(summary, block).source


def test_key_facts_are_computed_from_the_model():
    facts = dict(key_facts("densenet121", summarize(resolve("densenet121")[1])))
    assert facts["Channels into each layer of dense block 1"] == "64 → 96 → 128 → 160 → 192 → 224"
    facts = dict(key_facts("alexnet", summarize(resolve("alexnet_paper")[1])))
    conv2 = facts["features.4: 2 groups (one per GPU)"]
    assert f"{(5 * 5 * 48 + 1) * 256:,} parameters" in conv2 and f"{(5 * 5 * 96 + 1) * 256:,}" in conv2


# --- every formula with this model's numbers (cnnviz.lectures.worked) ----------------------------------------


ARCH_VARIANTS = [(key, v.name) for key, arch in architectures().items() for v in arch.variants]


def _latex(count: int) -> str:
    """A count as the worked lines write it: 7{,}077{,}888."""
    return f"{count:,}".replace(",", "{,}")


def _shapes(model: nn.Module, variant, *names: str) -> dict[str, tuple[tuple[int, ...], tuple[int, ...]]]:
    """(input, output) shape, one image, of each named module in a forward pass on meta: read off the module."""
    seen = {}

    def keep(name, args, out) -> None:  # a hook that returned a value would replace the module's output
        seen.setdefault(name, (tuple(args[0].shape[1:]), tuple(out.shape[1:])))

    handles = [model.get_submodule(name).register_forward_hook(lambda _, args, out, name=name: keep(name, args, out))
               for name in names]
    try:
        with torch.no_grad():
            model.eval()(*variant.example_inputs())
    finally:
        for handle in handles:
            handle.remove()
    return seen


def _first(model: nn.Module, kind: type, test=lambda module: True):
    return next(m for m in model.modules() if isinstance(m, kind) and test(m))


def _lenet(model, variant):
    # LeCun et al. 1998, appendix A: f(a) = 1.7159 tanh(2a/3), so f(1) = 1 and f'(0) = 1.7159 * 2/3.
    a = torch.zeros((), requires_grad=True)
    (slope,) = torch.autograd.grad(1.7159 * torch.tanh(2 * a / 3), a)
    activation = "tanh" if any(isinstance(m, nn.Tanh) for m in model.modules()) else "ReLU"
    return [[f"= {1.7159 * math.tanh(2 / 3):.4f}", f"= {slope.item():.4f}", f"plain {activation}"]]


def _alexnet(model, variant):
    # Krizhevsky et al. 2012, section 3.3: k = 2, n = 5, alpha = 1e-4, beta = 0.75, on all-ones input; PyTorch's
    # LocalResponseNorm as the 2012 model builds it. Section 5: momentum 0.9, learning rate 0.01.
    lrn = _first(resolve("alexnet_paper")[1].build_on_meta(), nn.LocalResponseNorm)
    pytorch = nn.LocalResponseNorm(lrn.size, lrn.alpha, lrn.beta, lrn.k)(torch.ones(1, 96, 1, 1))[0, 48, 0, 0]
    weight = torch.zeros(1, requires_grad=True)
    sgd = torch.optim.SGD([weight], lr=0.01, momentum=0.9)
    for _ in range(300):  # a constant gradient: the step grows to its limit
        before = weight.item()
        weight.grad = torch.ones(1)
        sgd.step()
    step = before - weight.item()
    return [[f"= {(2 + 1e-4 * 5) ** -0.75:.4f}", f"{pytorch.item():.4f}"],
            [f"= -{step:.4g}\\,g", f"{step / 0.01:.0f}x the plain step"]]


def _vgg(model, variant):
    field, jump, fields = 1, 1, []
    for layer in [m for m in model.features if isinstance(m, (nn.Conv2d, nn.MaxPool2d))][:4]:
        kernel, stride = (getattr(layer, name) for name in ("kernel_size", "stride"))
        kernel, stride = (v if isinstance(v, int) else v[0] for v in (kernel, stride))
        field, jump = field + (kernel - 1) * jump, jump * stride  # the notes' recursion
        fields.append(f"= {field}")
    c = [m for m in model.modules() if isinstance(m, nn.Conv2d)][-1].in_channels
    three = counting.parameters(nn.Sequential(*[nn.Conv2d(c, c, 3, bias=False, device="meta") for _ in range(3)]))
    one = counting.parameters(nn.Conv2d(c, c, 7, bias=False, device="meta"))
    return [fields, [f"C = {c}", _latex(three), _latex(one)]]


def _nin(model, variant):
    (c, h, w), _ = _shapes(model, variant, "avgpool")["avgpool"]
    return [[f"H = W = {h}", f"{{{h * w}\\text{{ positions}}", f"{c}\\text{{ maps}}"]]


def _googlenet(model, variant):
    classes = model.fc.out_features
    heads = 1 + sum(name.startswith("aux") for name, _ in model.named_children())
    start = nn.functional.cross_entropy(torch.zeros(1, classes), torch.tensor([0])).item()  # a uniform guess
    return [[f"{start:.3f}", f"{0.3 * (heads - 1) * start:.3f}", f"= {start * (1 + 0.3 * (heads - 1)):.3f}"]]


def _inception(model, variant):
    bn = _first(model, nn.BatchNorm2d)
    normalised = nn.functional.batch_norm(torch.ones(1, 1), torch.zeros(1), torch.ones(1), eps=bn.eps)
    # Szegedy et al. 2015, section 8: RMSProp with decay 0.9, epsilon 1.0, learning rate 0.045 (TensorFlow's form:
    # the step is lr g / sqrt(G + epsilon)).
    decay, epsilon, lr = 0.9, 1.0, 0.045
    classes = [m for m in model.modules() if isinstance(m, nn.Linear)][-1].out_features
    logits = torch.zeros(1, classes, requires_grad=True)  # the smoothed target is softmax minus the gradient
    (gradient,) = torch.autograd.grad(nn.functional.cross_entropy(logits, torch.tensor([0]), label_smoothing=0.1),
                                      logits)
    target = 1 / classes - gradient[0]
    pair = next((m for m in model.modules() if isinstance(m, nn.Conv2d) and m.kernel_size[0] == 1 < m.kernel_size[1]
                 and m.in_channels == m.out_channels), None)
    if pair is None:  # no 1xn convolution: the line shows Inception v3's
        pair = _first(resolve("inception_v3")[1].build_on_meta(), nn.Conv2d,
                      lambda m: m.kernel_size[0] == 1 < m.kernel_size[1] and m.in_channels == m.out_channels)
    n, c = pair.kernel_size[1], pair.in_channels
    return [[f"= {normalised.item():.4f}", f"{bn.num_features} channels", f"{2 * bn.num_features}\\ \\gamma"],
            [f"= {lr / math.sqrt((1 - decay) + epsilon):.4f}"],
            [f"K = {classes}", f"{target[0].item():.4f}", f"{target[1].item():.4f}", f"{0.1 / (classes - 1):.7f}"],
            [f"n = {n}", f"C = {c}", _latex(n * n * c * c), _latex(2 * n * c * c)]]


def _resnet(model, variant):
    stages = [model.get_submodule(f"layer{i}") for i in range(1, 5)]
    (_, (c, h, w)), = _shapes(model, variant, "layer1.1").values()
    projection = _first(stages[1][0], nn.Conv2d, lambda m: m.kernel_size == (1, 1) and m.stride == (2, 2))
    blocks = sum(len(stage) for stage in stages)
    middle = blocks // 2
    line = [f"L = {blocks}", f"p_{{{middle}}}", f"= {1 - middle / blocks * 0.5:g}"]  # Huang et al. 2016: p_L = 0.5
    rates = [m.p for m in model.modules() if type(m).__name__ == "StochasticDepth"]
    if rates:
        line.append(f"{1 - rates[middle - 1]:.4f}")
    convs = counting.parameters(stages[0][1], (nn.Conv2d,))
    width = _first(stages[0][1], nn.Conv2d).in_channels
    return [[f"{c}x{h}x{w}", _latex(c * h * w)],
            [f"{projection.in_channels}\\to{projection.out_channels}", _latex(counting.parameters(projection))],
            line,
            [f"= {_latex(convs)}", _latex(2 * 3 * 3 * width * width)]]


def _preact(model, variant):
    identity = [i for i, block in enumerate(model.layer3) if getattr(block, "shortcut", None) is None]
    last = f"layer3.{len(model.layer3) - 1}"
    (_, (c, h, w)), = _shapes(model, variant, last).values()
    return [[f"out of {last}", f"into layer3.{identity[0]}", f"of {len(identity)} residual", f"{c}x{h}x{w}"]]


def _densenet(model, variant):
    block = model.features.denseblock1
    into = [layer.conv1.in_channels for layer in block.values()]
    growth = block.denselayer1.conv2.out_channels
    return [[f"= {into[-1]}", f"adds }}{growth}", f"block output }}{into[-1] + growth}"],
            [" \\to ".join(map(str, into))]]


def _mobilenet(model, variant):
    depthwise, pointwise = model.features[2][0], model.features[2][3]
    (shape, _), = _shapes(model, variant, "features.2").values()
    standard = nn.Conv2d(depthwise.in_channels, pointwise.out_channels, depthwise.kernel_size, depthwise.stride,
                         depthwise.padding, bias=False)
    ratio = counting.macs(nn.Sequential(depthwise, pointwise), shape) / counting.macs(standard, shape)
    return [[f"N = {pointwise.out_channels}", f"= {ratio:.4f}", f"MACs: }}{ratio:.4f}"]]


def _efficientnet(model, variant):
    # Tan & Le 2019, section 3.3: alpha = 1.2, beta = 1.1, gamma = 1.15 at phi = 1. The formula's 258 px at phi = 1
    # beside the 240 px that EfficientNet-B1 is released at (torchvision's weights).
    size = variant.input_shapes[0][-1]
    released = torchvision.models.EfficientNet_B1_Weights.IMAGENET1K_V1.transforms().crop_size[0]
    return [[f"= {1.2 * 1.1 ** 2 * 1.15 ** 2:.4f}", f"= {size * 1.15:.0f}", f"{size}\\text{{ px",
             f"released: {released} px", f"{model._conv_stem.out_channels}\\text{{ stem filters"]]


def _fractal(model, variant):
    columns = [sum(isinstance(m, nn.Conv2d) for m in column.modules()) for column in model.blocks[0].columns]
    return [[f"C = {len(columns)}", ", ".join(map(str, sorted(columns))), f"= {sum(columns)}",
             f"= {max(columns) * len(model.blocks)}"]]


def _autoencoder(model, variant):
    name = [n for n, m in model.named_modules() if isinstance(m, nn.ConvTranspose2d)][1]
    ((_, _, w_in), (_, _, w_out)), = _shapes(model, variant, name).values()
    with torch.no_grad():
        pixels = math.prod(model(*variant.example_inputs()).shape[1:])
    return [[f"({w_in} - 1)", f"= {w_out}"], [f"= {pixels}", f"\\frac{{1}}{{{pixels}}}"]]


def _siamese(model, variant):
    features = model.head.in_features
    return [[f"1..{features}", _latex(counting.parameters(model.head))]]


EXPECTED = {"lenet5": _lenet, "alexnet": _alexnet, "vgg16": _vgg, "nin": _nin, "googlenet": _googlenet,
            "inception_v3": _inception, "resnet50": _resnet, "preact_resnet": _preact, "densenet121": _densenet,
            "fractalnet": _fractal, "mobilenet_v1": _mobilenet, "efficientnet_lite0": _efficientnet,
            "autoencoder": _autoencoder, "siamese": _siamese}


@pytest.mark.parametrize("key,name", ARCH_VARIANTS, ids=lambda x: str(x))
def test_every_formula_shows_this_models_numbers(key, name):
    """Each worked line holds the numbers worked out here from the model itself (its modules, a forward pass on
    meta, torch's own functions) and the papers' constants."""
    notes = lecture(key)
    lines = worked_numbers.worked(key, summary_of(name))
    assert len(lines) == len(notes.formulas)
    if not notes.formulas:
        return
    variant = resolve(name)[1]
    expected = EXPECTED[key](variant.build_on_meta(), variant)
    assert len(expected) == len(lines)
    for line, numbers in zip(lines, expected):
        assert [number for number in numbers if number not in line] == [], line


def test_efficientnet_compound_scaling_doubles_flops_per_step():
    numbers = worked_numbers.compound()
    assert round(numbers["flops"]) == 2  # Tan & Le 2019, eq. 3: α·β²·γ² ≈ 2
    line = worked_numbers.worked("efficientnet_lite0", summary_of("efficientnet_lite0"))[0]
    assert f"{numbers['flops']:.4f}" in line
    stem = resolve("efficientnet_lite0")[1].build_on_meta()._conv_stem
    assert f"{stem.out_channels}\\text{{ stem filters}}" in line


def test_vgg_two_3x3_replace_a_5x5_with_18_weights_instead_of_25():
    two = nn.Sequential(nn.Conv2d(1, 1, 3, bias=False), nn.Conv2d(1, 1, 3, bias=False))
    assert (counting.parameters(two), counting.parameters(nn.Conv2d(1, 1, 5, bias=False))) == (18, 25)
    last = [m for m in resolve("vgg16")[1].build_on_meta().modules() if isinstance(m, nn.Conv2d)][-1]
    line = worked_numbers.worked("vgg16", summary_of("vgg16"))[1]
    assert "25 \\to 18" in line and f"{last.in_channels}^2" in line
    three = nn.Sequential(*[nn.Conv2d(512, 512, 3, bias=False) for _ in range(3)])
    assert f"{counting.parameters(three):,}".replace(",", "{,}") in line


def test_stochastic_depth_middle_block_from_the_model():
    model = resolve("stochastic_depth_resnet50")[1].build_on_meta()
    rates = [m.p for m in model.modules() if type(m).__name__ == "StochasticDepth"]
    numbers = worked_numbers.stochastic_depth(summary_of("stochastic_depth_resnet50"))
    assert (numbers["L"], numbers["p_L"]) == (len(rates), 1 - rates[-1]) == (16, 0.5)  # Huang et al.: p_L = 0.5
    assert numbers["p_l"] == pytest.approx(1 - 8 / 16 * 0.5)
    assert numbers["model_p_l"] == pytest.approx(1 - rates[7])


def test_bn_inceptions_rmsprop_line_says_it_was_trained_with_sgd():
    """Ioffe & Szegedy 2015, Section 4.2: SGD with momentum; RMSProp came with Inception v3."""
    formulas = [caption for caption, _latex in lecture("inception_v3").formulas]
    line = worked_numbers.worked("inception_v3", summary_of("bn_inception"))[formulas.index("RMSProp")]
    assert line.startswith(r"\text{bn\_inception was trained with SGD with momentum (Ioffe \& Szegedy 2015, "
                           r"Section 4.2), not RMSProp; Inception v3's recipe:}")
    assert "SGD" not in worked_numbers.worked("inception_v3", summary_of("inception_v3"))[formulas.index("RMSProp")]


def test_glossary_and_resnet_story_say_what_the_papers_count():
    """He et al. 2015, Table 1: ResNet-50's "3.8 x 10^9 FLOPs" are multiply-adds (the v1 model's MACs here); the
    ILSVRC 2015 winner was an ensemble of six ResNets (Section 4.1), not one ResNet-152."""
    (departure,) = departures_for("resnet50")
    assert int(departure.build_paper().total_macs / 1e8) / 10 == 3.8
    assert "ResNet-50's '3.8 billion FLOPs' are MACs" in GLOSSARY["FLOPs"]
    assert "which training keeps for the backward pass and inference can free" in GLOSSARY["activations"]
    story = lecture("resnet50").story
    assert "ResNet-152 won" not in story and "An ensemble of six ResNets" in story
    assert "winner's depth" not in lecture("resnet50").variants["resnet152"]


def test_label_smoothing_targets_at_1000_classes():
    k = resolve("inception_v3")[1].build_on_meta().fc.out_features
    targets = worked_numbers.label_smoothing(k)
    assert targets["paper_true"] == pytest.approx(0.9001) and targets["paper_other"] == pytest.approx(0.0001)
    assert targets["paper_true"] + (k - 1) * targets["paper_other"] == pytest.approx(1)
    assert targets["slides_true"] + (k - 1) * targets["slides_other"] == pytest.approx(1)


def test_resnet_bottleneck_parameters_from_the_block():
    block = resolve("resnet50")[1].build_on_meta().layer1[1]
    convs = counting.parameters(block, (nn.Conv2d,))
    assert convs == 64 * 256 + 9 * 64 * 64 + 256 * 64  # He et al. 2016, Figure 5 (right): 1x1, 3x3, 1x1
    line = worked_numbers.worked("resnet50", summary_of("resnet50"))[3]
    assert f"{convs:,}".replace(",", "{,}") in line


def test_densenet_growth_rate_from_the_model():
    block = resolve("densenet121")[1].build_on_meta().features.denseblock1
    into = [layer.conv1.in_channels for layer in block.values()]
    channels, out = worked_numbers.dense_channels(summary_of("densenet121"))
    assert channels == into and out == into[-1] + block.denselayer1.conv2.out_channels == 256
    assert channels[1] - channels[0] == 32  # Huang et al. 2017: DenseNet-121 has k = 32


def test_mobilenet_ratio_uses_the_layers_n_and_torch_counts():
    model = resolve("mobilenet_v1")[1].build_on_meta()
    depthwise, pointwise = model.features[2][0], model.features[2][3]
    numbers = worked_numbers.separable(summary_of("mobilenet_v1"))
    assert numbers["N"] == pointwise.out_channels
    standard = nn.Conv2d(depthwise.in_channels, pointwise.out_channels, 3, 2, 1, bias=False)
    shape = (depthwise.in_channels, 112, 112)
    separable = counting.macs(nn.Sequential(depthwise, pointwise), shape) / counting.macs(standard, shape)
    assert numbers["ratio"] == pytest.approx(separable)


def test_lrn_worked_value_is_what_torch_computes():
    numbers = worked_numbers.lrn_numbers()
    lrn = nn.LocalResponseNorm(numbers["n"], numbers["alpha"], numbers["beta"], numbers["k"])
    assert lrn(torch.ones(1, 96, 1, 1))[0, 48, 0, 0].item() == pytest.approx(numbers["pytorch"], rel=1e-6)


def test_googlenet_starting_loss_is_cross_entropy_of_a_uniform_guess():
    line = worked_numbers.worked("googlenet", summary_of("googlenet"))[0]
    start = nn.functional.cross_entropy(torch.zeros(1, 1000), torch.tensor([0])).item()
    assert f"{start * (1 + 2 * worked_numbers.AUX_LOSS_WEIGHT):.3f}" in line


def test_fractalnet_40_layers_on_the_deepest_path():
    assert worked_numbers.fractal_columns(summary_of("fractalnet40")) == [1, 2, 4, 8]
    assert "= 40" in worked_numbers.worked("fractalnet", summary_of("fractalnet40"))[0]


def test_transposed_output_size_matches_the_trace():
    summary = summary_of("conv_autoencoder")
    row = [r for r in summary.layers if r.type == "ConvTranspose2d"][1]
    assert worked_numbers.worked("autoencoder", summary)[0].endswith(f"= {row.output_shape[-1]}")


# --- jargon defined where it is used (cnnviz.lectures.glossary) ----------------------------------------------


JARGON = ("MACs", "FLOPs", "activations", "groups", "cardinality", "growth rate", "v1.5", "ceil_mode", "jump",
          "logit", "receptive field")


def test_the_courses_jargon_is_defined_in_one_sentence():
    for term in JARGON:
        definition = GLOSSARY[term]
        assert definition.endswith(".") and definition.count(". ") == 0, term


@pytest.mark.parametrize("key", architectures(), ids=str)
def test_every_term_an_architecture_page_uses_is_defined_there(key):
    texts = page_texts(architectures()[key], lecture(key))
    listed = {term for term, _ in architecture_page_terms(texts)}
    words = " ".join(texts).lower()
    assert {t for t in GLOSSARY if t.lower() in words} <= listed
    assert {"MACs", "activations", "groups", "ceil_mode", "jump"} <= listed  # the metrics, table and quiz


def test_resnet_page_defines_v15_and_resnext_page_cardinality():
    assert "v1.5" in {t for t, _ in architecture_page_terms(page_texts(architectures()["resnet50"],
                                                                        lecture("resnet50")))}
    resnext = {t for t, _ in architecture_page_terms(page_texts(architectures()["resnext50_32x4d"],
                                                                lecture("resnext50_32x4d")))}
    assert "cardinality" in resnext
