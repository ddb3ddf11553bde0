"""Training sign-in, the hotline quick entry by keyboard only, and publicity materials."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from dudu_desktop.services import hotline, publicity, trainings
from tests.ui.conftest import type_chinese, type_text


def test_sign_in_by_ticking_and_by_typing_names(qtbot, window, ctx):
    training_id = trainings.create_training(
        ctx,
        {"held_on": "2024-12-10", "topic": "《民法典》婚姻家庭编学习", "training_type": "专题学习"},
        [{"name": "王兴"}, {"name": "周霞"}, {"name": "杨文"}, {"name": "赵娟"}],
    )
    dialog = window.open_record("trainings", training_id)
    roster = dialog.roster
    assert roster.names() == ["王兴", "周霞", "杨文", "赵娟"]
    assert "到课率 0%" in roster.rate.text()
    roster.table.item(0, 3).setCheckState(Qt.Checked)  # tick 王兴
    type_text(qtbot, roster.sign_box, "周霞、李四")  # type names (李四 walks in)
    qtbot.keyClick(roster.sign_box, Qt.Key_Return)
    assert roster.names() == ["王兴", "周霞", "杨文", "赵娟", "李四"]
    assert roster.rate.text() == "应到 5 人，实到 3 人，到课率 60%"
    roster.table.item(0, 4).setText("85")  # exam score for 王兴
    window.show()
    dialog.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog)
    qtbot.keyClick(roster.table, Qt.Key_S, Qt.ControlModifier)  # Ctrl+S
    assert not dialog.isVisible()
    rows = {a["name"]: a for a in trainings.attendance(ctx.conn, training_id)}
    assert {n for n, a in rows.items() if a["signed_in"]} == {"王兴", "周霞", "李四"}
    assert rows["王兴"]["exam_score"] == 85 and rows["王兴"]["exam_passed"] == 1
    assert trainings.attendance_rate(ctx.conn, training_id) == 0.6


def test_a_bad_score_is_refused_and_nothing_is_saved(qtbot, window, ctx):
    training_id = trainings.create_training(
        ctx, {"held_on": "2024-12-10", "topic": "以案说法", "training_type": "以案说法"}, [{"name": "王兴"}]
    )
    dialog = window.open_record("trainings", training_id)
    dialog.roster.table.item(0, 3).setCheckState(Qt.Checked)
    dialog.roster.table.item(0, 4).setText("150")
    assert not dialog.save()
    assert "王兴" in dialog.roster.errors.text() and "100" in dialog.roster.errors.text()
    assert not trainings.attendance(ctx.conn, training_id)[0]["signed_in"]  # rolled back


def test_a_new_session_is_saved_with_its_roster_in_one_save(qtbot, window, ctx):
    dialog = window.new_record("trainings")
    type_text(qtbot, dialog.form.editor("topic"), "以案说法：土地承包纠纷")
    roster = dialog.roster
    type_text(qtbot, roster.picker, "王兴")
    qtbot.keyClick(roster.picker, Qt.Key_Return)  # invited
    type_text(qtbot, roster.picker, "赵娟")
    qtbot.keyClick(roster.picker, Qt.Key_Return)
    roster.table.setCurrentCell(1, 0)
    roster.remove_selected()  # 赵娟 taken off before saving
    type_text(qtbot, roster.sign_box, "周霞")  # a walk-in, ticked; Enter not pressed:
    roster.table.item(0, 3).setCheckState(Qt.Checked)  # the save signs in what is typed
    roster.table.item(0, 4).setText("70")
    seq = ctx.conn.execute("SELECT max(seq) FROM audit_log").fetchone()[0]
    assert dialog.save()
    training = trainings.get_training(ctx.conn, dialog.record_id)
    assert training["topic"] == "以案说法：土地承包纠纷"
    assert [(a["name"], a["signed_in"], a["exam_score"], a["exam_passed"]) for a in training["attendance"]] == [
        ("王兴", 1, 70, 1),
        ("周霞", 1, None, None),
    ]
    assert [r[0] for r in ctx.conn.execute("SELECT action FROM audit_log WHERE seq > ? ORDER BY seq", (seq,))] == [
        "create_training",
        "invite",
        "invite",
    ]


def test_an_edited_position_and_phone_are_saved(qtbot, window, ctx):
    training_id = trainings.create_training(
        ctx, {"held_on": "2024-12-10", "topic": "以案说法", "training_type": "以案说法"}, [{"name": "王兴"}]
    )
    dialog = window.open_record("trainings", training_id)
    dialog.roster.table.item(0, 1).setText("网格员")
    dialog.roster.table.item(0, 2).setText("13812345678")
    assert dialog.is_dirty() and dialog.save()
    (row,) = trainings.attendance(ctx.conn, training_id)
    assert (row["position"], row["phone"], row["version"]) == ("网格员", "13812345678", 2)


def test_a_session_changed_meanwhile_is_refused_and_nothing_is_saved(qtbot, window, ctx):
    training_id = trainings.create_training(
        ctx, {"held_on": "2024-12-10", "topic": "以案说法", "training_type": "以案说法"}, [{"name": "王兴"}]
    )
    dialog = window.open_record("trainings", training_id)
    trainings.update_training(ctx, training_id, {"topic": "别人改过"})  # another window saved first
    dialog.roster.table.item(0, 3).setCheckState(Qt.Checked)
    assert not dialog.save()
    assert "版本" in dialog.roster.errors.text() + dialog.banner.text()
    assert not trainings.attendance(ctx.conn, training_id)[0]["signed_in"]
    assert trainings.get_training(ctx.conn, training_id)["topic"] == "别人改过"


def _focused():
    return QApplication.focusWidget()


def test_hotline_entry_by_keyboard_only(qtbot, window, ctx):
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    qtbot.keyClick(window, Qt.Key_N, Qt.ControlModifier)  # Ctrl+N from the home page
    dialog = window.dialogs[-1]
    assert type(dialog).__name__ == "HotlineDialog"
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog)
    form = dialog.form
    assert _focused() is form.editor("channel")
    order = []

    def key(k, mod=Qt.NoModifier):
        qtbot.keyClick(_focused(), k, mod)

    def tab():
        key(Qt.Key_Tab)
        order.append(_focused())

    key(Qt.Key_Down)  # 电话 → 来访
    tab()
    key(Qt.Key_Space)  # anonymous: ticked, the name is skipped
    tab()
    qtbot.keyClicks(_focused(), "13812345678")
    tab()
    key(Qt.Key_Up)  # 其他 → 消费
    tab()
    type_chinese(_focused(), "买到假农药如何维权？")
    tab()
    type_chinese(_focused(), "告知可向市场监管部门投诉，保留购买凭证。")
    tab()
    key(Qt.Key_Down)  # (无) → 转法律援助
    key(Qt.Key_Down)  # → 转调解
    tab()
    key(Qt.Key_Down)  # (无) → 满意
    assert order == [
        form.editor(k)
        for k in ("anonymous", "caller_phone", "category", "question", "answer", "referral", "satisfaction")
    ]
    key(Qt.Key_S, Qt.ControlModifier)
    assert not dialog.isVisible()
    (call,) = [dict(r) for r in ctx.conn.execute("SELECT * FROM hotline_calls")]
    assert (call["channel"], call["anonymous"], call["caller_name"], call["caller_phone"], call["category"]) == (
        "来访",
        1,
        "",
        "13812345678",
        "消费",
    )
    assert call["question"] == "买到假农药如何维权？" and call["answer"].startswith("告知可向市场监管部门投诉")
    assert (call["referral"], call["satisfaction"]) == ("转调解", "满意")
    assert call["called_at"] == "2024-12-20 10:00"


def test_hotline_escape_with_nothing_typed_just_closes(qtbot, window, ctx):
    dialog = window.new_hotline()
    assert window.new_hotline() is dialog  # Ctrl+N again reuses the empty form
    qtbot.keyClick(dialog.form.editor("channel"), Qt.Key_Escape)
    assert not dialog.isVisible()
    assert hotline and ctx.conn.execute("SELECT count(*) FROM hotline_calls").fetchone()[0] == 0


def test_publicity_materials_by_kind(qtbot, window, ctx):
    dialog = window.new_record("publicity")
    type_text(qtbot, dialog.form.editor("theme"), "民法典进农家")
    type_text(qtbot, dialog.form.editor("location"), "都督场镇")
    dialog.form.editor("audience").setText("320")
    dialog.quantities["宣传册"].setValue(200)
    dialog.quantities["横幅"].setValue(2)
    assert dialog.save()
    event = publicity.get_event(ctx.conn, dialog.record_id)
    assert {m["kind"]: (m["quantity"], m["unit"]) for m in event["materials"]} == {
        "宣传册": (200, "册"),
        "横幅": (2, "条"),
    }
    assert event["audience"] == 320
