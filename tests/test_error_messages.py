"""Issue 11 item 21: OS and SQLite errors reach the user in Chinese (``dudu_desktop.failures``), never as the
system's English text ("No space left on device", "database is locked", "file is not a database"), and the
file name is kept. One test per place that used to put ``exc.strerror``/``exc``/``str(exc)`` in a message,
plus a scan of the source so that the pattern does not come back."""

from __future__ import annotations

import errno
import os
import re
import sqlite3
from pathlib import Path

import pytest

from dudu_desktop import failures
from dudu_desktop.domain.problems import Problem, Refused
from dudu_desktop.services import attachments, backup, report_texts
from dudu_desktop.storage import db as storage
from dudu_desktop.sync import container, keys, seal

PACKAGE = Path(__file__).resolve().parent.parent / "dudu_desktop"
CJK = re.compile(r"[\u4e00-\u9fff]")
#: What the system says in English (strerror, SQLite's messages): never in a Chinese message.
ENGLISH = (
    "No space left",
    "No such file",
    "Is a directory",
    "Permission denied",
    "Errno",
    "database is locked",
    "not a database",
    "Expecting",
    "disk I/O",
    "readonly",
)
FULL = "磁盘已满"


def assert_chinese(message: str, *, name: str | None = None) -> None:
    for english in ENGLISH:
        assert english not in message, message
    assert CJK.search(message), message
    if name is not None:
        assert name in message, message


def enospc(path="/media/U盘/x") -> OSError:
    return OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))


# --- the source: no English system text put into a message -----------------------------------------------

#: (pattern, what is wrong). ``os.strerror`` building an OSError (storage/db.py) is not a message.
FORBIDDEN = [
    (re.compile(r"(?<!os)\.strerror\b"), "exc.strerror is the system's English text: failures.os_error_message"),
    (
        re.compile(r"\b(error|reason|message)=(exc|error|e)\s*[,)]"),
        "an exception's text in a message: failures.error_text / os_error_message / sqlite_reason",
    ),
]
UI_FORBIDDEN = [(re.compile(r"\bstr\((exc|error|e)\)"), "str(exc) in the window: failures.user_message")]


def test_no_message_is_built_from_the_systems_english_text():
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name == "failures.py":
            continue
        rules = FORBIDDEN + (UI_FORBIDDEN if "ui" in path.relative_to(PACKAGE).parts else [])
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for pattern, why in rules:
                if pattern.search(line):
                    found.append(f"{path.relative_to(PACKAGE.parent)}:{number}: {why}: {line.strip()}")
    assert found == []


# --- failures' helpers -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "words"),
    [
        (sqlite3.DatabaseError("file is not a database"), "不是数据库"),
        (sqlite3.OperationalError("database is locked"), "另一个程序"),
        (sqlite3.OperationalError("database or disk is full"), FULL),
        (sqlite3.OperationalError("attempt to write a readonly database"), "只读"),
        (sqlite3.OperationalError("disk I/O error"), "读写出错"),
        (sqlite3.OperationalError("unable to open database file"), "无法打开"),
    ],
)
def test_sqlite_reason_is_a_chinese_clause(error, words):
    reason = failures.sqlite_reason(error)
    assert words in reason
    assert_chinese(reason)


def test_an_unknown_sqlite_error_is_named_by_its_code_not_its_text():
    conn = sqlite3.connect(":memory:")
    with pytest.raises(sqlite3.Error) as caught:
        conn.execute("SELECT * FROM no_such_table")
    reason = failures.sqlite_reason(caught.value)
    assert "SQLITE_ERROR" in reason and "no such table" not in reason and CJK.search(reason)


def test_user_message_refusal_known_failure_and_bug(tmp_path):
    assert failures.user_message(Refused([Problem("", "甲"), Problem("", "乙")])) == "甲\n乙"
    assert_chinese(failures.user_message(enospc("/media/U盘/a.pdf")), name="/media/U盘/a.pdf")
    try:
        raise KeyError("a bug")
    except KeyError as exc:
        message = failures.user_message(exc, db_path=tmp_path / "v.sqlite3", where="window")
    (log,) = (tmp_path / "logs").glob("dudu-*.log")
    assert str(log) in message and CJK.search(message)
    assert "KeyError: 'a bug'" in log.read_text(encoding="utf-8")


# --- each place ------------------------------------------------------------------------------------------


def test_register_village_on_a_full_disk(township_ctx, tmp_path, monkeypatch):
    """sync/keys.py: "无法写入登记文件：No space left on device" before."""
    out = tmp_path / "reg-202.dudukey"
    monkeypatch.setattr(keys, "atomic_write_bytes", lambda path, data: (_ for _ in ()).throw(enospc(out)))
    with pytest.raises(Refused) as caught:
        keys.register_village(township_ctx, "500243104202", "第二村", out)
    assert FULL in str(caught.value)
    assert_chinese(str(caught.value), name=str(out))


def test_a_registration_file_that_cannot_be_read(tmp_path):
    with pytest.raises(Refused) as caught:
        keys.read_registration(tmp_path)  # a folder: IsADirectoryError
    assert_chinese(str(caught.value), name=tmp_path.name)


def test_a_sealed_bundle_on_a_full_stick(tmp_path, monkeypatch):
    target = tmp_path / "b.dudu"

    def full(*a, **k):
        raise enospc(target)

    monkeypatch.setattr(seal.os, "fsync", full)
    with pytest.raises(Refused) as caught:
        seal.write_sealed(target, b"data")
    assert FULL in str(caught.value) and not target.exists()
    assert_chinese(str(caught.value))


def test_a_sealed_bundle_that_cannot_be_read(tmp_path):
    with pytest.raises(Refused) as caught:
        seal._read_limited(tmp_path / "missing.dudu")
    assert_chinese(str(caught.value), name="missing.dudu")


def test_a_zip_on_a_full_stick_and_a_missing_zip(tmp_path, monkeypatch):
    monkeypatch.setattr(container.os, "fsync", lambda fd: (_ for _ in ()).throw(enospc(tmp_path / "b.zip")))
    with pytest.raises(container.ContainerError) as caught:
        container.write_zip_atomic(tmp_path / "b.zip", [("a.json", b"{}")])
    assert FULL in caught.value.message
    assert_chinese(caught.value.message)
    with pytest.raises(container.ContainerError) as caught:
        container.read_zip_safely(tmp_path / "missing.zip", allowed_names={"a.json"})
    assert_chinese(caught.value.message, name="missing.zip")


def test_an_attachment_that_cannot_be_read(ctx, tmp_path):
    with pytest.raises(Refused) as caught:
        attachments.add_paths(ctx, "disputes", "no-record", [tmp_path / "照片.jpg"])
    assert_chinese(str(caught.value), name="照片.jpg")


def test_a_spreadsheet_that_cannot_be_opened(tmp_path):
    from dudu_desktop.sheets import TableReadError, read_table

    with pytest.raises(TableReadError) as caught:
        read_table(tmp_path / "台账.xlsx")
    assert_chinese(str(caught.value), name="台账.xlsx")


def test_a_texts_file_that_cannot_be_read(tmp_path):
    with pytest.raises(Refused) as caught:
        report_texts.read_texts_file(tmp_path / "texts.json")
    assert_chinese(str(caught.value), name="texts.json")


def test_documents_texts_file_says_what_is_wrong_in_chinese(tmp_path):
    """reports/documents.py: json's English message ("Expecting ',' delimiter: line 2 column 3") before."""
    from dudu_desktop.reports import documents

    bad = tmp_path / "texts.json"
    bad.write_text('{"measures": "甲"\n  "x": 1}', encoding="utf-8")
    with pytest.raises(Refused) as caught:
        documents.read_texts_file(bad)
    assert "第 2 行" in str(caught.value)
    assert_chinese(str(caught.value), name="texts.json")
    with pytest.raises(Refused) as caught:
        documents.read_texts_file(tmp_path / "missing.json")
    assert_chinese(str(caught.value), name="missing.json")


def test_export_while_another_program_writes(ctx, tmp_path, db_path):
    """sync/export.py: "(database is locked)" before."""
    from dudu_desktop.sync import export

    ctx.conn.execute("PRAGMA busy_timeout = 50")
    holder = sqlite3.connect(db_path)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(Refused) as caught:
            export.export_bundle(ctx, tmp_path, unsealed=True)
    finally:
        holder.rollback()
        holder.close()
    assert "另一个程序正在写入" in str(caught.value)
    assert_chinese(str(caught.value))


def test_preview_of_a_file_that_is_not_a_database(tmp_path):
    """services/backup.py: "Not a readable database (file is not a database)" before."""
    bogus = tmp_path / "bogus.sqlite3"
    bogus.write_bytes(b"not a database at all" * 100)
    problems = backup.preview_backup(bogus)["problems"]
    assert problems
    for problem in problems:
        assert_chinese(problem)


def test_opening_a_damaged_database(tmp_path):
    """storage/db.py: DatabaseDamaged said SQLite's English reason before."""
    bogus = tmp_path / "v.sqlite3"
    bogus.write_bytes(b"not a database at all" * 100)
    with pytest.raises(storage.DatabaseDamaged) as caught:
        storage.open_database(bogus)
    assert "不是数据库" in str(caught.value)
    assert_chinese(str(caught.value))


def test_the_automatic_backup_warning_on_a_full_disk(tmp_path, monkeypatch, capsys):
    """cli/session.py: "警告：自动备份失败（[Errno 28] No space left on device: …）" before; the command
    itself still runs."""
    from dudu_desktop.cli import main

    db = tmp_path / "v.sqlite3"
    assert (
        main(
            [
                "--db",
                str(db),
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
        )
        == 0
    )
    capsys.readouterr()
    monkeypatch.setattr(
        backup, "auto_backup_if_due", lambda ctx, **k: (_ for _ in ()).throw(enospc(tmp_path / "backups" / "v.sqlite3"))
    )
    assert main(["--db", str(db), "stats", "--year", "2024"]) == 0
    err = capsys.readouterr().err
    assert "自动备份失败" in err and FULL in err
    assert_chinese(err, name="backups")
