"""``rf NAME``: receptive field, jump (effective stride) and start of every layer of a registered model, a timm
model or an ONNX file."""

from __future__ import annotations

import argparse

from cnnviz.cli.commands import Result, UsageError, any_network, cannot_take, chosen_variant
from cnnviz.cli.commands.summary import INPUT_SIZE_ERROR

# --measure back-propagates through a real float64 input. Where an adaptive pool comes before the measured layer
# (AlexNet's and VGG's avgpool above 224 pixels) that input is as long as the image's side and about as wide as the
# field, so its memory grows with the square of the size: at 2048 pixels the heaviest registry model, VGG-19, peaks
# at 2.4 GB in 12 s; at 4096, VGG-16 takes 6.9 GB; at 100000, AlexNet asks for 40 GB in one tensor. Without
# --measure the fields are traced on the meta device and any size is cheap.
MEASURE_MAX_INPUT = 2048
HELP = ("receptive field of every layer of a registered model, a timm model (timm:NAME) or an ONNX file (the last "
        "conv stage's in input pixels)")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", help="model name, e.g. alexnet, vgg16, resnet50 (or an architecture key), "
                                     "timm:convnext_tiny, or path/to/model.onnx")
    parser.add_argument("--variant", help="variant of the architecture, e.g. vgg19_bn")
    parser.add_argument("--input-size", type=int, help="square input size in pixels (changes only the map sizes)")
    parser.add_argument("--measure", action="store_true",
                        help="also measure the last stage's field by back-propagation (a few seconds; input sizes "
                             f"up to {MEASURE_MAX_INPUT})")


def run(args: argparse.Namespace) -> Result:
    from cnnviz.analysis.receptive_field.measure import measured_receptive_field
    from cnnviz.analysis.receptive_field.recursion import last_stage, receptive_fields
    from cnnviz.any_network.by_name import names_any_network

    if names_any_network(args.name):
        if args.measure:
            raise UsageError("--measure applies to the registry's models only")
        if args.input_size is not None and args.input_size < 1:
            raise UsageError(INPUT_SIZE_ERROR)  # as for the registry: a timm model would take 0 as 224
        network = any_network(args)
        if not network.fields:
            raise UsageError(f"{args.name}: no 2-D feature maps, so no receptive field to follow")
        fields, name = network.fields, network.summary.model
        stage = last_stage(fields)
    else:
        variant = chosen_variant(args)
        name = variant.name
        if args.measure and (args.input_size or variant.input_size) > MEASURE_MAX_INPUT:
            raise UsageError(f"--measure takes input sizes up to {MEASURE_MAX_INPUT} pixels (its memory grows with "
                             f"the square of the size); without --measure any size works")
        try:
            fields = receptive_fields(variant, args.input_size)
            stage = last_stage(fields)
        except (RuntimeError, ValueError) as error:
            raise cannot_take(variant, args.input_size, error) from None
    layers = [f.to_dict() for f in fields]
    stride = stage.to_dict()["jump"]
    data = {"model": name, "layer": stage.name, "receptive_field": stage.rf, "effective_stride": stride,
            "layers": layers}
    # The text rounds fractional jumps (after adaptive pooling or a transposed convolution) to 4 decimals.
    lines = [f"{name}: receptive field {stage.rf} px at {stage.name}, effective stride {round(stride, 4)}",
             f"{'layer':44s} {'kind':16s} {'k':>5s} {'s':>4s} {'rf':>6s} {'jump':>6s} {'start':>7s}"]
    for f in layers:
        rf = "x".join(map(str, f["rf_hw"])) if f["rf_hw"][0] != f["rf_hw"][1] else str(f["rf"])
        lines.append(f"{f['name']:44.44s} {f['kind']:16.16s} {f['kernel']:>5s} {f['stride']:>4s} {rf:>6s} "
                     f"{round(f['jump'], 4):>6} {round(f['start'], 4):>7}")
    if args.measure:
        # The same input size and layer as above: at another size the last stage can be another layer.
        try:
            measured = measured_receptive_field(variant, stage.name, input_size=args.input_size)
        except (RuntimeError, ValueError, MemoryError) as error:  # e.g. no input size let the layer be measured
            raise UsageError(f"{name}: {stage.name} cannot be measured: "
                             f"{(str(error).splitlines() or [type(error).__name__])[0]}") from None
        data["measured_receptive_field"] = measured.rf
        lines.append(f"measured by back-propagation: {measured.rf} px "
                     f"({'equal' if measured.rf_hw == stage.rf_hw else 'DIFFERENT'})")
    return Result(data, "\n".join(lines))
