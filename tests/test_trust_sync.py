"""Issue 11 ("Trust first"), the sync items, each as the recipe that broke it, through the command
line where it is reachable: a restore's later edits reach the township (epochs), a bundle touches
only its own village's records, registration files are ordered, depth bombs are refused and one bad
file never stops the others, export never leaves an unrecorded bundle, and the township witnesses
each village's audit chain."""

from __future__ import annotations

import json
import shutil
import sqlite3
import struct
from pathlib import Path

import pytest

from dudu_desktop.cli import main
from dudu_desktop.domain import bounded_json
from dudu_desktop.services import disputes, records
from dudu_desktop.storage import db as storage
from dudu_desktop.sync import seal
from tests.test_seal import A, B, new_township, new_village, register


def db_file(ctx) -> str:
    return ctx.conn.execute("PRAGMA database_list").fetchone()[2]


def run(capsys, *args) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def new_dispute(ctx, summary="宅基地边界纠纷", name="张三") -> str:
    return disputes.create_dispute(
        ctx,
        {
            "registered_on": "2024-12-01",
            "dispute_type": "邻里",
            "summary": summary,
            "source": "主动排查",
            "method": "人民调解",
            "mediator": "王调解",
        },
        [{"name": name, "role": "申请人"}, {"name": "李四", "role": "被申请人"}],
    )


@pytest.fixture
def world(tmp_path):
    """A township and village A, registered; the databases closed so the CLI can open them."""
    town = new_township(tmp_path / "town.sqlite3")
    village = new_village(tmp_path / "a.sqlite3")
    usb = tmp_path / "usb"
    usb.mkdir()
    register(town, village, usb)
    yield town, village, usb
    town.conn.close()
    village.conn.close()


# --- 12. depth bombs; one bad file never stops the rest ------------------------------------------------


def test_bounded_json_refuses_deep_and_large_text_before_parsing():
    assert bounded_json.loads('{"a": [1, {"b": "[[[["}]}', max_bytes=100, max_depth=3) == {"a": [1, {"b": "[[[["}]}
    with pytest.raises(ValueError):
        bounded_json.loads("[" * 4000, max_bytes=10_000, max_depth=32)
    with pytest.raises(ValueError):
        bounded_json.loads("[" * 100_000 + "]" * 100_000, max_bytes=1_000_000, max_depth=32)
    with pytest.raises(ValueError):
        bounded_json.loads('"' + "x" * 200 + '"', max_bytes=100, max_depth=3)


def test_import_a_depth_bomb_then_a_good_bundle_imports_the_good_one(world, tmp_path, capsys):
    town, village, usb = world
    new_dispute(village)
    good = Path(run(capsys, "--db", db_file(village), "export", "--out", usb)[1].strip())
    header = b"[" * 4000
    bomb = usb / f"{A[0]}_00009_20241220.dudu"
    bomb.write_bytes(struct.pack(">8sBH", seal.MAGIC, seal.VERSION, len(header)) + header + b"\0" * 200)
    assert bomb.stat().st_size < 4500
    code, out, err = run(capsys, "--db", db_file(town), "import", bomb, good)
    assert code == 1
    assert bomb.name in err and "Traceback" not in err
    assert "新增" in out and good.name in out  # the good bundle after the bomb still went in
    assert town.conn.execute("SELECT count(*) FROM disputes").fetchone()[0] == 1


def test_a_registration_file_of_brackets_is_refused_cleanly(world, tmp_path, capsys):
    _town, village, _usb = world
    bomb = tmp_path / "bomb.dudukey"
    bomb.write_bytes(b"[" * 60_000)
    code, _out, err = run(capsys, "--db", db_file(village), "import-registration", bomb)
    assert code == 1 and "bomb.dudukey" in err and "Traceback" not in err


def test_report_texts_set_with_a_deep_json_is_refused_cleanly(world, tmp_path, capsys):
    _town, village, _usb = world
    bomb = tmp_path / "texts.json"
    bomb.write_text("[" * 50_000)
    code, _out, err = run(capsys, "--db", db_file(village), "report", "texts", "--year", 2024, "--set", bomb)
    assert code == 1 and "texts.json" in err
    good = tmp_path / "good.json"
    good.write_text(json.dumps({"intro": "今年我村法治建设取得新进展。"}, ensure_ascii=False), encoding="utf-8")
    code, out, _err = run(capsys, "--db", db_file(village), "report", "texts", "--year", 2024, "--set", good)
    assert code == 0 and json.loads(out)["intro"] == "今年我村法治建设取得新进展。"


# --- 13. export never leaves a bundle the database did not record ---------------------------------------


@pytest.fixture
def short_busy_timeout(monkeypatch):
    real = storage.connect

    def connect(path):
        conn = real(path)
        conn.execute("PRAGMA busy_timeout = 200")
        return conn

    monkeypatch.setattr(storage, "connect", connect)


def test_export_while_another_writer_holds_the_lock_leaves_no_bundle(world, capsys, short_busy_timeout):
    _town, village, usb = world
    new_dispute(village)
    path = db_file(village)
    village.conn.close()
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        code, out, err = run(capsys, "--db", path, "export", "--out", usb)
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert code == 1 and "Traceback" not in err
    assert "数据库" in err and out == ""
    assert [p.name for p in usb.iterdir() if p.suffix in (".dudu", ".zip")] == []
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT count(*) FROM sync_exports").fetchone()[0] == 0
    conn.close()
    # once the other writer is gone, the export goes through
    code, out, _err = run(capsys, "--db", path, "export", "--out", usb)
    assert code == 0 and Path(out.strip()).exists()


def test_export_whose_record_fails_removes_the_bundle(world, monkeypatch):
    from dudu_desktop.domain.problems import Refused
    from dudu_desktop.sync import export as export_mod

    _town, village, usb = world
    new_dispute(village)
    real = export_mod.audit.append

    def full_disk(conn, **kw):
        if kw.get("action") == "export_bundle":
            raise sqlite3.OperationalError("database or disk is full")
        return real(conn, **kw)

    monkeypatch.setattr(export_mod.audit, "append", full_disk)
    with pytest.raises(Refused) as info:
        export_mod.export_bundle(village, usb)
    message = info.value.problems[0].message  # the reason in Chinese (issue 11 item 21)
    assert "磁盘已满" in message and "database or disk is full" not in message
    assert list(usb.glob("*.dudu")) == [] and list(usb.glob(".*partial")) == []
    assert village.conn.execute("SELECT count(*) FROM sync_exports").fetchone()[0] == 0
    assert not village.conn.in_transaction


# --- 10. registration files are ordered ------------------------------------------------------------------


def test_an_old_registration_file_is_refused_after_a_rekey(world, tmp_path, capsys):
    town, village, _usb = world
    old_file = tmp_path / "old.dudukey"
    code, _out, _err = run(
        capsys, "--db", db_file(town), "register-village", "--code", A[0], "--name", A[1], "--out", old_file
    )
    assert code == 0
    assert run(capsys, "--db", db_file(village), "import-registration", old_file)[0] == 0
    new_file = tmp_path / "new.dudukey"
    assert (
        run(capsys, "--db", db_file(town), "register-village", "--code", A[0], "--name", A[1], "--out", new_file)[0]
        == 0
    )  # re-key (the old stick was lost)
    assert run(capsys, "--db", db_file(village), "import-registration", new_file)[0] == 0
    key_after_rekey = village.conn.execute(
        "SELECT key_id FROM sync_keys WHERE owner = ? AND retired_at IS NULL", (A[0],)
    ).fetchall()
    code, _out, err = run(capsys, "--db", db_file(village), "import-registration", old_file)
    assert code == 1 and "old.dudukey" in err and "并不比" in err and "Traceback" not in err
    assert (
        village.conn.execute("SELECT key_id FROM sync_keys WHERE owner = ? AND retired_at IS NULL", (A[0],)).fetchall()
        == key_after_rekey
    )
    # the file the village holds may be imported again (it changes nothing); bundles go through with the new key
    assert run(capsys, "--db", db_file(village), "import-registration", new_file)[0] == 0
    assert (
        village.conn.execute("SELECT key_id FROM sync_keys WHERE owner = ? AND retired_at IS NULL", (A[0],)).fetchall()
        == key_after_rekey
    )
    usb = tmp_path / "stick"
    usb.mkdir()
    new_dispute(village)
    code, out, _err = run(capsys, "--db", db_file(village), "export", "--out", usb)
    assert code == 0
    assert run(capsys, "--db", db_file(town), "import", out.strip())[0] == 0


# --- 2. a bundle touches only its own village's records --------------------------------------------------


def _members(zip_bytes: bytes) -> dict[str, bytes]:
    import io
    import zipfile

    with zipfile.ZipFile(io.BytesIO(zip_bytes)) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def _csv_rows(data: bytes) -> tuple[list[str], list[list[str]]]:
    import csv
    import io

    rows = list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))
    return rows[0], rows[1:]


def _rebuild(members: dict[str, bytes], tables: dict[str, tuple[list[str], list[list[str]]]]) -> bytes:
    """The plain bundle with some tables replaced, its description brought in line (as a village that
    holds its own key can do)."""
    import hashlib

    from dudu_desktop.sync import bundle as fmt

    descriptor = json.loads(members[fmt.DESCRIPTOR])
    for table, (headers, rows) in tables.items():
        data = fmt.encode_csv(headers, rows)
        members[f"{table}.csv"] = data
        res = next(r for r in descriptor["resources"] if r["path"] == f"{table}.csv")
        res.update(bytes=len(data), hash="sha256:" + hashlib.sha256(data).hexdigest())
        descriptor["dudu"]["row_counts"][table] = len(rows)
    members[fmt.DESCRIPTOR] = json.dumps(descriptor, ensure_ascii=False).encode("utf-8")
    return seal.zip_bytes(list(members.items()), fmt.MEMBER_NAMES)


def test_a_bundle_signed_by_one_village_cannot_take_another_villages_record(tmp_path, capsys):
    from dudu_desktop.storage.ids import new_id
    from dudu_desktop.sync import keys

    town = new_township(tmp_path / "town.sqlite3")
    village_a, village_b = new_village(tmp_path / "a.sqlite3"), new_village(tmp_path / "b.sqlite3", B)
    usb = tmp_path / "usb"
    usb.mkdir()
    register(town, village_a, usb)
    register(town, village_b, usb)
    victim = new_dispute(village_b, summary="桐木村的纠纷", name="王五")
    b_bundle = Path(run(capsys, "--db", db_file(village_b), "export", "--out", usb)[1].strip())
    assert run(capsys, "--db", db_file(town), "import", b_bundle)[0] == 0
    own = new_dispute(village_a, summary="都督村自己的纠纷")
    # village A (holding its own key) writes a bundle carrying B's dispute as its own, version + 1,
    # and a party row of its own hanging on B's dispute
    plain = tmp_path / "a_plain"
    plain.mkdir()
    a_zip = Path(run(capsys, "--db", db_file(village_a), "export", "--out", plain, "--unsealed")[1].strip())
    members = _members(a_zip.read_bytes())
    b_rows = {
        t: _csv_rows(m)
        for t, m in _members(seal.open_sealed(town.conn, b_bundle.read_bytes(), b_bundle.name).plain).items()
        if t.endswith(".csv")
    }
    headers, rows = _csv_rows(members["disputes.csv"])
    stolen = dict(zip(*[b_rows["disputes.csv"][0], next(r for r in b_rows["disputes.csv"][1] if r[0] == victim)]))
    stolen.update(village_code=A[0], version=str(int(stolen["version"]) + 1), summary="被改写")
    rows.append([stolen[h] for h in headers])
    p_headers, p_rows = _csv_rows(members["dispute_parties.csv"])
    party = dict(zip(p_headers, p_rows[0]))
    party.update(id=new_id(), dispute_id=victim, name="冒名者")
    p_rows.append([party[h] for h in p_headers])
    forged = _rebuild(members, {"disputes": (headers, rows), "dispute_parties": (p_headers, p_rows)})
    identity = keys.sealing_identity(village_a.conn, A[0])
    sealed = usb / seal.sealed_name(a_zip.name)
    meta = json.loads(members["datapackage.json"])["dudu"]
    sealed.write_bytes(seal.seal(forged, identity, seq=meta["sequence"], name=a_zip.name, created=meta["created_at"]))

    code, out, err = run(capsys, "--db", db_file(town), "import", sealed)
    assert code == 0, err
    row = town.conn.execute("SELECT village_code, summary, version FROM disputes WHERE id = ?", (victim,)).fetchone()
    assert tuple(row) == (B[0], "桐木村的纠纷", 1)  # B's record untouched
    assert town.conn.execute("SELECT count(*) FROM dispute_parties WHERE name = '冒名者'").fetchone()[0] == 0
    assert town.conn.execute("SELECT village_code FROM disputes WHERE id = ?", (own,)).fetchone()[0] == A[0]
    assert out.count(B[0]) >= 2 and "不得" in out  # both refusals, with the reason
    rejected = json.loads(town.conn.execute("SELECT rejected FROM sync_imports ORDER BY id DESC").fetchone()[0])
    assert {(r["table"], r["record_id"]) for r in rejected} >= {("disputes", victim), ("dispute_parties", party["id"])}
    for ctx in (town, village_a, village_b):
        ctx.conn.close()


# --- 1. edits after a village restores a backup reach the township -----------------------------------------


def _simulated_restore(village_path: Path, backup_path: Path, now):
    """What ``services.backup.restore`` does for sync: the backup's content becomes the database, and a
    new epoch begins in the same transaction. Returns the reopened village context."""
    import datetime as dt

    from dudu_desktop.domain.vocab import Role
    from dudu_desktop.services import epoch
    from dudu_desktop.services.context import Context
    from dudu_desktop.storage.db import open_database, transaction

    replaced = sqlite3.connect(village_path)
    replaced_epoch = json.loads(
        (replaced.execute("SELECT value FROM settings WHERE key = 'sync.epoch'").fetchone() or ['{"epoch": 0}'])[0]
    )["epoch"]
    replaced.close()
    for suffix in ("-wal", "-shm"):
        Path(str(village_path) + suffix).unlink(missing_ok=True)
    shutil.copyfile(backup_path, village_path)
    ctx = Context(conn=open_database(village_path), user="cadre", role=Role.ADMIN, clock=lambda: now)
    with transaction(ctx.conn):
        epoch.begin_epoch(
            ctx.conn, when=dt.datetime(2024, 12, 20, 11, 0), backup_name=backup_path.name, replaced_epoch=replaced_epoch
        )
    return ctx


def _import_json(capsys, town, bundle) -> dict:
    code, out, err = run(capsys, "--db", db_file(town), "import", bundle, "--json")
    assert code == 0, err
    return json.loads(out)[0]


def _export(capsys, village, usb) -> Path:
    code, out, err = run(capsys, "--db", db_file(village), "export", "--out", usb)
    assert code == 0, err
    return Path(out.strip())


def _meta(town, bundle: Path) -> dict:
    plain = seal.open_sealed(town.conn, bundle.read_bytes(), bundle.name).plain
    return json.loads(_members(plain)["datapackage.json"])["dudu"]


def _cli_restore(capsys, village_path: Path, backup_path: Path, now):
    """The real thing: ``restore FILE`` (services.backup.restore begins the epoch in the same step)."""
    from dudu_desktop.domain.vocab import Role
    from dudu_desktop.services.context import Context
    from dudu_desktop.storage.db import open_database

    code, _out, err = run(capsys, "--db", village_path, "restore", backup_path)
    assert code == 0, err
    return Context(conn=open_database(village_path), user="cadre", role=Role.ADMIN, clock=lambda: now)


@pytest.mark.parametrize("how", ["restore command", "epoch begun directly"])
def test_edits_after_a_restore_reach_the_township_and_it_shows_what_was_rolled_back(tmp_path, capsys, how):
    from dudu_desktop.services import backup
    from tests.conftest import NOW

    town = new_township(tmp_path / "town.sqlite3")
    village = new_village(tmp_path / "a.sqlite3")
    usb = tmp_path / "usb"
    usb.mkdir()
    register(town, village, usb)
    case = new_dispute(village, summary="第一版")
    gone = new_dispute(village, summary="备份之后才登记", name="赵六")
    disputes.update_dispute(village, gone, {"summary": "备份之后才登记（不会留下）"})
    assert _import_json(capsys, town, _export(capsys, village, usb))["totals"]["new"] >= 2
    saved = backup.make_backup(village)
    disputes.update_dispute(village, case, {"summary": "第二版"})
    disputes.update_dispute(village, case, {"summary": "第三版"})  # version 3
    assert _import_json(capsys, town, _export(capsys, village, usb))["totals"]["updated"] >= 1
    disputes.update_dispute(village, case, {"summary": "第四版（未带到乡镇）"})
    late = _export(capsys, village, usb)  # written before the restore, carried later
    # the village restores the backup (case at version 1, "gone" as it was then), edits again: version 2
    village_path = Path(db_file(village))
    village.conn.close()
    village = (
        _cli_restore(capsys, village_path, Path(saved), NOW)
        if how == "restore command"
        else _simulated_restore(village_path, Path(saved), NOW)
    )
    disputes.update_dispute(village, case, {"summary": "恢复后的修改"})
    records.delete_record(village, "disputes", gone, reason="登记重复")
    after_restore = _export(capsys, village, usb)
    meta = _meta(town, after_restore)
    assert meta["full"] and meta["epoch"] > 0 and meta["restore"]["backup"] == Path(saved).name

    result = _import_json(capsys, town, after_restore)
    assert result["totals"]["updated"] >= 2 and result["totals"]["conflicting"] == 0
    row = town.conn.execute("SELECT summary, version, deleted FROM disputes WHERE id = ?", (case,)).fetchone()
    assert tuple(row) == ("恢复后的修改", 2, 0)  # not "unchanged"
    assert town.conn.execute("SELECT deleted FROM disputes WHERE id = ?", (gone,)).fetchone()[0] == 1
    rolled = {(r["table"], r["id"]): (r["before"], r["after"]) for r in result["rolled_back"]}
    assert rolled[("disputes", case)] == (3, 2)
    assert any("恢复" in note and Path(saved).name in note for note in result["notes"])
    assert any("回退" in note for note in result["notes"])
    assert not result["witness"].get("rewritten")  # a restore is not a rewritten history
    # the bundle written before the restore, carried in later, is older history: ignored, said so
    stale = _import_json(capsys, town, late)
    assert stale["stale"] and stale["totals"]["updated"] == 0 and any("早于" in n for n in stale["notes"])
    assert town.conn.execute("SELECT summary FROM disputes WHERE id = ?", (case,)).fetchone()[0] == "恢复后的修改"
    # and life goes on in the new epoch: incremental bundles, versions decide again
    disputes.update_dispute(village, case, {"summary": "恢复后的第二次修改"})
    following = _export(capsys, village, usb)
    assert not _meta(town, following)["full"] and "restore" not in _meta(town, following)  # announced once
    result = _import_json(capsys, town, following)
    assert result["totals"]["updated"] == 1 and result["restore"] is None and not result["rolled_back"]
    mine = {
        k: v
        for k, v in dict(village.conn.execute("SELECT * FROM disputes WHERE id = ?", (case,)).fetchone()).items()
        if k not in ("change_seq", "sync_base_version", "sync_base_epoch")
    }
    theirs = {
        k: v
        for k, v in dict(town.conn.execute("SELECT * FROM disputes WHERE id = ?", (case,)).fetchone()).items()
        if k not in ("change_seq", "sync_base_version", "sync_base_epoch")
    }
    assert mine == theirs  # the two sides agree again
    town.conn.close()
    village.conn.close()


# --- 9 (township witness). a rewritten village history is reported at the next import ---------------------


def _rewrite_history(path: str, seq: int) -> None:
    """What a local administrator can do with sqlite3: change an old audit entry and re-chain every
    entry after it, so that the village's own check finds nothing."""
    from dudu_desktop.services import audit

    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    rows = [dict(r) for r in conn.execute("SELECT * FROM audit_log WHERE seq >= ? ORDER BY seq", (seq,))]
    prev = conn.execute("SELECT hash FROM audit_log WHERE seq < ? ORDER BY seq DESC LIMIT 1", (seq,)).fetchone()
    prev = prev[0] if prev else audit.GENESIS
    rows[0]["changes"] = json.dumps({"summary": [None, "改写过的历史"]}, ensure_ascii=False)
    for row in rows:
        row["prev_hash"] = prev
        row["hash"] = prev = audit.entry_hash(prev, row)
        conn.execute(
            "UPDATE audit_log SET changes = ?, prev_hash = ?, hash = ? WHERE seq = ?",
            (row["changes"], row["prev_hash"], row["hash"], row["seq"]),
        )
    conn.commit()
    conn.close()


def test_the_township_reports_a_rewritten_village_audit_history(world, capsys):
    town, village, usb = world
    first_case = new_dispute(village)
    assert _import_json(capsys, town, _export(capsys, village, usb))["witness"]["checked"] == 0
    seen = town.conn.execute("SELECT seq, hash FROM sync_witness WHERE village_code = ?", (A[0],)).fetchall()
    assert len(seen) == 1 and seen[0][0] > 0
    # an honest next bundle chains on from what the township saw
    disputes.update_dispute(village, first_case, {"summary": "第二版"})
    honest = _import_json(capsys, town, _export(capsys, village, usb))
    assert honest["witness"]["checked"] >= 1 and not honest["witness"]["rewritten"]
    # someone rewrites the village's history with sqlite3 (the dispute's creation), re-chaining it
    created = village.conn.execute(
        "SELECT seq FROM audit_log WHERE record_id = ? AND action = 'create_dispute'", (first_case,)
    ).fetchone()[0]
    _rewrite_history(db_file(village), created)
    disputes.update_dispute(village, first_case, {"summary": "第三版"})
    result = _import_json(capsys, town, _export(capsys, village, usb))
    assert result["witness"]["rewritten"] and result["totals"]["updated"] == 1
    assert any("审计记录" in note and "改写" in note for note in result["notes"])
    entry = town.conn.execute(
        "SELECT changes, reason FROM audit_log WHERE action = 'import_bundle' AND "
        "table_name = 'sync_imports' ORDER BY seq DESC"
    ).fetchone()
    assert json.loads(entry[0])["audit_rewritten"] and "改写" in entry[1]


def test_the_township_reports_a_village_audit_tail_cut_off(world, capsys):
    town, village, usb = world
    case = new_dispute(village)
    _import_json(capsys, town, _export(capsys, village, usb))
    for n in range(3):
        disputes.update_dispute(village, case, {"summary": f"第{n + 2}版"})
    _import_json(capsys, town, _export(capsys, village, usb))
    # cut the tail (the last edits and the exports) and lower sqlite_sequence, as issue 11 did by hand
    path = db_file(village)
    village.conn.close()
    conn = sqlite3.connect(path)
    keep = conn.execute("SELECT min(seq) FROM audit_log WHERE action = 'update_dispute'").fetchone()[0]
    conn.execute("DELETE FROM audit_log WHERE seq >= ?", (keep,))
    conn.execute("UPDATE sqlite_sequence SET seq = ? WHERE name = 'audit_log'", (keep - 1,))
    conn.execute("DELETE FROM sync_exports WHERE seq > 1")
    conn.commit()
    conn.close()
    from dudu_desktop.storage.db import open_database

    again = type(village)(conn=open_database(path), user="cadre", role=village.role, clock=village.clock)
    disputes.update_dispute(again, case, {"summary": "改写后的修改"})
    result = _import_json(capsys, town, _export(capsys, again, usb))
    assert result["witness"]["rewritten"]
    assert any("审计记录" in note for note in result["notes"])
    again.conn.close()
