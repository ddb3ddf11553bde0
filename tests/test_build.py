"""The frozen build (scripts/build.py): PyInstaller one-folder build, then the smoke test of the
frozen programs. Takes ~40 s and writes dist/, so it runs only when asked: DUDU_BUILD_TEST=1."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(
    os.environ.get("DUDU_BUILD_TEST") != "1", reason="builds with PyInstaller: set DUDU_BUILD_TEST=1"
)


def test_build_and_smoke_test_the_frozen_program(tmp_path):
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "build.py"), "--dist", str(tmp_path / "dist")],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "smoke test passed" in result.stdout
    for check in (
        "--version",
        "init",
        "demo",
        "stats JSON has disputes",
        "window opens offscreen and paints",
        "portable mode",
        "en catalog",
    ):
        assert f"ok   {check}" in result.stdout, check
    folder = tmp_path / "dist" / "DuduDesktop"
    assert not (folder / "portable.txt").exists() and not (folder / "data").exists()
    internal = folder / "_internal"
    assert (internal / "resources" / "fonts" / "LICENSE-wqy-microhei.txt").exists()
    assert (internal / "resources" / "icons" / "app.ico").exists()
    assert (internal / "dudu_desktop" / "i18n" / "locale" / "en" / "LC_MESSAGES" / "dudu.mo").exists()
    # trimmed: babel keeps zh*/en*/root only, no tkinter, no unused Qt modules
    locale_data = {p.name.split(".")[0] for p in (internal / "babel" / "locale-data").glob("*.dat")}
    assert "zh" in locale_data and "en" in locale_data and "root" in locale_data and "fr" not in locale_data
    names = {p.name for p in internal.rglob("*")}
    assert not any(n.startswith(("libQt6Network", "Qt6Network", "libQt6Qml", "Qt6Qml", "_tkinter")) for n in names)
