"""Keys for sealed bundles (migration ``0006_keys``) and the registration file that carries
them from the township to a village on a USB stick.

Design (the simplest one that lets the township refuse forged bundles)
----------------------------------------------------------------------
* The **township** has one long-term key pair of each kind, made on first need (the first
  ``register-village``): X25519 (bundles are encrypted for it) and Ed25519 (it signs the
  registration files it issues).
* ``register_village`` (township administrator) registers the village and makes a **fresh
  Ed25519 signing key pair for that village**. The township keeps only the village's public key;
  the private key goes, once, into the registration file, together with the township's two
  public keys. The file is signed with the township's Ed25519 key. **Whoever holds the file can
  sign bundles in that village's name**: it must be carried by hand and deleted from the stick
  once imported; if it is lost, register the village again (re-key).
* ``import_registration`` (village administrator) stores the township's public keys and the
  village's signing key. A later registration file (re-key) must be signed by the township key
  already stored, so a stranger cannot slip the village another "township".
* Registrations are **ordered**: the signed body carries ``issue``, the number of registrations
  the township has issued for that village (1, 2, …). The village keeps the number it imported
  last (``settings['sync.registration']``, or its audit trail) and refuses a file whose number is
  not higher, so an old file (an old stick) cannot bring back a replaced key after a re-key (the
  very file it holds may be imported again: it changes nothing).
* **Re-keying**: ``register_village`` again for the same village issues a new key pair; the old
  public key is kept, marked retired, only to recognise old bundles: a bundle signed with a
  retired key is **refused** (the stick with the old key may be the one that was lost). The
  village imports the new file and exports again (a full export if in doubt).
* Key ids are the first 16 hex digits of the SHA-256 of the raw public key, shown to people so
  that the two ends can compare them on the phone.

Private keys are stored as raw bytes in the ``sync_keys`` table of the database file, which is
not encrypted (see docs/security.md).
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from dudu_desktop.domain import bounded_json
from dudu_desktop.domain.problems import Refused
from dudu_desktop.domain.vocab import Permission
from dudu_desktop.failures import os_error_message
from dudu_desktop.fileio import atomic_write_bytes
from dudu_desktop.i18n import _
from dudu_desktop.services import audit, site
from dudu_desktop.services.context import Context
from dudu_desktop.storage.db import transaction

TOWNSHIP = "township"  # owner of the township's keys
ENCRYPT, SIGN = "encrypt", "sign"  # X25519, Ed25519
REGISTRATION_FORMAT = "dudu-registration"
REGISTRATION_VERSION = 1
REGISTRATION_SUFFIX = ".dudukey"
REGISTRATION_SETTING = "sync.registration"  # village: {"issue", "issued_at", …} of the file imported last
MAX_REGISTRATION_BYTES = 64 * 1024
MAX_JSON_DEPTH = 8  # the file nests two levels deep
_SIG_CONTEXT = b"dudu-registration-v1\x00"


def key_id(public_raw: bytes) -> str:
    return hashlib.sha256(public_raw).hexdigest()[:16]


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text, size: int) -> bytes:
    if not isinstance(text, str):
        raise ValueError("not text")
    data = base64.b64decode(text.encode("ascii"), validate=True)
    if len(data) != size:
        raise ValueError("wrong size")
    return data


def _raw_private(key) -> bytes:
    from cryptography.hazmat.primitives import serialization as s

    return key.private_bytes(s.Encoding.Raw, s.PrivateFormat.Raw, s.NoEncryption())


def _raw_public(key) -> bytes:
    from cryptography.hazmat.primitives import serialization as s

    return key.public_bytes(s.Encoding.Raw, s.PublicFormat.Raw)


@dataclass(frozen=True)
class KeyRow:
    key_id: str
    owner: str
    purpose: str
    public_key: bytes
    private_key: bytes | None
    created_at: str
    retired_at: str | None

    @property
    def retired(self) -> bool:
        return self.retired_at is not None


def _rows(conn, owner: str, purpose: str) -> list[KeyRow]:
    return [
        KeyRow(*r)
        for r in conn.execute(
            "SELECT key_id, owner, purpose, public_key, private_key, created_at, retired_at FROM sync_keys "
            "WHERE owner = ? AND purpose = ? ORDER BY retired_at IS NOT NULL, created_at DESC",
            (owner, purpose),
        )
    ]


def current(conn, owner: str, purpose: str) -> KeyRow | None:
    """The key in use (not retired) of ``owner`` for ``purpose``."""
    rows = [r for r in _rows(conn, owner, purpose) if not r.retired]
    return rows[0] if rows else None


def _in_use(conn, owner: str, purpose: str) -> KeyRow:
    """:func:`current` where the key is known to be there (made just before if it was missing)."""
    row = current(conn, owner, purpose)
    if row is None:
        raise LookupError(f"no {purpose} key of {owner} in use")
    return row


def find(conn, owner: str, purpose: str, kid: str) -> KeyRow | None:
    return next((r for r in _rows(conn, owner, purpose) if r.key_id == kid), None)


def has_any(conn, owner: str, purpose: str = SIGN) -> bool:
    return bool(_rows(conn, owner, purpose))


def _insert(conn, owner: str, purpose: str, public: bytes, private: bytes | None, now: str) -> str:
    kid = key_id(public)
    conn.execute(
        "INSERT INTO sync_keys (key_id, owner, purpose, public_key, private_key, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (owner, purpose, key_id) DO UPDATE SET "
        "retired_at = NULL, private_key = coalesce(excluded.private_key, sync_keys.private_key)",
        (kid, owner, purpose, public, private, now),
    )
    return kid


def _retire_others(conn, owner: str, purpose: str, keep: str, now: str) -> list[str]:
    retired = [r.key_id for r in _rows(conn, owner, purpose) if not r.retired and r.key_id != keep]
    conn.executemany(
        "UPDATE sync_keys SET retired_at = ? WHERE owner = ? AND purpose = ? AND key_id = ?",
        [(now, owner, purpose, k) for k in retired],
    )
    return retired


# --- township ---------------------------------------------------------------------------------------


def _require_role(conn, role: str) -> dict:
    info = site.require_site(conn)
    if info["role"] != role:
        raise Refused(
            _("Only the township PC registers villages.")
            if role == site.TOWNSHIP
            else _("A registration file is imported on a village PC.")
        )
    return info


def _township_keys(ctx: Context) -> tuple[KeyRow, KeyRow]:
    """The township's own (encrypt, sign) keys, made on first need (inside the caller's transaction)."""
    conn = ctx.conn
    made = False
    if current(conn, TOWNSHIP, ENCRYPT) is None:
        x = X25519PrivateKey.generate()
        _insert(conn, TOWNSHIP, ENCRYPT, _raw_public(x.public_key()), _raw_private(x), ctx.now_text())
        made = True
    if current(conn, TOWNSHIP, SIGN) is None:
        e = Ed25519PrivateKey.generate()
        _insert(conn, TOWNSHIP, SIGN, _raw_public(e.public_key()), _raw_private(e), ctx.now_text())
        made = True
    enc, sig = _in_use(conn, TOWNSHIP, ENCRYPT), _in_use(conn, TOWNSHIP, SIGN)
    if made:
        audit.append(
            conn,
            at=ctx.now_text(),
            user=ctx.user,
            action="create_township_keys",
            table_name="sync_keys",
            record_id=enc.key_id,
            changes={"encrypt_key": enc.key_id, "sign_key": sig.key_id},
        )
    return enc, sig


def township_private_key(conn, kid: str) -> bytes | None:
    """The township's X25519 private key with this id (current or retired), if this PC has it."""
    row = find(conn, TOWNSHIP, ENCRYPT, kid)
    return row.private_key if row else None


def _canonical(body: dict) -> bytes:
    return json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


@dataclass
class Registration:
    path: Path
    village_code: str
    village_name: str
    village_key: str  # id of the village's new signing key
    township_key: str  # id of the township's encryption key
    rekeyed: list  # ids of the village keys retired by this registration


def register_village(ctx: Context, code: str, name: str, out_path) -> Registration:
    """Township administrator: register (or re-key) a village and write its registration file."""
    ctx.require(Permission.ADMINISTER)
    info = _require_role(ctx.conn, site.TOWNSHIP)
    out = Path(out_path)
    if out.is_dir():
        out = out / f"{code}_registration{REGISTRATION_SUFFIX}"
    if not out.parent.is_dir():
        raise Refused(_("The folder {path} does not exist.").format(path=out.parent))
    conn = ctx.conn
    with transaction(conn):
        site.save_village(ctx, code, name)
        enc, sig = _township_keys(ctx)
        village_key = Ed25519PrivateKey.generate()
        public = _raw_public(village_key.public_key())
        now = ctx.now_text()
        kid = _insert(conn, code, SIGN, public, None, now)
        rekeyed = _retire_others(conn, code, SIGN, kid, now)
        issue = len(_rows(conn, code, SIGN))  # one key per registration, never deleted: 1, 2, 3, …
        body = {
            "format": REGISTRATION_FORMAT,
            "version": REGISTRATION_VERSION,
            "issued_at": now,
            "issue": issue,
            "township": {
                "code": info["code"],
                "name": info["name"],
                "encrypt_key": _b64(enc.public_key),
                "sign_key": _b64(sig.public_key),
            },
            "village": {
                "code": code,
                "name": name.strip(),
                "sign_public_key": _b64(public),
                "sign_private_key": _b64(_raw_private(village_key)),
            },
        }
        if sig.private_key is None:  # the township's own keys are made with their private half
            raise LookupError("the township's signing key has no private half")
        signature = Ed25519PrivateKey.from_private_bytes(sig.private_key).sign(_SIG_CONTEXT + _canonical(body))
        document = {
            **body,
            "signature": _b64(signature),
            "notice": "本文件含有本村的签名私钥：请亲手携带，导入后从U盘删除；如遗失，请乡镇重新登记本村。",
        }
        audit.append(
            conn,
            at=now,
            user=ctx.user,
            action="rekey_village" if rekeyed else "register_village",
            table_name="sync_keys",
            record_id=kid,
            village_code=code,
            changes={
                "village_key": kid,
                "retired": rekeyed,
                "township_key": enc.key_id,
                "file": out.name,
                "issue": issue,
            },
        )
        # The file is written last, inside the transaction: if it cannot be written nothing is kept.
        try:
            atomic_write_bytes(out, json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8"))
        except OSError as exc:
            raise Refused(
                _("The registration file could not be written: {reason}").format(reason=os_error_message(exc))
            ) from exc
    return Registration(
        path=out,
        village_code=code,
        village_name=name.strip(),
        village_key=kid,
        township_key=enc.key_id,
        rekeyed=rekeyed,
    )


# --- village ---------------------------------------------------------------------------------------


@dataclass
class ImportedRegistration:
    village_code: str
    township_code: str
    township_name: str
    village_key: str
    township_key: str
    township_sign_key: str
    rekeyed: bool


def _bad_file(path: Path) -> Refused:
    return Refused(
        _("{name} is not a valid registration file of this program (damaged or altered); nothing was changed.").format(
            name=path.name
        )
    )


def read_registration(path) -> dict:
    """Parse and check a registration file (signature included); raises :class:`Refused`."""
    path = Path(path)
    try:
        with open(path, "rb") as f:
            raw = f.read(MAX_REGISTRATION_BYTES + 1)
    except OSError as exc:
        raise Refused(
            _("{name} cannot be read: {reason}").format(name=path.name, reason=os_error_message(exc))
        ) from exc
    if len(raw) > MAX_REGISTRATION_BYTES:
        raise _bad_file(path)
    try:
        doc = bounded_json.loads(raw, max_bytes=MAX_REGISTRATION_BYTES, max_depth=MAX_JSON_DEPTH)
        if not isinstance(doc, dict) or doc.get("format") != REGISTRATION_FORMAT:
            raise ValueError("format")
        if doc.get("version") != REGISTRATION_VERSION:
            raise Refused(
                _("{name} was written by a newer version of the program; please update the program.").format(
                    name=path.name
                )
            )
        town, village = doc["township"], doc["village"]
        for value in (town["code"], town["name"], village["code"], village["name"], doc["issued_at"]):
            if not isinstance(value, str) or len(value) > 200:
                raise ValueError("text")
        issue = doc.get("issue", 0)  # files of older programs carry no number: 0
        if type(issue) is not int or issue < 0:
            raise ValueError("issue")
        enc = _unb64(town["encrypt_key"], 32)
        sign = _unb64(town["sign_key"], 32)
        v_pub = _unb64(village["sign_public_key"], 32)
        v_priv = _unb64(village["sign_private_key"], 32)
        signature = _unb64(doc["signature"], 64)
        body = {k: v for k, v in doc.items() if k not in ("signature", "notice")}
        Ed25519PublicKey.from_public_bytes(sign).verify(signature, _SIG_CONTEXT + _canonical(body))
        if _raw_public(Ed25519PrivateKey.from_private_bytes(v_priv).public_key()) != v_pub:
            raise ValueError("key pair")
    except Refused:
        raise
    except (UnicodeDecodeError, ValueError, KeyError, TypeError, AttributeError, InvalidSignature) as exc:
        raise _bad_file(path) from exc
    return {
        "township_code": town["code"],
        "township_name": town["name"],
        "encrypt_key": enc,
        "sign_key": sign,
        "village_code": village["code"],
        "village_name": village["name"],
        "village_public": v_pub,
        "village_private": v_priv,
        "issued_at": doc["issued_at"],
        "issue": issue,
    }


def import_registration(ctx: Context, path) -> ImportedRegistration:
    """Village administrator: store the township's public keys and this village's signing key."""
    ctx.require(Permission.ADMINISTER)
    info = _require_role(ctx.conn, site.VILLAGE)
    reg = read_registration(path)
    name = Path(path).name
    if reg["village_code"] != info["code"]:
        raise Refused(
            _(
                "{name} was issued for village {other} ({code}), not for this village ({mine}); nothing was changed."
            ).format(name=name, other=reg["village_name"], code=reg["village_code"], mine=info["code"])
        )
    if info.get("township_code") and reg["township_code"] != info["township_code"]:
        raise Refused(
            _("{name} was issued by another township ({code}); nothing was changed.").format(
                name=name, code=reg["township_code"]
            )
        )
    conn = ctx.conn
    stored_sign = current(conn, TOWNSHIP, SIGN)
    if stored_sign is not None and stored_sign.public_key != reg["sign_key"]:
        raise Refused(
            _(
                "{name} was not issued with the township key this village already trusts "
                "(key {known}); it may be forged. Nothing was changed; ask the township."
            ).format(name=name, known=stored_sign.key_id)
        )
    now = ctx.now_text()
    with transaction(conn):
        held = held_registration(conn)
        mine_now = current(conn, info["code"], SIGN)
        same_file = (
            held is not None
            and mine_now is not None
            and mine_now.public_key == reg["village_public"]
            and reg["issue"] == held["issue"]
        )  # the same file again: harmless, nothing changes
        if held is not None and not same_file and not _newer(reg, held):
            raise Refused(
                _(
                    "{name} is not newer than the registration this village already holds (number {held}, "
                    "issued {held_at}); it was not imported, nothing was changed. An old registration file "
                    "brings back a replaced key: import only the newest file the township issued."
                ).format(name=name, held=held["issue"], held_at=held["issued_at"])
            )
        enc_id = _insert(conn, TOWNSHIP, ENCRYPT, reg["encrypt_key"], None, now)
        _retire_others(conn, TOWNSHIP, ENCRYPT, enc_id, now)
        sign_id = _insert(conn, TOWNSHIP, SIGN, reg["sign_key"], None, now)
        mine = _insert(conn, info["code"], SIGN, reg["village_public"], reg["village_private"], now)
        retired = _retire_others(conn, info["code"], SIGN, mine, now)
        audit.append(
            conn,
            at=now,
            user=ctx.user,
            action="import_registration",
            table_name="sync_keys",
            record_id=mine,
            village_code=info["code"],
            changes={
                "village_key": mine,
                "retired": retired,
                "township_key": enc_id,
                "township_sign_key": sign_id,
                "township": reg["township_code"],
                "issued_at": reg["issued_at"],
                "issue": reg["issue"],
                "file": name,
            },
        )
        conn.execute(
            "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (
                REGISTRATION_SETTING,
                json.dumps(
                    {"issue": reg["issue"], "issued_at": reg["issued_at"], "village_key": mine, "imported_at": now},
                    ensure_ascii=False,
                ),
            ),
        )
    return ImportedRegistration(
        village_code=info["code"],
        township_code=reg["township_code"],
        township_name=reg["township_name"],
        village_key=mine,
        township_key=enc_id,
        township_sign_key=sign_id,
        rekeyed=bool(retired),
    )


def held_registration(conn) -> dict | None:
    """``{"issue", "issued_at"}`` of the registration this village imported last (None before the first).
    Villages that imported theirs before registrations were numbered find it in their audit trail."""
    row = conn.execute("SELECT value FROM settings WHERE key = ?", (REGISTRATION_SETTING,)).fetchone()
    if row:
        try:
            value = json.loads(row[0])
            return {"issue": int(value.get("issue") or 0), "issued_at": str(value.get("issued_at") or "")}
        except (TypeError, ValueError, AttributeError):
            pass
    row = conn.execute(
        "SELECT changes FROM audit_log WHERE action = 'import_registration' ORDER BY seq DESC LIMIT 1"
    ).fetchone()
    if row is None:
        return None
    try:
        changes = json.loads(row[0])
        return {"issue": int(changes.get("issue") or 0), "issued_at": str(changes.get("issued_at") or "")}
    except (TypeError, ValueError, AttributeError):
        return {"issue": 0, "issued_at": ""}


def _newer(reg: dict, held: dict) -> bool:
    """Registrations are ordered by their number; between unnumbered ones (older programs), by issue time."""
    if reg["issue"] or held["issue"]:
        return reg["issue"] > held["issue"]
    return reg["issued_at"] > held["issued_at"]


@dataclass(frozen=True)
class SealingIdentity:
    village_code: str
    sign_key_id: str
    sign_private: bytes
    township_key_id: str
    township_public: bytes


def sealing_identity(conn, village_code: str) -> SealingIdentity | None:
    """What a village needs to seal a bundle, or None before a registration was imported."""
    mine = current(conn, village_code, SIGN)
    town = current(conn, TOWNSHIP, ENCRYPT)
    if mine is None or mine.private_key is None or town is None:
        return None
    return SealingIdentity(village_code, mine.key_id, mine.private_key, town.key_id, town.public_key)


def key_summary(conn) -> list[dict]:
    """Every key known to this PC (no private material): for the CLI and the settings page."""
    return [
        {"key_id": r[0], "owner": r[1], "purpose": r[2], "private": bool(r[3]), "created_at": r[4], "retired_at": r[5]}
        for r in conn.execute(
            "SELECT key_id, owner, purpose, private_key IS NOT NULL, created_at, retired_at FROM sync_keys "
            "ORDER BY owner, purpose, created_at"
        )
    ]


__all__ = [
    "register_village",
    "import_registration",
    "read_registration",
    "sealing_identity",
    "key_summary",
    "township_private_key",
    "current",
    "find",
    "has_any",
    "key_id",
]
