"""The printed documents' language: Chinese whatever the interface language (a ledger, an
agreement or a report is a Chinese official paper; the settings page says so). Report
modules import ``_`` from here instead of :mod:`dudu_desktop.i18n`; the strings are still
English msgids in the reports catalog."""

from __future__ import annotations

import gettext as _gettext
from functools import cache

from dudu_desktop.i18n import DOMAIN, LOCALE_DIR

DOC_LOCALE = "zh_CN"


@cache
def _catalog(locale: str) -> _gettext.NullTranslations:
    try:
        return _gettext.translation(DOMAIN, localedir=str(LOCALE_DIR), languages=[locale])
    except OSError:
        return _gettext.NullTranslations()


def _(message: str) -> str:
    """``message`` in the documents' language (Chinese)."""
    return _catalog(DOC_LOCALE).gettext(message)
