"""Plotly figures of training runs (no Streamlit here, so tests can inspect them)."""

from __future__ import annotations

import math

import plotly.graph_objects as go
from plotly.colors import qualitative, sample_colorscale
from plotly.subplots import make_subplots

from cnnviz.i18n import N_, _

COLOURS = qualitative.Plotly
DASH = {"plain": "dash", "residual": "solid"}
KIND_COLOURS = {"plain": "#e45756", "residual": "#4c78a8"}
KIND_NAMES = {"plain": N_("plain"), "residual": N_("residual")}  # legends
NET_NAMES = {"plain": N_("plain-{depth}"), "residual": N_("residual-{depth}")}  # one net: the paper's "plain-20"
MODE_NAMES = {"frozen": N_("frozen"), "finetune": N_("finetune"), "scratch": N_("scratch")}  # transfer modes, short
LOG_TICKS = dict(type="log", dtick=1, exponentformat="power")  # label powers of ten only


def depth_colour(depth: int, deepest: int = 56) -> str:
    """Shallow light, deep dark, the same colour for a depth in every chart."""
    return sample_colorscale("Viridis", [min(max((depth - 8) / max(deepest - 8, 1), 0.0), 1.0) * 0.85])[0]


def net_name(kind: str, depth: int | str) -> str:
    """"plain-20", "residual-56" in the session's language."""
    return _(NET_NAMES[kind]).format(depth=depth)


def _epochs(values: list) -> list[int]:
    return list(range(1, len(values) + 1))


def depth_curves(runs: list[dict], depths: list[int] | None = None, kinds: tuple[str, ...] = ("plain", "residual"),
                 total_epochs: int | None = None) -> go.Figure:
    """Training loss (log scale) and validation error per epoch; colour = depth, dash = plain."""
    figure = make_subplots(rows=1, cols=2, horizontal_spacing=0.09,
                           subplot_titles=(_("Training loss (cross-entropy)"), _("Validation error")))
    for run in runs:
        if run["kind"] not in kinds or (depths is not None and run["depth"] not in depths):
            continue
        colour = depth_colour(run["depth"])
        name = net_name(run["kind"], run["depth"])
        line = dict(color=colour, dash=DASH[run["kind"]], width=2.5 if run["kind"] == "residual" else 2)
        figure.add_scatter(x=_epochs(run["train_loss"]), y=run["train_loss"], name=name, legendgroup=name,
                           line=line, row=1, col=1,
                           hovertemplate=f"{name}<br>" + _("epoch %{x}<br>loss %{y:.4f}") + "<extra></extra>")
        figure.add_scatter(x=_epochs(run["val_error"]), y=[100 * v for v in run["val_error"]], name=name,
                           legendgroup=name, showlegend=False, line=line, row=1, col=2,
                           hovertemplate=f"{name}<br>" + _("epoch %{x}<br>error %{y:.1f}%") + "<extra></extra>")
    figure.update_yaxes(title_text=_("loss (nats, log scale)"), row=1, col=1, **LOG_TICKS)
    figure.update_yaxes(title_text=_("error (%)"), rangemode="tozero", row=1, col=2)
    for col in (1, 2):
        figure.update_xaxes(title_text=_("epoch"), row=1, col=col,
                            range=[0.5, total_epochs + 0.5] if total_epochs else None)
    figure.update_layout(height=430, margin=dict(t=40, b=40, l=60, r=20),
                         legend_title_text=_("net (dash = plain)"))
    return figure


def final_by_depth(runs: list[dict]) -> go.Figure:
    """Figure 1's message in one chart: last-epoch training loss against depth, plain vs residual."""
    figure = go.Figure()
    for kind in ("plain", "residual"):
        chosen = sorted((r for r in runs if r["kind"] == kind), key=lambda r: r["depth"])
        figure.add_scatter(x=[r["depth"] for r in chosen], y=[r["train_loss"][-1] for r in chosen],
                           name=_(KIND_NAMES[kind]), mode="lines+markers",
                           line=dict(dash=DASH[kind], color=KIND_COLOURS[kind]),
                           hovertemplate=net_name(kind, "%{x}") + "<br>" + _("last-epoch loss %{y:.4f}")
                           + "<extra></extra>")
    losses = [r["train_loss"][-1] for r in runs]
    # Start the axis at a power of ten so that at least two labelled ticks show.
    figure.update_yaxes(title_text=_("last-epoch training loss (nats, log scale)"),
                        range=[math.floor(math.log10(min(losses))), math.log10(max(losses)) + 0.2], **LOG_TICKS)
    figure.update_xaxes(title_text=_("depth (weighted layers)"))
    figure.update_layout(height=360, margin=dict(t=20, b=40, l=60, r=20))
    return figure


def learning_curves(runs: list, total_epochs: int | None = None) -> go.Figure:
    """LeNet-5 runs: loss per mini-batch and accuracy per epoch (train and validation)."""
    figure = make_subplots(rows=1, cols=2, horizontal_spacing=0.09,
                           subplot_titles=(_("Training loss"), _("Accuracy")))
    for index, run in enumerate(runs):
        colour = COLOURS[index % len(COLOURS)]
        per_epoch = len(run.step_loss) / max(len(run.train_loss), 1)
        steps = [(i + 1) / per_epoch for i in range(len(run.step_loss))]
        figure.add_scatter(x=steps, y=run.step_loss,
                           name=_("{activation}: mini-batch").format(activation=run.activation),
                           line=dict(color=colour, width=1), opacity=0.45, row=1, col=1)
        figure.add_scatter(x=_epochs(run.train_loss), y=run.train_loss,
                           name=_("{activation}: epoch mean").format(activation=run.activation),
                           mode="lines+markers", line=dict(color=colour), row=1, col=1)
        figure.add_scatter(x=_epochs(run.train_accuracy), y=[100 * a for a in run.train_accuracy],
                           name=_("{activation}: train").format(activation=run.activation), mode="lines+markers",
                           line=dict(color=colour, dash="dot"), row=1, col=2)
        figure.add_scatter(x=_epochs(run.val_accuracy), y=[100 * a for a in run.val_accuracy],
                           name=_("{activation}: validation").format(activation=run.activation),
                           mode="lines+markers", line=dict(color=colour), row=1, col=2)
    figure.update_yaxes(title_text=_("cross-entropy (nats, log scale)"), row=1, col=1, **LOG_TICKS)
    figure.update_yaxes(title_text=_("accuracy (%)"), row=1, col=2)
    for col in (1, 2):
        figure.update_xaxes(title_text=_("epoch"), row=1, col=col,
                            range=[0, total_epochs + 0.2] if total_epochs else None)
    figure.update_layout(height=400, margin=dict(t=40, b=40, l=60, r=20))
    return figure


def curves_beside(runs: list[dict], total_epochs: int | None = None) -> tuple[go.Figure, go.Figure]:
    """Runs side by side, one colour each: a chart of the mean training loss per epoch (log scale; a run that brings
    its "step_loss" also every mini-batch, faint) and one of the validation accuracy per epoch, to be drawn next to
    each other (or one above the other on a phone). Each run is a dict with "name", "train_loss" and
    "val_accuracy", and may have "step_loss" and "dash"."""
    loss, accuracy = go.Figure(), go.Figure()
    for index, run in enumerate(runs):
        colour, name = COLOURS[index % len(COLOURS)], run["name"]
        line = dict(color=colour, dash=run.get("dash", "solid"), width=3 if index == 0 else 2)
        steps = run.get("step_loss")
        if steps:
            per_epoch = len(steps) / max(len(run["train_loss"]), 1)
            loss.add_scatter(x=[(i + 1) / per_epoch for i in range(len(steps))], y=steps, name=name,
                             legendgroup=name, showlegend=False, line=dict(color=colour, width=1), opacity=0.35,
                             hoverinfo="skip")
        loss.add_scatter(x=_epochs(run["train_loss"]), y=run["train_loss"], name=name, legendgroup=name,
                         mode="lines+markers", line=line,
                         hovertemplate=name + "<br>" + _("epoch %{x}<br>loss %{y:.4f}") + "<extra></extra>")
        accuracy.add_scatter(x=_epochs(run["val_accuracy"]), y=[100 * a for a in run["val_accuracy"]], name=name,
                             legendgroup=name, mode="lines+markers", line=line,
                             hovertemplate=name + "<br>" + _("epoch %{x}: %{y:.1f}%") + "<extra></extra>")
    loss.update_yaxes(title_text=_("cross-entropy (nats, log scale)"), **LOG_TICKS)
    accuracy.update_yaxes(title_text=_("accuracy (%)"), range=[0, 102])
    for figure, title in ((loss, _("Training loss")), (accuracy, _("Validation accuracy"))):
        figure.update_xaxes(title_text=_("epoch"), range=[0, total_epochs + 0.3] if total_epochs else None)
        figure.update_layout(title=dict(text=title, x=0.5, xanchor="center"), height=400,
                             margin=dict(t=40, b=40, l=60, r=10),
                             legend=dict(orientation="h", yanchor="top", y=-0.2, x=0))
    return loss, accuracy


def image_grid(images: list, columns: int, titles: list[str] | None = None, height: int = 180,
               colorscale: str = "RdBu_r", symmetric: bool = True) -> go.Figure:
    """Small heatmaps side by side (filters or feature maps), each on its own colour range. The default diverging
    scale is for signed values (a filter's weights), centred on zero: red-blue keeps its two ends apart with a red-green
    colour-vision deficiency and its lightness falls from the centre to either end (ColorBrewer marks RdBu
    colour-blind safe); a map of one sign takes a sequential scale (viridis)."""
    rows = -(-len(images) // columns)
    figure = make_subplots(rows=rows, cols=columns, subplot_titles=titles, horizontal_spacing=0.015,
                           vertical_spacing=0.06 if rows > 1 else 0.0)
    for index, image in enumerate(images):
        flat = [v for row in image for v in row]
        bound = max(abs(min(flat)), abs(max(flat))) or 1.0
        zmin, zmax = (-bound, bound) if symmetric else (min(flat), max(flat))
        figure.add_heatmap(z=image, colorscale=colorscale, zmin=zmin, zmax=zmax, showscale=False,
                           row=index // columns + 1, col=index % columns + 1,
                           hovertemplate=_("row %{y}, col %{x}: %{z:.3f}") + "<extra></extra>")
    bare = dict(showticklabels=False, showgrid=False, zeroline=False, showline=False, ticks="")
    figure.update_xaxes(**bare)
    figure.update_yaxes(autorange="reversed", **bare)
    for index in range(len(images)):  # square pixels: each y axis follows its own x axis
        suffix = "" if index == 0 else str(index + 1)
        figure.layout[f"yaxis{suffix}"].scaleanchor = f"x{suffix}"
    figure.update_layout(height=height * rows, margin=dict(t=30, b=5, l=5, r=5))
    return figure


def schedule_figure(runs: dict, titles: dict[str, str] | None = None) -> go.Figure:
    """Learning rate (log scale) above, validation loss below, per epoch, one colour per schedule. ``titles``: a
    legend name per schedule (the runs' own English names where it is left out)."""
    figure = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.08,
                           subplot_titles=(_("Learning rate in force during the epoch"), _("Validation loss")))
    for index, (name, run) in enumerate(runs.items()):
        colour = COLOURS[index % len(COLOURS)]
        title = (titles or {}).get(name, run.name)
        figure.add_scatter(x=_epochs(run.lr), y=run.lr, name=title, legendgroup=name, line=dict(
            color=colour, shape="hv"), row=1, col=1,
            hovertemplate=_("epoch %{x}: lr %{y:.4g}") + "<extra></extra>")
        figure.add_scatter(x=_epochs(run.val_loss), y=run.val_loss, name=title, legendgroup=name,
                           showlegend=False, line=dict(color=colour), row=2, col=1,
                           hovertemplate=_("epoch %{x}: validation loss %{y:.4f}") + "<extra></extra>")
    figure.update_yaxes(title_text=_("learning rate (log scale)"), row=1, col=1, **LOG_TICKS)
    figure.update_yaxes(title_text=_("cross-entropy (nats, log scale)"), type="log", row=2, col=1)
    figure.update_xaxes(title_text=_("epoch"), row=2, col=1)
    figure.update_layout(height=560, margin=dict(t=40, b=40, l=60, r=20),
                         legend=dict(orientation="h", yanchor="bottom", y=1.06, x=0))
    return figure


def training_loss_figure(runs: dict, titles: dict[str, str] | None = None) -> go.Figure:
    """Training and validation loss per epoch; ``titles`` as in ``schedule_figure``."""
    figure = go.Figure()
    for index, (name, run) in enumerate(runs.items()):
        colour = COLOURS[index % len(COLOURS)]
        title = (titles or {}).get(name, run.name)
        figure.add_scatter(x=_epochs(run.train_loss), y=run.train_loss,
                           name=_("{run}: training").format(run=title), line=dict(color=colour, dash="dot"))
        figure.add_scatter(x=_epochs(run.val_loss), y=run.val_loss, name=_("{run}: validation").format(run=title),
                           line=dict(color=colour))
    figure.update_yaxes(title_text=_("cross-entropy (nats, log scale)"), **LOG_TICKS)
    figure.update_xaxes(title_text=_("epoch"))
    figure.update_layout(height=380, margin=dict(t=20, b=40, l=60, r=20))
    return figure


def valley_figure(paths: dict, curvature: tuple[float, float]) -> go.Figure:
    """Contours of the valley and each optimiser's path (w1 horizontal, w2 vertical)."""
    import numpy as np

    a, b = curvature
    xs, ys = np.linspace(-5, 5, 161), np.linspace(-2.5, 2.5, 81)
    z = 0.5 * (a * xs[None, :] ** 2 + b * ys[:, None] ** 2)
    figure = go.Figure(go.Contour(x=xs, y=ys, z=np.log10(z + 1e-3), showscale=False, colorscale="Greys",
                                  opacity=0.5, contours=dict(coloring="lines"), hoverinfo="skip"))
    for index, (name, path) in enumerate(paths.items()):
        # A diverging path reaches 1e30 and beyond: clipped far outside the axes, its line still leaves the plot.
        path = np.clip(path, -50, 50)
        figure.add_scatter(x=path[:, 0], y=path[:, 1], name=name, mode="lines+markers",
                           marker=dict(size=4), line=dict(color=COLOURS[index % len(COLOURS)]),
                           hovertemplate=_("step %{text}<br>w1 %{x:.3f}, w2 %{y:.3f}") + "<extra></extra>",
                           text=list(range(len(path))))
    figure.update_xaxes(title_text=_("w1 (flat direction)"), range=[-5, 5])
    figure.update_yaxes(title_text=_("w2 (steep direction)"), range=[-2.5, 2.5])
    figure.update_layout(height=420, margin=dict(t=20, b=40, l=60, r=20))
    return figure


def loss_by_step(curves: dict) -> go.Figure:
    figure = go.Figure()
    for index, (name, values) in enumerate(curves.items()):
        figure.add_scatter(x=list(range(len(values))), y=values, name=name,
                           line=dict(color=COLOURS[index % len(COLOURS)]))
    figure.update_yaxes(title_text=_("f(w) (log scale)"), **LOG_TICKS)
    figure.update_xaxes(title_text=_("step"))
    figure.update_layout(height=420, margin=dict(t=20, b=40, l=60, r=20))
    return figure


def transfer_figure(runs: list[dict]) -> go.Figure:
    """Validation accuracy per epoch for each mode, and test accuracy against training time."""
    figure = make_subplots(rows=1, cols=2, horizontal_spacing=0.1,
                           subplot_titles=(_("Validation accuracy per epoch"), _("Test accuracy vs training time")))
    for index, run in enumerate(runs):
        colour = COLOURS[index % len(COLOURS)]
        name = _(MODE_NAMES[run["mode"]])
        figure.add_scatter(x=_epochs(run["val_accuracy"]), y=[100 * a for a in run["val_accuracy"]],
                           name=name, legendgroup=run["mode"], mode="lines+markers",
                           line=dict(color=colour), row=1, col=1,
                           hovertemplate=_("epoch %{x}: %{y:.1f}%") + "<extra></extra>")
        figure.add_scatter(x=[run["seconds"]], y=[100 * run["test_accuracy"]], name=name,
                           legendgroup=run["mode"], showlegend=False, mode="markers+text", text=[name],
                           textposition="top center", marker=dict(color=colour, size=12), row=1, col=2,
                           hovertemplate="%{x:.1f} s: %{y:.1f}%<extra></extra>")
    figure.update_yaxes(title_text=_("accuracy (%)"), range=[0, 105], row=1, col=1)
    figure.update_yaxes(title_text=_("test accuracy (%)"), range=[0, 105], row=1, col=2)
    figure.update_xaxes(title_text=_("epoch"), row=1, col=1)
    figure.update_xaxes(title_text=_("training time (s)"), rangemode="tozero", row=1, col=2)
    figure.update_layout(height=400, margin=dict(t=40, b=40, l=60, r=20))
    return figure


def accuracy_by_size(points: list[dict]) -> go.Figure:
    """Test accuracy against training images per class, one line per mode (points: mode, per_class, accuracy)."""
    figure = go.Figure()
    modes = list(dict.fromkeys(p["mode"] for p in points))
    for index, mode in enumerate(modes):
        chosen = sorted((p for p in points if p["mode"] == mode), key=lambda p: p["per_class"])
        figure.add_scatter(x=[p["per_class"] for p in chosen], y=[100 * p["test_accuracy"] for p in chosen],
                           name=_(MODE_NAMES[mode]), mode="lines+markers",
                           line=dict(color=COLOURS[index % len(COLOURS)]),
                           hovertemplate=_("%{x} per class: %{y:.1f}%") + "<extra></extra>")
    figure.update_xaxes(title_text=_("training images per class"), type="log",
                        tickvals=sorted({p["per_class"] for p in points}))
    figure.update_yaxes(title_text=_("test accuracy (%)"), range=[0, 100])
    figure.update_layout(height=340, margin=dict(t=20, b=40, l=60, r=20))
    return figure
