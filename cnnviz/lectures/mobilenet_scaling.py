"""MobileNet v1's two knobs, computed on the live models: width multiplier α and resolution multiplier ρ.

Howard et al. 2017 (Section 3.4, equation 7) write one depthwise separable layer's cost as
D_K·D_K·αM·ρD_F·ρD_F + αM·αN·ρD_F·ρD_F; Tables 6 and 7 give the whole network's mult-adds and parameters for
α in {1, 0.75, 0.5, 0.25} and inputs of 224, 192, 160 and 128 pixels. The page shows both with this model's
numbers, next to the figures the paper prints.
"""

from __future__ import annotations

from cnnviz.analysis.summary import LayerRow, Summary, summary_of
from cnnviz.i18n import N_, _
from cnnviz.zoo.registry import architectures

ARCH = "mobilenet_v1"
FORMULA_BLOCK = "features.3"  # a stride-1 block, where the paper's D_F is both the input and the output side

# Tables 6 and 7 as printed: (α, input side) -> (table, million mult-adds, million parameters).
PAPER_TABLES: dict[tuple[float, int], tuple[str, int, float]] = {
    (1.0, 224): (N_("Tables 6 and 7"), 569, 4.2),
    (0.75, 224): (N_("Table 6"), 325, 2.6),
    (0.5, 224): (N_("Table 6"), 149, 1.3),
    (0.25, 224): (N_("Table 6"), 41, 0.5),
    (1.0, 192): (N_("Table 7"), 418, 4.2),
    (1.0, 160): (N_("Table 7"), 290, 4.2),
    (1.0, 128): (N_("Table 7"), 186, 4.2),
}


def _convs(summary: Summary, block: str) -> list[LayerRow]:
    return [r for r in summary.layers if r.block == block and r.type == "Conv2d"]


def _first_conv(summary: Summary) -> LayerRow:
    return next(r for r in summary.layers if r.type == "Conv2d")


def multipliers(summary: Summary) -> tuple[float, float]:
    """α and ρ of a MobileNet v1 summary, measured against the width-1.0, 224-pixel model."""
    reference_variant = architectures()[ARCH].default
    reference = summary_of(reference_variant.name)
    alpha = _first_conv(summary).output_shape[0] / _first_conv(reference).output_shape[0]
    rho = summary.input_shapes[0][-1] / reference_variant.input_size
    return alpha, rho


def layer_cost(summary: Summary, block: str = FORMULA_BLOCK) -> tuple[str, str]:
    """The paper's cost of one depthwise separable layer, with this model's numbers put in."""
    depthwise, pointwise = _convs(summary, block)
    k, m = int(depthwise.kernel), depthwise.input_shape[0]
    n, side = pointwise.output_shape[0], pointwise.output_shape[-1]
    spatial, mixing = k * k * m * side * side, m * n * side * side
    alpha, rho = multipliers(summary)
    multiplied, formula = f"α = {alpha:g}, ρ = {rho:.3g}", "D_K·D_K·αM·ρD_F·ρD_F + αM·αN·ρD_F·ρD_F"
    label = _("{block} at {multipliers}: {formula}").format(block=block, multipliers=multiplied, formula=formula)
    worked = (f"{k}·{k}·{m}·{side}·{side} + {m}·{n}·{side}·{side} = {spatial:,} + {mixing:,} = "
              f"{spatial + mixing:,}")
    return label, _("{worked} MACs (the layer table: {table})").format(
        worked=worked, table=f"{depthwise.macs + pointwise.macs:,}")


def variant_costs() -> list[tuple[str, str]]:
    """Every registered MobileNet v1 variant's MACs and parameters, each next to the paper's figures."""
    facts = []
    for variant in architectures()[ARCH].variants:
        summary = summary_of(variant.name)
        alpha, _rho = multipliers(summary)
        side = variant.input_size
        computed = _("{macs} MACs, {params} parameters").format(macs=f"{summary.total_macs:,}",
                                                                params=f"{summary.total_params:,}")
        paper = PAPER_TABLES.get((alpha, side))
        if paper:
            table, macs, params = paper
            computed = _("{computed} · the paper's {table}: {macs} million mult-adds, {params} million "
                         "parameters").format(computed=computed, table=_(table), macs=macs, params=params)
        facts.append((_("{variant}: α = {alpha}, {size} input").format(variant=variant.name, alpha=f"{alpha:g}",
                                                                     size=f"{side}x{side}"), computed))
    return facts


def scaling_facts(summary: Summary) -> list[tuple[str, str]]:
    return [layer_cost(summary), *variant_costs()]
