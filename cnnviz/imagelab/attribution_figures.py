"""The attribution lab's figures: the one colour scale of every map, and the sanity check's correlations."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from cnnviz.i18n import _


def colour_legend(height: int = 90) -> go.Figure:
    """The one colour scale of every map on the page, as a horizontal colour bar."""
    from cnnviz.imagelab.attribution import colour_stops

    values = np.linspace(0, 1, 101)
    figure = go.Figure(go.Heatmap(z=[values], x=values, colorscale=colour_stops(), showscale=False,
                                  hovertemplate="%{x:.2f}<extra></extra>"))
    figure.update_layout(height=height, margin=dict(t=10, b=40, l=90, r=90))
    figure.update_xaxes(range=[0, 1], tickvals=[0, 0.25, 0.5, 0.75, 1],
                        ticktext=[_("0: no attribution"), "0.25", "0.5", "0.75", _("1: the map's strongest")])
    figure.update_yaxes(showticklabels=False)
    return figure


def correlation_chart(correlations: dict[str, list[float]], stages: list[str], titles: dict[str, str]) -> go.Figure:
    """Spearman's rank correlation with the trained network's map, one line per method, stage by stage.

    The legend sits above the plot: on a narrow screen plotly turns the stages' labels on their side, into the space
    below the axis."""
    figure = go.Figure([go.Scatter(x=stages, y=values, mode="lines+markers", name=titles[method])
                        for method, values in correlations.items()])
    figure.update_layout(height=400, margin=dict(t=10, b=40, l=50, r=20),
                         legend=dict(orientation="h", yanchor="bottom", y=1.02, x=0))
    figure.update_yaxes(title_text=_("rank correlation with the trained map"), range=[-1.05, 1.05])
    figure.update_xaxes(title_text=_("randomised from the top down to this block"), automargin=True)
    return figure
