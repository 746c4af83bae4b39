"""models/ is the pure core: no I/O and nothing from the outer packages (STYLE §1)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

MODELS = Path(__file__).resolve().parents[2] / "models"
SOURCES = sorted(MODELS.rglob("*.py"))

OUTER_PACKAGES = {"server", "sync", "mobile", "timeliste"}
IO_MODULES = {
    "os",
    "io",
    "sys",
    "socket",
    "ssl",
    "select",
    "selectors",
    "asyncio",
    "subprocess",
    "shutil",
    "tempfile",
    "glob",
    "pathlib",
    "sqlite3",
    "dbm",
    "shelve",
    "pickle",
    "logging",
    "urllib",
    "http",
    "requests",
    "httpx",
    "tinydb",
    "sqlalchemy",
    "alembic",
    "psycopg",
    "fastapi",
    "starlette",
    "uvicorn",
    "flet",
    "flet_charts",
    "openpyxl",
    "fpdf",
}
FORBIDDEN_CALLS = {"open", "print", "input", "exec", "eval", "__import__", "breakpoint"}


def _imported_roots(tree: ast.AST) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name.split(".")[0]) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            # Relative imports are banned by ruff; a level>0 import would show as "".
            found.append((node.lineno, (node.module or "").split(".")[0]))
    return found


def test_models_has_sources() -> None:
    names = {path.name for path in SOURCES}
    assert {"schemas.py", "clock.py", "quota.py", "flags.py", "canonical.py"} <= names


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_no_outer_or_io_imports(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    bad = [
        f"{path.name}:{line} imports {root or '(relative)'}"
        for line, root in _imported_roots(tree)
        if root in OUTER_PACKAGES or root in IO_MODULES or not root
    ]
    assert bad == []


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_no_io_calls(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    bad = [
        f"{path.name}:{node.lineno} calls {node.func.id}()"
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in FORBIDDEN_CALLS
    ]
    assert bad == []


def test_the_checker_sees_a_forbidden_import() -> None:
    # Guard against a checker that silently passes everything.
    tree = ast.parse("import os.path\nfrom server.db import x\nfrom . import y\n")
    assert _imported_roots(tree) == [(1, "os"), (2, "server"), (3, "")]


def test_importing_models_loads_no_outer_or_io_package() -> None:
    # The AST check misses imports made indirectly (by a dependency); this
    # imports every module of models/ in a fresh interpreter and looks.
    import subprocess
    import sys

    modules = [f"models.{path.stem}" for path in SOURCES if path.stem != "__init__"]
    script = (
        "import importlib, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        f"bad = {sorted(OUTER_PACKAGES | {'httpx', 'tinydb', 'sqlalchemy', 'fastapi', 'flet'})!r}\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in bad))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=MODELS.parent,
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == "[]"
