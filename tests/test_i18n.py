"""Catalogs: zh_CN is complete and the default, placeholders match, the compiled .mo is current;
dates and numbers are formatted for the locale."""

import importlib.util
from pathlib import Path

import pytest

from dudu_desktop import i18n

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def catalogs():
    spec = importlib.util.spec_from_file_location("i18n_script", ROOT / "scripts" / "i18n.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_source_string_is_translated_in_zh_cn(catalogs):
    assert catalogs.problems("zh_CN") == []


def test_compiled_catalogs_are_current(catalogs):
    for locale in catalogs.LOCALES:
        assert catalogs.mo_path(locale).read_bytes() == catalogs.compiled(locale), (
            f"run: python scripts/i18n.py compile ({locale})"
        )


def test_placeholder_check_catches_a_mismatch(catalogs):
    assert catalogs.placeholders("{field}为必填项。") == catalogs.placeholders("{field} is required.")
    assert catalogs.placeholders("{feild}为必填项。") != catalogs.placeholders("{field} is required.")


def test_chinese_is_the_default_and_english_available(monkeypatch):
    monkeypatch.delenv("DUDU_LANG", raising=False)
    assert i18n.set_locale() == "zh_CN"
    assert i18n._("Registration date") == "登记日期"
    assert i18n.format_date("2024-05-01") == "2024年5月1日"
    assert i18n.format_date("2024-11-27") == "2024年11月27日"
    i18n.set_locale("en")
    assert i18n._("Registration date") == "Registration date"
    assert i18n.format_date("2024-05-01") == "May 1, 2024"
    i18n.set_locale("zh_CN")


def test_number_formats():
    assert i18n.format_money(140950) == "¥1,409.50"
    assert i18n.format_percent(1) == "100%" and i18n.format_percent(0.9) == "90%"
    assert i18n.format_percent(2 / 3) == "66.7%" and i18n.format_percent(None) == "—"
    assert i18n.format_month(2024, 5) == "2024年5月"
