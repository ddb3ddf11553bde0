"""Sealed bundles: the township registers a village (registration file on the stick), the village
imports it, signs and encrypts its bundles for the township; the township refuses bundles from an
unregistered village, forged signatures, bundles sealed for another township or damaged on the way,
old keys after a re-key and plain bundles (unless an administrator allows them) — leaving its
database file byte-for-byte unchanged."""

from __future__ import annotations

import errno
import hashlib
import json
import zipfile
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from dudu_desktop.domain.problems import PermissionDenied, Refused
from dudu_desktop.domain.vocab import Role
from dudu_desktop.services import demo, disputes, site
from dudu_desktop.services.context import Context
from dudu_desktop.storage.db import open_database
from dudu_desktop.sync import keys, seal
from dudu_desktop.sync.export import export_bundle
from dudu_desktop.sync.merge import apply_bundle, preview_bundle
from tests.conftest import NOW, TOWNSHIP_CODE

A = ("500243104201", "都督村")
B = ("500243104202", "桐木村")
SECRET_NAME = "欧阳秘密"
SECRET_ID = "500243198001011234"


def chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def file_hash(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def new_village(path: Path, code_name=A, role=Role.ADMIN) -> Context:
    ctx = Context(conn=open_database(path), user="cadre", role=role, clock=lambda: NOW)
    site.init_site(
        ctx, role="village", code=code_name[0], name=code_name[1], township_code=TOWNSHIP_CODE, township_name="都督乡"
    )
    return ctx


def new_township(path: Path, code=TOWNSHIP_CODE) -> Context:
    ctx = Context(conn=open_database(path), user="town-admin", clock=lambda: NOW)
    site.init_site(ctx, role="township", code=code, name="都督乡")
    return ctx


def register(town: Context, village: Context, folder: Path) -> keys.Registration:
    info = site.site(village.conn)
    reg = keys.register_village(town, info["code"], info["name"], folder)
    keys.import_registration(village, reg.path)
    return reg


def reseal(
    plain_zip: Path,
    out: Path,
    *,
    village: str,
    seq: int,
    sign_key: bytes,
    sign_id: str,
    township_public: bytes,
    township_id: str,
) -> Path:
    """Seal a plain bundle with whatever keys an attacker chooses."""
    identity = keys.SealingIdentity(village, sign_id, sign_key, township_id, township_public)
    out.write_bytes(
        seal.seal(plain_zip.read_bytes(), identity, seq=seq, name=plain_zip.name, created="2024-12-20T10:00:00")
    )
    return out


def raw_private(key) -> bytes:
    return key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption())


@pytest.fixture
def pair(tmp_path):
    """A township and village A, registered, with demo records and one secret-laden dispute."""
    town = new_township(tmp_path / "town.sqlite3")
    village = new_village(tmp_path / "a.sqlite3")
    demo.generate(village, year=2024, seed=5)
    disputes.create_dispute(
        village,
        {
            "registered_on": "2024-12-01",
            "dispute_type": "邻里",
            "summary": "宅基地边界",
            "source": "主动排查",
            "method": "人民调解",
            "mediator": "王调解",
        },
        [{"name": SECRET_NAME, "role": "申请人", "id_number": SECRET_ID}, {"name": "李四", "role": "被申请人"}],
    )
    usb = tmp_path / "usb"
    usb.mkdir()
    reg = register(town, village, usb)
    yield town, village, usb, reg
    town.conn.close()
    village.conn.close()


def test_a_sealed_bundle_goes_through_and_a_lost_stick_reveals_nothing(pair):
    town, village, usb, reg = pair
    result = export_bundle(village, usb)
    assert result.path.suffix == ".dudu" and result.path.name == f"{A[0]}_00001_20241220.dudu"
    data = result.path.read_bytes()
    assert data.startswith(seal.MAGIC)
    assert not zipfile.is_zipfile(result.path)
    for secret in (SECRET_NAME, SECRET_ID, "宅基地边界", "李四"):
        assert secret.encode("utf-8") not in data
    # nobody without the township's key can open it: not even the village that wrote it
    village_key = keys.current(village.conn, A[0], keys.SIGN)
    assert (
        village_key.private_key is not None
        and keys.current(village.conn, keys.TOWNSHIP, keys.ENCRYPT).private_key is None
    )

    preview = preview_bundle(town, result.path)
    assert preview.sealed and preview.signed_by == reg.village_key and preview.totals["new"] == result.rows
    applied = apply_bundle(town, result.path)
    assert applied.applied and applied.totals == preview.totals
    assert town.conn.execute("SELECT count(*) FROM dispute_parties WHERE name = ?", (SECRET_NAME,)).fetchone()[0] == 1
    # audited at both ends: register, import of the registration, export and import, with key ids
    actions = {r[0]: json.loads(r[1]) for r in town.conn.execute("SELECT action, changes FROM audit_log")}
    assert actions["register_village"]["village_key"] == reg.village_key
    assert "create_township_keys" in actions
    imported = json.loads(
        town.conn.execute(
            "SELECT changes FROM audit_log WHERE action = 'import_bundle' AND table_name = 'sync_imports'"
        ).fetchone()[0]
    )
    assert imported["sealed"] is True and imported["signed_by"] == reg.village_key
    exported = json.loads(
        village.conn.execute("SELECT changes FROM audit_log WHERE action = 'export_bundle'").fetchone()[0]
    )
    assert exported["sealed"] is True and exported["signed_by"] == reg.village_key
    assert (
        village.conn.execute("SELECT count(*) FROM audit_log WHERE action = 'import_registration'").fetchone()[0] == 1
    )
    # no private key material in any audit entry
    for conn in (town.conn, village.conn):
        for (changes,) in conn.execute("SELECT changes FROM audit_log"):
            assert "private" not in changes


def test_the_registration_file_and_its_checks(pair, tmp_path):
    town, village, usb, reg = pair
    doc = json.loads(reg.path.read_text(encoding="utf-8"))
    assert doc["village"]["code"] == A[0] and doc["township"]["code"] == TOWNSHIP_CODE
    assert "私钥" in doc["notice"]
    # the same file again is harmless; a file for another village, or altered, is refused
    keys.import_registration(village, reg.path)
    other = keys.register_village(town, B[0], B[1], tmp_path / "b.dudukey")
    with pytest.raises(Refused) as exc:
        keys.import_registration(village, other.path)
    assert chinese(str(exc.value)) and B[0] in str(exc.value)
    doc["village"]["name"] = "假村"
    altered = tmp_path / "altered.dudukey"
    altered.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(Refused):
        keys.import_registration(village, altered)
    # a registration file made by another "township" (self-consistent, but a key the village does not trust)
    impostor = new_township(tmp_path / "impostor.sqlite3")
    forged = keys.register_village(impostor, A[0], A[1], tmp_path / "forged.dudukey")
    with pytest.raises(Refused) as exc:
        keys.import_registration(village, forged.path)
    assert "伪造" in str(exc.value)
    impostor.conn.close()
    # roles: only administrators handle keys; the township registers, the village imports
    clerk = Context(conn=village.conn, user="clerk", role=Role.CLERK, clock=lambda: NOW)
    with pytest.raises(PermissionDenied):
        keys.import_registration(clerk, reg.path)
    with pytest.raises(Refused):
        keys.register_village(village, B[0], B[1], tmp_path / "x.dudukey")
    with pytest.raises(Refused):
        keys.import_registration(town, reg.path)
    for garbage in (b"", b"\xff\xfe", b"{}", b"[1,2]", b"x" * 70000):
        bad = tmp_path / "garbage.dudukey"
        bad.write_bytes(garbage)
        with pytest.raises(Refused):
            keys.import_registration(village, bad)


def test_a_village_without_keys_is_told_to_import_its_registration(tmp_path):
    village = new_village(tmp_path / "v.sqlite3")
    usb = tmp_path / "usb"
    usb.mkdir()
    with pytest.raises(Refused) as exc:
        export_bundle(village, usb)
    assert "登记文件" in str(exc.value)
    assert list(usb.iterdir()) == []
    assert village.conn.execute("SELECT count(*) FROM sync_exports").fetchone()[0] == 0
    clerk = Context(conn=village.conn, user="clerk", role=Role.CLERK, clock=lambda: NOW)
    with pytest.raises(PermissionDenied):
        export_bundle(clerk, usb, unsealed=True)
    plain = export_bundle(village, usb, unsealed=True)  # an administrator, on purpose
    assert plain.path.suffix == ".zip" and zipfile.is_zipfile(plain.path)
    audit = json.loads(
        village.conn.execute("SELECT changes FROM audit_log WHERE action = 'export_bundle'").fetchone()[0]
    )
    assert audit["sealed"] is False
    village.conn.close()


def test_the_township_refuses_plain_bundles_unless_an_admin_allows_them(pair, tmp_path):
    town, village, usb, _reg = pair
    plain = export_bundle(village, usb, unsealed=True).path
    town_file = tmp_path / "town.sqlite3"
    town.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    before = file_hash(town_file)
    with pytest.raises(Refused) as exc:
        preview_bundle(town, plain)
    assert "未加密" in str(exc.value)
    with pytest.raises(Refused):
        apply_bundle(town, plain)
    clerk = Context(conn=town.conn, user="clerk", role=Role.CLERK, clock=lambda: NOW)
    with pytest.raises(PermissionDenied):
        apply_bundle(clerk, plain, allow_unsealed=True)
    town.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert file_hash(town_file) == before
    result = apply_bundle(town, plain, allow_unsealed=True)
    assert result.applied and not result.sealed and result.totals["new"] > 0


def _attacks(town: Context, village: Context, usb: Path, tmp_path: Path) -> dict[str, tuple[Path, str]]:
    """name → (hostile file, a word its refusal must contain)."""
    good = export_bundle(village, usb).path
    plain = export_bundle(village, tmp_path, unsealed=True, full=True).path
    town_enc = keys.current(town.conn, keys.TOWNSHIP, keys.ENCRYPT)
    mine = keys.current(village.conn, A[0], keys.SIGN)
    stranger = raw_private(Ed25519PrivateKey.generate())
    # village B is known to the township (saved in the settings) but was never given keys
    site.save_village(town, B[0], B[1])
    b = new_village(tmp_path / "b.sqlite3", B)
    b_plain = export_bundle(b, tmp_path, unsealed=True).path
    b.conn.close()
    other_town = new_township(tmp_path / "other.sqlite3", code="500243105000")
    keys.register_village(other_town, A[0], A[1], tmp_path / "other.dudukey")
    other_enc = keys.current(other_town.conn, keys.TOWNSHIP, keys.ENCRYPT)
    other_town.conn.close()
    data = good.read_bytes()
    out = {}

    def write(name: str, content: bytes) -> Path:
        path = tmp_path / f"{name}.dudu"
        path.write_bytes(content)
        return path

    common = {"township_public": town_enc.public_key, "township_id": town_enc.key_id}
    out["unregistered village"] = (
        reseal(
            b_plain, tmp_path / "b.dudu", village=B[0], seq=1, sign_key=stranger, sign_id=keys.key_id(b"x"), **common
        ),
        "未在本乡镇登记",
    )
    out["forged signature"] = (
        reseal(plain, tmp_path / "forged.dudu", village=A[0], seq=2, sign_key=stranger, sign_id=mine.key_id, **common),
        "伪造",
    )
    out["unknown key id"] = (
        reseal(
            plain,
            tmp_path / "unknown.dudu",
            village=A[0],
            seq=2,
            sign_key=stranger,
            sign_id="0123456789abcdef",
            **common,
        ),
        "伪造",
    )
    out["another village's contents"] = (
        reseal(
            b_plain,
            tmp_path / "mixed.dudu",
            village=A[0],
            seq=1,
            sign_key=mine.private_key,
            sign_id=mine.key_id,
            **common,
        ),
        "不符",
    )
    out["sealed for another township"] = (
        reseal(
            plain,
            tmp_path / "elsewhere.dudu",
            village=A[0],
            seq=2,
            sign_key=mine.private_key,
            sign_id=mine.key_id,
            township_public=other_enc.public_key,
            township_id=other_enc.key_id,
        ),
        "乡镇",
    )
    out["wrong key id for this township"] = (
        reseal(
            plain,
            tmp_path / "lying.dudu",
            village=A[0],
            seq=2,
            sign_key=mine.private_key,
            sign_id=mine.key_id,
            township_public=other_enc.public_key,
            township_id=town_enc.key_id,
        ),
        "损坏",
    )
    out["flipped ciphertext byte"] = (write("flip", data[:-40] + bytes([data[-40] ^ 1]) + data[-39:]), "损坏")
    out["truncated"] = (write("cut", data[: len(data) // 2]), "损坏")
    out["header changed"] = (write("header", data.replace(b'"seq":1', b'"seq":7', 1)), "损坏")
    out["extra bytes"] = (write("extra", data + b"\0"), "损坏")
    out["magic only"] = (write("magic", seal.MAGIC), "损坏")
    out["future version"] = (write("future", seal.MAGIC + b"\x09" + data[9:]), "升级")
    return out


ATTACKS = [
    "unregistered village",
    "forged signature",
    "unknown key id",
    "another village's contents",
    "sealed for another township",
    "wrong key id for this township",
    "flipped ciphertext byte",
    "truncated",
    "header changed",
    "extra bytes",
    "magic only",
    "future version",
]


def test_forged_foreign_and_damaged_bundles_are_refused_and_nothing_changes(pair, tmp_path):
    town, village, usb, _reg = pair
    attacks = _attacks(town, village, usb, tmp_path)
    assert sorted(attacks) == sorted(ATTACKS)
    town_file = tmp_path / "town.sqlite3"
    town.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    before = file_hash(town_file)
    for name, (path, word) in attacks.items():
        with pytest.raises(Refused) as preview:
            preview_bundle(town, path)
        with pytest.raises(Refused) as applied:
            apply_bundle(town, path, allow_unsealed=True)  # allowing plain bundles changes nothing here
        message = str(applied.value)
        assert message == str(preview.value), name
        assert chinese(message) and word in message, (name, message)
        assert path.name in message, (name, message)
    town.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert file_hash(town_file) == before
    assert town.conn.execute("SELECT count(*) FROM sync_imports").fetchone()[0] == 0


def test_rekeying_refuses_bundles_signed_with_the_old_key(pair, tmp_path):
    town, village, usb, first = pair
    old = export_bundle(village, usb).path
    second = keys.register_village(town, A[0], A[1], tmp_path / "rekey.dudukey")
    assert second.rekeyed == [first.village_key] and second.village_key != first.village_key
    assert town.conn.execute("SELECT count(*) FROM audit_log WHERE action = 'rekey_village'").fetchone()[0] == 1
    with pytest.raises(Refused) as exc:
        apply_bundle(town, old)
    assert "旧密钥" in str(exc.value)
    imported = keys.import_registration(village, second.path)
    assert imported.rekeyed and imported.village_key == second.village_key
    new = export_bundle(village, usb, full=True)
    result = apply_bundle(town, new.path)
    assert result.applied and result.signed_by == second.village_key and result.totals["new"] > 0
    # the old key is kept, retired, only to recognise old bundles
    summary = [k for k in keys.key_summary(town.conn) if k["owner"] == A[0]]
    assert {k["key_id"]: bool(k["retired_at"]) for k in summary} == {first.village_key: True, second.village_key: False}
    assert not any(k["private"] for k in summary)  # the township never keeps a village's private key


def test_cli_register_import_export_and_import(tmp_path, capsys, monkeypatch):
    from dudu_desktop.cli import main

    town_db, village_db = tmp_path / "t.sqlite3", tmp_path / "v.sqlite3"
    usb = tmp_path / "usb"
    usb.mkdir()
    new_township(town_db).conn.close()
    v = new_village(village_db)
    demo.generate(v, year=2024, seed=2)
    v.conn.close()
    assert main(["--db", str(village_db), "export", "--out", str(usb)]) == 1
    assert "登记文件" in capsys.readouterr().err
    assert main(["--db", str(town_db), "register-village", "--code", A[0], "--name", A[1], "--out", str(usb)]) == 0
    captured = capsys.readouterr()
    reg = Path(captured.out.strip())
    assert reg.exists() and "亲手携带" in captured.err
    assert main(["--db", str(village_db), "import-registration", str(reg)]) == 0
    assert "已导入" in capsys.readouterr().out
    assert main(["--db", str(village_db), "export", "--out", str(usb)]) == 0
    bundle = Path(capsys.readouterr().out.strip())
    assert bundle.suffix == ".dudu"
    assert main(["--db", str(town_db), "import", str(bundle), "--json"]) == 0
    [result] = json.loads(capsys.readouterr().out)
    assert result["applied"] and result["sealed"]
    assert main(["--db", str(village_db), "export", "--out", str(usb), "--unsealed"]) == 0
    plain = Path(capsys.readouterr().out.strip())
    assert main(["--db", str(town_db), "import", str(plain)]) == 1
    assert "未加密" in capsys.readouterr().err
    assert main(["--db", str(town_db), "import", str(plain), "--allow-unsealed"]) == 0
    capsys.readouterr()
    # expected failures never show a traceback: a missing file, a missing folder, a full disk
    assert main(["--db", str(village_db), "import-registration", str(tmp_path / "nowhere.dudukey")]) == 1
    err = capsys.readouterr().err
    assert chinese(err) and "Traceback" not in err
    assert main(["--db", str(town_db), "import", str(tmp_path / "nowhere.dudu")]) == 1
    assert "不存在" in capsys.readouterr().err
    assert main(["template", "--register", "hotline", "--out", str(tmp_path / "no" / "such" / "t.xlsx")]) == 1
    err = capsys.readouterr().err
    assert chinese(err) and "Traceback" not in err

    def full_disk(args):
        raise OSError(errno.ENOSPC, "No space left on device", str(usb / "x.dudu"))

    import dudu_desktop.cli.sync as cli_sync

    monkeypatch.setattr(cli_sync, "cmd_export", full_disk)
    assert main(["--db", str(village_db), "export", "--out", str(usb)]) == 1
    err = capsys.readouterr().err
    assert "磁盘已满" in err and "Traceback" not in err


def test_the_import_page_offers_unsealed_bundles_to_administrators_only(qtbot, pair, tmp_path):
    from dudu_desktop.ui.sync_pages import ExportPage, ImportPage

    town, village, usb, _reg = pair
    town_path = tmp_path / "town.sqlite3"
    plain = export_bundle(village, usb, unsealed=True).path
    page = ImportPage(town, town_path, threaded=False)
    qtbot.addWidget(page)
    assert not page.allow_unsealed.isHidden()
    page.add_files([plain])
    assert isinstance(page.previews[str(plain)], str) and "未加密" in page.previews[str(plain)]
    page.allow_unsealed.setChecked(True)  # re-checks the files
    assert not isinstance(page.previews[str(plain)], str)
    clerk = Context(conn=town.conn, user="clerk", role=Role.CLERK, clock=lambda: NOW)
    clerk_page = ImportPage(clerk, town_path, threaded=False)
    qtbot.addWidget(clerk_page)
    assert clerk_page.allow_unsealed.isHidden()
    # the village's export page imports the registration file too
    fresh = new_village(tmp_path / "fresh.sqlite3", B)
    reg = keys.register_village(town, B[0], B[1], tmp_path / "b.dudukey")
    export_page = ExportPage(fresh)
    qtbot.addWidget(export_page)
    export_page.import_registration(reg.path)
    assert "已导入" in export_page.status.text()
    assert keys.sealing_identity(fresh.conn, B[0]) is not None
    fresh.conn.close()
