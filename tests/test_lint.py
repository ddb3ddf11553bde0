"""The house style and the types, checked with the tests CI runs (issue 15): ``ruff check`` (lint),
``ruff format --check`` (layout) over the whole tree and ``mypy`` on the layers below the window and the
command line (domain/, storage/, services/, sync/). Their settings are in pyproject.toml ([tool.ruff],
[tool.mypy]); both tools come with the ``test`` extra (``bash scripts/install.sh --test``)."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True)


def tool(name: str) -> None:
    if run(name, "--version").returncode != 0:
        pytest.fail(f"{name} is not installed: run `bash scripts/install.sh --test` (it is in the test extra)")


def test_ruff_check():
    tool("ruff")
    result = run("ruff", "check", "--no-cache", "--output-format", "concise", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format_check():
    tool("ruff")
    result = run("ruff", "format", "--no-cache", "--check", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy():
    tool("mypy")
    result = run("mypy", "--no-incremental", "--cache-dir", "/dev/null")
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_checks_cover_the_layers():
    """The settings the checks above rely on: mypy on the four packages the issue names, ruff on a
    line length the code is written to, and no rule switched off without a reason beside it."""
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]
    assert sorted(config["mypy"]["files"]) == sorted(
        f"dudu_desktop/{p}" for p in ("domain", "storage", "services", "sync")
    )
    assert config["mypy"]["check_untyped_defs"] and config["mypy"]["warn_unused_ignores"]
    assert config["ruff"]["line-length"] == 120
    assert {"E", "F", "W", "I", "B", "UP"} <= set(config["ruff"]["lint"]["select"])
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    for rule in config["ruff"]["lint"].get("ignore", []):
        before = text[: text.index(f'"{rule}"')].rsplit("ignore = [", 1)[1]
        assert "#" in before, f"{rule} is ignored without a reason"
