"""Regularisation in the classic CNNs, each shown on real tensors: dropout's train-time scaling, AlexNet's random
crops and flips, the 10-crop test, and ensembles (the AlexNet paper's figures and a computed toy)."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from PIL import Image
from torch import nn
from torchvision import transforms
from torchvision.transforms import functional as F

from cnnviz.i18n import N_, _

# --- Dropout ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DropoutDemo:
    p: float
    size: int
    input_mean: float
    train_mean: float  # mean of nn.Dropout's output in training mode
    zeroed: float  # fraction of the outputs set to zero
    survivor_scale: float  # output / input where kept: 1 / (1 - p)
    eval_unchanged: bool  # in eval mode the layer returns its input
    first_in: list[float]
    first_out: list[float]


def dropout_on_tensor(p: float, size: int = 100_000, seed: int = 0) -> DropoutDemo:
    """Run torch's nn.Dropout on a random positive tensor, in training and in eval mode."""
    generator = torch.Generator().manual_seed(seed)
    x = torch.rand(size, generator=generator, dtype=torch.float64) + 0.5
    layer = nn.Dropout(p)
    with torch.random.fork_rng(devices=[]):  # the mask's draws, seeded without touching other threads' stream
        torch.manual_seed(seed + 1)  # not ``seed``: the same stream would drop exactly the inputs above 1
        out = layer.train()(x)
    kept = out != 0
    scale = float((out[kept] / x[kept]).mean()) if kept.any() else float("nan")
    return DropoutDemo(p, size, float(x.mean()), float(out.mean()), float((~kept).double().mean()), scale,
                       bool(torch.equal(layer.eval()(x), x)), x[:8].tolist(), out[:8].tolist())


# --- Data augmentation: AlexNet's random 224 crops of a 256 image, and their mirror images -------------------

ALEXNET_RESIZE, ALEXNET_CROP = 256, 224


def paper_augmentation_factor(resize: int = ALEXNET_RESIZE, crop: int = ALEXNET_CROP) -> int:
    """The AlexNet paper's count: (256 - 224)² translations x 2 reflections = 2048."""
    return (resize - crop) ** 2 * 2


def distinct_crops(resize: int = ALEXNET_RESIZE, crop: int = ALEXNET_CROP) -> int:
    """Every position torchvision's RandomCrop can pick (offsets 0 to resize - crop, both ends) x 2 flips."""
    return (resize - crop + 1) ** 2 * 2


def alexnet_square(image: Image.Image) -> Image.Image:
    """The 256x256 image AlexNet trained on (Krizhevsky et al. 2012, Section 2): the shorter side rescaled to 256,
    then the central 256x256 patch; the photo keeps its proportions (nothing is squashed)."""
    return F.center_crop(F.resize(image.convert("RGB"), ALEXNET_RESIZE), [ALEXNET_RESIZE, ALEXNET_RESIZE])


def augmented_crops(image: Image.Image, count: int = 6, seed: int = 0) -> list[tuple[Image.Image, str]]:
    """``count`` training inputs as AlexNet drew them: ``alexnet_square``, a random 224 crop of it, half of them
    mirrored. Each comes with its caption, in the session's language."""
    square = alexnet_square(image)
    generator = torch.Generator().manual_seed(seed)
    crops = []
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        for _draw in range(count):
            top, left, height, width = transforms.RandomCrop.get_params(square, (ALEXNET_CROP, ALEXNET_CROP))
            flipped = bool(torch.rand(1, generator=generator) < 0.5)
            crop = F.crop(square, top, left, height, width)
            caption = _("offset ({left}, {top}), mirrored") if flipped else _("offset ({left}, {top})")
            crops.append((F.hflip(crop) if flipped else crop, caption.format(left=left, top=top)))
    return crops


# --- Multi-crop testing: torchvision's TenCrop ------------------------------------------------------------

# Names (shown with ``_(name)``) of torchvision's five crops, in its order.
TEN_CROP_NAMES = (N_("top left"), N_("top right"), N_("bottom left"), N_("bottom right"), N_("centre"))


def five_crop_boxes(width: int, height: int, crop: int) -> list[tuple[str, int, int]]:
    """(name, left, top) of torchvision's five_crop, in its order; its ten_crop repeats them on the mirror image.
    torchvision returns the crops only, so the boxes are placed here by its rule (a test checks them)."""
    return [("top left", 0, 0), ("top right", width - crop, 0), ("bottom left", 0, height - crop),
            ("bottom right", width - crop, height - crop),
            ("centre", round((width - crop) / 2.0), round((height - crop) / 2.0))]


def resized_for_crops(image: Image.Image, spec) -> Image.Image:
    """The photo with its short side resized to ``spec.resize`` (the classifier's ``Preprocessing``)."""
    interpolation = transforms.InterpolationMode[spec.resample.name]
    return F.resize(image.convert("RGB"), spec.resize, interpolation=interpolation)


@dataclass(frozen=True)
class TenCropResult:
    size: tuple[int, int]  # width, height of the resized photo the crops are cut from
    crop: int
    crop_labels: list[str]  # top-1 class of each of the ten crops, in TenCrop's order
    crop_probabilities: list[float]  # and its probability
    centre_label: str
    centre_probability: float  # the centre crop's top-1 probability
    centre_class_averaged: float  # the same class's probability averaged over the ten crops
    averaged_label: str  # top-1 of the averaged probabilities
    averaged_probability: float


def ten_crop_prediction(classifier, image: Image.Image) -> TenCropResult:
    """The classifier (``cnnviz.imagelab.predict.Classifier``) on torchvision's ten crops of the photo."""
    spec = classifier.preprocessing
    resized = resized_for_crops(image, spec)
    crops = transforms.TenCrop(spec.crop)(resized)
    batch = torch.stack([F.normalize(F.to_tensor(c), spec.mean, spec.std) for c in crops])
    with torch.inference_mode():
        probabilities = torch.softmax(classifier.model(batch).double(), dim=1)
    top = probabilities.max(dim=1)
    centre = TEN_CROP_NAMES.index("centre")
    centre_class = int(top.indices[centre])
    averaged = probabilities.mean(dim=0)
    names = classifier.categories
    return TenCropResult(resized.size, spec.crop, [names[i] for i in top.indices.tolist()], top.values.tolist(),
                         names[centre_class], float(top.values[centre]), float(averaged[centre_class]),
                         names[int(averaged.argmax())], float(averaged.max()))


# --- Ensembles ------------------------------------------------------------------------------------------

# Krizhevsky et al. 2012, Table 2: top-5 error (%) on the ILSVRC-2012 validation set. Two of the seven
# networks were pre-trained on the larger ImageNet Fall 2011 release.
ALEXNET_ENSEMBLE = ((N_("1 CNN"), 1, 18.2), (N_("5 CNNs"), 5, 16.4), (N_("7 CNNs"), 7, 15.4))  # shown with _(label)


def ensemble_accuracy(members: int = 10, classes: int = 10, samples: int = 4000, noise: float = 1.5,
                      seed: int = 0) -> list[float]:
    """Accuracy of averaging the probabilities of the first k of ``members`` toy classifiers, k = 1..members.

    Each classifier's logits are the true class's one-hot plus its own independent Gaussian noise."""
    generator = torch.Generator().manual_seed(seed)
    truth = torch.randint(classes, (samples,), generator=generator)
    signal = nn.functional.one_hot(truth, classes).double()
    noisy = signal + noise * torch.randn(members, samples, classes, generator=generator, dtype=torch.float64)
    probabilities = torch.softmax(noisy, dim=2)
    running = probabilities.cumsum(dim=0) / torch.arange(1, members + 1, dtype=torch.float64)[:, None, None]
    return (running.argmax(dim=2) == truth).double().mean(dim=1).tolist()
