"""Plotly figures of the concept labs (no Streamlit here, so tests can inspect them)."""

from __future__ import annotations

import numpy as np
import plotly.express as px
import plotly.graph_objects as go

from cnnviz.analysis.receptive_field.recursion import LayerRF
from cnnviz.i18n import N_, _
from cnnviz.labs.output_size import Answer, Layer

_MARGIN = dict(t=50, b=50, l=60, r=20)
COLOURS = px.colors.qualitative.Plotly


def rf_growth(series: dict[str, list[LayerRF]], input_size: int | None = None) -> go.Figure:
    """Receptive field after each field-changing layer, one line per model (log scale: 3 to 5000 px)."""
    figure = go.Figure()
    for name, fields in series.items():
        fields = [f for f in fields if not f.global_pool]
        figure.add_scatter(x=list(range(1, len(fields) + 1)), y=[f.rf for f in fields], mode="lines+markers",
                           name=name, marker=dict(size=4), customdata=[[f.name, f.kind, f.jump] for f in fields],
                           hovertemplate="%{customdata[0]} (%{customdata[1]})<br>"
                                         + _("field %{y} px, jump %{customdata[2]}") + "<extra>" + name + "</extra>")
    if input_size and series:
        # A trace, not add_hline: shapes on a log axis take log10 values.
        longest = max(len(fields) for fields in series.values())
        figure.add_scatter(x=[1, longest], y=[input_size, input_size], mode="lines", name=_("input size {size} px").format(size=input_size),
                           line=dict(dash="dot", color="grey"), hoverinfo="skip")
    figure.update_layout(title=_("Receptive field growth"), height=460, margin=_MARGIN,
                         legend_title_text=_("model"))
    figure.update_xaxes(title_text=_("layer (convolutions, poolings and joins, in execution order)"))
    figure.update_yaxes(title_text=_("receptive field (input pixels, log scale)"), type="log")
    return figure


def stacking_steps(layers: int, kernel: int = 3) -> go.Figure:
    """The field of one output unit traced back layer by layer: 1 → k → 2k-1 → ... input pixels."""
    field = 1 + layers * (kernel - 1)
    grid = field + 2
    figure = go.Figure()
    figure.add_heatmap(z=np.zeros((grid, grid)), colorscale=[[0, "#f4f4f4"], [1, "#f4f4f4"]], showscale=False,
                       xgap=1, ygap=1, hoverinfo="skip")
    centre = grid // 2
    for step in range(layers, -1, -1):
        size = 1 + step * (kernel - 1)
        half = size / 2
        if step == 0:
            label = _("the output unit")
        elif step == 1:
            label = _("1 layer down: {size}x{size}").format(size=size)
        else:
            label = _("{count} layers down: {size}x{size}").format(count=step, size=size)
        colour = COLOURS[step % len(COLOURS)]
        figure.add_shape(type="rect", x0=centre - half, x1=centre + half, y0=centre - half, y1=centre + half,
                         line=dict(color=colour, width=4), fillcolor=colour if step == 0 else None,
                         opacity=0.8 if step == 0 else 1)
        figure.add_scatter(x=[None], y=[None], mode="markers", marker=dict(color=colour, size=12, symbol="square"),
                           name=label)
    figure.update_layout(title=_("{layers} stacked {kernel}x{kernel} layers see {field}x{field} input pixels").format(
                             layers=layers, kernel=kernel, field=field),
                         height=460, margin=_MARGIN, legend=dict(orientation="v"))
    figure.update_xaxes(title_text=_("input column (pixels)"), range=[-0.5, grid - 0.5], constrain="domain")
    figure.update_yaxes(title_text=_("input row (pixels)"), range=[grid - 0.5, -0.5], scaleanchor="x")
    return figure


def macs_vs_size(designs: dict[str, int], largest: int = 56) -> go.Figure:
    """MACs = coefficient x i^2 for each design, against the map size i."""
    sizes = np.arange(1, largest + 1)
    figure = go.Figure()
    for name, coefficient in designs.items():
        figure.add_scatter(x=sizes, y=coefficient * sizes ** 2, mode="lines", name=f"{name}: {coefficient:,} i²")
    figure.update_layout(title=_("Multiply-accumulates against map size"), height=380, margin=_MARGIN)
    figure.update_xaxes(title_text=_("map size i (pixels per side)"))
    figure.update_yaxes(title_text=_("MACs per image (count)"))
    return figure


def bars(values: dict[str, int], title: str, axis: str, log: bool = True) -> go.Figure:
    """``values``' names, ``title`` and ``axis`` are shown as given (the caller translates them)."""
    names = list(values)
    figure = go.Figure(go.Bar(x=names, y=[values[n] for n in names], text=[f"{values[n]:,}" for n in names],
                              textposition="outside", marker_color=COLOURS[:len(names)]))
    figure.update_layout(title=title, height=380, margin=_MARGIN, showlegend=False)
    figure.update_yaxes(title_text=_("{axis} (log scale)").format(axis=axis) if log else axis,
                        type="log" if log else "linear")
    figure.update_xaxes(title_text=_("design"))
    return figure


def windows(width: int, layer: Layer, answer: Answer) -> go.Figure | None:
    """One row of the padded input and every window PyTorch places on it (None for wide inputs)."""
    if answer.size is None or width > 64 or layer.kind == "transposed convolution":
        return None
    p, s, d = layer.padding, layer.stride, layer.dilation
    figure = go.Figure()
    covered = set()
    for w in range(answer.size):
        taps = [w * s + m * d for m in range(layer.kernel)]  # in padded coordinates
        covered.update(range(taps[0], taps[-1] + 1))
        figure.add_scatter(x=taps, y=[w + 1] * len(taps), mode="lines+markers", line=dict(color="#4c78a8"),
                           marker=dict(size=9), showlegend=False, hovertemplate=_("window {index}").format(index=w) + "<extra></extra>")
    cells = list(range(width + 2 * p))
    kinds = ["padding" if c < p or c >= width + p else ("never under a window" if c not in covered else "input")
             for c in cells]
    palette = {N_("padding"): "#bab0ac", N_("input"): "#72b7b2", N_("never under a window"): "#e45756"}
    for kind, colour in palette.items():
        xs = [c for c, k in zip(cells, kinds) if k == kind]
        if xs:
            figure.add_scatter(x=xs, y=[0] * len(xs), mode="markers", name=_(kind),
                               marker=dict(symbol="square", size=14, color=colour))
    figure.update_layout(title=_("{windows} windows over {width} pixels + {padding} padding each side").format(
                             windows=answer.size, width=width, padding=p),
                         height=max(320, 180 + 24 * answer.size), margin=dict(t=50, b=50, l=90, r=20),
                         legend=dict(orientation="h", y=-0.2))
    figure.update_xaxes(title_text=_("position in the padded input (pixels)"), dtick=1 if width + 2 * p <= 40 else 5)
    figure.update_yaxes(title_text=_("window of output unit"), autorange="reversed",
                        tickvals=list(range(answer.size + 1)),
                        ticktext=[_("input")] + [_("unit {index}").format(index=w) for w in range(answer.size)])
    return figure


def _pixel_labels() -> dict[str, str]:
    """A photo's hover text in the session's language (plotly's own says "color")."""
    return {"x": "x", "y": "y", "color": _("colour")}


def photo_with_box(image: np.ndarray, box: tuple[int, int, int, int], title: str, heat: np.ndarray | None = None,
                   height: int = 420) -> go.Figure:
    """The photo (or a heat map) with a unit's field: box = (top, left, bottom, right), bottom/right exclusive."""
    if heat is None:
        figure = px.imshow(image, labels=_pixel_labels())
    else:
        figure = go.Figure(go.Heatmap(z=heat, colorscale="Viridis", zmin=0, zmax=1,
                                      colorbar=dict(title=_("|gradient| / max")),
                                      hovertemplate="x %{x}, y %{y}: %{z:.3f}<extra></extra>"))
        figure.update_yaxes(autorange="reversed", scaleanchor="x", constrain="domain")
        figure.update_xaxes(constrain="domain")
    top, left, bottom, right = box
    # Pixel centres sit on integers, so the box's edges are half a pixel outside its first and last pixel.
    figure.add_shape(type="rect", x0=left - 0.5, x1=right - 0.5, y0=top - 0.5, y1=bottom - 0.5,
                     line=dict(color="#00e5ff", width=2))
    figure.update_layout(title=title, height=height, margin=_MARGIN)
    figure.update_xaxes(title_text=_("x (input pixels)"))
    figure.update_yaxes(title_text=_("y (input pixels)"))
    return figure


def crop_boxes(image: np.ndarray, boxes: list[tuple[str, int, int]], crop: int, title: str) -> go.Figure:
    """The photo with square crop boxes: (name, left, top) each, ``crop`` pixels a side; the names are
    ``regularisation.TEN_CROP_NAMES``' (translated here), the title is shown as given."""
    figure = px.imshow(image, labels=_pixel_labels())
    for (name, left, top), colour in zip(boxes, COLOURS, strict=False):
        figure.add_shape(type="rect", x0=left - 0.5, x1=left + crop - 0.5, y0=top - 0.5, y1=top + crop - 0.5,
                         line=dict(color=colour, width=3))
        figure.add_scatter(x=[None], y=[None], mode="markers", marker=dict(color=colour, size=12, symbol="square"),
                           name=_(name))
    figure.update_layout(title=title, height=420, margin=_MARGIN, legend_title_text=_("crop"))
    figure.update_xaxes(title_text=_("x (pixels)"))
    figure.update_yaxes(title_text=_("y (pixels)"))
    return figure


def ensemble_curve(accuracies: list[float]) -> go.Figure:
    """Accuracy of an average of the first k classifiers' probabilities, against k."""
    members = list(range(1, len(accuracies) + 1))
    figure = go.Figure(go.Scatter(x=members, y=[100 * a for a in accuracies], mode="lines+markers",
                                  hovertemplate=_("%{x} classifiers: %{y:.1f}%") + "<extra></extra>"))
    figure.update_layout(title=_("Averaging independent classifiers"), height=360, margin=_MARGIN,
                         showlegend=False)
    figure.update_xaxes(title_text=_("classifiers averaged (k)"), dtick=1)
    figure.update_yaxes(title_text=_("accuracy (%)"))
    return figure
