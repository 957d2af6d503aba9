"""Subcommands of ``python -m cnnviz``: one module each, found by name.

Each module defines ``HELP`` (one line), ``add_arguments(parser)`` and ``run(args) -> Result``.
Raise ``UsageError`` for a bad name or argument; put per-item failures (one bad image of several)
in ``Result.errors``: the command then still prints its results and exits with status 2.
"""

from __future__ import annotations

from dataclasses import dataclass, field


class UsageError(Exception):
    """A bad name or argument: reported on one line, exit status 2."""


def chosen_variant(args):
    """The registry variant named by ``args.name`` / ``args.variant``, with ``args.input_size`` checked."""
    from cnnviz.zoo.registry import UnknownModel, resolve

    try:
        _, variant = resolve(args.name, args.variant)
    except UnknownModel as error:
        raise UsageError(str(error)) from None
    if args.input_size is not None and args.input_size < 1:
        raise UsageError("--input-size must be a positive number of pixels")
    return variant


def any_network(args):
    """The timm model (``timm:NAME``) or ONNX file (``*.onnx``) named by ``args.name``, analysed."""
    from cnnviz.any_network import NeedsInputSize, NetworkError
    from cnnviz.any_network.by_name import network_by_name

    if args.variant:
        raise UsageError("--variant applies to the registry's models only")
    try:
        return network_by_name(args.name, args.input_size)
    except NeedsInputSize as error:
        raise UsageError(f"{args.name}: {error} (--input-size N)") from None
    except NetworkError as error:
        raise UsageError(f"{args.name}: {error}") from None


def cannot_take(variant, input_size: int | None, error: Exception) -> UsageError:
    size = input_size or variant.input_size
    return UsageError(f"{variant.name} cannot take a {size}x{size} input: {str(error).splitlines()[0]}")


@dataclass
class Result:
    data: object  # what --json prints
    text: str  # what a person reads
    errors: list[str] = field(default_factory=list)  # one line each, to stderr
