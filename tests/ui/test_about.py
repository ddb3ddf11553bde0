"""帮助 → 关于 (version, licences of the program, the fonts, Qt/PySide6 and the libraries), the
language setting (saved per PC, applied at start, a restart offered), and the smoke-test hook the
build script runs on the frozen program."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PySide6.QtWidgets import QComboBox, QTextBrowser

from dudu_desktop import __version__, i18n
from dudu_desktop.cli import main as cli_main
from dudu_desktop.paths import resources_dir
from dudu_desktop.ui import language
from dudu_desktop.ui.about import AboutDialog


@pytest.fixture(autouse=True)
def _chinese_again():
    yield
    i18n.set_locale("zh_CN")


def test_about_box_shows_the_version_and_every_licence(qtbot):
    dialog = AboutDialog()
    qtbot.addWidget(dialog)
    assert __version__ in dialog.version.text()
    assert dialog.windowTitle() == "关于都督乡法治工作台账"
    tabs = [dialog.tabs.tabText(i) for i in range(dialog.tabs.count())]
    assert tabs[:2] == ["本程序", "许可证"] and "LGPL-3.0" in tabs
    licences = dialog.findChild(QTextBrowser, "licences").toPlainText()
    for needle in (
        "MIT",
        "LGPL-3.0",
        "PySide6",
        "reportlab",
        "BSD",
        "babel",
        "openpyxl",
        "cryptography",
        "文泉驿微米黑",
        "Apache-2.0",
        "霞鹜文楷",
        "SIL OFL-1.1",
        "SQLite",
    ):
        assert needle in licences, needle
    # the fonts' licences in full, read from resources/fonts/LICENSE-*
    for name in ("LICENSE-wqy-microhei.txt", "LICENSE-LXGWWenKai-OFL.txt"):
        page = next(
            dialog.tabs.widget(i) for i in range(dialog.tabs.count()) if dialog.tabs.widget(i).objectName() == name
        )
        assert page.toPlainText() == (resources_dir() / "fonts" / name).read_text(encoding="utf-8")
    lgpl = dialog.tabs.widget(tabs.index("LGPL-3.0")).toPlainText()
    assert "GNU LESSER GENERAL PUBLIC LICENSE" in lgpl and "Version 3" in lgpl


def test_help_menu_opens_the_about_box(qtbot, window):
    help_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "帮助(&H)")
    assert "关于" in [a.text() for a in help_menu.actions()]
    window.about_action.trigger()
    dialog = window.findChild(AboutDialog)
    assert dialog is not None and dialog.isVisible()
    dialog.close()


def test_language_is_saved_per_pc_and_a_restart_is_offered(qtbot, window):
    page = window.settings_page
    combo = page.findChild(QComboBox, "language")
    assert [combo.itemText(i) for i in range(combo.count())] == ["简体中文", "English"]
    assert combo.currentData() == "zh_CN" and language.saved_language() is None
    asked, restarted = [], []
    page.ask_restart = lambda text: asked.append(text) or False  # "later"
    page.restart_program = lambda: restarted.append(True) or False
    combo.setCurrentIndex(combo.findData("en"))
    combo.activated.emit(combo.currentIndex())
    assert language.saved_language() == "en"
    assert Path(os.environ["DUDU_HOME"], "ui.ini").read_text().count("language=en") == 1
    assert asked == ["界面语言将在程序重新启动后更改。现在重新启动吗？"] and restarted == []
    # back to the language already running: saved, nothing to restart
    combo.setCurrentIndex(combo.findData("zh_CN"))
    combo.activated.emit(combo.currentIndex())
    assert language.saved_language() == "zh_CN" and len(asked) == 1
    # yes → the window closes first, then the program starts again
    page.ask_restart = lambda text: True
    combo.setCurrentIndex(combo.findData("en"))
    combo.activated.emit(combo.currentIndex())
    assert restarted == [True] and not window.isVisible()


def test_restart_command_starts_the_same_program():
    program, args = language.restart_command()
    assert Path(program).exists() and args[:2] == ["-m", "dudu_desktop"]


def _demo_db(tmp_path) -> Path:
    db = tmp_path / "demo.sqlite3"
    assert cli_main(["--db", str(db), "init", "--role", "township", "--code", "500116113000", "--name", "都督乡"]) == 0
    assert cli_main(["--db", str(db), "demo", "--villages", "1"]) == 0
    return db


def test_the_saved_language_applies_at_start_and_the_smoke_hook_paints_and_quits(qtbot, tmp_path, monkeypatch, capsys):
    from dudu_desktop.ui import app as uiapp

    db = _demo_db(tmp_path)
    language.save_language("en")
    monkeypatch.delenv("DUDU_LANG", raising=False)
    monkeypatch.setenv(uiapp.SMOKE_TEST_ENV, "1")
    capsys.readouterr()
    assert uiapp.run_gui(db) == 0
    assert i18n.current_locale() == "en"
    out = capsys.readouterr().out
    assert "smoke test: first paint" in out and "pages: 7" in out


def test_the_smoke_hook_refuses_a_database_that_is_not_set_up_or_a_wrong_password(qtbot, tmp_path, monkeypatch):
    from dudu_desktop.ui import app as uiapp

    monkeypatch.setenv(uiapp.SMOKE_TEST_ENV, "1")
    monkeypatch.setenv("DUDU_LANG", "zh_CN")
    assert uiapp.run_gui(tmp_path / "missing.sqlite3") == 1
    db = tmp_path / "acc.sqlite3"
    monkeypatch.setenv("DUDU_NEW_PASSWORD", "correct horse 1")
    assert (
        cli_main(
            [
                "--db",
                str(db),
                "init",
                "--role",
                "township",
                "--code",
                "500116113000",
                "--name",
                "都督乡",
                "--admin",
                "admin",
            ]
        )
        == 0
    )
    monkeypatch.setenv("DUDU_USER", "admin")
    monkeypatch.setenv("DUDU_PASSWORD", "wrong password")
    assert uiapp.run_gui(db) == 1
