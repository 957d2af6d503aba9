"""The effective receptive field on a photo: back-propagate from one unit of a real network to the pixels.

The networks and photos are the image lab's (``cnnviz.imagelab.inside``, ``cnnviz.imagelab.samples``): pretrained where the
weights are available, seeded random weights otherwise.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

MODELS = ("resnet18", "alexnet", "vgg11", "efficientnet_lite0")


def effective_field(inspected, image: Image.Image, layer: str, row: int, col: int) -> np.ndarray:
    """|d unit / d pixel| of the model's input (``inspected.view(image)``), summed over colour channels and
    divided by its maximum (all zeros stay zeros). ``inspected`` is a ``cnnviz.imagelab.inside.Inspected``."""
    from cnnviz.analysis.receptive_field.measure import effective_rf
    from cnnviz.imagelab.inside import private_view

    # Tracing hooks the modules: a private view leaves the shared model untouched for other users.
    heat = effective_rf(private_view(inspected.model), layer, inspected.batch(image), row, col)
    peak = heat.max()
    return heat / peak if peak > 0 else heat


def extent(heat: np.ndarray, fraction: float = 0.0) -> tuple[int, int]:
    """Height and width of the box holding every pixel whose value exceeds ``fraction`` of the maximum."""
    rows, cols = np.nonzero(heat > fraction * heat.max()) if heat.max() > 0 else ((), ())
    if len(rows) == 0:
        return 0, 0
    return int(rows.max() - rows.min() + 1), int(cols.max() - cols.min() + 1)
