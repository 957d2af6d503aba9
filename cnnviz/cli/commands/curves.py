"""``curves NAME``: the bundled training results, as made by ``train NAME``."""

from __future__ import annotations

import argparse

from cnnviz.cli.commands import Result, UsageError
from cnnviz.training.bundled import BUNDLED

HELP = ("bundled training curves: plain-vs-residual (loss and error per epoch), transfer (accuracy per mode) or "
        "lenet5 (loss and accuracy per epoch, each activation)")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", help=f"one of: {', '.join(BUNDLED)}")


def run(args: argparse.Namespace) -> Result:
    from cnnviz.training.bundled import load_bundled_or_none, missing_message
    from cnnviz.training.report import describe

    if args.name not in BUNDLED:
        raise UsageError(f"unknown curves {args.name!r}; choose from {', '.join(BUNDLED)}")
    bundle = load_bundled_or_none(args.name)
    if bundle is None:
        raise UsageError(missing_message(args.name))
    return Result(bundle["runs"], describe(args.name, bundle))
