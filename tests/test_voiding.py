"""Mistakes can be undone (issue 12): 作废 with a required reason (a tombstone, audited), limited by
role, restorable by an administrator, travelling to the township; ``list``/``delete``/``undelete``
on the command line; every record id option also takes the record's 编号."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from dudu_desktop.cli import main
from dudu_desktop.domain.problems import PermissionDenied, Refused
from dudu_desktop.domain.vocab import Role
from dudu_desktop.services import disputes, hotline, listing, records, stats, users
from dudu_desktop.services.context import Context
from dudu_desktop.storage.queries import Filters
from tests.conftest import make_context

CALL = {
    "called_at": "2024-12-20 09:30",
    "channel": "电话",
    "category": "劳动",
    "question": "王德明问拖欠工资",
    "caller_name": "王德明",
    "caller_phone": "13812345678",
}
DISPUTE = {
    "registered_on": "2024-12-01",
    "dispute_type": "邻里",
    "summary": "王德明与李四因排水沟争吵",
    "source": "主动排查",
}


def run(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def last_audit(ctx, record_id):
    return dict(
        ctx.conn.execute(
            "SELECT * FROM audit_log WHERE record_id = ? ORDER BY seq DESC LIMIT 1", (record_id,)
        ).fetchone()
    )


def test_void_needs_a_reason_and_leaves_an_audited_tombstone(ctx):
    call = hotline.create_call(ctx, CALL)
    with pytest.raises(Refused, match="原因"):
        records.delete_record(ctx, "hotline_calls", call, reason="  ")
    assert records.get_row(ctx.conn, "hotline_calls", call)["deleted"] == 0
    records.delete_record(ctx, "hotline_calls", call, reason="重复登记")
    assert records.get_row(ctx.conn, "hotline_calls", call)["deleted"] == 1  # still in the file
    entry = last_audit(ctx, call)
    assert entry["action"] == "delete" and entry["reason"] == "重复登记"
    with pytest.raises(Refused, match="原因"):
        records.restore_record(ctx, "hotline_calls", call, reason="")
    records.restore_record(ctx, "hotline_calls", call, reason="误作废")
    assert records.get_row(ctx.conn, "hotline_calls", call)["deleted"] == 0
    assert last_audit(ctx, call)["action"] == "restore"


def test_a_clerk_voids_only_their_own_record_of_today_not_yet_exported(ctx, tmp_path):
    from dudu_desktop.sync.export import export_bundle

    admins_call = hotline.create_call(ctx, CALL)
    clerk = Context(conn=ctx.conn, user="clerk1", role=Role.CLERK, clock=ctx.clock)
    mine = hotline.create_call(clerk, CALL)
    with pytest.raises(PermissionDenied, match="今天"):
        records.delete_record(clerk, "hotline_calls", admins_call, reason="录错")
    yesterday = Context(conn=ctx.conn, user="clerk1", role=Role.CLERK, clock=lambda: ctx.now() - dt.timedelta(days=1))
    old = hotline.create_call(yesterday, {**CALL, "called_at": "2024-12-19 09:00"})
    with pytest.raises(PermissionDenied, match="今天"):
        records.delete_record(clerk, "hotline_calls", old, reason="录错")
    records.delete_record(clerk, "hotline_calls", mine, reason="录错")  # own, today, not exported
    with pytest.raises(PermissionDenied):
        records.restore_record(clerk, "hotline_calls", mine, reason="误删")  # restoring: administrators
    exported = hotline.create_call(clerk, CALL)
    out = tmp_path / "usb"
    out.mkdir()
    export_bundle(ctx, out, unsealed=True)
    with pytest.raises(PermissionDenied, match="导出"):
        records.delete_record(clerk, "hotline_calls", exported, reason="录错")
    assert records.get_row(ctx.conn, "hotline_calls", exported)["deleted"] == 0
    records.delete_record(ctx, "hotline_calls", exported, reason="重复登记")  # an administrator may
    viewer = Context(conn=ctx.conn, user="clerk1", role=Role.VIEWER, clock=ctx.clock)
    with pytest.raises(PermissionDenied):
        records.delete_record(viewer, "hotline_calls", admins_call, reason="录错")


def test_a_voided_record_travels_and_the_township_figures_drop_it(tmp_path):
    from dudu_desktop.sync.export import export_bundle
    from dudu_desktop.sync.merge import apply_bundle

    village = make_context(tmp_path / "v.sqlite3")
    town = make_context(tmp_path / "t.sqlite3", role="township")
    from dudu_desktop.services import site

    site.save_village(town, village_code := site.site(village.conn)["code"], "都督村")
    keep = disputes.create_dispute(village, DISPUTE, [{"role": "申请人", "name": "王德明"}])
    gone = disputes.create_dispute(village, DISPUTE, [{"role": "申请人", "name": "李四"}])
    out = tmp_path / "usb"
    out.mkdir()
    apply_bundle(town, export_bundle(village, out, unsealed=True).path, allow_unsealed=True)
    assert stats.compute_stats(town.conn, year=2024)["disputes"]["total"] == 2
    records.delete_record(village, "disputes", gone, reason="重复登记")
    apply_bundle(town, export_bundle(village, out, unsealed=True).path, allow_unsealed=True)
    figures = stats.compute_stats(town.conn, year=2024, village=village_code)
    assert figures["disputes"]["total"] == 1 == stats.compute_stats(village.conn, year=2024)["disputes"]["total"]
    assert [r["id"] for r in listing.list_rows(town.conn, "disputes", Filters())] == [keep]
    assert records.get_row(town.conn, "disputes", gone)["deleted"] == 1


def test_resolve_by_number_id_or_short_id(ctx, township_ctx):
    a = disputes.create_dispute(ctx, DISPUTE, [{"role": "申请人", "name": "王德明"}])
    number = records.get_row(ctx.conn, "disputes", a)["serial_no"]
    assert number == "2024-001"
    assert listing.resolve_id(ctx.conn, "disputes", "2024-001") == a
    assert listing.resolve_id(ctx.conn, "disputes", a) == a
    call = hotline.create_call(ctx, CALL)
    assert listing.resolve_id(ctx.conn, "hotline", call[:8]) == call
    with pytest.raises(Refused, match="2024-999"):
        listing.resolve_id(ctx.conn, "disputes", "2024-999")


# ---------------------------------------------------------------- the command line


@pytest.fixture
def accounts(tmp_path, monkeypatch):
    """A village file with an administrator and a clerk (张文书), records made today (real clock)."""
    for var in ("DUDU_USER", "DUDU_PASSWORD", "DUDU_NEW_PASSWORD"):
        monkeypatch.delenv(var, raising=False)
    path = tmp_path / "v.sqlite3"
    now = dt.datetime.now().replace(microsecond=0)
    ctx = make_context(path, clock_at=now, user="boss")
    users.create_user(ctx, "boss", "boss-secret-1", Role.ADMIN)
    users.create_user(ctx, "clerk1", "clerk-secret-1", Role.CLERK, display_name="张文书")
    clerk = Context(conn=ctx.conn, user="clerk1", role=Role.CLERK, clock=lambda: now)
    ids = {
        "boss_case": disputes.create_dispute(
            ctx, {**DISPUTE, "registered_on": now.date().isoformat()}, [{"role": "申请人", "name": "王德明"}]
        ),
        "clerk_call": hotline.create_call(clerk, {**CALL, "called_at": now.strftime("%Y-%m-%d %H:%M")}),
    }
    ctx.conn.close()
    return path, ids, now


def as_user(monkeypatch, name, password):
    monkeypatch.setenv("DUDU_USER", name)
    monkeypatch.setenv("DUDU_PASSWORD", password)


def test_cli_list_delete_undelete(accounts, capsys, monkeypatch):
    path, ids, now = accounts
    as_user(monkeypatch, "clerk1", "clerk-secret-1")
    code, out, err = run(capsys, "--db", path, "list", "--register", "disputes", "--json")
    assert code == 0, err
    rows = json.loads(out)["rows"]
    assert [(r["id"], r["number"], r["编号"]) for r in rows] == [
        (ids["boss_case"], "2024-001" if now.year == 2024 else f"{now.year}-001", rows[0]["number"])
    ]
    assert rows[0]["party_names"] == "王**" and "王德明" not in out  # masked as printing is
    number = rows[0]["number"]
    # a clerk may not void the administrator's case: exit 1, the reason on stderr
    code, out, err = run(
        capsys, "--db", path, "delete", "--register", "disputes", "--id", number, "--reason", "重复登记"
    )
    assert code == 1 and "今天" in err
    # but may void their own call of today, named by its short id
    code, out, _ = run(capsys, "--db", path, "list", "--register", "hotline", "--month", now.strftime("%Y-%m"))
    assert code == 0 and ids["clerk_call"][:8] in out and "13812345678" not in out
    code, out, err = run(
        capsys, "--db", path, "delete", "--register", "hotline", "--id", ids["clerk_call"][:8], "--reason", "打错了"
    )
    assert code == 0, err
    code, out, _ = run(capsys, "--db", path, "list", "--register", "hotline", "--json")
    assert json.loads(out)["rows"] == []
    code, out, _ = run(capsys, "--db", path, "list", "--register", "hotline", "--deleted", "--json")
    assert [(r["id"], r["deleted"]) for r in json.loads(out)["rows"]] == [(ids["clerk_call"], True)]
    code, _, err = run(
        capsys, "--db", path, "undelete", "--register", "hotline", "--id", ids["clerk_call"], "--reason", "误删"
    )
    assert code == 1 and "角色" in err  # restoring: administrators
    as_user(monkeypatch, "boss", "boss-secret-1")
    code, _, err = run(
        capsys, "--db", path, "undelete", "--register", "hotline", "--id", ids["clerk_call"], "--reason", "误删"
    )
    assert code == 0, err
    code, _, err = run(capsys, "--db", path, "delete", "--register", "disputes", "--id", number, "--reason", "")
    assert code == 1 and "原因" in err
    code, _, err = run(capsys, "--db", path, "delete", "--register", "disputes", "--id", number, "--reason", "重复登记")
    assert code == 0, err
    code, out, _ = run(capsys, "--db", path, "list", "--register", "disputes", "--search", "排水沟", "--json")
    assert json.loads(out)["rows"] == []
    code, out, _ = run(capsys, "--db", path, "audit", "--record", ids["boss_case"], "--json")
    assert [e["action"] for e in json.loads(out)][:1] == ["delete"]


def test_cli_report_agreement_takes_the_number(accounts, capsys, monkeypatch, tmp_path):
    path, ids, now = accounts
    as_user(monkeypatch, "boss", "boss-secret-1")
    code, out, _ = run(capsys, "--db", path, "list", "--register", "disputes", "--json")
    number = json.loads(out)["rows"][0]["number"]
    code, _, err = run(
        capsys, "--db", path, "report", "agreement", "--dispute", number, "--draft", "--out", tmp_path / "a.pdf"
    )
    assert code == 0, err
    assert (tmp_path / "a.pdf").read_bytes()[:5] == b"%PDF-"
    code, _, err = run(
        capsys, "--db", path, "report", "agreement", "--dispute", "1999-404", "--out", tmp_path / "b.pdf"
    )
    assert code == 1 and "1999-404" in err
