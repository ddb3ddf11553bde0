"""The main window: a thin shell of menus, navigation and a status bar around the pages."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QHBoxLayout, QLabel, QListWidget, QMainWindow, QMessageBox, QStackedWidget, QWidget,
)

from dudu_desktop.domain.fields import REGISTER_TABLES
from dudu_desktop.domain.vocab import Permission
from dudu_desktop.i18n import N_, _
from dudu_desktop.services import people, site
from dudu_desktop.services.context import Context
from dudu_desktop.storage.queries import Filters
from dudu_desktop.ui.admin_page import AdminPage
from dudu_desktop.ui.dispute_dialog import DisputeDialog
from dudu_desktop.ui.geometry import fit_to_screen, keep_on_screen
from dudu_desktop.ui.home_page import HomePage
from dudu_desktop.ui.hotline_dialog import HotlineDialog
from dudu_desktop.ui.publicity_dialog import PublicityDialog
from dudu_desktop.ui.register_page import NEW_LABELS, RegisterPage
from dudu_desktop.ui.settings_page import SettingsPage
from dudu_desktop.ui.sync_pages import SyncPage
from dudu_desktop.ui.training_dialog import TrainingDialog
from dudu_desktop.ui.uistate import ui_settings  # noqa: F401 - also imported from here

WINDOW_TITLE = "都督乡法治工作台账"
PAGES = (("home", N_("Home")), ("disputes", N_("Disputes")), ("trainings", N_("Training and study")),
         ("hotline", N_("Hotline and consultations")), ("publicity", N_("Publicity events")),
         ("sync", N_("USB sync")), ("settings", N_("Settings")),
         ("admin", N_("Accounts and backups")))          # last: administrators only
DIALOGS = {"disputes": DisputeDialog, "trainings": TrainingDialog, "hotline": HotlineDialog,
           "publicity": PublicityDialog}


class MainWindow(QMainWindow):
    def __init__(self, ctx: Context, db_path=None, *, threaded: bool = True):
        super().__init__()
        self.ctx = ctx
        self.db_path = db_path
        self.setWindowTitle(WINDOW_TITLE)
        self.dialogs: list = []

        central = QWidget()
        h = QHBoxLayout(central)
        h.setContentsMargins(0, 0, 0, 0)
        h.setSpacing(0)
        self.nav = QListWidget()
        self.nav.setObjectName("nav")
        self.nav.setFixedWidth(132)       # the longest page name, 账户与备份: room for the registers at 1024 px
        self.nav.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.nav.setWordWrap(True)
        self.stack = QStackedWidget()
        h.addWidget(self.nav)
        h.addWidget(self.stack, 1)
        self.setCentralWidget(central)

        self.pages: dict[str, QWidget] = {}
        self.home = HomePage(ctx)
        self.home.go.connect(self.navigate)
        self._add_page("home", self.home)
        for register in REGISTER_TABLES:
            page = RegisterPage(ctx, register, db_path, threaded=threaded)
            page.open_record.connect(self.open_record)
            page.new_record.connect(self.new_record)
            page.changed.connect(self.refresh_all)          # voided / restored: the figures change
            self._add_page(register, page)
        self.sync_page = SyncPage(ctx, db_path, threaded=threaded)
        self.sync_page.changed.connect(lambda: self.refresh_all(sync=False))     # it refreshed itself
        self._add_page("sync", self.sync_page)
        self.settings_page = SettingsPage(ctx)
        self.settings_page.changed.connect(self.refresh_all)
        self._add_page("settings", self.settings_page)
        self.admin_page = None
        if ctx.can(Permission.ADMINISTER):
            self.admin_page = AdminPage(ctx, db_path, threaded=threaded)
            self.admin_page.changed.connect(self.refresh_all)
            self._add_page("admin", self.admin_page)
        self.nav.currentRowChanged.connect(self._page_changed)

        self._build_menus()
        info = site.site(ctx.conn) or {}
        self.site_label = QLabel(_("{name} ({code})").format(name=info.get("name", ""), code=info.get("code", "")))
        self.user_label = QLabel(_("User: {user}").format(user=people.display_name(ctx.conn, ctx.user)))
        self.db_label = QLabel(str(db_path or ""))
        self.db_label.setStyleSheet("color: #5f6368;")
        for w in (self.site_label, self.user_label, self.db_label):
            self.statusBar().addPermanentWidget(w)
        self.nav.setCurrentRow(0)
        self.restore_state()

    def _add_page(self, key: str, widget: QWidget) -> None:
        self.pages[key] = widget
        self.stack.addWidget(widget)
        self.nav.addItem(_(dict(PAGES)[key]))

    def _action(self, menu, text: str, slot, shortcut=None, *, app_wide: bool = False, name: str = "") -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        if app_wide:
            action.setShortcutContext(Qt.ApplicationShortcut)
        if name:
            action.setObjectName(name)
        action.triggered.connect(lambda _checked=False: slot())
        menu.addAction(action)
        self.addAction(action)
        return action

    def _build_menus(self) -> None:
        bar = self.menuBar()
        m = bar.addMenu(_("&File"))
        self.hotline_action = self._action(m, _("New hotline entry (from anywhere)"), self.new_hotline,
                                           "Ctrl+N", app_wide=True, name="newHotline")
        self.new_action = self._action(m, _("New record in this register"), self.new_in_current, "Ctrl+Shift+N",
                                       name="newHere")
        m.addSeparator()
        self.print_action = self._action(m, _("Print…"), self.print_current, QKeySequence.Print, name="print")
        m.addSeparator()
        self._action(m, _("Quit"), self.close, "Ctrl+Q")
        m = bar.addMenu(_("&Edit"))
        self.find_action = self._action(m, _("Search"), self.focus_search, QKeySequence.Find, name="find")
        self._action(m, _("Refresh"), self.refresh_all, QKeySequence.Refresh)
        m = bar.addMenu(_("&Go"))
        for i, (key, label) in enumerate(PAGES):
            if key in self.pages:
                self._action(m, _(label), lambda k=key: self.show_page(k), f"Ctrl+{i + 1}")
        m = bar.addMenu(_("&Help"))
        self.guide_action = self._action(m, _("User guide"), self.show_guide, QKeySequence.HelpContents,
                                         name="guide")
        self._action(m, _("Keyboard shortcuts"), self.show_shortcuts)
        m.addSeparator()
        self.about_action = self._action(m, _("About"), self.show_about, name="about")

    # --- pages ----------------------------------------------------------------------------------
    def page_key(self) -> str:
        return PAGES[self.stack.currentIndex()][0]

    def show_page(self, key: str) -> None:
        self.nav.setCurrentRow([k for k, _l in PAGES].index(key))

    def _page_changed(self, row: int) -> None:
        self.stack.setCurrentIndex(row)
        key = PAGES[row][0]
        page = self.pages[key]
        if key == "home":
            self.home.refresh()
        elif isinstance(page, RegisterPage) and not getattr(page, "_loaded_once", False):
            page._loaded_once = True
            page.apply_filters()
        register = key if key in REGISTER_TABLES else None
        self.new_action.setEnabled(register is not None)
        self.new_action.setText(_("{new} (this register)").format(new=_(NEW_LABELS[register]))
                                if register else _("New record in this register"))

    def navigate(self, register: str, filters: Filters) -> None:
        page = self.pages[register]
        page._loaded_once = True
        self.show_page(register)
        page.set_filters(filters)

    def refresh_all(self, *, sync: bool = True) -> None:
        """After any action that changes the records, the villages or the sync state: every page
        shows it (the registers, the home figures and charts, the township's sync pages)."""
        for key, page in self.pages.items():
            if isinstance(page, RegisterPage):
                page.reload_villages()
                if getattr(page, "_loaded_once", False):
                    page.refresh()
        self.home.refresh()
        if sync:
            self.sync_page.refresh()

    # --- records ----------------------------------------------------------------------------------
    def _show_dialog(self, dialog) -> None:
        dialog.saved.connect(self._record_saved)
        dialog.destroyed.connect(lambda _o=None, d=dialog: self.dialogs.remove(d) if d in self.dialogs else None)
        self.dialogs.append(dialog)
        dialog.setWindowModality(Qt.NonModal)      # Ctrl+N still works while an editor is open
        dialog.show()
        dialog.raise_()
        dialog.activateWindow()

    def open_record(self, register: str, record_id: str):
        for d in self.dialogs:
            if isinstance(d, DIALOGS[register]) and d.record_id == record_id:
                d.raise_()
                d.activateWindow()
                return d
        dialog = DIALOGS[register](self.ctx, record_id, self)
        self._show_dialog(dialog)
        return dialog

    def new_record(self, register: str):
        dialog = DIALOGS[register](self.ctx, None, self)
        self._show_dialog(dialog)
        return dialog

    def new_hotline(self):
        """Ctrl+N: the hotline quick entry, from any page or editor."""
        for d in self.dialogs:
            if isinstance(d, HotlineDialog) and d.record_id is None and not d.is_dirty():
                d.raise_()
                d.activateWindow()
                d.form.editor("channel").setFocus()
                return d
        return self.new_record("hotline")

    def new_in_current(self):
        key = self.page_key()
        if key in REGISTER_TABLES:
            return self.new_record(key)
        return None

    def _record_saved(self, record_id: str) -> None:
        self.statusBar().showMessage(_("Saved."), 4000)
        self.refresh_all()

    def focus_search(self) -> None:
        page = self.pages[self.page_key()]
        if not isinstance(page, RegisterPage):
            self.show_page("disputes")
            page = self.pages["disputes"]
        page.focus_search()

    def print_current(self) -> None:
        """Ctrl+P: print preview of the current register page's monthly ledger (its month and
        village filters), or of this year's annual report from the other pages."""
        from dudu_desktop.ui.print_preview import preview_page
        preview_page(self, self.ctx, self.pages[self.page_key()])

    def show_about(self):
        from dudu_desktop.ui.about import AboutDialog
        dialog = AboutDialog(self)
        dialog.setAttribute(Qt.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def show_guide(self):
        """Help → 使用说明 (F1): the user guide, rendered, offline."""
        from dudu_desktop.ui.guide import GuideDialog
        dialog = GuideDialog(self)
        dialog.setAttribute(Qt.WA_DeleteOnClose)
        dialog.show()
        self.guide_dialog = dialog
        return dialog

    def show_shortcuts(self) -> None:
        QMessageBox.information(self, _("Keyboard shortcuts"), "\n".join((
            _("Ctrl+N  new hotline entry (from anywhere)"),
            _("Ctrl+Shift+N  new record in the register shown"),
            _("Ctrl+F  search"), _("Ctrl+S  save the record being edited"), _("Ctrl+P  print"),
            _("Esc  cancel (asks first if there are unsaved changes)"),
            _("Ctrl+1 … Ctrl+{n}  go to a page").format(n=len(self.pages)))))

    # --- window state -----------------------------------------------------------------------------
    def restore_state(self) -> None:
        s = ui_settings()
        geometry = s.value("window/geometry")
        if geometry is not None and self.restoreGeometry(geometry):
            keep_on_screen(self)            # saved on a larger screen: shrink it onto this one
        else:
            fit_to_screen(self, 1280, 760)
        state = s.value("window/state")
        if state is not None:
            self.restoreState(state)
        page = s.value("window/page")
        if page in self.pages:
            self.show_page(page)

    def save_state(self) -> None:
        s = ui_settings()
        s.setValue("window/geometry", self.saveGeometry())
        s.setValue("window/state", self.saveState())
        s.setValue("window/page", self.page_key())
        s.sync()

    def closeEvent(self, event) -> None:
        for d in list(self.dialogs):
            if not d.close():
                event.ignore()
                return
        self.save_state()
        event.accept()
