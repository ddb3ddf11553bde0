"""Each role's permissions are enforced in the services (not only by hiding buttons): a table of
roles × actions; a refused action raises PermissionDenied and changes nothing (not even the audit)."""

import datetime as dt

import pytest

from dudu_desktop.domain.problems import PermissionDenied
from dudu_desktop.domain.vocab import ROLE_PERMISSIONS, Permission, Role
from dudu_desktop.services import backup, disputes, hotline, records, site, users
from dudu_desktop.services.context import Context

NOW = dt.datetime(2024, 12, 20, 10, 0, 0)  # the fixed clock of the ctx fixture (tests/conftest.py)
CALL = {
    "called_at": "2024-12-01 09:30",
    "channel": "电话",
    "category": "劳动",
    "question": "拖欠工资",
    "anonymous": True,
}
DISPUTE = {
    "registered_on": "2024-12-01",
    "dispute_type": "邻里",
    "summary": "排水沟堵塞引发争吵",
    "source": "主动排查",
    "method": "人民调解",
    "mediator": "王调解",
}
PARTIES = [{"name": "张三", "role": "申请人"}, {"name": "李四", "role": "被申请人"}]


def setup_records(admin: Context, tmp_path) -> dict:
    """Records for every action, made by an admin."""
    call = hotline.create_call(admin, CALL)
    gone = hotline.create_call(admin, CALL)
    records.delete_record(admin, "hotline_calls", gone, reason="重复登记")
    open_case = disputes.create_dispute(admin, DISPUTE, PARTIES)
    done_case = disputes.create_dispute(admin, DISPUTE, PARTIES)
    disputes.change_status(
        admin,
        done_case,
        "已办结",
        result="调解成功",
        agreement_terms="双方和解",
        agreement=True,
        concluded_on="2024-12-10",
    )
    copy = backup.backup_to(admin, tmp_path / "copy.sqlite3")
    hotline.create_call(admin, CALL)  # made after the copy: a restore takes it away
    return {"call": call, "gone": gone, "open": open_case, "done": done_case, "copy": copy}


ACTIONS = {
    "create": lambda c, r: hotline.create_call(c, CALL),
    "update": lambda c, r: hotline.update_call(c, r["call"], {"answer": "建议先协商"}),
    "delete": lambda c, r: records.delete_record(c, "hotline_calls", r["call"], reason="录错"),
    "restore": lambda c, r: records.restore_record(c, "hotline_calls", r["gone"], reason="误删"),
    "reopen": lambda c, r: disputes.reopen(c, r["done"], reason="当事人反悔"),
    "change_level": lambda c, r: disputes.change_level(c, r["open"], "黄", reason="涉及多户"),
    "settings": lambda c, r: site.set_setting(c, "overdue_days", 20),
    "users": lambda c, r: users.create_user(c, "newcomer", "newcomer-pw-1", Role.VIEWER),
    "backup_out": lambda c, r: backup.backup_to(c, r["copy"].with_name("out.sqlite3")),
    "backup_restore": lambda c, r: backup.restore(c, r["copy"]),
}

ALLOWED = {
    Role.ADMIN: set(ACTIONS),
    Role.CLERK: {"create", "update", "change_level"},
    Role.VIEWER: set(),
    Role.REVIEWER: {"create", "update", "reopen", "change_level"},
}


def test_the_matrix_matches_the_issue():
    """Clerks cannot delete, reopen or print unmasked data; viewers change nothing; admins do everything;
    reviewers (township) review: reopen, unmasked print, sync, but no deleting or administering."""
    assert ROLE_PERMISSIONS[Role.ADMIN] == frozenset(Permission)
    assert ROLE_PERMISSIONS[Role.VIEWER] == frozenset()
    clerk = ROLE_PERMISSIONS[Role.CLERK]
    assert Permission.WRITE in clerk and not clerk & {
        Permission.DELETE,
        Permission.REOPEN,
        Permission.PRINT_UNMASKED,
        Permission.ADMINISTER,
    }
    reviewer = ROLE_PERMISSIONS[Role.REVIEWER]
    assert {Permission.REOPEN, Permission.PRINT_UNMASKED} <= reviewer
    assert not reviewer & {Permission.DELETE, Permission.ADMINISTER}


@pytest.fixture
def world(tmp_path, request):
    role = request.param
    admin = request.getfixturevalue("township_ctx" if role == Role.REVIEWER else "ctx")
    users.create_user(admin, "boss", "boss-secret-1", Role.ADMIN)
    admin = Context(conn=admin.conn, user="boss", role=Role.ADMIN, clock=lambda: NOW)
    made = setup_records(admin, tmp_path)
    return admin, made, role


def _state(conn):
    return (
        conn.execute("SELECT max(seq) FROM audit_log").fetchone()[0],
        conn.execute("SELECT group_concat(id || version || deleted) FROM hotline_calls").fetchone()[0],
        conn.execute("SELECT group_concat(status || level) FROM disputes").fetchone()[0],
        conn.execute("SELECT group_concat(username) FROM users").fetchone()[0],
        conn.execute("SELECT group_concat(value) FROM settings").fetchone()[0],
    )


@pytest.mark.parametrize("world", list(Role), indirect=True, ids=[r.name for r in Role])
@pytest.mark.parametrize("action", list(ACTIONS))
def test_role_action(world, action, tmp_path):
    admin, made, role = world
    ctx = Context(conn=admin.conn, user="someone", role=role, clock=lambda: NOW)
    before = _state(admin.conn)
    if action in ALLOWED[role]:
        ACTIONS[action](ctx, made)
        assert _state(admin.conn) != before
    else:
        with pytest.raises(PermissionDenied) as exc:
            ACTIONS[action](ctx, made)
        assert role.value in str(exc.value)
        assert _state(admin.conn) == before
