"""A bundle's refusal in the window (issue 12): in full, wrapped, and in the window's words — the tick box
or the button by the name it shows, never a command-line option."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from PySide6.QtCore import QPoint, Qt

from dudu_desktop.domain.vocab import Role
from dudu_desktop.services import demo
from dudu_desktop.services.context import Context
from dudu_desktop.storage.db import open_database
from dudu_desktop.sync.export import export_bundle
from dudu_desktop.ui import wording
from dudu_desktop.ui.sync_pages import ExportPage, ImportPage
from tests.conftest import NOW
from tests.test_sync_bundles import VILLAGES, township, village_ctx

PACKAGE = Path(wording.__file__).resolve().parents[1]
OPTION = re.compile(r"(^|[\s(（])--[a-z]")


@pytest.fixture
def unsealed(tmp_path):
    """A township and a plain (unsealed) bundle of one of its villages."""
    village = village_ctx(tmp_path / "v.sqlite3", *VILLAGES[0])
    demo.generate(village, year=2024, seed=3)
    path = export_bundle(village, tmp_path, unsealed=True).path
    village.conn.close()
    town = township(tmp_path / "town.sqlite3")
    yield town, tmp_path / "town.sqlite3", path
    town.conn.close()


def preview(qtbot, page, paths) -> None:
    page.add_files(paths)
    qtbot.waitUntil(lambda: len(page.previews) == len(paths), timeout=20000)


def test_an_unsealed_bundle_is_refused_in_the_window_s_words_and_wrapped(qtbot, unsealed):
    town, town_path, path = unsealed
    page = ImportPage(town, town_path)
    qtbot.addWidget(page)
    page.resize(760, 600)  # narrower than the reason
    page.show()
    preview(qtbot, page, [path])
    assert page.refusals_area.isVisible()
    text = page.refusals.text()
    box = page.allow_unsealed.text()
    assert box == "允许导入未加密数据包（仅管理员）"
    assert path.name in text and f"勾选上方的「{box}」" in text, text
    assert not OPTION.search(text) and "allow-unsealed" not in text
    note = page.summary.item(0, 8)
    assert note.text() == note.toolTip() and "allow-unsealed" not in note.text()
    # wrapped inside the page: several lines, none running off its right edge
    assert page.refusals.wordWrap()
    qtbot.waitUntil(lambda: page.refusals.height() > 2 * page.refusals.fontMetrics().height())
    right = page.refusals.mapTo(page, page.refusals.rect().topRight()).x()
    assert right <= page.width()
    assert page.refusals.fontMetrics().horizontalAdvance(text.splitlines()[0]) > page.width()

    # ticking the box the message names lets the administrator take it on purpose
    box = page.allow_unsealed
    qtbot.mouseClick(box, Qt.LeftButton, pos=QPoint(8, box.height() // 2))  # on the tick box itself
    assert box.isChecked()
    qtbot.waitUntil(lambda: not isinstance(page.previews.get(str(path)), str), timeout=20000)
    assert not page.refusals_area.isVisible() and page.apply_button.isEnabled()


def test_a_clerk_is_told_that_an_administrator_ticks_the_box(qtbot, unsealed):
    _town, town_path, path = unsealed
    clerk = Context(conn=open_database(town_path), user="clerk", role=Role.CLERK, clock=lambda: NOW)
    page = ImportPage(clerk, town_path)
    qtbot.addWidget(page)
    preview(qtbot, page, [path])
    text = page.refusals.text()
    assert "只有管理员" in text and "「允许导入未加密数据包（仅管理员）」" in text and "allow-unsealed" not in text
    assert not page.allow_unsealed.isVisibleTo(page)
    clerk.conn.close()


def test_a_village_without_keys_is_told_which_button_imports_them(qtbot, tmp_path):
    village = village_ctx(tmp_path / "v.sqlite3", *VILLAGES[0])
    page = ExportPage(village)
    qtbot.addWidget(page)
    page.set_target(tmp_path)
    assert page.export() is None
    text = page.status.text()
    assert "「导入登记文件…」" in text and "import-registration" not in text and page.status.wordWrap()
    assert page.registration.text() == "导入登记文件…"
    village.conn.close()


def test_every_sync_message_naming_a_command_line_option_has_window_words():
    """The mapping recognises the services' messages by their msgid: each one must still be in the
    sync code word for word, and every sync message that names an option or a command has one."""
    messages = {
        m
        for _f, _l, m, _c, _x in extract_from_dir(
            str(PACKAGE / "sync"), method_map=[("**.py", "python")], keywords={"_": None, "N_": None}
        )
    }
    cli_phrased = {m for m in messages if isinstance(m, str) and (OPTION.search(m) or "the command " in m)}
    mapped = {w.cli for w in wording.WORDINGS}
    assert cli_phrased <= mapped, cli_phrased - mapped
    assert mapped <= messages, mapped - messages
    for w in wording.WORDINGS:
        assert not OPTION.search(w.window) and "the command" not in w.window
