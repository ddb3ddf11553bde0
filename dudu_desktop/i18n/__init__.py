"""Translations and locale-aware formatting (gettext catalogs compiled with babel).

Source strings are English; ``zh_CN`` is the default locale and its catalog must be complete.
Formatting goes through babel so that dates read ``2024年5月1日`` in Chinese and
``May 1, 2024`` in English.
"""

from __future__ import annotations

import datetime as _dt
import gettext as _gettext
import os
from decimal import Decimal
from pathlib import Path

# babel (about a tenth of a command's start-up) is imported when a date or a number is first
# formatted, not when a message is translated (issue 14).

DOMAIN = "dudu"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DEFAULT_LOCALE = "zh_CN"
SUPPORTED_LOCALES = ("zh_CN", "en")

_state: dict = {"locale": None, "translations": None}


def _load(locale: str) -> _gettext.NullTranslations:
    try:
        return _gettext.translation(DOMAIN, localedir=str(LOCALE_DIR), languages=[locale])
    except OSError:
        return _gettext.NullTranslations()


def set_locale(locale: str | None = None) -> str:
    """Switch the active locale (``zh_CN`` by default, or ``DUDU_LANG``)."""
    locale = locale or os.environ.get("DUDU_LANG") or DEFAULT_LOCALE
    if locale not in SUPPORTED_LOCALES:
        locale = DEFAULT_LOCALE
    _state["locale"] = locale
    _state["translations"] = _load(locale)
    return locale


def current_locale() -> str:
    if _state["locale"] is None:
        set_locale()
    return _state["locale"]


def gettext(message: str) -> str:
    if _state["translations"] is None:
        set_locale()
    return _state["translations"].gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    if _state["translations"] is None:
        set_locale()
    return _state["translations"].ngettext(singular, plural, n)


_ = gettext


def N_(message: str) -> str:
    """Mark a string for extraction without translating it now (translated at display time)."""
    return message


def _as_date(value) -> _dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, _dt.datetime):
        return value.date()
    if isinstance(value, _dt.date):
        return value
    return _dt.date.fromisoformat(str(value)[:10])


def format_date(value, locale: str | None = None) -> str:
    """``2024-05-01`` → ``2024年5月1日`` (zh_CN) or ``May 1, 2024`` (en). Empty for None."""
    d = _as_date(value)
    if d is None:
        return ""
    from babel import Locale
    from babel.dates import format_date as _babel_format_date

    return _babel_format_date(d, format="long", locale=Locale.parse(locale or current_locale()))


def format_month(year: int, month: int, locale: str | None = None) -> str:
    """``(2024, 5)`` → ``2024年5月``."""
    loc = locale or current_locale()
    if loc.startswith("zh"):
        return f"{year}年{month}月"
    from babel import Locale
    from babel.dates import format_date as _babel_format_date

    return _babel_format_date(_dt.date(year, month, 1), format="MMMM y", locale=Locale.parse(loc))


def format_number(value, locale: str | None = None) -> str:
    from babel import Locale
    from babel.numbers import format_decimal as _babel_format_decimal

    return _babel_format_decimal(value, locale=Locale.parse(locale or current_locale()))


def format_percent(rate, locale: str | None = None) -> str:
    """A fraction 0..1 as a percent without needless decimals: 1.0 → ``100%``, None → ``—``."""
    if rate is None:
        return "—"
    pct = (Decimal(str(rate)) * 100).quantize(Decimal("0.1"))
    text = format(pct.normalize(), "f") if pct != pct.to_integral() else str(int(pct))
    return f"{text}%"


def format_money(cents: int | None, locale: str | None = None) -> str:
    """Integer fen (cents) → ``¥1,409.50``."""
    if cents is None:
        return ""
    yuan = Decimal(cents) / 100
    from babel import Locale
    from babel.numbers import format_decimal as _babel_format_decimal

    return "¥" + _babel_format_decimal(yuan, format="#,##0.00", locale=Locale.parse(locale or current_locale()))
