"""The notes' summary tables, computed: checked against hand formulas, torch's own FLOP counter, torchvision's
published counts and the notes' numbers. Every flagged cell is re-derived here by an independent computation."""

import math
import re
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

import pytest
import torch
import torchvision
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from cnnviz.format import megabytes
from cnnviz.lectures import comparison, ilsvrc
from cnnviz.lectures.comparison import model_profile, notes_vs_ours, reading, summary_table, within_rounding
from cnnviz.zoo.registry import architectures, resolve

MIB = 2**20


def conv(c_in, c_out, k, groups=1):
    """Weights and biases of one convolution."""
    return k * k * c_in // groups * c_out + c_out


def torch_macs(model: nn.Module, size: int, channels: int = 3) -> int:
    """Multiply-accumulates as torch's FLOP counter measures them (2 FLOPs per MAC)."""
    with FlopCounterMode(display=False) as counter:
        model.eval()(torch.zeros(1, channels, size, size, device="meta"))
    return counter.get_total_flops() // 2


def meta(builder, **kwargs) -> nn.Module:
    with torch.device("meta"):
        return builder(weights=None, **kwargs)


# GoogLeNet as in Szegedy et al. 2014, Table 1: (input, #1x1, #3x3 reduce, #3x3, #5x5 reduce, #5x5, pool proj)
INCEPTION = {28: [(192, 64, 96, 128, 16, 32, 32), (256, 128, 128, 192, 32, 96, 64)],
             14: [(480, 192, 96, 208, 16, 48, 64), (512, 160, 112, 224, 24, 64, 64), (512, 128, 128, 256, 24, 64, 64),
                  (512, 112, 144, 288, 32, 64, 64), (528, 256, 160, 320, 32, 128, 128)],
             7: [(832, 256, 160, 320, 32, 128, 128), (832, 384, 192, 384, 48, 128, 128)]}


def googlenet_paper_by_hand() -> dict:
    conv_weights = conv(3, 64, 7) + conv(64, 64, 1) + conv(64, 192, 3)
    conv_macs = 112 * 112 * 64 * 49 * 3 + 56 * 56 * 64 * 64 + 56 * 56 * 192 * 9 * 64
    for size, modules in INCEPTION.items():
        for c, n1, r3, n3, r5, n5, pp in modules:
            conv_weights += conv(c, n1, 1) + conv(c, r3, 1) + conv(r3, n3, 3) + conv(c, r5, 1) + conv(r5, n5, 5) \
                + conv(c, pp, 1)
            conv_macs += size * size * (c * (n1 + r3 + r5 + pp) + 9 * r3 * n3 + 25 * r5 * n5)
    aux = sum(conv(c, 128, 1) + 2048 * 1024 + 1024 + 1024 * 1000 + 1000 for c in (512, 528))
    return {"conv_weights": conv_weights, "conv_macs": conv_macs, "fc_weights": 1024 * 1000 + 1000,
            "total_macs": conv_macs + 1024 * 1000, "aux": aux}


VGG16 = [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"]


def vgg16_by_hand() -> tuple[int, int]:
    weights = macs = 0
    size, c_in = 224, 3
    for item in VGG16:
        if item == "M":
            size //= 2
            continue
        weights += conv(c_in, item, 3)
        macs += size * size * item * 9 * c_in
        c_in = item
    fc = [(25088, 4096), (4096, 4096), (4096, 1000)]
    return weights + sum(i * o + o for i, o in fc), macs + sum(i * o for i, o in fc)


@pytest.fixture(scope="module")
def verdicts():
    return {(v.column, v.row.split(" (")[0]): v for v in notes_vs_ours()}


# ---- profiles against the notes' and independent numbers -----------------------------------------------------

@pytest.mark.parametrize("name, depth, single", [("alexnet", 8, "yes"), ("vgg16", 16, "yes"), ("vgg19", 19, "yes"),
                                                 ("googlenet", 22, "no"), ("resnet34", 34, "no"),
                                                 ("resnet152", 152, "no"), ("densenet121", 121, "no"),
                                                 ("mobilenet_v1", 28, "yes")])
def test_depth_and_single_path_match_the_notes_and_papers(name, depth, single):
    profile = model_profile(name)
    assert (profile.depth, profile.single_path) == (depth, single)


def test_table_ii_layer_counts():
    googlenet, resnet = model_profile("googlenet"), model_profile("resnet50")
    assert (googlenet.conv_layers, googlenet.conv_depth, googlenet.fc_layers) == (57, 21, 1)
    assert (resnet.conv_layers, resnet.conv_depth, resnet.fc_layers) == (53, 49, 1)


def test_vgg16_weights_and_macs_by_hand():
    weights, macs = vgg16_by_hand()
    profile = model_profile("vgg16")
    assert (profile.total_weights, profile.total_macs) == (weights, macs)
    assert profile.conv_weights == 14_714_688 and within_rounding(profile.conv_weights, "14.7M")


def test_paper_alexnet_by_hand_with_two_gpu_groups():
    profile = model_profile("alexnet_paper")
    conv_weights = conv(3, 96, 11) + conv(96, 256, 5, 2) + conv(256, 384, 3) + conv(384, 384, 3, 2) \
        + conv(384, 256, 3, 2)
    conv_macs = 55 * 55 * 96 * 363 + 27 * 27 * 256 * 25 * 48 + 13 * 13 * 384 * 9 * 256 + 13 * 13 * 384 * 9 * 192 \
        + 13 * 13 * 256 * 9 * 192
    assert (profile.conv_weights, profile.conv_macs) == (conv_weights, conv_macs)
    assert profile.total_macs == conv_macs + 9216 * 4096 + 4096 * 4096 + 4096 * 1000 == 724_406_816
    assert profile.channels == "3-256"  # per group: 3, 48, 256, 192, 192, as TABLE II counts them


def test_macs_agree_with_torch_flop_counter():
    for name, builder, size in (("resnet18", torchvision.models.resnet18, 224),
                                ("googlenet", torchvision.models.googlenet, 224),
                                ("densenet121", torchvision.models.densenet121, 224)):
        model = meta(builder, **({"aux_logits": False, "init_weights": False} if name == "googlenet" else {}))
        assert model_profile(name).total_macs == torch_macs(model, size)


def test_summary_table_covers_every_architecture_and_the_notes_variants():
    records = {r["model"]: r for r in summary_table()}
    assert {a.default.name for a in architectures().values()} | {"vgg19", "resnet18", "resnet34"} == set(records)
    for name, record in records.items():
        assert math.isclose(record["MiB"], record["parameters"] * 4 / MIB, abs_tol=0.05)
    # torchvision's published counts (its weights' metadata) are an independent reference
    for name in ("alexnet", "vgg16", "resnet50", "densenet121", "squeezenet1_0", "mobilenet_v2"):
        published = torchvision.models.get_model_weights(name).DEFAULT.meta["num_params"]
        assert records[name]["parameters"] == published


# ---- every flagged cell, re-derived ---------------------------------------------------------------------------

def _reads_as(value: float | str, written: str) -> bool:
    """Whether the notes' cell ``written`` is ``value`` as the notes write numbers: rounded half up or cut off at
    the digits written, in k, M or G (an "MB" cell's value is in MiB already); a cell of words is read as yes
    (是), no (否), a range of layers ("非常深(34-152 层)") or as written without spaces and with x for ×."""
    number = re.fullmatch(r"([\d.]+)\s*([kMG]?)(B?)", written.strip())
    if number and not isinstance(value, str):
        digits, prefix, mib = number.groups()
        places = len(digits.partition(".")[2])
        scaled = Decimal(repr(value)) / Decimal(10) ** (0 if mib else {"": 0, "k": 3, "M": 6, "G": 9}[prefix])
        step = Decimal(1).scaleb(-places)
        return Decimal(digits) in {scaled.quantize(step, ROUND_HALF_UP), scaled.quantize(step, ROUND_DOWN)}
    answers = re.findall("[是否]", written)
    layers = re.search(r"\(([\d-]+) 层\)", written)
    text = ("yes" if answers[-1] == "是" else "no") if answers else layers[1] if layers else \
        written.replace("×", "x").replace(" ", "")
    return str(value) == text


def find(verdicts, column, row):
    return verdicts[(column, row)]


def test_every_verdict_follows_from_its_readings_and_the_notes_cell(verdicts):
    """Each of the notes' cells is flagged exactly when our default model's number does not read as it, and the
    reading it names instead is the first that does; the numbers themselves are checked above and below."""
    assert len(verdicts) == len(notes_vs_ours())  # one cell per (column, row): ``find`` is unambiguous
    for key, verdict in verdicts.items():
        agreeing = [label for label, value in verdict.values if _reads_as(value, verdict.written)]
        assert verdict.matched == (agreeing[0] if agreeing else None), key
        assert verdict.flagged == (verdict.values[0][0] not in agreeing), key
        assert bool(verdict.reason) or not verdict.flagged, key
    # The rule itself, on cells worked out by hand: 25,557,032 is "25.5M" cut off, 232.56 MiB is "233 MB" rounded.
    assert _reads_as(25_557_032, "25.5M") and _reads_as(232.56, "233 MB") and _reads_as("16-19", "深 (16-19 层)")
    assert not _reads_as(15_470_264_320, "16 G") and not _reads_as(30.44, "31 MB") and not _reads_as("no", "(V3)是")


def test_small_kernels_resnet_densenet_have_a_7x7_stem_inception_v3_has_1x7_and_5x5(verdicts):
    for builder in (torchvision.models.resnet34, torchvision.models.densenet121):
        kernels = [m.kernel_size for m in meta(builder).modules() if isinstance(m, nn.Conv2d)]
        assert kernels[0] == (7, 7) and all(max(k) <= 3 for k in kernels[1:])
    inception = meta(torchvision.models.inception_v3, aux_logits=False, init_weights=False)
    sizes = {k for m in inception.modules() if isinstance(m, nn.Conv2d) for k in m.kernel_size}
    assert {5, 7} <= sizes
    assert find(verdicts, "ResNet", "用了小").matched.endswith("after its stem")
    assert find(verdicts, "GoogLeNet V3", "用了小").matched is None


def test_densenet264_has_265_layers(verdicts):
    assert 1 + 2 * sum((6, 12, 64, 48)) + 3 + 1 == reading("densenet264").depth == 265
    assert find(verdicts, "DenseNet", "深度?").values[0][1] == "121-265"


def test_alexnet_727m_and_vgg16_16g_are_not_roundings(verdicts):
    torchvision_alexnet = torch_macs(meta(torchvision.models.alexnet), 224)
    assert not within_rounding(torchvision_alexnet, "727 M") and not within_rounding(724_406_816, "727 M")
    _, vgg_macs = vgg16_by_hand()
    assert round(vgg_macs / 1e9) == 15 and not within_rounding(vgg_macs, "16 G") and within_rounding(vgg_macs, "15.5G")
    assert find(verdicts, "AlexNet", "MACs").matched is None and find(verdicts, "VGG-16", "MACs").matched is None


def test_googlenet_51_mb_counts_the_auxiliary_classifiers(verdicts):
    hand = googlenet_paper_by_hand()
    paper = reading("googlenet_paper")
    without_aux = hand["conv_weights"] + hand["fc_weights"]  # no batch norm in the paper
    assert (paper.conv_weights, paper.total_weights, paper.total_macs) == (hand["conv_weights"], without_aux,
                                                                             hand["total_macs"])
    assert round((without_aux + hand["aux"]) * 4 / MIB) == 51 and round(megabytes(without_aux)) == 27
    assert reading("googlenet_paper_aux").total_weights == without_aux + hand["aux"]
    torchvision_with_aux = sum(p.numel() for p in meta(torchvision.models.googlenet, aux_logits=True,
                                                        init_weights=False).parameters())
    assert round(torchvision_with_aux * 4 / MIB) == 50
    assert "auxiliary" in find(verdicts, "GoogLeNet", "参数量").matched


def test_googlenet_table_ii_macs_are_not_reproduced_but_its_weights_and_2g_are_the_papers(verdicts):
    hand = googlenet_paper_by_hand()
    torchvision_macs = torch_macs(meta(torchvision.models.googlenet, aux_logits=False, init_weights=False), 224)
    for macs in (hand["conv_macs"], hand["total_macs"], torchvision_macs):
        assert not within_rounding(macs, "1.43G")
    assert within_rounding(hand["conv_weights"], "6.0M") and within_rounding(hand["total_macs"], "2 G")
    assert not within_rounding(torchvision_macs, "2 G")
    torchvision_kernels = {k for m in meta(torchvision.models.googlenet, init_weights=False).modules()
                           if isinstance(m, nn.Conv2d) for k in m.kernel_size}
    assert torchvision_kernels == {1, 3, 7}
    assert find(verdicts, "GoogLeNet v1", "CONV · MACs").matched is None
    assert find(verdicts, "GoogLeNet v1", "Filter Sizes").matched.startswith("GoogLeNet as published")


def test_densenet121_31_mb_counts_batch_norm_statistics(verdicts):
    features, channels = 64, 64  # norm0
    for index, layers in enumerate((6, 12, 24, 16)):
        features += sum(channels + 32 * i + 128 for i in range(layers))  # norm1 (input) and norm2 (4k = 128)
        channels += 32 * layers
        if index < 3:
            features += channels  # transition norm
            channels //= 2
    features += channels  # norm5
    params = model_profile("densenet121").total_weights
    assert round(params * 4 / MIB) == 30 and round((params + 2 * features) * 4 / MIB) == 31
    assert reading("densenet121_bn_stats").total_weights == params + 2 * features
    assert find(verdicts, "DenseNet-121", "参数量").matched.startswith("DenseNet-121 counting")


def test_resnet50_3_86g_is_v1_with_the_stride_on_the_first_1x1(verdicts):
    model = meta(torchvision.models.resnet50)
    v15 = torch_macs(model, 224)
    for layer in (model.layer2, model.layer3, model.layer4):
        layer[0].conv1.stride, layer[0].conv2.stride = (2, 2), (1, 1)
    v1 = torch_macs(model, 224)
    assert v1 == reading("resnet50_v1").total_macs and v15 == model_profile("resnet50").total_macs
    assert within_rounding(v1, "3.9G") and not within_rounding(v15, "3.9G")
    assert within_rounding(v1 - 2048 * 1000, "3.86G") and not within_rounding(v15 - 2048 * 1000, "3.86G")
    assert find(verdicts, "ResNet 50", "Total MACs").matched.startswith("ResNet-50 as published (v1")


def test_lenet_column_mixes_caffes_lenet_with_lenet5(verdicts):
    caffe_weights = conv(1, 20, 5) + conv(20, 50, 5) + 800 * 500 + 500 + 500 * 10 + 10
    lenet5_conv = conv(1, 6, 5) + conv(6, 16, 5)  # C1 and C3; C5 counts as FC in TABLE II
    sparse_fc = conv(16, 120, 5) + 120 * 84 + 84  # C5 and F6; the RBF output had fixed weights
    assert reading("caffe_lenet").total_weights == caffe_weights
    assert within_rounding(lenet5_conv, "2.6k") and not within_rounding(conv(1, 20, 5) + conv(20, 50, 5), "2.6k")
    assert within_rounding(sparse_fc, "58k") and not within_rounding(sparse_fc + 84 * 10 + 10, "58k")
    sparse_c3 = 6 * conv(3, 1, 5) + 9 * conv(4, 1, 5) + conv(6, 1, 5)
    assert within_rounding(conv(1, 6, 5) + sparse_c3 + sparse_fc, "60k")
    c1, c3 = 28 * 28 * 6 * 25, 10 * 10 * 16 * 150
    caffe_conv_macs = 24 * 24 * 20 * 25 + 8 * 8 * 50 * 500
    for macs in (c1 + c3, c1 + c3 * 60 // 96, caffe_conv_macs):
        assert not within_rounding(macs, "283k")
    for cell in ("Input Size", "# of Channels", "# of Filters"):
        assert find(verdicts, "LeNet 5", cell).matched.startswith("Caffe's MNIST LeNet")
    assert not find(verdicts, "LeNet 5", "CONV · Weights").flagged


# ---- rounding rule, ILSVRC data and charts ---------------------------------------------------------------------

def test_within_rounding_accepts_rounding_and_truncation_only():
    assert within_rounding(25_557_032, "25.5M")  # truncated
    assert within_rounding(232.56, "233 MB") and within_rounding(44.59, "45 MB")
    assert not within_rounding(30.44, "31 MB") and not within_rounding(1.498e9, "2 G")
    assert comparison.parse_number("3.86G") == (3.86e9, pytest.approx(0.01e9))


def test_ilsvrc_figure_has_labelled_axes_and_the_human_line():
    figure = ilsvrc.ilsvrc_figure({"resnet152": model_profile("resnet152").depth})
    assert figure.layout.xaxis.title.text == "ILSVRC year" and "(%)" in figure.layout.yaxis.title.text
    winners = {e.year: e.top5_error for e in ilsvrc.RESULTS if e.place == 1}
    assert winners == {2010: 28.2, 2011: 25.8, 2012: 16.4, 2013: 11.7, 2014: 6.67, 2015: 3.57, 2016: 2.99,
                       2017: 2.25}
    human = [t for t in figure.data if t.name.startswith("human")][0]
    assert set(human.y) == {5.1}
    assert "152 layers" in " ".join(figure.data[0].text)


@pytest.mark.parametrize("arch", architectures().values(), ids=lambda a: a.key)
def test_every_architecture_with_a_result_shows_the_tables_numbers(arch):
    entries = [e for e in ilsvrc.RESULTS if e.architecture == arch.key]
    line = ilsvrc.ilsvrc_line(arch.key)
    assert len(entries) <= 1, "one result per architecture page"
    if not entries:
        assert line is None
    for entry in entries:
        assert line.startswith(f"ILSVRC {entry.year} ") and f" {entry.top5_error}% top-5 error" in line
        assert ("winner" in line) == (entry.place == 1)


def test_inception_v3_line_is_googles_ilsvrc_2015_entry_second_to_msra():
    """Google's 'ReCeption' entry, the Inception v3 paper's 4-model ensemble, was second in ILSVRC 2015
    classification with 3.58% (the paper's Table 5 figure, on the test set) behind MSRA's 3.57%."""
    line = ilsvrc.ilsvrc_line("inception_v3")
    assert line.startswith("ILSVRC 2015 runner-up (ReCeption): 3.58% top-5 error") and "Not an" not in line
    assert "second to MSRA (ResNet) with 3.57%" in line
    (entry,) = [e for e in ilsvrc.RESULTS if e.architecture == "inception_v3"]
    assert entry.top5_error == ilsvrc.ENSEMBLES["inception_v3"].test


def test_zfnet_line_tells_the_competition_entry_from_the_papers_result():
    """Clarifai won ILSVRC 2013 with 11.7%; Zeiler & Fergus 2014, Table 2 gives the paper's best test top-5, 14.8%."""
    line = ilsvrc.ilsvrc_line("zfnet")
    assert "11.7% top-5 error (Clarifai's competition entry" in line
    assert "paper's own best result is 14.8% top-5 error" in line and "Table 2" in line


def test_ilsvrc_results_name_registry_pages_and_models_of_the_same_architecture():
    pages = architectures()
    for entry in ilsvrc.RESULTS:
        assert entry.architecture is None or entry.architecture in pages, entry
        if entry.model and entry.architecture:
            assert entry.model in pages[entry.architecture].variant_names, entry
    variants = {v.name for arch in pages.values() for v in arch.variants}
    assert set(ilsvrc.ENSEMBLES) <= variants


def test_architecture_page_shows_the_ilsvrc_line():
    from tests.conftest import open_page

    app = open_page("pages/zfnet.py")
    assert [box.value for box in app.info if "ILSVRC" in box.value] == [ilsvrc.ilsvrc_line("zfnet")]


def test_accuracy_points_use_published_top1_and_our_counts():
    points = {p["model"]: p for p in ilsvrc.accuracy_points()}
    tv_variants = {v.name for a in architectures().values() for v in a.variants if v.torchvision_weights}
    assert set(points) == tv_variants
    meta_resnet = torchvision.models.ResNet50_Weights.IMAGENET1K_V1.meta
    assert points["resnet50"]["top-1 (%)"] == meta_resnet["_metrics"]["ImageNet-1K"]["acc@1"]
    assert points["resnet50"]["GMACs"] == pytest.approx(meta_resnet["_ops"], abs=5e-4)
    assert points["resnet50"]["parameters"] == meta_resnet["num_params"]
    figure = ilsvrc.accuracy_figure(list(points.values()))
    assert "MACs" in figure.layout.xaxis.title.text and "top-1" in figure.layout.yaxis.title.text
    assert sum(len(t.x) for t in figure.data) == len(points)


@pytest.mark.parametrize("name", ["googlenet", "inception_v3"])
def test_compared_parameters_are_the_inference_model_with_training_only_heads_apart(name):
    """torchvision's builder without its auxiliary heads is the model that runs at inference."""
    builder = getattr(torchvision.models, name)
    inference = sum(p.numel() for p in meta(builder, aux_logits=False, init_weights=False).parameters())
    everything = sum(p.numel() for p in meta(builder, aux_logits=True, init_weights=False).parameters())
    record = next(r for r in summary_table() if r["model"] == name)
    assert (record["parameters"], record["training-only parameters"]) == (inference, everything - inference)
    point = next(p for p in ilsvrc.accuracy_points() if p["model"] == name)
    assert point["parameters"] == inference


def test_compare_page_reads_each_models_input_size_from_the_registry():
    from tests.conftest import open_link

    app = open_link("compare-architectures", tab="accuracy")
    (caption,) = [c.value for c in app.caption if "counted at its own input size" in c.value]
    side = resolve("inception_v3")[1].input_size
    assert f"inception_v3 runs at {side}x{side}." in caption
    assert f"{resolve('alexnet')[1].input_size}x" in caption


def test_receptive_field_growth_marks_the_input_size_the_models_are_traced_at():
    from tests.conftest import open_page

    app = open_page("pages/lab-receptive-field.py")
    app.session_state["lab_rf_tab"] = "Growth across models"
    app.run()
    app.multiselect(key="lab_rf_growth_models").set_value(["lenet5", "alexnet_paper", "inception_v3",
                                                            "lenet5_relu"]).run()
    assert not app.exception
    lenet, alexnet, inception = (resolve(m)[1].input_size for m in ("lenet5", "alexnet_paper", "inception_v3"))
    captions = " ".join(c.value for c in app.caption)
    assert f"larger than the {lenet}x{lenet} input" in captions
    assert f"inception_v3 is traced at its own input size, {inception}x{inception}" in captions
    assert f"alexnet_paper is traced at its own input size, {alexnet}x{alexnet}" in captions
