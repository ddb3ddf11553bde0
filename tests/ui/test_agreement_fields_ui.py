"""Issue 13: the dispute dialog takes each party's 职业或职务 (a column of the parties table) and the
agreement's 履行地点 (in 记录结果), typed by keyboard and saved."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox, QLineEdit

from dudu_desktop.services import audit, disputes
from dudu_desktop.ui.dispute_dialog import PARTY_COLUMNS
from tests.ui.conftest import make_dispute, type_text


def test_typing_occupation_and_place_of_performance_saves_them(qtbot, window, ctx):
    case = make_dispute(ctx)
    dialog = window.open_record("disputes", case)
    table = dialog.parties.table
    column = PARTY_COLUMNS.index("occupation")
    assert table.horizontalHeaderItem(column).text() == "职业或职务"
    dialog.tabs.setCurrentIndex(1)
    # double-click the cell, type, press Enter
    cell = table.visualItemRect(table.item(0, column)).center()
    qtbot.mouseClick(table.viewport(), Qt.LeftButton, pos=cell)
    qtbot.mouseDClick(table.viewport(), Qt.LeftButton, pos=cell)
    editors = [w for w in table.viewport().findChildren(QLineEdit) if w.isVisible()]
    assert len(editors) == 1
    editor = editors[0]
    type_text(qtbot, editor, "个体工商户")
    qtbot.keyClick(editor, Qt.Key_Return)  # the delegate commits the cell (queued)
    qtbot.waitUntil(lambda: table.item(0, column).text() == "个体工商户", timeout=3000)
    qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.Save), Qt.LeftButton)
    assert disputes.get_dispute(ctx.conn, case)["parties"][0]["occupation"] == "个体工商户"

    dialog = window.open_record("disputes", case)
    assert dialog.parties.table.item(0, column).text() == "个体工商户"  # shown again when reopened
    dialog.exec_action = lambda d: d.apply()
    assert dialog.act_start()

    def fill(action_dialog):
        form = action_dialog.form
        form.set_value("result", "调解成功")
        form.set_value("concluded_on", "2024-12-10")
        form.set_value("agreement_terms", "李某赔偿王某修缮费")
        type_text(qtbot, form.editor("place_of_performance"), "都督村便民服务中心")
        return action_dialog.apply()

    dialog.exec_action = fill
    assert dialog.act_conclude()
    row = disputes.get_dispute(ctx.conn, case)
    assert (row["status"], row["place_of_performance"]) == ("已办结", "都督村便民服务中心")
    assert "履行地点：都督村便民服务中心" in dialog.state_label.text()
    conclude = audit.entries(ctx.conn, record_id=case, action="conclude")[0]
    assert conclude["changes"]["place_of_performance"] == ["", "都督村便民服务中心"]
