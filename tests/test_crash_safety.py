"""Crash safety, proven: a child process writes records through the services and reports each id
once its transaction has committed; the parent kills it (SIGKILL) at random moments, many times, then
checks the file's integrity, the audit chain, and that every id reported committed is there.
Also: a copy interrupted by a kill never carries a finished copy's name.
"""

import os
import random
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from dudu_desktop.services import audit
from dudu_desktop.storage import db as storage

ROOT = Path(__file__).resolve().parent.parent

WRITER = r"""
import sys
from dudu_desktop.services import disputes, hotline
from dudu_desktop.services.context import Context
from dudu_desktop.storage.db import open_database

ctx = Context(conn=open_database(sys.argv[1]), user="writer")
print("ready", flush=True)
n = 0
while True:
    n += 1
    if n % 2:
        rid = hotline.create_call(ctx, {"called_at": "2024-12-01 09:30", "channel": "电话", "category": "劳动",
                                        "question": "问题%d" % n, "anonymous": True})
    else:   # several rows in one transaction: the dispute and its two parties
        rid = disputes.create_dispute(ctx, {"registered_on": "2024-12-01", "dispute_type": "邻里",
                                            "summary": "纠纷%d" % n, "source": "主动排查",
                                            "method": "人民调解", "mediator": "王调解"},
                                      [{"name": "张三", "role": "申请人"}, {"name": "李四", "role": "被申请人"}])
    sys.stdout.write(rid + "\n")        # only after the service's COMMIT returned
    sys.stdout.flush()
"""

COPIER = r"""
import sqlite3, sys
from pathlib import Path
from dudu_desktop.services.backup import write_copy

conn = sqlite3.connect(sys.argv[1], isolation_level=None)
folder = Path(sys.argv[2])
start = int(sys.argv[3])
print("ready", flush=True)
n = start
while True:
    target = folder / ("copy-%05d.sqlite3" % n)
    write_copy(conn, target)
    sys.stdout.write(target.name + "\n")
    sys.stdout.flush()
    n += 1
"""


def child(code, *args):
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.Popen(
        [sys.executable, "-c", code, *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
        env=env,
    )
    first = proc.stdout.readline()
    assert first == "ready\n", proc.stderr.read()
    return proc


def kill_and_collect(proc, delay) -> list[str]:
    """Kill at the given moment; the complete lines the child wrote before dying."""
    time.sleep(delay)  # the random moment of the "power cut", not a synchronisation
    proc.kill()  # SIGKILL on POSIX
    out, err = proc.communicate(timeout=30)
    assert proc.returncode != 0
    assert "Traceback" not in err, err
    lines = out.split("\n")
    return [line for line in lines[:-1] if line]  # the last piece may be cut mid-line


def test_committed_records_survive_sigkill(ctx, db_path):
    rng = random.Random(20241220)
    db = db_path  # set up as a village by the ctx fixture
    committed: list[str] = []
    rounds = rng.randint(15, 25)
    for _ in range(rounds):
        committed += kill_and_collect(child(WRITER, db), rng.uniform(0.05, 0.5))
    assert len(committed) > rounds  # the children really wrote between kills

    conn = storage.connect(db)
    assert storage.integrity_problems(conn) == []
    assert audit.verify_chain(conn) == []
    present = {r[0] for r in conn.execute("SELECT id FROM hotline_calls UNION ALL SELECT id FROM disputes")}
    missing = [rid for rid in committed if rid not in present]
    assert missing == []
    # all or nothing: every dispute has both parties, and no party lost its dispute
    parties = dict(
        conn.execute(
            "SELECT d.id, count(p.id) FROM disputes d LEFT JOIN dispute_parties p ON p.dispute_id = d.id GROUP BY d.id"
        ).fetchall()
    )
    assert set(parties.values()) == {2}
    assert (
        conn.execute(
            "SELECT count(*) FROM dispute_parties WHERE dispute_id NOT IN (SELECT id FROM disputes)"
        ).fetchone()[0]
        == 0
    )
    # every row's audit entry is there (change_seq points at an entry for that record)
    assert (
        conn.execute(
            "SELECT count(*) FROM hotline_calls h LEFT JOIN audit_log a ON a.seq = h.change_seq "
            "AND a.record_id = h.id WHERE a.seq IS NULL"
        ).fetchone()[0]
        == 0
    )
    conn.close()


def test_a_killed_copy_never_looks_finished(ctx, db_path, tmp_path):
    rng = random.Random(7)
    db = db_path
    with storage.transaction(ctx.conn):
        ctx.conn.execute("CREATE TABLE filler (x BLOB)")
        ctx.conn.executemany("INSERT INTO filler VALUES (randomblob(262144))", [()] * 60)  # ~15 MB
    ctx.conn.close()
    folder = tmp_path / "copies"
    finished: list[str] = []
    for round_no in range(12):
        finished += kill_and_collect(child(COPIER, db, folder, round_no * 1000), rng.uniform(0.05, 0.4))
    assert finished, "no copy finished: make the delays longer"
    names = sorted(p.name for p in folder.iterdir())
    complete = [n for n in names if n.endswith(".sqlite3")]
    assert set(finished) <= set(complete)
    # whatever carries a final name is a whole, intact copy; anything cut short kept its .partial name
    for name in complete:
        copy = sqlite3.connect(f"file:{folder / name}?mode=ro", uri=True)
        assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok", name
        assert copy.execute("SELECT count(*) FROM filler").fetchone()[0] == 60
        copy.close()
    # leftovers of an interrupted copy (the copy and its -journal/-wal/-shm) all keep the .partial name
    assert all(n.endswith(".sqlite3") or ".sqlite3.partial" in n for n in names), names
    assert storage.integrity_problems(storage.connect(db)) == []


# --- sealed bundles: a killed export never leaves a finished-looking file; a killed import is all or nothing

EXPORTER = r"""
import sys
from dudu_desktop.services.context import Context
from dudu_desktop.storage.db import open_database
from dudu_desktop.sync.export import export_bundle

ctx = Context(conn=open_database(sys.argv[1]), user="cadre")
print("ready", flush=True)
while True:
    result = export_bundle(ctx, sys.argv[2], full=True)
    sys.stdout.write(result.path.name + "\n")          # only after the file was renamed and the export recorded
    sys.stdout.flush()
"""

IMPORTER = r"""
import sys
from dudu_desktop.services.context import Context
from dudu_desktop.storage.db import open_database
from dudu_desktop.sync.merge import apply_bundle

ctx = Context(conn=open_database(sys.argv[1]), user="township")
print("ready", flush=True)
for path in sys.argv[2:]:
    apply_bundle(ctx, path)
    sys.stdout.write(path + "\n")                      # only after the import's COMMIT returned
    sys.stdout.flush()
print("done", flush=True)
"""


def _sealed_world(tmp_path, villages: int):
    """A township and ``villages`` registered villages with a year of demo records each."""
    from dudu_desktop.services import demo
    from tests.test_seal import new_township, new_village, register

    town = new_township(tmp_path / "town.sqlite3")
    out = []
    for i in range(villages):
        code = f"5002431042{i + 1:02d}"
        village = new_village(tmp_path / f"v{i}.sqlite3", (code, f"第{i + 1}村"))
        demo.generate(village, year=2024, seed=30 + i)
        register(town, village, tmp_path)
        out.append(village)
    return town, out


def test_a_killed_export_never_leaves_a_finished_looking_bundle(tmp_path):
    from dudu_desktop.sync.merge import preview_bundle

    rng = random.Random(11)
    town, [village] = _sealed_world(tmp_path, 1)
    village_db = tmp_path / "v0.sqlite3"
    village.conn.close()
    usb = tmp_path / "usb"
    usb.mkdir()
    reported: list[str] = []
    for _ in range(rng.randint(10, 15)):
        reported += kill_and_collect(child(EXPORTER, village_db, usb), rng.uniform(0.05, 0.6))
    assert reported, "no export finished: make the delays longer"
    names = sorted(p.name for p in usb.iterdir())
    finished = [n for n in names if n.endswith(".dudu")]
    assert set(reported) <= set(finished)
    # everything else is an interrupted write that kept its temporary name
    assert all(
        n.endswith(".dudu") or (n.startswith(".") and ".dudu." in n and n.endswith(".partial")) for n in names
    ), names
    for name in finished:  # every finished-looking file opens, verifies and reads whole
        result = preview_bundle(town, usb / name)
        assert result.sealed and result.totals["invalid"] == 0 and result.totals["new"] > 0
    conn = storage.connect(village_db)
    assert storage.integrity_problems(conn) == []
    assert audit.verify_chain(conn) == []
    conn.close()
    town.conn.close()


def test_a_killed_import_leaves_each_bundle_all_or_nothing(tmp_path):
    from dudu_desktop.storage.schema import RECORD_TABLES
    from dudu_desktop.sync.export import export_bundle

    rng = random.Random(5)
    town, villages = _sealed_world(tmp_path, 4)
    usb = tmp_path / "usb"
    usb.mkdir()
    bundles, expected = [], {}
    for village in villages:
        bundles.append(export_bundle(village, usb, full=True).path)
        code = village.conn.execute("SELECT json_extract(value, '$.code') FROM settings WHERE key = 'site'").fetchone()[
            0
        ]
        expected[code] = {t: {r[0] for r in village.conn.execute(f"SELECT id FROM {t}")} for t in RECORD_TABLES}
        village.conn.close()
    pristine = tmp_path / "town.sqlite3"
    town.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    town.conn.close()

    def check(town_db) -> set[str]:
        """Integrity, the audit chain, and every village's bundle either wholly in or wholly absent."""
        conn = storage.connect(town_db)
        assert storage.integrity_problems(conn) == []
        assert audit.verify_chain(conn) == []
        applied = {r[0] for r in conn.execute("SELECT village_code FROM sync_imports")}
        for code, tables in expected.items():
            for table, ids in tables.items():
                have = {r[0] for r in conn.execute(f"SELECT id FROM {table} WHERE village_code = ?", (code,))}
                assert have == (ids if code in applied else set()), (code, table, len(have), len(ids))
        conn.close()
        return applied

    # each round starts from the township as it was before any import and is cut at a random moment
    for round_no in range(rng.randint(8, 12)):
        town_db = tmp_path / f"town-{round_no}.sqlite3"
        shutil.copyfile(pristine, town_db)
        proc = child(IMPORTER, town_db, *bundles)
        time.sleep(rng.uniform(0.05, 1.5))  # the random moment of the "power cut", not a synchronisation
        proc.kill()
        out, err = proc.communicate(timeout=60)
        assert "Traceback" not in err, err
        reported = [line for line in out.split("\n")[:-1] if line and line != "done"]
        applied = check(town_db)
        assert {Path(p).name.split("_")[0] for p in reported} <= applied  # reported = committed
        # the interrupted township carries on: bundles applied before are recognised, not doubled
        if round_no % 3 == 0:
            proc = child(IMPORTER, town_db, *bundles)
            out, err = proc.communicate(timeout=120)
            assert proc.returncode == 0 and out.endswith("done\n"), err
            assert check(town_db) == set(expected)
            conn = storage.connect(town_db)
            assert conn.execute("SELECT count(*) FROM sync_imports").fetchone()[0] == len(bundles)
            conn.close()
