"""Plotly figures of the image lab: top-k bars, pictures, feature-map and filter grids, receptive fields."""

from __future__ import annotations

import numpy as np
import plotly.express as px
import plotly.graph_objects as go
from PIL import Image

from cnnviz.i18n import _
from cnnviz.imagelab.predict import Prediction

_MARGIN = dict(t=40, b=40, l=50, r=20)


def top_k_bars(predictions: list[Prediction], title: str) -> go.Figure:
    """Most likely class on top; probabilities in percent of the softmax over all 1000 classes."""
    ordered = predictions[::-1]
    figure = go.Figure(go.Bar(
        x=[100 * p.probability for p in ordered], y=[p.label for p in ordered], orientation="h",
        text=[f"{100 * p.probability:.1f}%" for p in ordered], textposition="auto", marker_color="#4c78a8",
        hovertemplate="%{y}: %{x:.2f}%<extra></extra>"))
    figure.update_layout(title=title, height=80 + 42 * len(predictions), margin=_MARGIN)
    figure.update_xaxes(title_text=_("probability (%)"), range=[0, 100])
    figure.update_yaxes(title_text=_("ImageNet class"))
    return figure


def picture(image: Image.Image | np.ndarray, title: str, height: int = 360) -> go.Figure:
    pixels = np.asarray(image)
    figure = px.imshow(pixels, binary_string=pixels.ndim == 3, color_continuous_scale="gray",
                       zmin=0, zmax=255 if pixels.dtype == np.uint8 else None,
                       labels={"x": "x", "y": "y", "color": _("colour")})  # plotly's own hover says "color"
    figure.update_layout(title=title, height=height, margin=_MARGIN, coloraxis_showscale=False)
    figure.update_xaxes(title_text=_("x (pixels)"))
    figure.update_yaxes(title_text=_("y (pixels)"))
    return figure


def feature_grid(strongest, count: int, layer: str, columns: int = 4) -> go.Figure:
    """One heat map per channel (shared colour scale, so channels compare), strongest first.

    ``strongest`` is a ``cnnviz.imagelab.inside.StrongestMaps``; its first ``count`` channels are drawn."""
    channels = strongest.channels[:count]
    figure = px.imshow(strongest.maps[:count], facet_col=0, facet_col_wrap=columns, facet_row_spacing=0.06,
                       facet_col_spacing=0.02, color_continuous_scale="viridis",
                       labels={"color": _("activation"), "x": _("column (unit)"), "y": _("row (unit)")})
    for annotation in figure.layout.annotations:
        position = int(annotation.text.split("=")[-1])
        channel = channels[position]
        annotation.text = _("channel {channel} · mean {mean}").format(channel=channel,
                                                                       mean=f"{strongest.means[channel]:.2f}")
    rows = -(-len(channels) // columns)
    total, height, width = strongest.shape
    figure.update_layout(title=_("{layer}: the {count} most active of {total} channels ({height}x{width} units "
                                 "each)").format(layer=layer, count=len(channels), total=total, height=height,
                                                 width=width),
                         height=140 + 190 * rows, margin=dict(t=70, b=40, l=50, r=20))
    return figure


def filter_grid(filters: np.ndarray, layer: str, columns: int = 8) -> go.Figure:
    """First-layer kernels as small pictures (each stretched to its own 0..1 range)."""
    pictures = (filters * 255).round().astype(np.uint8)
    if pictures.shape[-1] == 1:
        pictures = np.repeat(pictures, 3, axis=-1)
    rows = -(-len(filters) // columns)
    figure = px.imshow(pictures, facet_col=0, facet_col_wrap=columns, facet_row_spacing=0.2 / rows,
                       facet_col_spacing=0.01,
                       labels={"x": _("kernel column"), "y": _("kernel row"), "color": _("colour")})
    for annotation in figure.layout.annotations:
        annotation.text = f"#{annotation.text.split('=')[-1]}"
    size = filters.shape[1]
    figure.update_layout(title=_("{layer}: {count} kernels of {size}x{size} pixels").format(
                             layer=layer, count=len(filters), size=size), height=120 + 110 * rows,
                         margin=dict(t=70, b=40, l=50, r=20))
    figure.update_xaxes(showticklabels=False)
    figure.update_yaxes(showticklabels=False)
    return figure


def receptive_field_figure(image: Image.Image, boxes: list[tuple], title: str, height: int = 460) -> go.Figure:
    """``image`` with rectangles drawn on it: (left, top, right, bottom) in pixels, colour, legend name and,
    optionally, plotly's line dash (solid where it is left out).

    Boxes are in pixel-edge coordinates (pixel i spans i..i+1, ``right`` and ``bottom`` exclusive) while the
    picture has pixel i's centre at i: every edge is drawn half a pixel lower, as ``labs.figures.photo_with_box``.
    """
    figure = picture(image, title, height)
    for box, colour, name, *dash in boxes:
        left, top, right, bottom = (edge - 0.5 for edge in box)
        figure.add_trace(go.Scatter(
            x=[left, right, right, left, left], y=[top, top, bottom, bottom, top], mode="lines", name=name,
            line=dict(color=colour, width=3, dash=dash[0] if dash else "solid"), hoverinfo="name"))
    figure.update_layout(showlegend=True, legend=dict(orientation="h", y=-0.15))
    figure.update_xaxes(range=[-0.5, image.width - 0.5])
    figure.update_yaxes(range=[image.height - 0.5, -0.5])
    return figure
