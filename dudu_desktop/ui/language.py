"""The interface language: a setting of this PC (``ui.ini`` beside the data, see
:func:`dudu_desktop.ui.uistate.ui_settings`), applied when the program starts.

``DUDU_LANG`` overrides it for one run. Changing it takes effect at the next start: every page
builds its texts once, so the window offers to restart rather than re-translating itself.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QProcess

from dudu_desktop.i18n import SUPPORTED_LOCALES
from dudu_desktop.ui.uistate import ui_settings

LANGUAGE_KEY = "ui/language"
#: Each language named in itself, so that someone who switched by mistake can find the way back.
LANGUAGE_NAMES = {"zh_CN": "简体中文", "en": "English"}


def saved_language() -> str | None:
    value = ui_settings().value(LANGUAGE_KEY)
    return value if value in SUPPORTED_LOCALES else None


def save_language(locale: str) -> None:
    if locale not in SUPPORTED_LOCALES:
        raise ValueError(locale)
    settings = ui_settings()
    settings.setValue(LANGUAGE_KEY, locale)
    settings.sync()


def restart_command() -> tuple[str, list[str]]:
    """The program and arguments that start this program again (frozen .exe or ``python -m``)."""
    if getattr(sys, "frozen", False):
        return sys.executable, sys.argv[1:]
    return sys.executable, ["-m", "dudu_desktop", *sys.argv[1:]]


def restart() -> bool:
    program, args = restart_command()
    result = QProcess.startDetached(program, args)  # (started, pid) in PySide6
    return bool(result[0] if isinstance(result, tuple) else result)
