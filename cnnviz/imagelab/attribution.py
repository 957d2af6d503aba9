"""Which pixels made a class win: six attribution maps of one photo for one class.

Every method works in pixel space (the model's crop, 0..1 per colour, before normalisation; ``PixelSpace``), so
the occlusion patch is a real grey, the integrated-gradients baseline a real black and an adversarial step a real
change of pixel levels. Every map is returned as (height, width) values in 0..1 at the model's input size, ready
to be drawn with one colour scale. Grad-CAM uses torchcam, as the Grad-CAM tab of the image lab does; occlusion
is a loop of its own (``occlusion``); the other four use Captum.

The shared models are never hooked or changed: hooks and module swaps happen on a private view
(``inside.private_view``), whose weights are the shared ones.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from torch import nn

from cnnviz.imagelab.inside import COLOUR_MAP, private_view

METHODS = ("gradcam", "occlusion", "saliency", "integrated-gradients", "guided-backprop", "deconvnet")
Progress = Callable[[float], None]  # the share of the job done, 0..1

# Defaults measured on 2 cores (one inference worker's thread): each job stays within a few seconds.
OCCLUSION_PATCH, OCCLUSION_STRIDE = 56, 24  # 8x8 = 64 positions on a 224 crop
MOST_OCCLUSIONS = 100  # positions per job; a smaller stride is raised until the job fits (``occlusion_stride``)
# Gauss-Legendre points: 32 take 2.5 s; on EfficientNet-Lite0's logits the sum is then still 10-50% off
# f(photo) - f(black) (200 points: 2%): ReLU6 and batch norm make the path's integrand rough. The page shows the gap.
IG_STEPS, MOST_IG_STEPS = 32, 96
GREY, BLACK = 0.5, 0.0  # the occluding patch and the integrated-gradients baseline, in pixel space
PER_EVAL = 8  # images per forward pass in occlusion (no gradients: little memory)
IG_PER_EVAL = 4  # images per forward and backward pass in integrated gradients: each keeps its activations


class PixelSpace(nn.Module):
    """The classifier on pixel-space input: normalises, then runs ``model``."""

    def __init__(self, model: nn.Module, mean: tuple[float, ...], std: tuple[float, ...]) -> None:
        super().__init__()
        self.model = model
        self.register_buffer("mean", torch.tensor(mean).view(1, -1, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(std).view(1, -1, 1, 1), persistent=False)

    def forward(self, pixels: torch.Tensor) -> torch.Tensor:
        # Channels-last: about a third faster on a CPU (EfficientNet-Lite0, 1 thread: 35 ms an image, not 53).
        return self.model(((pixels - self.mean) / self.std).contiguous(memory_format=torch.channels_last))


def pixel_space(inspected) -> PixelSpace:
    """A private, hookable view of an ``inside.Inspected`` classifier, on pixel-space input."""
    spec = inspected.preprocessing
    return PixelSpace(private_view(inspected.model), spec.mean, spec.std).eval()


def to_pixels(view: Image.Image) -> torch.Tensor:
    """The model's view (``Inspected.view``) as a (1, 3, H, W) tensor of 0..1."""
    return torch.from_numpy(np.array(view.convert("RGB"))).permute(2, 0, 1)[None].float().div(255).contiguous()


def from_pixels(pixels: torch.Tensor) -> np.ndarray:
    """(1, 3, H, W) in 0..1 back to an (H, W, 3) uint8 picture."""
    return (pixels[0].detach().permute(1, 2, 0).clamp(0, 1) * 255).round().to(torch.uint8).numpy()


@dataclass(frozen=True)
class Attribution:
    method: str
    heatmap: np.ndarray  # (H, W) in 0..1: 1 is the map's strongest pixel
    seconds: float
    detail: dict  # what the method ran with (cam layer, patch and stride, steps)


def attribute(net: PixelSpace, pixels: torch.Tensor, target: int, method: str, *, cam_layer: str | None = None,
              patch: int = OCCLUSION_PATCH, stride: int = OCCLUSION_STRIDE, steps: int = IG_STEPS,
              progress: Progress | None = None) -> Attribution:
    """One method's map of class ``target`` (an output index) for the (1, 3, H, W) ``pixels``."""
    started = time.perf_counter()
    with torch.inference_mode(False), torch.enable_grad(), warnings.catch_warnings():
        # Captum warns on every call that it sets hooks and that inputs lack requires_grad; both are expected.
        warnings.simplefilter("ignore", UserWarning)
        pixels = pixels.clone()
        if method == "gradcam":
            if cam_layer is None:
                raise ValueError("Grad-CAM needs its target layer")
            heatmap, detail = grad_cam(net, pixels, target, cam_layer), {"layer": cam_layer}
        elif method == "occlusion":
            stride = occlusion_stride(pixels.shape[-1], patch, stride)
            raw = occlusion(net, pixels, target, patch, stride, progress)
            positions = len(occlusion_starts(pixels.shape[-2], patch, stride)) * len(
                occlusion_starts(pixels.shape[-1], patch, stride))
            heatmap = positive_part(raw[0].mean(dim=0))
            detail = {"patch": patch, "stride": stride, "positions": positions}
        elif method == "integrated-gradients":
            raw = integrated_gradients(net, pixels, target, steps, progress)
            with torch.no_grad():
                gap = net(torch.cat([pixels, torch.full_like(pixels, BLACK)]))[:, target]
            # Completeness: how far the attributions' sum is from what they should add up to.
            heatmap = pixel_magnitude(raw)
            detail = {"steps": steps, "sum": float(raw.sum()), "difference": float(gap[0] - gap[1])}
        elif method in ("saliency", "guided-backprop", "deconvnet"):
            heatmap, detail = pixel_magnitude(gradient_map(net, pixels, target, method)), {}
        else:
            raise ValueError(f"unknown method {method!r}; choose one of: {', '.join(METHODS)}")
    if progress:
        progress(1.0)
    return Attribution(method, heatmap, time.perf_counter() - started, detail)


def grad_cam(net: PixelSpace, pixels: torch.Tensor, target: int, layer: str) -> np.ndarray:
    """torchcam's Grad-CAM of class ``target`` at ``layer`` (a module name of the classifier), enlarged to the
    input with bilinear interpolation. A map with no positive evidence (random weights can give one) is zero."""
    from torchcam.methods import GradCAM

    with GradCAM(net, target_layer=f"model.{layer}") as extractor:
        scores = net(pixels.requires_grad_(True))
        cam = extractor(class_idx=target, scores=scores)[0].detach().float()
    cam = torch.nan_to_num(cam.reshape(1, 1, *cam.shape[-2:]), nan=0.0)
    enlarged = F.interpolate(cam, size=pixels.shape[-2:], mode="bilinear", align_corners=False)[0, 0]
    return _unit_range(enlarged.clamp_min(0))


def occlusion_starts(size: int, patch: int, stride: int) -> list[int]:
    """Where the patch starts along one side of ``size`` pixels: from the first pixel to flush with the last, evenly
    spaced and at most ``stride`` apart (one position where the patch spans the side). With ``stride`` at most
    ``patch``, every pixel lies under at least one whole patch."""
    if patch >= size:
        return [0]
    gaps = -(-(size - patch) // stride)  # the fewest gaps of at most ``stride``
    return [round(gap * (size - patch) / gaps) for gap in range(gaps + 1)]


def occlusion_positions(size: int, patch: int, stride: int) -> int:
    """How many positions the patch takes on a size x size input (rows times columns)."""
    return len(occlusion_starts(size, patch, stride)) ** 2


def occlusion_stride(size: int, patch: int, stride: int) -> int:
    """The stride a job runs with: ``stride``, raised where needed so that the job needs at most ``MOST_OCCLUSIONS``
    positions, but never above ``patch``: a larger step would leave strips that no patch covers. So a patch too small
    to cover the input in ``MOST_OCCLUSIONS`` positions takes more (16 pixels on 224: 14 x 14)."""
    stride = min(stride, patch)
    while stride < patch and occlusion_positions(size, patch, stride) > MOST_OCCLUSIONS:
        stride += 1
    return stride


def occlusion(net: nn.Module, pixels: torch.Tensor, target: int, patch: int, stride: int,
              progress: Progress | None = None) -> torch.Tensor:
    """ZFNet's experiment (Zeiler & Fergus 2014, fig. 7): a grey patch slid over the image; each pixel gets the mean
    drop of the class's probability over the positions whose patch covers it (negative: the probability rose).
    (1, 3, H, W); every channel holds the same value.

    Not Captum's ``Occlusion``: its grid steps from the first pixel by ``stride`` and cuts the last patch off at the
    edge, so the far strip is judged by a sliver of grey (8 pixels wide for a 24-pixel patch on 224), and it refuses
    a stride above the patch. Here every position holds a whole patch (``occlusion_starts``)."""
    if stride > patch:
        raise ValueError(f"a stride of {stride} above the {patch}-pixel patch would leave pixels no patch covers")
    height, width = pixels.shape[-2:]
    places = [(top, left) for top in occlusion_starts(height, patch, stride)
              for left in occlusion_starts(width, patch, stride)]
    forward = _Counting(lambda x: torch.softmax(net(x), dim=1)[:, target], len(places) + 1, progress)
    total, count = torch.zeros(height, width), torch.zeros(height, width)
    with torch.no_grad():  # occlusion only runs forward passes
        score = forward(pixels)[0]
        for first in range(0, len(places), PER_EVAL):
            batch = places[first:first + PER_EVAL]
            covered = pixels.repeat(len(batch), 1, 1, 1)
            for image, (top, left) in zip(covered, batch):
                image[:, top:top + patch, left:left + patch] = GREY
            for drop, (top, left) in zip(score - forward(covered), batch):
                total[top:top + patch, left:left + patch] += drop.float()
                count[top:top + patch, left:left + patch] += 1
    return (total / count).expand(1, pixels.shape[1], height, width).clone()


def integrated_gradients(net: nn.Module, pixels: torch.Tensor, target: int, steps: int = IG_STEPS,
                         progress: Progress | None = None) -> torch.Tensor:
    """Integrated gradients (Sundararajan et al. 2017) of the class's logit along the straight path from a black
    image: the attributions sum to logit(photo) - logit(black), up to the integral's error. (1, 3, H, W)."""
    from captum.attr import IntegratedGradients

    forward = _Counting(net, steps, progress)
    return IntegratedGradients(forward).attribute(pixels, baselines=BLACK, target=target, n_steps=steps,
                                                  internal_batch_size=IG_PER_EVAL).detach()


def gradient_map(net: PixelSpace, pixels: torch.Tensor, target: int, method: str) -> torch.Tensor:
    """The gradient of the class's logit with respect to the pixels: plain (saliency, Simonyan et al. 2014) or with
    each ReLU's backward rule replaced (guided backprop, Springenberg et al. 2015; deconvnet, Zeiler & Fergus
    2014). (1, 3, H, W)."""
    from captum.attr import Deconvolution, GuidedBackprop, Saliency

    if method == "saliency":
        return Saliency(net).attribute(pixels, target=target, abs=False).detach()
    rule = GuidedBackprop if method == "guided-backprop" else Deconvolution
    return rule(relu6_as_relu(net)).attribute(pixels, target=target).detach()


class _CapAtSix(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.clamp(max=6.0)


def relu6_as_relu(net: nn.Module) -> nn.Module:
    """A copy of ``net`` (weights shared) whose ReLU6 modules are ``nn.ReLU`` followed by a cap at 6.

    Captum's GuidedBackprop and Deconvolution change the backward rule of ``nn.ReLU`` modules only: on
    EfficientNet-Lite0 and MobileNet v2, whose every activation is ReLU6, they would silently return the plain
    gradient. ReLU6(x) = min(ReLU(x), 6), so after the split Captum's rule applies to the ReLU part, while the cap
    keeps its ordinary gradient (zero where a unit is saturated at 6). The forward pass is unchanged. Hardtanh
    and other activations are left as they are (none of the image lab's classifiers uses them).
    """
    view = private_view(net)
    for module in list(view.modules()):
        for name, child in module.named_children():
            if isinstance(child, nn.ReLU6):
                setattr(module, name, nn.Sequential(nn.ReLU(), _CapAtSix()))
    return view


def pixel_magnitude(attributions: torch.Tensor, percentile: float = 99.0) -> np.ndarray:
    """A pixel's attribution: the sum of its three colours' absolute values, divided by the map's 99th percentile
    and clipped at 1 (as Captum's own visualisation does: a few extreme pixels would otherwise leave the rest
    dark)."""
    magnitude = attributions[0].abs().sum(dim=0).float()
    top = torch.quantile(magnitude.flatten(), percentile / 100)
    if top <= 0:
        return _unit_range(magnitude)
    return (magnitude / top).clamp(0, 1).numpy()


def positive_part(values: torch.Tensor) -> np.ndarray:
    """Occlusion's drops only (a rise of the probability is no evidence for the class), scaled to 0..1."""
    return _unit_range(values.clamp_min(0).float())


def _unit_range(values: torch.Tensor) -> np.ndarray:
    top = float(values.max())
    return (values / top if top > 0 else torch.zeros_like(values)).detach().numpy().astype(np.float32)


class _Counting:
    """A forward function that reports the share of its ``total`` inputs it has run (for a progress bar)."""

    def __init__(self, forward: Callable, total: int, progress: Progress | None) -> None:
        self.forward, self.total, self.progress, self.done = forward, total, progress, 0

    def __call__(self, inputs: torch.Tensor) -> torch.Tensor:
        self.done += inputs.shape[0]
        if self.progress:
            self.progress(min(1.0, self.done / max(1, self.total)))
        return self.forward(inputs)


def quadrant_share(heatmap: np.ndarray, quadrant: tuple[int, int]) -> float:
    """The share of the map's total inside one quadrant ((row, col), each 0 or 1): the pointing game's score."""
    height, width = heatmap.shape
    row, col = quadrant
    inside = heatmap[row * height // 2:(row + 1) * height // 2, col * width // 2:(col + 1) * width // 2]
    total = float(heatmap.sum())
    return float(inside.sum()) / total if total > 0 else 0.0




def overlay(view: Image.Image, heatmap: np.ndarray, alpha: float = 0.5) -> Image.Image:
    """The map (0..1), coloured with ``COLOUR_MAP``, blended over the picture the model saw (``alpha``: the
    picture's share). Linear in the map's value, so that the legend (``colour_stops``) reads it exactly."""
    from matplotlib import colormaps

    mask = Image.fromarray(heatmap.astype(np.float32)).resize(view.size, Image.Resampling.BILINEAR)
    coloured = colormaps[COLOUR_MAP](np.clip(np.asarray(mask), 0, 1), bytes=True)[..., :3]
    return Image.blend(Image.fromarray(coloured), view.convert("RGB"), alpha)


def colour_stops(count: int = 11) -> list[tuple[float, str]]:
    """``COLOUR_MAP`` as (value, "rgb(r, g, b)") stops, for a plotly colour bar."""
    from matplotlib import colormaps

    values = np.linspace(0, 1, count)
    return [(float(v), "rgb({}, {}, {})".format(*colormaps[COLOUR_MAP](v, bytes=True)[:3])) for v in values]
