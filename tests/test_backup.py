"""Backups: atomic copies, rotation with an injected clock, read-only preview, restore round-trip."""

import datetime as dt
import hashlib
import sqlite3

import pytest

from dudu_desktop import paths
from dudu_desktop.domain.problems import PermissionDenied, Refused
from dudu_desktop.domain.vocab import Role
from dudu_desktop.services import audit, backup, hotline
from dudu_desktop.services.context import Context
from dudu_desktop.storage import db as storage

NOW = dt.datetime(2024, 12, 20, 10, 0, 0)  # the fixed clock of the ctx fixture (tests/conftest.py)
CALL = {
    "called_at": "2024-12-01 09:30",
    "channel": "电话",
    "category": "劳动",
    "question": "拖欠工资怎么办",
    "anonymous": True,
}


def add_calls(ctx, n, day=1):
    return [hotline.create_call(ctx, {**CALL, "called_at": f"2024-12-{day + i % 20:02d} 09:30"}) for i in range(n)]


def at(ctx, when):
    return Context(conn=ctx.conn, user=ctx.user, role=ctx.role, clock=lambda: when)


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_backup_is_a_complete_self_contained_copy(ctx, db_path):
    add_calls(ctx, 3)
    path = backup.make_backup(ctx, "manual")
    assert path.parent == paths.backups_dir(db_path)
    assert path.name == "test-20241220-100000-manual.sqlite3"
    assert not list(path.parent.glob("*.partial"))
    copy = sqlite3.connect(path)
    assert copy.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    assert copy.execute("SELECT count(*) FROM hotline_calls").fetchone()[0] == 3
    copy.close()


def test_auto_backup_only_when_the_last_is_over_a_day_old(ctx):
    add_calls(ctx, 1)
    first = backup.auto_backup_if_due(ctx)
    assert first is not None
    assert backup.auto_backup_if_due(at(ctx, NOW + dt.timedelta(hours=23))) is None
    second = backup.auto_backup_if_due(at(ctx, NOW + dt.timedelta(hours=25)))
    assert second is not None and second != first


def test_no_auto_backup_of_an_empty_or_damaged_database(db_path, tmp_path):
    blank = Context(conn=storage.open_database(tmp_path / "blank.sqlite3"), clock=lambda: NOW)
    assert backup.auto_backup_if_due(blank) is None


def test_backup_before_names_the_reason(ctx):
    path = backup.backup_before(ctx, "import")
    assert path.name.endswith("-before_import.sqlite3")
    again = backup.backup_before(ctx, "import")  # same second: a second name, not an overwrite
    assert again != path and path.exists() and again.exists()
    with pytest.raises(RuntimeError):
        with storage.transaction(ctx.conn):
            backup.make_backup(ctx)


def test_rotation_keeps_seven_daily_and_twelve_monthly(ctx, db_path):
    start = dt.datetime(2023, 1, 1, 8, 0, 0)
    made = []
    for day in range(0, 500, 1):  # one auto backup a day for 500 days
        made.append(backup.make_backup(at(ctx, start + dt.timedelta(days=day)), "auto", rotate_after=False))
    # two on the last day
    made.append(backup.make_backup(at(ctx, start + dt.timedelta(days=499, hours=3)), "auto", rotate_after=False))
    backup.rotate(paths.backups_dir(db_path), "test")
    kept = [when for when, _path in backup.list_backups(paths.backups_dir(db_path), "test")]
    last_day = (start + dt.timedelta(days=499)).date()
    days = sorted({w.date() for w in kept})
    assert [d for d in days if d > last_day - dt.timedelta(days=7)] == [
        last_day - dt.timedelta(days=i) for i in range(6, -1, -1)
    ]
    months = sorted({(w.year, w.month) for w in kept})
    assert len(months) == 12 and months[-1] == (last_day.year, last_day.month)
    # each kept month's copy is that month's newest; each kept day's copy is that day's newest
    assert max(kept) == start + dt.timedelta(days=499, hours=3)
    assert len(kept) == len(set(kept)) <= 7 + 12 + backup.KEEP_LATEST
    by_month = {}
    for w in kept:
        by_month.setdefault((w.year, w.month), []).append(w)
    for (y, m), whens in by_month.items():
        if (y, m) != (last_day.year, last_day.month):
            nxt = dt.datetime(y + (m == 12), m % 12 + 1, 1)
            assert max(whens).date() == (nxt - dt.timedelta(days=1)).date()
    # deterministic: rotating again removes nothing
    assert backup.rotate(paths.backups_dir(db_path), "test") == []


def test_backup_to_a_chosen_folder_is_admin_only_and_audited(ctx, tmp_path):
    add_calls(ctx, 2)
    usb = tmp_path / "usb"
    usb.mkdir()
    clerk = Context(conn=ctx.conn, user="clerk", role=Role.CLERK, clock=lambda: NOW)
    with pytest.raises(PermissionDenied):
        backup.backup_to(clerk, usb)
    path = backup.backup_to(ctx, usb)
    assert path.parent == usb and path.exists()
    with pytest.raises(Refused):
        backup.backup_to(ctx, path)  # never overwrite
    assert audit.entries(ctx.conn, action="backup")[0]["user"] == ctx.user


def test_preview_reads_without_changing_the_file(ctx, tmp_path):
    add_calls(ctx, 4)
    path = backup.backup_to(ctx, tmp_path / "copy.sqlite3")
    before, mtime = digest(path), path.stat().st_mtime_ns
    info = backup.preview_backup(path)
    assert info["is_dudu"] and info["integrity_ok"] and info["schema_ok"]
    assert info["site"]["name"] == "都督村"
    assert info["counts"] == {"disputes": 0, "trainings": 0, "hotline": 4, "publicity": 0}
    assert info["date_range"] == ["2024-12-01", "2024-12-04"]
    assert info["last_change"] == "2024-12-20 10:00:00"
    assert info["schema_version"] == storage.schema_version(ctx.conn)
    assert digest(path) == before and path.stat().st_mtime_ns == mtime
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("copy")) == ["copy.sqlite3"]


def test_preview_of_files_that_are_not_backups(tmp_path):
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"this is not sqlite" * 100)
    assert not backup.preview_backup(junk)["is_dudu"]
    other = tmp_path / "other.sqlite3"
    sqlite3.connect(other).execute("CREATE TABLE t (x)")
    info = backup.preview_backup(other)
    assert not info["is_dudu"] and info["problems"]
    assert backup.preview_backup(tmp_path / "missing.sqlite3")["problems"]


def test_restore_round_trip(ctx, tmp_path):
    kept = add_calls(ctx, 2)
    copy = backup.backup_to(ctx, tmp_path / "copy.sqlite3")
    later = add_calls(ctx, 3, day=10)
    ctx.conn.execute("UPDATE settings SET value = value WHERE key = 'site'")
    info = backup.restore(ctx, copy)
    ids = {r[0] for r in ctx.conn.execute("SELECT id FROM hotline_calls")}
    assert ids == set(kept) and not ids & set(later)
    # the state before the restore was saved and can itself be restored
    saved = info["saved_before"]
    assert saved and backup.preview_backup(saved)["counts"]["hotline"] == 5
    assert audit.entries(ctx.conn, limit=1)[0]["action"] == "restore"
    assert audit.verify_chain(ctx.conn) == []
    assert storage.integrity_problems(ctx.conn) == []
    backup.restore(ctx, saved)
    assert ctx.conn.execute("SELECT count(*) FROM hotline_calls").fetchone()[0] == 5


def test_restore_refuses_bad_copies_and_non_admins(ctx, tmp_path, township_ctx):
    copy = backup.backup_to(ctx, tmp_path / "copy.sqlite3")
    viewer = Context(conn=ctx.conn, user="v", role=Role.VIEWER, clock=lambda: NOW)
    with pytest.raises(PermissionDenied):
        backup.restore(viewer, copy)
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"x" * 4096)
    with pytest.raises(Refused):
        backup.restore(ctx, junk)
    newer = tmp_path / "newer.sqlite3"
    newer.write_bytes(copy.read_bytes())
    conn = sqlite3.connect(newer)
    conn.execute("INSERT INTO _migrations VALUES ('9999_future', '2030-01-01')")
    conn.execute("PRAGMA user_version = 99")
    conn.commit()
    conn.close()
    with pytest.raises(Refused) as exc:
        backup.restore(ctx, newer)
    assert "更新" in str(exc.value) or "新版本" in str(exc.value)
    township_copy = backup.backup_to(township_ctx, tmp_path / "township-copy.sqlite3")
    with pytest.raises(Refused):
        backup.restore(ctx, township_copy)  # another PC's database
    assert ctx.conn.execute("SELECT value FROM settings WHERE key='site'").fetchone()[0].count("都督村")


def corrupt(path, offset_pages=(3, 4, 5)):
    data = bytearray(path.read_bytes())
    for page in offset_pages:
        start = page * 4096
        data[start + 8 : start + 4000] = b"\xff" * (3992)
    path.write_bytes(bytes(data))


def test_damaged_database_found_at_start_and_latest_good_backup_restored(ctx, db_path, tmp_path):
    add_calls(ctx, 30)
    good = backup.make_backup(ctx, "auto")
    ctx.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    ctx.conn.close()
    # a damaged copy that is newer than the good one must be skipped
    bad = paths.backups_dir(db_path) / "test-20241221-100000-auto.sqlite3"
    bad.write_bytes(good.read_bytes())
    corrupt(bad)
    corrupt(db_path)
    damaged = Context(conn=storage.open_database(db_path), clock=lambda: NOW)
    assert backup.startup_problems(damaged.conn)
    assert backup.auto_backup_if_due(at(damaged, NOW + dt.timedelta(days=3))) is None  # never copy damage
    assert backup.latest_good_backup(db_path) == good
    backup.restore(damaged, good)
    assert backup.startup_problems(damaged.conn) == []
    assert damaged.conn.execute("SELECT count(*) FROM hotline_calls").fetchone()[0] == 30
