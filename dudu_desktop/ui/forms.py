"""Forms built from the field specs (domain/fields.py), with problems shown at the field.

:class:`FieldForm` makes one editor per field (line edit, combo box, check box, text box), in
the spec's order so that Tab follows the form. ``show_problems(Refused.by_field())`` puts a red
border on each field at fault and the Chinese message in a label right under it.
:class:`RecordDialog` is the base of the record editors: Ctrl+S saves, Esc cancels, and closing
with unsaved changes asks first.
"""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QDate, QPoint, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCalendarWidget,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QMessageBox,
    QPlainTextEdit,
    QScrollArea,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
    QWidgetAction,
)

from dudu_desktop.domain import fields as F
from dudu_desktop.domain.problems import Problem, Refused
from dudu_desktop.domain.validate import clean_record, parse_date
from dudu_desktop.i18n import N_, _
from dudu_desktop.ui import style
from dudu_desktop.ui.geometry import grow_to_fit, keep_height, scrolling

#: hints of the format, never a value that looks filled in (a grey date reads as a date already entered)
PLACEHOLDERS = {
    F.DATE: N_("yyyy-mm-dd"),
    F.DATETIME: N_("yyyy-mm-dd hh:mm"),
    F.MONEY: N_("yuan"),
    F.PHONE: N_("mobile or landline"),
    F.IDNO: N_("18-digit ID number"),
}


def error_label() -> QLabel:
    label = QLabel()
    label.setProperty("class", "error")
    label.setStyleSheet(f"color: {style.ERROR};")
    label.setWordWrap(True)
    label.setVisible(False)
    return label


def mark_error(widget: QWidget, messages: list[str] | None, label: QLabel | None = None) -> None:
    """A red border on ``widget`` and the messages in ``label`` under it; the field keeps its size
    (the window grows or its form scrolls instead)."""
    keep_height(widget)
    widget.setStyleSheet(style.ERROR_BORDER if messages else "")
    widget.setProperty("hasError", bool(messages))
    if label is not None:
        label.setText("\n".join(messages or []))
        label.setVisible(bool(messages))
        if messages:
            grow_to_fit(widget)


class FieldForm(QWidget):
    """Editors for ``keys`` of ``spec``; raw values in, problems shown at the fields."""

    changed = Signal()

    def __init__(
        self,
        spec: F.RecordSpec,
        keys: tuple[str, ...] | None = None,
        parent=None,
        *,
        labels: dict[str, str] | None = None,
        today: dt.date | None = None,
    ):
        super().__init__(parent)
        self.spec = spec
        self.keys = tuple(keys or spec.keys)
        self.today = today
        self.editors: dict[str, QWidget] = {}
        self.errors: dict[str, QLabel] = {}
        self.calendars: dict[str, QCalendarWidget] = {}
        self.layout_ = QFormLayout(self)
        self.layout_.setRowWrapPolicy(QFormLayout.WrapLongRows)
        self.layout_.setFieldGrowthPolicy(QFormLayout.AllNonFixedFieldsGrow)
        self.layout_.setLabelAlignment(Qt.AlignRight | Qt.AlignTop)
        for key in self.keys:
            f = spec[key]
            editor = self._make(f)
            editor.setObjectName(f"field_{key}")
            box = QWidget()
            v = QVBoxLayout(box)
            v.setContentsMargins(0, 0, 0, 0)
            v.setSpacing(2)
            v.setAlignment(Qt.AlignTop)  # spare height goes below the field, not around it
            if f.kind in (F.DATE, F.DATETIME):
                v.addWidget(self._with_calendar(f, editor))
            else:
                v.addWidget(editor)
            err = error_label()
            err.setObjectName(f"error_{key}")
            v.addWidget(err)
            text = (labels or {}).get(key) or _(f.label)
            label = QLabel(text + ("<span style='color:#c62828'> *</span>" if f.required else ""))
            label.setTextFormat(Qt.RichText)
            label.setWordWrap(True)
            label.setBuddy(editor)
            self.layout_.addRow(label, box)
            self.editors[key] = editor
            self.errors[key] = err
            for signal in self._edit_signals(editor):
                signal.connect(lambda *_a, key=key: self._recheck(key))
        self._snapshot = self.values()

    # --- editors ------------------------------------------------------------------------------
    def _make(self, f: F.Field) -> QWidget:
        if f.kind == F.CHOICE:
            w = QComboBox()
            choices = list(f.choices)
            if "" not in choices:
                choices.insert(0, "")  # a required choice starts unchosen too: no default picked for the user
            for c in choices:
                w.addItem(c if c else (_("(choose)") if f.required else _("(none)")), c)
            w.currentIndexChanged.connect(self._edited)
            return w
        if f.kind == F.BOOL:
            w = QCheckBox()
            w.toggled.connect(self._edited)
            return w
        if f.kind == F.LONGTEXT:
            w = QPlainTextEdit()
            w.setTabChangesFocus(True)
            w.setMinimumHeight(60)
            w.setMaximumHeight(110)
            w.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Preferred)  # spare height stays below the form
            w.textChanged.connect(self._edited)
            return w
        w = QLineEdit()
        w.setPlaceholderText(_(PLACEHOLDERS[f.kind]) if f.kind in PLACEHOLDERS else "")
        if f.kind in (F.TEXT, F.PHONE, F.IDNO):
            w.setMaxLength(f.limit)
        w.textEdited.connect(self._edited)
        w.editingFinished.connect(lambda key=f.key: self._check_one(key))
        return w

    def _with_calendar(self, f: F.Field, editor: QLineEdit) -> QWidget:
        """The date typed as before, with a calendar button beside it (a date picked keeps the time)."""
        row = QWidget()
        h = QHBoxLayout(row)
        h.setContentsMargins(0, 0, 0, 0)
        h.setSpacing(4)
        h.addWidget(editor, 1)
        button = QToolButton()
        button.setObjectName(f"calendar_{f.key}")
        button.setText(_("Calendar"))
        button.setToolTip(_("Pick the date from a calendar"))
        button.setFocusPolicy(Qt.NoFocus)  # Tab goes from field to field
        menu = QMenu(button)
        calendar = QCalendarWidget()
        calendar.setObjectName(f"calendarPopup_{f.key}")
        calendar.setGridVisible(True)
        action = QWidgetAction(menu)
        action.setDefaultWidget(calendar)
        menu.addAction(action)
        # the calendar drops down below the button on a click: not button.setMenu, whose drop-down arrow the
        # style draws over the end of 日历
        button.clicked.connect(lambda: menu.popup(button.mapToGlobal(QPoint(0, button.height()))))
        menu.aboutToShow.connect(lambda: self._calendar_opens(f.key, calendar))
        calendar.clicked.connect(lambda date: (self.pick_date(f.key, date), menu.close()))
        calendar.activated.connect(lambda date: (self.pick_date(f.key, date), menu.close()))
        h.addWidget(button)
        self.calendars[f.key] = calendar
        return row

    def _calendar_opens(self, key: str, calendar: QCalendarWidget) -> None:
        try:
            day = parse_date(self.value(key)[:10]) or self.today or dt.date.today()
        except (ValueError, TypeError):
            day = self.today or dt.date.today()
        calendar.setSelectedDate(QDate(day.year, day.month, day.day))

    def pick_date(self, key: str, date: QDate) -> None:
        """A date chosen in the calendar: into the field (a time already typed stays)."""
        w = self.editors[key]
        text = date.toString("yyyy-MM-dd")
        if self.spec[key].kind == F.DATETIME:
            rest = w.text().strip()[10:].strip()
            text = f"{text} {rest or '09:00'}"
        w.setText(text)
        self._edited()
        self._recheck(key)
        self._check_one(key)

    @staticmethod
    def _edit_signals(w: QWidget) -> list:
        if isinstance(w, QComboBox):
            return [w.currentIndexChanged]
        if isinstance(w, QCheckBox):
            return [w.toggled]
        if isinstance(w, QPlainTextEdit):
            return [w.textChanged]
        return [w.textChanged]

    def _recheck(self, key: str) -> None:
        """While a field shows a message, every edit checks it again: the message goes as soon as the
        value is valid (and says what is wrong now, if something still is)."""
        if not self.errors[key].isVisible():
            return
        _v, problems = clean_record(self.spec, {key: self.value(key)}, today=self.today, partial=True)
        mine = [p.message for p in problems if p.field == key]
        if not mine:
            mark_error(self.editors[key], None, self.errors[key])
        elif mine != self.errors[key].text().split("\n"):
            self.errors[key].setText("\n".join(mine))

    def _edited(self, *_args) -> None:
        self.changed.emit()

    def editor(self, key: str) -> QWidget:
        return self.editors[key]

    def value(self, key: str):
        w = self.editors[key]
        if isinstance(w, QComboBox):
            return w.currentData() if w.currentIndex() >= 0 else ""
        if isinstance(w, QCheckBox):
            return w.isChecked()
        if isinstance(w, QPlainTextEdit):
            return w.toPlainText()
        return w.text()

    def values(self) -> dict:
        return {k: self.value(k) for k in self.keys}

    def set_value(self, key: str, value) -> None:
        f = self.spec[key]
        w = self.editors[key]
        if isinstance(w, QComboBox):
            i = w.findData(value if value is not None else "")
            if i < 0 and value:
                w.addItem(str(value), value)  # a stored value outside today's list stays visible
                i = w.count() - 1
            w.setCurrentIndex(max(i, 0))
        elif isinstance(w, QCheckBox):
            w.setChecked(bool(value))
        elif isinstance(w, QPlainTextEdit):
            w.setPlainText(value or "")
        else:
            if value is None:
                text = ""
            elif f.kind == F.MONEY and isinstance(value, int):
                text = f"{int(value) / 100:.2f}"
            elif f.kind == F.REAL and isinstance(value, float) and value.is_integer():
                text = str(int(value))
            else:
                text = str(value)
            w.setText(text)

    def set_values(self, record: dict, *, mark_clean: bool = True) -> None:
        for key in self.keys:
            if key in record:
                self.set_value(key, record[key])
        if mark_clean:
            self.mark_clean()

    def set_read_only(self, read_only: bool) -> None:
        for key in self.calendars:
            self.findChild(QToolButton, f"calendar_{key}").setEnabled(not read_only)
        for w in self.editors.values():
            if isinstance(w, (QLineEdit, QPlainTextEdit)):
                w.setReadOnly(read_only)
            else:
                w.setEnabled(not read_only)

    # --- dirty state --------------------------------------------------------------------------
    def mark_clean(self) -> None:
        self._snapshot = self.values()

    def is_dirty(self) -> bool:
        return self.values() != self._snapshot

    # --- problems -----------------------------------------------------------------------------
    def clear_problems(self) -> None:
        for key in self.keys:
            mark_error(self.editors[key], None, self.errors[key])

    def show_problems(self, by_field: dict[str, list[str]]) -> dict[str, list[str]]:
        """Show each field's messages under it; returns the messages that belong to no field here."""
        self.clear_problems()
        rest: dict[str, list[str]] = {}
        first = None
        for key, messages in by_field.items():
            if key in self.editors:
                mark_error(self.editors[key], messages, self.errors[key])
                first = first or self.editors[key]
            else:
                rest[key] = messages
        if first is not None:
            first.setFocus()
        return rest

    def check(self) -> list[Problem]:
        """Validate every field here with the domain rules (nothing is saved)."""
        _values, problems = clean_record(self.spec, self.values(), today=self.today, partial=True)
        return problems

    def _check_one(self, key: str) -> None:
        """On leaving a field: show (or clear) its own problem at once, before any save."""
        value = self.value(key)
        if value in ("", None) and not self.errors[key].isVisible():
            return  # an untouched empty field is reported on save, not while tabbing through
        _v, problems = clean_record(self.spec, {key: value}, today=self.today, partial=True)
        mine = [p.message for p in problems if p.field == key]
        mark_error(self.editors[key], mine, self.errors[key])


class RecordDialog(QDialog):
    """Base of the record editors: a problems banner, Save/Cancel, Ctrl+S, Esc, ask before losing work."""

    saved = Signal(str)  # the record id

    def __init__(self, parent=None, title: str = ""):
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setAttribute(Qt.WA_DeleteOnClose, True)
        self.record_id: str | None = None
        self.outer = QVBoxLayout(self)
        self.banner = error_label()
        self.banner.setObjectName("banner")
        self.outer.addWidget(self.banner)
        self.body_widget = QWidget()
        self.body = QVBoxLayout(self.body_widget)
        self.body.setContentsMargins(0, 0, 0, 0)
        self.outer.addWidget(scrolling(self.body_widget), 1)  # a long form scrolls; the buttons stay
        self.buttons = QDialogButtonBox(QDialogButtonBox.Save | QDialogButtonBox.Cancel)
        self.buttons.button(QDialogButtonBox.Save).setText(_("Save (Ctrl+S)"))
        self.buttons.button(QDialogButtonBox.Cancel).setText(_("Cancel (Esc)"))
        self.buttons.button(QDialogButtonBox.Save).setAutoDefault(False)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        self.outer.addWidget(self.buttons)
        QShortcut(QKeySequence.Save, self, activated=self.save)
        self._closing_ok = False

    def keyPressEvent(self, event) -> None:
        # Enter belongs to the field (adding a party, signing in a name), never "press the default
        # button": a record is saved only with Ctrl+S or the Save button.
        if event.key() in (Qt.Key_Return, Qt.Key_Enter) and not event.modifiers():
            event.accept()
            return
        super().keyPressEvent(event)

    # subclasses implement
    def is_dirty(self) -> bool:
        return False

    def do_save(self) -> str:
        raise NotImplementedError

    def show_refused(self, exc: Refused) -> None:
        self.show_banner([p.message for p in exc.problems])

    def show_banner(self, messages: list[str]) -> None:
        self.banner.setText("\n".join(messages))
        self.banner.setVisible(bool(messages))

    def save(self) -> bool:
        """Validate and save; on a problem, show it at the field and keep the dialog open."""
        self.show_banner([])
        try:
            record_id = self.do_save()
        except Refused as exc:
            self.show_refused(exc)
            return False
        self.record_id = record_id
        self._closing_ok = True
        self.saved.emit(record_id)
        self.accept()
        return True

    def ask_unsaved(self) -> str:
        """``save``, ``discard`` or ``cancel`` (a test may replace this)."""
        box = QMessageBox(
            QMessageBox.Question,
            _("Unsaved changes"),
            _("This record has changes that are not saved yet. Save them?"),
            QMessageBox.Save | QMessageBox.Discard | QMessageBox.Cancel,
            self,
        )
        box.button(QMessageBox.Save).setText(_("Save"))
        box.button(QMessageBox.Discard).setText(_("Discard changes"))
        box.button(QMessageBox.Cancel).setText(_("Keep editing"))
        box.setDefaultButton(QMessageBox.Cancel)
        answer = box.exec()
        return {QMessageBox.Save: "save", QMessageBox.Discard: "discard"}.get(answer, "cancel")

    def _may_close(self) -> bool:
        if self._closing_ok or not self.is_dirty():
            return True
        answer = self.ask_unsaved()
        if answer == "save":
            return self.save()
        return answer == "discard"

    def reject(self) -> None:
        if self._may_close():
            self._closing_ok = True
            super().reject()

    def closeEvent(self, event) -> None:
        if self._may_close():
            self._closing_ok = True
            event.accept()
        else:
            event.ignore()


def show_all(exc: Refused, *forms: FieldForm) -> list[str]:
    """Spread a refusal over the forms; returns the messages no form could place."""
    by_field = exc.by_field()
    rest = dict(by_field)
    for form in forms:
        here = {k: v for k, v in rest.items() if k in form.editors}
        form.show_problems(here) if here else form.clear_problems()
        for k in here:
            rest.pop(k)
    return [m for msgs in rest.values() for m in msgs]


def scrolling_page(page: QWidget, title: str) -> QVBoxLayout:
    """A page titled ``title`` over one column that scrolls (accounts and backups): the layout to fill."""
    outer = QVBoxLayout(page)
    label = QLabel(title)
    label.setObjectName("pageTitle")
    outer.addWidget(label)
    scroll = QScrollArea()
    scroll.setWidgetResizable(True)
    inner = QWidget()
    body = QVBoxLayout(inner)
    scroll.setWidget(inner)
    outer.addWidget(scroll, 1)
    return body


def two_column_page(page: QWidget, title: str) -> tuple[QVBoxLayout, QVBoxLayout]:
    """A page titled ``title`` over two columns that scroll together (settings)."""
    columns = QHBoxLayout()
    scrolling_page(page, title).addLayout(columns)
    left, right = QVBoxLayout(), QVBoxLayout()
    columns.addLayout(left, 1)
    columns.addLayout(right, 1)
    return left, right
