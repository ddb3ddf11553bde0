"""Issue 14, window start: the main window is painted without the printing (reportlab, pypdfium2) or
the sync engine's ``cryptography``; a page is built when it is first shown (or looked up), so the
start builds the home page alone, and everything reached through ``window.pages`` works as before."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from dudu_desktop.cli import main

HEAVY = ("reportlab", "cryptography", "pypdfium2")

START = """
import json, sys
from dudu_desktop.i18n import set_locale
from dudu_desktop.ui.app import application, open_context
from dudu_desktop.ui.main_window import MainWindow
from PySide6.QtCore import QEvent, QObject, QTimer
set_locale("zh_CN")
app = application()
window = MainWindow(open_context(sys.argv[1]), sys.argv[1])   # what ui.app.start does after the log-in
painted = []
class FirstPaint(QObject):
    def eventFilter(self, obj, event):
        if event.type() == QEvent.Paint and not painted:
            painted.append(True)
            QTimer.singleShot(0, lambda: app.exit(0))
        return False
probe = FirstPaint()
window.installEventFilter(probe)
window.show()
QTimer.singleShot(20000, lambda: app.exit(3))
code = app.exec()
print("RESULT " + json.dumps({
    "code": code, "painted": bool(painted), "built": list(window.pages.built()), "pages": list(window.pages),
    "figures": len(window.home.buttons), "charts": sorted(window.home.charts),
    "modules": sorted(m for m in sys.modules if m.split(".")[0] in HEAVY
                      or m.startswith(("dudu_desktop.sync.", "dudu_desktop.reports"))),
}))
"""


def run_start(db, home) -> dict:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "DUDU_HOME": str(home)}
    out = subprocess.run(
        [sys.executable, "-c", START.replace("HEAVY", repr(HEAVY)), str(db)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    lines = [x for x in out.stdout.splitlines() if x.startswith("RESULT ")]
    assert lines, out.stderr[-3000:]
    return json.loads(lines[-1][len("RESULT ") :])


def test_the_window_is_painted_without_printing_or_sync_crypto_and_builds_the_home_page_alone(tmp_path):
    db = tmp_path / "township.sqlite3"
    assert main(["--db", str(db), "demo", "--year", "2024", "--villages", "1", "--seed", "3"]) == 0
    got = run_start(db, tmp_path)
    assert got["code"] == 0 and got["painted"]
    assert got["modules"] == []  # no reportlab, cryptography, pypdfium2, sync engine, reports
    assert got["built"] == ["home"]
    assert got["pages"] == ["home", "disputes", "trainings", "hotline", "publicity", "sync", "settings", "admin"]
    assert got["figures"] > 0 and got["charts"] == ["levels", "months", "types", "villages"]  # home: whole


def test_pages_are_built_on_first_look_up_and_work_as_before(qtbot, window):
    from dudu_desktop.ui.register_page import RegisterPage
    from dudu_desktop.ui.sync_pages import SyncPage

    pages = window.pages
    assert list(pages.built()) == ["home"]
    assert "disputes" in pages and "admin" in pages and "nothing" not in pages and len(pages) == 8
    assert list(pages.built()) == ["home"]  # asking which pages exist builds none
    page = pages["disputes"]  # a look-up builds the page, not yet shown
    assert isinstance(page, RegisterPage) and pages["disputes"] is page
    assert window.stack.indexOf(page) == list(pages).index("disputes")
    assert window.page_key() == "home"
    with qtbot.waitSignal(page.model.loaded, timeout=10000):
        window.show_page("disputes")  # the first show loads its rows
    assert window.stack.currentWidget() is page and window.page_key() == "disputes"
    assert isinstance(window.sync_page, SyncPage) and window.stack.indexOf(window.sync_page) == 5
    assert window.stack.count() == 8 and window.stack.indexOf(window.admin_page) == 7
    window.refresh_all()  # refreshes the built pages, builds no other
    assert list(pages.built()) == ["home", "disputes", "sync", "admin"]
    window.show_page("settings")
    assert window.page_key() == "settings" and window.stack.currentWidget() is window.settings_page
