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
    code = (
        "import sys, pkgutil, importlib, dudu_desktop\n"
        "for m in pkgutil.walk_packages(dudu_desktop.__path__, 'dudu_desktop.'):\n"
        "    if not m.name.startswith(('dudu_desktop.ui', 'dudu_desktop.__main__')):\n"
        "        importlib.import_module(m.name)\n"
        "assert not [m for m in sys.modules if m.startswith('PySide6')], 'Qt loaded by the core'\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


# --- the layer matrix (issue 15) -------------------------------------------------------------------------

#: layer → rank. A module may import modules of its own package (``storage`` → ``storage``) and of layers
#: ranked lower; never a layer ranked the same (``sync`` ↔ ``reports``) or higher.
#: * foundation: the package root (name, version), ``i18n`` (gettext, babel formatting) and ``paths``;
#: * ``domain``: rules and vocabulary, no I/O — imports only the foundation;
#: * file helpers without the database, below storage and above the domain: ``fileio`` (atomic writes,
#:   fsync, sizes) and ``failures`` (OS/SQLite errors → refusals, the log); above them ``sheets``
#:   (reading and writing CSV/XLSX tables, written with ``fileio``);
#: * ``storage`` → ``services`` → ``sync``/``reports`` → ``ui`` → ``cli`` (the command line starts the
#:   window: ``gui``) → ``__main__``.
LAYERS = {
    "dudu_desktop": -1,  # the root: name and version, importable by all
    "i18n": 0,
    "paths": 0,
    "domain": 1,
    "fileio": 2,
    "failures": 2,
    "sheets": 3,
    "storage": 4,
    "services": 5,
    "sync": 6,
    "reports": 6,
    "ui": 7,
    "cli": 8,
    "__main__": 9,
}

#: Imports allowed against the matrix or inside a circle, as (importer, imported). None: the whole tree
#: holds (issue 15 untied the last circles, storage queries/search/bulk/speed and cli core/trust). An
#: entry here must name a real import (``test_known_exceptions_are_still_needed``).
KNOWN_EXCEPTIONS: set[tuple[str, str]] = set()


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(p): p for p in PACKAGE.rglob("*.py")}


def imports_of(module: str) -> set[tuple[str, int]]:
    """(module of the app, line) for every Import/ImportFrom anywhere in the module — at the top, in a
    function, under ``if TYPE_CHECKING`` — including the packages Python runs on the way (``a.b`` for
    ``import a.b.c``) and submodules named in ``from a import b``."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1] + ([node.module] if node.module else []))
            names = [base] + [f"{base}.{a.name}" for a in node.names]
        else:
            continue
        for name in names:
            parts = name.split(".")
            for i in range(1, len(parts) + 1):
                target = ".".join(parts[:i])
                if target in MODULES and target != module:
                    found.add((target, node.lineno))
    return found


GRAPH = {m: imports_of(m) for m in MODULES}


def layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def test_every_module_has_a_layer():
    assert sorted({layer(m) for m in MODULES} - set(LAYERS)) == []


def test_imports_follow_the_layers():
    violations = []
    for module, targets in GRAPH.items():
        mine = layer(module)
        for target, line in targets:
            theirs = layer(target)
            if theirs == mine or LAYERS[theirs] < LAYERS[mine] or (module, target) in KNOWN_EXCEPTIONS:
                continue
            violations.append(f"{MODULES[module].relative_to(PACKAGE.parent)}:{line} {module} → {target}")
    assert sorted(violations) == []


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    out.append(sorted(component))
    return out


def test_no_import_cycles_late_imports_included():
    graph = {m: {t for t, _line in targets if (m, t) not in KNOWN_EXCEPTIONS} for m, targets in GRAPH.items()}
    assert _cycles(graph) == []


def test_the_cycle_finder_sees_a_late_import_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_known_exceptions_are_still_needed():
    """An exception that no longer matches an import must go (so the list only shrinks)."""
    present = {(m, t) for m, targets in GRAPH.items() for t, _line in targets}
    assert sorted(KNOWN_EXCEPTIONS - present) == []
