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
    return disputes.create_dispute(ctx, {"registered_on": "2024-12-01", "dispute_type": "邻里", "summary": summary,
                                         "source": "主动排查", "method": "人民调解", "mediator": "王调解"},
                                   [{"name": name, "role": "申请人"}, {"name": "李四", "role": "被申请人"}])


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
    assert "新增" in out and good.name in out           # the good bundle after the bomb still went in
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
    from dudu_desktop.sync import export as export_mod
    from dudu_desktop.domain.problems import Refused
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
    assert "database or disk is full" in info.value.problems[0].message
    assert list(usb.glob("*.dudu")) == [] and list(usb.glob(".*partial")) == []
    assert village.conn.execute("SELECT count(*) FROM sync_exports").fetchone()[0] == 0
    assert not village.conn.in_transaction


# --- 10. registration files are ordered ------------------------------------------------------------------

def test_an_old_registration_file_is_refused_after_a_rekey(world, tmp_path, capsys):
    town, village, _usb = world
    old_file = tmp_path / "old.dudukey"
    code, _out, _err = run(capsys, "--db", db_file(town), "register-village", "--code", A[0], "--name", A[1],
                           "--out", old_file)
    assert code == 0
    assert run(capsys, "--db", db_file(village), "import-registration", old_file)[0] == 0
    new_file = tmp_path / "new.dudukey"
    assert run(capsys, "--db", db_file(town), "register-village", "--code", A[0], "--name", A[1],
               "--out", new_file)[0] == 0                                     # re-key (the old stick was lost)
    assert run(capsys, "--db", db_file(village), "import-registration", new_file)[0] == 0
    key_after_rekey = village.conn.execute("SELECT key_id FROM sync_keys WHERE owner = ? AND retired_at IS NULL",
                                           (A[0],)).fetchall()
    code, _out, err = run(capsys, "--db", db_file(village), "import-registration", old_file)
    assert code == 1 and "old.dudukey" in err and "并不比" in err and "Traceback" not in err
    assert village.conn.execute("SELECT key_id FROM sync_keys WHERE owner = ? AND retired_at IS NULL",
                                (A[0],)).fetchall() == key_after_rekey
    # the file the village holds may be imported again (it changes nothing); bundles go through with the new key
    assert run(capsys, "--db", db_file(village), "import-registration", new_file)[0] == 0
    assert village.conn.execute("SELECT key_id FROM sync_keys WHERE owner = ? AND retired_at IS NULL",
                                (A[0],)).fetchall() == key_after_rekey
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
    b_rows = {t: _csv_rows(m) for t, m in _members(
        seal.open_sealed(town.conn, b_bundle.read_bytes(), b_bundle.name).plain).items() if t.endswith(".csv")}
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
    assert tuple(row) == (B[0], "桐木村的纠纷", 1)                      # B's record untouched
    assert town.conn.execute("SELECT count(*) FROM dispute_parties WHERE name = '冒名者'").fetchone()[0] == 0
    assert town.conn.execute("SELECT village_code FROM disputes WHERE id = ?", (own,)).fetchone()[0] == A[0]
    assert out.count(B[0]) >= 2 and "不得" in out                     # both refusals, with the reason
    rejected = json.loads(town.conn.execute("SELECT rejected FROM sync_imports ORDER BY id DESC").fetchone()[0])
    assert {(r["table"], r["record_id"]) for r in rejected} >= {("disputes", victim), ("dispute_parties", party["id"])}
    for ctx in (town, village_a, village_b):
        ctx.conn.close()
