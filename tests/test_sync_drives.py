"""Removable drives: the pure helpers behind the export page's drive list."""

import os
from pathlib import Path

from dudu_desktop.sync import drives
from dudu_desktop.sync.drives import DRIVE_REMOVABLE, linux_candidates, removable_drives, windows_removable


def test_windows_only_removable_letters():
    types = {"C:\\": 3, "D:\\": 5, "E:\\": DRIVE_REMOVABLE, "F:\\": DRIVE_REMOVABLE}
    found = windows_removable(lambda root: types.get(root, 1), "CDEFG", exists=lambda root: root != "F:\\")
    assert found == [Path("E:\\")]


def test_linux_mount_points_under_media_run_media_and_mnt():
    tree = {
        "/media/cadre": ["KINGSTON", "empty"],
        "/media": ["cadre"],
        "/run/media/cadre": ["U盘"],
        "/run/media": ["cadre"],
        "/mnt": ["usb", "notmounted"],
    }
    mounts = {"/media/cadre/KINGSTON", "/run/media/cadre/U盘", "/mnt/usb"}

    def listdir(folder):
        if folder not in tree:
            raise FileNotFoundError(folder)
        return tree[folder]

    found = linux_candidates("cadre", listdir=listdir, is_mount=lambda p: p in mounts)
    assert found == [Path("/media/cadre/KINGSTON"), Path("/run/media/cadre/U盘"), Path("/mnt/usb")]


def test_removable_drives_here_are_writable_folders():
    assert all(p.is_dir() and os.access(p, os.W_OK) for p in removable_drives())


def test_removable_drives_on_linux_keeps_the_writable_mounts_of_the_user(monkeypatch, tmp_path):
    stick, cdrom = tmp_path / "KINGSTON", tmp_path / "CDROM"
    asked = []
    monkeypatch.setattr(drives.sys, "platform", "linux")
    monkeypatch.setattr(drives.getpass, "getuser", lambda: "cadre")
    monkeypatch.setattr(drives, "linux_candidates", lambda user: asked.append(user) or [stick, cdrom])
    monkeypatch.setattr(drives.os, "access", lambda path, mode: Path(path) == stick and mode == os.W_OK)
    assert drives.removable_drives() == [stick]  # the read-only disc is left out
    assert asked == ["cadre"]

    def no_user():
        raise KeyError("uid not in passwd")  # some containers

    monkeypatch.setattr(drives.getpass, "getuser", no_user)
    monkeypatch.setenv("USER", "laowang")
    assert drives.removable_drives() == [stick] and asked[-1] == "laowang"
