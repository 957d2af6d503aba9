"""ILSVRC classification results by year (historical facts, with sources), each architecture page's ILSVRC line
drawn from them, and the two comparison charts: winners' top-5 error, and accuracy against computed MACs with
bubbles sized by computed parameters. Texts in the session's language; the sources are citations, as written."""

from __future__ import annotations

from dataclasses import dataclass

import plotly.graph_objects as go

from cnnviz.i18n import N_, _

HUMAN_TOP5_ERROR = 5.1  # one trained annotator on 1,500 test images, Russakovsky et al. 2015
HUMAN_SOURCE = N_("Russakovsky et al. 2015 (IJCV), human annotator")  # a msgid
_OVERVIEW = "Russakovsky et al. 2015, ImageNet Large Scale Visual Recognition Challenge (IJCV)"


@dataclass(frozen=True)
class Entry:
    year: int
    place: int  # 1 = winner of the classification task
    team: str
    method: str  # a network's name, or a msgid describing the method
    top5_error: float  # percent, test set
    source: str
    model: str | None = None  # the registry model that stands for it, for its computed depth
    short: str = ""  # its label on the chart, when the method's name is long (a msgid, or a name)
    architecture: str | None = None  # the registry architecture whose page shows this result
    note: str = ""  # said after the result on that page (a msgid)
    paper_top5_error: float | None = None  # percent: the architecture paper's own best result, when it differs
    paper_result: str = ""  # what that result is and where the paper gives it (a msgid)


RESULTS: tuple[Entry, ...] = (
    Entry(2010, 1, "NEC-UIUC", N_("SIFT/LBP features, sparse coding, SVM"), 28.2, _OVERVIEW, short="SIFT + SVM"),
    Entry(2011, 1, "XRCE", N_("Fisher vectors, linear SVM"), 25.8, _OVERVIEW, short=N_("Fisher vectors")),
    Entry(2012, 1, "SuperVision", "AlexNet", 16.4, _OVERVIEW + "; Krizhevsky et al. 2012 (5 CNNs)",
          "alexnet_paper", architecture="alexnet",
          note=N_("ensemble of 5 CNNs; 15.3% with 7 CNNs, two of them pre-trained on the ImageNet Fall 2011 "
                  "release")),
    Entry(2013, 1, "Clarifai", "ZFNet", 11.7, _OVERVIEW, "zfnet", architecture="zfnet",
          note=N_("Clarifai's competition entry; Clarifai is Zeiler's company"), paper_top5_error=14.8,
          paper_result=N_("6 networks combined, ILSVRC 2012 test set; Zeiler & Fergus 2014, Table 2")),
    Entry(2014, 1, "GoogLeNet", "GoogLeNet", 6.67, _OVERVIEW + "; Szegedy et al. 2014", "googlenet",
          architecture="googlenet"),
    Entry(2014, 2, "VGG", "VGG", 7.3, _OVERVIEW + "; Simonyan & Zisserman 2014", "vgg19", architecture="vgg16",
          note=N_("1st in localisation")),
    Entry(2015, 1, "MSRA", "ResNet", 3.57, "ILSVRC 2015 results; He et al. 2015", "resnet152",
          architecture="resnet50", note=N_("ensemble")),
    # Google's entry: the Inception v3 paper's Table 5 ensemble, the same 3.58% (ENSEMBLES has its validation error).
    Entry(2015, 2, "ReCeption", "Inception v3", 3.58, "ILSVRC 2015 results; Szegedy et al. 2015, Table 5",
          "inception_v3", architecture="inception_v3", note=N_("ensemble of 4 Inception v3 models, multi-crop")),
    Entry(2016, 1, "Trimps-Soushen", N_("ensemble of Inception, ResNet and Wide ResNet models"), 2.99,
          "ILSVRC 2016 results", short=N_("ensemble")),
    Entry(2016, 2, "ResNeXt", "ResNeXt", 3.03, "ILSVRC 2016 results; Xie et al. 2017", architecture="resnext50_32x4d"),
    Entry(2017, 1, "WMW", "SENet", 2.25, "ILSVRC 2017 results; Hu et al. 2018"),
)


@dataclass(frozen=True)
class EnsembleResult:
    """A paper's best top-5 error on ILSVRC 2012 data, on the validation and on the test set (percent): compare a
    validation figure with a validation figure."""

    validation: float
    test: float
    source: str


ENSEMBLES = {
    "bn_inception": EnsembleResult(4.9, 4.82, "Ioffe & Szegedy 2015, Section 4.2.3 (6 networks, 144 crops)"),
    # Table 5's footnote: every result there is on the validation set except this ensemble's 3.58%, on the test set.
    "inception_v3": EnsembleResult(3.46, 3.58, "Szegedy et al. 2015, Table 5 and its footnote (4 models, 144 crops)"),
}


def _text(message: str) -> str:
    """A text of the tables above in the session's language ("" stays "": gettext would give the catalog's
    header)."""
    return _(message) if message else message


def ilsvrc_line(architecture: str) -> str | None:
    """The architecture page's ILSVRC sentence, from the tables above; None for architectures without a result."""
    entries = [e for e in RESULTS if e.architecture == architecture]
    if entries:
        (entry,) = entries  # one challenge result per architecture page
        team = f" ({entry.team})" if entry.team != entry.method else ""
        note = f" ({_text(entry.note)})" if entry.note else ""
        if entry.place == 1:
            line = _("ILSVRC {year} winner{team}: {error}% top-5 error{note}").format(
                year=entry.year, team=team, error=entry.top5_error, note=note)
        else:
            (winner,) = [e for e in RESULTS if e.year == entry.year and e.place == 1]
            name = winner.team if winner.team == winner.method else f"{winner.team} ({_text(winner.method)})"
            line = _("ILSVRC {year} runner-up{team}: {error}% top-5 error{note}, second to {winner} with "
                     "{winner_error}%").format(year=entry.year, team=team, error=entry.top5_error, note=note,
                                               winner=name, winner_error=winner.top5_error)
        if entry.paper_top5_error is None:
            return line
        return _("{line}. The {method} paper's own best result is {error}% top-5 error ({result}).").format(
            line=line, method=_text(entry.method), error=entry.paper_top5_error, result=_text(entry.paper_result))
    return None


RUNNER_UP_SHIFT = 0.4  # runners-up sit beside their year's winner bar


def ilsvrc_figure(depths: dict[str, int] | None = None) -> go.Figure:
    """Winners as bars, runners-up as diamonds, the human error as a line; ``depths``: registry model -> layers."""
    depths = depths or {}

    def label(entry: Entry) -> str:
        depth = depths.get(entry.model or "")
        name = _text(entry.short or entry.method)
        return _("{name}<br>{depth} layers").format(name=name, depth=depth) if depth else name

    figure = go.Figure()
    for place, name in ((1, _("winner")), (2, _("runner-up"))):
        entries = [e for e in RESULTS if e.place == place]
        hover = [_("{year} {place}: {team} ({method})<br>top-5 error {error}%<br>source: {source}").format(
                     year=e.year, place=name, team=e.team, method=_text(e.method), error=e.top5_error,
                     source=e.source)
                 for e in entries]
        common = dict(y=[e.top5_error for e in entries], name=name, hovertext=hover, hoverinfo="text",
                      text=[label(e) for e in entries], textfont=dict(size=11), cliponaxis=False)
        if place == 1:
            figure.add_bar(x=[e.year for e in entries], **common, width=0.6, textposition="outside",
                           constraintext="none", marker_color="#4c78a8")
        else:
            figure.add_scatter(x=[e.year + RUNNER_UP_SHIFT for e in entries], **common, mode="markers+text",
                               textposition="top center", marker=dict(symbol="diamond", size=11, color="#f58518"))
    years = [e.year for e in RESULTS]
    figure.add_scatter(x=[min(years) - 0.5, max(years) + 0.5], y=[HUMAN_TOP5_ERROR] * 2, mode="lines",
                       line=dict(dash="dash", color="#e45756"),
                       name=_("human ≈ {error}% ({source})").format(error=HUMAN_TOP5_ERROR, source=_(HUMAN_SOURCE)),
                       hoverinfo="name")
    figure.update_layout(height=480, margin=dict(t=40, b=40, l=60, r=20), legend=dict(orientation="h", y=1.1),
                         xaxis=dict(title=_("ILSVRC year"), dtick=1),
                         yaxis=dict(title=_("top-5 classification error (%)"),
                                    range=[0, max(e.top5_error for e in RESULTS) * 1.2]))
    return figure


# The column headers of ``accuracy_points``' records, as a page shows them (``_(POINT_COLUMNS[key])``).
POINT_COLUMNS = {"model": N_("model"), "architecture": N_("architecture"), "year": N_("year"), "input": N_("input"),
                 "GMACs": "GMACs", "parameters": N_("parameters"), "top-1 (%)": N_("top-1 (%)"),
                 "top-5 (%)": N_("top-5 (%)"), "weights": N_("weights")}


def accuracy_points() -> list[dict]:
    """Every registry variant with torchvision ImageNet weights: our MACs and parameters, the published top-1.
    Numbers and names only (the architecture's title in English: ``accuracy_figure`` translates it)."""
    from cnnviz.analysis.published import published_counts
    from cnnviz.lectures.comparison import model_summary
    from cnnviz.zoo.registry import architectures

    points = []
    for arch in architectures().values():
        for variant in arch.variants:
            published = published_counts(variant)
            if published is None:
                continue
            summary = model_summary(variant.name)
            points.append({"model": variant.name, "architecture": arch.title, "year": arch.year,
                           "input": variant.input_size, "GMACs": summary.total_macs / 1e9,
                           "parameters": summary.total_params, "top-1 (%)": published.acc1,
                           "top-5 (%)": published.acc5, "weights": published.weights})
    return points


def accuracy_figure(points: list[dict], max_bubble_px: int = 60) -> go.Figure:
    """Top-1 accuracy against computed GMACs (log axis); bubble area proportional to computed parameters."""
    figure = go.Figure()
    largest = max(p["parameters"] for p in points)
    for arch in dict.fromkeys(p["architecture"] for p in points):
        group = [p for p in points if p["architecture"] == arch]
        figure.add_scatter(
            x=[p["GMACs"] for p in group], y=[p["top-1 (%)"] for p in group], name=_(arch), mode="markers+text",
            text=[p["model"] for p in group], textposition="top center", textfont=dict(size=9),
            marker=dict(size=[p["parameters"] for p in group], sizemode="area",
                        sizeref=2 * largest / max_bubble_px ** 2, sizemin=3, opacity=0.6,
                        line=dict(width=1, color="#333")),
            customdata=[[p["parameters"] / 1e6, p["input"], p["weights"]] for p in group],
            hovertemplate=_("%{text}<br>%{x:.2f} GMACs at %{customdata[1]}x%{customdata[1]} (computed)<br>"
                            "%{customdata[0]:.1f} M parameters (computed)<br>top-1 %{y:.1f}% "
                            "(%{customdata[2]})<extra></extra>"))
    low, high = min(p["GMACs"] for p in points), max(p["GMACs"] for p in points)
    ticks = [t for t in (0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100) if low / 2 <= t <= high * 2]
    figure.update_layout(height=560, margin=dict(t=30, b=50, l=60, r=20), legend=dict(font=dict(size=10)),
                         xaxis=dict(title=_("MACs per image (G, computed here; log scale)"), type="log",
                                    tickvals=ticks, ticktext=[f"{t:g}" for t in ticks]),
                         yaxis=dict(title=_("ImageNet top-1 accuracy (%, torchvision IMAGENET1K_V1 weights)")))
    return figure
