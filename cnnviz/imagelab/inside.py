"""Inside a network, on a photo: the layer list, feature maps, first-layer filters and Grad-CAM.

The shared model instances are never hooked: hooks go on a private view (the module tree copied, the
weight tensors shared), so another user's prediction running at the same moment is not disturbed.
"""

from __future__ import annotations

import copy
import itertools
import threading
from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image
from torch import nn

from cnnviz.imagelab.predict import IMAGENET_MEAN, IMAGENET_STD, Classifier, Preprocessing, model_view, to_tensor

_ACTIVATIONS = (nn.ReLU, nn.ReLU6, nn.Hardtanh, nn.Hardswish, nn.SiLU, nn.Sigmoid, nn.Tanh, nn.GELU,
                nn.LeakyReLU, nn.Dropout, nn.Identity)
# By class name: model packages define their own Identity modules.
_NOT_FEATURES = {"ZeroPad2d", "ConstantPad2d", "ReflectionPad2d", "Identity", "Dropout", "Dropout2d"}


@dataclass
class Inspected:
    """A model to look inside: pretrained (ImageNet) or, where no weights exist, seeded random weights."""

    name: str
    model: nn.Module
    preprocessing: Preprocessing
    channels: int  # 3 for colour photos, 1 for the grey-level models (LeNet-5, U-Net, Siamese)
    inputs: int  # how many images one forward pass takes (two for the Siamese network)
    weights: str  # where the weights came from, in English (pages say it in their language from the fields below)
    pretrained: bool
    categories: tuple[str, ...] | None = None
    weights_file: str | None = None  # the pretrained weights' file

    def batch(self, image: Image.Image) -> tuple[torch.Tensor, ...]:
        view = self.view(image)
        return (to_tensor(view, self.preprocessing),) * self.inputs

    def view(self, image: Image.Image) -> Image.Image:
        """The picture the model sees (crop and size), before normalisation."""
        return model_view(image, self.preprocessing, self.channels)


@dataclass(frozen=True)
class Layer:
    name: str
    type: str
    shape: tuple[int, int, int]  # channels, height, width of one image's output


def from_classifier(classifier: Classifier) -> Inspected:
    return Inspected(classifier.name, classifier.model, classifier.preprocessing, 3, 1,
                     f"pretrained on ImageNet ({classifier.weights_file})", True, classifier.categories,
                     classifier.weights_file)


_GLOBAL_GENERATOR = threading.Lock()


def with_random_weights(name: str, seed: int = 0) -> Inspected:
    """A registry model with its builder's own initialisation, seeded so every user sees the same maps."""
    from cnnviz.zoo.registry import resolve

    _, variant = resolve(name)
    # The builders draw their own initialisation from torch's global generator. Nothing else in the app draws
    # from it (trainings use generators of their own), so one build at a time makes the weights the seed's.
    with _GLOBAL_GENERATOR, torch.random.fork_rng():
        torch.manual_seed(seed)
        model = variant.build()
    model.eval().requires_grad_(False)
    channels, size, _ = variant.input_shapes[0]
    mean, std = (IMAGENET_MEAN, IMAGENET_STD) if channels == 3 else ((0.5,) * 3, (0.5,) * 3)
    return Inspected(name, model, Preprocessing(size, size, mean, std), channels, len(variant.input_shapes),
                     f"random weights, seed {seed}: no pretrained weights are available for {name}", False)


def private_view(model: nn.Module) -> nn.Module:
    """The module tree copied with every parameter and buffer shared: hooks on it touch no one else."""
    shared = {id(t): t for t in itertools.chain(model.parameters(), model.buffers())}
    return copy.deepcopy(model, shared)


def layers(name: str) -> list[Layer]:
    """Every module of registry model ``name`` whose output is a feature map, in execution order.

    Runs on the ``meta`` device: only the shapes matter, so no weights are loaded and no real forward pass
    competes with the inference queue; random and pretrained builds share module names and shapes.
    Eval mode, as the inspected models run (GoogLeNet's auxiliary heads do not run then).
    """
    from cnnviz.zoo.registry import resolve

    _, variant = resolve(name)
    return feature_layers(variant.build_on_meta().eval(), variant.example_inputs())


def feature_layers(model: nn.Module, inputs: tuple[torch.Tensor, ...]) -> list[Layer]:
    """``layers`` of any module on these inputs (one forward pass; ``model`` gets hooks: pass a private one).

    Modules called more than once per image (a shared activation module) are left out: which of their
    calls a picture would show is ambiguous. Padding and identity modules compute no features.
    """
    seen: dict[str, list] = {}

    def record(name):
        def hook(module, _inputs, output):
            is_map = isinstance(output, torch.Tensor) and output.ndim == 4
            if is_map and type(module).__name__ not in _NOT_FEATURES:
                seen.setdefault(name, [type(module).__name__, tuple(output.shape[1:]), 0])[2] += 1
        return hook

    for name, module in model.named_modules():
        if name:
            module.register_forward_hook(record(name))
    with torch.inference_mode():
        model(*inputs)
    return [Layer(name, kind, shape) for name, (kind, shape, calls) in seen.items() if calls == len(inputs)]


class _Captured(Exception):
    """Raised from a hook to stop the forward pass once the wanted layer has run."""


def feature_maps(inspected: Inspected, image: Image.Image, layer: str) -> np.ndarray:
    """The (channels, height, width) output of ``layer`` for the photo."""
    view = private_view(inspected.model)
    captured = {}

    def hook(_module, _inputs, output):
        captured["maps"] = output[0].float().numpy()
        raise _Captured

    dict(view.named_modules())[layer].register_forward_hook(hook)
    with torch.inference_mode():
        try:
            view(*inspected.batch(image))
        except _Captured:
            pass
    if "maps" not in captured:
        raise ValueError(f"layer {layer!r} did not run for this input")
    return captured["maps"]


def strongest_channels(maps: np.ndarray, count: int = 16) -> list[int]:
    """Channels ordered by mean activation over the map, largest first."""
    means = maps.reshape(maps.shape[0], -1).mean(axis=1)
    return [int(i) for i in np.argsort(-means, kind="stable")[:count]]


MAPS_SHOWN = 32  # the most channels the page shows
CHANNEL_STEP, CHANNELS_FIRST = 4, 16  # the page's slider: its stops, and a 4x4 grid at first


@dataclass(frozen=True)
class StrongestMaps:
    """What the page shows of a layer's output: its strongest channels' maps and every channel's mean.

    Caches keep this rather than the whole (C, H, W) output, which reaches 83 MB for U-Net's first layers.
    """

    maps: np.ndarray  # (len(channels), H, W), strongest first
    channels: list[int]  # their channel indices
    means: np.ndarray  # (C,): mean activation of every channel
    shape: tuple[int, int, int]  # the layer's whole output: channels, height, width


def strongest_maps(maps: np.ndarray, count: int = MAPS_SHOWN) -> StrongestMaps:
    channels = strongest_channels(maps, count)
    return StrongestMaps(maps[channels], channels, maps.reshape(maps.shape[0], -1).mean(axis=1),
                         tuple(maps.shape))


def first_convolution(model: nn.Module) -> tuple[str, nn.Conv2d]:
    for name, module in model.named_modules():
        if isinstance(module, nn.Conv2d):
            return name, module
    raise ValueError("the model has no 2-D convolution")


FILTERS_SHOWN = 64


def filter_images(conv: nn.Conv2d, count: int = FILTERS_SHOWN) -> np.ndarray:
    """The first ``count`` kernels as (n, k, k, c) pictures, each stretched to 0..1 on its own.

    Per-kernel stretching shows each kernel's pattern (edges, colour blobs); absolute sizes are lost,
    so the page says so. Colour (c=3) for kernels that read an RGB image, grey (c=1) otherwise.
    """
    weights = conv.weight.detach().float()[:count]
    if weights.shape[1] != 3:
        weights = weights[:, :1]
    low = weights.amin(dim=(1, 2, 3), keepdim=True)
    high = weights.amax(dim=(1, 2, 3), keepdim=True)
    return ((weights - low) / (high - low).clamp_min(1e-12)).permute(0, 2, 3, 1).numpy()


def default_map_layer(found: list[Layer], input_size: int) -> str:
    """A first look: the first whole block (a layer with sub-layers) whose map is 1/8 of the input or less,
    where channels already respond to parts of objects rather than to edges."""
    names = [layer.name for layer in found]
    blocks = [layer for layer in found if any(other.startswith(layer.name + ".") for other in names)]
    for candidates in (blocks, found):
        for layer in candidates:
            if 1 < layer.shape[1] <= input_size // 8:
                return layer.name
    return found[len(found) // 2].name


def default_cam_layer(found: list[Layer]) -> str:
    """Grad-CAM's usual choice: the last layer of the feature extractor that still has a spatial map
    (more than 1x1), so that the map has both the network's most abstract features and a position."""
    skipped = {cls.__name__ for cls in _ACTIVATIONS} | {"AdaptiveAvgPool2d", "AdaptiveMaxPool2d"}
    spatial = [layer for layer in found if layer.shape[1] > 1 and layer.shape[2] > 1 and layer.type not in skipped
               and not layer.name.startswith("classifier")]  # SqueezeNet's head is a convolution
    if not spatial:
        raise ValueError("the model has no layer with a spatial feature map")
    return spatial[-1].name


@dataclass(frozen=True)
class CamResult:
    cam: np.ndarray  # (h, w) in 0..1 at the target layer's resolution
    class_index: int
    label: str
    probability: float
    target_layer: str


def grad_cam(inspected: Inspected, image: Image.Image, target_layer: str) -> CamResult:
    """Grad-CAM (torchcam) of the top-1 class, with the target layer named explicitly."""
    from torchcam.methods import GradCAM

    if inspected.categories is None:
        raise ValueError("Grad-CAM explains a class score: it needs a pretrained classifier")
    view = private_view(inspected.model)
    (batch,) = inspected.batch(image)
    # Gradients flow to the activations only: the shared weights keep requires_grad=False.
    with torch.inference_mode(False), torch.enable_grad(), GradCAM(view, target_layer=target_layer) as extractor:
        scores = view(batch.clone().requires_grad_(True))
        index = int(scores[0].argmax())
        cam = extractor(class_idx=index, scores=scores)[0][0]
    probability = float(torch.softmax(scores[0].detach().double(), dim=0)[index])
    return CamResult(cam.detach().float().numpy(), index, inspected.categories[index], probability, target_layer)


# One colour scale for every heat map (Grad-CAM here, the attribution lab's maps and their legend): viridis, whose
# lightness rises with the value, so that the order reads without telling hues apart (with any colour-vision
# deficiency, or in grey); jet's lightness rises and falls.
COLOUR_MAP = "viridis"


def cam_overlay(view: Image.Image, cam: np.ndarray, alpha: float = 0.5) -> Image.Image:
    """The heat map, resized to the model's input, over the picture the model saw, in ``COLOUR_MAP`` (torchcam's
    default is jet)."""
    from torchcam.utils import overlay_mask

    return overlay_mask(view.convert("RGB"), Image.fromarray(cam.astype(np.float32)), colormap=COLOUR_MAP,
                        alpha=alpha)


def field_boxes(layer_rf, row: int, col: int, photo_size: tuple[int, int],
                spec: Preprocessing) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Where unit (row, col) of a layer looks: (left, top, right, bottom) in the model's input and on the photo.

    ``layer_rf`` is a ``cnnviz.analysis.receptive_field.recursion.LayerRF`` computed for the model's input size; the box is
    clipped to the input (the padding beyond it holds zeros, not photo).
    """
    from cnnviz.analysis.receptive_field.recursion import unit_box
    from cnnviz.imagelab.predict import crop_box

    top, left, bottom, right = unit_box(layer_rf, row, col, spec.crop)
    crop_left, crop_top, crop_right, crop_bottom = crop_box(photo_size, spec)
    x_scale, y_scale = (crop_right - crop_left) / spec.crop, (crop_bottom - crop_top) / spec.crop
    on_photo = (crop_left + left * x_scale, crop_top + top * y_scale,
                crop_left + right * x_scale, crop_top + bottom * y_scale)
    return (left, top, right, bottom), on_photo
