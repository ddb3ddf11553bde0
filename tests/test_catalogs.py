"""Catalogs beyond tests/test_i18n.py (which holds zh_CN complete and the .mo current): the en
catalog, the checker itself proven on temporary catalogs (it must catch an untranslated string
and a placeholder that differs, through the real extraction and .po reading), and formatting
with babel for each supported locale."""

import datetime as dt
import importlib.util
import textwrap
from pathlib import Path

import pytest
from babel.dates import format_date as babel_date
from babel.messages.catalog import Catalog
from babel.messages.pofile import write_po
from babel.numbers import format_decimal as babel_decimal

from dudu_desktop import i18n

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def catalogs():
    spec = importlib.util.spec_from_file_location("i18n_script_catalogs", ROOT / "scripts" / "i18n.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def tmp_project(tmp_path, catalogs, monkeypatch):
    """A tiny package with three strings, and a po folder, swapped into the script."""
    package = tmp_path / "pkg"
    (package / "ui").mkdir(parents=True)
    (package / "ui" / "page.py").write_text(
        textwrap.dedent('''
        from dudu_desktop.i18n import _, ngettext
        SAVED = _("Saved.")
        COUNT = _("{n} records in {village}")
        DELETE = _("Delete")
        QUIT = _("Quit")
        ROWS = ngettext("{n} row", "{n} rows", 2)
    '''),
        encoding="utf-8",
    )
    monkeypatch.setattr(catalogs, "PACKAGE", package)
    monkeypatch.setattr(catalogs, "PO_DIR", tmp_path / "po")
    return tmp_path


def write_catalog(folder: Path, locale: str, part: str, entries: dict) -> None:
    catalog = Catalog(locale=locale, domain="dudu", charset="utf-8")
    for msgid, msgstr in entries.items():
        catalog.add(msgid, msgstr)
    path = folder / "po" / locale / f"{part}.po"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:
        write_po(fh, catalog, width=0)


def test_the_en_catalog_is_complete_and_its_placeholders_match(catalogs):
    assert catalogs.problems("en") == []
    assert set(catalogs.LOCALES) == set(i18n.SUPPORTED_LOCALES)


def test_the_checker_catches_untranslated_strings_and_differing_placeholders(tmp_project, catalogs, capsys):
    write_catalog(
        tmp_project,
        "zh_CN",
        "ui",
        {
            "Saved.": "已保存。",
            "{n} records in {village}": "{village}共{count}条记录",  # {n} misspelt as {count}
            "Delete": "",  # present but untranslated
            ("{n} row", "{n} rows"): ("共{n}行",),
            # "Quit" missing altogether
        },
    )
    found = catalogs.problems("zh_CN")
    assert sorted(p.split(":")[0] for p in found) == [
        "placeholders differ in zh_CN",
        "untranslated in zh_CN",
        "untranslated in zh_CN",
    ]
    assert any("'Delete'" in p for p in found) and any("'Quit'" in p for p in found)
    assert any("{n} records in {village}" in p and "{count}" in p for p in found)
    # the command line says so and fails
    assert catalogs.main(["check", "zh_CN"]) == 1
    out = capsys.readouterr().out
    assert "untranslated in zh_CN: 'Quit'" in out and "placeholders differ" in out

    # fixed: the same checker passes
    write_catalog(
        tmp_project,
        "zh_CN",
        "ui",
        {
            "Saved.": "已保存。",
            "{n} records in {village}": "{village}共{n}条记录",
            "Delete": "删除",
            "Quit": "退出",
            ("{n} row", "{n} rows"): ("共{n}行",),
        },
    )
    assert catalogs.problems("zh_CN") == []
    assert catalogs.main(["check", "zh_CN"]) == 0


def test_the_checker_catches_a_reworded_english_string_that_lost_a_placeholder(tmp_project, catalogs):
    assert catalogs.todo("en") == 5  # en starts as a copy of the source
    assert catalogs.problems("en") == []
    path = tmp_project / "po" / "en" / "ui.po"
    text = path.read_text("utf-8")
    assert 'msgid "Delete"\nmsgstr "Delete"' in text
    path.write_text(text.replace('msgstr "{n} records in {village}"', 'msgstr "{n} records"'), encoding="utf-8")
    assert catalogs.problems("en") == ["placeholders differ in en: '{n} records in {village}' → '{n} records'"]


def test_placeholders_are_compared_by_name_and_format(catalogs):
    module = catalogs  # names, conversions and format specs all count; order does not
    assert module.placeholders("{n:,}件") == module.placeholders("{n:,} cases")
    assert module.placeholders("{n}件") != module.placeholders("{n:,} cases")
    assert module.placeholders("{a}{b}") == module.placeholders("{b} then {a}")  # order may change


@pytest.mark.parametrize(
    "locale, date, month, number, money",
    [
        ("zh_CN", "2024年5月1日", "2024年5月", "1,234,567.5", "¥1,409.50"),
        ("en", "May 1, 2024", "May 2024", "1,234,567.5", "¥1,409.50"),
    ],
)
def test_dates_numbers_and_money_are_formatted_with_babel_for_each_locale(locale, date, month, number, money):
    assert i18n.format_date("2024-05-01", locale=locale) == date
    assert i18n.format_date(dt.date(2024, 5, 1), locale=locale) == babel_date(
        dt.date(2024, 5, 1), "long", locale=locale
    )
    assert i18n.format_month(2024, 5, locale=locale) == month
    assert i18n.format_number(1234567.5, locale=locale) == number == babel_decimal(1234567.5, locale=locale)
    assert i18n.format_money(140950, locale=locale) == money
    assert i18n.format_money(None, locale=locale) == "" and i18n.format_date(None, locale=locale) == ""


def test_the_active_locale_drives_formatting_and_messages():
    try:
        i18n.set_locale("en")
        assert i18n.format_date("2024-11-27") == "November 27, 2024"
        assert i18n._("Registration date") == "Registration date"
        i18n.set_locale("zh_CN")
        assert i18n.format_date("2024-11-27") == "2024年11月27日"
        assert i18n._("Registration date") == "登记日期"
        assert i18n.set_locale("fr") == "zh_CN"  # unsupported → the default
    finally:
        i18n.set_locale("zh_CN")
