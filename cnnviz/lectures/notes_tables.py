"""The summary tables of the notes' slides ("CNN 架构总结", notes file 004), exactly as printed.

Data only; ``cnnviz.lectures.comparison`` computes each cell. A column lists the readings of it that we compute, the
first being our default model; a reading is ``"model"``, ``"model+model"`` (a range such as "16-19 layers")
or either with ``":row=attribute"``: a reading of that row only, from another attribute of the profile. ``why`` explains a cell whose
number our default model does not give; its ``{reading.attribute}`` fields are filled in from computation.

The tables' titles, rows and cells are quotes: shown as printed with a translation beside them
(``cnnviz.lectures.course_notes.quoted``); an English quote is its own msgid, a Chinese one has its English
translation (``english``, ``WRITTEN``). Labels and explanations are msgids, translated where shown.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cnnviz.i18n import N_

LABELS = {
    "lenet5": N_("LeNet-5 as built here (full C3)"),
    "lenet5_paper": N_("LeNet-5 as published (sparse C3; the untrained RBF output layer left out)"),
    "caffe_lenet": N_("Caffe's MNIST LeNet (20 and 50 filters, 28x28 input)"),
    "alexnet": N_("torchvision AlexNet (224x224)"),
    "alexnet_paper": N_("AlexNet as in the 2012 paper (227x227, two GPU groups)"),
    "vgg16": "VGG-16", "vgg19": "VGG-19",
    "googlenet": N_("torchvision GoogLeNet (3x3 in the '5x5' branch)"),
    "googlenet_aux": N_("torchvision GoogLeNet with its two auxiliary classifiers"),
    "googlenet_paper": N_("GoogLeNet as published (5x5 branches, no batch norm)"),
    "googlenet_paper_aux": N_("GoogLeNet as published, with its two auxiliary classifiers"),
    "inception_v3": "Inception v3",
    "resnet18": "ResNet-18", "resnet34": "ResNet-34", "resnet152": "ResNet-152",
    "resnet50": N_("torchvision ResNet-50 (v1.5: stride 2 on the 3x3)"),
    "resnet50_v1": N_("ResNet-50 as published (v1: stride 2 on the first 1x1)"),
    "densenet121": "DenseNet-121", "densenet264": "DenseNet-264",
    "densenet121_bn_stats": N_("DenseNet-121 counting batch norm's running mean and variance"),
}

# The Chinese cells of the structure table, in English; the other cells are numbers, the same in every language.
WRITTEN = {"是": N_("yes"), "否": N_("no"), "浅 (8 层)": N_("shallow (8 layers)"),
           "深 (16-19 层)": N_("deep (16-19 layers)"), "(V1, V2, V4)否": N_("(V1, V2, V4) no"),
           "(V3)是": N_("(V3) yes"), "更深 (22 层)": N_("deeper (22 layers)"),
           "非常深(34-152 层)": N_("very deep (34-152 layers)"),
           "非常深(121-264 层)": N_("very deep (121-264 layers)")}


@dataclass(frozen=True)
class Column:
    name: str
    readings: tuple[str, ...]
    written: tuple[str, ...]  # one cell per row of the table


@dataclass(frozen=True)
class Table:
    title: str  # as printed
    english: str  # the title's English translation ("": the title is English, its own msgid)
    part: str  # which of the notes' tables of that title (a msgid; "" if one)
    rows: tuple[tuple[str, str, str], ...]  # (row as printed, its English translation or "", profile attribute)
    columns: tuple[Column, ...]
    why: dict[tuple[str, str], str]  # (column, row's attribute) -> explanation (a msgid)
    parts: dict[str, str] = field(default_factory=dict)  # row's attribute -> the part of the table it is printed in


_SUMMARY = "CNN 架构总结"
_SUMMARY_ENGLISH = N_("summary of CNN architectures")
STRUCTURE = Table(
    _SUMMARY, _SUMMARY_ENGLISH, N_("structure"),
    (("单一路径?", N_("single path?"), "single_path"),
     ("用了小 (k ≤ 3) 卷积内核", N_("uses small (k ≤ 3) kernels?"), "small_kernels"),
     ("深度?", N_("depth in layers?"), "depth")),
    (Column("AlexNet", ("alexnet", "alexnet_paper"), ("是", "否", "浅 (8 层)")),
     Column("VGG", ("vgg16+vgg19",), ("是", "是", "深 (16-19 层)")),
     Column("GoogLeNet", ("googlenet",), ("否", "(V1, V2, V4)否", "更深 (22 层)")),
     Column("GoogLeNet V3", ("inception_v3", "inception_v3:small_kernels=small_after_stem"), ("", "(V3)是", "")),
     Column("ResNet", ("resnet34+resnet152", "resnet34+resnet152:small_kernels=small_after_stem"), ("否", "是", "非常深(34-152 层)")),
     Column("DenseNet", ("densenet121+densenet264", "densenet121+densenet264:small_kernels=small_after_stem"),
            ("否", "是", "非常深(121-264 层)"))),
    {("ResNet", "small_kernels"): N_("Every convolution after the {resnet34.largest_kernel}x{resnet34.largest_kernel} "
                            "stem is 1x1 or 3x3."),
     ("DenseNet", "small_kernels"): N_("Every convolution after the {densenet121.largest_kernel}x"
                              "{densenet121.largest_kernel} stem is 1x1 or 3x3."),
     ("DenseNet", "depth"):
         N_("DenseNet-264's blocks of (6, 12, 64, 48) layers, two convolutions each, plus the stem, three transition "
            "layers and the classifier make {densenet264.depth} layers: the name (the paper's) is one off."),
     ("GoogLeNet V3", "small_kernels"):
         N_("Inception v3 factorises 7x7 into 1x7 and 7x1 and keeps 5x5 branches: its filter sizes are "
            "{inception_v3.filter_sizes} (largest {inception_v3.largest_kernel}).")},
)

SIZES = Table(
    _SUMMARY, _SUMMARY_ENGLISH, N_("size"),
    (("参数量", N_("parameters, in MB"), "mib"), ("MACs", N_("multiply-accumulates"), "total_macs")),
    (Column("AlexNet", ("alexnet", "alexnet_paper"), ("233 MB", "727 M")),
     Column("VGG-16", ("vgg16",), ("528 MB", "16 G")),
     Column("VGG-19", ("vgg19",), ("548 MB", "20 G")),
     Column("GoogLeNet", ("googlenet", "googlenet_aux", "googlenet_paper", "googlenet_paper_aux"), ("51 MB", "2 G")),
     Column("ResNet-18", ("resnet18",), ("45 MB", "2 G")),
     Column("ResNet-34", ("resnet34",), ("83 MB", "4 G")),
     Column("DenseNet-121", ("densenet121", "densenet121_bn_stats"), ("31 MB", "3 G"))),
    {("AlexNet", "total_macs"): N_("torchvision's AlexNet takes {alexnet.total_macs:,} MACs at 224x224 and the paper's "
                             "{alexnet_paper.total_macs:,} at 227x227 (TABLE II's 724 M); neither rounds to 727 M, "
                             "and this table's 224x224 input cannot give the paper's 55x55 first layer."),
     ("VGG-16", "total_macs"): N_("{vgg16.total_macs:,} MACs is {vgg16.gmacs:.2f} G: {vgg16.gmacs:.0f} G in whole G, "
                            "not 16 (TABLE II has it right: 15.5 G)."),
     ("GoogLeNet", "mib"):
         N_("The 51 MB counts the two training-only auxiliary classifiers ({googlenet_paper_aux.aux_weights:,} "
            "parameters). Without them GoogLeNet needs {googlenet_paper.mib:.1f} MiB as published and "
            "{googlenet.mib:.1f} MiB in torchvision."),
     ("GoogLeNet", "total_macs"): N_("torchvision's 3x3 in the '5x5' branch brings it down to {googlenet.gmacs:.2f} G, "
                               "which would round to {googlenet.gmacs:.0f} G."),
     ("DenseNet-121", "mib"):
         N_("The parameters alone take {densenet121.mib:.2f} MiB; frameworks that store batch norm's running "
            "statistics with the weights get {densenet121_bn_stats.mib:.2f} MiB.")},
)

_MIX = N_("TABLE II's LeNet column mixes two networks: its filters, channels and input size are Caffe's MNIST "
          "LeNet ({caffe_lenet.filters} filters, {caffe_lenet.total_weights:,} weights), its weights LeNet-5's.")
_V1 = N_("torchvision's ResNet-50 is v1.5, with stride 2 on the 3x3 convolution: {resnet50.gmacs:.2f} G. The "
         "paper's v1 strides on the first 1x1 ({resnet50_v1.gmacs:.2f} G), with the same weights.")
_GOOGLENET_MACS = N_("GoogLeNet's convolutions take {googlenet_paper.conv_macs:,} MACs as published and "
                     "{googlenet.conv_macs:,} in torchvision; 1.43 G matches neither.")
# TABLE II is printed in English: each row is its own msgid. Its "Weights" and "MACs" rows are printed twice, in
# the table's CONV part and in its FC part.
TABLE_II = Table(
    N_("TABLE II"), "", "",
    ((N_("Input Size"), "", "input"), (N_("# of CONV Layers"), "", "conv_layers"),
     (N_("Depth in # of CONV Layers"), "", "conv_depth"), (N_("Filter Sizes"), "", "filter_sizes"),
     (N_("# of Channels"), "", "channels"), (N_("# of Filters"), "", "filters"), (N_("Stride"), "", "strides"),
     (N_("Weights"), "", "conv_weights"), (N_("MACs"), "", "conv_macs"),
     (N_("# of FC Layers"), "", "fc_layers"), (N_("Weights"), "", "fc_weights"), (N_("MACs"), "", "fc_macs"),
     (N_("Total Weights"), "", "total_weights"), (N_("Total MACs"), "", "total_macs")),
    (Column("LeNet 5", ("lenet5", "lenet5_paper", "caffe_lenet"),
            ("28×28", "2", "2", "5", "1, 20", "20, 50", "1", "2.6k", "283k", "2", "58k", "58k", "60k", "341k")),
     Column("AlexNet", ("alexnet_paper", "alexnet"),
            ("227×227", "5", "5", "3,5,11", "3-256", "96-384", "1,4", "2.3M", "666M", "3", "58.6M", "58.6M", "61M",
             "724M")),
     Column("VGG 16", ("vgg16",),
            ("224×224", "13", "13", "3", "3-512", "64-512", "1", "14.7M", "15.3G", "3", "124M", "124M", "138M",
             "15.5G")),
     Column("GoogLeNet v1", ("googlenet", "googlenet_paper"),
            ("224×224", "57", "21", "1,3,5,7", "3-832", "16-384", "1,2", "6.0M", "1.43G", "1", "1M", "1M", "7M",
             "1.43G")),
     Column("ResNet 50", ("resnet50", "resnet50_v1"),
            ("224×224", "53", "49", "1,3,7", "3-2048", "64-2048", "1,2", "23.5M", "3.86G", "1", "2M", "2M", "25.5M",
             "3.9G"))),
    {("LeNet 5", "input"): _MIX, ("LeNet 5", "channels"): _MIX, ("LeNet 5", "filters"): _MIX,
     ("LeNet 5", "conv_macs"): N_("C1 and C3 take {lenet5.conv_macs:,} MACs (full C3) or "
                                  "{lenet5_paper.conv_macs:,} (the paper's sparse C3); Caffe's LeNet "
                                  "{caffe_lenet.conv_macs:,}. None gives 283k."),
     ("LeNet 5", "total_macs"): N_("283k + 58k from the table's own rows; the networks give {lenet5.total_macs:,}, "
                                   "{lenet5_paper.total_macs:,} and {caffe_lenet.total_macs:,}."),
     ("LeNet 5", "fc_layers"): N_("LeNet-5's output layer was RBF units with fixed weights; the table counts "
                                       "C5 (a 5x5 convolution on a 5x5 map: fully connected) and F6."),
     ("GoogLeNet v1", "filter_sizes"): N_("torchvision uses 3x3 where the paper's '5x5' branch has 5x5."),
     ("GoogLeNet v1", "conv_weights"): N_("torchvision's 3x3 in the '5x5' branch has fewer: "
                                          "{googlenet.conv_weights:,}."),
     ("GoogLeNet v1", "conv_macs"): _GOOGLENET_MACS, ("GoogLeNet v1", "total_macs"): _GOOGLENET_MACS,
     ("ResNet 50", "conv_macs"): _V1, ("ResNet 50", "total_macs"): _V1},
    {"conv_weights": "CONV", "conv_macs": "CONV", "fc_weights": "FC", "fc_macs": "FC"},
)

TABLES = (STRUCTURE, SIZES, TABLE_II)
