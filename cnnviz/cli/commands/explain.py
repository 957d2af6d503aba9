"""``explain IMAGE``: an attribution map of a photo's class (Grad-CAM, occlusion, saliency, ...)."""

from __future__ import annotations

import argparse

from cnnviz.cli.commands import Result, UsageError

HELP = "an attribution map of a photo's top-1 (or chosen) ImageNet class through a pretrained network"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from cnnviz.imagelab.attribution import METHODS
    from cnnviz.imagelab.pretrained import PRETRAINED_TITLES

    parser.add_argument("image", metavar="IMAGE", help="a photo file (JPEG, PNG, WebP, GIF, BMP)")
    parser.add_argument("--model", default="efficientnet_lite0", choices=list(PRETRAINED_TITLES),
                        help="pretrained network (default: efficientnet_lite0, which works offline)")
    parser.add_argument("--method", default="gradcam", choices=METHODS, help="attribution method (default: gradcam)")
    parser.add_argument("--target", metavar="LABEL", help="the ImageNet class to explain (default: the top-1)")
    parser.add_argument("--out", metavar="FILE.png", help="write the map over the model's view of the photo")


def run(args: argparse.Namespace) -> Result:
    from cnnviz.imagelab.attribution import attribute, overlay, pixel_space, to_pixels
    from cnnviz.imagelab.images import ImageError, read_image
    from cnnviz.imagelab.inside import default_cam_layer, from_classifier, layers
    from cnnviz.imagelab.predict import crop_box, load_classifier
    from cnnviz.imagelab.pretrained import WeightsUnavailable
    from cnnviz.imagelab.serving import configure_torch_threads

    if args.out and not args.out.lower().endswith(".png"):
        raise UsageError("--out must name a .png file")
    try:
        image = read_image(args.image)
    except ImageError as error:
        raise UsageError(f"{args.image}: {error}") from None
    configure_torch_threads(1)
    try:
        classifier = load_classifier(args.model, fast=False)
    except WeightsUnavailable as error:
        raise UsageError(str(error)) from None
    inspected = from_classifier(classifier)
    view = inspected.view(image)
    net, pixels = pixel_space(inspected), to_pixels(view)
    import torch

    with torch.inference_mode():
        probabilities = torch.softmax(net(pixels)[0].double(), dim=0)
    target = _target_index(args.target, inspected.categories, int(probabilities.argmax()))
    result = attribute(net, pixels, target, args.method, cam_layer=default_cam_layer(layers(args.model)))
    if args.out:
        try:
            overlay(view, result.heatmap).save(args.out)
        except OSError as error:
            raise UsageError(f"cannot write {args.out}: {error.strerror or error}") from None
    label, probability = inspected.categories[target], float(probabilities[target])
    box = [round(edge, 2) for edge in crop_box(image.size, inspected.preprocessing)]
    data = {"image": args.image, "model": args.model, "method": args.method,
            "target": {"label": label, "probability": probability}, "crop_box": box,
            "heatmap": [[round(float(v), 4) for v in row] for row in result.heatmap]}
    height, width = result.heatmap.shape
    lines = [f"{args.image}  ({classifier.title}, {args.method})",
             f"  class: {label} (p = {probability:.2%})",
             f"  the network saw ({box[0]:.0f}, {box[1]:.0f}) to ({box[2]:.0f}, {box[3]:.0f}) of the photo; "
             f"map {height}x{width}, {result.seconds:.2f} s", *_strongest(result.heatmap)]
    if args.out:
        lines.append(f"  written: {args.out}")
    return Result(data, "\n".join(lines))


def _target_index(label: str | None, categories: tuple[str, ...], top1: int) -> int:
    """The index of ``label`` (case and spacing ignored); a wrong label is one line naming the nearest ones."""
    if label is None:
        return top1
    wanted = " ".join(label.lower().split())
    found = [i for i, name in enumerate(categories) if name.lower() == wanted]
    if found:
        return found[0]
    import difflib

    near = difflib.get_close_matches(wanted, [name.lower() for name in categories], n=3, cutoff=0.6)
    hint = f"; did you mean: {', '.join(near)}?" if near else ""
    raise UsageError(f"unknown ImageNet class {label!r}{hint}")


def _strongest(heatmap) -> list[str]:
    """Where the map is strongest, in thirds of the model's view (a quick read without a picture)."""
    height, width = heatmap.shape
    thirds = [[float(heatmap[r * height // 3:(r + 1) * height // 3, c * width // 3:(c + 1) * width // 3].sum())
               for c in range(3)] for r in range(3)]
    total = sum(map(sum, thirds)) or 1.0
    return ["  share of the map by thirds (top row first):"] + [
        "    " + "  ".join(f"{100 * value / total:5.1f}%" for value in row) for row in thirds]
