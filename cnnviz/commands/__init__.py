"""Subcommands of ``python -m cnnviz``: one module each, found by name.

Each module defines ``HELP`` (one line), ``add_arguments(parser)`` and ``run(args) -> Result``.
Raise ``UsageError`` for a bad name or argument; put per-item failures (one bad image of several)
in ``Result.errors``: the command then still prints its results and exits with status 2.
"""

from __future__ import annotations

from dataclasses import dataclass, field


class UsageError(Exception):
    """A bad name or argument: reported on one line, exit status 2."""


@dataclass
class Result:
    data: object  # what --json prints
    text: str  # what a person reads
    errors: list[str] = field(default_factory=list)  # one line each, to stderr
