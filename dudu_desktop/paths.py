"""Where things live: the per-user data folder (platformdirs), ``DUDU_HOME``, portable mode,
and the bundled resources (fonts, icons) in a checkout or a frozen build."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import platformdirs

from dudu_desktop import APP_NAME

DB_NAME = "dudu.sqlite3"
PORTABLE_MARKER = "portable.txt"


def program_dir() -> Path:
    if getattr(sys, "frozen", False):
        return Path(sys.executable).resolve().parent
    return Path(__file__).resolve().parent.parent


def resources_dir() -> Path:
    if getattr(sys, "frozen", False) and hasattr(sys, "_MEIPASS"):
        return Path(sys._MEIPASS) / "resources"
    return Path(__file__).resolve().parent.parent / "resources"


def data_dir() -> Path:
    """``DUDU_HOME`` if set; ``data/`` beside the program in portable mode; else the per-user folder."""
    home = os.environ.get("DUDU_HOME")
    if home:
        return Path(home)
    if (program_dir() / PORTABLE_MARKER).exists():
        return program_dir() / "data"
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def default_db_path() -> Path:
    return data_dir() / DB_NAME


def backups_dir(db_path: str | Path | None = None) -> Path:
    base = Path(db_path).resolve().parent if db_path else data_dir()
    return base / "backups"


def logs_dir(db_path: str | Path | None = None) -> Path:
    """Where unexpected errors are logged (``dudu_desktop.failures``): ``logs`` beside the database."""
    base = Path(db_path).resolve().parent if db_path else data_dir()
    return base / "logs"
