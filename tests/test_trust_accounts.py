"""Issue 11, accounts and roles: ``init`` needs an administrator once the site exists (item 5),
the lock-out holds under parallel log-ins (item 6), the agreement's personal data is masked by
role and full data is audited (item 7), unknown user names are audited and a reset password must
be changed before anything else (item 11)."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from dudu_desktop.cli import main
from dudu_desktop.domain.problems import PermissionDenied, Refused
from dudu_desktop.domain.vocab import Role
from dudu_desktop.reports import data
from dudu_desktop.services import audit, site, users
from dudu_desktop.storage.db import open_database
from reports_support import ID_FULL, ID_MASKED, NAME_FULL, NAME_MASKED, PHONE_FULL, PHONE_MASKED, flat, pdf_text, seed

NOW = dt.datetime(2024, 12, 20, 10, 0, 0)
PW = "correct horse 9"
V_CODE, T_CODE = "500243104201", "500243104000"
INIT = [
    "init",
    "--role",
    "village",
    "--code",
    V_CODE,
    "--name",
    "都督村",
    "--township-code",
    T_CODE,
    "--township-name",
    "都督乡",
]
T_INIT = ["init", "--role", "township", "--code", T_CODE, "--name", "都督乡"]


def run(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def env(monkeypatch):
    for var in ("DUDU_USER", "DUDU_PASSWORD", "DUDU_NEW_PASSWORD"):
        monkeypatch.delenv(var, raising=False)
    return monkeypatch


def as_user(env, name, password):
    env.setenv("DUDU_USER", name)
    env.setenv("DUDU_PASSWORD", password)


def secure(db, capsys, env, init=INIT):
    """``init --admin boss`` and a viewer ``kan`` and a clerk ``xiaoli``."""
    env.setenv("DUDU_PASSWORD", "boss-secret-1")
    code, _, err = run(capsys, "--db", db, *init, "--admin", "boss")
    assert code == 0, err
    as_user(env, "boss", "boss-secret-1")
    for name, role in (("kan", "viewer"), ("xiaoli", "clerk")):
        env.setenv("DUDU_NEW_PASSWORD", f"{name}-secret-1")
        code, _, err = run(capsys, "--db", db, "user", "add", name, "--role", role)
        assert code == 0, err
    env.delenv("DUDU_NEW_PASSWORD")
    return db


def site_of(db) -> dict:
    database = open_database(db, create=False)
    try:
        return site.site(database)
    finally:
        database.close()


# ---------------------------------------------------------------- item 5: init needs ADMINISTER


@pytest.mark.parametrize(
    "init, changed",
    [
        (
            INIT,
            [
                "init",
                "--role",
                "village",
                "--code",
                V_CODE,
                "--name",
                "改名村",
                "--township-code",
                "500243999000",
                "--township-name",
                "别的乡",
            ],
        ),
        (T_INIT, ["init", "--role", "township", "--code", T_CODE, "--name", "改名乡"]),
    ],
)
def test_cli_only_an_admin_changes_the_site_with_init(tmp_path, capsys, env, init, changed):
    db = secure(tmp_path / "s.sqlite3", capsys, env, init)
    before = site_of(db)
    for name in ("kan", "xiaoli"):  # 只读 and 录入员
        as_user(env, name, f"{name}-secret-1")
        code, _, err = run(capsys, "--db", db, *changed)
        assert code == 1 and "无权" in err, err
        assert site_of(db) == before
        # running init again with the same values changes nothing and is not an error
        code, _, err = run(capsys, "--db", db, *init)
        assert code == 0, err
        assert site_of(db) == before
    as_user(env, "boss", "boss-secret-1")
    code, _, err = run(capsys, "--db", db, *changed)
    assert code == 0, err
    assert site_of(db)["name"] in ("改名村", "改名乡")
    # changing the code stays refused, even for the administrator
    other_code = list(changed)
    other_code[other_code.index("--code") + 1] = "500243104299" if init is INIT else "500243105000"
    code, _, err = run(capsys, "--db", db, *other_code)
    assert code == 1 and "已属于" in err


def test_init_site_service_needs_administer_once_the_site_exists(ctx):
    viewer = users.User("kan", "", Role.VIEWER).context(ctx.conn, clock=lambda: NOW)
    with pytest.raises(PermissionDenied):
        site.init_site(viewer, role="village", code=V_CODE, name="改名村", township_code=T_CODE, township_name="都督乡")
    assert site.site(ctx.conn)["name"] == "都督村"
    assert not audit.entries(ctx.conn, user="kan")
    # the same values again: nothing to change, nothing written, no permission needed
    seq = ctx.conn.execute("SELECT max(seq) FROM audit_log").fetchone()[0]
    site.init_site(viewer, role="village", code=V_CODE, name="都督村", township_code=T_CODE, township_name="都督乡")
    assert ctx.conn.execute("SELECT max(seq) FROM audit_log").fetchone()[0] == seq


# ---------------------------------------------------------------- item 6: lock-out


@pytest.fixture
def account(db_path, ctx):
    """``laowang`` (admin) in a database file that other connections can open."""
    users.create_user(ctx, "laowang", PW, Role.ADMIN)
    return db_path


class Counting:
    """Wraps users.verify_password, counting the verifications of real (non-dummy) hashes."""

    def __init__(self, monkeypatch, during=None):
        self.real, self.calls, self.lock, self.during = users.verify_password, 0, threading.Lock(), during
        monkeypatch.setattr(users, "verify_password", self)

    def __call__(self, password, stored):
        if stored != users._dummy_hash():
            with self.lock:
                self.calls += 1
                n = self.calls
            if self.during:
                self.during(n)
        return self.real(password, stored)


def state(conn, name="laowang"):
    return conn.execute("SELECT failed_attempts, locked_until FROM users WHERE username = ?", (name,)).fetchone()


def test_thirty_parallel_wrong_passwords_verify_at_most_five_and_lock(account, monkeypatch):
    counting = Counting(monkeypatch)
    results, start = [], threading.Barrier(30)

    def attempt():
        database = open_database(account, create=False)
        try:
            start.wait()
            users.authenticate(database, "laowang", "wrong-password", NOW)
            results.append("in")
        except Refused as exc:
            results.append(str(exc))
        finally:
            database.close()

    threads = [threading.Thread(target=attempt) for _ in range(30)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 30 and "in" not in results
    assert not [r for r in results if "锁定" not in r and "用户名或密码错误" not in r], results  # no busy errors
    assert counting.calls == 5
    database = open_database(account, create=False)
    assert state(database)["locked_until"] > NOW.isoformat(sep=" ")
    assert [e["action"] for e in audit.entries(database, action="login_failed", limit=100)].count("login_failed") == 5
    with pytest.raises(Refused, match="锁定"):
        users.authenticate(database, "laowang", PW, NOW + dt.timedelta(minutes=1))
    database.close()


def test_attempts_made_while_one_is_verifying_count_and_never_unlock(account, monkeypatch):
    """Deterministic interleaving: while the first attempt verifies its password, another PC
    (another connection) tries ten wrong passwords."""
    other = open_database(account, create=False)
    inner = []

    def during(n):
        if n == 1:
            for _ in range(10):
                try:
                    users.authenticate(other, "laowang", "wrong-password", NOW)
                except Refused as exc:
                    inner.append(str(exc))

    counting = Counting(monkeypatch, during)
    database = open_database(account, create=False)
    with pytest.raises(Refused, match="用户名或密码错误"):
        users.authenticate(database, "laowang", "still-wrong", NOW)
    assert counting.calls == 5  # 1 outer + 4 inner; the other 6 refused unchecked
    assert sum("锁定" in m for m in inner) == 6
    locked = state(database)["locked_until"]
    assert locked and locked > NOW.isoformat(sep=" ")  # the outer failure, recorded last, did not unlock
    # the right password, verifying while the account gets locked, does not get in
    monkeypatch.setattr(users, "verify_password", counting.real)
    later = NOW + dt.timedelta(minutes=20)
    users.authenticate(database, "laowang", PW, later)  # lock expired: fine
    counting = Counting(
        monkeypatch,
        lambda n: (
            n == 1
            and [
                pytest.raises(Refused, users.authenticate, other, "laowang", "wrong-password", later) for _ in range(5)
            ]
        ),
    )
    with pytest.raises(Refused, match="锁定"):
        users.authenticate(database, "laowang", PW, later)
    assert state(database)["locked_until"] > later.isoformat(sep=" ")
    other.close()
    database.close()


def test_an_interrupted_log_in_counts_as_a_failure(account, monkeypatch):
    """A process killed while verifying gives no free try: the attempt was counted before."""
    database = open_database(account, create=False)

    def killed(password, stored):
        raise KeyboardInterrupt

    real = users.verify_password
    monkeypatch.setattr(users, "verify_password", killed)
    for _ in range(5):
        with pytest.raises(KeyboardInterrupt):
            users.authenticate(database, "laowang", "guess", NOW)
    monkeypatch.setattr(users, "verify_password", real)
    with pytest.raises(Refused, match="锁定"):
        users.authenticate(database, "laowang", PW, NOW)
    database.close()


def test_cli_parallel_wrong_passwords_lock_the_account(tmp_path, capsys, env):
    db = secure(tmp_path / "p.sqlite3", capsys, env)
    cli_env = {**os.environ, "DUDU_USER": "xiaoli", "DUDU_PASSWORD": "wrong-password", "DUDU_LANG": "zh_CN"}
    exe = [sys.executable, "-m", "dudu_desktop", "--db", str(db), "stats", "--year", "2024"]
    procs = [
        subprocess.Popen(
            exe,
            env=cli_env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=Path(__file__).resolve().parents[1],
        )
        for _ in range(8)
    ]
    outcomes = [(p.wait(timeout=120), p.stderr.read()) for p in procs]
    for p in procs:
        p.stdout.close()
        p.stderr.close()
    assert all(code == 1 for code, _ in outcomes), outcomes
    assert all("锁定" in err or "用户名或密码错误" in err for _, err in outcomes), outcomes
    as_user(env, "xiaoli", "xiaoli-secret-1")
    code, _, err = run(capsys, "--db", db, "stats")
    assert code == 1 and "锁定" in err
    as_user(env, "boss", "boss-secret-1")
    code, out, _ = run(capsys, "--db", db, "audit", "--record", "xiaoli", "--json", "--limit", "100")
    actions = [e["action"] for e in json.loads(out)]
    assert actions.count("login_failed") == 5 and actions.count("lock_account") >= 1


# ---------------------------------------------------------------- item 11: unknown names, forced change


def test_unknown_user_names_are_audited_with_the_same_work(account, monkeypatch):
    database = open_database(account, create=False)
    conn = database
    calls = []
    real = users.verify_password
    monkeypatch.setattr(users, "verify_password", lambda p, s: calls.append(s) or real(p, s))
    for name in ("ghost", "laowang"):
        with pytest.raises(Refused, match="用户名或密码错误"):
            users.authenticate(conn, name, "wrong-password", NOW)
    assert len(calls) == 2  # one scrypt each, known or not
    entry = audit.entries(conn, action=users.UNKNOWN_USER_ACTION)[0]
    assert entry["record_id"] == "ghost" and entry["user"] == "ghost"
    assert users.get_user(conn, "ghost") is None and [u.username for u in users.list_users(conn)] == ["laowang"]
    with pytest.raises(Refused):
        users.authenticate(conn, "x" * 5000, "pw", NOW)  # a huge name is cut short in the audit
    entry = audit.entries(conn, action=users.UNKNOWN_USER_ACTION)[0]
    assert len(entry["record_id"]) <= users.MAX_AUDITED_NAME
    assert audit.verify_chain(conn) == []
    database.close()


def test_cli_unknown_user_is_audited(tmp_path, capsys, env):
    db = secure(tmp_path / "u.sqlite3", capsys, env)
    as_user(env, "ghost", "some-password")
    code, _, err = run(capsys, "--db", db, "stats")
    assert code == 1 and "用户名或密码错误" in err
    as_user(env, "boss", "boss-secret-1")
    code, out, _ = run(capsys, "--db", db, "audit", "--record", "ghost", "--json")
    assert [e["action"] for e in json.loads(out)] == [users.UNKNOWN_USER_ACTION]
    code, out, _ = run(capsys, "--db", db, "user", "list", "--json")
    assert "ghost" not in [r["username"] for r in json.loads(out)]


def test_cli_a_reset_password_must_be_changed_before_any_other_command(tmp_path, capsys, env):
    db = secure(tmp_path / "r.sqlite3", capsys, env)
    env.setenv("DUDU_NEW_PASSWORD", "reset-by-boss-1")
    assert run(capsys, "--db", db, "user", "passwd", "xiaoli")[0] == 0
    as_user(env, "xiaoli", "reset-by-boss-1")
    for command in (
        ["stats"],
        ["user", "list"],
        ["user", "passwd", "kan"],
        ["backup"],
        ["report", "ledger", "--register", "disputes", "--month", "2024-05", "--out", tmp_path / "l.pdf"],
    ):
        code, out, err = run(capsys, "--db", db, *command)
        assert code == 1 and "user passwd xiaoli" in err and "DUDU_NEW_PASSWORD" in err, (command, err)
        assert out == ""
    assert not (tmp_path / "l.pdf").exists()
    env.setenv("DUDU_NEW_PASSWORD", "xiaoli-own-2")
    code, _, err = run(capsys, "--db", db, "user", "passwd", "xiaoli")
    assert code == 0, err
    as_user(env, "xiaoli", "xiaoli-own-2")
    code, _, err = run(capsys, "--db", db, "stats")
    assert code == 0 and "user passwd" not in err


# ---------------------------------------------------------------- item 7: the agreement by role


@pytest.fixture
def seeded_cli(tmp_path, capsys, env):
    db = secure(tmp_path / "a.sqlite3", capsys, env)
    database = open_database(db, create=False)
    ctx = users.get_user(database, "boss").context(database, clock=lambda: NOW)
    ids = seed(ctx)
    database.close()
    return db, ids


PERSONAL_FULL = (NAME_FULL, "李四", PHONE_FULL, "13912340000", "都督村3组12号", ID_FULL)


def test_cli_viewer_gets_a_masked_agreement_and_cannot_unmask(seeded_cli, tmp_path, capsys, env):
    db, ids = seeded_cli
    as_user(env, "kan", "kan-secret-1")
    out = tmp_path / "a.pdf"
    code, _, err = run(capsys, "--db", db, "report", "agreement", "--dispute", ids["settled"], "--out", out)
    assert code == 0, err
    text = flat(pdf_text(out.read_bytes()))
    for full in PERSONAL_FULL:
        assert full not in text, full
    for masked in (NAME_MASKED, PHONE_MASKED, "139****0000", "都督村****", ID_MASKED, "李*"):
        assert masked in text, masked
    assert "人民调解协议书" in text and "排水沟" in text
    code, _, err = run(
        capsys,
        "--db",
        db,
        "report",
        "agreement",
        "--dispute",
        ids["settled"],
        "--out",
        tmp_path / "full.pdf",
        "--unmasked",
    )
    assert code == 1 and not (tmp_path / "full.pdf").exists()
    as_user(env, "boss", "boss-secret-1")
    code, out_json, _ = run(capsys, "--db", db, "audit", "--json", "--limit", "200")
    assert not [e for e in json.loads(out_json) if e["action"] == data.UNMASKED_ACTION]


def test_cli_admin_full_agreement_is_audited_with_document_record_and_user(seeded_cli, tmp_path, capsys, env):
    db, ids = seeded_cli
    as_user(env, "boss", "boss-secret-1")
    out = tmp_path / "a.pdf"
    code, _, err = run(capsys, "--db", db, "report", "agreement", "--dispute", ids["settled"], "--out", out)
    assert code == 0, err
    assert PHONE_FULL not in flat(pdf_text(out.read_bytes()))  # masked unless asked for
    code, _, err = run(
        capsys, "--db", db, "report", "agreement", "--dispute", ids["settled"], "--out", out, "--unmasked"
    )
    assert code == 0, err
    text = flat(pdf_text(out.read_bytes()))
    for full in PERSONAL_FULL:
        assert full in text, full
    code, out_json, _ = run(capsys, "--db", db, "audit", "--json", "--limit", "200")
    entries = [e for e in json.loads(out_json) if e["action"] == data.UNMASKED_ACTION]
    assert len(entries) == 1
    entry = entries[0]
    assert entry["user"] == "boss" and entry["record_id"] == ids["settled"] and entry["table_name"] == "disputes"
    assert "人民调解协议书" in json.dumps(entry, ensure_ascii=False)


def test_a_rehash_at_log_in_is_audited(account):
    """Old, weaker hash parameters are upgraded at the next log-in, on record like any change of
    the account (so that ``check`` does not take it for an edit outside the program)."""
    import base64

    salt = b"0123456789abcdef"
    key = users._scrypt(PW, salt, 1024, 8, 1, 32)
    weak = f"scrypt$n=1024,r=8,p=1${base64.b64encode(salt).decode()}${base64.b64encode(key).decode()}"
    database = open_database(account, create=False)
    conn = database
    conn.execute("UPDATE users SET password_hash = ? WHERE username = 'laowang'", (weak,))
    users.authenticate(conn, "laowang", PW, NOW)
    stored = conn.execute("SELECT password_hash FROM users WHERE username = 'laowang'").fetchone()[0]
    assert stored.startswith("scrypt$n=32768,") and users.verify_password(PW, stored)
    assert [e["action"] for e in audit.entries(conn, record_id="laowang")][0] == "rehash_password"
    database.close()
