"""The core runs without Qt: only dudu_desktop/ui may import PySide6."""

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "dudu_desktop"


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_no_qt_import_outside_ui():
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        if "ui" in path.relative_to(PACKAGE).parts[:1]:
            continue
        if any(m.split(".")[0] in ("PySide6", "PyQt5", "PyQt6", "shiboken6") for m in imported_modules(path)):
            offenders.append(str(path.relative_to(PACKAGE)))
    assert offenders == []


def test_core_modules_import_without_loading_qt():
    code = ("import sys, pkgutil, importlib, dudu_desktop\n"
            "for m in pkgutil.walk_packages(dudu_desktop.__path__, 'dudu_desktop.'):\n"
            "    if not m.name.startswith(('dudu_desktop.ui', 'dudu_desktop.__main__')):\n"
            "        importlib.import_module(m.name)\n"
            "assert not [m for m in sys.modules if m.startswith('PySide6')], 'Qt loaded by the core'\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
