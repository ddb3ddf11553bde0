"""Every service: it validates, writes atomically, bumps the version and writes its audit entry."""

import json

import pytest

from dudu_desktop.domain.problems import NotFound, PermissionDenied, Refused
from dudu_desktop.domain.vocab import Role
from dudu_desktop.services import audit, disputes, hotline, people, publicity, records, site, trainings

PARTIES = [
    {
        "role": "申请人",
        "name": "王德明",
        "gender": "男",
        "age": 56,
        "phone": "13812345678",
        "id_number": "11010519491231002X",
    },
    {"role": "被申请人", "name": "李秀英", "gender": "女"},
]


def new_dispute(ctx, **over):
    data = {
        "registered_on": "2024-05-01",
        "dispute_type": "邻里",
        "summary": "王德明与李秀英因排水沟堵塞发生争吵",
        "source": "主动排查",
        "level": "蓝",
        "mediator": "冉光明",
    }
    data.update(over)
    return disputes.create_dispute(ctx, data, PARTIES)


def last_audit(ctx, record_id):
    return audit.entries(ctx.conn, record_id=record_id, limit=1)[0]


def row_count(ctx, table):
    return ctx.conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def test_create_dispute_writes_record_parties_and_audit(ctx):
    dispute_id = new_dispute(ctx)
    d = disputes.get_dispute(ctx.conn, dispute_id)
    assert d["status"] == "待调处" and d["version"] == 1 and d["village_code"] == "500243104201"
    assert d["serial_no"] == "2024-001" and d["party_names"] == "王德明、李秀英"
    assert [p["name"] for p in d["parties"]] == ["王德明", "李秀英"]
    entry = last_audit(ctx, dispute_id)
    assert entry["action"] == "create_dispute" and entry["user"] == "tester"
    assert entry["changes"]["dispute_type"] == [None, "邻里"]
    assert d["change_seq"] == entry["seq"]
    second, third = new_dispute(ctx), new_dispute(ctx)  # the serial number counts on within the year
    assert [disputes.get_dispute(ctx.conn, i)["serial_no"] for i in (second, third)] == ["2024-002", "2024-003"]


def test_invalid_dispute_changes_nothing(ctx):
    before = row_count(ctx, "audit_log")
    with pytest.raises(Refused) as err:
        disputes.create_dispute(
            ctx,
            {"registered_on": "2030-01-01", "dispute_type": "邻里", "summary": "x", "source": "主动排查"},
            [{"role": "申请人", "name": "张三", "phone": "123"}],
        )
    assert set(err.value.by_field()) == {"registered_on", "parties[0].phone"}
    assert row_count(ctx, "disputes") == 0 and row_count(ctx, "audit_log") == before


def test_workflow_with_audit_entries(ctx):
    dispute_id = new_dispute(ctx)
    d = disputes.start_mediation(ctx, dispute_id)
    assert d["status"] == "调处中" and d["version"] == 2
    assert last_audit(ctx, dispute_id)["changes"] == {"status": ["待调处", "调处中"]}
    d = disputes.conclude(
        ctx, dispute_id, result="调解成功", concluded_on="2024-05-10", amount="1409.5", agreement_terms="赔偿损失"
    )
    assert (d["status"], d["result"], d["amount_cents"], d["agreement"]) == ("已办结", "调解成功", 140950, 1)
    assert last_audit(ctx, dispute_id)["action"] == "conclude"
    followup = disputes.record_followup(
        ctx, dispute_id, {"visited_on": "2024-05-20", "performance": "已履行", "satisfaction": "满意"}
    )
    assert last_audit(ctx, followup)["action"] == "record_followup"
    d = disputes.close_out(ctx, dispute_id, closed_out_on="2024-05-21")
    assert d["status"] == "已销号" and d["version"] == 4


def test_closed_out_case_is_read_only_until_reopened_with_a_reason(ctx):
    dispute_id = new_dispute(ctx)
    disputes.conclude(ctx, dispute_id, result="调解不成", concluded_on="2024-05-03")
    disputes.close_out(ctx, dispute_id, closed_out_on="2024-05-04")
    with pytest.raises(Refused, match="已销号"):
        disputes.update_dispute(ctx, dispute_id, {"summary": "改"})
    with pytest.raises(Refused, match="已销号"):
        disputes.change_level(ctx, dispute_id, "红", "升级")
    with pytest.raises(Refused, match="理由"):
        disputes.reopen(ctx, dispute_id, " ")
    d = disputes.reopen(ctx, dispute_id, "当事人反悔，重新调解")
    assert (d["status"], d["result"], d["concluded_on"]) == ("调处中", "", None)
    entry = last_audit(ctx, dispute_id)
    assert entry["action"] == "reopen" and entry["reason"] == "当事人反悔，重新调解"
    assert entry["changes"]["status"] == ["已销号", "调处中"]


def test_bad_transitions_are_refused(ctx):
    dispute_id = new_dispute(ctx)
    with pytest.raises(Refused):
        disputes.close_out(ctx, dispute_id)
    with pytest.raises(Refused, match="调处结果"):
        disputes.change_status(ctx, dispute_id, "已办结", concluded_on="2024-05-02")
    with pytest.raises(Refused):
        disputes.record_followup(ctx, dispute_id, {"visited_on": "2024-05-02", "performance": "已履行"})
    assert disputes.get_dispute(ctx.conn, dispute_id)["version"] == 1


def test_warning_level_needs_a_reason(ctx):
    dispute_id = new_dispute(ctx)
    with pytest.raises(Refused):
        disputes.change_level(ctx, dispute_id, "红", "")
    d = disputes.change_level(ctx, dispute_id, "红", "双方扬言动手，有民转刑风险")
    assert d["level"] == "红" and d["level_reason"].startswith("双方")
    assert last_audit(ctx, dispute_id)["reason"] == "双方扬言动手，有民转刑风险"
    with pytest.raises(Refused):
        disputes.change_level(ctx, dispute_id, "紫", "理由")


def test_update_dispute_replaces_parties_and_checks_version(ctx):
    dispute_id = new_dispute(ctx)
    d = disputes.update_dispute(
        ctx,
        dispute_id,
        {"summary": "新的情况", "status": "已销号"},
        [{"role": "申请人", "name": "王德明"}],
        expected_version=1,
    )
    assert d["summary"] == "新的情况" and d["status"] == "待调处" and d["version"] == 2  # status ignored
    assert [p["name"] for p in disputes.get_dispute(ctx.conn, dispute_id)["parties"]] == ["王德明"]
    assert disputes.get_dispute(ctx.conn, dispute_id)["party_names"] == "王德明"
    with pytest.raises(Refused, match="他人修改"):
        disputes.update_dispute(ctx, dispute_id, {"summary": "再改"}, expected_version=1)
    unchanged = disputes.update_dispute(ctx, dispute_id, {"summary": "新的情况"})
    assert unchanged["version"] == 2


def test_delete_and_restore_keep_a_tombstone(ctx):
    dispute_id = new_dispute(ctx)
    records.delete_record(ctx, "disputes", dispute_id, reason="重复登记")
    row = records.get_row(ctx.conn, "disputes", dispute_id)
    assert row["deleted"] == 1 and row["version"] == 2
    with pytest.raises(NotFound):
        disputes.get_dispute(ctx.conn, dispute_id)
    assert last_audit(ctx, dispute_id)["action"] == "delete"
    records.restore_record(ctx, "disputes", dispute_id, reason="误删")
    assert disputes.get_dispute(ctx.conn, dispute_id)["version"] == 3


def test_roles_are_enforced_in_services(ctx):
    dispute_id = new_dispute(ctx)
    ctx.role = Role.CLERK
    ctx.user = "another_clerk"  # issue 12: a clerk may void only their own record of today
    with pytest.raises(PermissionDenied):
        records.delete_record(ctx, "disputes", dispute_id, reason="重复登记")
    ctx.role = Role.VIEWER
    with pytest.raises(PermissionDenied):
        new_dispute(ctx)


def test_training_roster_sign_in_and_exam(ctx):
    training_id = trainings.create_training(
        ctx,
        {"held_on": "2024-06-01", "topic": "民法典学习", "training_type": "专题学习", "exam_held": True},
        [{"name": "张三"}, {"name": "李四"}, {"name": "王五"}],
    )
    ids = trainings.sign_in(ctx, training_id, ["张三", "李四", "赵六"])  # 赵六 walks in
    assert len(ids) == 3
    rows = {r["name"]: r for r in trainings.attendance(ctx.conn, training_id)}
    assert [n for n, r in rows.items() if r["signed_in"]] == ["张三", "李四", "赵六"]
    assert trainings.attendance_rate(ctx.conn, training_id) == 3 / 4
    assert last_audit(ctx, rows["张三"]["id"])["action"] == "sign_in"
    assert trainings.record_exam(ctx, rows["张三"]["id"], score=59)["exam_passed"] == 0
    assert trainings.record_exam(ctx, rows["李四"]["id"], score=88)["exam_passed"] == 1
    with pytest.raises(Refused):
        trainings.record_exam(ctx, rows["王五"]["id"], score=90)  # did not sign in
    with pytest.raises(Refused):
        trainings.invite(ctx, training_id, [{"name": "张三"}])
    planned = trainings.create_training(
        ctx, {"held_on": "2025-01-10", "topic": "计划中的培训", "training_type": "研讨"}
    )
    assert trainings.get_training(ctx.conn, planned)["attendance"] == []


def test_hotline_call_may_be_anonymous(ctx):
    call_id = hotline.create_call(
        ctx,
        {
            "called_at": "2024-06-01 09:30",
            "channel": "电话",
            "anonymous": True,
            "caller_name": "不应保存",
            "category": "劳动",
            "question": "欠薪怎么办",
        },
    )
    call = hotline.get_call(ctx.conn, call_id)
    assert call["anonymous"] == 1 and call["caller_name"] == ""
    with pytest.raises(Refused) as err:
        hotline.create_call(ctx, {"channel": "电话", "category": "劳动", "question": "欠薪"})
    assert list(err.value.by_field()) == ["caller_name"]
    updated = hotline.update_call(ctx, call_id, {"satisfaction": "满意"})
    assert updated["version"] == 2 and last_audit(ctx, call_id)["changes"] == {"satisfaction": ["", "满意"]}


def test_publicity_event_with_materials(ctx):
    event_id = publicity.create_event(
        ctx,
        {"held_on": "2024-03-15", "theme": "3·15消费者权益日", "form": "赶集日咨询台", "audience": 200},
        [{"kind": "宣传册", "quantity": 300}, {"kind": "横幅", "quantity": 2}],
    )
    event = publicity.get_event(ctx.conn, event_id)
    assert {m["kind"]: (m["quantity"], m["unit"]) for m in event["materials"]} == {
        "宣传册": (300, "册"),
        "横幅": (2, "条"),
    }
    publicity.update_event(ctx, event_id, {"audience": 250}, [{"kind": "宣传册", "quantity": 350}])
    event = publicity.get_event(ctx.conn, event_id)
    assert event["audience"] == 250 and [(m["kind"], m["quantity"]) for m in event["materials"]] == [("宣传册", 350)]
    with pytest.raises(Refused):
        publicity.create_event(
            ctx, {"held_on": "2024-03-15", "theme": "x", "form": "讲座"}, [{"kind": "宣传册", "quantity": -1}]
        )


def test_people_directory(ctx):
    pid = people.create_person(ctx, {"name": "谭晓燕", "kind": "调解员", "phone": "15912345678"})
    people.create_person(ctx, {"name": "谭德华"})
    assert [p["name"] for p in people.find_people(ctx.conn, "谭")] == ["谭德华", "谭晓燕"]
    assert [p["name"] for p in people.find_people(ctx.conn, "晓燕")] == ["谭晓燕"]
    assert people.update_person(ctx, pid, {"phone": "15912345679"})["version"] == 2


def test_settings_and_villages_are_audited(township_ctx):
    site.save_village(township_ctx, "500243104202", "桐木村")
    site.set_setting(township_ctx, "overdue_days", 45)
    assert site.overdue_days(township_ctx.conn) == 45
    assert [v["name"] for v in site.villages(township_ctx.conn)] == ["桐木村"]
    actions = [e["action"] for e in audit.entries(township_ctx.conn)]
    assert actions[:2] == ["set_setting", "save_village"]
    with pytest.raises(Refused):
        site.save_village(township_ctx, "123", "坏代码")


def test_village_pc_cannot_write_for_another_village(ctx):
    with pytest.raises(Refused, match="本村"):
        new_dispute(ctx, village_code="500243104299")


def test_audit_chain_detects_tampering(ctx):
    new_dispute(ctx)
    assert audit.verify_chain(ctx.conn) == []
    ctx.conn.execute("UPDATE audit_log SET user = 'mallory' WHERE seq = 3")
    assert any("被改动过" in p for p in audit.verify_chain(ctx.conn))  # check speaks Chinese (issue 11)
    ctx.conn.execute("UPDATE audit_log SET user = 'tester' WHERE seq = 3")
    assert audit.verify_chain(ctx.conn) == []
    ctx.conn.execute("DELETE FROM audit_log WHERE seq = (SELECT max(seq) FROM audit_log)")
    assert audit.verify_chain(ctx.conn) != []


def test_a_failing_action_rolls_back_everything(ctx, monkeypatch):
    calls = []
    real_insert = records.insert

    def failing_insert(c, table, values, **kw):
        if table == "dispute_parties":
            calls.append(table)
            raise RuntimeError("power cut")
        return real_insert(c, table, values, **kw)

    monkeypatch.setattr(records, "insert", failing_insert)
    before = row_count(ctx, "audit_log")
    with pytest.raises(RuntimeError):
        new_dispute(ctx)
    assert calls and row_count(ctx, "disputes") == 0 and row_count(ctx, "audit_log") == before
    assert json.loads(ctx.conn.execute("SELECT value FROM settings WHERE key='site'").fetchone()[0])["code"]
