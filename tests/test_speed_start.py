"""Issue 14, start-up: a command loads only what it uses. The parser of every command is built on
each start, so the command modules must not import the sync engine (``cryptography``), the
printing (``reportlab``, ``pypdfium2``) or ``babel`` until a handler needs them."""

import json
import os
import subprocess
import sys

import pytest

from dudu_desktop.cli import main

HEAVY = ("reportlab", "cryptography", "pypdfium2")

PROBE = """
import json, sys
{body}
print("MODULES " + json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {watched!r}
                                     or m.startswith('dudu_desktop.sync.') or m.startswith('dudu_desktop.reports'))))
"""


def loaded_after(body: str, *, env_extra: dict | None = None) -> list[str]:
    """The watched modules a fresh interpreter holds after running ``body``."""
    script = PROBE.format(body=body, watched=HEAVY + ("babel", "openpyxl"))
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", **(env_extra or {})}
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120)
    lines = [x for x in out.stdout.splitlines() if x.startswith("MODULES ")]
    assert lines, out.stderr[-3000:]
    return json.loads(lines[-1][len("MODULES ") :])


@pytest.fixture
def demo_db(tmp_path):
    path = tmp_path / "v.sqlite3"
    assert main(["--db", str(path), "demo", "--year", "2024", "--villages", "1", "--seed", "3"]) == 0
    return path


def test_importing_the_cli_and_building_its_parser_loads_no_heavy_module():
    loaded = loaded_after("import dudu_desktop.cli as c\nc.build_parser()")
    assert [m for m in loaded if m.split(".")[0] in HEAVY + ("babel",)] == []
    assert not any(m.startswith(("dudu_desktop.sync.", "dudu_desktop.reports")) for m in loaded), loaded


def test_stats_command_runs_without_the_sync_engine_printing_or_babel(demo_db, tmp_path):
    body = (
        f"from dudu_desktop.cli import main\n"
        f"import contextlib, io\n"
        f"with contextlib.redirect_stdout(io.StringIO()) as out:\n"
        f"    code = main(['--db', {str(demo_db)!r}, 'stats', '--year', '2024', '--json'])\n"
        f"assert code == 0 and json.loads(out.getvalue())['disputes']['total'] > 0, code"
    )
    loaded = loaded_after(body, env_extra={"DUDU_HOME": str(tmp_path)})
    assert [m for m in loaded if m.split(".")[0] in HEAVY + ("babel", "openpyxl")] == []
    assert not any(m.startswith(("dudu_desktop.sync.", "dudu_desktop.reports")) for m in loaded), loaded


def test_commands_still_load_what_they_use(demo_db, tmp_path, capsys):
    """The handlers import their modules themselves: a report and a template still work."""
    assert main(["--db", str(demo_db), "report", "texts", "--year", "2024"]) == 0
    assert json.loads(capsys.readouterr().out)
    assert main(["template", "--register", "hotline", "--out", str(tmp_path / "t.csv")]) == 0
    assert (tmp_path / "t.csv").exists()


def test_the_parser_choices_are_the_registers_of_the_modules_it_no_longer_imports():
    from dudu_desktop.cli import reports as cli_reports
    from dudu_desktop.cli import sync as cli_sync
    from dudu_desktop.reports.data import LEDGER_REGISTERS
    from dudu_desktop.sync.tables import REGISTER_NAMES

    assert cli_sync.REGISTER_CHOICES == REGISTER_NAMES
    assert cli_reports.LEDGER_REGISTERS == LEDGER_REGISTERS


def test_babel_is_loaded_when_a_date_is_formatted():
    loaded = loaded_after(
        "from dudu_desktop import i18n\nassert i18n.format_date('2024-05-01') == '2024年5月1日'\n"
        "assert i18n.format_money(140950) == '¥1,409.50'"
    )
    assert "babel" in loaded


def test_importing_the_window_module_loads_no_printing_or_sync_crypto():
    loaded = loaded_after("import dudu_desktop.ui.app")
    assert [m for m in loaded if m.split(".")[0] in HEAVY] == []
