"""The README's test command is what CI runs: read from .ci/run, found as a line of a code block
of the README (not a copy kept here)."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def ci_commands() -> list[str]:
    lines = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith(("#", "set ", "cd "))]


def readme_code_lines() -> set[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"^```[^\n]*\n(.*?)^```", readme, flags=re.S | re.M)
    return {line.strip() for block in blocks for line in block.splitlines()}


def test_ci_runs_the_readme_test_command():
    commands = ci_commands()
    assert len(commands) == 1, commands
    (command,) = commands
    assert "install.sh --test" in command and "-m pytest" in command
    assert command in readme_code_lines()


def test_the_readme_says_how_to_install_and_start():
    assert any(line.startswith("bash scripts/install.sh && .venv/bin/dudu-desktop") for line in readme_code_lines())
