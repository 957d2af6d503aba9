"""``train NAME [--quick]``: re-run a mini-training and write its results to ``assets/``."""

from __future__ import annotations

import argparse
import sys

from cnnviz.cli.commands import Result, UsageError
from cnnviz.training.bundled import BUNDLED

HELP = "re-run a mini-training (plain-vs-residual, transfer or lenet5) and write its bundled results"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", help=f"one of: {', '.join(BUNDLED)}")
    parser.add_argument("--quick", action="store_true",
                        help="the page's live quick setting (under a minute); written only with --output")
    parser.add_argument("--output", help="where to write the JSON (default: the bundled file in assets/)")
    parser.add_argument("--threads", type=int,
                        help="CPU threads for torch, transfer only: the small nets of plain-vs-residual and "
                             "LeNet-5 run single-threaded (default: torch's choice)")


def _progress(label: str, done: int, total: int) -> None:
    # stdout may hold JSON only; progress goes to stderr.
    print(f"{label}: epoch {done}/{total}", file=sys.stderr, flush=True)


def run(args: argparse.Namespace) -> Result:
    import torch

    from cnnviz.training.bundled import bundled_path, save
    from cnnviz.training.device import pick_device
    from cnnviz.training.report import describe

    if args.name not in BUNDLED:
        raise UsageError(f"unknown training {args.name!r}; choose from {', '.join(BUNDLED)}")
    if args.threads is not None:
        if args.threads < 1:
            raise UsageError("--threads must be at least 1")
        if args.name != "transfer":  # each of their runs is single_threaded: the flag would do nothing
            raise UsageError(f"--threads applies to transfer only; {args.name}'s small nets run single-threaded")
        torch.set_num_threads(args.threads)
    device = pick_device()
    if args.name == "plain-vs-residual":
        from cnnviz.training import plain_vs_residual as pvr

        config = pvr.QUICK if args.quick else pvr.SweepConfig()
        progress = lambda run, done, total: _progress(f"{run.kind}-{run.depth}", done, total)  # noqa: E731
        runs = pvr.sweep(config, progress, device)
        first = None if args.quick else pvr.sweep(pvr.FIRST_SETUP, progress, device)
        bundle = pvr.runs_to_json(config, runs, device, first)
    elif args.name == "lenet5":
        from cnnviz.training import lenet_live

        config = lenet_live.QUICK if args.quick else lenet_live.LeNetConfig()
        bundle = lenet_live.bundle(config, lambda run, done, total: _progress(run.activation, done, total), device)
    else:
        from cnnviz.training import transfer

        config = transfer.QUICK if args.quick else transfer.TransferConfig()
        bundle = transfer.bundle(config, () if args.quick else transfer.FEWER, device=device,
                                 on_epoch=lambda run, done, total: _progress(run.mode, done, total))
    path = args.output or (None if args.quick else bundled_path(args.name))
    if path is not None:
        from pathlib import Path

        save(bundle, Path(path))
    text = describe(args.name, bundle) + (f"\nwritten to {path}" if path else "")
    return Result(bundle, text)
