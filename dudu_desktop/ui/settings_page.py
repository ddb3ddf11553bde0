"""Settings: this PC's village or township, the interface language, the villages, staff, dispute types,
warning-level criteria and overdue days. Every change goes through services.site (audited); the
language is a setting of this PC (ui/language.py), applied at the next start."""

from __future__ import annotations

import sqlite3

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from dudu_desktop.domain import vocab
from dudu_desktop.domain.problems import Refused
from dudu_desktop.failures import user_message
from dudu_desktop.i18n import _, current_locale
from dudu_desktop.services import site
from dudu_desktop.services.context import Context
from dudu_desktop.ui import language
from dudu_desktop.ui.forms import error_label, mark_error, two_column_page


class SettingsPage(QWidget):
    changed = Signal()

    def __init__(self, ctx: Context, parent=None):
        super().__init__(parent)
        self.ctx = ctx
        left, right = two_column_page(self, _("Settings"))
        for box in (self._this_pc_box(), self._language_box(), self._villages_box(), self._staff_box()):
            left.addWidget(box)
        left.addStretch(1)
        #: test seams: ask(text) → bool, restart() → bool
        self.ask_restart = lambda text: QMessageBox.question(self, _("Language"), text) == QMessageBox.Yes
        self.restart_program = language.restart
        for box in (self._dispute_types_box(), self._levels_box()):
            right.addWidget(box)
        right.addStretch(1)
        self.load()

    # --- the boxes of the page ----------------------------------------------------------------------
    def _this_pc_box(self) -> QGroupBox:
        """Whether this PC is a village or the township, and which."""
        box = QGroupBox(_("This PC"))
        form = QFormLayout(box)
        self.site_label = QLabel()
        self.site_label.setWordWrap(True)
        form.addRow(self.site_label)
        return box

    def _language_box(self) -> QGroupBox:
        """The interface language: titled in both languages, so that a wrong choice can be undone."""
        box = QGroupBox("界面语言 / Language")
        form = QFormLayout(box)
        self.language = QComboBox()
        self.language.setObjectName("language")
        for locale, name in language.LANGUAGE_NAMES.items():
            self.language.addItem(name, locale)
        self.language.setCurrentIndex(max(0, self.language.findData(language.saved_language() or current_locale())))
        self.language.activated.connect(self._language_chosen)
        form.addRow(_("Language"), self.language)
        self.language_note = QLabel(
            _("Applies to this PC, from the next start of the program. Records, printouts and bundles stay in Chinese.")
        )
        self.language_note.setWordWrap(True)
        self.language_note.setStyleSheet("color: #5f6368;")
        form.addRow(self.language_note)
        return box

    def _villages_box(self) -> QGroupBox:
        """The villages (area code and name): add or rename."""
        box = QGroupBox(_("Villages"))
        g = QGridLayout(box)
        self.villages = QListWidget()
        self.villages.setMaximumHeight(104)  # five villages (more scroll): the staff's buttons in sight at 768
        g.addWidget(self.villages, 0, 0, 1, 4)
        self.village_code = QLineEdit()
        self.village_code.setPlaceholderText(_("12-digit area code"))
        self.village_name = QLineEdit()
        self.village_name.setPlaceholderText(_("Village name"))
        save_village = QPushButton(_("Add or rename village"))
        save_village.clicked.connect(self.save_village)
        self.village_error = error_label()
        g.addWidget(self.village_code, 1, 0)
        g.addWidget(self.village_name, 1, 1)
        g.addWidget(save_village, 1, 2)
        g.addWidget(self.village_error, 2, 0, 1, 4)
        return box

    def _staff_box(self) -> QGroupBox:
        """The mediators and handlers offered in the registers."""
        box = QGroupBox(_("Staff (mediators, handlers)"))
        g = QGridLayout(box)
        self.staff = QListWidget()
        self.staff.setMaximumHeight(104)
        self.staff_name = QLineEdit()
        self.staff_name.setPlaceholderText(_("Name"))
        self.staff_name.returnPressed.connect(self.add_staff)
        add = QPushButton(_("Add"))
        add.clicked.connect(self.add_staff)
        remove = QPushButton(_("Remove selected"))
        remove.clicked.connect(self.remove_staff)
        g.addWidget(self.staff, 0, 0, 1, 3)
        g.addWidget(self.staff_name, 1, 0)
        g.addWidget(add, 1, 1)
        g.addWidget(remove, 1, 2)
        return box

    def _dispute_types_box(self) -> QGroupBox:
        """The 15 fixed dispute types, and why they are fixed."""
        box = QGroupBox(_("Dispute types"))
        h = QVBoxLayout(box)
        types = QLabel("、".join(vocab.DISPUTE_TYPES))
        types.setWordWrap(True)
        h.addWidget(types)
        note = QLabel(
            _(
                "These are the 15 categories of the people's mediation statistics; they are fixed so "
                "that every village's figures add up at the township."
            )
        )
        note.setWordWrap(True)
        note.setStyleSheet("color: #5f6368;")
        h.addWidget(note)
        return box

    def _levels_box(self) -> QGroupBox:
        """The criteria of each warning level, the overdue days and 保存设置."""
        box = QGroupBox(_("Warning levels and deadlines"))
        form = QFormLayout(box)
        form.setRowWrapPolicy(QFormLayout.WrapLongRows)
        self.criteria: dict[str, QPlainTextEdit] = {}
        for level in vocab.WarningLevel:
            edit = QPlainTextEdit()
            edit.setObjectName(f"criteria_{vocab.LEVEL_KEYS[level]}")
            edit.setMaximumHeight(60)
            edit.setTabChangesFocus(True)
            self.criteria[str(level)] = edit
            form.addRow(_("{level} warning criteria").format(level=level), edit)
        self.overdue_days = QSpinBox()
        self.overdue_days.setObjectName("overdueDays")
        self.overdue_days.setRange(1, 365)
        self.overdue_days.setSuffix(_(" days"))
        form.addRow(_("A case is overdue when not concluded within"), self.overdue_days)
        note = QLabel(
            _(
                "Cases still open after this many days are shown in red on the register and counted "
                "as overdue on the home page."
            )
        )
        note.setWordWrap(True)
        note.setStyleSheet("color: #5f6368;")
        form.addRow(note)
        self.save_button = QPushButton(_("Save settings"))
        self.save_button.setObjectName("saveSettings")
        self.save_button.clicked.connect(self.save)
        self.message = QLabel()
        self.message.setWordWrap(True)
        row = QHBoxLayout()
        row.addWidget(self.save_button)
        row.addWidget(self.message, 1)
        form.addRow(row)
        return box

    def load(self) -> None:
        info = site.site(self.ctx.conn) or {}
        role = _("Township") if info.get("role") == site.TOWNSHIP else _("Village")
        self.site_label.setText(
            _("{role}: {name} ({code})").format(role=role, name=info.get("name", ""), code=info.get("code", ""))
            + (
                "\n" + _("Township: {name}").format(name=info["township_name"])
                if info.get("township_name") and info.get("role") != site.TOWNSHIP
                else ""
            )
        )
        self.villages.clear()
        for vil in site.villages(self.ctx.conn):
            self.villages.addItem(f"{vil['code']}  {vil['name']}")
        self.staff.clear()
        self.staff.addItems(site.staff(self.ctx.conn))
        for level, text in site.warning_criteria(self.ctx.conn).items():
            if level in self.criteria:
                self.criteria[level].setPlainText(text)
        self.overdue_days.setValue(site.overdue_days(self.ctx.conn))

    def _language_chosen(self, _index: int = 0) -> None:
        locale = self.language.currentData()
        if locale == (language.saved_language() or current_locale()):
            return
        language.save_language(locale)
        if locale == current_locale():
            return  # back to the language already running: nothing to restart
        text = _("The language changes when the program starts again. Restart now?")
        if self.ask_restart(text):
            window = self.window()
            if window is not self and not window.close():
                return  # an editor with unsaved changes kept the window open
            if self.restart_program():
                QApplication.quit()

    def staff_names(self) -> list[str]:
        return [self.staff.item(i).text() for i in range(self.staff.count())]

    def add_staff(self) -> None:
        name = self.staff_name.text().strip()
        if name and name not in self.staff_names():
            self.staff.addItem(name)
        self.staff_name.clear()

    def remove_staff(self) -> None:
        for item in self.staff.selectedItems():
            self.staff.takeItem(self.staff.row(item))

    def save_village(self) -> None:
        try:
            site.save_village(self.ctx, self.village_code.text().strip(), self.village_name.text())
        except Refused as exc:
            by_field = exc.by_field()
            mark_error(self.village_code, by_field.get("code"))
            mark_error(self.village_name, by_field.get("name"))
            self.village_error.setText("\n".join(p.message for p in exc.problems))
            self.village_error.setVisible(True)
            return
        mark_error(self.village_code, None)
        mark_error(self.village_name, None)
        self.village_error.setVisible(False)
        self.village_code.clear()
        self.village_name.clear()
        self.load()
        self.changed.emit()

    def save(self) -> bool:
        criteria = {level: edit.toPlainText().strip() for level, edit in self.criteria.items()}
        try:
            site.set_setting(self.ctx, "staff", self.staff_names())
            site.set_setting(self.ctx, "warning_criteria", criteria)
            site.set_setting(self.ctx, "overdue_days", self.overdue_days.value())
        except (Refused, sqlite3.Error) as exc:  # a locked or read-only database: in words
            self.message.setText(user_message(exc))
            self.message.setStyleSheet("color: #c62828;")
            return False
        self.message.setText(_("Settings saved."))
        self.message.setStyleSheet("color: #2e7d32;")
        self.changed.emit()
        return True
