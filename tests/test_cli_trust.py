"""Command line: init --admin, log-in for every command once accounts exist, user, backup, restore, audit filters."""

import json

import pytest

from dudu_desktop.cli import main

INIT = [
    "init",
    "--role",
    "village",
    "--code",
    "500243104201",
    "--name",
    "都督村",
    "--township-code",
    "500243104000",
    "--township-name",
    "都督乡",
]
CALL = json.dumps(
    {"called_at": "2024-12-01 09:30", "channel": "电话", "category": "劳动", "question": "q", "anonymous": True}
)


def run(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def env(monkeypatch):
    for var in ("DUDU_USER", "DUDU_PASSWORD", "DUDU_NEW_PASSWORD"):
        monkeypatch.delenv(var, raising=False)
    return monkeypatch


@pytest.fixture
def secured(tmp_path, capsys, env):
    db = tmp_path / "v.sqlite3"
    env.setenv("DUDU_PASSWORD", "boss-secret-1")
    code, out, err = run(capsys, "--db", db, *INIT, "--admin", "boss")
    assert code == 0, err
    env.delenv("DUDU_PASSWORD")
    return db


def test_init_admin_refuses_short_or_missing_passwords(tmp_path, capsys, env):
    db = tmp_path / "v.sqlite3"
    env.setenv("DUDU_PASSWORD", "short")
    code, _, err = run(capsys, "--db", db, *INIT, "--admin", "boss")
    assert code == 1 and "至少8个字符" in err
    env.delenv("DUDU_PASSWORD")
    code, _, err = run(capsys, "--db", db, *INIT, "--admin", "boss")  # no TTY to prompt on
    assert code == 1 and "DUDU_PASSWORD" in err
    # nothing was written: the database is still not set up and has no account
    code, _, err = run(capsys, "--db", db, "check")
    assert code == 1 and "尚未初始化" in err


def test_without_accounts_commands_work_as_before(tmp_path, capsys, env):
    db = tmp_path / "v.sqlite3"
    assert run(capsys, "--db", db, *INIT)[0] == 0
    code, out, _ = run(capsys, "--db", db, "user", "list", "--json")
    assert code == 0 and json.loads(out) == []
    assert run(capsys, "--db", db, "stats", "--year", "2024")[0] == 0


def test_every_command_needs_a_log_in_once_accounts_exist(secured, capsys, env):
    code, _, err = run(capsys, "--db", secured, "stats", "--year", "2024")
    assert code == 1 and "DUDU_USER" in err
    env.setenv("DUDU_USER", "boss")
    code, _, err = run(capsys, "--db", secured, "stats", "--year", "2024")  # no password, no TTY
    assert code == 1 and "DUDU_PASSWORD" in err
    env.setenv("DUDU_PASSWORD", "wrong-password")
    code, _, err = run(capsys, "--db", secured, "stats", "--year", "2024")
    assert code == 1 and "用户名或密码错误" in err
    env.setenv("DUDU_PASSWORD", "boss-secret-1")
    assert run(capsys, "--db", secured, "stats", "--year", "2024")[0] == 0
    code, _, err = run(capsys, "--db", secured, "--user", "ghost", "stats")
    assert code == 1 and "用户名或密码错误" in err


def test_user_add_list_passwd_and_roles(secured, capsys, env):
    env.setenv("DUDU_USER", "boss")
    env.setenv("DUDU_PASSWORD", "boss-secret-1")
    env.setenv("DUDU_NEW_PASSWORD", "clerk-secret-1")
    code, out, err = run(capsys, "--db", secured, "user", "add", "xiaoli", "--role", "clerk", "--display-name", "小李")
    assert code == 0, err
    code, out, _ = run(capsys, "--db", secured, "user", "list", "--json")
    rows = {r["username"]: r for r in json.loads(out)}
    assert rows["xiaoli"]["role"] == "录入员" and rows["boss"]["role"] == "管理员"
    assert "password_hash" not in rows["xiaoli"]
    code, _, err = run(capsys, "--db", secured, "user", "add", "shenhe", "--role", "reviewer")
    assert code == 1 and "乡镇" in err
    # the clerk logs in, cannot add accounts, changes their own password
    env.setenv("DUDU_USER", "xiaoli")
    env.setenv("DUDU_PASSWORD", "clerk-secret-1")
    code, _, err = run(capsys, "--db", secured, "user", "add", "other", "--role", "clerk")
    assert code == 1 and "无权" in err
    code, _, err = run(capsys, "--db", secured, "user", "passwd", "boss")
    assert code == 1 and "无权" in err
    env.setenv("DUDU_NEW_PASSWORD", "clerk-secret-2")
    assert run(capsys, "--db", secured, "user", "passwd", "xiaoli")[0] == 0
    env.setenv("DUDU_PASSWORD", "clerk-secret-2")
    assert run(capsys, "--db", secured, "stats")[0] == 0
    # the admin resets it; the clerk is told to change it
    env.setenv("DUDU_USER", "boss")
    env.setenv("DUDU_PASSWORD", "boss-secret-1")
    env.setenv("DUDU_NEW_PASSWORD", "reset-by-boss-1")
    assert run(capsys, "--db", secured, "user", "passwd", "xiaoli")[0] == 0
    env.setenv("DUDU_USER", "xiaoli")
    env.setenv("DUDU_PASSWORD", "reset-by-boss-1")
    code, _, err = run(capsys, "--db", secured, "stats")
    assert code == 1 and "user passwd xiaoli" in err  # issue 11: refused until changed
    # the admin disables the clerk
    env.setenv("DUDU_USER", "boss")
    env.setenv("DUDU_PASSWORD", "boss-secret-1")
    assert run(capsys, "--db", secured, "user", "disable", "xiaoli")[0] == 0
    env.setenv("DUDU_USER", "xiaoli")
    env.setenv("DUDU_PASSWORD", "reset-by-boss-1")
    code, _, err = run(capsys, "--db", secured, "stats")
    assert code == 1 and "停用" in err


def test_backup_and_restore_round_trip(secured, tmp_path, capsys, env):
    env.setenv("DUDU_USER", "boss")
    env.setenv("DUDU_PASSWORD", "boss-secret-1")
    assert run(capsys, "--db", secured, "demo", "--villages", "1", "--seed", "3")[0] == 0
    out_file = tmp_path / "usb" / "copy.sqlite3"
    code, out, err = run(capsys, "--db", secured, "backup", "--out", out_file)
    assert code == 0 and out_file.exists(), err
    code, out, _ = run(capsys, "--db", secured, "restore", out_file, "--preview", "--json")
    info = json.loads(out)
    assert code == 0 and info["integrity_ok"] and info["site"]["name"] == "都督村"
    total = sum(info["counts"].values())
    assert total > 0
    import sqlite3

    conn = sqlite3.connect(secured)
    conn.execute("UPDATE hotline_calls SET deleted = 1")
    conn.commit()
    conn.close()
    code, out, err = run(capsys, "--db", secured, "restore", out_file)
    assert code == 0, err
    code, out, _ = run(capsys, "--db", secured, "restore", secured.parent / "backups" / "nothing.sqlite3", "--preview")
    assert code == 1
    conn = sqlite3.connect(secured)
    live = conn.execute("SELECT count(*) FROM hotline_calls WHERE deleted = 0").fetchone()[0]
    assert live == info["counts"]["hotline"]
    conn.close()
    code, out, _ = run(capsys, "--db", secured, "audit", "--json", "--limit", "5")
    assert json.loads(out)[0]["action"] == "restore"
    assert run(capsys, "--db", secured, "check")[0] == 0
    # a clerk may not restore nor copy the database out
    env.setenv("DUDU_NEW_PASSWORD", "clerk-secret-1")
    assert run(capsys, "--db", secured, "user", "add", "xiaoli", "--role", "录入员")[0] == 0
    env.setenv("DUDU_USER", "xiaoli")
    env.setenv("DUDU_PASSWORD", "clerk-secret-1")
    code, _, err = run(capsys, "--db", secured, "restore", out_file)
    assert code == 1 and "无权" in err
    code, _, err = run(capsys, "--db", secured, "backup", "--out", tmp_path / "usb" / "mine.sqlite3")
    assert code == 1 and "无权" in err


def test_restore_replaces_a_file_that_cannot_be_opened(secured, tmp_path, capsys, env):
    env.setenv("DUDU_USER", "boss")
    env.setenv("DUDU_PASSWORD", "boss-secret-1")
    out_file = tmp_path / "copy.sqlite3"
    assert run(capsys, "--db", secured, "backup", "--out", out_file)[0] == 0
    for sidecar in (secured.parent / (secured.name + "-wal"), secured.parent / (secured.name + "-shm")):
        sidecar.unlink(missing_ok=True)
    secured.write_bytes(b"garbage" * 2000)
    code, _, err = run(capsys, "--db", secured, "check")
    assert code == 1
    env.setenv("DUDU_PASSWORD", "wrong-password")
    code, _, err = run(capsys, "--db", secured, "restore", out_file)
    assert code == 1 and "用户名或密码错误" in err
    assert secured.read_bytes().startswith(b"garbage")
    env.setenv("DUDU_PASSWORD", "boss-secret-1")
    code, out, err = run(capsys, "--db", secured, "restore", out_file)
    assert code == 0, err
    assert run(capsys, "--db", secured, "check")[0] == 0
    assert list((secured.parent / "backups").glob("damaged-v-*.sqlite3"))


def test_audit_filters(secured, capsys, env):
    env.setenv("DUDU_USER", "boss")
    env.setenv("DUDU_PASSWORD", "boss-secret-1")
    code, out, _ = run(capsys, "--db", secured, "audit", "--json", "--record", "boss")
    rows = json.loads(out)
    assert [r["action"] for r in rows] == ["create_user"]
    code, out, _ = run(
        capsys, "--db", secured, "audit", "--json", "--user", "boss", "--since", "2000-01-01", "--until", "2999-12-31"
    )
    assert {r["user"] for r in json.loads(out)} == {"boss"} and len(json.loads(out)) >= 2
    code, out, _ = run(capsys, "--db", secured, "audit", "--json", "--until", "2000-01-01")
    assert json.loads(out) == []
