"""Disputes through the window: create in the dialog, validation at the field, workflow with audit."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox

from dudu_desktop.services import audit, disputes, people
from tests.ui.conftest import make_dispute, model_ids, show_register, type_text


def _save_button(dialog):
    return dialog.buttons.button(QDialogButtonBox.Save)


def test_create_a_dispute_in_the_dialog_and_see_it_in_the_table(qtbot, window, ctx):
    people.create_person(ctx, {"name": "王德明", "phone": "13812345678", "address": "都督村3组"})
    page = show_register(qtbot, window, "disputes")
    assert page.model.rowCount() == 0
    dialog = window.new_record("disputes")
    form = dialog.form
    form.editor("registered_on").clear()
    type_text(qtbot, form.editor("registered_on"), "2024-12-18")
    form.editor("dispute_type").setCurrentIndex(form.editor("dispute_type").findData("邻里"))
    type_text(qtbot, form.editor("summary"), "两家因排水沟堵塞发生争吵")
    type_text(qtbot, form.editor("mediator"), "冉光明")
    # a party from the directory (completion) and one typed on the spot
    picker = dialog.parties.picker
    type_text(qtbot, picker, "王德")
    assert picker.completer_.model().stringList() == ["王德明（都督村3组，13812345678）"]
    picker._chosen("王德明（都督村3组，13812345678）")  # what choosing in the popup does
    qtbot.keyClick(picker, Qt.Key_Return)
    type_text(qtbot, picker, "李秀英")
    qtbot.keyClick(picker, Qt.Key_Return)
    assert [p["name"] for p in dialog.parties.parties()] == ["王德明", "李秀英"]
    assert dialog.parties.parties()[0]["person_id"] and dialog.parties.parties()[0]["phone"] == "13812345678"
    with qtbot.waitSignal(page.model.loaded, timeout=10000):
        qtbot.mouseClick(_save_button(dialog), Qt.LeftButton)
    assert page.model.rowCount() == 1
    row = page.model.row_record(0)
    assert row["party_names"] == "王德明、李秀英" and row["summary"] == "两家因排水沟堵塞发生争吵"
    assert row["status"] == "待调处" and row["registered_on"] == "2024-12-18"
    shown = [page.model.index(0, c).data() for c in range(page.model.columnCount())]
    assert "王德明、李秀英" in shown and "2024年12月18日" in shown


def test_validation_is_shown_at_the_field_and_nothing_is_saved(qtbot, window, ctx):
    dialog = window.new_record("disputes")
    dialog.form.editor("registered_on").setText("2024-13-45")
    qtbot.mouseClick(_save_button(dialog), Qt.LeftButton)
    assert dialog.isVisible()
    errors = dialog.form.errors
    assert errors["summary"].text() == "纠纷简要情况为必填项。" and not errors["summary"].isHidden()
    assert "登记日期" in errors["registered_on"].text()
    assert dialog.form.editor("summary").property("hasError") is True
    assert errors["mediator"].isHidden()
    assert "至少" in dialog.parties.errors.text()  # "a dispute needs at least one party"
    assert dialog.banner.text()  # also said above the tabs
    assert ctx.conn.execute("SELECT count(*) FROM disputes").fetchone()[0] == 0
    # fixing the fields clears the messages on leaving them, before saving
    dialog.form.editor("registered_on").setText("2024-12-01")
    dialog.form.editor("registered_on").editingFinished.emit()
    assert errors["registered_on"].isHidden()


def test_closing_with_unsaved_changes_asks_first(qtbot, window, ctx):
    dialog = window.new_record("hotline")
    type_text(qtbot, dialog.form.editor("question"), "问题")
    asked = []
    dialog.ask_unsaved = lambda: asked.append(1) or "cancel"
    dialog.reject()
    assert asked and dialog.isVisible()
    dialog.ask_unsaved = lambda: "discard"
    with qtbot.waitSignal(dialog.finished):
        dialog.reject()
    assert ctx.conn.execute("SELECT count(*) FROM hotline_calls").fetchone()[0] == 0


def _fill_and_ok(values):
    def run(action_dialog):
        for key, value in values.items():
            action_dialog.form.set_value(key, value)
        return action_dialog.apply()

    return run


def test_status_changes_with_their_audit_entries_and_history(qtbot, window, ctx):
    dispute_id = make_dispute(ctx)
    dialog = window.open_record("disputes", dispute_id)
    assert dialog.action_buttons["start"].isEnabled() and not dialog.action_buttons["close"].isEnabled()

    dialog.exec_action = _fill_and_ok({"method": "人民调解", "mediator": "冉光明"})
    assert dialog.act_start()
    assert disputes.get_dispute(ctx.conn, dispute_id)["status"] == "调处中"

    # a level change without a reason is refused at the field, nothing changes
    refused = []

    def no_reason(action_dialog):
        action_dialog.form.set_value("level", "红")
        ok = action_dialog.apply()
        refused.append(action_dialog.form.errors["reason"].text())
        return ok

    dialog.exec_action = no_reason
    assert not dialog.act_level()
    assert refused == ["请填写理由。"]
    assert disputes.get_dispute(ctx.conn, dispute_id)["level"] == "蓝"

    dialog.exec_action = _fill_and_ok({"level": "红", "reason": "双方扬言动手，有民转刑风险"})
    assert dialog.act_level()
    dialog.exec_action = _fill_and_ok(
        {
            "result": "调解成功",
            "concluded_on": "2024-12-10",
            "agreement_terms": "李某赔偿王某修缮费",
            "amount_cents": "1409.50",
        }
    )
    assert dialog.act_conclude()
    row = disputes.get_dispute(ctx.conn, dispute_id)
    assert (row["status"], row["level"], row["amount_cents"], row["agreement"]) == ("已办结", "红", 140950, 1)

    entries = audit.entries(ctx.conn, record_id=dispute_id)
    level = next(e for e in entries if e["action"] == "change_level")
    assert level["changes"]["level"] == ["蓝", "红"] and level["reason"] == "双方扬言动手，有民转刑风险"
    assert [e["action"] for e in entries][:3] == ["conclude", "change_level", "start_mediation"]

    # the history tab shows the entries, with the changed fields before → after
    texts = [[dialog.history.item(r, c).text() for c in range(5)] for r in range(dialog.history.rowCount())]
    level_row = next(t for t in texts if t[2] == "调整预警等级")
    assert "预警等级：蓝 → 红" in level_row[3] and level_row[4] == "双方扬言动手，有民转刑风险"
    assert any(t[2] == "记录调处结果" and "协议金额：（空） → ¥1,409.50" in t[3] for t in texts)
    assert dialog.action_buttons["followup"].isEnabled() and dialog.action_buttons["close"].isEnabled()

    dialog.exec_action = _fill_and_ok({"visited_on": "2024-12-15", "performance": "已履行"})
    assert dialog.act_followup()
    dialog.exec_action = _fill_and_ok({"closed_out_on": "2024-12-16"})
    assert dialog.act_close()
    assert disputes.get_dispute(ctx.conn, dispute_id)["status"] == "已销号"
    assert not dialog.form.editor("summary").isEnabled() or dialog.form.editor("summary").isReadOnly()
    dialog.exec_action = _fill_and_ok({"reason": "当事人反映协议未履行"})
    assert dialog.act_reopen()
    assert disputes.get_dispute(ctx.conn, dispute_id)["status"] == "调处中"
    assert audit.entries(ctx.conn, record_id=dispute_id, action="reopen")[0]["reason"] == "当事人反映协议未履行"


def test_ctrl_shift_n_and_the_register_table_opens_records(qtbot, window, ctx):
    dispute_id = make_dispute(ctx)
    page = show_register(qtbot, window, "disputes")
    assert model_ids(page.model) == [dispute_id]
    page.view.doubleClicked.emit(page.model.index(0, 0))
    assert window.dialogs[-1].record_id == dispute_id
    dialog = window.new_in_current()
    assert type(dialog).__name__ == "DisputeDialog" and dialog.record_id is None
