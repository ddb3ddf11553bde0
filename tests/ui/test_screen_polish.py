"""What an engineer saw looking at every window at 1366×768 and 1024×768 (issue 12, "Fits the screen"
and "Names typed once"): the conflict page wraps long values and names people, the print preview's
official-font notice only where official fonts are used, the date fields' 日历 button, the guide
without a sideways scroll bar."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication

from dudu_desktop.domain.vocab import Role
from dudu_desktop.services import hotline, users
from dudu_desktop.services.context import Context
from tests.conftest import NOW
from tests.test_sync_bundles import VILLAGES, apply_bundle, export_bundle, township, village_ctx


def test_conflict_rows_wrap_and_name_people_not_log_ins(qtbot, tmp_path):
    usb = tmp_path / "usb"
    usb.mkdir()
    code, name = VILLAGES[0]
    village = village_ctx(tmp_path / "village.sqlite3", code, name)
    town = township(tmp_path / "town.sqlite3")
    users.create_user(
        Context(conn=town.conn, user="township", role=Role.ADMIN, clock=lambda: NOW),
        "zhangwen",
        "correct horse 1",
        Role.ADMIN,
        display_name="张文书",
    )
    call = hotline.create_call(
        village,
        {
            "called_at": "2024-12-02 09:30",
            "channel": "电话",
            "caller_name": "田伟红",
            "category": "劳动",
            "question": "工伤认定需要哪些材料？",
        },
    )
    apply_bundle(town, export_bundle(village, usb).path)
    long_answer = "已转乡劳动保障所跟进，" * 12
    hotline.update_call(village, call, {"answer": "先与老板协商，不成再投诉。"})
    hotline.update_call(Context(conn=town.conn, user="zhangwen", clock=lambda: NOW), call, {"answer": long_answer})
    apply_bundle(town, export_bundle(village, usb).path)

    from dudu_desktop.ui.sync_pages import ConflictPage

    page = ConflictPage(town)
    qtbot.addWidget(page)
    page.resize(900, 600)
    page.show()
    qtbot.waitExposed(page)
    table = page.fields
    rows = {table.item(r, 0).text(): r for r in range(table.rowCount())}
    # 修改人: the township's account by its display name; the village's by log-in and village (its
    # accounts do not travel in bundles)
    who = rows["修改人"]
    assert table.item(who, 1).text() == "张文书"
    assert table.item(who, 2).text() == f"cadre（{name}）"
    # the long answer wraps: its row is as tall as the text needs in its column, several lines
    answer = rows["答复情况"]
    width = table.columnWidth(1)
    needed = table.fontMetrics().boundingRect(0, 0, width - 8, 10000, 0x1000, long_answer).height()  # WordWrap
    line = table.fontMetrics().lineSpacing()
    assert needed > 2 * line
    assert table.rowHeight(answer) >= needed
    # and follows the column when the page is made narrower
    before = table.rowHeight(answer)
    page.resize(700, 600)
    QApplication.processEvents()
    assert table.rowHeight(answer) > before
    village.conn.close()
    town.conn.close()


def test_font_notice_only_on_the_annual_report_and_on_one_line(qtbot, ctx):
    from dudu_desktop.reports.documents import AGREEMENT, ANNUAL, DOSSIER, LEDGER, SIGNIN, DocumentRequest
    from dudu_desktop.ui.print_preview import PrintPreviewDialog
    from reports_support import seed

    ids = seed(ctx)
    requests = {
        LEDGER: {"register": "disputes", "month": "2024-05", "village": None},
        AGREEMENT: {"dispute_id": ids["settled"]},
        SIGNIN: {"training_id": ids["training"]},
        DOSSIER: {"dispute_id": ids["settled"]},
        ANNUAL: {"year": 2024},
    }
    shown = {}
    for kind, params in requests.items():
        dialog = PrintPreviewDialog(ctx, DocumentRequest(kind, params), threaded=False)
        qtbot.addWidget(dialog)
        shown[kind] = dialog.fonts_note.isVisibleTo(dialog)
        if kind == ANNUAL:
            annual = dialog
    # the test machine has no Windows fonts: the annual report (GB/T 9704) names its stand-ins, the
    # others (the bundled CJK font) say nothing about them
    assert shown == {LEDGER: False, AGREEMENT: False, SIGNIN: False, DOSSIER: False, ANNUAL: True}
    note = annual.fonts_note
    full = note.toolTip()
    assert "小标宋" in full and "Noto Serif SC" in full
    annual.resize(640, 600)
    annual.show()
    qtbot.waitExposed(annual)
    QApplication.processEvents()
    # one line however narrow the window: elided, whole in the tooltip, and it does not widen the window
    assert note.height() < 2 * note.fontMetrics().lineSpacing()
    assert note.text().endswith("…") and note.text()[:-1] in full
    assert note.fontMetrics().horizontalAdvance(note.text()) <= note.width()
    assert annual.width() <= 700


def test_the_calendar_button_has_no_arrow_over_its_text_and_drops_the_calendar_down(qtbot, window):
    from PySide6.QtCore import QDate, Qt
    from PySide6.QtWidgets import QStyle, QStyleOptionToolButton, QToolButton

    dialog = window.new_record("disputes")
    form = dialog.form
    button = form.findChild(QToolButton, "calendar_registered_on")
    qtbot.waitExposed(dialog)
    # no menu on the button: the style draws no drop-down arrow, and the text has the whole button
    option = QStyleOptionToolButton()
    button.initStyleOption(option)
    assert button.menu() is None and not option.features & QStyleOptionToolButton.HasMenu
    text = button.fontMetrics().horizontalAdvance(button.text())
    assert button.width() >= text + 2 * button.style().pixelMetric(QStyle.PM_ButtonMargin, option, button) - 2
    # a click drops the calendar down below the button; a date picked fills the field and closes it
    calendar = form.calendars["registered_on"]
    qtbot.mouseClick(button, Qt.LeftButton)
    qtbot.waitUntil(lambda: calendar.isVisible(), timeout=3000)
    assert calendar.mapToGlobal(calendar.rect().topLeft()).y() >= button.mapToGlobal(button.rect().bottomLeft()).y()
    calendar.clicked.emit(QDate(2024, 12, 5))
    assert form.value("registered_on").startswith("2024-12-05")
    qtbot.waitUntil(lambda: not calendar.isVisible(), timeout=3000)
    dialog._closing_ok = True
    dialog.close()


def _links(browser) -> list[str]:
    doc, links = browser.document(), []
    block = doc.begin()
    while block.isValid():
        it = block.begin()
        while not it.atEnd():
            fmt = it.fragment().charFormat()
            if fmt.isAnchor():
                links.append(fmt.anchorHref())
            it += 1
        block = block.next()
    return links


def test_the_guide_has_no_sideways_scroll_bar(qtbot):
    from dudu_desktop.ui.guide import GuideDialog

    dialog = GuideDialog()
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    for width in (dialog.width(), 640):  # as it opens, and made narrow: the pictures follow
        dialog.resize(width, dialog.height())
        QApplication.processEvents()
        browser = dialog.browser
        assert browser.horizontalScrollBar().maximum() == 0, width
        assert browser.document().size().width() <= browser.viewport().width()


def test_the_frozen_guide_carries_the_pictures_it_shows_and_unlinks_the_others(qtbot, tmp_path, monkeypatch):
    import shutil
    import sys

    from dudu_desktop.ui import guide
    from tests.ui.test_guide_bundled import spec_guide_entries

    meipass = tmp_path / "_internal"
    for source, dest in spec_guide_entries():
        if source.endswith(".md"):
            (meipass / dest).mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, meipass / dest)
        else:
            shutil.copytree(source, meipass / dest)
    assert not (meipass / "docs" / "screenshots" / "1024").exists()  # the 1024×768 set stays at home
    monkeypatch.setattr(sys, "_MEIPASS", str(meipass), raising=False)
    dialog = guide.GuideDialog()
    qtbot.addWidget(dialog)
    links = [link for link in _links(dialog.browser) if link.startswith("screenshots/")]
    assert links and all(link.startswith("screenshots/1366/") for link in links)  # no dead links
    assert "screenshots/1024/settings.png" not in dialog.browser.toHtml()
    assert "1024×768" in dialog.browser.toPlainText()  # still said, unlinked
