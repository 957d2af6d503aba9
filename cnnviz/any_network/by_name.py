"""One name for either source, as the command line takes it: ``timm:NAME`` or a path ending in ``.onnx``."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cnnviz.any_network import Network

PREFIX = "timm:"


def names_any_network(name: str) -> bool:
    return name.startswith(PREFIX) or name.lower().endswith(".onnx")


def network_by_name(name: str, input_size: int | None = None) -> "Network":
    """The analysed network; a ``NetworkError`` (one line) for an unknown name, a bad file or a size it cannot
    take."""
    if name.startswith(PREFIX):
        from cnnviz.any_network.timm_models import timm_network

        return timm_network(name[len(PREFIX):], input_size)
    from cnnviz.any_network.onnx_file import read_path
    from cnnviz.any_network.onnx_graph import onnx_network

    return onnx_network(read_path(name), input_size)
