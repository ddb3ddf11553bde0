"""Issue 11, items 9 and 21a: ``check`` sees what a local user with sqlite3 changes behind the
program's back — a record's content, an account's role, all accounts deleted, the newest audit
entries cut (even with ``sqlite_sequence`` lowered) — and says so in Chinese; every ordinary path
(demo data, bundle import with conflicts, spreadsheet import, restore, benchmark data) leaves it clean."""

from __future__ import annotations

import csv
import dataclasses
import json
import sqlite3
from pathlib import Path

import pytest

from dudu_desktop.cli import main
from dudu_desktop.domain.problems import Refused
from dudu_desktop.domain.vocab import Role
from dudu_desktop.services import audit, backup, demo, hotline, users
from dudu_desktop.services.context import Context
from dudu_desktop.storage import chain
from dudu_desktop.storage.db import open_database
from dudu_desktop.storage.schema import MIGRATIONS
from dudu_desktop.sync import export as sync_export
from dudu_desktop.sync import merge
from dudu_desktop.sync.tables import headers, import_table
from tests.conftest import NOW, TOWNSHIP_CODE, make_context

PASSWORD = "admin-secret-1"


def check(capsys, path) -> tuple[int, str]:
    code = main(["--db", str(path), "check"])
    out, err = capsys.readouterr()
    return code, err


def sql(path, *statements) -> None:
    """Edits made with plain sqlite3, outside the program."""
    conn = sqlite3.connect(str(path))
    for s in statements:
        conn.execute(s)
    conn.commit()
    conn.close()


@pytest.fixture
def demo_file(tmp_path, capsys):
    path = tmp_path / "demo.sqlite3"
    assert main(["--db", str(path), "demo", "--year", "2024", "--villages", "2", "--seed", "3"]) == 0
    capsys.readouterr()
    return path


def test_demo_data_is_clean_and_edited_content_is_named(demo_file, capsys):
    code, err = check(capsys, demo_file)
    assert code == 0, err
    conn = sqlite3.connect(demo_file)
    rid, serial = conn.execute("SELECT id, serial_no FROM disputes ORDER BY id LIMIT 1").fetchone()
    party = conn.execute("SELECT id FROM dispute_parties ORDER BY id LIMIT 1").fetchone()[0]
    conn.close()
    sql(
        demo_file,
        f"UPDATE disputes SET summary = '改过的案情' WHERE id = '{rid}'",
        f"UPDATE dispute_parties SET phone = '13900000000' WHERE id = '{party}'",
    )
    code, err = check(capsys, demo_file)
    assert code == 1
    assert serial in err and rid in err and "纠纷" in err and "程序之外" in err
    assert party in err
    assert "altered" not in err and "audit" not in err.lower()


def test_a_tombstone_or_version_set_by_hand_is_seen(demo_file, capsys):
    conn = sqlite3.connect(demo_file)
    rid = conn.execute("SELECT id FROM hotline_calls ORDER BY id LIMIT 1").fetchone()[0]
    conn.close()
    sql(demo_file, f"UPDATE hotline_calls SET deleted = 1, version = version + 1 WHERE id = '{rid}'")
    code, err = check(capsys, demo_file)
    assert code == 1 and rid in err


def test_a_record_inserted_with_sqlite3_is_reported(demo_file, capsys):
    conn = sqlite3.connect(demo_file)
    row = dict(
        zip(
            [d[0] for d in conn.execute("SELECT * FROM hotline_calls LIMIT 1").description],
            conn.execute("SELECT * FROM hotline_calls LIMIT 1").fetchone(),
        )
    )
    conn.close()
    row["id"] = "11111111-2222-4333-8444-555555555555"
    cols = ", ".join(row)
    values = ", ".join(repr(v) if v is not None else "NULL" for v in row.values())
    sql(demo_file, f"INSERT INTO hotline_calls ({cols}) VALUES ({values})")
    code, err = check(capsys, demo_file)
    assert code == 1 and row["id"] in err


def _with_accounts(tmp_path, capsys, monkeypatch) -> Path:
    path = tmp_path / "acc.sqlite3"
    monkeypatch.setenv("DUDU_PASSWORD", PASSWORD)
    assert (
        main(
            [
                "--db",
                str(path),
                "init",
                "--role",
                "village",
                "--code",
                "500243104201",
                "--name",
                "都督村",
                "--township-code",
                TOWNSHIP_CODE,
                "--township-name",
                "都督乡",
                "--admin",
                "boss",
            ]
        )
        == 0
    )
    monkeypatch.setenv("DUDU_USER", "boss")
    monkeypatch.setenv("DUDU_NEW_PASSWORD", "clerk-secret-1")
    assert main(["--db", str(path), "user", "add", "clerk", "--role", "clerk"]) == 0
    capsys.readouterr()
    return path


def test_a_role_changed_with_sqlite3_is_reported(tmp_path, capsys, monkeypatch):
    path = _with_accounts(tmp_path, capsys, monkeypatch)
    # a failed log-in changes the counters only: still clean
    database = open_database(path)
    with pytest.raises(Refused):
        users.authenticate(database, "clerk", "wrong-password")
    database.close()
    code, err = check(capsys, path)
    assert code == 0, err
    sql(path, "UPDATE users SET role = '管理员' WHERE username = 'clerk'")
    code, err = check(capsys, path)
    assert code == 1 and "clerk" in err and "boss" not in err and "账户" in err


def test_deleting_every_account_is_reported_and_nobody_becomes_admin(tmp_path, capsys, monkeypatch):
    path = _with_accounts(tmp_path, capsys, monkeypatch)
    sql(path, "DELETE FROM users")
    code, err = check(capsys, path)
    assert code == 1 and "boss" in err and "clerk" in err
    # the log-in does not fall back to "no accounts → everyone is an administrator"
    monkeypatch.delenv("DUDU_USER")
    code = main(["--db", str(path), "user", "add", "mallory", "--role", "admin"])
    assert code == 1
    monkeypatch.setenv("DUDU_USER", "boss")
    assert main(["--db", str(path), "stats"]) == 1
    capsys.readouterr()
    database = open_database(path)
    assert users.has_users(database) and users.accounts_expected(database)
    assert database.execute("SELECT count(*) FROM users").fetchone()[0] == 0
    database.close()


def test_a_cut_audit_tail_is_seen_even_with_sqlite_sequence_lowered(demo_file, capsys):
    conn = sqlite3.connect(demo_file)
    last = conn.execute("SELECT max(seq) FROM audit_log").fetchone()[0]
    conn.close()
    sql(
        demo_file,
        f"DELETE FROM audit_log WHERE seq > {last - 3}",
        f"UPDATE sqlite_sequence SET seq = {last - 3} WHERE name = 'audit_log'",
    )
    code, err = check(capsys, demo_file)
    assert code == 1 and "截断" in err, err


def test_a_cut_tail_without_record_changes_is_seen_by_the_head(tmp_path, capsys, monkeypatch):
    path = _with_accounts(tmp_path, capsys, monkeypatch)
    conn = sqlite3.connect(path)
    last = conn.execute("SELECT max(seq) FROM audit_log").fetchone()[0]
    conn.close()
    # the last entry is the clerk's creation: cut it (and the account, and lower the sequence)
    sql(
        path,
        f"DELETE FROM audit_log WHERE seq = {last}",
        "DELETE FROM users WHERE username = 'clerk'",
        f"UPDATE sqlite_sequence SET seq = {last - 1} WHERE name = 'audit_log'",
    )
    code, err = check(capsys, path)
    assert code == 1 and str(last) in err


def test_an_altered_entry_and_a_broken_foreign_key_are_reported_in_chinese(demo_file, capsys):
    sql(
        demo_file,
        "UPDATE audit_log SET user = 'mallory' WHERE seq = 5",
        "INSERT INTO dispute_followups (id, village_code, created_at, updated_at, dispute_id, visited_on) "
        "VALUES ('f', 'v', 'now', 'now', 'no-such-dispute', '2024-01-01')",
    )
    code, err = check(capsys, demo_file)
    assert code == 1
    assert "审计记录 5 被改动过" in err
    assert "有数据行引用了不存在的记录" in err
    assert "was altered" not in err and "foreign key:" not in err


def test_every_ordinary_path_leaves_check_clean(tmp_path, capsys):
    """Village demo → export → township import; a conflict resolved; spreadsheet import; restore."""
    village = make_context(tmp_path / "v.sqlite3")
    demo.generate(village, year=2024, villages=1, seed=5)
    town = make_context(tmp_path / "t.sqlite3", role="township")
    from dudu_desktop.services import site

    site.save_village(town, "500243104201", "都督村")
    usb = tmp_path / "usb"
    usb.mkdir()
    first = sync_export.export_bundle(village, usb, unsealed=True)
    merge.apply_bundle(town, first.path, allow_unsealed=True)
    call_id = village.conn.execute("SELECT id FROM hotline_calls ORDER BY id LIMIT 1").fetchone()[0]
    hotline.update_call(village, call_id, {"answer": "村里的答复"})
    hotline.update_call(town, call_id, {"answer": "乡里的答复"})
    second = sync_export.export_bundle(village, usb, unsealed=True)
    merge.apply_bundle(town, second.path, allow_unsealed=True)
    [conflict] = merge.conflicts(town.conn)
    merge.resolve_conflict(town, conflict["id"], "incoming")
    assert audit.check(town.conn) == []
    # spreadsheet import at the village
    sheet = tmp_path / "hotline.csv"
    with open(sheet, "w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(
            [
                headers("hotline"),
                ["2024/5/6 9:30", "电话", "匿名", "劳动", "拖欠工资怎么办", "已解答", "满意", "", "", ""],
            ]
        )
    assert import_table(village, "hotline", sheet).imported == 1
    copy = backup.backup_to(village, tmp_path / "copy.sqlite3")
    hotline.update_call(village, call_id, {"answer": "备份之后的答复"})
    backup.restore(village, copy)
    assert audit.check(village.conn) == []
    for ctx, path in ((village, tmp_path / "v.sqlite3"), (town, tmp_path / "t.sqlite3")):
        ctx.conn.close()
        code, err = check(capsys, path)
        assert code == 0, err


def test_an_old_file_gets_a_baseline_and_is_then_protected(tmp_path, monkeypatch, capsys):
    """A file written before migration 0010 (entries without digests, no head) is upgraded with one
    ``audit_baseline`` entry; check is clean, and later edits with sqlite3 are seen."""
    path = tmp_path / "old.sqlite3"
    old = MIGRATIONS[: MIGRATIONS.index(next(m for m in MIGRATIONS if m[0] == "0010_audit_rows"))]
    with monkeypatch.context() as m:  # the program as it was: no digests, no head
        m.setattr(chain, "attach_digests", lambda *a, **k: None)
        m.setattr(chain, "write_head", lambda *a, **k: None)
        m.setattr(audit, "seal_rows", lambda *a, **k: None)
        from dudu_desktop.domain.fields import DISPUTE, PARTY  # nor the fields of 0014 (issue 13)
        from dudu_desktop.services import disputes

        m.setattr(
            disputes,
            "PARTY",
            dataclasses.replace(PARTY, fields=tuple(f for f in PARTY.fields if f.key != "occupation")),
        )
        m.setattr(
            disputes,
            "DISPUTE",
            dataclasses.replace(DISPUTE, fields=tuple(f for f in DISPUTE.fields if f.key != "place_of_performance")),
        )
        database = open_database(path, migrations=old)
        ctx = Context(conn=database, user="tester", clock=lambda: NOW)
        from dudu_desktop.services import site

        site.init_site(
            ctx, role="village", code="500243104201", name="都督村", township_code=TOWNSHIP_CODE, township_name="都督乡"
        )
        demo.generate(ctx, year=2024, villages=1, seed=9)
        users.create_user(ctx, "boss", PASSWORD, Role.ADMIN)
        database.close()
    monkeypatch.setenv("DUDU_USER", "boss")
    monkeypatch.setenv("DUDU_PASSWORD", PASSWORD)
    code, err = check(capsys, path)  # migrates: the baseline
    assert code == 0, err
    conn = sqlite3.connect(path)
    baseline = json.loads(conn.execute("SELECT changes FROM audit_log WHERE action = 'audit_baseline'").fetchone()[0])
    assert baseline["_rows"]["n"] > 100 and baseline["rows"]["users"] == 1
    rid = conn.execute("SELECT id FROM trainings ORDER BY id LIMIT 1").fetchone()[0]
    conn.close()
    sql(path, f"UPDATE trainings SET topic = '改过' WHERE id = '{rid}'", "UPDATE users SET role = '只读'")
    code, err = check(capsys, path)
    assert code == 1 and rid in err and "boss" in err


def test_audit_entries_shown_to_people_hold_no_digests(demo_file):
    database = open_database(demo_file)
    entries = audit.entries(database, limit=20)
    assert entries and all("_digest" not in e["changes"] and "_rows" not in e["changes"] for e in entries)
    database.close()
