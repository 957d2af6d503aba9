"""What a channel wants to see: a picture synthesised to excite it (activation maximisation), and the patches of
real photos that excite it most.

The synthesis follows Olah, Mordvintsev & Schubert, "Feature Visualization" (Distill 2017), as their Lucid
library does it: the picture is parameterised in a decorrelated colour space and in Fourier space with a 1/f
spectrum (so that gradient steps favour natural, low-frequency pictures), and each step looks at it through
random jitter, scaling and blur (so that the channel cannot be fooled by a pattern that only works at one pixel
offset). Written here in about sixty lines rather than taken from a library: Lucid is TensorFlow 1, and its ports
(lucent, torch-lucent) pin old torch versions and would bring their own model zoo for one function.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from cnnviz.imagelab.attribution import Progress, from_pixels, to_pixels
from cnnviz.imagelab.inside import private_view

SIZE, STEPS = 128, 96  # 96 steps at 128x128: about 5 s on one core for a middle EfficientNet-Lite0 block
# Lucid's colour decorrelation: the square root of ImageNet's colour covariance (its SVD).
_COLOUR = torch.tensor([[0.26, 0.09, 0.02], [0.27, 0.00, -0.05], [0.27, -0.09, 0.03]])
_COLOUR = _COLOUR / _COLOUR.norm(dim=0).max()


class _Reached(Exception):
    """Raised from a hook: the forward pass has computed the layer it was run for."""


def layer_output(model: nn.Module, layer: str, inputs: torch.Tensor) -> torch.Tensor:
    """The output of module ``layer`` of ``model`` (a private view: it gets a hook), the rest left unrun."""
    captured = {}

    def hook(_module, _inputs, output):
        captured["output"] = output
        raise _Reached

    handle = dict(model.named_modules())[layer].register_forward_hook(hook)
    try:
        model(inputs)
    except _Reached:
        pass
    finally:
        handle.remove()
    if "output" not in captured:
        raise ValueError(f"layer {layer!r} did not run")
    return captured["output"]


def _spectrum_scale(size: int) -> torch.Tensor:
    """1/f: each frequency's amplitude divided by its frequency (Lucid's ``fft_image``, decay power 1)."""
    rows = torch.fft.fftfreq(size)[:, None]
    cols = torch.fft.rfftfreq(size)[None, :]
    return 1.0 / torch.sqrt(rows ** 2 + cols ** 2).clamp_min(1.0 / size)


def _picture(spectrum: torch.Tensor, scale: torch.Tensor, size: int) -> torch.Tensor:
    """The parameters as a (1, 3, size, size) picture in 0..1."""
    decorrelated = torch.fft.irfft2(torch.view_as_complex(spectrum) * scale, s=(size, size), norm="ortho") / 4
    coloured = torch.einsum("chw,dc->dhw", decorrelated, _COLOUR)
    return torch.sigmoid(coloured)[None]


def _looked_at(picture: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """The random views of one step: padded with grey, jittered by up to 8 px, scaled by 0.95-1.05, blurred."""
    padded = F.pad(picture, (12, 12, 12, 12), value=0.5)
    size = padded.shape[-1]
    dx, dy = (int(v) for v in torch.randint(-8, 9, (2,), generator=generator))
    shifted = torch.roll(padded, shifts=(dy, dx), dims=(2, 3))
    factor = 0.95 + 0.1 * float(torch.rand((), generator=generator))
    scaled = F.interpolate(shifted, size=max(8, round(size * factor)), mode="bilinear", align_corners=False)
    sigma = 0.5 * float(torch.rand((), generator=generator))
    if sigma < 0.1:
        return scaled
    taps = torch.arange(-2, 3, dtype=torch.float32)
    kernel = torch.exp(-taps ** 2 / (2 * sigma ** 2))
    kernel = (kernel / kernel.sum()).view(1, 1, 1, 5).repeat(3, 1, 1, 1)
    blurred = F.conv2d(F.pad(scaled, (2, 2, 0, 0), mode="reflect"), kernel, groups=3)
    return F.conv2d(F.pad(blurred, (0, 0, 2, 2), mode="reflect"), kernel.transpose(2, 3), groups=3)


def visualise_channel(model: nn.Module, mean: tuple, std: tuple, layer: str, channel: int, size: int = SIZE,
                      steps: int = STEPS, seed: int = 0, progress: Progress | None = None) -> np.ndarray:
    """A (size, size, 3) uint8 picture whose views raise the mean activation of ``channel`` at ``layer`` most
    (Adam on the Fourier parameters). ``model`` takes normalised input (``mean``/``std``); it is not hooked
    itself (a private view is)."""
    view = private_view(model).eval()
    generator = torch.Generator().manual_seed(seed)
    normalise = (torch.tensor(mean).view(1, 3, 1, 1), torch.tensor(std).view(1, 3, 1, 1))
    scale = _spectrum_scale(size)
    with torch.inference_mode(False), torch.enable_grad():
        spectrum = (torch.randn(3, size, size // 2 + 1, 2, generator=generator) * 0.01).requires_grad_(True)
        optimiser = torch.optim.Adam([spectrum], lr=0.05)
        for step in range(steps):
            optimiser.zero_grad()
            seen = _looked_at(_picture(spectrum, scale, size), generator)
            inputs = ((seen - normalise[0]) / normalise[1]).contiguous(memory_format=torch.channels_last)
            activation = layer_output(view, layer, inputs)[0, channel].mean()
            (-activation).backward()
            optimiser.step()
            if progress and (step % 8 == 7 or step == steps - 1):
                progress((step + 1) / steps)
        return from_pixels(_picture(spectrum, scale, size))


@dataclass(frozen=True)
class Patch:
    source: str  # the photo's key (a sample's key, or "photo" for the session's)
    activation: float  # the channel's strongest unit on that photo
    unit: tuple[int, int]  # its (row, column)
    box: tuple[int, int, int, int]  # (left, top, right, bottom) in the model's input, clipped to it
    picture: np.ndarray  # that part of the model's input, (h, w, 3) uint8


def field_of(layer: str, fields: list) -> object | None:
    """The receptive field (``LayerRF``) of a layer's units: its own, or a block's last field (its output's)."""
    own = [field for field in fields if field.name == layer]
    inside = [field for field in fields if field.name.startswith(layer + ".")]
    return (own or inside or [None])[-1]


def strongest_patches(model: nn.Module, mean: tuple, std: tuple, views: dict, layer: str, channel: int,
                      field) -> list[Patch]:
    """For each model view (``{key: PIL image}``, the crop the model sees), the patch under the channel's most
    excited unit: the unit's receptive field. Strongest first."""
    from cnnviz.analysis.receptive_field.recursion import unit_box

    view = private_view(model).eval()
    normalise = (torch.tensor(mean).view(1, 3, 1, 1), torch.tensor(std).view(1, 3, 1, 1))
    patches = []
    with torch.inference_mode():
        for key, picture in views.items():
            pixels = to_pixels(picture)
            maps = layer_output(view, layer, (pixels - normalise[0]) / normalise[1])[0, channel]
            row, col = divmod(int(maps.argmax()), maps.shape[1])
            top, left, bottom, right = unit_box(field, row, col, pixels.shape[-1])
            crop = np.asarray(picture.convert("RGB"))[top:bottom, left:right]
            patches.append(Patch(key, float(maps[row, col]), (row, col), (left, top, right, bottom), crop))
    return sorted(patches, key=lambda patch: -patch.activation)

