"""``summary NAME``: the layer table and totals of a registered model, a timm model or an ONNX file."""

from __future__ import annotations

import argparse

from cnnviz.cli.commands import Result, UsageError, any_network, cannot_take, chosen_variant
from cnnviz.format import count, shape_text

INPUT_SIZE_ERROR = "--input-size must be a positive number of pixels"  # chosen_variant's words for the registry
HELP = ("per-layer table and totals of a registered model, a timm model (timm:NAME), an ONNX file or a design "
        "(the designer's JSON export)")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", help="model name, e.g. alexnet, vgg16, resnet50 (or an architecture key), "
                                     "timm:convnext_tiny, path/to/model.onnx, or path/to/design.json")
    parser.add_argument("--variant", help="variant of the architecture, e.g. vgg19_bn")
    parser.add_argument("--input-size", type=int, help="square input size in pixels")


def run(args: argparse.Namespace) -> Result:
    from cnnviz.analysis.summary import ACTIVATIONS_DEFINITION, auxiliary_note, summarize
    from cnnviz.any_network.by_name import names_any_network

    note = None
    if args.name.lower().endswith(".json"):
        network, heads = None, ()
        summary, note = _design_summary(args)
    elif names_any_network(args.name):
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
    data = summary.to_dict()
    if note:  # a design that runs but does not end in one value per class
        lines.append(f"note: {note}")
        data["problem"] = note
    aux = auxiliary_note(summary, heads)
    if aux:
        lines.append(aux)
    lines.append(ACTIVATIONS_DEFINITION)
    return Result(data, "\n".join(lines))


def _design_summary(args: argparse.Namespace):
    """The designer's JSON file: its summary, and the sentence of a mistake that leaves it running (or None). A
    design that cannot run is a ``UsageError`` with its layer's sentence."""
    from dataclasses import replace
    from pathlib import Path

    from cnnviz.designer.analysis import analyse
    from cnnviz.designer.design import LARGEST_SIDE, SMALLEST_SIDE
    from cnnviz.designer.link import DesignFormatError, from_json

    if args.variant:
        raise UsageError("--variant applies to the registry's models only")
    try:
        design = from_json(Path(args.name).read_bytes())
    except OSError as error:
        raise UsageError(f"{args.name}: {error.strerror or error}") from None
    except DesignFormatError as error:
        raise UsageError(f"{args.name}: {error}") from None
    if args.input_size is not None:
        if not SMALLEST_SIDE <= args.input_size <= LARGEST_SIDE:
            raise UsageError(f"--input-size must be {SMALLEST_SIDE} to {LARGEST_SIDE} pixels for a design")
        design = replace(design, side=args.input_size)
    report = analyse(design)
    if report.problem is not None and report.problem.blocking:
        raise UsageError(f"{args.name}: {report.problem}")
    if report.summary is None:
        raise UsageError(f"{args.name}: the design has no layers")
    report.summary.model = Path(args.name).stem
    return report.summary, str(report.problem) if report.problem else None
