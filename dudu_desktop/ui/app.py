"""Starting the window: the bundled CJK font, the database, the first-run wizard, the main window."""

from __future__ import annotations

import getpass
import os
import sys
from pathlib import Path

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontDatabase, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox

from dudu_desktop.domain.problems import Refused
from dudu_desktop.domain.vocab import Role
from dudu_desktop.i18n import _, set_locale
from dudu_desktop.paths import default_db_path, resources_dir
from dudu_desktop.services import site
from dudu_desktop.services.context import Context
from dudu_desktop.storage.db import open_database
from dudu_desktop.ui import style
from dudu_desktop.ui.main_window import WINDOW_TITLE, MainWindow, ui_settings
from dudu_desktop.ui.wizard import FirstRunWizard

FONT_FILE = "wqy-microhei.ttc"


def load_fonts() -> str | None:
    """Register the bundled CJK font and make it the application font; returns its family."""
    path = resources_dir() / "fonts" / FONT_FILE
    font_id = QFontDatabase.addApplicationFont(str(path)) if path.exists() else -1
    if font_id < 0:
        return None
    families = QFontDatabase.applicationFontFamilies(font_id)
    family = next((f for f in families if "Mono" not in f), families[0] if families else None)
    if family:
        font = QFont(family)
        font.setPointSizeF(10.5)        # 五号
        QApplication.setFont(font)
    return family


def make_icon() -> QIcon:
    """The window icon, drawn here: a blue seal with 法."""
    icon = QIcon()
    for size in (16, 32, 64, 128):
        pix = QPixmap(size, size)
        pix.fill(Qt.transparent)
        p = QPainter(pix)
        p.setRenderHint(QPainter.Antialiasing)
        p.setBrush(QColor(style.LEVEL_STRONG["蓝"]))
        p.setPen(Qt.NoPen)
        p.drawRoundedRect(QRectF(0, 0, size, size), size * 0.18, size * 0.18)
        p.setPen(QColor("white"))
        f = QFont(QApplication.font())
        f.setPixelSize(int(size * 0.7))
        f.setBold(True)
        p.setFont(f)
        p.drawText(QRectF(0, 0, size, size), Qt.AlignCenter, "法")
        p.end()
        icon.addPixmap(pix)
    return icon


def application() -> QApplication:
    app = QApplication.instance() or QApplication(sys.argv)
    app.setApplicationName("dudu-desktop")
    app.setApplicationDisplayName(WINDOW_TITLE)
    load_fonts()
    app.setStyleSheet(style.APP_STYLE)
    app.setWindowIcon(make_icon())
    return app


def current_user() -> str:
    try:
        return os.environ.get("DUDU_USER") or getpass.getuser()
    except Exception:  # noqa: BLE001 - no login name on some systems
        return "admin"


def open_context(db_path) -> Context:
    return Context(db=open_database(db_path), user=current_user(), role=Role.ADMIN)


def choose_db_path(db_path=None) -> Path:
    if db_path:
        return Path(db_path)
    remembered = ui_settings().value("database/path")
    if remembered and Path(remembered).exists():
        return Path(remembered)
    return default_db_path()


def start(db_path=None, *, wizard_exec=None, login_exec=None) -> MainWindow | None:
    """Open the database (running the first-run wizard if needed) and build the main window.
    Returns None if the user cancelled the wizard or the log-in. Refused (newer schema, damaged file) propagates."""
    path = choose_db_path(db_path)
    ctx = open_context(path)
    if site.site(ctx.conn) is None:
        wizard = FirstRunWizard(ctx, path)
        accepted = (wizard_exec or (lambda w: w.exec() == QDialog.Accepted))(wizard)
        if not accepted:
            ctx.db.conn.close()
            return None
        if wizard.db_path and wizard.db_path != path:
            ctx.db.conn.close()
            path = wizard.db_path
            ctx = open_context(path)
    # log-in (the first run creates the administrator), then the start-up checks and daily backup
    from dudu_desktop.ui import login as login_ui
    user_ctx = login_ui.login(ctx.db, exec_dialog=login_exec)
    if user_ctx is None:
        ctx.db.conn.close()
        return None
    ctx = user_ctx
    if login_ui.start_checks(ctx, path) == "restored":
        ctx.db.conn.close()
        ctx = Context(db=open_database(path), user=ctx.user, role=ctx.role)
    settings = ui_settings()
    settings.setValue("database/path", str(path))
    settings.sync()
    return MainWindow(ctx, path)


def run_gui(db_path=None) -> int:
    set_locale()
    app = application()
    try:
        window = start(db_path)
    except Refused as exc:
        QMessageBox.critical(None, WINDOW_TITLE, str(exc))
        return 1
    if window is None:
        return 0
    window.show()
    return app.exec()
