"""Start-up: the first-run wizard (village, with a refused code shown at the field; or demo data),
the log-in hook, the remembered database and window state, the bundled font, the print hook."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication

from dudu_desktop.services import site
from dudu_desktop.storage.db import open_database
from dudu_desktop.ui import app as uiapp
from dudu_desktop.ui.main_window import ui_settings


def _first_admin(dialog):
    dialog.username.setText("admin")
    dialog.display_name.setText("管理员")
    dialog.password.setText("correct horse 1")
    dialog.repeat.setText("correct horse 1")
    return dialog.try_accept()


def test_first_run_wizard_sets_up_a_village(qtbot, tmp_path):
    path = tmp_path / "new.sqlite3"

    def wizard(w):
        w.village_radio.setChecked(True)
        w.code.setText("5002431042")  # too short: refused at the field
        w.name.setText("都督村")
        assert not w.finish()
        assert "12位" in w.code_error.text() and not w.code_error.isHidden()
        w.code.setText("500243104201")
        assert not w.finish()  # a village names its township (issue 12)
        w.township_code.setText("500243104000")
        w.township_name.setText("都督乡")
        return w.finish()

    win = uiapp.start(path, wizard_exec=wizard, login_exec=_first_admin)
    try:
        assert win is not None and win.windowTitle() == "都督乡法治工作台账"
        assert site.site(win.ctx.conn)["name"] == "都督村" and win.ctx.user == "admin"
        assert ui_settings().value("database/path") == str(path)
        win.resize(1000, 700)
        win.show_page("hotline")
        win.close()  # window state is saved…
        again = uiapp.start(None, login_exec=lambda d: False)  # …and the database remembered
        assert again is None  # (log-in cancelled)
        assert ui_settings().value("window/page") == "hotline"
    finally:
        win.ctx.conn.close()


def test_first_run_can_open_the_demo_data(qtbot, tmp_path):
    demo_file = tmp_path / "demo.sqlite3"

    def wizard(w):
        w.demo_radio.setChecked(True)
        w.demo_path.setText(str(demo_file))
        return w.finish()

    win = uiapp.start(tmp_path / "empty.sqlite3", wizard_exec=wizard, login_exec=_first_admin)
    try:
        assert win.db_path == demo_file
        assert site.site(win.ctx.conn)["role"] == site.TOWNSHIP and len(site.villages(win.ctx.conn)) == 5
        assert win.ctx.conn.execute("SELECT count(*) FROM disputes").fetchone()[0] > 50
    finally:
        win.close()
        win.ctx.conn.close()
    assert site.site(open_database(tmp_path / "empty.sqlite3")) is None  # the empty file is untouched


def test_bundled_font_and_print_hook(qtbot, window):
    family = uiapp.load_fonts()
    assert family and "WenQuanYi" in family and QApplication.font().family() == family
    from dudu_desktop.ui.print_preview import PrintPreviewDialog  # the reports module's preview (issue 4)

    window.print_action.trigger()
    previews = window.findChildren(PrintPreviewDialog)
    assert len(previews) == 1
    with qtbot.waitSignal(previews[0].ready, timeout=20000):
        pass
    assert window.print_action.shortcut().toString() == "Ctrl+P"
    assert window.hotline_action.shortcut().toString() == "Ctrl+N"
