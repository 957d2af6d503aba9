"""The layout a newcomer relies on: subpackages with docstrings, no import circles, no Streamlit in cnnviz,
pages/ holding only the catalog's page scripts."""

import ast
import graphlib
import importlib
import pkgutil

import pytest

import cnnviz
from tests.conftest import ROOT
from ui.catalog import page_groups

MODULES = sorted(m.name for m in pkgutil.walk_packages(cnnviz.__path__, "cnnviz.") if not m.name.endswith("__main__"))


def _module_file(name: str):
    path = ROOT.joinpath(*name.split("."))
    return path / "__init__.py" if path.is_dir() else path.with_suffix(".py")


def _imports(name: str) -> set[str]:
    """Every cnnviz module that ``name`` imports anywhere in its file, inside functions too."""
    found = set()
    for node in ast.walk(ast.parse(_module_file(name).read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return {m for m in found if m in MODULES and m != name}


def test_no_import_circles():
    graph = {name: _imports(name) - {p for p in MODULES if name.startswith(p + ".")} for name in MODULES}
    list(graphlib.TopologicalSorter(graph).static_order())  # raises CycleError naming the circle


def test_cnnviz_never_imports_streamlit():
    for name in MODULES:
        tree = ast.parse(_module_file(name).read_text(encoding="utf-8"))
        imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        imported |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
        assert not {m for m in imported if m.split(".")[0] == "streamlit"}, name


@pytest.mark.parametrize("package", sorted({m for m in MODULES if _module_file(m).name == "__init__.py"} | {"ui"}))
def test_every_package_says_what_lives_there(package):
    module = importlib.import_module(package)
    assert module.__doc__ and len(module.__doc__.split()) >= 8, package


def test_pages_holds_only_the_catalogs_page_scripts():
    catalog = {entry.path for entries in page_groups().values() for entry in entries}
    files = {f"pages/{path.name}" for path in (ROOT / "pages").iterdir() if path.name != "__pycache__"}
    assert files == catalog


def test_every_page_runs_through_the_app_first():
    """The first session on a new server runs page files directly (``ui.first_visit``)."""
    for path in (ROOT / "pages").glob("*.py"):
        calls = [n for n in ast.parse(path.read_text(encoding="utf-8")).body if isinstance(n, ast.Expr)
                 and isinstance(n.value, ast.Call)]
        assert calls and ast.unparse(calls[0]) == "through_app()", path.name
