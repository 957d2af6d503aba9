"""The attribution lab's figures: seconds per method on one photo, each beside a plain forward pass of the same
network, and the pointing game's scores beside chance.

Time: EfficientNet-Lite0 (pretrained, the image lab's default) on the sample photo "chelsea", for its top-1 class,
with the page's default settings, on one torch thread by default (one inference worker's share of a 2-core server);
the median of ``--repeats`` runs after one untimed run. Reference: one forward pass of the same network.

Pointing game: the cat shrunk to half the input's side in one quadrant, flat grey in the other three; the share of
each method's map that falls in the cat's quadrant (chance: 0.25; the lab's check: more than half).

    python bench/attribution.py [--threads 1] [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

QUADRANTS = [(0, 0), (0, 1), (1, 0), (1, 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per method (default 3)")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    import torch

    from cnnviz.imagelab import attribution
    from cnnviz.imagelab.inside import default_cam_layer, from_classifier, layers
    from cnnviz.imagelab.predict import load_classifier
    from cnnviz.imagelab.samples import sample_image
    from tests.test_attribution import composed

    torch.set_num_threads(args.threads)
    inspected = from_classifier(load_classifier("efficientnet_lite0", fast=False))
    network = attribution.pixel_space(inspected)
    cam_layer = default_cam_layer(layers("efficientnet_lite0"))
    pixels = attribution.to_pixels(inspected.view(sample_image("chelsea")))

    def forward() -> float:
        started = time.perf_counter()
        with torch.no_grad():
            network(pixels)
        return time.perf_counter() - started

    forward()
    reference = statistics.median(forward() for _ in range(max(3, args.repeats)))
    with torch.no_grad():
        target = int(network(pixels).argmax())
    print(f"{args.threads} torch thread(s); chelsea's top-1: {inspected.categories[target]}; "
          f"one forward pass {reference:.3f} s")
    for method in attribution.METHODS:
        attribution.attribute(network, pixels, target, method, cam_layer=cam_layer)
        seconds = statistics.median(attribution.attribute(network, pixels, target, method, cam_layer=cam_layer).seconds
                                    for _ in range(args.repeats))
        print(f"  {method:22s} {seconds:6.2f} s = {seconds / reference:6.1f} forward passes")

    print("pointing game: share of the map on the cat's quadrant (chance 0.25; check: more than 0.5)")
    for quadrant in QUADRANTS:
        picture = composed(inspected, quadrant)
        with torch.no_grad():
            found = int(network(picture).argmax())
        shares = {method: attribution.quadrant_share(attribution.attribute(
            network, picture, found, method, cam_layer=cam_layer, patch=28, stride=28).heatmap, quadrant)
            for method in attribution.METHODS}
        print(f"  quadrant {quadrant}, top-1 {inspected.categories[found]}: "
              + ", ".join(f"{method} {share:.2f}" for method, share in shares.items()))


if __name__ == "__main__":
    main()
