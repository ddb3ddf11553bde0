"""Every top-level window and dialog fits a 1024×768 and a 1366×768 screen: its buttons are on screen.

The offscreen platform takes the screen's size from a JSON config file
(``QT_QPA_PLATFORM=offscreen:configfile=…``), so each size runs tests/ui/fit_probe.py in a
subprocess on a real screen of that size, which opens every window and dialog (with and without
error messages shown) and reports the buttons that lie outside the screen's available geometry.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from dudu_desktop.ui import geometry

PROBE = Path(__file__).with_name("fit_probe.py")
TASKBAR = 40  # the Windows taskbar: the screen's available height is 768 - 40 (as scripts/screenshots.py)


def probe(tmp_path: Path, width: int, height: int) -> dict:
    config = tmp_path / f"screen-{width}x{height}.json"
    config.write_text(
        json.dumps(
            {
                "screens": [
                    {
                        "name": "office",
                        "x": 0,
                        "y": 0,
                        "width": width,
                        "height": height - TASKBAR,
                        "logicalDpi": 96,
                        "logicalBaseDpi": 96,
                        "dpr": 1,
                    }
                ]
            }
        )
    )
    env = dict(os.environ, QT_QPA_PLATFORM=f"offscreen:configfile={config}", DUDU_HOME=str(tmp_path))
    done = subprocess.run([sys.executable, str(PROBE)], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("size", [(1024, 768), (1366, 768)])
def test_every_window_and_dialog_keeps_its_buttons_on_screen(tmp_path, size):
    report = probe(tmp_path, *size)
    assert report["screen"] == [size[0], size[1] - TASKBAR]  # the platform really gave us that screen
    assert report["font"] == ["WenQuanYi Micro Hei", 10.5]  # measured in the app's own font
    names = {w["window"] for w in report["windows"]}
    for expected in (
        "wizard",
        "log-in",
        "first admin",
        "main window: disputes",
        "new hotline",
        "disputes record tab 0",
        "new trainings",
        "new publicity",
        "print preview",
        "action: result",
        "about",
        "township window: sync",
        "disputes record tab 4",
        "attachment viewer: image/jpeg",
        "attachment viewer: application/pdf",
    ):
        assert expected in names
    trouble = [(w["window"], w["frame"], w["outside"]) for w in report["windows"] if w["outside"] or not w["fits"]]
    assert trouble == [], trouble
    # forms scroll (the settings and accounts pages, the record dialogs), but no button is reached only by
    # scrolling: none below the fold anywhere
    folded = [(w["window"], w["folded"]) for w in report["windows"] if w["folded"]]
    assert folded == [], folded
    # the attachment buttons of the hotline and publicity dialogs among them (issues 12 and 16): in sight
    # on the record's 附件 tab
    for register, buttons in (
        ("hotline", {"添加附件…", "查看", "作废…"}),
        ("publicity", {"添加附件…", "查看", "作废…", "用于报告"}),
    ):
        sights = [set(w["in_sight"]) for w in report["windows"] if w["window"].startswith(f"{register} record")]
        assert any(buttons <= sight for sight in sights), (register, sights)
    # the registers: every column title readable, the long text last and within the view (no sideways scrolling)
    pages = [w for w in report["windows"] if w["columns"]]
    assert len(pages) == 8
    for w in pages:
        *columns, view = w["columns"]
        assert [c["title"] for c in columns if c["width"] < c["needs"]] == [], w["window"]
        # dates, times, numbers and the short fixed words whole (2024年12月31日 in the app's own font)
        whole = ("registered_on", "held_on", "called_at", "serial_no", "level", "status", "overdue", "result")
        assert [
            (c["title"], c["width"], c["content"]) for c in columns if c["key"] in whole and c["width"] < c["content"]
        ] == [], w["window"]
        assert columns[-1]["right"] <= view["viewport"], (w["window"], columns[-1], view)
        assert columns[-1]["width"] >= 80, w["window"]
    # the home page's charts: the village's three, the township's four, inside the page's width and
    # as tall as they need (the page scrolls instead of squeezing them)
    homes = {w["window"]: w["charts"] for w in report["windows"] if w["window"].endswith(": home")}
    assert sorted(len(c) for c in homes.values()) == [3, 4], homes
    for name, charts in homes.items():
        for c in charts:
            assert 0 <= c["left"] and c["right"] <= c["viewport"] and c["height"] >= c["needs"], (name, c)


def test_fit_to_screen_shrinks_to_the_available_area_and_centres(qtbot):
    from PySide6.QtWidgets import QDialog

    dialog = QDialog()
    qtbot.addWidget(dialog)
    avail = geometry.available_geometry(dialog)
    size = geometry.fit_to_screen(dialog, 5000, 300)
    assert size.width() == avail.width() - geometry.FRAME.width() and size.height() == 300
    assert dialog.x() == avail.x() and dialog.y() == avail.y() + (avail.height() - 300 - geometry.FRAME.height()) // 2
