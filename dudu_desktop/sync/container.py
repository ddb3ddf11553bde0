"""The zip envelope of a sync bundle: written so that a USB stick pulled out mid-copy never
leaves a complete-looking file, and read so that a damaged or hostile file is refused.

What goes inside (which CSV tables, the manifest) is decided by the bundle code; this module
only moves ``{name: bytes}`` in and out of a zip. Every refusal is a :class:`ContainerError`
whose ``message`` is a Chinese sentence for the user.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
import zipfile
import zlib
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import BinaryIO

from dudu_desktop.failures import os_error_message
from dudu_desktop.fileio import MiB, atomic_path, size_text
from dudu_desktop.i18n import _

GiB = 1024 * MiB
_CHUNK = MiB
_RATIO_FLOOR = MiB  # the ratio limit applies from this size: small files of blanks compress well
# What zipfile raises for a damaged archive besides BadZipFile: bad deflate data, data ending
# early, undecodable names (UnicodeDecodeError is a ValueError), a garbled version field.
_ZIP_FAILURES = (zipfile.BadZipFile, zlib.error, EOFError, ValueError, NotImplementedError)


class ContainerError(Exception):
    """A bundle file could not be written or was refused; ``message`` is for the user."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def write_zip_atomic(path: str | os.PathLike, members: Mapping[str, bytes] | Iterable[tuple[str, bytes]]) -> None:
    """Write ``members`` as a deflated zip at ``path``, all or nothing.

    The zip is written under a temporary name in the target folder, fsync'd, re-opened and
    verified (names, sizes, CRCs against the data given), and only then renamed to ``path``
    and the folder fsync'd. On any failure the temporary file is removed, ``path`` is left as
    it was, and :class:`ContainerError` is raised. Names must pass the same rules as reading.
    """
    items = list(members.items() if isinstance(members, Mapping) else members)
    seen: set[str] = set()
    for name, _data in items:
        _check_name(name, seen)
    target = Path(path)
    try:
        with atomic_path(target) as tmp:
            with open(tmp, "wb") as f:
                with zipfile.ZipFile(f, "w", zipfile.ZIP_DEFLATED) as zf:
                    for name, data in items:
                        zf.writestr(name, data)
                f.flush()
                os.fsync(f.fileno())
            _verify(tmp, items)
    except OSError as exc:
        raise ContainerError(
            _("Cannot write “{name}”: {error}").format(name=target.name, error=os_error_message(exc))
        ) from exc


def _verify(path: Path, items: list[tuple[str, bytes]]) -> None:
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            written = [(i.filename, i.file_size, i.CRC) for i in infos]
            wanted = [(n, len(d), zlib.crc32(d)) for n, d in items]
            if written != wanted or zf.testzip() is not None:
                raise ContainerError(
                    _("Check after writing failed: {name} differs from the data; please try again").format(
                        name=path.name
                    )
                )
    except _ZIP_FAILURES as exc:
        raise ContainerError(
            _(
                "Check after writing failed: the file just written cannot be read back; "
                "check the USB stick and try again"
            )
        ) from exc


def read_zip_safely(
    path: str | os.PathLike | BinaryIO,
    *,
    allowed_names: set[str] | frozenset[str] | Callable[[str], bool],
    max_member_bytes: int = 200 * MiB,
    max_total_bytes: int = 1 * GiB,
    max_ratio: float = 200,
    max_members: int = 64,
) -> dict[str, bytes]:
    """Read every member of the zip at ``path`` into memory, refusing anything suspicious.

    Refused with :class:`ContainerError`: a file that is not a zip or is truncated; more than
    ``max_members`` entries; names that are absolute, contain '..', backslashes, drive letters
    or control characters, repeat (also ignoring case), or are not allowed by ``allowed_names``
    (a set, or a predicate); directory and symlink entries; encrypted members; compression other
    than stored/deflate; declared or actual sizes over ``max_member_bytes`` / ``max_total_bytes``;
    members over 1 MiB that expand more than ``max_ratio`` times; CRC errors. Sizes are counted
    while decompressing in chunks, so lying headers are caught before memory is used up.
    Returns ``{name: bytes}`` in archive order.
    """
    allowed = allowed_names if callable(allowed_names) else allowed_names.__contains__
    try:
        with _open_zip(path) as zf:
            infos = zf.infolist()
            if len(infos) != _declared_entry_count(zf):
                raise ContainerError(
                    _("The file is damaged or incomplete (its directory does not match the recorded number of files)")
                )
            if len(infos) > max_members:
                raise ContainerError(_("The archive holds too many files (over {n})").format(n=max_members))
            seen: set[str] = set()
            for info in infos:
                _check_entry(info, seen, allowed, max_member_bytes, max_ratio)
            if sum(i.file_size for i in infos) > max_total_bytes:
                raise ContainerError(_bomb())
            out: dict[str, bytes] = {}
            total = 0
            for info in infos:
                data = _read_member(zf, info, max_member_bytes, max_total_bytes - total, max_ratio)
                total += len(data)
                out[info.filename] = data
            return out
    except OSError as exc:  # missing file, no permission, stick pulled out while reading
        name = Path(path).name if isinstance(path, (str, os.PathLike)) else ""  # (bytes in memory: none)
        raise ContainerError(_("Cannot read “{name}”: {error}").format(name=name, error=os_error_message(exc))) from exc


def _open_zip(path: str | os.PathLike | BinaryIO) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(path)
    except _ZIP_FAILURES as exc:
        raise ContainerError(_("The file is damaged or incomplete (not a valid archive)")) from exc


def _declared_entry_count(zf: zipfile.ZipFile) -> int:
    """The entry count in the end-of-central-directory record. zipfile reads entries until the
    declared directory size is used up, so a damaged size would silently drop members."""
    # zipfile's own reader of that record: private, so not in the type stubs
    return zipfile._EndRecData(zf.fp)[zipfile._ECD_ENTRIES_TOTAL]  # type: ignore[attr-defined]


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _check_name(name: str, seen: set[str]) -> None:
    """Refuse a member name that could escape a folder or collide with another one."""
    parts = name.split("/")
    if (
        not name
        or name.startswith("/")
        or "\\" in name
        or ":" in name  # ":" also catches C:
        or _CONTROL.search(name)
        or any(p in ("", ".", "..") for p in parts)
    ):
        shown = _CONTROL.sub(lambda m: f"\\x{ord(m[0]):02x}", name)
        raise ContainerError(_("The archive holds a file name that is not allowed: {name}").format(name=shown))
    if name.casefold() in seen:
        raise ContainerError(_("The archive holds the same file name twice: {name}").format(name=name))
    seen.add(name.casefold())


def _check_entry(
    info: zipfile.ZipInfo, seen: set[str], allowed: Callable[[str], bool], max_member_bytes: int, max_ratio: float
) -> None:
    # The name as stored: zipfile's .filename cuts it at a NUL and maps "\\" to "/" on Windows.
    name = info.orig_filename
    mode = info.external_attr >> 16
    if name.endswith("/") or (info.create_system == 3 and stat.S_ISDIR(mode)):
        raise ContainerError(_("The archive holds a folder entry: {name}").format(name=name))
    if info.create_system == 3 and stat.S_IFMT(mode) not in (0, stat.S_IFREG):
        raise ContainerError(_("The archive holds a symbolic link or special file: {name}").format(name=name))
    _check_name(name, seen)
    if not allowed(name):
        raise ContainerError(_("The archive holds a file that does not belong there: {name}").format(name=name))
    if info.flag_bits & 0x41:  # 0x01 encrypted, 0x40 strong encryption
        raise ContainerError(_("A file in the archive is encrypted and cannot be read: {name}").format(name=name))
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise ContainerError(_("The archive uses an unsupported compression method: {name}").format(name=name))
    if info.file_size > max_member_bytes:
        raise ContainerError(_too_large(max_member_bytes, name))
    if info.file_size > _RATIO_FLOOR and info.file_size > max_ratio * max(info.compress_size, 1):
        raise ContainerError(_bomb())


def _bomb() -> str:
    return _("The archive would be too large unpacked: a suspected zip bomb")


def _too_large(limit: int, name: str) -> str:
    return _("A file in the archive is too large (over {size}): {name}").format(size=size_text(limit), name=name)


def _read_member(
    zf: zipfile.ZipFile, info: zipfile.ZipInfo, max_member_bytes: int, budget: int, max_ratio: float
) -> bytes:
    """Decompress one member in chunks, stopping as soon as a limit is crossed; zipfile checks
    the CRC when the end of the member is reached."""
    chunks: list[bytes] = []
    size = 0
    try:
        with zf.open(info) as member:
            while chunk := member.read(_CHUNK):
                size += len(chunk)
                if size > max_member_bytes:
                    raise ContainerError(_too_large(max_member_bytes, info.filename))
                if size > budget or (size > _RATIO_FLOOR and size > max_ratio * max(info.compress_size, 1)):
                    raise ContainerError(_bomb())
                chunks.append(chunk)
    except (*_ZIP_FAILURES, OSError) as exc:  # a damaged offset can make seek() fail too
        raise ContainerError(
            _("The file is damaged or incomplete (error while reading {name})").format(name=info.filename)
        ) from exc
    return b"".join(chunks)
