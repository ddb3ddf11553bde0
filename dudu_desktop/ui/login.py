"""Log-in at start, the first administrator, changing one's password, and the start-up checks
(damaged file → offer the latest good backup; the daily automatic backup).

Entry points for the application start (after the first-run wizard has set the site up)::

    ctx = login(database, parent)            # Context for the user, or None if cancelled
    if ctx is None: quit
    start_checks(ctx, db_path, parent)       # quick_check (+ offer restore), then auto backup

``login`` shows :class:`FirstAdminDialog` while the database has no account (the first run creates
the admin), else :class:`LoginDialog`, then :class:`ChangePasswordDialog` if an admin reset the
password. ``exec_dialog`` lets tests drive the dialogs without a modal loop.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QVBoxLayout,
    QWidget,
)

from dudu_desktop.domain.problems import Problem, Refused
from dudu_desktop.domain.vocab import Role
from dudu_desktop.failures import user_message
from dudu_desktop.i18n import _
from dudu_desktop.services import backup, users
from dudu_desktop.services.context import Context
from dudu_desktop.ui.geometry import grow_to_fit, keep_height
from dudu_desktop.ui.uistate import last_user, remember_user

ExecDialog = Callable[[QDialog], bool]
ERROR = "#c62828"  # the colour of ui/style.py's ERROR (kept here: no import cycle)
ERROR_BORDER = f"border: 2px solid {ERROR}; border-radius: 3px;"


def error_label() -> QLabel:
    label = QLabel()
    label.setStyleSheet(f"color: {ERROR};")
    label.setWordWrap(True)
    label.setVisible(False)
    return label


def mark_error(widget: QWidget, messages: list[str] | None, label: QLabel) -> None:
    keep_height(widget)  # the message goes under the field, never squashes it
    widget.setStyleSheet(ERROR_BORDER if messages else "")
    widget.setProperty("hasError", bool(messages))
    label.setText("\n".join(messages or []))
    label.setVisible(bool(messages))
    if messages:
        grow_to_fit(widget)


def _exec(dialog: QDialog) -> bool:
    return dialog.exec() == QDialog.Accepted


def _password_field(name: str) -> QLineEdit:
    field = QLineEdit()
    field.setObjectName(name)
    field.setEchoMode(QLineEdit.Password)
    field.setMaxLength(users.MAX_PASSWORD_LENGTH)
    return field


def _with(field: QWidget, label: QLabel) -> QWidget:
    box = QWidget()
    v = QVBoxLayout(box)
    v.setContentsMargins(0, 0, 0, 0)
    v.addWidget(field)
    v.addWidget(label)
    return box


class _Form(QDialog):
    """A small form whose OK runs :meth:`submit`; a Refused keeps the dialog open with the messages."""

    def __init__(self, title: str, intro: str, parent=None):
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setMinimumWidth(380)
        layout = QVBoxLayout(self)
        if intro:
            label = QLabel(intro)
            label.setWordWrap(True)
            layout.addWidget(label)
        self.form = QFormLayout()
        layout.addLayout(self.form)
        self.error = error_label()
        self.error.setObjectName("error")
        layout.addWidget(self.error)
        self.buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        self.buttons.accepted.connect(self.try_accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.fields: dict[str, tuple[QLineEdit, QLabel]] = {}

    def add_field(self, key: str, label: str, field: QLineEdit) -> QLineEdit:
        message = error_label()
        previous = list(self.fields.values())[-1][0] if self.fields else None
        self.fields[key] = (field, message)
        self.form.addRow(label, _with(field, message))
        # Tab goes down the fields, then 确定 → 取消 (the buttons were made first)
        if previous is not None:
            QWidget.setTabOrder(previous, field)
        QWidget.setTabOrder(field, self.buttons.button(QDialogButtonBox.Ok))
        QWidget.setTabOrder(self.buttons.button(QDialogButtonBox.Ok), self.buttons.button(QDialogButtonBox.Cancel))
        if isinstance(field, QLineEdit):
            field.textEdited.connect(lambda _text, key=key: self._clear_problem(key))
        return field

    def _clear_problem(self, key: str) -> None:
        """Typing in a field takes its message away (it is checked again on 确定)."""
        field, label = self.fields[key]
        if label.isVisible():
            mark_error(field, None, label)

    def first_empty(self) -> QWidget | None:
        for field, _label in self.fields.values():
            if isinstance(field, QLineEdit) and not field.text() and field.isEnabled():
                return field
        return None

    def showEvent(self, event) -> None:
        super().showEvent(event)
        target = self.first_empty() or (list(self.fields.values())[0][0] if self.fields else None)
        if target is not None:
            target.setFocus()

    def show_problems(self, exc: Refused) -> None:
        by_field = exc.by_field()
        for key, (field, label) in self.fields.items():
            mark_error(field, by_field.pop(key, None), label)
        rest = [m for messages in by_field.values() for m in messages]
        self.error.setText("\n".join(rest))
        self.error.setVisible(bool(rest))

    def submit(self) -> None:
        raise NotImplementedError

    def try_accept(self) -> bool:
        try:
            self.submit()
        except Refused as exc:
            self.show_problems(exc)
            return False
        self.accept()
        return True


class LoginDialog(_Form):
    """User name and password; on success ``self.user`` is the :class:`users.User`."""

    def __init__(self, conn, parent=None, clock: Callable[[], dt.datetime] | None = None):
        super().__init__(_("Log in"), _("Log in with your account on this PC."), parent)
        self.conn, self.clock, self.user = conn, clock or dt.datetime.now, None
        self.username = self.add_field("username", _("User name"), QLineEdit())
        self.username.setObjectName("username")
        self.username.setMaxLength(users.MAX_NAME_LENGTH)
        self.password = self.add_field("password", _("Password"), _password_field("password"))
        self.username.setText(last_user())  # the last user name, remembered (ui.ini)

    def submit(self) -> None:
        try:
            self.user = users.authenticate(self.conn, self.username.text(), self.password.text(), self.clock())
        except Refused:
            self.password.clear()
            self.password.setFocus()
            raise


class FirstAdminDialog(_Form):
    """The first account, an administrator (the first run creates it). ``self.user`` on success."""

    def __init__(self, ctx: Context, parent=None):
        super().__init__(
            _("Create the administrator account"),
            _(
                "No account exists yet. Create the administrator: this person adds the other "
                "accounts and can reset their passwords. Keep the password safe: it cannot be "
                "recovered, only reset by another administrator."
            ),
            parent,
        )
        self.ctx, self.user = ctx, None
        self.username = self.add_field("username", _("User name"), QLineEdit())
        self.username.setObjectName("username")
        self.username.setMaxLength(users.MAX_NAME_LENGTH)
        self.display_name = self.add_field("display_name", _("Full name"), QLineEdit())
        self.display_name.setObjectName("display_name")
        self.password = self.add_field("password", _("Password"), _password_field("password"))
        self.repeat = self.add_field("repeat", _("Repeat the password"), _password_field("repeat"))
        hint = QLabel(_("At least {n} characters.").format(n=users.MIN_PASSWORD_LENGTH))
        self.form.addRow("", hint)

    def submit(self) -> None:
        if self.password.text() != self.repeat.text():
            raise Refused([Problem("repeat", _("The two passwords differ."))])
        actor = Context(
            conn=self.ctx.conn,
            user=self.username.text().strip() or self.ctx.user,
            role=Role.ADMIN,
            clock=self.ctx.clock,
        )
        self.user = users.create_user(
            actor, self.username.text(), self.password.text(), Role.ADMIN, display_name=self.display_name.text()
        )


class ChangePasswordDialog(_Form):
    """The acting user changes their own password (``forced`` after an admin's reset)."""

    def __init__(self, ctx: Context, parent=None, *, forced: bool = False):
        super().__init__(
            _("Change your password"),
            _("An administrator reset your password: choose a new one now.") if forced else "",
            parent,
        )
        self.ctx = ctx
        self.old = self.add_field("old_password", _("Current password"), _password_field("old_password"))
        self.new = self.add_field("new_password", _("New password"), _password_field("new_password"))
        self.repeat = self.add_field("repeat", _("Repeat the new password"), _password_field("repeat"))

    def submit(self) -> None:
        if self.new.text() != self.repeat.text():
            raise Refused([Problem("repeat", _("The two passwords differ."))])
        users.change_own_password(self.ctx, self.old.text(), self.new.text())


def login(
    conn, parent=None, *, exec_dialog: ExecDialog | None = None, clock: Callable[[], dt.datetime] | None = None
) -> Context | None:
    """The Context of the person using the program, or None if they cancelled."""
    run = exec_dialog or _exec
    if not users.has_users(conn):
        base = (
            Context(conn=conn, role=Role.ADMIN) if clock is None else Context(conn=conn, role=Role.ADMIN, clock=clock)
        )
        dialog = FirstAdminDialog(base, parent)
        if not run(dialog) or dialog.user is None:
            return None
        remember_user(dialog.user.username)
        return dialog.user.context(conn, clock)
    dialog = LoginDialog(conn, parent, clock)
    if not run(dialog) or dialog.user is None:
        return None
    remember_user(dialog.user.username)
    ctx = dialog.user.context(conn, clock)
    if dialog.user.must_change_password:
        if not run(ChangePasswordDialog(ctx, parent, forced=True)):
            return None
    return ctx


#: Above this size (a township or county file) the integrity check reads for seconds to minutes and
#: the daily copy takes as long: both then run on a worker thread after the window shows.
LARGE_FILE_BYTES = 200 * 1024 * 1024


def is_large(db_path) -> bool:
    try:
        return Path(db_path).stat().st_size > LARGE_FILE_BYTES
    except (OSError, TypeError):
        return False


def check_in_background(window, db_path, *, ask: Callable[[str], bool] | None = None):
    """The start-up ``quick_check`` and the daily backup of a large file, off the UI thread (each with
    its own connection). The result shows in the status bar; damage is reported with the offer to
    restore the latest good backup, after which the program closes so that it restarts on it."""
    from PySide6.QtWidgets import QApplication

    from dudu_desktop.ui import workers

    ctx = window.ctx
    window.statusBar().showMessage(_("Checking the database in the background…"))

    def work(job):
        problems = backup.startup_problems(job.conn)
        if not problems:
            try:
                backup.auto_backup_if_due(job.ctx, checked=True)
            except Exception:  # noqa: BLE001 — a failed automatic copy must not stop the work
                return ["backup_failed"]
        return problems

    def done(problems) -> None:
        if not problems:
            window.statusBar().showMessage(_("Database checked: no problems found."), 8000)
            return
        if problems == ["backup_failed"]:
            window.statusBar().showMessage(_("The automatic backup could not be made."), 8000)
            return
        if start_checks_damaged(ctx, db_path, window, ask=ask) == "restored":
            QMessageBox.information(
                window, _("Database damaged"), _("The backup was restored. The program closes now; start it again.")
            )
            QApplication.instance().exit(0)

    job = workers.Job(work, db_path=db_path, ctx=ctx)
    job.connect(window, done=done, failed=lambda message: window.statusBar().showMessage(message, 8000))
    window.startup_job = job
    return workers.start(job)


def start_checks_damaged(ctx: Context, db_path, parent=None, *, ask: Callable[[str], bool] | None = None) -> str:
    """The file is damaged: offer the latest good backup (an admin restores it)."""
    ask = ask or (lambda text: QMessageBox.question(parent, _("Database damaged"), text) == QMessageBox.Yes)
    good = backup.latest_good_backup(db_path)
    if good is None:
        QMessageBox.critical(
            parent,
            _("Database damaged"),
            _("The database file is damaged and no good backup was found. Stop using this PC's data and ask for help."),
        )
        return "damaged"
    info = backup.preview_backup(good)
    text = _(
        "The database file is damaged. Restore the latest good backup ({name}, last change {changed})? "
        "Changes made after it will be lost; the damaged file is kept in the backups folder."
    ).format(name=Path(good).name, changed=info["last_change"])
    if not ask(text):
        return "damaged"
    try:
        backup.restore(ctx, good)
    except (Refused, OSError, sqlite3.Error) as exc:  # a full disk, a read-only folder…: in words
        QMessageBox.critical(parent, _("Database damaged"), user_message(exc, db_path=db_path))
        return "damaged"
    return "restored"


def start_checks(ctx: Context, db_path, parent=None, *, ask: Callable[[str], bool] | None = None) -> str:
    """After log-in: ``PRAGMA quick_check``; if the file is damaged, offer the latest good backup
    (an admin restores it); then the daily automatic backup. Returns "ok", "restored", "damaged"
    (not restored), "backup_failed", or "deferred" for a large file (see :func:`check_in_background`)."""
    if is_large(db_path):
        return "deferred"  # checked on a worker thread once the window shows: check_in_background
    if backup.startup_problems(ctx.conn):
        return start_checks_damaged(ctx, db_path, parent, ask=ask)
    try:
        backup.auto_backup_if_due(ctx)
    except Exception:  # noqa: BLE001 — a failed automatic copy must not stop the work
        return "backup_failed"
    return "ok"
