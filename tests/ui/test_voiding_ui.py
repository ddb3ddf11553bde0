"""Mistakes can be undone, in the window (issue 12): the row menu (打开, 作废…, 打印协议书…, 复制编号),
the Delete key, the reason asked, the 显示已作废 filter and the administrator's 恢复…"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QGuiApplication

from dudu_desktop.domain.vocab import Role
from dudu_desktop.services import records
from dudu_desktop.ui.voiding import ReasonDialog
from tests.ui.conftest import make_dispute, model_ids, show_register


def actions(menu) -> dict:
    return {a.objectName(): a for a in menu.actions() if a.objectName()}


def test_void_with_the_delete_key_then_restore_from_the_menu(qtbot, window, ctx):
    keep = make_dispute(ctx, summary="邻居之间因排水沟堵塞发生争吵")
    gone = make_dispute(ctx, summary="重复登记的一条", name="李四")
    page = show_register(qtbot, window, "disputes")
    row = model_ids(page.model).index(gone)
    page.view.setCurrentIndex(page.model.index(row, 0))
    page.view.setFocus()
    qtbot.keyClick(page.view, Qt.Key_Delete)
    dialog = page.reason_dialog
    assert isinstance(dialog, ReasonDialog) and dialog.isVisible()
    assert not dialog.ok.isEnabled()  # the reason is required
    qtbot.keyClicks(dialog.reason, "duplicate")
    assert dialog.ok.isEnabled()
    with qtbot.waitSignal(page.model.loaded, timeout=10000):
        qtbot.mouseClick(dialog.ok, Qt.LeftButton)
    assert model_ids(page.model) == [keep]
    row = records.get_row(ctx.conn, "disputes", gone)
    assert row["deleted"] == 1
    entry = ctx.conn.execute(
        "SELECT action, reason FROM audit_log WHERE record_id = ? ORDER BY seq DESC", (gone,)
    ).fetchone()
    assert tuple(entry) == ("delete", "duplicate")

    # 显示已作废: the voided row comes back, grey and struck through; the menu offers 恢复…
    with qtbot.waitSignal(page.model.loaded, timeout=10000):
        page.show_voided.setChecked(True)
    assert set(model_ids(page.model)) == {keep, gone}
    r = model_ids(page.model).index(gone)
    font = page.model.data(page.model.index(r, 0), Qt.FontRole)
    assert isinstance(font, QFont) and font.strikeOut()
    menu = page.row_menu(page.model.row_record(r))
    acts = actions(menu)
    assert not acts["open"].isEnabled() and "void" not in acts and acts["restore"].isEnabled()
    acts["restore"].trigger()
    dialog = page.reason_dialog
    qtbot.keyClicks(dialog.reason, "restore it")
    with qtbot.waitSignal(page.model.loaded, timeout=10000):
        qtbot.mouseClick(dialog.ok, Qt.LeftButton)
    assert records.get_row(ctx.conn, "disputes", gone)["deleted"] == 0


def test_row_menu_copies_the_number_and_a_clerk_cannot_void_others_records(qtbot, window, ctx):
    case = make_dispute(ctx)
    page = show_register(qtbot, window, "disputes")
    record = page.model.row_record(model_ids(page.model).index(case))
    acts = actions(page.row_menu(record))
    assert set(acts) >= {"open", "void", "printAgreement", "copyNumber"}
    acts["copyNumber"].trigger()
    assert QGuiApplication.clipboard().text() == "2024-001"
    # a clerk, on a record an administrator entered: 作废… is greyed, with the reason as its tip
    ctx.role, ctx.user = Role.CLERK, "clerk1"
    acts = actions(page.row_menu(record))
    assert not acts["void"].isEnabled() and "今天" in acts["void"].toolTip()
