"""Issue 11, "Trust first": backups, restore and opening the file.

* a restore is one step: the pages copied into the live file already hold the restore's audit entry and
  the new sync epoch, proven by SIGKILL at random points (item 8);
* a damaged live file does not let another village's backup in (item 8);
* a restore waits for another writer only up to the busy timeout, then refuses (item 13);
* concurrent backups in one second neither share a temporary name nor overwrite each other (item 17);
* a read-only file or folder is refused clearly at open, nothing written, never "damaged" (item 18);
* only init and demo create a database (item 19);
* a newer program's file is refused without a byte changed, even in rollback-journal mode (item 20);
* every backup is audited, a failed one is not (item 11).
"""

import hashlib
import json
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dudu_desktop import paths
from dudu_desktop.cli import main
from dudu_desktop.services import audit, backup, epoch, hotline
from dudu_desktop.storage import db as storage
from dudu_desktop.storage.schema import MIGRATIONS
from tests.conftest import make_context

ROOT = Path(__file__).resolve().parent.parent
CALL = {
    "called_at": "2024-12-01 09:30",
    "channel": "电话",
    "category": "劳动",
    "question": "拖欠工资怎么办",
    "anonymous": True,
}
VILLAGE = [
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
OTHER_VILLAGE = [
    "init",
    "--role",
    "village",
    "--code",
    "500243104202",
    "--name",
    "别村",
    "--township-code",
    "500243104000",
    "--township-name",
    "都督乡",
]


def run(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def add_calls(ctx, n):
    return [hotline.create_call(ctx, dict(CALL)) for _ in range(n)]


def child_env(**extra):
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
        "DUDU_LANG": "zh_CN",
        **extra,
    }


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def changes(entry) -> dict:
    value = entry["changes"]
    return json.loads(value) if isinstance(value, str) else value


# --- item 8: a restore is one step -------------------------------------------------------------

RESTORER = r"""
import sys
from pathlib import Path
from dudu_desktop.services import backup
from dudu_desktop.services.context import Context
from dudu_desktop.storage.db import open_database

ctx = Context(conn=open_database(sys.argv[1]), user="restorer")
copies = sys.argv[2:]
print("ready", flush=True)
n = 0
while True:
    path = copies[n % len(copies)]
    backup.restore(ctx, path)
    sys.stdout.write(Path(path).name + "\n")        # only after restore() returned
    sys.stdout.flush()
    n += 1
"""


def _state(db: Path) -> dict:
    conn = storage.connect(db)
    try:
        assert storage.integrity_problems(conn) == []
        assert audit.verify_chain(conn) == []
        restores = audit.entries(conn, action="restore")
        after = [
            r[0]
            for r in conn.execute(
                "SELECT action FROM audit_log WHERE seq > ?", (restores[0]["seq"] if restores else 0,)
            )
        ]
        return {
            "calls": conn.execute("SELECT count(*) FROM hotline_calls").fetchone()[0],
            "restores": restores,
            "after": after,
            "epoch": epoch.epoch_state(conn),
        }
    finally:
        conn.close()


def test_a_killed_restore_is_all_or_nothing_with_its_audit_entry_and_new_epoch(ctx, db_path, tmp_path):
    add_calls(ctx, 5)
    copy_a = backup.backup_to(ctx, tmp_path / "a.sqlite3")  # 5 calls
    add_calls(ctx, 2)
    copy_b = backup.backup_to(ctx, tmp_path / "b.sqlite3")  # 7 calls
    add_calls(ctx, 2)  # the live file: 9 calls, never restored
    ctx.conn.close()
    expected = {9: None, 5: copy_a.name, 7: copy_b.name}
    rng = random.Random(20241220)
    finished, last_epoch, seen = 0, 0, set()
    for _round in range(12):
        proc = subprocess.Popen(
            [sys.executable, "-c", RESTORER, str(db_path), str(copy_a), str(copy_b)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            env=child_env(),
        )
        assert proc.stdout.readline() == "ready\n", proc.stderr.read()
        time.sleep(rng.uniform(0.02, 0.6))
        proc.kill()
        out, err = proc.communicate(timeout=30)
        assert "Traceback" not in err, err
        finished += len([line for line in out.split("\n")[:-1] if line])
        state = _state(db_path)
        name = expected[state["calls"]]  # 9, 5 or 7 calls: nothing half-done
        seen.add(state["calls"])
        if name is None:  # the old state: no trace of a restore
            assert state["restores"] == [] and state["epoch"]["epoch"] == 0
        else:  # the restored state, with its entry and its new epoch
            assert len(state["restores"]) == 1
            assert changes(state["restores"][0])["file"][1] == name
            assert set(state["after"]) <= {"backup"}  # the next round's copy of the state before
            assert state["epoch"]["backup"] == name and state["epoch"]["announced"] is False
            assert state["epoch"]["epoch"] >= last_epoch and state["epoch"]["epoch"] > 0
            last_epoch = state["epoch"]["epoch"]
    assert finished >= 3, "no restore finished: make the delays longer"
    assert seen & {5, 7}
    # a killed restore leaves at most a temporary file beside the database, never in its place
    assert all(
        p.name.startswith(".") or p.name.startswith("test.sqlite3") or p.name in ("a.sqlite3", "b.sqlite3", "backups")
        for p in tmp_path.iterdir()
    )


def test_restore_audits_and_starts_a_new_epoch_in_the_restored_file(tmp_path, capsys):
    db = tmp_path / "v.sqlite3"
    assert run(capsys, "--db", db, *VILLAGE)[0] == 0
    code, out, _ = run(capsys, "--db", db, "backup", "--json")
    copy = Path(json.loads(out)["file"])
    code, out, err = run(capsys, "--db", db, "restore", copy, "--json")
    assert code == 0, err
    result = json.loads(out)
    conn = storage.connect(db)
    last = audit.entries(conn, limit=1)[0]
    assert last["action"] == "restore" and changes(last)["file"] == [None, copy.name]
    state = epoch.epoch_state(conn)
    assert state["backup"] == copy.name and state["epoch"] == result["epoch"] > 0
    assert audit.verify_chain(conn) == []
    conn.close()


def _break(db: Path) -> None:
    for suffix in ("-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    db.write_bytes(b"this file was damaged " * 400)


def test_a_damaged_file_does_not_take_another_villages_backup(tmp_path, capsys):
    db, other = tmp_path / "v.sqlite3", tmp_path / "other" / "o.sqlite3"
    assert run(capsys, "--db", db, *VILLAGE)[0] == 0
    village = make_context_for(db)
    hotline.create_call(village, dict(CALL))
    village.conn.close()
    assert run(capsys, "--db", db, "backup")[0] == 0  # this PC's copy, in its backups folder
    assert run(capsys, "--db", other, *OTHER_VILLAGE)[0] == 0
    foreign = tmp_path / "foreign.sqlite3"
    assert run(capsys, "--db", other, "backup", "--out", foreign)[0] == 0
    _break(db)
    before = digest(db)
    code, _, err = run(capsys, "--db", db, "restore", foreign)
    assert code == 1 and "别村" in err and "Traceback" not in err
    assert digest(db) == before
    own = backup.latest_good_backup(db)
    code, _, err = run(capsys, "--db", db, "restore", own)
    assert code == 0, err
    conn = storage.connect(db)
    assert conn.execute("SELECT count(*) FROM hotline_calls").fetchone()[0] == 1
    assert audit.entries(conn, limit=1)[0]["action"] == "restore"
    assert epoch.epoch_state(conn)["backup"] == own.name
    conn.close()


def make_context_for(db: Path):
    from dudu_desktop.services.context import Context

    return Context(conn=storage.open_database(db, create=False), user="tester")


def test_an_unreadable_site_is_checked_against_the_backups_folder(ctx, db_path, tmp_path, township_ctx):
    backup.make_backup(ctx, "auto")
    foreign = backup.backup_to(township_ctx, tmp_path / "township-copy.sqlite3")
    ctx.conn.execute("DELETE FROM settings WHERE key = 'site'")  # what a damaged settings page reads as
    with pytest.raises(backup.Refused, match="都督乡"):
        backup.restore(ctx, foreign)


# --- item 13: a restore waits for another writer only so long ---------------------------------


def test_restore_refuses_when_another_writer_holds_the_file(tmp_path, capsys):
    db = tmp_path / "v.sqlite3"
    assert run(capsys, "--db", db, *VILLAGE)[0] == 0
    code, out, _ = run(capsys, "--db", db, "backup", "--json")
    copy = json.loads(out)["file"]
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another program is writing
    try:
        started = time.monotonic()
        done = subprocess.run(
            [sys.executable, "-m", "dudu_desktop", "--db", str(db), "restore", copy],
            capture_output=True,
            text=True,
            encoding="utf-8",
            env=child_env(DUDU_BUSY_TIMEOUT_MS="600"),
            timeout=60,
        )
        assert time.monotonic() - started < 30
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "正在写入" in done.stderr
    conn = storage.connect(db)
    assert audit.entries(conn, action="restore") == []
    conn.close()


# --- item 17: concurrent backups ----------------------------------------------------------------

BACKER = r"""
import datetime as dt, sys, time
from dudu_desktop.services import backup
from dudu_desktop.services.context import Context
from dudu_desktop.storage.db import open_database

ctx = Context(conn=open_database(sys.argv[1]), user="b", clock=lambda: dt.datetime(2024, 12, 20, 10, 0, 0))
start = float(sys.argv[2])
while time.time() < start:
    time.sleep(0.001)
print(backup.make_backup(ctx, "manual", rotate_after=False), flush=True)
"""


def test_concurrent_backups_in_one_second_each_keep_their_own_file(ctx, db_path):
    with storage.transaction(ctx.conn):
        ctx.conn.execute("CREATE TABLE filler (x BLOB)")
        ctx.conn.executemany("INSERT INTO filler VALUES (randomblob(65536))", [()] * 40)  # ~2.6 MB
    start = time.time() + 4
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", BACKER, str(db_path), str(start)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            env=child_env(),
        )
        for _ in range(5)
    ]
    results = [p.communicate(timeout=60) + (p.returncode,) for p in procs]
    assert all(code == 0 for _out, _err, code in results), [err for _o, err, _c in results]
    made = [Path(out.strip()) for out, _err, _code in results]
    assert len(set(made)) == 5  # five names, none overwritten by another
    for path in made:
        copy = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert copy.execute("SELECT count(*) FROM filler").fetchone()[0] == 40
        copy.close()
    assert len(audit.entries(ctx.conn, action="backup")) == 5


def test_a_backup_leaves_another_process_partial_alone_and_cleans_only_old_ones(ctx, db_path):
    folder = paths.backups_dir(db_path)
    folder.mkdir(parents=True, exist_ok=True)
    live = folder / "test-20241220-100000-manual.sqlite3.partial"  # another backup still writing
    live.write_bytes(b"in progress")
    old = folder / "test-20241219-100000-manual.sqlite3.partial-1-abcd"  # a crash's leftover
    old.write_bytes(b"left behind")
    hour_ago = time.time() - 7200
    os.utime(old, (hour_ago, hour_ago))
    made = backup.make_backup(ctx, "manual")
    assert made.exists() and live.read_bytes() == b"in progress"
    assert not old.exists()


# --- item 18: a read-only file or folder -------------------------------------------------------


def _drop_root_powers() -> list[str] | None:
    """A command prefix under which root obeys permission bits (no CAP_DAC_OVERRIDE), or None."""
    if os.name != "posix":
        return None
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if not setpriv:
        return None
    prefix = [setpriv, "--bounding-set=-dac_override,-fowner", "--inh-caps=-all", "--"]
    probe = subprocess.run(
        [
            *prefix,
            sys.executable,
            "-c",
            "import os, sys, tempfile\n"
            "fd, name = tempfile.mkstemp(); os.chmod(name, 0o444)\n"
            "writable = os.access(name, os.W_OK); os.close(fd); os.unlink(name)\n"
            "sys.exit(1 if writable else 0)",
        ],
        capture_output=True,
    )
    return prefix if probe.returncode == 0 else None


def _cli(prefix, *args, **env):
    return subprocess.run(
        [*prefix, sys.executable, "-B", "-m", "dudu_desktop", *map(str, args)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=child_env(**env),
        timeout=120,
    )


def _files(folder: Path) -> dict:
    return {p.name: digest(p) for p in folder.iterdir() if p.is_file()}


@pytest.mark.parametrize("what", ["file", "folder"])
def test_a_read_only_file_or_folder_is_refused_clearly_and_left_alone(tmp_path, capsys, monkeypatch, what):
    prefix = _drop_root_powers()
    if prefix is None:
        pytest.skip("cannot make permission bits apply here")
    folder = tmp_path / "data"
    db = folder / "v.sqlite3"
    monkeypatch.setenv("DUDU_PASSWORD", "correct horse 42")
    assert run(capsys, "--db", db, *VILLAGE, "--admin", "boss")[0] == 0
    monkeypatch.delenv("DUDU_PASSWORD")
    conn = storage.connect(db)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    shutil.rmtree(folder / "backups", ignore_errors=True)
    for suffix in ("-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    if what == "file":
        db.chmod(0o444)
    else:
        folder.chmod(0o555)
    before = _files(folder)
    try:
        for args, env in (
            (["stats"], {"DUDU_USER": "boss", "DUDU_PASSWORD": "correct horse 42"}),
            (["stats"], {"DUDU_USER": "boss", "DUDU_PASSWORD": "wrong"}),
            (["backup"], {"DUDU_USER": "boss", "DUDU_PASSWORD": "correct horse 42"}),
            (["check"], {}),
        ):
            done = _cli(prefix, "--db", db, *args, DUDU_HOME=str(tmp_path / "home"), **env)
            assert done.returncode == 1, (args, done.stdout, done.stderr)
            assert "Traceback" not in done.stderr
            assert "只读" in done.stderr and "损坏" not in done.stderr, done.stderr
            assert (str(db) if what == "file" else str(folder)) in done.stderr
    finally:
        folder.chmod(0o755)
        db.chmod(0o644)
    assert _files(folder) == before  # nothing written, nothing created
    assert sorted(p.name for p in folder.iterdir()) == sorted(before)


def test_a_database_on_a_read_only_mount_is_refused(tmp_path, capsys):
    mount = tmp_path / "mnt"
    mount.mkdir()
    if (
        os.name != "posix"
        or not shutil.which("mount")
        or os.geteuid() != 0
        or subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(mount)], capture_output=True
        ).returncode
    ):
        pytest.skip("no tmpfs mount here")
    try:
        db = mount / "v.sqlite3"
        assert run(capsys, "--db", db, *VILLAGE)[0] == 0
        conn = storage.connect(db)
        conn.execute("PRAGMA journal_mode = DELETE")
        conn.close()
        if subprocess.run(["mount", "-o", "remount,ro", str(mount)], capture_output=True).returncode:
            pytest.skip("cannot remount read-only")
        before = _files(mount)
        code, _, err = run(capsys, "--db", db, "stats")
        assert code == 1 and "只读" in err and "损坏" not in err
        assert _files(mount) == before
    finally:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True)


# --- item 19: only init and demo create a database ----------------------------------------------


@pytest.mark.parametrize(
    "command",
    [
        ["stats"],
        ["audit"],
        ["check"],
        ["backup"],
        ["user", "list"],
        ["restore", "some-backup.sqlite3"],
        ["export", "--out", "x"],
    ],
)
def test_a_mistyped_database_name_creates_nothing(tmp_path, capsys, command):
    for db in (tmp_path / "typo.sqlite3", tmp_path / "no-such-folder" / "typo.sqlite3"):
        try:
            code, _, err = run(capsys, "--db", db, *command)
        except SystemExit:  # a command spelled differently in this version
            pytest.skip(f"no command {command}")
        assert code == 1 and str(db) in err, err
        assert list(tmp_path.iterdir()) == [], list(tmp_path.iterdir())


def test_demo_still_sets_up_a_new_file(tmp_path, capsys):
    db = tmp_path / "new" / "demo.sqlite3"
    code, _, err = run(capsys, "--db", db, "demo", "--villages", "2")
    assert code == 0, err
    assert run(capsys, "--db", db, "stats")[0] == 0


# --- item 20: a newer file in rollback-journal mode is left byte for byte --------------------------


def test_a_newer_rollback_journal_file_is_refused_without_a_byte_changed(tmp_path, capsys):
    db = tmp_path / "newer.sqlite3"
    make_context(db).conn.close()
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA journal_mode = DELETE")
    conn.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 3}")
    conn.close()
    before = db.read_bytes()
    assert before[18:20] == b"\x01\x01"
    code, _, err = run(capsys, "--db", db, "stats")
    assert code == 1 and "更新版本" in err
    assert db.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["newer.sqlite3"]


# --- item 11 (backup part): every backup is audited -----------------------------------------------


def test_every_backup_is_audited_and_a_failed_one_is_not(tmp_path, capsys):
    db = tmp_path / "v.sqlite3"
    assert run(capsys, "--db", db, *VILLAGE)[0] == 0
    code, out, _ = run(capsys, "--db", db, "backup", "--json")  # also the day's automatic copy
    manual = Path(json.loads(out)["file"])
    stick = tmp_path / "usb"
    stick.mkdir()
    code, out, _ = run(capsys, "--db", db, "backup", "--out", stick, "--json")
    external = Path(json.loads(out)["file"])
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    code, _, err = run(capsys, "--db", db, "backup", "--out", blocker / "copy.sqlite3")
    assert code == 1 and "Traceback" not in err
    conn = storage.connect(db)
    entries = audit.entries(conn, action="backup")
    conn.close()
    logged = [(changes(e)["file"][1], changes(e).get("reason", [None, None])[1]) for e in reversed(entries)]
    assert len(logged) == 3 and logged[0][1] == "auto"  # the day's automatic copy, at the first command
    assert logged[1:] == [(manual.name, "manual"), (external.name, "external")]
    assert "copy.sqlite3" not in {name for name, _reason in logged}
