"""Designs to start from: the classics written in the designer's layers. Each one rebuilds its registry model's
counts exactly (the tests compare parameters and MACs with the registry's)."""

from __future__ import annotations

from cnnviz.designer.design import Design, Layer
from cnnviz.i18n import N_

L = Layer.of


def lenet5() -> Design:
    """LeNet-5 as the registry builds it: tanh, average pooling, C5 as a 5x5 convolution."""
    return Design(1, 32, 10, (
        L("conv", out=6, kernel=5), L("tanh"), L("avgpool", kernel=2, stride=2),
        L("conv", out=16, kernel=5), L("tanh"), L("avgpool", kernel=2, stride=2),
        L("conv", out=120, kernel=5), L("tanh"),
        L("flatten"), L("linear", out=84, inputs=120), L("tanh"), L("linear", out=10, inputs=84)))


def alexnet() -> Design:
    """torchvision's AlexNet (the one-weird-trick channels: 64-192-384-256-256)."""
    return Design(3, 224, 1000, (
        L("conv", out=64, kernel=11, stride=4, padding=2), L("relu"), L("maxpool", kernel=3, stride=2),
        L("conv", out=192, kernel=5, padding=2), L("relu"), L("maxpool", kernel=3, stride=2),
        L("conv", out=384, kernel=3, padding=1), L("relu"),
        L("conv", out=256, kernel=3, padding=1), L("relu"),
        L("conv", out=256, kernel=3, padding=1), L("relu"), L("maxpool", kernel=3, stride=2),
        L("flatten"), L("dropout"), L("linear", out=4096, inputs=9216), L("relu"),
        L("dropout"), L("linear", out=4096, inputs=4096), L("relu"), L("linear", out=1000, inputs=4096)))


def vgg11() -> Design:
    """VGG-11 (configuration A): eight 3x3 convolutions in five stages, three fully connected layers."""
    layers = []
    for stage in ((64,), (128,), (256, 256), (512, 512), (512, 512)):
        for out in stage:
            layers += [L("conv", out=out, kernel=3, padding=1), L("relu")]
        layers.append(L("maxpool", kernel=2, stride=2))
    layers += [L("flatten"), L("linear", out=4096, inputs=25088), L("relu"), L("dropout"),
               L("linear", out=4096, inputs=4096), L("relu"), L("dropout"), L("linear", out=1000, inputs=4096)]
    return Design(3, 224, 1000, tuple(layers))


def resnet18() -> Design:
    """ResNet-18: a 7x7 stem, eight basic blocks (two 3x3 convolutions and a residual add each, a 1x1 projection
    where a stage halves the map and doubles the channels), global average pooling and one linear layer."""
    layers = [L("conv", out=64, kernel=7, stride=2, padding=3, bias=False), L("bn"), L("relu"),
              L("maxpool", kernel=3, stride=2, padding=1)]
    for stage, out in enumerate((64, 128, 256, 512)):
        for block in range(2):
            stride = 2 if stage and not block else 1
            layers += [L("span"), L("conv", out=out, kernel=3, stride=stride, padding=1, bias=False), L("bn"),
                       L("relu"), L("conv", out=out, kernel=3, padding=1, bias=False), L("bn"), L("add"), L("relu")]
    layers += [L("gap"), L("flatten"), L("linear", out=1000, inputs=512)]
    return Design(3, 224, 1000, tuple(layers))


def small_inception() -> Design:
    """A small Inception network for the 8x8 digits: a 3x3 stem, one block of four branches (1x1; 1x1 then 3x3;
    1x1 then 5x5; 3x3 max pooling then 1x1) stacked along the channels, batch norm after the stem and the block
    (without them it learns far slower at LeNet-5's learning rate), global average pooling and one linear layer."""
    def conv(out: int, kernel: int = 1) -> list[Layer]:
        return [L("conv", out=out, kernel=kernel, padding=kernel // 2), L("relu")]

    return Design(1, 8, 10, (
        L("conv", out=16, kernel=3, padding=1), L("bn"), L("relu"),
        L("span"), *conv(8), L("branch"), *conv(8), *conv(12, 3), L("branch"), *conv(4), *conv(8, 5),
        L("branch"), L("maxpool", kernel=3, stride=1, padding=1), *conv(8), L("concat"), L("bn"), L("relu"),
        L("gap"), L("flatten"), L("linear", out=10)))


def empty() -> Design:
    return Design(1, 32, 10, ())


# key -> (label, the design, the registry model it rebuilds)
TEMPLATES = {
    "empty": (N_("An empty network"), empty, None),
    "lenet5": ("LeNet-5", lenet5, "lenet5"),
    "alexnet": ("AlexNet", alexnet, "alexnet"),
    "vgg11": ("VGG-11", vgg11, "vgg11"),
    "resnet18": (N_("ResNet-18 (a small ResNet)"), resnet18, "resnet18"),
    "inception": (N_("A small Inception network (for the digits)"), small_inception, None),
}
