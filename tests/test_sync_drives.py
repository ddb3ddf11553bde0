"""Removable drives: the pure helpers behind the export page's drive list."""

from pathlib import Path

from dudu_desktop.sync.drives import DRIVE_REMOVABLE, linux_candidates, removable_drives, windows_removable


def test_windows_only_removable_letters():
    types = {"C:\\": 3, "D:\\": 5, "E:\\": DRIVE_REMOVABLE, "F:\\": DRIVE_REMOVABLE}
    found = windows_removable(lambda root: types.get(root, 1), "CDEFG", exists=lambda root: root != "F:\\")
    assert found == [Path("E:\\")]


def test_linux_mount_points_under_media_run_media_and_mnt():
    tree = {"/media/cadre": ["KINGSTON", "empty"], "/media": ["cadre"], "/run/media/cadre": ["U盘"],
            "/run/media": ["cadre"], "/mnt": ["usb", "notmounted"]}
    mounts = {"/media/cadre/KINGSTON", "/run/media/cadre/U盘", "/mnt/usb"}

    def listdir(folder):
        if folder not in tree:
            raise FileNotFoundError(folder)
        return tree[folder]
    found = linux_candidates("cadre", listdir=listdir, is_mount=lambda p: p in mounts)
    assert found == [Path("/media/cadre/KINGSTON"), Path("/run/media/cadre/U盘"), Path("/mnt/usb")]


def test_removable_drives_runs_here():
    assert isinstance(removable_drives(), list)
