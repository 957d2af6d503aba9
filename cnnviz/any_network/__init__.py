"""Any network, not only the registry's: a timm architecture by name or an uploaded ONNX file, turned into the
same ``Summary`` (layer table, totals, layer graph, cost chart) and receptive fields as the registry models.

Every bad input becomes one ``NetworkError`` line: an unknown name, a file that is not ONNX, a file that points
to external data, a graph whose shapes are not fixed. Nothing here unpickles or reads a file it was not given.
"""

from __future__ import annotations

from dataclasses import dataclass

from cnnviz.analysis.receptive_field.recursion import LayerRF
from cnnviz.analysis.summary import Summary
from cnnviz.i18n import _


class NetworkError(ValueError):
    """One line for the user. ``str()`` is English (the command line's); ``text()`` is the same line in the
    session's language: uploads are read in widget callbacks, before a run has chosen its language, so the line is
    kept as its marked template and values."""

    def __init__(self, template: str, **values: object) -> None:
        super().__init__(template.format(**values))
        self.template, self.values = template, values

    def text(self) -> str:
        return _(self.template).format(**self.values)


class NeedsInputSize(NetworkError):
    """The file does not fix its input's height and width: the caller must give one."""


@dataclass
class Network:
    """One analysed network: its summary, the receptive field of every layer where the graph allows it (None
    where it has no 2-D feature maps), and the operator types it could not count (0 MACs in the totals)."""

    summary: Summary
    fields: list[LayerRF] | None
    source: str  # "timm" or "onnx"
    uncounted: tuple[str, ...] = ()
    default_size: int | None = None  # the input size the model states (timm's pretrained_cfg), if any
    dynamic: bool = False  # the ONNX file leaves the input's height and width open (the size was given)
