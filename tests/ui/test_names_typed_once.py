"""Names typed once (issue 12): one people directory — staff from Settings → 工作人员 and the
accounts, the directory, everybody already entered — completes every name box, by characters or
pinyin initials (xdh → 向德华), one entry per ID number; picking a person fills their details;
接待人 and 操作人 show display names, never log-in names."""

from __future__ import annotations

from PySide6.QtCore import Qt

from dudu_desktop.domain.vocab import Role
from dudu_desktop.services import disputes, hotline, people, site, users
from tests.ui.conftest import type_text

ID = "500243199001011239"


def seed(ctx):
    site.set_setting(ctx, "staff", ["冉光明", "向德华"])
    disputes.create_dispute(
        ctx,
        {"registered_on": "2024-12-01", "dispute_type": "邻里", "source": "主动排查", "summary": "排水沟"},
        [{"role": "申请人", "name": "谢大海", "id_number": ID, "phone": "13812345678", "address": "都督村3组"}],
    )
    # the same person entered again (same ID number), and a caller
    disputes.create_dispute(
        ctx,
        {"registered_on": "2024-12-02", "dispute_type": "邻里", "source": "主动排查", "summary": "宅基地"},
        [{"role": "申请人", "name": "谢大海", "id_number": ID}],
    )
    hotline.create_call(
        ctx,
        {
            "called_at": "2024-12-03 09:00",
            "channel": "电话",
            "category": "劳动",
            "question": "工资",
            "caller_name": "夏东辉",
            "caller_phone": "13900001111",
        },
    )


def test_directory_by_characters_and_pinyin_deduplicated_by_id(ctx):
    seed(ctx)
    assert people.initials("向德华") == "xdh"
    found = people.directory(ctx.conn, "xdh")
    assert [p["name"] for p in found] == ["向德华", "谢大海", "夏东辉"]  # staff first, then party, caller
    xie = people.directory(ctx.conn, "谢")
    assert len(xie) == 1 and (xie[0]["id_number"], xie[0]["phone"], xie[0]["address"]) == (
        ID,
        "13812345678",
        "都督村3组",
    )
    assert [p["name"] for p in people.directory(ctx.conn, "xdh", staff_only=True)] == ["向德华"]
    assert people.directory(ctx.conn, "xiangde")[0]["name"] == "向德华"


def test_party_box_completes_by_pinyin_and_fills_the_details(qtbot, window, ctx):
    seed(ctx)
    dialog = window.new_record("disputes")
    picker = dialog.parties.picker
    picker.setFocus()
    type_text(qtbot, picker, "xdh")
    offered = picker.directory.model.stringList()
    assert any(o.startswith("向德华") for o in offered) and any(o.startswith("夏东辉") for o in offered)
    picker.clear()
    type_text(qtbot, picker, "谢")
    [entry] = picker.directory.model.stringList()
    picker.completer_.activated[str].emit(entry)  # the user picks it in the popup
    assert picker.text() == "谢大海"
    qtbot.keyClick(picker, Qt.Key_Return)
    party = dialog.parties.parties()[0]
    assert (party["name"], party["id_number"], party["phone"], party["address"]) == (
        "谢大海",
        ID,
        "13812345678",
        "都督村3组",
    )


def test_mediator_and_caller_boxes_complete_and_the_handler_is_a_display_name(qtbot, window, ctx):
    seed(ctx)
    dialog = window.new_record("disputes")
    mediator = dialog.form.editors["mediator"]
    mediator.setFocus()
    type_text(qtbot, mediator, "rgm")
    assert dialog.names["mediator"].model.stringList() == ["冉光明（工作人员）"]

    users.create_user(ctx, "tester", "secret-pass-1", Role.ADMIN, display_name="张文书")
    call = window.new_record("hotline")
    assert call.form.values()["handler"] == "张文书"  # 接待人: never the log-in name
    caller = call.form.editors["caller_name"]
    caller.setFocus()
    type_text(qtbot, caller, "夏")
    [entry] = call.names["caller_name"].model.stringList()
    call.names["caller_name"].completer.activated[str].emit(entry)
    assert call.form.values()["caller_phone"] == "13900001111"
    handler = call.form.editors["handler"]
    handler.clear()
    handler.setFocus()
    type_text(qtbot, handler, "zwsh")
    assert call.names["handler"].model.stringList() == []
    handler.clear()
    type_text(qtbot, handler, "zws")
    assert call.names["handler"].model.stringList() == ["张文书（工作人员）"]
