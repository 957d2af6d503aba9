"""``summary NAME``: the layer table and totals of a registered model, a timm model or an ONNX file."""

from __future__ import annotations

import argparse

from cnnviz.cli.commands import Result, UsageError, any_network, cannot_take, chosen_variant
from cnnviz.format import count, shape_text

INPUT_SIZE_ERROR = "--input-size must be a positive number of pixels"  # chosen_variant's words for the registry
HELP = "per-layer table and totals of a registered model, a timm model (timm:NAME) or an ONNX file"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", help="model name, e.g. alexnet, vgg16, resnet50 (or an architecture key), "
                                     "timm:convnext_tiny, or path/to/model.onnx")
    parser.add_argument("--variant", help="variant of the architecture, e.g. vgg19_bn")
    parser.add_argument("--input-size", type=int, help="square input size in pixels")


def run(args: argparse.Namespace) -> Result:
    from cnnviz.analysis.summary import ACTIVATIONS_DEFINITION, auxiliary_note, summarize
    from cnnviz.any_network.by_name import names_any_network

    if names_any_network(args.name):
        # As chosen_variant refuses it for the registry: a timm model would otherwise take 0 as "no size" (224).
        if args.input_size is not None and args.input_size < 1:
            raise UsageError(INPUT_SIZE_ERROR)
        network = any_network(args)
        summary, heads = network.summary, ()
    else:
        network, variant = None, chosen_variant(args)
        heads = variant.auxiliary
        try:
            summary = summarize(variant, args.input_size)
        except RuntimeError as error:
            raise cannot_take(variant, args.input_size, error) from None
    header = f"{'layer':40s} {'type':22s} {'k':>5s} {'s':>3s} {'output':>14s} {'params':>12s} {'MACs':>15s}"
    lines = [f"{summary.model}  input {' + '.join(shape_text(s) for s in summary.input_shapes)}", header]
    for row in summary.layers:
        flag = " (aux)" if row.auxiliary else " (shared)" if row.shared else ""
        lines.append(f"{row.name + flag:40.40s} {row.type:22.22s} {row.kernel:>5s} {row.stride:>3s} "
                     f"{shape_text(row.output_shape):>14s} {row.params:>12,} {row.macs:>15,}")
    lines.append(f"total parameters {summary.total_params:,} ({count(summary.total_params)}); "
                 f"MACs {summary.total_macs:,} ({count(summary.total_macs)}); "
                 f"activations {summary.total_activations:,} ({count(summary.total_activations)})")
    if network is not None and network.uncounted:
        lines.append(f"operators not counted (0 MACs in the total): {', '.join(network.uncounted)}")
    note = auxiliary_note(summary, heads)
    if note:
        lines.append(note)
    lines.append(ACTIVATIONS_DEFINITION)
    return Result(summary.to_dict(), "\n".join(lines))
