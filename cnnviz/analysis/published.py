"""torchvision's published figures for a variant (its weights' metadata), to check our counts against."""

from __future__ import annotations

from dataclasses import dataclass

from cnnviz.analysis.summary import Summary
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
        verdict = "match" if self.params_match(summary) and self.macs_match(summary) else "DIFFER from"
        if self.params_include_aux and summary.aux_params:
            heads = ", ".join(self.aux_heads)
            return (f"Computed {summary.total_params:,} parameters for inference plus {summary.aux_params:,} in "
                    f"the auxiliary classifier {heads} (training only), {summary.all_params:,} in all, and "
                    f"{summary.total_macs / 1e9:.3f} GMACs: these {verdict} torchvision's published "
                    f"{self.num_params:,} parameters (which count {heads}) and {self.gmacs:.3f} GMACs for "
                    f"{self.weights} (top-1 {self.acc1:.1f}%, top-5 {self.acc5:.1f}% on ImageNet).")
        scope = " (auxiliary heads excluded)" if summary.aux_params else ""
        return (f"Computed {summary.total_params:,} parameters{scope} and {summary.total_macs / 1e9:.3f} GMACs: "
                f"these {verdict} torchvision's published {self.num_params:,} and {self.gmacs:.3f} GMACs for "
                f"{self.weights} (top-1 {self.acc1:.1f}%, top-5 {self.acc5:.1f}% on ImageNet).")


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
