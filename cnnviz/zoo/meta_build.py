"""Weight initialisation is skipped for tensors on the ``meta`` device, where it has no values to set.

torchvision's builders initialise every layer (DenseNet-264: about 0.2 s of the page's time), and no
library offers a switch for a whole model (``torch.nn.utils.skip_init`` takes one module), so the
``torch.nn.init`` functions are wrapped once: meta tensors return at once, real tensors are initialised
exactly as before, so models built with weights in other threads are unaffected.
"""

from __future__ import annotations

import functools


@functools.cache
def skip_init_on_meta() -> None:
    """Idempotent: wraps each public in-place function of ``torch.nn.init`` once per process."""
    from torch.nn import init

    for name in [n for n in dir(init) if n.endswith("_") and not n.startswith("_")]:
        setattr(init, name, _meta_skipping(getattr(init, name)))


def _meta_skipping(initialise):
    @functools.wraps(initialise)
    def wrapper(tensor, *args, **kwargs):
        return tensor if getattr(tensor, "is_meta", False) else initialise(tensor, *args, **kwargs)

    return wrapper
