"""How each architecture was trained, as its paper states it; facts, not computations.

Where the lecture notes (cnnviz/lectures/notes) give another value, the recipe keeps the paper's and
``notes_disagree`` says what the notes say. "not stated" means the paper does not say.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields

NOT_STATED = "not stated"


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


_RESNET_NOTES = ("The CS231n-based notes (001, 002, 003) and the slides (004) give weight decay 1e-5; the paper "
                 "says 0.0001. The slides' 'lr 0.01 to warm up, then 0.1' is the paper's CIFAR-10 recipe for "
                 "ResNet-110 (Section 4.2), not its ImageNet one.")

RECIPES: dict[str, Recipe] = {
    "lenet5": Recipe(
        "1 (on-line: the weights change after every pattern)", "stochastic diagonal Levenberg-Marquardt "
        "(a step size per weight from a diagonal Hessian estimate)", "global rate 0.0005 at the start",
        "0.0005 for 2 passes, 0.0002 for the next 3, 0.0001 for the next 3, 0.00005 for the next 4, then 0.00001",
        NOT_STATED, "none", "none for the main result; a second run added distorted copies (random affine: "
        "translation, scaling, squeezing, shearing)", "inputs scaled so the background is -0.1 and the ink 1.175 "
        "(mean about 0, variance about 1); no normalisation layers", "20 passes over the MNIST training set",
        "LeCun et al. 1998, Section III (MNIST results) and Appendix C"),
    "alexnet": Recipe(
        "128", "SGD with momentum 0.9", "0.01, equal for all layers",
        "divided by 10 when the validation error stopped improving; three times before the end", "0.0005",
        "0.5 in the first two fully connected layers", "random 224x224 crops of the 256x256 images and their "
        "horizontal reflections; PCA colour (lighting) noise", "local response normalisation after conv1 and "
        "conv2 (k = 2, n = 5, α = 1e-4, β = 0.75); per-pixel mean subtracted",
        "about 90 (five to six days on two GTX 580 GPUs)",
        "Krizhevsky et al. 2012, Sections 3.3, 4 and 5; notes 001-004"),
    "zfnet": Recipe(
        "128", "SGD with momentum 0.9", "0.01", "annealed by hand when the validation error plateaued", NOT_STATED,
        "0.5 in the fully connected layers 6 and 7", "ten 224x224 sub-crops (corners and centre, with horizontal "
        "flips) of the 256x256 centre crop", "per-pixel mean subtracted; first-layer filters renormalised when "
        "their RMS exceeds 0.1; contrast normalisation across feature maps in layers 1 and 2",
        "70 (12 days on one GTX 580)", "Zeiler & Fergus 2013, Section 3"),
    "vgg16": Recipe(
        "256", "SGD with momentum 0.9", "0.01",
        "divided by 10 when the validation accuracy stopped improving; three times in all", "0.0005 (L2)",
        "0.5 on the first two fully connected layers", "random 224x224 crops of rescaled images, horizontal "
        "flips, RGB colour shift; scale jittering (training scale S drawn from [256, 512])",
        "none (LRN, tried in configuration A-LRN, did not help); mean RGB subtracted", "74 (370K iterations)",
        "Simonyan & Zisserman 2014, Section 3.1; notes 004"),
    "nin": Recipe(
        "128", "SGD, following Krizhevsky et al. (initial weights and learning rates set by hand)", NOT_STATED,
        "divided by 10 when the training accuracy stopped improving, twice (the final rate is 1% of the first)",
        "used, as in Krizhevsky et al. (value not stated)", "on the outputs of all but the last mlpconv layer "
        "(rate not stated)", "CIFAR-10: translation and horizontal flipping for the augmented result",
        "none in the network", NOT_STATED,
        "Lin et al. 2013, Section 4.1 (CIFAR, SVHN, MNIST; the ImageNet model is not specified)"),
    "googlenet": Recipe(
        NOT_STATED, "asynchronous SGD with momentum 0.9 (DistBelief); auxiliary losses added with weight 0.3",
        NOT_STATED, "decreased by 4% every 8 epochs; Polyak averaging for the final model", NOT_STATED,
        "40% before the final classifier; 70% in the auxiliary classifiers", "crops of 8% to 100% of the image "
        "area with aspect ratio between 3/4 and 4/3; photometric distortions; random resizing interpolation",
        "local response normalisation in the stem", NOT_STATED, "Szegedy et al. 2014, Sections 5 and 6; notes 004",
        "The slides (004) give batch size 256 and initial learning rate 0.01; the paper states neither. Their "
        "'decay 0.96 every 8 epochs' is the paper's 4%."),
    "inception_v3": Recipe(
        "32 per replica, 50 replicas (one Kepler GPU each)", "RMSProp with decay 0.9 and ε = 1.0; gradient "
        "clipping at 2.0; cross-entropy with label smoothing ε = 0.1; running average of the parameters for "
        "evaluation", "0.045", "multiplied by 0.94 every two epochs", NOT_STATED, NOT_STATED, NOT_STATED,
        "batch norm, also in the auxiliary classifier", "100", "Szegedy et al. 2015, Sections 7 and 8; notes 004"),
    "resnet50": Recipe(
        "256", "SGD with momentum 0.9", "0.1", "divided by 10 when the error plateaus; up to 600,000 iterations",
        "0.0001", "none", "shorter side resized to a random length in [256, 480]; random 224x224 crop or its "
        "horizontal flip; standard colour augmentation", "batch norm after every convolution, before the "
        "activation; per-pixel mean subtracted", NOT_STATED,
        "He et al. 2015, Section 3.4 (ImageNet); notes 001-004", _RESNET_NOTES),
    "preact_resnet": Recipe(
        "128 (64 on each of 2 GPUs), CIFAR", "SGD with momentum 0.9", "0.1 (0.01 for the first 400 iterations "
        "as warm-up)", "divided by 10 at 32k and 48k iterations", "0.0001", NOT_STATED,
        "translation and flipping, as in He et al. 2015", "batch norm before each weight layer (BN, ReLU, conv)",
        NOT_STATED, "He et al. 2016 (Identity Mappings), Appendix: CIFAR experiments"),
    "wide_resnet50_2": Recipe(
        "128 (CIFAR)", "SGD with Nesterov momentum 0.9, dampening 0", "0.1", "multiplied by 0.2 at epochs 60, "
        "120 and 160", "0.0005", "0.3 between the two convolutions of a block (the '-dropout' models)",
        "horizontal flips and random crops of the image padded by 4 pixels on each side",
        "batch norm in pre-activation blocks (BN, ReLU, conv)", "200",
        "Zagoruyko & Komodakis 2016, Section 3 (CIFAR experiments)"),
    "resnext50_32x4d": Recipe(
        "256 (32 on each of 8 GPUs)", "SGD with momentum 0.9", "0.1",
        "divided by 10 three times (the schedule of fb.resnet.torch)", "0.0001", NOT_STATED,
        "224x224 crops with scale and aspect-ratio augmentation", "batch norm after each convolution", NOT_STATED,
        "Xie et al. 2017, Section 4 (Implementation details)"),
    "densenet121": Recipe(
        "256", "SGD with Nesterov momentum 0.9, no dampening", "0.1", "divided by 10 at epochs 30 and 60",
        "0.0001", "none on ImageNet (0.2 after each convolution for CIFAR and SVHN without augmentation)",
        "as ResNet's ImageNet training, which the paper follows", "batch norm in every layer (BN, ReLU, conv)",
        "90", "Huang et al. 2017, Section 4.2; notes 004",
        "The slides (004) say DenseNet trains 'like ResNet' and repeat ResNet's slide: warm-up at 0.01 then 0.1, "
        "weight decay 1e-5. The paper: 0.1 divided by 10 at epochs 30 and 60, weight decay 0.0001, Nesterov "
        "momentum."),
    "squeezenet1_0": Recipe(
        NOT_STATED, NOT_STATED, "0.04", "decreased linearly throughout training", NOT_STATED,
        "50% after the fire9 module", NOT_STATED, "none (no batch norm)", NOT_STATED,
        "Iandola et al. 2016, Section 3.3"),
    "mobilenet_v1": Recipe(
        NOT_STATED, "RMSProp with asynchronous gradient descent, as Inception v3", NOT_STATED, NOT_STATED,
        "very little or none on the depthwise filters (value not stated)", NOT_STATED,
        "less than for large models: fewer small crops than Inception training; no side heads, no label "
        "smoothing", "batch norm and ReLU after every convolution", NOT_STATED, "Howard et al. 2017, Section 3.2"),
    "mobilenet_v2": Recipe(
        "96, with 16 asynchronous GPU workers", "RMSProp with decay 0.9 and momentum 0.9", "0.045",
        "multiplied by 0.98 every epoch", "0.00004", NOT_STATED, NOT_STATED, "batch norm after every layer",
        NOT_STATED, "Sandler et al. 2018, Section 6.1"),
    "efficientnet_lite0": Recipe(
        NOT_STATED, "RMSProp with decay 0.9 and momentum 0.9; batch norm momentum 0.99", "0.256",
        "multiplied by 0.97 every 2.4 epochs", "0.00001", "0.2 before the classifier (B0); stochastic depth "
        "with survival probability 0.8", "AutoAugment", "batch norm", NOT_STATED,
        "Tan & Le 2019, Section 5.2: EfficientNet-B0's recipe (the Lite models have no paper of their own)"),
    "fractalnet": Recipe(
        "100", "SGD with momentum 0.9", "0.02", "divided by 10 each time the number of remaining epochs halves",
        NOT_STATED, "per block 0%, 10%, 20%, 30%, 40%; drop-path mixing local (each join input dropped with "
        "probability 0.15) and global (one column per batch) in equal parts", "translations and flips for "
        "the augmented ('+') CIFAR results", "batch norm after each convolution", "400 (CIFAR), 20 (SVHN)",
        "Larsson et al. 2016, Section 4"),
    "autoencoder": Recipe(
        NOT_STATED, "layer-by-layer pretraining as restricted Boltzmann machines, then back-propagation "
        "through the whole encoder and decoder", NOT_STATED, NOT_STATED, NOT_STATED, "none", "none", "none",
        NOT_STATED, "Hinton & Salakhutdinov 2006 (fully connected autoencoders); notes 001"),
    "unet": Recipe(
        "1 image (large input tiles instead of a large batch)", "SGD (Caffe) with momentum 0.99; pixel-wise "
        "softmax and cross-entropy, weighted to separate touching cells", NOT_STATED, NOT_STATED, NOT_STATED,
        "drop-out layers at the end of the contracting path", "shifts, rotations, grey-value variations and "
        "random elastic deformations (displacements on a coarse 3x3 grid, 10 pixels standard deviation)",
        "none", NOT_STATED, "Ronneberger et al. 2015, Section 3"),
    "siamese": Recipe(
        "128", "SGD with momentum; learning rate, momentum and L2 weight per layer, chosen by Bayesian "
        "optimisation", "per layer", "learning rates decay by 1% per epoch; momentum starts at 0.5 and rises "
        "linearly to each layer's value", "per-layer L2 weight", NOT_STATED, "small affine distortions "
        "(rotation, shear, scale, translation)", "none", "up to 200, stopped on the one-shot validation error",
        "Koch et al. 2015, Section 4"),
}

LABELS = {f.name: f.name.replace("_", " ") for f in fields(Recipe)} | {"notes_disagree": "the notes say"}


def recipe_table(keys: list[str] | None = None) -> list[dict]:
    """Side by side: one row per field, one column per architecture (registry order)."""
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
