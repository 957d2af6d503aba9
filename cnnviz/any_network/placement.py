"""One network placed among the classics: MACs against parameters, both computed, on the compare page's points
(``cnnviz.lectures.ilsvrc.accuracy_points``)."""

from __future__ import annotations

import html

import plotly.graph_objects as go

from cnnviz.i18n import _


def placed_among_classics(points: list[dict], name: str, params: int, macs: int) -> go.Figure:
    """Log-log: x the MACs per image (G), y the parameters (M); the classics as grey dots, ``name`` as a star."""
    shown = html.escape(name)  # an uploaded file's name: plotly draws tags in text (<a href> makes a link)
    figure = go.Figure()
    figure.add_scatter(
        x=[p["GMACs"] for p in points], y=[p["parameters"] / 1e6 for p in points], mode="markers+text",
        name=_("the classics (torchvision)"), text=[p["model"] for p in points], textposition="top center",
        textfont=dict(size=9, color="#555"), marker=dict(size=9, color="#9aa9bd", line=dict(width=1, color="#333")),
        hovertemplate=_("%{text}<br>%{x:.3f} GMACs · %{y:.2f} M parameters<extra></extra>"))
    figure.add_scatter(
        x=[macs / 1e9], y=[params / 1e6], mode="markers+text", name=shown, text=[shown], textposition="bottom center",
        textfont=dict(size=12, color="#c62828"), marker=dict(size=20, symbol="star", color="#e53935",
                                                             line=dict(width=1, color="#333")),
        hovertemplate=_("%{text}<br>%{x:.3f} GMACs · %{y:.2f} M parameters<extra></extra>"))
    figure.update_layout(height=520, margin=dict(t=30, b=50, l=60, r=20), legend=dict(font=dict(size=10)),
                         xaxis=dict(title=_("MACs per image (G, computed here; log scale)"), type="log"),
                         yaxis=dict(title=_("parameters (M, computed here; log scale)"), type="log"))
    return figure
