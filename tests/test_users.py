"""Accounts: hashed passwords, the first admin, lock-out, resets, and audit entries without secrets."""

import datetime as dt
import json

import pytest

from dudu_desktop.domain.problems import PermissionDenied, Refused
from dudu_desktop.domain.vocab import Role
from dudu_desktop.services import audit, site, users
from dudu_desktop.services.context import Context

NOW = dt.datetime(2024, 12, 20, 10, 0, 0)  # the fixed clock of the ctx fixture (tests/conftest.py)
PW = "correct horse 9"


@pytest.fixture
def admin_ctx(ctx):
    admin = users.create_user(ctx, "laowang", PW, Role.ADMIN, display_name="王主任")
    return admin.context(ctx.conn, clock=lambda: NOW)


def test_password_is_stored_as_a_salted_scrypt_hash(admin_ctx):
    users.create_user(admin_ctx, "xiaoli", PW, Role.CLERK)
    rows = admin_ctx.conn.execute("SELECT password_hash FROM users").fetchall()
    hashes = [r[0] for r in rows]
    assert all(h.startswith("scrypt$n=32768,r=8,p=1$") for h in hashes)
    assert hashes[0] != hashes[1]  # same password, different salt
    dump = "\n".join(admin_ctx.conn.iterdump())
    assert PW not in dump


def test_first_account_must_be_an_admin(ctx):
    with pytest.raises(Refused) as exc:
        users.create_user(ctx, "clerk1", PW, Role.CLERK)
    assert "第一个账户必须是管理员" in str(exc.value)
    assert not users.has_users(ctx.conn)
    users.create_user(ctx, "boss", PW, "admin")
    assert users.has_users(ctx.conn)


def test_after_the_first_only_an_admin_creates_accounts(admin_ctx):
    clerk = users.create_user(admin_ctx, "xiaoli", PW, Role.CLERK)
    with pytest.raises(PermissionDenied):
        users.create_user(clerk.context(admin_ctx.conn), "other", PW, Role.CLERK)
    assert [u.username for u in users.list_users(admin_ctx.conn)] == ["laowang", "xiaoli"]


@pytest.mark.parametrize("password, message", [("", "不能为空"), ("short7!", "至少8个字符")])
def test_weak_passwords_are_refused(admin_ctx, password, message):
    with pytest.raises(Refused) as exc:
        users.create_user(admin_ctx, "xiaoli", password, Role.CLERK)
    assert message in str(exc.value)
    assert users.get_user(admin_ctx.conn, "xiaoli") is None


def test_bad_user_names_and_duplicates_are_refused(admin_ctx):
    for name in ("", "has space", "x" * 33, "semi;colon"):
        with pytest.raises(Refused):
            users.create_user(admin_ctx, name, PW, Role.CLERK)
    users.create_user(admin_ctx, "张三", PW, Role.CLERK)  # Chinese names are fine
    with pytest.raises(Refused) as exc:
        users.create_user(admin_ctx, "张三", PW, Role.VIEWER)
    assert "已被使用" in str(exc.value)


def test_reviewer_only_on_the_township_pc(admin_ctx, township_ctx):
    with pytest.raises(Refused) as exc:
        users.create_user(admin_ctx, "shenhe", PW, Role.REVIEWER)
    assert "乡镇" in str(exc.value)
    users.create_user(township_ctx, "boss", PW, Role.ADMIN)
    reviewer = users.create_user(township_ctx, "shenhe", PW, "乡镇审核员")
    assert reviewer.role == Role.REVIEWER


def test_authenticate_gives_the_same_message_for_unknown_user_and_wrong_password(admin_ctx):
    conn = admin_ctx.conn
    user = users.authenticate(conn, "laowang", PW, NOW)
    assert (user.username, user.role, user.display_name) == ("laowang", Role.ADMIN, "王主任")
    ctx = user.context(admin_ctx.conn)
    assert isinstance(ctx, Context) and ctx.user == "laowang" and ctx.role == Role.ADMIN
    messages = set()
    for name, password in (("nobody", PW), ("laowang", "wrong password"), ("", "")):
        with pytest.raises(Refused) as exc:
            users.authenticate(conn, name, password, NOW)
        messages.add(str(exc.value))
    assert messages == {"用户名或密码错误。"}


def test_lock_out_after_five_failures_for_fifteen_minutes(admin_ctx):
    conn = admin_ctx.conn
    for i in range(4):
        with pytest.raises(Refused):
            users.authenticate(conn, "laowang", "nope-nope", NOW + dt.timedelta(seconds=i))
    assert users.authenticate(conn, "laowang", PW, NOW).username == "laowang"  # success resets the count
    for i in range(5):
        with pytest.raises(Refused) as exc:
            users.authenticate(conn, "laowang", "nope-nope", NOW + dt.timedelta(seconds=i))
        assert "用户名或密码错误" in str(exc.value)
    # locked: even the right password is refused until the time is up
    with pytest.raises(Refused) as exc:
        users.authenticate(conn, "laowang", PW, NOW + dt.timedelta(minutes=14))
    assert "已锁定" in str(exc.value) and "10:15" in str(exc.value)
    assert users.authenticate(conn, "laowang", PW, NOW + dt.timedelta(minutes=15, seconds=5)).username == "laowang"
    actions = [e["action"] for e in audit.entries(conn, record_id="laowang", limit=50)]
    assert actions.count("login_failed") == 9 and actions.count("lock_account") == 1


def test_lock_out_policy_is_a_setting(admin_ctx):
    site.set_setting(admin_ctx, "lockout_attempts", 2)
    site.set_setting(admin_ctx, "lockout_minutes", 60)
    for _ in range(2):
        with pytest.raises(Refused):
            users.authenticate(admin_ctx.conn, "laowang", "nope-nope", NOW)
    with pytest.raises(Refused) as exc:
        users.authenticate(admin_ctx.conn, "laowang", PW, NOW + dt.timedelta(minutes=59))
    assert "已锁定" in str(exc.value)


def test_admin_reset_unlocks_and_forces_a_change(admin_ctx):
    users.create_user(admin_ctx, "xiaoli", PW, Role.CLERK)
    for _ in range(5):
        with pytest.raises(Refused):
            users.authenticate(admin_ctx.conn, "xiaoli", "nope-nope", NOW)
    users.reset_password(admin_ctx, "xiaoli", "temporary-123")
    user = users.authenticate(admin_ctx.conn, "xiaoli", "temporary-123", NOW)
    assert user.must_change_password
    clerk_ctx = user.context(admin_ctx.conn, clock=lambda: NOW)
    with pytest.raises(PermissionDenied):
        users.reset_password(clerk_ctx, "laowang", "hijacked-123")
    with pytest.raises(Refused) as exc:
        users.change_own_password(clerk_ctx, "wrong-old-pw", "new-secret-456")
    assert "当前密码不正确" in str(exc.value)
    users.change_own_password(clerk_ctx, "temporary-123", "new-secret-456")
    assert not users.authenticate(admin_ctx.conn, "xiaoli", "new-secret-456", NOW).must_change_password
    with pytest.raises(Refused):
        users.authenticate(admin_ctx.conn, "xiaoli", "temporary-123", NOW)


def test_disabled_accounts_cannot_log_in_and_the_last_admin_stays(admin_ctx):
    users.create_user(admin_ctx, "xiaoli", PW, Role.CLERK)
    users.disable_user(admin_ctx, "xiaoli")
    with pytest.raises(Refused) as exc:
        users.authenticate(admin_ctx.conn, "xiaoli", PW, NOW)
    assert "停用" in str(exc.value)
    with pytest.raises(Refused):
        users.authenticate(admin_ctx.conn, "xiaoli", "wrong password", NOW)
    with pytest.raises(Refused) as exc:
        users.disable_user(admin_ctx, "laowang")
    assert "最后" in str(exc.value)
    with pytest.raises(Refused):
        users.change_role(admin_ctx, "laowang", Role.CLERK)
    users.enable_user(admin_ctx, "xiaoli")
    users.change_role(admin_ctx, "xiaoli", "viewer")
    assert users.authenticate(admin_ctx.conn, "xiaoli", PW, NOW).role == Role.VIEWER


def test_weaker_hashes_are_upgraded_at_log_in(admin_ctx, monkeypatch):
    monkeypatch.setattr(users, "SCRYPT_N", 2**14)
    users.reset_password(admin_ctx, "laowang", PW)
    old = admin_ctx.conn.execute("SELECT password_hash FROM users").fetchone()[0]
    assert old.startswith("scrypt$n=16384,")
    monkeypatch.setattr(users, "SCRYPT_N", 2**15)
    users.authenticate(admin_ctx.conn, "laowang", PW, NOW)
    new = admin_ctx.conn.execute("SELECT password_hash FROM users").fetchone()[0]
    assert new.startswith("scrypt$n=32768,")


def test_every_account_change_is_audited_without_password_material(admin_ctx):
    users.create_user(admin_ctx, "xiaoli", PW, Role.CLERK)
    users.reset_password(admin_ctx, "xiaoli", "temporary-123")
    users.change_own_password(
        users.get_user(admin_ctx.conn, "xiaoli").context(admin_ctx.conn), "temporary-123", "new-secret-456"
    )
    users.disable_user(admin_ctx, "xiaoli")
    with pytest.raises(Refused):
        users.authenticate(admin_ctx.conn, "laowang", "wrong-guess-1", NOW)
    entries = audit.entries(admin_ctx.conn, limit=100)
    actions = {e["action"] for e in entries if e["table_name"] == "users"}
    assert {"create_user", "reset_password", "change_password", "disable_user", "login_failed"} <= actions
    text = json.dumps(entries, ensure_ascii=False)
    for secret in (PW, "temporary-123", "new-secret-456", "wrong-guess-1", "scrypt$"):
        assert secret not in text
    assert audit.verify_chain(admin_ctx.conn) == []
