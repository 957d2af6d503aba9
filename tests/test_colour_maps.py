"""Colour scales that read with a colour-vision deficiency: a map of one sign (attribution, Grad-CAM, feature maps)
gets lighter as its value rises, so that its order needs no hue; a signed map (a filter's weights) gets darker from
zero to either end, and its two ends stay apart for a viewer with deuteranopia or protanopia.

Lightness is CIELAB's L* (scikit-image's conversion); the deficiencies are simulated with Machado, Oliveira and
Fernandes's matrices (IEEE TVCG 2009, severity 1), applied to linear RGB."""

from __future__ import annotations

import re

import numpy as np
import pytest
from PIL import Image
from skimage.color import rgb2lab

from cnnviz.imagelab.attribution import colour_stops, overlay
from cnnviz.imagelab.inside import cam_overlay
from cnnviz.training.charts import image_grid

MACHADO_2009 = {
    "deuteranopia": np.array([[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413],
                              [-0.011820, 0.042940, 0.968881]]),
    "protanopia": np.array([[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216],
                            [-0.003882, -0.048116, 1.051998]]),
}
APART = 30  # ΔE*ab between a signed scale's ends as such a viewer sees them; red-yellow-green's are 18 and 19


def _lab(rgb) -> np.ndarray:
    return rgb2lab(np.asarray(rgb, dtype=float).reshape(-1, 1, 3) / 255).reshape(-1, 3)


def _as_deficient(rgb, matrix: np.ndarray) -> np.ndarray:
    linear = np.asarray(rgb, dtype=float) / 255
    linear = np.where(linear <= 0.04045, linear / 12.92, ((linear + 0.055) / 1.055) ** 2.4)
    seen = np.clip(linear @ matrix.T, 0, 1)
    return np.where(seen <= 0.0031308, 12.92 * seen, 1.055 * seen ** (1 / 2.4) - 0.055) * 255


def _rgb(colour: str) -> list[float]:
    return [float(part) for part in re.findall(r"[\d.]+", colour)[:3]]


def _ramp_lightness(draw) -> np.ndarray:
    """L* along the middle row of ``draw(grey photo, map rising 0 -> 1 from left to right)``, every 16th pixel."""
    view = Image.new("RGB", (224, 224), (128, 128, 128))
    ramp = np.tile(np.linspace(0, 1, 28, dtype=np.float32), (28, 1))
    row = np.asarray(draw(view, ramp))[112, ::16]
    return _lab(row)[:, 0]


@pytest.mark.parametrize("draw", [overlay, cam_overlay], ids=["attribution map", "Grad-CAM"])
def test_a_map_over_the_photo_gets_lighter_as_its_value_rises(draw):
    """On a grey photo the map alone sets the colour: with jet, the lightness rose to cyan-yellow and fell to red."""
    lightness = _ramp_lightness(draw)
    assert np.all(np.diff(lightness) >= 0), np.round(lightness, 1)  # Grad-CAM's squared map is flat near 0
    assert lightness[-1] - lightness[0] > 20, np.round(lightness, 1)


def test_the_legend_is_the_maps_scale_and_gets_lighter_too():
    lightness = _lab([_rgb(colour) for _value, colour in colour_stops()])[:, 0]
    assert np.all(np.diff(lightness) > 0), np.round(lightness, 1)


def _scale(figure) -> list[list[float]]:
    from plotly.colors import sample_colorscale

    stops = figure.data[0].colorscale
    return [_rgb(colour) for colour in sample_colorscale([list(stop) for stop in stops], list(np.linspace(0, 1, 11)))]


def test_feature_maps_of_one_sign_get_lighter_as_they_rise():
    """LeNet-5's C1 and C3 maps (after tanh or ReLU, drawn on their own range), as the training page draws them."""
    figure = image_grid([[[0.0, 1.0], [0.5, 0.2]]], 1, colorscale="Viridis", symmetric=False)
    lightness = _lab(_scale(figure))[:, 0]
    assert np.all(np.diff(lightness) > 0), np.round(lightness, 1)


def test_signed_filters_darken_from_zero_to_both_ends_that_stay_apart_with_red_green_deficiencies():
    figure = image_grid([[[-1.0, 0.5], [0.25, 1.0]]], 1)  # the default: signed weights, centred on zero
    colours = _scale(figure)
    lightness = _lab(colours)[:, 0]
    assert np.all(np.diff(lightness[:6]) > 0) and np.all(np.diff(lightness[5:]) < 0), np.round(lightness, 1)
    for deficiency, matrix in MACHADO_2009.items():
        low, high = _lab(_as_deficient([colours[0], colours[-1]], matrix))
        assert np.linalg.norm(low - high) > APART, deficiency
