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
from pathlib import Path
from typing import Callable, Iterable, Mapping

from ..tabular import MiB, atomic_path, size_text

GiB = 1024 * MiB
_CHUNK = MiB
_RATIO_FLOOR = MiB   # the ratio limit applies from this size: small files of blanks compress well
_CORRUPT = "文件已损坏或不完整"
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


def write_zip_atomic(path: str | os.PathLike,
                     members: Mapping[str, bytes] | Iterable[tuple[str, bytes]]) -> None:
    """Write ``members`` as a deflated zip at ``path``, all or nothing.

    The zip is written under a temporary name in the target folder, fsync'd, re-opened and
    verified (names, sizes, CRCs against the data given), and only then renamed to ``path``
    and the folder fsync'd. On any failure the temporary file is removed, ``path`` is left as
    it was, and :class:`ContainerError` is raised. Names must pass the same rules as reading.
    """
    items = list(members.items() if isinstance(members, Mapping) else members)
    seen: set[str] = set()
    for name, _ in items:
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
        raise ContainerError(f"无法写入“{target.name}”：{exc.strerror or exc}") from exc


def _verify(path: Path, items: list[tuple[str, bytes]]) -> None:
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            written = [(i.filename, i.file_size, i.CRC) for i in infos]
            wanted = [(n, len(d), zlib.crc32(d)) for n, d in items]
            if written != wanted or zf.testzip() is not None:
                raise ContainerError(f"写入校验失败：{path.name} 与原始数据不一致，请重试")
    except _ZIP_FAILURES as exc:
        raise ContainerError("写入校验失败：刚写入的文件无法读回，请检查 U 盘后重试") from exc


def read_zip_safely(path: str | os.PathLike, *,
                    allowed_names: set[str] | frozenset[str] | Callable[[str], bool],
                    max_member_bytes: int = 200 * MiB, max_total_bytes: int = 1 * GiB,
                    max_ratio: float = 200, max_members: int = 64) -> dict[str, bytes]:
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
                raise ContainerError(f"{_CORRUPT}（文件目录与记录的文件数不符）")
            if len(infos) > max_members:
                raise ContainerError(f"压缩包内文件过多（超过 {max_members} 个）")
            seen: set[str] = set()
            for info in infos:
                _check_entry(info, seen, allowed, max_member_bytes, max_ratio)
            if sum(i.file_size for i in infos) > max_total_bytes:
                raise ContainerError("压缩包解压后过大，疑似压缩炸弹")
            out: dict[str, bytes] = {}
            total = 0
            for info in infos:
                data = _read_member(zf, info, max_member_bytes, max_total_bytes - total,
                                    max_ratio)
                total += len(data)
                out[info.filename] = data
            return out
    except OSError as exc:    # missing file, no permission, stick pulled out while reading
        raise ContainerError(f"无法读取“{Path(path).name}”：{exc.strerror or exc}") from exc


def _open_zip(path: str | os.PathLike) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(path)
    except _ZIP_FAILURES as exc:
        raise ContainerError(f"{_CORRUPT}（不是有效的压缩包）") from exc


def _declared_entry_count(zf: zipfile.ZipFile) -> int:
    """The entry count in the end-of-central-directory record. zipfile reads entries until the
    declared directory size is used up, so a damaged size would silently drop members."""
    return zipfile._EndRecData(zf.fp)[zipfile._ECD_ENTRIES_TOTAL]


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _check_name(name: str, seen: set[str]) -> None:
    """Refuse a member name that could escape a folder or collide with another one."""
    parts = name.split("/")
    if (not name or name.startswith("/") or "\\" in name or ":" in name  # ":" also catches C:
            or _CONTROL.search(name) or any(p in ("", ".", "..") for p in parts)):
        shown = _CONTROL.sub(lambda m: f"\\x{ord(m[0]):02x}", name)
        raise ContainerError(f"压缩包含有不允许的文件名：{shown}")
    if name.casefold() in seen:
        raise ContainerError(f"压缩包含有重复的文件名：{name}")
    seen.add(name.casefold())


def _check_entry(info: zipfile.ZipInfo, seen: set[str], allowed: Callable[[str], bool],
                 max_member_bytes: int, max_ratio: float) -> None:
    # The name as stored: zipfile's .filename cuts it at a NUL and maps "\\" to "/" on Windows.
    name = info.orig_filename
    mode = info.external_attr >> 16
    if name.endswith("/") or (info.create_system == 3 and stat.S_ISDIR(mode)):
        raise ContainerError(f"压缩包含有文件夹项：{name}")
    if info.create_system == 3 and stat.S_IFMT(mode) not in (0, stat.S_IFREG):
        raise ContainerError(f"压缩包含有符号链接或特殊文件：{name}")
    _check_name(name, seen)
    if not allowed(name):
        raise ContainerError(f"压缩包含有不应出现的文件：{name}")
    if info.flag_bits & 0x41:   # 0x01 encrypted, 0x40 strong encryption
        raise ContainerError(f"压缩包内的文件已加密，无法读取：{name}")
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise ContainerError(f"压缩包使用了不支持的压缩方式：{name}")
    if info.file_size > max_member_bytes:
        raise ContainerError(f"压缩包内的文件过大（超过 {size_text(max_member_bytes)}）：{name}")
    if info.file_size > _RATIO_FLOOR and info.file_size > max_ratio * max(info.compress_size, 1):
        raise ContainerError("压缩包解压后过大，疑似压缩炸弹")


def _read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, max_member_bytes: int,
                 budget: int, max_ratio: float) -> bytes:
    """Decompress one member in chunks, stopping as soon as a limit is crossed; zipfile checks
    the CRC when the end of the member is reached."""
    chunks: list[bytes] = []
    size = 0
    try:
        with zf.open(info) as member:
            while chunk := member.read(_CHUNK):
                size += len(chunk)
                if size > max_member_bytes:
                    raise ContainerError(
                        f"压缩包内的文件过大（超过 {size_text(max_member_bytes)}）：{info.filename}")
                if size > budget or (size > _RATIO_FLOOR
                                     and size > max_ratio * max(info.compress_size, 1)):
                    raise ContainerError("压缩包解压后过大，疑似压缩炸弹")
                chunks.append(chunk)
    except (*_ZIP_FAILURES, OSError) as exc:   # a damaged offset can make seek() fail too
        raise ContainerError(f"{_CORRUPT}（读取 {info.filename} 时出错）") from exc
    return b"".join(chunks)
