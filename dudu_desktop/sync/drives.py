"""Finding removable drives (USB sticks) to write bundles to. No Qt.

Windows: every drive letter whose ``GetDriveTypeW`` is ``DRIVE_REMOVABLE`` (2).
Linux: the mount points under ``/media/$USER``, ``/run/media/$USER`` (and other users' folders
there when readable), and ``/mnt``. macOS: ``/Volumes`` except the system volume.
The pure helpers take their inputs as arguments so they can be tested anywhere.
"""

from __future__ import annotations

import getpass
import os
import string
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

DRIVE_REMOVABLE = 2


def windows_removable(
    drive_type: Callable[[str], int],
    letters: Iterable[str] = string.ascii_uppercase,
    exists: Callable[[str], bool] = os.path.exists,
) -> list[Path]:
    """Roots like ``E:\\`` whose drive type is removable."""
    out = []
    for letter in letters:
        root = f"{letter}:\\"
        if drive_type(root) == DRIVE_REMOVABLE and exists(root):
            out.append(Path(root))
    return out


def linux_candidates(
    user: str,
    *,
    roots: Iterable[str] = ("/media", "/run/media", "/mnt"),
    listdir: Callable[[str], list[str]] = os.listdir,
    is_mount: Callable[[str], bool] = os.path.ismount,
) -> list[Path]:
    """Mounted folders under ``/media/<user>``, ``/run/media/<user>``, ``/media`` and ``/mnt``."""
    out: list[Path] = []

    def add_children(folder: str) -> None:
        try:
            names = sorted(listdir(folder))
        except OSError:
            return
        for name in names:
            path = os.path.join(folder, name)
            if is_mount(path) and Path(path) not in out:
                out.append(Path(path))

    for root in roots:
        if root in ("/media", "/run/media"):
            add_children(os.path.join(root, user))
        add_children(root)
    return out


def removable_drives() -> list[Path]:
    """Writable removable drives on this machine (best effort; empty when none is found)."""
    if sys.platform.startswith("win"):
        import ctypes

        get_type = ctypes.windll.kernel32.GetDriveTypeW  # type: ignore[attr-defined]
        return windows_removable(lambda root: get_type(ctypes.c_wchar_p(root)))
    if sys.platform == "darwin":
        try:
            return [
                Path("/Volumes", n)
                for n in sorted(os.listdir("/Volumes"))
                if not os.path.islink(os.path.join("/Volumes", n))
            ]
        except OSError:
            return []
    try:
        user = getpass.getuser()
    except Exception:  # noqa: BLE001 - no user name in some containers
        user = os.environ.get("USER", "")
    return [p for p in linux_candidates(user) if os.access(p, os.W_OK)]
