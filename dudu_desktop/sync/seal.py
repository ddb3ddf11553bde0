"""Sealed bundles: the village signs the plain bundle zip and encrypts it for the township.

File ``<village_code>_<seq:05d>_<YYYYMMDD>.dudu`` (the plain bundle's name with ``.dudu``)::

    magic        8 bytes   b"DUDUSEAL"
    version      1 byte    1
    header_len   2 bytes   big-endian, at most 4096
    header       UTF-8 JSON {"village": code, "seq": n, "key": sender key id,
                             "to": township key id, "name": plain zip name, "created": time}
    ephemeral    32 bytes  a fresh X25519 public key
    nonce        12 bytes  random
    ciphertext   ChaCha20-Poly1305 of  signature (64 bytes, Ed25519) || plain zip bytes

* The AEAD key is HKDF-SHA256 over the X25519 exchange of the ephemeral key with the township's
  key (info = ``"dudu-seal-v1"`` + both public keys); everything before the ciphertext
  (magic … nonce) is the associated data, so the header cannot be changed without the file
  failing to open.
* The signature is the village's Ed25519 signature over ``"dudu-seal-v1\\0" + associated data +
  plain zip``: it binds the village, the sequence number and the township the bundle was sealed for.
* Only the township's private key opens the file (a lost stick reveals nothing but the header:
  village code, bundle number, key ids and date). Only the holder of the village's signing key
  (from its registration file) can make a bundle the township accepts.

All cryptography is the ``cryptography`` library's; nothing here is home-made beyond the layout.
Every refusal is a :class:`~dudu_desktop.domain.problems.Refused` with a Chinese message.
"""

from __future__ import annotations

import io
import json
import os
import re
import struct
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from dudu_desktop.domain import bounded_json
from dudu_desktop.domain.problems import Refused
from dudu_desktop.domain.vocab import Permission
from dudu_desktop.failures import os_error_message
from dudu_desktop.fileio import MiB, atomic_path
from dudu_desktop.i18n import _
from dudu_desktop.services.context import Context
from dudu_desktop.sync import keys
from dudu_desktop.sync.container import ContainerError, read_zip_safely

MAGIC = b"DUDUSEAL"
VERSION = 1
SUFFIX = ".dudu"
MAX_HEADER = 4096
MAX_JSON_DEPTH = 8  # the header is one flat object
MAX_SEALED_BYTES = 512 * MiB
_PREFIX = struct.Struct(">8sBH")
_EPHEMERAL, _NONCE, _SIGNATURE, _TAG = 32, 12, 64, 16
_INFO = b"dudu-seal-v1"
_SIG_CONTEXT = b"dudu-seal-v1\x00"


def sealed_name(plain_name: str) -> str:
    return plain_name[:-4] + SUFFIX if plain_name.endswith(".zip") else plain_name + SUFFIX


def _aead_key(shared: bytes, ephemeral: bytes, township: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO + ephemeral + township).derive(shared)


def _raw(public_key) -> bytes:
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


# --- sealing (village) -------------------------------------------------------------------------------


def zip_bytes(members: list[tuple[str, bytes]], allowed: set[str] | frozenset[str] | Callable[[str], bool]) -> bytes:
    """The plain bundle as a deflated zip in memory, read back and compared before it is sealed."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members:
            zf.writestr(name, data)
    data = buf.getvalue()
    try:
        back = read_zip_safely(
            io.BytesIO(data), allowed_names=allowed, max_members=max(64, len(members))
        )  # attachments' files (issue 16)
    except ContainerError as exc:
        raise Refused(_("The bundle could not be written: {reason}").format(reason=exc.message)) from exc
    if list(back.items()) != list(members):
        raise Refused(_("The bundle could not be written: {reason}").format(reason="zip"))
    return data


def seal(plain: bytes, identity: keys.SealingIdentity, *, seq: int, name: str, created: str) -> bytes:
    """Sign ``plain`` with the village's key and encrypt it for the township."""
    header = json.dumps(
        {
            "village": identity.village_code,
            "seq": seq,
            "key": identity.sign_key_id,
            "to": identity.township_key_id,
            "name": name,
            "created": created,
        },
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
    ).encode("utf-8")
    ephemeral = X25519PrivateKey.generate()
    eph_pub = _raw(ephemeral.public_key())
    nonce = os.urandom(_NONCE)
    ad = _PREFIX.pack(MAGIC, VERSION, len(header)) + header + eph_pub + nonce
    signer = Ed25519PrivateKey.from_private_bytes(identity.sign_private)
    signature = signer.sign(_SIG_CONTEXT + ad + plain)
    shared = ephemeral.exchange(X25519PublicKey.from_public_bytes(identity.township_public))
    key = _aead_key(shared, eph_pub, identity.township_public)
    return ad + ChaCha20Poly1305(key).encrypt(nonce, signature + plain, ad)


def write_sealed(path: Path, data: bytes) -> None:
    """All or nothing: a temporary name, fsync, read back and compared, then the final name."""
    try:
        with atomic_path(path) as tmp:
            with open(tmp, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            with open(tmp, "rb") as f:
                if f.read() != data:
                    raise Refused(
                        _("The bundle could not be written: {reason}").format(
                            reason=_("the file read back differs; check the USB stick and try again")
                        )
                    )
    except OSError as exc:
        raise Refused(_("The bundle could not be written: {reason}").format(reason=os_error_message(exc))) from exc


# --- opening (township) -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Opened:
    """What the import hands on to the bundle reader: the plain zip (None: read the file itself)."""

    sealed: bool
    plain: bytes | None = None
    village_code: str = ""
    seq: int = 0
    signed_by: str = ""  # the village key id that signed it
    name: str = ""  # the plain zip's name inside


def is_sealed_file(path) -> bool:
    try:
        with open(path, "rb") as f:
            return f.read(len(MAGIC)) == MAGIC
    except OSError:
        return False


def _damaged(name: str) -> Refused:
    return Refused(
        _(
            "The sealed bundle {name} is damaged, cut short or was altered; it cannot be opened. "
            "Nothing was changed; export it again at the village."
        ).format(name=name)
    )


def parse_header(data: bytes, name: str) -> tuple[dict, bytes, bytes, bytes, bytes]:
    """(header, associated data, ephemeral key, nonce, ciphertext) or Refused."""
    if len(data) < _PREFIX.size:
        raise _damaged(name)
    magic, version, size = _PREFIX.unpack_from(data)
    if magic != MAGIC:
        raise Refused(_("{name} is not a sealed bundle of this program.").format(name=name))
    if version != VERSION:
        raise Refused(
            _(
                "{name} is sealed in a format this program does not know (version {found}). Please update the program."
            ).format(name=name, found=version)
        )
    start = _PREFIX.size
    end = start + size
    if size > MAX_HEADER or len(data) < end + _EPHEMERAL + _NONCE + _TAG + _SIGNATURE:
        raise _damaged(name)
    try:
        header = bounded_json.loads(data[start:end], max_bytes=MAX_HEADER, max_depth=MAX_JSON_DEPTH)
        ok = (
            isinstance(header, dict)
            and isinstance(header.get("village"), str)
            and re.fullmatch(r"\d{12}", header["village"]) is not None
            and type(header.get("seq")) is int
            and header["seq"] >= 1
            and all(isinstance(header.get(k), str) and len(header[k]) <= 200 for k in ("key", "to", "name", "created"))
        )
    except (UnicodeDecodeError, ValueError):
        ok = False
    if not ok:
        raise _damaged(name)
    ephemeral = data[end : end + _EPHEMERAL]
    nonce = data[end + _EPHEMERAL : end + _EPHEMERAL + _NONCE]
    ad = data[: end + _EPHEMERAL + _NONCE]
    return header, ad, ephemeral, nonce, data[len(ad) :]


def _read_limited(path: Path) -> bytes:
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_SEALED_BYTES + 1)
    except OSError as exc:
        raise Refused(
            _("{name} cannot be read: {reason}").format(name=path.name, reason=os_error_message(exc))
        ) from exc
    if len(data) > MAX_SEALED_BYTES:
        raise Refused(_("{name} is too large to be a bundle.").format(name=path.name))
    return data


def open_sealed(conn, data: bytes, name: str) -> Opened:
    """Decrypt with the township's key, check the sender is a registered village and verify its
    signature. Touches nothing."""
    header, ad, ephemeral, nonce, ciphertext = parse_header(data, name)
    village = header["village"]
    private = keys.township_private_key(conn, header["to"])
    if private is None:
        if keys.current(conn, keys.TOWNSHIP, keys.ENCRYPT) is None:
            raise Refused(
                _(
                    "{name} is sealed, but this township has no key yet: register the villages "
                    "(register-village) first. Nothing was changed."
                ).format(name=name)
            )
        raise Refused(
            _(
                "{name} was not sealed for this township (it cannot be opened without the other "
                "township's key). Nothing was changed."
            ).format(name=name)
        )
    try:
        me = X25519PrivateKey.from_private_bytes(private)
        shared = me.exchange(X25519PublicKey.from_public_bytes(ephemeral))
        key = _aead_key(shared, ephemeral, _raw(me.public_key()))
        content = ChaCha20Poly1305(key).decrypt(nonce, ciphertext, ad)
    except (InvalidTag, ValueError, OverflowError) as exc:
        raise _damaged(name) from exc
    signature, plain = content[:_SIGNATURE], content[_SIGNATURE:]
    if not conn.execute("SELECT 1 FROM villages WHERE code = ?", (village,)).fetchone() or not keys.has_any(
        conn, village
    ):
        raise Refused(
            _(
                "{name} comes from a village that is not registered at this township ({code}). "
                "Register it (register-village) and give it the registration file; nothing was "
                "changed."
            ).format(name=name, code=village)
        )
    row = keys.find(conn, village, keys.SIGN, header["key"])
    forged = Refused(
        _("{name} does not carry a valid signature of village {code}: it may be forged. Nothing was changed.").format(
            name=name, code=village
        )
    )
    if row is None:
        raise forged
    try:
        Ed25519PublicKey.from_public_bytes(row.public_key).verify(signature, _SIG_CONTEXT + ad + plain)
    except (InvalidSignature, ValueError) as exc:
        raise forged from exc
    if row.retired:
        raise Refused(
            _(
                "{name} was signed with an old key of village {code}, replaced on {date}. Nothing "
                "was changed: the village imports its new registration file and exports again "
                "(a full export)."
            ).format(name=name, code=village, date=(row.retired_at or "")[:10])
        )
    return Opened(
        sealed=True, plain=plain, village_code=village, seq=header["seq"], signed_by=row.key_id, name=header["name"]
    )


def open_bundle(ctx: Context, path, *, allow_unsealed: bool = False) -> Opened:
    """The import's first step, for the window and the command line alike: a sealed bundle is
    opened and verified; a plain one is refused unless an administrator allows it."""
    path = Path(path)
    if is_sealed_file(path):
        return open_sealed(ctx.conn, _read_limited(path), path.name)
    if not allow_unsealed:
        if not path.exists():
            raise Refused(_("{name} cannot be read: {reason}").format(name=path.name, reason=_("no such file")))
        raise Refused(
            _(
                "{name} is not sealed (not signed and encrypted by a registered village). The "
                "township refuses unsealed bundles; an administrator may import one on purpose "
                "(import --allow-unsealed)."
            ).format(name=path.name)
        )
    ctx.require(Permission.ADMINISTER)
    return Opened(sealed=False)


def matches(opened: Opened, village_code: str, seq: int, file_name: str) -> None:
    """The signed header and the bundle inside must tell the same story."""
    if opened.sealed and (opened.village_code != village_code or opened.seq != seq):
        raise Refused(
            _(
                "The sealed bundle {name} does not match its contents (village or number differ); "
                "it may be forged. Nothing was changed."
            ).format(name=file_name)
        )


__all__ = [
    "seal",
    "open_bundle",
    "open_sealed",
    "write_sealed",
    "zip_bytes",
    "sealed_name",
    "matches",
    "is_sealed_file",
    "Opened",
    "SUFFIX",
    "MAGIC",
]
