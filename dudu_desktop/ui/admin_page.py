"""账户与备份 (administrators only): the accounts on this PC, backups (now, to a USB stick, restore)
and the villages' registration files (township) or the keys this PC holds (village).

Built only on services: ``services.users``, ``services.backup`` and ``sync.keys``. Backups and the
restore run off the UI thread (``ui.workers.Job``, its own connection). After a restore the
program closes, so that nothing keeps using the state read before it; the next start opens the
restored file.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from dudu_desktop.domain.fields import REGISTER_LABELS
from dudu_desktop.domain.problems import Problem, Refused
from dudu_desktop.domain.vocab import Role
from dudu_desktop.failures import user_message
from dudu_desktop.i18n import N_, _
from dudu_desktop.services import backup, site, users
from dudu_desktop.services.context import Context
from dudu_desktop.sync import keys
from dudu_desktop.sync.drives import removable_drives
from dudu_desktop.ui import style, workers
from dudu_desktop.ui.forms import error_label, mark_error, scrolling_page
from dudu_desktop.ui.login import _Form, _password_field
from dudu_desktop.ui.tables import fill, read_only_table

ROLE_LABELS = {
    Role.ADMIN: N_("Administrator"),
    Role.CLERK: N_("Clerk (enters records)"),
    Role.VIEWER: N_("Read only"),
    Role.REVIEWER: N_("Township reviewer"),
}
REASON_LABELS = {
    "auto": N_("Automatic (daily)"),
    "manual": N_("Made by hand"),
    "before_import": N_("Before an import"),
    "before_restore": N_("Before a restore"),
}
PURPOSE_LABELS = {keys.SIGN: N_("signing"), keys.ENCRYPT: N_("encryption")}
GREY = "color: #5f6368;"
#: the lists of this page: one row selected at a time, columns as wide as their contents
LIST = {"single_selection": True, "fit_columns": True, "word_wrap": False}


def role_label(role) -> str:
    return _(ROLE_LABELS[Role(role)]) if role in set(ROLE_LABELS) else str(role)


def size_text(n: int) -> str:
    if n >= 1024 * 1024:
        return _("{n} MB").format(n=f"{n / 1024 / 1024:.1f}")
    return _("{n} KB").format(n=max(1, round(n / 1024)))


def reason_of(path: Path) -> str:
    """The reason in a backup's name (``…-20241220-100000-before_import.sqlite3``), translated."""
    reason = path.stem.rsplit("-", 1)[-1]
    return _(REASON_LABELS[reason]) if reason in REASON_LABELS else reason


def preview_text(info: dict) -> str:
    """What a backup holds, for the confirmation before restoring."""
    where = info.get("site") or {}
    lines = [
        _("File: {name}").format(name=Path(info["path"]).name),
        _("Village or township: {name} ({code})").format(name=where.get("name", "?"), code=where.get("code", "?")),
    ]
    for register, count in info.get("counts", {}).items():
        label = _(REGISTER_LABELS[register]) if register in REGISTER_LABELS else register
        lines.append(_("{register}: {n} records").format(register=label, n=count))
    if info.get("date_range"):
        lines.append(
            _("Records dated {first} to {last}").format(first=info["date_range"][0], last=info["date_range"][1])
        )
    lines.append(_("Last change: {at}").format(at=info.get("last_change") or _("none")))
    lines.append(_("Accounts: {n}").format(n=info.get("users", 0)))
    return "\n".join(lines)


def _note(text: str) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setStyleSheet(GREY)
    return label


# --- dialogs --------------------------------------------------------------------------------------


class NewUserDialog(_Form):
    """User name, display name, role and the password twice; ``self.user`` on success."""

    def __init__(self, ctx: Context, parent=None):
        super().__init__(_("New account"), _("The new user logs in with this user name and password."), parent)
        self.ctx, self.user = ctx, None
        self.username = self.add_field("username", _("User name"), QLineEdit())
        self.username.setObjectName("username")
        self.username.setMaxLength(users.MAX_NAME_LENGTH)
        self.display_name = self.add_field("display_name", _("Full name"), QLineEdit())
        self.display_name.setObjectName("display_name")
        self.role = QComboBox()
        self.role.setObjectName("role")
        township = (site.site(ctx.conn) or {}).get("role") == site.TOWNSHIP
        for role in Role:
            if role != Role.REVIEWER or township:
                self.role.addItem(role_label(role), role.value)
        self.role.setCurrentIndex(self.role.findData(Role.CLERK.value))
        self.add_field("role", _("Role"), self.role)
        self.password = self.add_field("password", _("Password"), _password_field("password"))
        self.repeat = self.add_field("repeat", _("Repeat the password"), _password_field("repeat"))
        self.form.addRow("", _note(_("At least {n} characters.").format(n=users.MIN_PASSWORD_LENGTH)))

    def submit(self) -> None:
        if self.password.text() != self.repeat.text():
            raise Refused([Problem("repeat", _("The two passwords differ."))])
        self.user = users.create_user(
            self.ctx,
            self.username.text(),
            self.password.text(),
            Role(self.role.currentData()),
            display_name=self.display_name.text(),
        )


class ResetPasswordDialog(_Form):
    """A new password, twice, for ``username``; the user must change it at the next log-in."""

    def __init__(self, ctx: Context, username: str, parent=None):
        super().__init__(
            _("Reset password"),
            _(
                "Set a new password for {user}. Tell it to them in person: they must choose their "
                "own at the next log-in. The account is also unlocked."
            ).format(user=username),
            parent,
        )
        self.ctx, self.username, self.user = ctx, username, None
        self.password = self.add_field("password", _("New password"), _password_field("password"))
        self.repeat = self.add_field("repeat", _("Repeat the new password"), _password_field("repeat"))

    def submit(self) -> None:
        if self.password.text() != self.repeat.text():
            raise Refused([Problem("repeat", _("The two passwords differ."))])
        self.user = users.reset_password(self.ctx, self.username, self.password.text())


class ChangeRoleDialog(_Form):
    def __init__(self, ctx: Context, user: users.User, parent=None):
        super().__init__(_("Change role"), _("The new role applies from the user's next log-in."), parent)
        self.ctx, self.username, self.user = ctx, user.username, None
        self.role = QComboBox()
        township = (site.site(ctx.conn) or {}).get("role") == site.TOWNSHIP
        for role in Role:
            if role != Role.REVIEWER or township or role == user.role:
                self.role.addItem(role_label(role), role.value)
        self.role.setCurrentIndex(max(0, self.role.findData(Role(user.role).value)))
        self.add_field("role", _("Role"), self.role)

    def submit(self) -> None:
        self.user = users.change_role(self.ctx, self.username, Role(self.role.currentData()))


def _exec(dialog: QDialog) -> bool:
    return dialog.exec() == QDialog.Accepted


# --- the page -------------------------------------------------------------------------------------


class AdminPage(QWidget):
    """账户与备份. Test seams: ``exec_dialog(dialog) -> bool``, ``ask(title, text) -> bool``,
    ``inform(title, text)``, ``choose_folder(title, start) -> str``, ``choose_file(title, start) -> str``,
    ``quit_program()``."""

    changed = Signal()
    restored = Signal(object)  # the preview of the restored copy

    def __init__(self, ctx: Context, db_path=None, parent=None, *, threaded: bool = True):
        super().__init__(parent)
        self.ctx, self.threaded = ctx, threaded
        self.db_path = str(db_path) if db_path else str(backup.db_path_of(ctx.conn) or "")
        self.role = (site.site(ctx.conn) or {}).get("role")
        self.exec_dialog = _exec
        self.ask = lambda title, text: QMessageBox.question(self, title, text) == QMessageBox.Yes
        self.inform = lambda title, text: QMessageBox.information(self, title, text)
        self.choose_folder = lambda title, start: QFileDialog.getExistingDirectory(self, title, start)
        self.choose_file = lambda title, start: QFileDialog.getOpenFileName(
            self, title, start, _("Backups (*.sqlite3);;All files (*)")
        )[0]
        self.quit_program = self._quit_program

        # one column, as wide as the page (on a 1024 px screen two columns cut the backups' file names and the
        # key ids): the accounts (beside 登记村（社区） at the township), the backups, the keys. The tables
        # take the spare height and give it back first, so that the accounts' and backups' buttons are in
        # sight on a 768 px screen; the keys are below them, reached by scrolling there
        body = scrolling_page(self, _("Accounts and backups"))
        top = QHBoxLayout()
        boxes = [self._accounts_box()]
        top.addWidget(boxes[0], 1)
        self.register_box = self._registration_box() if self.role == site.TOWNSHIP else None
        if self.register_box is not None:
            top.addWidget(self.register_box, 1)
        body.addLayout(top, 2)
        boxes += [self._backups_box(), self._keys_box()]
        body.addWidget(boxes[1], 3)
        body.addWidget(boxes[2], 2)
        for table in (self.users, self.backups, self.keys):
            # the scrolling page is as tall as its parts' preferred heights (its notes wrap): a table's
            # preferred height is its minimum, and it grows into the room there is ...
            table.setSizePolicy(table.sizePolicy().horizontalPolicy(), QSizePolicy.Ignored)
        for box in boxes:
            box.setMinimumHeight(box.minimumSizeHint().height())  # ... never squeezed below it
        self.refresh()

    # --- the boxes of the page ---------------------------------------------------------------------
    def _accounts_box(self) -> QGroupBox:
        """The accounts, and new / reset password / change role / disable."""
        box = QGroupBox(_("Accounts"))
        v = QVBoxLayout(box)
        self.users = read_only_table(
            [_("User name"), _("Full name"), _("Role"), _("Disabled"), _("Locked until"), _("Must change password")],
            stretch=1,
            **LIST,
        )
        self.users.setObjectName("users")
        self.users.setMinimumHeight(120)  # a header and three accounts; more scroll
        self.users.itemSelectionChanged.connect(self._selection_changed)
        v.addWidget(self.users, 1)
        row = QHBoxLayout()
        self.new_button = QPushButton(_("New account…"))
        self.new_button.clicked.connect(self.new_user)
        self.reset_button = QPushButton(_("Reset password…"))
        self.reset_button.clicked.connect(self.reset_password)
        self.role_button = QPushButton(_("Change role…"))
        self.role_button.clicked.connect(self.change_role)
        self.disable_button = QPushButton(_("Disable"))
        self.disable_button.clicked.connect(self.toggle_disabled)
        for b in (self.new_button, self.reset_button, self.role_button, self.disable_button):
            row.addWidget(b)
        row.addStretch(1)
        v.addLayout(row)
        self.user_status = QLabel()
        self.user_status.setWordWrap(True)
        v.addWidget(self.user_status)
        return box

    def _backups_box(self) -> QGroupBox:
        """The backups in the folder, and back up now / to a USB stick / restore."""
        box = QGroupBox(_("Backups"))
        v = QVBoxLayout(box)
        v.addWidget(
            _note(
                _(
                    "A copy is made automatically every day and before each import or restore; the "
                    "last 7 days, 12 months and 5 newest copies are kept in the folder below."
                )
            )
        )
        self.folder_label = QLabel()
        self.folder_label.setWordWrap(True)
        self.folder_label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.folder_label.setStyleSheet(GREY)
        v.addWidget(self.folder_label)
        self.backups = read_only_table([_("Time"), _("Reason"), _("Size"), _("File")], **LIST)
        self.backups.setObjectName("backups")
        self.backups.setMinimumHeight(120)
        v.addWidget(self.backups, 1)
        row = QHBoxLayout()
        self.backup_button = QPushButton(_("Back up now"))
        self.backup_button.setObjectName("primary")
        self.backup_button.clicked.connect(self.backup_now)
        self.usb_button = QPushButton(_("Back up to USB stick…"))
        self.usb_button.clicked.connect(self.backup_to_usb)
        self.restore_button = QPushButton(_("Restore from backup…"))
        self.restore_button.clicked.connect(self.choose_restore)
        for b in (self.backup_button, self.usb_button, self.restore_button):
            row.addWidget(b)
        row.addStretch(1)
        v.addLayout(row)
        self.backup_status = QLabel()
        self.backup_status.setWordWrap(True)
        self.backup_status.setTextInteractionFlags(Qt.TextSelectableByMouse)
        v.addWidget(self.backup_status)
        return box

    def _registration_box(self) -> QGroupBox:
        """(township) Register a village: its registration file written to a USB stick or folder."""
        box = QGroupBox(_("Register a village"))
        g = QGridLayout(box)
        g.addWidget(
            _note(
                _(
                    "Each village needs a registration file from the township before its bundles "
                    "can be imported. Registering a village again gives it a new key (for a lost "
                    "file or a new PC); its old file stops working."
                )
            ),
            0,
            0,
            1,
            3,
        )
        self.known = QComboBox()
        self.known.addItem(_("Choose a known village…"), None)
        self.known.activated.connect(self._known_chosen)
        g.addWidget(self.known, 1, 0, 1, 3)
        form = QFormLayout()
        self.reg_code = QLineEdit()
        self.reg_code.setObjectName("reg_code")
        self.reg_code.setPlaceholderText(_("12-digit area code"))
        self.reg_name = QLineEdit()
        self.reg_name.setObjectName("reg_name")
        self.reg_code_error, self.reg_name_error = error_label(), error_label()
        form.addRow(_("Area code"), self.reg_code)
        form.addRow("", self.reg_code_error)
        form.addRow(_("Village name"), self.reg_name)
        form.addRow("", self.reg_name_error)
        folder_row = QHBoxLayout()
        self.reg_folder = QLineEdit()
        self.reg_folder.setObjectName("reg_folder")
        self.reg_folder.setPlaceholderText(_("USB stick or folder"))
        drives = removable_drives()
        self.reg_folder.setText(str(drives[0]) if drives else "")
        choose = QPushButton(_("Choose folder…"))
        choose.clicked.connect(self._choose_reg_folder)
        folder_row.addWidget(self.reg_folder, 1)
        folder_row.addWidget(choose)
        form.addRow(_("Write the file to"), folder_row)
        g.addLayout(form, 2, 0, 1, 3)
        self.register_button = QPushButton(_("Register village"))
        self.register_button.clicked.connect(self.register_village)
        g.addWidget(self.register_button, 3, 0)
        self.reg_status = QLabel()
        self.reg_status.setWordWrap(True)
        self.reg_status.setTextInteractionFlags(Qt.TextSelectableByMouse)
        g.addWidget(self.reg_status, 4, 0, 1, 3)
        return box

    def _keys_box(self) -> QGroupBox:
        """The keys this PC holds."""
        box = QGroupBox(_("Keys on this PC"))
        v = QVBoxLayout(box)
        if self.role != site.TOWNSHIP:
            v.addWidget(
                _note(
                    _(
                        "The township's registration file for this village is imported on the “USB "
                        "sync” page (Export to USB → Import registration file…)."
                    )
                )
            )
        self.keys = read_only_table(
            [_("Owner"), _("Purpose"), _("Key id"), _("Private key here"), _("Created"), _("Retired")],
            stretch=2,
            **LIST,
        )
        self.keys.setObjectName("keys")
        self.keys.setMinimumHeight(110)
        v.addWidget(self.keys, 1)
        return box

    # --- refresh ---------------------------------------------------------------------------------
    def refresh(self) -> None:
        self.refresh_users()
        self.refresh_backups()
        self.refresh_keys()

    def refresh_users(self, select: str | None = None) -> None:
        select = select or self.selected_username()
        now = self.ctx.now().replace(microsecond=0).isoformat(sep=" ")
        self.user_list = users.list_users(self.ctx.conn)
        fill(
            self.users,
            [
                [
                    u.username,
                    u.display_name,
                    role_label(u.role),
                    _("yes") if u.disabled else "",
                    u.locked_until[:16] if u.locked_until and u.locked_until > now else "",
                    _("yes") if u.must_change_password else "",
                ]
                for u in self.user_list
            ],
        )
        for r, u in enumerate(self.user_list):
            if u.disabled:
                for c in range(self.users.columnCount()):
                    self.users.item(r, c).setForeground(QColor("#9aa0a6"))
            if u.username == select:
                self.users.selectRow(r)
        self._selection_changed()

    def refresh_backups(self) -> None:
        try:
            folder = backup.backup_folder(self.ctx)
        except (Refused, OSError) as exc:
            self.folder_label.setText(user_message(exc, db_path=self.db_path))
            fill(self.backups, [])
            return
        self.folder_label.setText(_("Folder: {path}").format(path=folder))
        stem = Path(self.db_path).stem if self.db_path else None
        found = backup.list_backups(folder, stem) if stem else backup.list_backups(folder)
        rows = []
        for when, path in found:
            try:
                size = size_text(path.stat().st_size)
            except OSError:
                size = ""
            rows.append([when.strftime("%Y-%m-%d %H:%M:%S"), reason_of(path), size, path.name])
        fill(self.backups, rows)

    def refresh_keys(self) -> None:
        names = {v["code"]: v["name"] for v in site.villages(self.ctx.conn)}
        rows = []
        for k in keys.key_summary(self.ctx.conn):
            owner = _("Township") if k["owner"] == keys.TOWNSHIP else names.get(k["owner"], k["owner"])
            purpose = _(PURPOSE_LABELS[k["purpose"]]) if k["purpose"] in PURPOSE_LABELS else k["purpose"]
            rows.append(
                [owner, purpose, k["key_id"], _("yes") if k["private"] else "", k["created_at"], k["retired_at"] or ""]
            )
        fill(self.keys, rows)
        if self.register_box is not None:
            self.known.clear()
            self.known.addItem(_("Choose a known village…"), None)
            for code, name in names.items():
                self.known.addItem(f"{code}  {name}", code)

    # --- accounts --------------------------------------------------------------------------------
    def selected_username(self) -> str | None:
        rows = self.users.selectionModel().selectedRows() if self.users.selectionModel() else []
        if not rows or not getattr(self, "user_list", None):
            return None
        return self.user_list[rows[0].row()].username

    def selected_user(self) -> users.User | None:
        name = self.selected_username()
        return next((u for u in self.user_list if u.username == name), None) if name else None

    def select_user(self, username: str) -> None:
        for r, u in enumerate(self.user_list):
            if u.username == username:
                self.users.selectRow(r)

    def _selection_changed(self) -> None:
        user = self.selected_user()
        for b in (self.reset_button, self.role_button, self.disable_button):
            b.setEnabled(user is not None)
        self.disable_button.setText(_("Enable") if user is not None and user.disabled else _("Disable"))

    def _say(self, label: QLabel, text: str, ok: bool = True) -> None:
        label.setText(text)
        label.setStyleSheet(f"color: {'#2e7d32' if ok else style.ERROR};")

    def new_user(self) -> users.User | None:
        dialog = NewUserDialog(self.ctx, self)
        if not self.exec_dialog(dialog) or dialog.user is None:
            return None
        self.refresh_users(select=dialog.user.username)
        self._say(self.user_status, _("Account {user} created.").format(user=dialog.user.username))
        self.changed.emit()
        return dialog.user

    def reset_password(self) -> users.User | None:
        name = self.selected_username()
        if name is None:
            return None
        dialog = ResetPasswordDialog(self.ctx, name, self)
        if not self.exec_dialog(dialog) or dialog.user is None:
            return None
        self.refresh_users(select=name)
        self._say(
            self.user_status,
            _("New password set for {user}; they choose their own at the next log-in.").format(user=name),
        )
        return dialog.user

    def change_role(self) -> users.User | None:
        user = self.selected_user()
        if user is None:
            return None
        dialog = ChangeRoleDialog(self.ctx, user, self)
        if not self.exec_dialog(dialog) or dialog.user is None:
            return None
        self.refresh_users(select=user.username)
        self._say(
            self.user_status, _("{user} is now: {role}.").format(user=user.username, role=role_label(dialog.user.role))
        )
        return dialog.user

    def toggle_disabled(self) -> users.User | None:
        user = self.selected_user()
        if user is None:
            return None
        try:
            changed = (
                users.enable_user(self.ctx, user.username)
                if user.disabled
                else users.disable_user(self.ctx, user.username)
            )
        except (Refused, sqlite3.Error) as exc:  # a locked or read-only database: in words
            self._say(self.user_status, user_message(exc, db_path=self.db_path), ok=False)
            return None
        self.refresh_users(select=user.username)
        self._say(
            self.user_status,
            (
                _("Account {user} disabled: it can no longer log in.")
                if changed.disabled
                else _("Account {user} enabled again.")
            ).format(user=user.username),
        )
        return changed

    # --- backups ---------------------------------------------------------------------------------
    def _run(self, fn, done, what: str) -> None:
        """``fn(ctx)`` on a worker with its own connection; ``done(value)`` back on the UI thread."""
        job = workers.Job(lambda job: fn(job.ctx), db_path=self.db_path, ctx=self.ctx)
        self._busy(True, what)

        def finish(value=None, error=None):
            self._busy(False)
            if error is not None:
                self._say(self.backup_status, error, ok=False)
            else:
                done(value)

        job.connect(self, done=lambda value: finish(value), failed=lambda message: finish(error=message))
        workers.start(job, threaded=self.threaded)

    def _busy(self, busy: bool, what: str = "") -> None:
        for b in (self.backup_button, self.usb_button, self.restore_button):
            b.setEnabled(not busy)
        if busy:
            self.backup_status.setStyleSheet("")
            self.backup_status.setText(what)

    def backup_now(self) -> None:
        def done(path):
            self.refresh_backups()
            self._say(self.backup_status, _("Backup made: {name}").format(name=Path(path).name))

        self._run(lambda ctx: backup.make_backup(ctx, "manual"), done, _("Making a backup…"))

    def backup_to_usb(self) -> None:
        drives = removable_drives()
        start = str(drives[0]) if drives else str(Path.home())
        folder = self.choose_folder(_("Choose the USB stick or folder for the backup"), start)
        if not folder:
            return

        def done(path):
            self._say(
                self.backup_status,
                _("Backup written to {path}. It holds every personal detail: keep the stick locked away.").format(
                    path=path
                ),
            )

        self._run(lambda ctx: backup.backup_to(ctx, folder), done, _("Writing the backup…"))

    def choose_restore(self) -> None:
        try:
            start = str(backup.backup_folder(self.ctx))
        except Refused:
            start = ""
        path = self.choose_file(_("Choose the backup to restore"), start)
        if path:
            self.preview_restore(path)

    def preview_restore(self, path) -> None:
        """Read the copy off the UI thread, then ask with its summary before restoring."""
        self._run(
            lambda _ctx: backup.preview_backup(path),
            lambda info: self._confirm_restore(path, info),
            _("Checking the backup…"),
        )

    def _confirm_restore(self, path, info: dict) -> None:
        problems = backup.usable_problems(info)
        if problems:
            self._say(self.backup_status, _("This backup cannot be restored:") + "\n" + "\n".join(problems), ok=False)
            return
        self.backup_status.setText("")
        text = (
            _("Restore this backup?")
            + "\n\n"
            + preview_text(info)
            + "\n\n"
            + _(
                "Everything entered after this copy was made will be replaced. The current state is saved "
                "in the backups folder first. The program closes afterwards; start it again."
            )
        )
        if self.ask(_("Restore from backup"), text):
            self.restore(path)

    def restore(self, path) -> None:
        self._run(lambda ctx: backup.restore(ctx, path), self._after_restore, _("Restoring…"))

    def _after_restore(self, info: dict) -> None:
        self.setEnabled(False)  # nothing more on the state read before the restore
        self._say(self.backup_status, _("Restored."))
        self.restored.emit(info)
        self.inform(
            _("Restore from backup"),
            _(
                "The backup was restored (the previous state was saved as {saved}). The program now closes: "
                "start it again to work on the restored data."
            ).format(saved=Path(info.get("saved_before") or "").name or "—"),
        )
        self.quit_program()

    def _quit_program(self) -> None:
        window = self.window()
        for dialog in list(getattr(window, "dialogs", [])):
            dialog._closing_ok = True  # their contents were read before the restore
            dialog.close()
        if window is not self:
            window.close()
        QApplication.quit()

    # --- registration (township) -----------------------------------------------------------------
    def _known_chosen(self, _index: int = 0) -> None:
        code = self.known.currentData()
        if code:
            self.reg_code.setText(code)
            self.reg_name.setText(site.village_name(self.ctx.conn, code) or "")

    def _choose_reg_folder(self) -> None:
        folder = self.choose_folder(
            _("Choose where to write the registration file"), self.reg_folder.text() or str(Path.home())
        )
        if folder:
            self.reg_folder.setText(folder)

    def register_village(self):
        code, name, folder = self.reg_code.text().strip(), self.reg_name.text().strip(), self.reg_folder.text()
        problems = []
        if not folder.strip():
            problems.append(Problem("folder", _("Choose the folder (USB stick) for the registration file.")))
        try:
            if problems:
                raise Refused(problems)
            reg = keys.register_village(self.ctx, code, name, folder.strip())
        except Refused as exc:
            by_field = exc.by_field()
            mark_error(self.reg_code, by_field.pop("code", None), self.reg_code_error)
            mark_error(self.reg_name, by_field.pop("name", None), self.reg_name_error)
            mark_error(self.reg_folder, by_field.get("folder"))
            rest = [m for messages in by_field.values() for m in messages]
            self._say(self.reg_status, "\n".join(rest), ok=False)
            return None
        for field, label in ((self.reg_code, self.reg_code_error), (self.reg_name, self.reg_name_error)):
            mark_error(field, None, label)
        mark_error(self.reg_folder, None)
        self.reg_status.setStyleSheet("")
        self.reg_status.setText(
            (
                _("{name} registered again with a new key: its old registration file no longer works.")
                if reg.rekeyed
                else _("{name} registered.")
            ).format(name=reg.village_name)
            + "\n"
            + _("File: {path}\nVillage key: {key}").format(path=reg.path, key=reg.village_key)
            + "\n"
            + _(
                "This file holds the village's private signing key. Carry it to the village by hand, import "
                "it there (USB sync → Import registration file…) and then delete it from the stick."
            )
        )
        self.refresh_keys()
        self.changed.emit()
        return reg


__all__ = ["AdminPage", "NewUserDialog", "ResetPasswordDialog", "ChangeRoleDialog", "preview_text"]
