"""Starting the window: the bundled CJK font, the database, the first-run wizard, the main window."""

from __future__ import annotations

import getpass
import os
import sys
from pathlib import Path

from PySide6.QtCore import QElapsedTimer, QEvent, QLibraryInfo, QObject, QRectF, Qt, QTimer, QTranslator
from PySide6.QtGui import QColor, QFont, QFontDatabase, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox

from dudu_desktop.domain.problems import Refused
from dudu_desktop.domain.vocab import Role
from dudu_desktop.failures import user_message
from dudu_desktop.i18n import current_locale, set_locale
from dudu_desktop.paths import default_db_path, resources_dir
from dudu_desktop.services import site
from dudu_desktop.services.context import Context
from dudu_desktop.storage.db import open_database
from dudu_desktop.ui import style
from dudu_desktop.ui.language import saved_language
from dudu_desktop.ui.main_window import WINDOW_TITLE, MainWindow, ui_settings

FONT_FILE = "wqy-microhei.ttc"
ICON_FILES = ("app.ico", "app.png")  # resources/icons, drawn by scripts/make_icons.py
#: ``DUDU_SMOKE_TEST=1``: open the main window on the given database, quit after its first paint (exit 0).
#: Used by scripts/build.py on the frozen program; log-in with DUDU_USER/DUDU_PASSWORD once accounts exist.
SMOKE_TEST_ENV = "DUDU_SMOKE_TEST"


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
        font.setPointSizeF(10.5)  # 五号
        QApplication.setFont(font)
    return family


def make_icon() -> QIcon:
    """The window icon: resources/icons/app.ico (all sizes), else drawn here: a blue seal with 法."""
    for name in ICON_FILES:
        path = resources_dir() / "icons" / name
        icon = QIcon(str(path)) if path.exists() else QIcon()
        if not icon.isNull():
            return icon
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
    load_qt_translations(app)
    app.setStyleSheet(style.APP_STYLE)
    app.setWindowIcon(make_icon())
    return app


def load_qt_translations(app: QApplication) -> bool:
    """Qt's own strings (确定/取消 on standard buttons, the print dialog) in the active language."""
    if current_locale() == "en":
        return False
    translator = QTranslator(app)
    if translator.load(f"qtbase_{current_locale()}", QLibraryInfo.path(QLibraryInfo.TranslationsPath)):
        app.installTranslator(translator)
        app._qt_translator = translator  # keep it alive
        return True
    return False


def current_user() -> str:
    try:
        return os.environ.get("DUDU_USER") or getpass.getuser()
    except Exception:  # noqa: BLE001 - no login name on some systems
        return "admin"


def open_context(db_path) -> Context:
    return Context(conn=open_database(db_path), user=current_user(), role=Role.ADMIN)


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
        from dudu_desktop.ui.wizard import FirstRunWizard  # the first run only

        wizard = FirstRunWizard(ctx, path)
        accepted = (wizard_exec or (lambda w: w.exec() == QDialog.Accepted))(wizard)
        if not accepted:
            ctx.conn.close()
            return None
        if wizard.db_path and wizard.db_path != path:
            ctx.conn.close()
            path = wizard.db_path
            ctx = open_context(path)
    # log-in (the first run creates the administrator), then the start-up checks and daily backup
    from dudu_desktop.ui import login as login_ui

    user_ctx = login_ui.login(ctx.conn, exec_dialog=login_exec)
    if user_ctx is None:
        ctx.conn.close()
        return None
    ctx = user_ctx
    checks = login_ui.start_checks(ctx, path)
    if checks == "restored":
        ctx.conn.close()
        ctx = Context(conn=open_database(path), user=ctx.user, role=ctx.role)
    settings = ui_settings()
    settings.setValue("database/path", str(path))
    settings.sync()
    window = MainWindow(ctx, path)
    if checks == "deferred":
        login_ui.check_in_background(window, path)
    return window


class _FirstPaint(QObject):
    """Quits the application after the watched window's first paint."""

    def __init__(self, app: QApplication, clock: QElapsedTimer):
        super().__init__()
        self.app, self.painted, self.clock = app, False, clock

    def eventFilter(self, obj, event) -> bool:
        if event.type() == QEvent.Paint and not self.painted:
            self.painted = True
            self.elapsed = self.clock.elapsed()
            # exit(), not quit(): Qt 6's quit() closes every window, and the last one closing posts
            # a second quit that would end whichever event loop runs next
            QTimer.singleShot(0, lambda: self.app.exit(0))
        return False


def smoke_test(app: QApplication, db_path=None) -> int:
    """``DUDU_SMOKE_TEST=1``: the main window on an existing, set-up database; exit 0 after the first
    paint. No wizard and no dialogs: accounts log in with DUDU_USER/DUDU_PASSWORD (refused → exit 1)."""
    from dudu_desktop.services import users

    clock = QElapsedTimer()
    clock.start()

    def say(text: str) -> None:
        if sys.stdout is not None:  # a windowed .exe has no stdout
            print(text, flush=True)

    path = Path(db_path) if db_path else default_db_path()
    if not path.exists():
        say(f"smoke test: no database at {path}")
        return 1
    database = open_database(path, create=False)
    if site.site(database) is None:
        say("smoke test: the database is not set up (run init)")
        return 1
    if users.has_users(database):
        try:
            user = users.authenticate(database, os.environ.get("DUDU_USER", ""), os.environ.get("DUDU_PASSWORD", ""))
        except Refused as exc:
            say(f"smoke test: log-in refused: {exc}")
            return 1
        ctx = user.context(database)
    else:
        ctx = Context(conn=database, user="smoke-test", role=Role.VIEWER)
    window = MainWindow(ctx, path)
    watcher = _FirstPaint(app, clock)
    window.installEventFilter(watcher)
    deadline = QTimer()
    deadline.setSingleShot(True)
    deadline.timeout.connect(lambda: app.exit(3))  # never hang a build
    deadline.start(60_000)
    window.show()
    code = app.exec()
    deadline.stop()
    if not watcher.painted:
        say("smoke test: the window was never painted")
        return code or 2
    pdf = os.environ.get("DUDU_SMOKE_PDF")  # also render a PDF's first page as the print preview does
    if pdf:
        from dudu_desktop.ui.print_preview import render_pages

        image = render_pages(Path(pdf).read_bytes(), dpi=50, pages=[0])[0]
        say(f"smoke test: print preview page 1 rendered {image.width()}×{image.height()} px")
    say(
        f"smoke test: first paint {watcher.elapsed} ms after opening the database; {window.windowTitle()}; "
        f"pages: {window.nav.count()}; Qt translation: {'yes' if getattr(app, '_qt_translator', None) else 'no'}"
    )
    window.hide()  # not close(): see _FirstPaint
    return 0


def first_paint_probe(widget) -> None:
    """Benchmark hook (``DUDU_BENCH_FIRST_PAINT=1``, used by bench/bench.py): print the wall-clock
    time of the widget's first paint as ``FIRST_PAINT <seconds since the epoch>`` and quit."""
    import time

    from PySide6.QtCore import QEvent, QObject, QTimer

    class _Probe(QObject):
        def eventFilter(self, obj, event):
            if event.type() == QEvent.Paint and not getattr(self, "seen", False):
                self.seen = True
                print(f"FIRST_PAINT {time.time():.6f}", flush=True)
                QTimer.singleShot(0, QApplication.quit)
            return False

    widget._first_paint_probe = _Probe(widget)
    widget.installEventFilter(widget._first_paint_probe)


def install_excepthook(db_path=None) -> None:
    """An exception nobody caught in the window: a known failure (a locked database, a full disk, a
    read-only folder…) or a refusal is a message box with its sentence; anything else is a bug, written
    with its traceback to the log (``logs/`` beside the database, :mod:`dudu_desktop.failures`) and the
    message box names the file. The window stays open."""
    showing = []

    def hook(kind, exc, tb):
        if issubclass(kind, KeyboardInterrupt) or exc is None:
            sys.__excepthook__(kind, exc, tb)
            return
        message = user_message(exc.with_traceback(tb), db_path=db_path or default_db_path(), where="window")
        if showing:  # one box at a time; the log has the rest
            return
        showing.append(True)
        try:
            QMessageBox.critical(QApplication.activeWindow(), WINDOW_TITLE, message)
        finally:
            showing.clear()

    sys.excepthook = hook


def run_gui(db_path=None) -> int:
    set_locale(os.environ.get("DUDU_LANG") or saved_language())
    app = application()
    install_excepthook(db_path)
    if os.environ.get(SMOKE_TEST_ENV) == "1":
        return smoke_test(app, db_path)
    try:
        window = start(db_path)
    except Refused as exc:
        QMessageBox.critical(None, WINDOW_TITLE, user_message(exc))
        return 1
    if window is None:
        return 0
    if os.environ.get("DUDU_BENCH_FIRST_PAINT"):
        first_paint_probe(window)
    window.show()
    return app.exec()
