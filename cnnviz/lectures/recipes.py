"""How each architecture was trained, as its paper states it; facts, not computations.

Where the lecture notes (cnnviz/lectures/notes) give another value, the recipe keeps the paper's and
``notes_disagree`` says what the notes say. "not stated" means the paper does not say.

The texts stay English here (code reads numbers from them: ``recipe_number``); they are marked with ``N_`` and
translated where they are shown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from cnnviz.i18n import N_

NOT_STATED = N_("not stated")


@dataclass(frozen=True)
class Recipe:
    batch_size: str
    optimizer: str
    learning_rate: str
    schedule: str
    weight_decay: str
    dropout: str
    augmentation: str
    normalisation: str
    epochs: str
    source: str
    notes_disagree: str = ""


_RESNET_NOTES = N_("The CS231n-based notes (001, 002, 003) and the slides (004) give weight decay 1e-5; the paper "
                   "says 0.0001. The slides' “学习率0.01 来warm up 若干周期, 然后学习率调整到 0.1” (learning rate 0.01 to "
                   "warm up for a few epochs, then the learning rate set to 0.1) is the paper's CIFAR-10 recipe for "
                   "ResNet-110 (Section 4.2), not its ImageNet one.")

RECIPES: dict[str, Recipe] = {
    "lenet5": Recipe(
        N_("1 (on-line: the weights change after every pattern)"),
        N_("stochastic diagonal Levenberg-Marquardt (a step size per weight from a diagonal Hessian estimate)"),
        N_("global rate 0.0005 at the start"),
        N_("0.0005 for 2 passes, 0.0002 for the next 3, 0.0001 for the next 3, 0.00005 for the next 4, then "
           "0.00001"),
        NOT_STATED, N_("none"),
        N_("none for the main result; a second run added distorted copies (random affine: translation, scaling, "
           "squeezing, shearing)"),
        N_("inputs scaled so the background is -0.1 and the ink 1.175 (mean about 0, variance about 1); no "
           "normalisation layers"),
        N_("20 passes over the MNIST training set"),
        N_("LeCun et al. 1998, Section III (MNIST results) and Appendix C")),
    "alexnet": Recipe(
        "128", N_("SGD with momentum 0.9"), N_("0.01, equal for all layers"),
        N_("divided by 10 when the validation error stopped improving; three times before the end"), "0.0005",
        N_("0.5 in the first two fully connected layers"),
        N_("random 224x224 crops of the 256x256 images and their horizontal reflections; PCA colour (lighting) "
           "noise"),
        N_("local response normalisation after conv1 and conv2 (k = 2, n = 5, α = 1e-4, β = 0.75); per-pixel mean "
           "subtracted"),
        N_("about 90 (five to six days on two GTX 580 GPUs)"),
        N_("Krizhevsky et al. 2012, Sections 3.3, 4 and 5; notes 001-004")),
    "zfnet": Recipe(
        "128", N_("SGD with momentum 0.9"), "0.01", N_("annealed by hand when the validation error plateaued"),
        NOT_STATED, N_("0.5 in the fully connected layers 6 and 7"),
        N_("ten 224x224 sub-crops (corners and centre, with horizontal flips) of the 256x256 centre crop"),
        N_("per-pixel mean subtracted; every convolutional filter whose RMS exceeds 0.1 scaled back to an RMS of "
           "0.1 (a rule on the weights, crucial in the first layer); contrast normalisation across feature maps in "
           "layers 1 and 2"),
        N_("70 (12 days on one GTX 580)"), N_("Zeiler & Fergus 2013, Section 3")),
    "vgg16": Recipe(
        "256", N_("SGD with momentum 0.9"), "0.01",
        N_("divided by 10 when the validation accuracy stopped improving; three times in all"), "0.0005 (L2)",
        N_("0.5 on the first two fully connected layers"),
        N_("random 224x224 crops of rescaled images, horizontal flips, RGB colour shift; scale jittering "
           "(training scale S drawn from [256, 512])"),
        N_("none (LRN, tried in configuration A-LRN, did not help); mean RGB subtracted"),
        N_("74 (370K iterations)"), N_("Simonyan & Zisserman 2014, Section 3.1; notes 004")),
    "nin": Recipe(
        "128", N_("SGD, following Krizhevsky et al. (initial weights and learning rates set by hand)"), NOT_STATED,
        N_("divided by 10 when the training accuracy stopped improving, twice (the final rate is 1% of the first)"),
        N_("used, as in Krizhevsky et al. (value not stated)"),
        N_("on the outputs of all but the last mlpconv layer (rate not stated)"),
        N_("CIFAR-10: translation and horizontal flipping for the augmented result"), N_("none in the network"),
        NOT_STATED, N_("Lin et al. 2013, Section 4.1 (CIFAR, SVHN, MNIST; the ImageNet model is not specified)")),
    "googlenet": Recipe(
        NOT_STATED, N_("asynchronous SGD with momentum 0.9 (DistBelief); auxiliary losses added with weight 0.3"),
        NOT_STATED, N_("decreased by 4% every 8 epochs; Polyak averaging for the final model"), NOT_STATED,
        N_("40% before the final classifier; 70% in the auxiliary classifiers"),
        N_("crops of 8% to 100% of the image area with aspect ratio between 3/4 and 4/3; photometric distortions; "
           "random resizing interpolation"),
        N_("local response normalisation in the stem"), NOT_STATED,
        N_("Szegedy et al. 2014, Sections 5 and 6; notes 004"),
        N_("The slides (004) give batch size 256 and initial learning rate 0.01; the paper states neither. Their "
           "'0.96 every 8 epochs' is the paper's 4%.")),
    "inception_v3": Recipe(
        N_("32 per replica, 50 replicas (one Kepler GPU each)"),
        N_("RMSProp with decay 0.9 and ε = 1.0; gradient clipping at 2.0; cross-entropy with label smoothing ε = "
           "0.1; running average of the parameters for evaluation"),
        "0.045", N_("multiplied by 0.94 every two epochs"), NOT_STATED, NOT_STATED, NOT_STATED,
        N_("batch norm, also in the auxiliary classifier"), "100",
        N_("Szegedy et al. 2015, Sections 7 and 8; notes 004")),
    "resnet50": Recipe(
        "256", N_("SGD with momentum 0.9"), "0.1",
        N_("divided by 10 when the error plateaus; up to 600,000 iterations"), "0.0001", N_("none"),
        N_("shorter side resized to a random length in [256, 480]; random 224x224 crop or its horizontal flip; "
           "standard colour augmentation"),
        N_("batch norm after every convolution, before the activation; per-pixel mean subtracted"), NOT_STATED,
        N_("He et al. 2015, Section 3.4 (ImageNet); notes 001-004"), _RESNET_NOTES),
    "preact_resnet": Recipe(
        N_("128 (64 on each of 2 GPUs), CIFAR"), N_("SGD with momentum 0.9"),
        N_("0.1 (0.01 for the first 400 iterations as warm-up)"), N_("divided by 10 at 32k and 48k iterations"),
        "0.0001", NOT_STATED, N_("translation and flipping, as in He et al. 2015"),
        N_("batch norm before each weight layer (BN, ReLU, conv)"), NOT_STATED,
        N_("He et al. 2016 (Identity Mappings), Appendix: CIFAR experiments")),
    "wide_resnet50_2": Recipe(
        N_("128 (CIFAR)"), N_("SGD with Nesterov momentum 0.9, dampening 0"), "0.1",
        N_("multiplied by 0.2 at epochs 60, 120 and 160"), "0.0005",
        N_("0.3 between the two convolutions of a block (the '-dropout' models)"),
        N_("horizontal flips and random crops of the image padded by 4 pixels on each side"),
        N_("batch norm in pre-activation blocks (BN, ReLU, conv)"), "200",
        N_("Zagoruyko & Komodakis 2016, Section 3 (CIFAR experiments)")),
    "resnext50_32x4d": Recipe(
        N_("256 (32 on each of 8 GPUs)"), N_("SGD with momentum 0.9"), "0.1",
        N_("divided by 10 three times (the schedule of fb.resnet.torch)"), "0.0001", NOT_STATED,
        N_("224x224 crops with scale and aspect-ratio augmentation"), N_("batch norm after each convolution"),
        NOT_STATED, N_("Xie et al. 2017, Section 4 (Implementation details)")),
    "densenet121": Recipe(
        "256", N_("SGD with Nesterov momentum 0.9, no dampening"), "0.1", N_("divided by 10 at epochs 30 and 60"),
        "0.0001", N_("none on ImageNet (0.2 after each convolution for CIFAR and SVHN without augmentation)"),
        N_("as ResNet's ImageNet training, which the paper follows"),
        N_("batch norm in every layer (BN, ReLU, conv)"), "90", N_("Huang et al. 2017, Section 4.2; notes 004"),
        N_("The slides (004) say DenseNet trains “与ResNet类似” (like ResNet) and repeat ResNet's slide: warm-up "
           "at 0.01 then 0.1, weight decay 1e-5. The paper: 0.1 divided by 10 at epochs 30 and 60, weight decay "
           "0.0001, Nesterov momentum.")),
    "squeezenet1_0": Recipe(
        NOT_STATED, NOT_STATED, "0.04", N_("decreased linearly throughout training"), NOT_STATED,
        N_("50% after the fire9 module"), NOT_STATED, N_("none (no batch norm)"), NOT_STATED,
        N_("Iandola et al. 2016, Section 3.3")),
    "mobilenet_v1": Recipe(
        NOT_STATED, N_("RMSProp with asynchronous gradient descent, as Inception v3"), NOT_STATED, NOT_STATED,
        N_("very little or none on the depthwise filters (value not stated)"), NOT_STATED,
        N_("less than for large models: fewer small crops than Inception training; no side heads, no label "
           "smoothing"),
        N_("batch norm and ReLU after every convolution"), NOT_STATED, N_("Howard et al. 2017, Section 3.2")),
    "mobilenet_v2": Recipe(
        N_("96, with 16 asynchronous GPU workers"), N_("RMSProp with decay 0.9 and momentum 0.9"), "0.045",
        N_("multiplied by 0.98 every epoch"), "0.00004", NOT_STATED, NOT_STATED, N_("batch norm after every layer"),
        NOT_STATED, N_("Sandler et al. 2018, Section 6.1")),
    "efficientnet_lite0": Recipe(
        NOT_STATED, N_("RMSProp with decay 0.9 and momentum 0.9; batch norm momentum 0.99"), "0.256",
        N_("multiplied by 0.97 every 2.4 epochs"), "0.00001",
        N_("0.2 before the classifier (B0); stochastic depth with survival probability 0.8"), "AutoAugment",
        N_("batch norm"), NOT_STATED,
        N_("Tan & Le 2019, Section 5.2: EfficientNet-B0's recipe (the Lite models have no paper of their own)")),
    "fractalnet": Recipe(
        "100", N_("SGD with momentum 0.9"), "0.02",
        N_("divided by 10 each time the number of remaining epochs halves"), NOT_STATED,
        N_("per block 0%, 10%, 20%, 30%, 40%; drop-path mixing local (each join input dropped with probability "
           "0.15) and global (one column per batch) in equal parts"),
        N_("translations and flips for the augmented ('+') CIFAR results"), N_("batch norm after each convolution"),
        N_("400 (CIFAR), 20 (SVHN)"), N_("Larsson et al. 2016, Section 4")),
    "autoencoder": Recipe(
        NOT_STATED,
        N_("layer-by-layer pretraining as restricted Boltzmann machines, then back-propagation through the whole "
           "encoder and decoder"),
        NOT_STATED, NOT_STATED, NOT_STATED, N_("none"), N_("none"), N_("none"), NOT_STATED,
        N_("Hinton & Salakhutdinov 2006 (fully connected autoencoders); notes 001")),
    "unet": Recipe(
        N_("1 image (large input tiles instead of a large batch)"),
        N_("SGD (Caffe) with momentum 0.99; pixel-wise softmax and cross-entropy, weighted to separate touching "
           "cells"),
        NOT_STATED, NOT_STATED, NOT_STATED, N_("drop-out layers at the end of the contracting path"),
        N_("shifts, rotations, grey-value variations and random elastic deformations (displacements on a coarse "
           "3x3 grid, 10 pixels standard deviation)"),
        N_("none"), NOT_STATED, N_("Ronneberger et al. 2015, Section 3")),
    "siamese": Recipe(
        "128",
        N_("SGD with momentum; learning rate, momentum and L2 weight per layer, chosen by Bayesian optimisation"),
        N_("per layer"),
        N_("learning rates decay by 1% per epoch; momentum starts at 0.5 and rises linearly to each layer's value"),
        N_("per-layer L2 weight"), NOT_STATED, N_("small affine distortions (rotation, shear, scale, translation)"),
        N_("none"), N_("up to 200, stopped on the one-shot validation error"), N_("Koch et al. 2015, Section 4")),
}

# Each field's label, as the tables show it (callers translate: ``_(LABELS[name])``).
LABELS = {"batch_size": N_("batch size"), "optimizer": N_("optimizer"), "learning_rate": N_("learning rate"),
          "schedule": N_("schedule"), "weight_decay": N_("weight decay"), "dropout": N_("dropout"),
          "augmentation": N_("augmentation"), "normalisation": N_("normalisation"), "epochs": N_("epochs"),
          "source": N_("source"), "notes_disagree": N_("the notes say")}


def recipe_table(keys: list[str] | None = None) -> list[dict]:
    """Side by side: one row per field, one column per architecture (registry order). The labels and cells are
    English (marked with ``N_``): the page translates them with ``_`` where it shows them."""
    from cnnviz.zoo.registry import architectures

    archs = architectures()
    chosen = [k for k in archs if k in RECIPES and (keys is None or k in keys)]
    return [{"": LABELS[name], **{archs[k].title: getattr(RECIPES[k], name) for k in chosen}}
            for name in LABELS]


_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4}  # the recipes write small counts as words


def recipe_number(key: str, field: str, pattern: str) -> float:
    """The number that ``pattern``'s first group finds in a recipe field (a numeral or a small count in words), so
    that code using a paper's value reads it from its recipe."""
    found = re.search(pattern, getattr(RECIPES[key], field))
    if found is None:
        raise ValueError(f"{pattern!r} not found in the {key} recipe's {field}")
    text = found.group(1)
    return float(_WORDS.get(text, text))
