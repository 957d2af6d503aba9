"""Building a model on the ``meta`` device without drawing random weights it has no values to hold.

On meta, ``Tensor.normal_`` still runs a Python decomposition (torch 2.14: about 1 ms a call, over half of
DenseNet-264's build time on meta), and no library offers a switch for a whole model (``torch.nn.utils.skip_init``
takes one module). A ``TorchFunctionMode``, torch's own hook for intercepting tensor calls, skips the random
fills and the ``torch.nn.init`` calls on meta tensors. Modes are per thread and end with the ``with`` block:
nothing process-wide is changed, so models built with weights in other threads (or after the build) are
initialised exactly as before.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch
from torch.nn import init
from torch.overrides import TorchFunctionMode

# Random fills skip on meta; so do the ``torch.nn.init`` functions that announce themselves to the mode,
# because the tensor calls inside a call the mode has handled no longer reach it.
_SKIPPED_ON_META = frozenset(
    {torch.Tensor.normal_, torch.Tensor.uniform_, torch.Tensor.bernoulli_, torch.Tensor.cauchy_,
     torch.Tensor.exponential_, torch.Tensor.geometric_, torch.Tensor.log_normal_, torch.Tensor.random_}
    | {getattr(init, name) for name in dir(init) if name.endswith("_") and not name.startswith("_")})


class _SkipInitOnMeta(TorchFunctionMode):
    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if func in _SKIPPED_ON_META:
            tensor = args[0] if args else kwargs["tensor"]  # init functions pass their tensor by keyword
            if tensor.is_meta:
                return tensor
        return func(*args, **kwargs)


@contextmanager
def on_meta() -> Iterator[None]:
    """Modules created inside are on ``meta``, and their random initialisation is skipped (this thread only)."""
    with torch.device("meta"), _SkipInitOnMeta():
        yield
