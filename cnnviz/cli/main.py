"""``python -m cnnviz``: the command line for instructors who script figures, and for tests.

With ``--json`` stdout holds only the JSON; errors go to stderr with exit status 2.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import io
import json
import pkgutil
import sys

import cnnviz.cli.commands
from cnnviz.cli.commands import UsageError


def _commands() -> dict[str, object]:
    names = sorted(m.name for m in pkgutil.iter_modules(cnnviz.cli.commands.__path__))
    return {name: importlib.import_module(f"cnnviz.cli.commands.{name}") for name in names}


def parser(commands: dict[str, object]) -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(prog="python -m cnnviz", description="Classic CNN architectures, computed live.")
    sub = main.add_subparsers(dest="command", required=True)
    for name, module in commands.items():
        command = sub.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(command)
        command.add_argument("--json", action="store_true", help="print JSON only")
    return main


def main(argv: list[str] | None = None) -> int:
    commands = _commands()
    args = parser(commands).parse_args(argv)
    try:
        # Some model libraries print while loading; keep stdout for our own output.
        with contextlib.redirect_stdout(io.StringIO()):
            result = commands[args.command].run(args)
    except UsageError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(json.dumps(result.data) if args.json else result.text)
    for line in result.errors:
        print(f"error: {line}", file=sys.stderr)
    return 2 if result.errors else 0
