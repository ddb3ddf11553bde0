"""The USB sync pages on demo data: export to a folder, preview then apply bundles and a
spreadsheet off the UI thread, resolve a conflict side by side, the reporting overview."""

from __future__ import annotations

import csv
import os

import pytest

from dudu_desktop.services import demo, hotline
from dudu_desktop.services.context import Context
from dudu_desktop.sync import keys, merge
from dudu_desktop.sync.export import export_bundle
from dudu_desktop.sync.tables import headers
from dudu_desktop.ui.sync_pages import ConflictPage, ExportPage, ImportPage, OverviewPage, SyncPage
from tests.conftest import NOW
from tests.test_sync_bundles import VILLAGES, township, village_ctx

SHOTS = os.environ.get("DUDU_SHOTS")  # a folder to save screenshots into (optional)


def shot(widget, name: str) -> None:
    widget.resize(1100, 650)
    widget.show()
    image = widget.grab()
    assert not image.isNull()
    if SHOTS:
        image.save(os.path.join(SHOTS, f"sync_{name}.png"))


@pytest.fixture
def setup(tmp_path):
    usb = tmp_path / "usb"
    usb.mkdir()
    villages = []
    for i, (code, name) in enumerate(VILLAGES):
        ctx = village_ctx(tmp_path / f"{code}.sqlite3", code, name)
        demo.generate(ctx, year=2024, seed=40 + i)
        villages.append(ctx)
    town_path = tmp_path / "town.sqlite3"
    town = township(town_path)
    for ctx, (code, name) in zip(villages, VILLAGES):  # keys: the villages' bundles are sealed
        keys.import_registration(ctx, keys.register_village(town, code, name, tmp_path).path)
    yield usb, villages, town, town_path
    for ctx in villages:
        ctx.conn.close()
    town.conn.close()


def test_export_page_writes_a_bundle_to_the_chosen_drive(qtbot, setup):
    usb, villages, _town, _p = setup
    page = ExportPage(villages[0])
    qtbot.addWidget(page)
    page.find_drives([usb])
    assert page.target.count() == 1 and page.target.currentData() == str(usb)
    result = page.export()
    assert result is not None and result.path.parent == usb and result.path.exists()
    assert page.log.rowCount() == 1 and str(result.seq) == page.log.item(0, 0).text()
    shot(page, "export")


def test_import_preview_apply_conflict_and_overview(qtbot, setup, tmp_path):
    usb, villages, town, town_path = setup
    bundles = [export_bundle(v, usb).path for v in villages]
    page = ImportPage(town, town_path)
    qtbot.addWidget(page)
    page.add_files(bundles)
    qtbot.waitUntil(lambda: len(page.previews) == 3, timeout=20000)
    assert page.apply_button.isEnabled()
    assert page.summary.rowCount() == 3
    assert int(page.summary.item(0, 2).text()) > 0  # new records counted
    assert town.conn.execute("SELECT count(*) FROM disputes").fetchone()[0] == 0  # preview wrote nothing
    shot(page, "import_preview")
    with qtbot.waitSignal(page.applied, timeout=30000):
        page.apply()
    assert page.progress.value() == 100
    assert town.conn.execute("SELECT count(*) FROM sync_imports").fetchone()[0] == 3
    shot(page, "import_applied")

    # a conflict: the same call edited in the village and at the township
    call_id = villages[0].conn.execute("SELECT id FROM hotline_calls ORDER BY id LIMIT 1").fetchone()[0]
    hotline.update_call(villages[0], call_id, {"answer": "村里改过的答复"})
    hotline.update_call(
        Context(conn=town.conn, user="township", clock=lambda: NOW), call_id, {"answer": "乡里改过的答复"}
    )
    second = export_bundle(villages[0], usb).path
    sheet = tmp_path / "calls.csv"
    with open(sheet, "w", encoding="gbk", newline="") as f:
        csv.writer(f).writerows(
            [
                headers("hotline"),
                ["2024/5/6", "电话", "张三", "劳动", "工资拖欠", "", "", "", "", ""],
                ["2024/13/6", "电话", "李四", "劳动", "日期错", "", "", "", "", ""],
            ]
        )
    page.clear()
    page.add_files([second])
    page.add_files([sheet], register="hotline")
    qtbot.waitUntil(lambda: len(page.previews) == 2, timeout=20000)
    assert page.problems.rowCount() == 1 and page.problems.item(0, 2).text() == "3"
    shot(page, "import_mixed")
    with qtbot.waitSignal(page.applied, timeout=30000):
        page.apply()
    assert len(merge.conflicts(town.conn)) == 1

    conflicts = ConflictPage(town)
    qtbot.addWidget(conflicts)
    assert conflicts.list.count() == 1
    first = [conflicts.fields.item(0, c).text() for c in range(3)]
    assert first[1:] == ["乡里改过的答复", "村里改过的答复"]  # differing fields first
    shot(conflicts, "conflict")
    conflicts.resolve("incoming")
    assert conflicts.list.count() == 0
    assert hotline.get_call(town.conn, call_id)["answer"] == "村里改过的答复"

    view = OverviewPage(town)
    qtbot.addWidget(view)
    view.year.setValue(2024)
    assert view.matrix.rowCount() == 3
    assert view.matrix.item(0, 12).text().startswith(("✓", "零上报"))
    shot(view, "overview")


def test_sync_page_tabs_follow_the_role(qtbot, setup):
    _usb, villages, town, town_path = setup
    at_village = SyncPage(villages[0])
    at_town = SyncPage(town, town_path)
    qtbot.addWidget(at_village)
    qtbot.addWidget(at_town)
    assert at_village.count() == 2 and at_village.export_page is not None
    assert at_town.count() == 3 and at_town.overview_page is not None and at_town.export_page is None
    assert not at_village.import_page.add_bundles.isEnabled()
