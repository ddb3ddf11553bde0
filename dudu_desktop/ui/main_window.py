"""The main window: a thin shell of menus, navigation and a status bar around the pages."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QHBoxLayout, QLabel, QListWidget, QMainWindow, QMessageBox, QStackedWidget, QWidget

from dudu_desktop.domain.fields import REGISTER_TABLES
from dudu_desktop.domain.vocab import Permission
from dudu_desktop.i18n import N_, _
from dudu_desktop.services import people, site
from dudu_desktop.services.context import Context
from dudu_desktop.storage.queries import Filters
from dudu_desktop.ui import workers
from dudu_desktop.ui.geometry import fit_to_screen, keep_on_screen
from dudu_desktop.ui.uistate import ui_settings  # noqa: F401 - also imported from here

# The pages and the record dialogs are imported when first shown, not here (issue 14, start): the
# sync page loads the sync engine and ``cryptography``, the dispute dialog the printing (reportlab,
# pypdfium2), the admin page the key handling; none of it is needed for the first paint.

WINDOW_TITLE = "都督乡法治工作台账"
PAGES = (
    ("home", N_("Home")),
    ("disputes", N_("Disputes")),
    ("trainings", N_("Training and study")),
    ("hotline", N_("Hotline and consultations")),
    ("publicity", N_("Publicity events")),
    ("sync", N_("USB sync")),
    ("settings", N_("Settings")),
    ("admin", N_("Accounts and backups")),
)  # last: administrators only


def dialog_class(register: str):
    """The editor of a register's records (its module is imported on first use)."""
    if register == "disputes":
        from dudu_desktop.ui.dispute_dialog import DisputeDialog

        return DisputeDialog
    if register == "trainings":
        from dudu_desktop.ui.training_dialog import TrainingDialog

        return TrainingDialog
    if register == "hotline":
        from dudu_desktop.ui.hotline_dialog import HotlineDialog

        return HotlineDialog
    if register == "publicity":
        from dudu_desktop.ui.publicity_dialog import PublicityDialog

        return PublicityDialog
    raise KeyError(register)


class LazyPages(Mapping):
    """The window's pages by key, in navigation order; a page is built the first time it is looked
    up (shown, navigated to, or read by ``window.pages[key]``). ``key in pages``, iterating and
    ``len`` build nothing; :meth:`built` is the pages that exist."""

    def __init__(self, factories: dict[str, Callable[[], QWidget]], on_built: Callable[[str, QWidget], None]):
        self._factories = factories
        self._built: dict[str, QWidget] = {}
        self._on_built = on_built

    def __getitem__(self, key: str) -> QWidget:
        page = self._built.get(key)
        if page is None:
            page = self._factories[key]()  # KeyError for a page this window has not
            self._built[key] = page
            self._on_built(key, page)
        return page

    def __contains__(self, key) -> bool:
        return key in self._factories

    def __iter__(self) -> Iterator[str]:
        return iter(self._factories)

    def __len__(self) -> int:
        return len(self._factories)

    def is_built(self, key: str) -> bool:
        return key in self._built

    def built(self) -> dict[str, QWidget]:
        return {k: self._built[k] for k in self._factories if k in self._built}


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
        self.nav.setFixedWidth(132)  # the longest page name, 账户与备份: room for the registers at 1024 px
        self.nav.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.nav.setWordWrap(True)
        self.stack = QStackedWidget()
        h.addWidget(self.nav)
        h.addWidget(self.stack, 1)
        self.setCentralWidget(central)

        self._threaded = threaded
        factories = {"home": self._make_home}
        for register in REGISTER_TABLES:
            factories[register] = lambda register=register: self._make_register(register)
        factories.update(sync=self._make_sync, settings=self._make_settings)
        if ctx.can(Permission.ADMINISTER):
            factories["admin"] = self._make_admin
        self.pages = LazyPages(factories, self._page_built)
        for key in self.pages:  # a placeholder per page until it is first shown
            self.stack.addWidget(QWidget())
            self.nav.addItem(_(dict(PAGES)[key]))
        self.nav.currentRowChanged.connect(self._page_changed)

        self._build_menus()
        info = site.site(ctx.conn) or {}
        self.site_label = QLabel(_("{name} ({code})").format(name=info.get("name", ""), code=info.get("code", "")))
        self.user_label = QLabel(_("User: {user}").format(user=people.display_name(ctx.conn, ctx.user)))
        self.db_label = QLabel(str(db_path or ""))
        self.db_label.setStyleSheet("color: #5f6368;")
        for w in (self.site_label, self.user_label, self.db_label):
            self.statusBar().addPermanentWidget(w)
        page = ui_settings().value("window/page")  # the page restore_state shows: only it is built
        self.show_page(page if page in self.pages else "home")
        self.restore_state()

    # --- the pages, each built when first shown -------------------------------------------------
    def _make_home(self) -> QWidget:
        from dudu_desktop.ui.home_page import HomePage

        page = HomePage(self.ctx)
        page.go.connect(self.navigate)
        return page

    def _make_register(self, register: str) -> QWidget:
        from dudu_desktop.ui.register_page import RegisterPage

        page = RegisterPage(self.ctx, register, self.db_path, threaded=self._threaded)
        page.open_record.connect(self.open_record)
        page.new_record.connect(self.new_record)
        page.changed.connect(self.refresh_all)  # voided / restored: the figures change
        return page

    def _make_sync(self) -> QWidget:
        from dudu_desktop.ui.sync_pages import SyncPage

        page = SyncPage(self.ctx, self.db_path, threaded=self._threaded)
        page.changed.connect(lambda: self.refresh_all(sync=False))  # it refreshed itself
        return page

    def _make_settings(self) -> QWidget:
        from dudu_desktop.ui.settings_page import SettingsPage

        page = SettingsPage(self.ctx)
        page.changed.connect(self.refresh_all)
        return page

    def _make_admin(self) -> QWidget:
        from dudu_desktop.ui.admin_page import AdminPage

        page = AdminPage(self.ctx, self.db_path, threaded=self._threaded)
        page.changed.connect(self.refresh_all)
        return page

    def _page_built(self, key: str, page: QWidget) -> None:
        """Put a newly built page in its placeholder's place in the stack."""
        index = list(self.pages).index(key)
        placeholder = self.stack.widget(index)
        was_current = self.stack.currentIndex() == index
        self.stack.insertWidget(index, page)
        self.stack.removeWidget(placeholder)
        placeholder.deleteLater()
        if was_current:
            self.stack.setCurrentIndex(index)

    @property
    def home(self):
        return self.pages["home"]

    @property
    def sync_page(self):
        return self.pages["sync"]

    @property
    def settings_page(self):
        return self.pages["settings"]

    @property
    def admin_page(self):
        """The accounts and backups page; None for a user who may not administer."""
        return self.pages["admin"] if "admin" in self.pages else None

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
        self.hotline_action = self._action(
            m, _("New hotline entry (from anywhere)"), self.new_hotline, "Ctrl+N", app_wide=True, name="newHotline"
        )
        self.new_action = self._action(
            m, _("New record in this register"), self.new_in_current, "Ctrl+Shift+N", name="newHere"
        )
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
        self.guide_action = self._action(m, _("User guide"), self.show_guide, QKeySequence.HelpContents, name="guide")
        self._action(m, _("Keyboard shortcuts"), self.show_shortcuts)
        m.addSeparator()
        self.about_action = self._action(m, _("About"), self.show_about, name="about")

    # --- pages ----------------------------------------------------------------------------------
    def page_key(self) -> str:
        return list(self.pages)[self.stack.currentIndex()]

    def show_page(self, key: str) -> None:
        self.nav.setCurrentRow(list(self.pages).index(key))

    def _page_changed(self, row: int) -> None:
        if row < 0:
            return
        key = list(self.pages)[row]
        new = not self.pages.is_built(key)
        page = self.pages[key]
        self.stack.setCurrentIndex(row)
        if key == "home" and not new:  # a new home page has just read its figures
            page.refresh()
        elif key in REGISTER_TABLES and not getattr(page, "_loaded_once", False):
            page._loaded_once = True
            page.apply_filters()
        register = key if key in REGISTER_TABLES else None
        if hasattr(self, "new_action"):
            self.new_action.setEnabled(register is not None)
            if register:
                from dudu_desktop.ui.register_page import NEW_LABELS

                self.new_action.setText(_("{new} (this register)").format(new=_(NEW_LABELS[register])))
            else:
                self.new_action.setText(_("New record in this register"))

    def navigate(self, register: str, filters: Filters) -> None:
        page = self.pages[register]
        page._loaded_once = True
        self.show_page(register)
        page.set_filters(filters)

    def refresh_all(self, *, sync: bool = True) -> None:
        """After any action that changes the records, the villages or the sync state: every page
        shows it (the registers, the home figures and charts, the township's sync pages)."""
        built = self.pages.built()  # a page built later reads everything then
        for key, page in built.items():
            if key in REGISTER_TABLES:
                page.reload_villages()
                if getattr(page, "_loaded_once", False):
                    page.refresh()
        if "home" in built:
            built["home"].refresh()
        if sync and "sync" in built:
            built["sync"].refresh()

    # --- records ----------------------------------------------------------------------------------
    def _show_dialog(self, dialog) -> None:
        dialog.saved.connect(self._record_saved)
        dialog.destroyed.connect(lambda _o=None, d=dialog: self.dialogs.remove(d) if d in self.dialogs else None)
        self.dialogs.append(dialog)
        dialog.setWindowModality(Qt.NonModal)  # Ctrl+N still works while an editor is open
        dialog.show()
        dialog.raise_()
        dialog.activateWindow()

    def open_record(self, register: str, record_id: str):
        for d in self.dialogs:
            if isinstance(d, dialog_class(register)) and d.record_id == record_id:
                d.raise_()
                d.activateWindow()
                return d
        dialog = dialog_class(register)(self.ctx, record_id, self)
        self._show_dialog(dialog)
        return dialog

    def new_record(self, register: str):
        dialog = dialog_class(register)(self.ctx, None, self)
        self._show_dialog(dialog)
        return dialog

    def new_hotline(self):
        """Ctrl+N: the hotline quick entry, from any page or editor."""
        for d in self.dialogs:
            if isinstance(d, dialog_class("hotline")) and d.record_id is None and not d.is_dirty():
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
        if self.page_key() not in REGISTER_TABLES:
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
        QMessageBox.information(
            self,
            _("Keyboard shortcuts"),
            "\n".join(
                (
                    _("Ctrl+N  new hotline entry (from anywhere)"),
                    _("Ctrl+Shift+N  new record in the register shown"),
                    _("Ctrl+F  search"),
                    _("Ctrl+S  save the record being edited"),
                    _("Ctrl+P  print"),
                    _("Esc  cancel (asks first if there are unsaved changes)"),
                    _("Ctrl+1 … Ctrl+{n}  go to a page").format(n=len(self.pages)),
                )
            ),
        )

    # --- window state -----------------------------------------------------------------------------
    def restore_state(self) -> None:
        s = ui_settings()
        geometry = s.value("window/geometry")
        if geometry is not None and self.restoreGeometry(geometry):
            keep_on_screen(self)  # saved on a larger screen: shrink it onto this one
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
        workers.close_readers(self)  # the register pages' long-lived read connections
        event.accept()
