"""Plotly figures built from computed summaries (no Streamlit here, so tests can inspect them)."""

from __future__ import annotations

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from cnnviz.analysis.summary import Summary, block_totals
from cnnviz.i18n import _


def cost_by_block(summary: Summary) -> go.Figure:
    """Where the parameters and the MACs are: one bar per block (or top-level layer), in order. Titles, axes and
    hover texts in the session's language."""
    totals = {name: t for name, t in block_totals(summary).items() if t["params"] or t["macs"]}
    names = list(totals)
    params = [totals[n]["params"] for n in names]
    macs = [totals[n]["macs"] for n in names]
    figure = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.08,
                           subplot_titles=(_("Parameters (total {total})").format(total=f"{sum(params):,}"),
                                           _("MACs per image (total {total})").format(total=f"{sum(macs):,}")))
    # plotly's own placeholders (%{y:,}) go in as values, so that a translation cannot break them
    def hover(text: str) -> str:
        return "%{x}<br>" + text.format(count="%{y:,}", share="%{customdata:.1%}") + "<extra></extra>"

    figure.add_bar(x=names, y=params, name=_("parameters"), marker_color="#4c78a8", row=1, col=1,
                   hovertemplate=hover(_("{count} parameters ({share})")),
                   customdata=[p / max(sum(params), 1) for p in params])
    figure.add_bar(x=names, y=macs, name=_("MACs"), marker_color="#f58518", row=2, col=1,
                   hovertemplate=hover(_("{count} MACs ({share})")),
                   customdata=[m / max(sum(macs), 1) for m in macs])
    figure.update_yaxes(title_text=_("parameters (count)"), row=1, col=1)
    figure.update_yaxes(title_text=_("MACs (count)"), row=2, col=1)
    figure.update_xaxes(title_text=_("block or layer (execution order)"), row=2, col=1)
    figure.update_layout(height=560, showlegend=False, margin=dict(t=40, b=40, l=60, r=20))
    return figure
