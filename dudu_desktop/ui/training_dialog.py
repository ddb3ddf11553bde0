"""The training session editor: details, the roster of people invited, sign-in (tick, or type
names), exam scores, and the attendance rate. Everything is written when the session is saved,
in one transaction."""

from __future__ import annotations

import re

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from dudu_desktop.domain.fields import ATTENDANCE, TRAINING
from dudu_desktop.domain.problems import Refused
from dudu_desktop.i18n import _, format_percent
from dudu_desktop.services import trainings
from dudu_desktop.services.context import Context
from dudu_desktop.ui.attachments import attach_panel
from dudu_desktop.ui.forms import FieldForm, RecordDialog, error_label, show_all
from dudu_desktop.ui.geometry import fit_to_screen, scrolling
from dudu_desktop.ui.people import PersonLineEdit, complete_names
from dudu_desktop.ui.print_preview import add_signin_buttons

NAME, POSITION, PHONE, SIGNED, SCORE, PASSED = range(6)


def split_names(text: str) -> list[str]:
    return [n for n in re.split(r"[\s,，、;；]+", text or "") if n]


class RosterEditor(QWidget):
    def __init__(self, ctx: Context, parent=None):
        super().__init__(parent)
        self.ctx = ctx
        v = QVBoxLayout(self)
        row = QHBoxLayout()
        self.picker = PersonLineEdit(ctx.conn)
        self.picker.setObjectName("invitePicker")
        self.picker.returnPressed.connect(self.invite_from_picker)
        invite = QPushButton(_("Invite"))
        invite.clicked.connect(self.invite_from_picker)
        remove = QPushButton(_("Remove from roster"))
        remove.clicked.connect(self.remove_selected)
        row.addWidget(QLabel(_("Invite:")))
        row.addWidget(self.picker, 1)
        row.addWidget(invite)
        row.addWidget(remove)
        v.addLayout(row)
        row = QHBoxLayout()
        self.sign_box = QLineEdit()
        self.sign_box.setObjectName("signInBox")
        self.sign_box.setPlaceholderText(_("Type names to sign in (several separated by spaces or 、), then Enter"))
        self.sign_box.returnPressed.connect(self.sign_in_typed)
        sign = QPushButton(_("Sign in"))
        sign.clicked.connect(self.sign_in_typed)
        row.addWidget(QLabel(_("Sign in:")))
        row.addWidget(self.sign_box, 1)
        row.addWidget(sign)
        v.addLayout(row)
        self.table = QTableWidget(0, 6)
        self.table.setObjectName("rosterTable")
        self.table.setHorizontalHeaderLabels(
            [_(ATTENDANCE[k].label) for k in ("name", "position", "phone", "signed_in", "exam_score", "exam_passed")]
        )
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.horizontalHeader().setStretchLastSection(True)
        for i, w in enumerate((100, 110, 120, 70, 80)):
            self.table.setColumnWidth(i, w)
        self.table.itemChanged.connect(self._update_rate)
        v.addWidget(self.table, 1)
        self.rate = QLabel()
        self.rate.setObjectName("attendanceRate")
        f = self.rate.font()
        f.setBold(True)
        self.rate.setFont(f)
        v.addWidget(self.rate)
        self.errors = error_label()
        v.addWidget(self.errors)
        self._rows: list[dict] = []  # stored attendance rows (or {} for new names)
        self._snapshot: list[tuple] = []

    # --- rows -----------------------------------------------------------------------------------
    def add_row(self, record: dict) -> int:
        self.table.blockSignals(True)
        r = self.table.rowCount()
        self.table.insertRow(r)
        for c, key in ((NAME, "name"), (POSITION, "position"), (PHONE, "phone")):
            item = QTableWidgetItem(record.get(key) or "")
            if c == NAME and record.get("id"):
                item.setFlags(item.flags() & ~Qt.ItemIsEditable)  # a stored name is its key
            self.table.setItem(r, c, item)
        tick = QTableWidgetItem()
        tick.setFlags((tick.flags() | Qt.ItemIsUserCheckable) & ~Qt.ItemIsEditable)
        tick.setCheckState(Qt.Checked if record.get("signed_in") else Qt.Unchecked)
        self.table.setItem(r, SIGNED, tick)
        score = record.get("exam_score")
        self.table.setItem(r, SCORE, QTableWidgetItem("" if score is None else f"{score:g}"))
        passed = record.get("exam_passed")
        item = QTableWidgetItem("" if passed is None else (_("passed") if passed else _("failed")))
        item.setFlags(item.flags() & ~Qt.ItemIsEditable)
        self.table.setItem(r, PASSED, item)
        self._rows.append(record)
        self.table.blockSignals(False)
        self._update_rate()
        return r

    def set_rows(self, records: list[dict]) -> None:
        self.table.setRowCount(0)
        self._rows = []
        for rec in records:
            self.add_row(rec)
        self._snapshot = self.state()

    def names(self) -> list[str]:
        return [self.text(r, NAME) for r in range(self.table.rowCount())]

    def text(self, r: int, c: int) -> str:
        item = self.table.item(r, c)
        return item.text().strip() if item else ""

    def signed(self, r: int) -> bool:
        return self.table.item(r, SIGNED).checkState() == Qt.Checked

    def state(self) -> list[tuple]:
        return [
            (self.text(r, NAME), self.text(r, POSITION), self.text(r, PHONE), self.signed(r), self.text(r, SCORE))
            for r in range(self.table.rowCount())
        ]

    def is_dirty(self) -> bool:
        return self.state() != self._snapshot or bool(self.picker.text().strip() or self.sign_box.text().strip())

    def invite_from_picker(self) -> None:
        name = self.picker.text().strip()
        if not name:
            return
        if name in self.names():
            self.show_errors([_("{name} is already on the roster.").format(name=name)])
            return
        person = self.picker.person() or {}
        self.add_row({"name": name, "phone": person.get("phone", ""), "person_id": person.get("id")})
        self.picker.clear()
        self.show_errors([])

    def sign_in_typed(self) -> None:
        """Tick each typed name; a name not on the roster is added as a walk-in, ticked."""
        for name in split_names(self.sign_box.text()):
            if name in self.names():
                r = self.names().index(name)
            else:
                r = self.add_row({"name": name})
            self.table.item(r, SIGNED).setCheckState(Qt.Checked)
        self.sign_box.clear()
        self._update_rate()

    def remove_selected(self) -> None:
        r = self.table.currentRow()
        if r < 0:
            return
        if self._rows[r].get("id"):
            self.show_errors([_("People already saved on the roster stay; untick them instead.")])
            return
        self.table.removeRow(r)
        del self._rows[r]
        self._update_rate()

    def _update_rate(self, *_args) -> None:
        total = self.table.rowCount()
        signed = sum(self.signed(r) for r in range(total) if self.table.item(r, SIGNED))
        self.rate.setText(
            _("Invited {total}, signed in {signed}, attendance rate {rate}").format(
                total=total, signed=signed, rate=format_percent(signed / total if total else None)
            )
        )

    def show_errors(self, messages: list[str]) -> None:
        self.errors.setText("\n".join(messages))
        self.errors.setVisible(bool(messages))

    # --- saving -----------------------------------------------------------------------------------
    def entries(self) -> list[dict]:
        """The roster as shown, for :func:`trainings.save_training` (which diffs it with the stored one)."""
        return [
            {
                "name": self.text(r, NAME),
                "position": self.text(r, POSITION),
                "phone": self.text(r, PHONE),
                "person_id": self._rows[r].get("person_id"),
                "signed_in": self.signed(r),
                "exam_score": self.text(r, SCORE),
            }
            for r in range(self.table.rowCount())
        ]


class TrainingDialog(RecordDialog):
    def __init__(self, ctx: Context, training_id: str | None = None, parent=None):
        super().__init__(parent, _("New training session") if training_id is None else _("Training session"))
        self.ctx = ctx
        self.record_id = training_id
        self.record = None
        self.tabs = QTabWidget()
        self.body.addWidget(self.tabs)
        self.form = FieldForm(TRAINING, today=None)
        self.names = complete_names(self.form, ctx.conn)  # the speaker from the staff
        self.form.today = ctx.today().replace(year=ctx.today().year + 1)  # sessions may be planned ahead
        page = QWidget()
        QVBoxLayout(page).addWidget(self.form)
        page.layout().addStretch(1)
        self.tabs.addTab(scrolling(page), _("Details"))
        self.roster = RosterEditor(ctx)
        self.tabs.addTab(self.roster, _("Roster and sign-in"))
        self.attachments = attach_panel(self, "trainings")  # 附件 (issue 16)
        self.tabs.addTab(self.attachments, _("Attachments"))
        if training_id is None:
            self.form.set_values({"held_on": ctx.today().isoformat(), "training_type": "专题学习"})
            self.roster.set_rows([])
        else:
            self.load()
            add_signin_buttons(self)
        fit_to_screen(self, 760, 620)

    def load(self) -> None:
        self.record = trainings.get_training(self.ctx.conn, self.record_id)
        self.form.set_values(self.record)
        self.roster.set_rows(self.record["attendance"])
        self.setWindowTitle(_("Training session: {topic}").format(topic=self.record["topic"]))

    def is_dirty(self) -> bool:
        return self.form.is_dirty() or self.roster.is_dirty()

    def do_save(self) -> str:
        if self.roster.picker.text().strip():
            self.roster.invite_from_picker()
        if self.roster.sign_box.text().strip():
            self.roster.sign_in_typed()
        return trainings.save_training(
            self.ctx,
            self.record_id,
            self.form.values(),
            self.roster.entries(),
            version=None if self.record is None else self.record["version"],
        )

    def show_refused(self, exc: Refused) -> None:
        rest = show_all(exc, self.form)
        if any(k in self.form.editors for k in exc.by_field()):
            self.tabs.setCurrentIndex(0)
            self.show_banner(rest)
        else:
            self.tabs.setCurrentIndex(1)
            self.roster.show_errors(rest)
            self.show_banner([])
