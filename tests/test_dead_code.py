"""No dead code: unused imports and locals (pyflakes), functions, methods and attributes nobody uses (vulture)."""

import subprocess
import sys

from tests.conftest import ROOT

SOURCES = ["app.py", "cnnviz", "ui", "pages", "tests", "bench"]


def test_no_unused_imports_or_locals():
    found = subprocess.run([sys.executable, "-m", "pyflakes", *SOURCES], cwd=ROOT, capture_output=True, text=True)
    assert not found.stdout.strip(), found.stdout


def test_no_unused_functions_methods_or_attributes():
    found = subprocess.run([sys.executable, "-m", "vulture", *SOURCES, "tests/dead_code_whitelist.py",
                            "--min-confidence", "60"], cwd=ROOT, capture_output=True, text=True)
    # Dataclass fields read through asdict() or by the pages look like unused class variables: left out.
    dead = [line for line in found.stdout.splitlines() if "unused variable" not in line]
    assert not dead, "\n".join(dead)
