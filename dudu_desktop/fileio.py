"""Files written whole or not at all, without a database or Qt: atomic replacement, fsync, and
byte sizes for messages.

:func:`atomic_path` builds a file under a temporary name next to the target and renames it into
place only once it is complete and fsync'd, so a crash, a power cut or a pulled-out USB stick never
leaves a half-written file under the final name. Failures while writing are ``OSError`` (on Windows,
replacing a file that is open in Excel raises ``PermissionError``).
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

from dudu_desktop.i18n import _

MiB = 1024 * 1024


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path in the target's folder; write the file there.

    When the block succeeds the temporary file is fsync'd, renamed over ``path`` with
    :func:`os.replace` and the folder is fsync'd (POSIX). When the block raises, the temporary
    file is removed and ``path`` is left exactly as it was.
    """
    target = Path(path)
    tmp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.partial")
    os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))  # reserve the name
    try:
        yield tmp
        _fsync_file(tmp)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    fsync_directory(target.parent)


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Replace ``path`` with ``data`` atomically (see :func:`atomic_path`)."""
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        f.write(data)


def _fsync_file(path: Path) -> None:
    # Windows' FlushFileBuffers needs a handle opened for writing.
    fd = os.open(path, os.O_RDWR | getattr(os, "O_BINARY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_directory(folder: Path) -> None:
    """Make a rename durable. Windows cannot open a folder for fsync: os.replace is all we have."""
    if os.name == "nt":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    except OSError as exc:  # some file systems do not support fsync on a directory
        if exc.errno not in (errno.EINVAL, errno.ENOTSUP):
            raise
    finally:
        os.close(fd)


def size_text(n: int) -> str:
    """A byte limit for messages: 52428800 → '50 MB', 1000 → '1000 bytes' (translated)."""
    for unit, size in (("GB", 1024 * MiB), ("MB", MiB), ("KB", 1024)):
        if n >= size:
            return f"{n / size:g} {unit}"
    return _("{n} bytes").format(n=n)
