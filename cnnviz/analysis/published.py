"""torchvision's published figures for a variant (its weights' metadata), to check our counts against."""

from __future__ import annotations

from dataclasses import dataclass

from cnnviz.analysis.summary import Summary
from cnnviz.i18n import _
from cnnviz.zoo.spec import Variant


@dataclass(frozen=True)
class Published:
    weights: str  # e.g. "ResNet50_Weights.IMAGENET1K_V1"
    num_params: int
    gmacs: float  # meta["_ops"]: GMACs of convolutions and linear layers, rounded to 3 decimals
    acc1: float
    acc5: float
    params_include_aux: bool  # torchvision counts Inception v3's AuxLogits in num_params, not GoogLeNet's heads
    aux_heads: tuple[str, ...] = ()  # the variant's auxiliary heads, as torchvision names them

    def params_compared(self, summary: Summary) -> int:
        """Our count in the scope of the published figure: every parameter, or the inference model's."""
        return summary.all_params if self.params_include_aux else summary.total_params

    def params_match(self, summary: Summary) -> bool:
        return self.params_compared(summary) == self.num_params

    def macs_match(self, summary: Summary) -> bool:
        return round(summary.total_macs / 1e9, 3) == round(self.gmacs, 3)

    def sentence(self, summary: Summary) -> str:
        """In the session's language: one whole sentence per case, so that each language orders it its own way."""
        values = dict(params=f"{summary.total_params:,}", gmacs=f"{summary.total_macs / 1e9:.3f}",
                      published=f"{self.num_params:,}", published_gmacs=f"{self.gmacs:.3f}", weights=self.weights,
                      top1=f"{self.acc1:.1f}%", top5=f"{self.acc5:.1f}%")
        match = self.params_match(summary) and self.macs_match(summary)
        if self.params_include_aux and summary.aux_params:
            values |= dict(aux=f"{summary.aux_params:,}", all=f"{summary.all_params:,}",
                           heads=", ".join(self.aux_heads))
            if match:
                text = _("Computed {params} parameters for inference plus {aux} in the auxiliary classifier {heads} "
                         "(training only), {all} in all, and {gmacs} GMACs: these match torchvision's published "
                         "{published} parameters (which count {heads}) and {published_gmacs} GMACs for {weights} "
                         "(top-1 {top1}, top-5 {top5} on ImageNet).")
            else:
                text = _("Computed {params} parameters for inference plus {aux} in the auxiliary classifier {heads} "
                         "(training only), {all} in all, and {gmacs} GMACs: these DIFFER from torchvision's "
                         "published {published} parameters (which count {heads}) and {published_gmacs} GMACs for "
                         "{weights} (top-1 {top1}, top-5 {top5} on ImageNet).")
        elif summary.aux_params:
            text = (_("Computed {params} parameters (auxiliary heads excluded) and {gmacs} GMACs: these match "
                      "torchvision's published {published} and {published_gmacs} GMACs for {weights} (top-1 {top1}, "
                      "top-5 {top5} on ImageNet).") if match else
                    _("Computed {params} parameters (auxiliary heads excluded) and {gmacs} GMACs: these DIFFER from "
                      "torchvision's published {published} and {published_gmacs} GMACs for {weights} (top-1 "
                      "{top1}, top-5 {top5} on ImageNet)."))
        else:
            text = (_("Computed {params} parameters and {gmacs} GMACs: these match torchvision's published "
                      "{published} and {published_gmacs} GMACs for {weights} (top-1 {top1}, top-5 {top5} on "
                      "ImageNet).") if match else
                    _("Computed {params} parameters and {gmacs} GMACs: these DIFFER from torchvision's published "
                      "{published} and {published_gmacs} GMACs for {weights} (top-1 {top1}, top-5 {top5} on "
                      "ImageNet)."))
        return text.format(**values)


def published_counts(variant: Variant) -> Published | None:
    """The first (IMAGENET1K_V1) weights' metadata: the original training recipe's accuracy."""
    if variant.torchvision_weights is None:
        return None
    from torchvision.models import get_model_weights

    weights = list(get_model_weights(variant.torchvision_weights))[0]
    meta = weights.meta
    metrics = meta["_metrics"]["ImageNet-1K"]
    return Published(f"{type(weights).__name__}.{weights.name}", meta["num_params"], meta["_ops"],
                     metrics["acc@1"], metrics["acc@5"], variant.published_params_include_aux,
                     variant.auxiliary)


def paper_parameters_note(summary: Summary) -> str | None:
    """Where a paper's own parameter count differs from the model built from its figure: both counts and why, in
    the session's language; None for every other model."""
    if summary.model != "bn_inception":
        return None
    from cnnviz.zoo.models import bn_inception
    from cnnviz.zoo.registry import resolve

    model = resolve(summary.model)[1].build_on_meta()
    columns = {name: getattr(model, name).out_channels for name in bn_inception.PRINTED_DEPTHS}
    paper = bn_inception.PAPER_PARAMETERS
    return _("Section 4.2 of the batch-norm paper gives {paper} M parameters for this network; the model here has "
             "{params} ({difference} fewer). It is built from Figure 5's filter columns, as the Caffe model released "
             "with later work is; the depths the figure prints after {modules} ({printed}) are not the sums of those "
             "columns ({columns}), and the paper does not say what its {paper} M counts, so the gap cannot be "
             "placed in one layer.").format(
        paper=f"{paper / 1e6:g}", params=f"{summary.total_params:,}",
        difference=f"{round(paper) - summary.total_params:,}", modules=", ".join(columns),
        printed=", ".join(map(str, bn_inception.PRINTED_DEPTHS.values())),
        columns=", ".join(map(str, columns.values())))
