"""The 记录结果 dialog refuses 调解成功 without 协议内容, the message under that field (issue 12)."""

from __future__ import annotations

from dudu_desktop.services import disputes
from tests.ui.conftest import make_dispute


def test_conclude_dialog_asks_for_the_terms(qtbot, window, ctx):
    case = make_dispute(ctx)
    dialog = window.open_record("disputes", case)
    seen = {}

    def fill(action_dialog):
        action_dialog.form.set_value("result", "调解成功")
        action_dialog.form.set_value("concluded_on", "2024-12-10")
        action_dialog.form.set_value("amount_cents", "500")
        assert not action_dialog.apply()  # no terms: refused, the dialog stays
        seen["error"] = action_dialog.form.errors["agreement_terms"].text()
        seen["shown"] = not action_dialog.form.errors["agreement_terms"].isHidden()
        action_dialog.form.set_value("agreement_terms", "李某赔偿王某修缮费")
        return action_dialog.apply()

    dialog.exec_action = fill
    assert dialog.act_conclude()
    assert "协议内容" in seen["error"] and seen["shown"]
    row = disputes.get_dispute(ctx.conn, case)
    assert (row["status"], row["agreement_terms"]) == ("已办结", "李某赔偿王某修缮费")
