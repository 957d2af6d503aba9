"""``predict IMAGE...``: ImageNet top-k of each photo through a pretrained network."""

from __future__ import annotations

import argparse
import warnings

from cnnviz.cli.commands import Result, UsageError

HELP = "top-k ImageNet classes of photos through a pretrained network"
# The fast engine (ONNX Runtime) saves about 30 ms a photo over eager PyTorch (EfficientNet-Lite0, 2 cores). It takes
# about 0.2 s to load from its cache on disk, but 2.5 s to export on a machine's first run (or to build the
# TorchScript fallback without onnxruntime, 1 s): it pays from about 8 photos, or 80 when not cached yet.
FAST_ENGINE_CACHED_FROM = 8
FAST_ENGINE_FROM = 80


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
        classifier = load_classifier(args.model, download=args.download, progress=_progress_bar, fast=False)
    except WeightsUnavailable as error:
        raise UsageError(str(error)) from None
    classifier.fast = _fast_engine_pays(classifier, len(args.images))  # built lazily, at the first photo
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


def _fast_engine_pays(classifier, photos: int) -> bool:
    from cnnviz.imagelab import onnx_engine

    if photos >= FAST_ENGINE_FROM:
        return True
    return photos >= FAST_ENGINE_CACHED_FROM and onnx_engine.is_cached(classifier.model,
                                                                       classifier.preprocessing.crop, classifier.name)


def _progress_bar(done: int, total: int) -> None:
    import sys

    share = f"{done / total:6.1%}" if total else ""
    print(f"\rdownloading {done / 2**20:7.1f} MiB {share}", end="" if done != total else "\n", file=sys.stderr)
