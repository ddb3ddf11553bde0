"""The township's pages follow each action (issue 12): a village registered, a bundle applied and a
conflict resolved show at once on the reporting overview, the conflicts tab, the register filters and
the home page — not only after the year is changed."""

from __future__ import annotations

from PySide6.QtCore import Qt

from dudu_desktop.services import demo, hotline, site
from dudu_desktop.services.context import Context
from dudu_desktop.storage.db import open_database
from dudu_desktop.sync import merge
from dudu_desktop.sync.export import export_bundle
from dudu_desktop.ui.main_window import MainWindow
from tests.conftest import NOW, TOWNSHIP_CODE
from tests.test_sync_bundles import village_ctx

CODE, NAME = "500243104201", "都督村"
CONFLICTS = 15  # the overview's columns: village, 12 months, last bundle, missing bundles, conflicts


def apply(qtbot, win, path) -> None:
    page = win.sync_page.import_page
    page.clear()
    page.add_files([path])
    qtbot.waitUntil(lambda: len(page.previews) == 1 and page.apply_button.isEnabled(), timeout=20000)
    with qtbot.waitSignal(page.applied, timeout=30000):
        qtbot.mouseClick(page.apply_button, Qt.LeftButton)


def test_township_pages_refresh_after_each_action(qtbot, tmp_path):
    usb = tmp_path / "usb"
    usb.mkdir()
    town_path = tmp_path / "town.sqlite3"
    town = Context(conn=open_database(town_path), user="township", clock=lambda: NOW)
    site.init_site(town, role="township", code=TOWNSHIP_CODE, name="都督乡")
    win = MainWindow(town, town_path)
    qtbot.addWidget(win)
    win.show()
    overview, conflicts = win.sync_page.overview_page, win.sync_page.conflict_page
    register = win.pages["disputes"]
    assert overview.matrix.rowCount() == 0 and register.village.findData(CODE) < 0

    # a village registered on the accounts page: the overview has its row, the filters name it
    admin = win.admin_page
    admin.reg_code.setText(CODE)
    admin.reg_name.setText(NAME)
    admin.reg_folder.setText(str(usb))
    qtbot.mouseClick(admin.register_button, Qt.LeftButton)
    registration = next(usb.glob("*.dudukey"))
    assert overview.matrix.rowCount() == 1 and overview.matrix.item(0, 0).text() == NAME
    assert register.village.findData(CODE) > 0
    assert win.home.charts["villages"].categories == [NAME]

    # its first bundle applied: the months reported and the home page's figures
    village = village_ctx(tmp_path / "village.sqlite3", CODE, NAME)
    from dudu_desktop.sync import keys

    keys.import_registration(village, registration)
    demo.generate(village, year=2024, seed=5)
    apply(qtbot, win, export_bundle(village, usb).path)
    reported = [overview.matrix.item(0, m).text() for m in range(1, 13)]
    assert any(t.startswith(("✓", "零上报")) for t in reported), reported
    total = town.conn.execute(
        "SELECT count(*) FROM disputes WHERE deleted = 0 AND registered_on LIKE '2024%'"
    ).fetchone()[0]
    assert total > 0 and win.home.charts["villages"].series[0].values == (total,)

    # a conflict: the same call changed in the village and at the township
    call_id = village.conn.execute("SELECT id FROM hotline_calls ORDER BY id LIMIT 1").fetchone()[0]
    hotline.update_call(village, call_id, {"answer": "村里改过的答复"})
    hotline.update_call(town, call_id, {"answer": "乡里改过的答复"})
    apply(qtbot, win, export_bundle(village, usb).path)
    assert len(merge.conflicts(town.conn)) == 1
    assert conflicts.list.count() == 1
    assert overview.matrix.item(0, CONFLICTS).text() == "1"

    # resolved on the conflicts tab: the overview says so at once (the year is never touched)
    win.show_page("sync")
    win.sync_page.setCurrentWidget(conflicts)
    qtbot.mouseClick(conflicts.keep_incoming, Qt.LeftButton)
    assert conflicts.list.count() == 0
    assert overview.year.value() == 2024
    assert overview.matrix.item(0, CONFLICTS).text() == ""
    win.sync_page.setCurrentWidget(overview)
    assert overview.matrix.item(0, CONFLICTS).text() == ""
    village.conn.close()
    win.close()
