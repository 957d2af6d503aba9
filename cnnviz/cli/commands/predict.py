"""``predict IMAGE...``: ImageNet top-k of each photo through a pretrained network."""

from __future__ import annotations

import argparse
import warnings

from cnnviz.cli.commands import Result, UsageError

HELP = "top-k ImageNet classes of photos through a pretrained network"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from cnnviz.imagelab.pretrained import PRETRAINED_TITLES

    parser.add_argument("images", nargs="+", metavar="IMAGE", help="photo files (JPEG, PNG, WebP, GIF, BMP)")
    parser.add_argument("--model", default="efficientnet_lite0", choices=list(PRETRAINED_TITLES),
                        help="pretrained network (default: efficientnet_lite0, which works offline)")
    parser.add_argument("--top", type=int, default=5, metavar="K", help="how many classes to list (default 5)")
    parser.add_argument("--download", action="store_true",
                        help="download torchvision weights that are not in the torch cache (progress on stderr)")


def run(args: argparse.Namespace) -> Result:
    from PIL import Image

    from cnnviz.imagelab.images import ImageError, read_image
    from cnnviz.imagelab.predict import load_classifier
    from cnnviz.imagelab.pretrained import WeightsUnavailable
    from cnnviz.imagelab.serving import configure_torch_threads

    if not 1 <= args.top <= 1000:
        raise UsageError("--top must be between 1 and 1000")
    # The size check below reports oversized images as errors; Pillow's warning would be a second line.
    warnings.simplefilter("ignore", Image.DecompressionBombWarning)
    configure_torch_threads(1)
    try:
        # Building the frozen fast path takes seconds; it pays for itself only over a few hundred photos.
        classifier = load_classifier(args.model, download=args.download, progress=_progress_bar,
                                     fast=len(args.images) >= 300)
    except WeightsUnavailable as error:
        raise UsageError(str(error)) from None
    results, errors, lines = [], [], []
    for path in args.images:
        try:
            image = read_image(path, shortest_side=classifier.preprocessing.resize)
        except ImageError as error:
            errors.append(f"{path}: {error}")
            continue
        predictions = classifier.predict(image, args.top)
        results.append({"image": path, "model": args.model,
                        "predictions": [{"label": p.label, "probability": p.probability} for p in predictions]})
        lines.append(f"{path}  ({classifier.title})")
        lines += [f"  {p.probability:7.2%}  {p.label}" for p in predictions]
    return Result(results, "\n".join(lines), errors)


def _progress_bar(done: int, total: int) -> None:
    import sys

    share = f"{done / total:6.1%}" if total else ""
    print(f"\rdownloading {done / 2**20:7.1f} MiB {share}", end="" if done != total else "\n", file=sys.stderr)
