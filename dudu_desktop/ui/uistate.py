"""Where the window remembers things between runs (an INI file beside the data): window geometry,
the last database, the language, the last user name. Imported by any window without a cycle."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings

from dudu_desktop.paths import data_dir


def ui_settings() -> QSettings:
    """Window state and the last database, in an INI file beside the data (portable, per DUDU_HOME)."""
    return QSettings(str(Path(data_dir()) / "ui.ini"), QSettings.IniFormat)


def last_user() -> str:
    return str(ui_settings().value("login/last_user") or "")


def remember_user(username: str) -> None:
    s = ui_settings()
    s.setValue("login/last_user", username)
    s.sync()
