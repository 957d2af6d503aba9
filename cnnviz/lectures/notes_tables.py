"""The summary tables of the notes' slides ("CNN 架构总结", notes file 004), exactly as printed.

Data only; ``cnnviz.lectures.comparison`` computes each cell. A column lists the readings of it that we compute, the
first being our default model; a reading is ``"model"``, ``"model+model"`` (a range such as "16-19 layers")
or either with ``":row=attribute"``: a reading of that row only, from another attribute of the profile. ``why`` explains a cell whose
number our default model does not give; its ``{reading.attribute}`` fields are filled in from computation.
"""

from __future__ import annotations

from dataclasses import dataclass

LABELS = {
    "lenet5": "LeNet-5 as built here (full C3)",
    "lenet5_paper": "LeNet-5 as published (sparse C3; the untrained RBF output layer left out)",
    "caffe_lenet": "Caffe's MNIST LeNet (20 and 50 filters, 28x28 input)",
    "alexnet": "torchvision AlexNet (224x224)",
    "alexnet_paper": "AlexNet as in the 2012 paper (227x227, two GPU groups)",
    "vgg16": "VGG-16", "vgg19": "VGG-19",
    "googlenet": "torchvision GoogLeNet (3x3 in the '5x5' branch)",
    "googlenet_aux": "torchvision GoogLeNet with its two auxiliary classifiers",
    "googlenet_paper": "GoogLeNet as published (5x5 branches, no batch norm)",
    "googlenet_paper_aux": "GoogLeNet as published, with its two auxiliary classifiers",
    "inception_v3": "Inception v3",
    "resnet18": "ResNet-18", "resnet34": "ResNet-34", "resnet152": "ResNet-152",
    "resnet50": "torchvision ResNet-50 (v1.5: stride 2 on the 3x3)",
    "resnet50_v1": "ResNet-50 as published (v1: stride 2 on the first 1x1)",
    "densenet121": "DenseNet-121", "densenet264": "DenseNet-264",
    "densenet121_bn_stats": "DenseNet-121 counting batch norm's running mean and variance",
}


@dataclass(frozen=True)
class Column:
    name: str
    readings: tuple[str, ...]
    written: tuple[str, ...]  # one cell per row of the table


@dataclass(frozen=True)
class Table:
    title: str
    rows: tuple[tuple[str, str], ...]  # (row as printed, profile attribute)
    columns: tuple[Column, ...]
    why: dict[tuple[str, str], str]  # (column, row) -> explanation


_STEM = "Every convolution after the {resnet34.largest_kernel}x{resnet34.largest_kernel} stem is 1x1 or 3x3."
STRUCTURE = Table(
    "CNN 架构总结 (structure)",
    (("单一路径? (single path?)", "single_path"), ("用了小 (k ≤ 3) 卷积内核 (small kernels?)", "small_kernels"),
     ("深度? (depth, layers)", "depth")),
    (Column("AlexNet", ("alexnet", "alexnet_paper"), ("是", "否", "浅 (8 层)")),
     Column("VGG", ("vgg16+vgg19",), ("是", "是", "深 (16-19 层)")),
     Column("GoogLeNet", ("googlenet",), ("否", "(V1, V2, V4)否", "更深 (22 层)")),
     Column("GoogLeNet V3", ("inception_v3", "inception_v3:small_kernels=small_after_stem"), ("", "(V3)是", "")),
     Column("ResNet", ("resnet34+resnet152", "resnet34+resnet152:small_kernels=small_after_stem"), ("否", "是", "非常深(34-152 层)")),
     Column("DenseNet", ("densenet121+densenet264", "densenet121+densenet264:small_kernels=small_after_stem"),
            ("否", "是", "非常深(121-264 层)"))),
    {("ResNet", "用了小 (k ≤ 3) 卷积内核 (small kernels?)"): _STEM,
     ("DenseNet", "用了小 (k ≤ 3) 卷积内核 (small kernels?)"): _STEM.replace("resnet34", "densenet121"),
     ("DenseNet", "深度? (depth, layers)"):
         "DenseNet-264's blocks of (6, 12, 64, 48) layers, two convolutions each, plus the stem, three transition "
         "layers and the classifier make {densenet264.depth} layers: the name (the paper's) is one off.",
     ("GoogLeNet V3", "用了小 (k ≤ 3) 卷积内核 (small kernels?)"):
         "Inception v3 factorises 7x7 into 1x7 and 7x1 and keeps 5x5 branches: its filter sizes are "
         "{inception_v3.filter_sizes} (largest {inception_v3.largest_kernel})."},
)

SIZES = Table(
    "CNN 架构总结 (size)",
    (("参数量 (parameters, MB)", "mib"), ("MACs", "total_macs")),
    (Column("AlexNet", ("alexnet", "alexnet_paper"), ("233 MB", "727 M")),
     Column("VGG-16", ("vgg16",), ("528 MB", "16 G")),
     Column("VGG-19", ("vgg19",), ("548 MB", "20 G")),
     Column("GoogLeNet", ("googlenet", "googlenet_aux", "googlenet_paper", "googlenet_paper_aux"), ("51 MB", "2 G")),
     Column("ResNet-18", ("resnet18",), ("45 MB", "2 G")),
     Column("ResNet-34", ("resnet34",), ("83 MB", "4 G")),
     Column("DenseNet-121", ("densenet121", "densenet121_bn_stats"), ("31 MB", "3 G"))),
    {("AlexNet", "MACs"): "torchvision's AlexNet takes {alexnet.total_macs:,} MACs at 224x224 and the paper's "
                          "{alexnet_paper.total_macs:,} at 227x227 (TABLE II's 724 M); neither rounds to 727 M, "
                          "and this table's 224x224 input cannot give the paper's 55x55 first layer.",
     ("VGG-16", "MACs"): "{vgg16.total_macs:,} MACs is {vgg16.gmacs:.2f} G: {vgg16.gmacs:.0f} G in whole G, "
                         "not 16 (TABLE II has it right: 15.5 G).",
     ("GoogLeNet", "参数量 (parameters, MB)"):
         "The 51 MB counts the two training-only auxiliary classifiers ({googlenet_paper_aux.aux_weights:,} "
         "parameters). Without them GoogLeNet needs {googlenet_paper.mib:.1f} MiB as published and "
         "{googlenet.mib:.1f} MiB in torchvision.",
     ("GoogLeNet", "MACs"): "torchvision's 3x3 in the '5x5' branch brings it down to {googlenet.gmacs:.2f} G, "
                            "which would round to {googlenet.gmacs:.0f} G.",
     ("DenseNet-121", "参数量 (parameters, MB)"):
         "The parameters alone take {densenet121.mib:.2f} MiB; frameworks that store batch norm's running "
         "statistics with the weights get {densenet121_bn_stats.mib:.2f} MiB."},
)

_MIX = ("TABLE II's LeNet column mixes two networks: its filters, channels and input size are Caffe's MNIST "
        "LeNet ({caffe_lenet.filters} filters, {caffe_lenet.total_weights:,} weights), its weights LeNet-5's.")
_V1 = ("torchvision's ResNet-50 is v1.5, with stride 2 on the 3x3 convolution: {resnet50.gmacs:.2f} G. The paper's "
       "v1 strides on the first 1x1 ({resnet50_v1.gmacs:.2f} G), with the same weights.")
_GOOGLENET_MACS = ("GoogLeNet's convolutions take {googlenet_paper.conv_macs:,} MACs as published and "
                   "{googlenet.conv_macs:,} in torchvision; 1.43 G matches neither.")
TABLE_II = Table(
    "TABLE II",
    (("Input Size", "input"), ("# of CONV Layers", "conv_layers"), ("Depth in # of CONV Layers", "conv_depth"),
     ("Filter Sizes", "filter_sizes"), ("# of Channels", "channels"), ("# of Filters", "filters"),
     ("Stride", "strides"), ("CONV Weights", "conv_weights"), ("CONV MACs", "conv_macs"),
     ("# of FC Layers", "fc_layers"), ("FC Weights", "fc_weights"), ("FC MACs", "fc_macs"),
     ("Total Weights", "total_weights"), ("Total MACs", "total_macs")),
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
    {("LeNet 5", "Input Size"): _MIX, ("LeNet 5", "# of Channels"): _MIX, ("LeNet 5", "# of Filters"): _MIX,
     ("LeNet 5", "CONV MACs"): "C1 and C3 take {lenet5.conv_macs:,} MACs (full C3) or {lenet5_paper.conv_macs:,} "
                               "(the paper's sparse C3); Caffe's LeNet {caffe_lenet.conv_macs:,}. None gives 283k.",
     ("LeNet 5", "Total MACs"): "283k + 58k from the table's own rows; the networks give {lenet5.total_macs:,}, "
                                "{lenet5_paper.total_macs:,} and {caffe_lenet.total_macs:,}.",
     ("LeNet 5", "# of FC Layers"): "LeNet-5's output layer was RBF units with fixed weights; the table counts "
                                    "C5 (a 5x5 convolution on a 5x5 map: fully connected) and F6.",
     ("GoogLeNet v1", "Filter Sizes"): "torchvision uses 3x3 where the paper's '5x5' branch has 5x5.",
     ("GoogLeNet v1", "CONV Weights"): "torchvision's 3x3 in the '5x5' branch has fewer: {googlenet.conv_weights:,}.",
     ("GoogLeNet v1", "CONV MACs"): _GOOGLENET_MACS, ("GoogLeNet v1", "Total MACs"): _GOOGLENET_MACS,
     ("ResNet 50", "CONV MACs"): _V1, ("ResNet 50", "Total MACs"): _V1},
)

TABLES = (STRUCTURE, SIZES, TABLE_II)
