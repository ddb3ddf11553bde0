"""The dispute editor: details, parties, the workflow actions and the record's history."""

from __future__ import annotations

import dataclasses

from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from dudu_desktop.domain import fields as F
from dudu_desktop.domain import vocab, workflow
from dudu_desktop.domain.fields import DISPUTE, FOLLOWUP, PARTY
from dudu_desktop.domain.problems import Refused
from dudu_desktop.domain.vocab import DisputeStatus, Permission
from dudu_desktop.i18n import N_, _, format_date, format_money
from dudu_desktop.services import audit, disputes, people
from dudu_desktop.services.context import Context
from dudu_desktop.ui import style
from dudu_desktop.ui.attachments import attach_panel
from dudu_desktop.ui.forms import FieldForm, RecordDialog, error_label, show_all
from dudu_desktop.ui.geometry import fit_to_screen, scrolling
from dudu_desktop.ui.people import PersonLineEdit, complete_names
from dudu_desktop.ui.print_preview import add_agreement_button, add_dossier_button

DETAIL_KEYS = (
    "registered_on",
    "dispute_type",
    "source",
    "level",
    "method",
    "mediator",
    "summary",
    "prevented_criminal",
    "prevented_criminal_people",
    "prevented_petition",
    "prevented_petition_people",
    "notes",
)
PARTY_COLUMNS = ("role", "name", "gender", "ethnicity", "age", "occupation", "phone", "id_number", "address")

ACTION_NAMES = {
    "create_dispute": N_("Registered"),
    "update_dispute": N_("Edited"),
    "start_mediation": N_("Mediation started"),
    "conclude": N_("Result recorded"),
    "close_out": N_("Closed out"),
    "reopen": N_("Reopened"),
    "change_level": N_("Warning level changed"),
    "record_followup": N_("Follow-up visit"),
    "delete": N_("Deleted"),
    "restore": N_("Restored"),
    "import": N_("Imported"),
}
HIDDEN_CHANGES = (
    "id",
    "dispute_id",
    "position",
    "person_id",
    "party_names",
    "village_code",
    "created_at",
    "created_by",
    "deleted",
)


def field_label(key: str) -> str:
    for spec in (DISPUTE, PARTY, FOLLOWUP):
        if key in spec.keys:
            return _(spec[key].label)
    return key


def show_value(key: str, value) -> str:
    if value is None or value == "":
        return _("(empty)")
    if key == "amount_cents":
        return format_money(int(value))
    if key in ("agreement",):
        return _("yes") if value else _("no")
    return str(value)


# --- parties ---------------------------------------------------------------------------------


class PartiesEditor(QWidget):
    """The parties sub-table: add from the directory (with completion) or type on the spot."""

    def __init__(self, ctx: Context, parent=None):
        super().__init__(parent)
        self.ctx = ctx
        self._ids: list[str | None] = []  # existing party row ids, kept for updates
        self._person_ids: list[str | None] = []
        v = QVBoxLayout(self)
        row = QHBoxLayout()
        self.picker = PersonLineEdit(ctx.conn)
        self.picker.setObjectName("partyPicker")
        self.picker.returnPressed.connect(self.add_from_picker)
        self.add_button = QPushButton(_("Add party"))
        self.add_button.clicked.connect(self.add_from_picker)
        self.remove_button = QPushButton(_("Remove selected party"))
        self.remove_button.clicked.connect(self.remove_selected)
        row.addWidget(QLabel(_("Name:")))
        row.addWidget(self.picker, 1)
        row.addWidget(self.add_button)
        row.addWidget(self.remove_button)
        v.addLayout(row)
        self.table = QTableWidget(0, len(PARTY_COLUMNS))
        self.table.setObjectName("partiesTable")
        self.table.setHorizontalHeaderLabels([_(PARTY[k].label) for k in PARTY_COLUMNS])
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)
        for i, w in enumerate((80, 90, 60, 60, 50, 90, 110, 170, 150)):
            self.table.setColumnWidth(i, w)
        v.addWidget(self.table, 1)
        self.errors = error_label()
        self.errors.setObjectName("partyErrors")
        v.addWidget(self.errors)
        hint = QLabel(
            _(
                "Pick people from the directory as you type, or type a new name and press Enter. "
                "Double-click a cell to edit it."
            )
        )
        hint.setWordWrap(True)
        hint.setStyleSheet("color: #5f6368;")
        v.addWidget(hint)
        self._snapshot: list[dict] = []

    def _combo(self, choices, value) -> QComboBox:
        box = QComboBox()
        for c in choices:
            box.addItem(c if c else _("(none)"), c)
        i = box.findData(value or "")
        box.setCurrentIndex(max(i, 0))
        return box

    def add_party(self, party: dict) -> None:
        r = self.table.rowCount()
        self.table.insertRow(r)
        for c, key in enumerate(PARTY_COLUMNS):
            value = party.get(key)
            if key == "role":
                default = vocab.PARTY_ROLES[0] if r == 0 else vocab.PARTY_ROLES[1]
                self.table.setCellWidget(r, c, self._combo(vocab.PARTY_ROLES, value or default))
            elif key == "gender":
                self.table.setCellWidget(r, c, self._combo(("",) + vocab.GENDERS, value))
            else:
                self.table.setItem(r, c, QTableWidgetItem("" if value is None else str(value)))
        self._ids.append(party.get("id"))
        self._person_ids.append(party.get("person_id"))

    def add_from_picker(self) -> None:
        name = self.picker.text().strip()
        if not name:
            return
        person = self.picker.person()
        party = {k: person.get(k) for k in PARTY_COLUMNS if k in person} if person else {"name": name}
        if person:
            party["person_id"] = person["id"]
        self.add_party(party)
        self.picker.clear()

    def remove_selected(self) -> None:
        rows = sorted(
            {i.row() for i in self.table.selectedIndexes()}
            | ({self.table.currentRow()} if self.table.currentRow() >= 0 else set()),
            reverse=True,
        )
        for r in rows:
            self.table.removeRow(r)
            del self._ids[r]
            del self._person_ids[r]

    def set_parties(self, parties: list[dict]) -> None:
        self.table.setRowCount(0)
        self._ids, self._person_ids = [], []
        for p in parties:
            self.add_party(p)
        self._snapshot = self.parties()

    def parties(self) -> list[dict]:
        out = []
        for r in range(self.table.rowCount()):
            party = {}
            for c, key in enumerate(PARTY_COLUMNS):
                w = self.table.cellWidget(r, c)
                if w is not None:
                    party[key] = w.currentData()
                else:
                    item = self.table.item(r, c)
                    party[key] = item.text().strip() if item else ""
            if self._ids[r]:
                party["id"] = self._ids[r]
            if self._person_ids[r]:
                party["person_id"] = self._person_ids[r]
            out.append(party)
        return out

    def is_dirty(self) -> bool:
        return self.parties() != self._snapshot or bool(self.picker.text().strip())

    def show_problems(self, by_field: dict[str, list[str]]) -> None:
        messages = []
        for r in range(self.table.rowCount()):
            for c in range(self.table.columnCount()):
                item = self.table.item(r, c)
                if item is not None:
                    item.setBackground(QBrush())
        for key, msgs in by_field.items():
            if key == "parties" or key.startswith("parties["):
                messages += msgs
                if key.startswith("parties["):
                    index = int(key[len("parties[") : key.index("]")])
                    column = key.split(".", 1)[1] if "." in key else ""
                    if column in PARTY_COLUMNS and index < self.table.rowCount():
                        item = self.table.item(index, PARTY_COLUMNS.index(column))
                        if item is not None:
                            item.setBackground(QBrush(QColor("#f9d0d0")))
        self.errors.setText("\n".join(messages))
        self.errors.setVisible(bool(messages))
        if messages:
            self.picker.setStyleSheet(style.ERROR_BORDER if "parties" in by_field else "")
        else:
            self.picker.setStyleSheet("")


# --- small action dialogs --------------------------------------------------------------------

REASON = F.RecordSpec("reason", N_("Reason"), (F.Field("reason", N_("Reason"), F.LONGTEXT, required=True),))
LEVEL_SPEC = F.RecordSpec("level", N_("Warning level"), (dataclasses.replace(DISPUTE["level"]), REASON["reason"]))
CONCLUDE_SPEC = F.RecordSpec(
    "conclude",
    N_("Result"),
    (
        dataclasses.replace(DISPUTE["result"], required=True),
        dataclasses.replace(DISPUTE["concluded_on"], required=True),
        DISPUTE["agreement_terms"],
        DISPUTE["amount_cents"],
        DISPUTE["performance_terms"],
        DISPUTE["place_of_performance"],
    ),
)
START_SPEC = F.RecordSpec("start", N_("Start mediation"), (DISPUTE["method"], DISPUTE["mediator"]))
CLOSE_SPEC = F.RecordSpec("close", N_("Close out"), (dataclasses.replace(DISPUTE["closed_out_on"], required=True),))


class ActionDialog(QDialog):
    """A short form for one workflow action; ``run(values)`` calls the service. Problems are
    shown at the fields and nothing happens until they are fixed."""

    def __init__(
        self, parent, title: str, spec: F.RecordSpec, run, *, values: dict | None = None, note: str = "", today=None
    ):
        super().__init__(parent)
        self.setWindowTitle(title)
        self.run = run
        v = QVBoxLayout(self)
        if note:
            label = QLabel(note)
            label.setWordWrap(True)
            v.addWidget(label)
        self.banner = error_label()
        v.addWidget(self.banner)
        self.form = FieldForm(spec, today=today)
        if values:
            self.form.set_values(values)
        v.addWidget(self.form)
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        buttons.button(QDialogButtonBox.Ok).setText(_("OK"))
        buttons.button(QDialogButtonBox.Cancel).setText(_("Cancel"))
        buttons.accepted.connect(self.apply)
        buttons.rejected.connect(self.reject)
        v.addWidget(buttons)
        self.setMinimumWidth(460)
        self.result_value = None

    def apply(self) -> bool:
        try:
            self.result_value = self.run(self.form.values())
        except Refused as exc:
            rest = self.form.show_problems(exc.by_field())
            messages = [m for msgs in rest.values() for m in msgs]
            self.banner.setText("\n".join(messages))
            self.banner.setVisible(bool(messages))
            return False
        self.accept()
        return True


# --- the dialog ------------------------------------------------------------------------------


class DisputeDialog(RecordDialog):
    def __init__(self, ctx: Context, dispute_id: str | None = None, parent=None):
        super().__init__(parent, _("New dispute") if dispute_id is None else _("Dispute"))
        self.ctx = ctx
        self.record_id = dispute_id
        self.record: dict | None = None
        self.changed_actions = False
        self.tabs = QTabWidget()
        self.body.addWidget(self.tabs)

        self.form = FieldForm(DISPUTE, DETAIL_KEYS, today=ctx.today())
        self.names = complete_names(self.form, ctx.conn)  # the mediator from the staff
        details = QWidget()
        dv = QVBoxLayout(details)
        self.status_line = QLabel()
        self.status_line.setObjectName("statusLine")
        self.status_line.setWordWrap(True)
        dv.addWidget(self.status_line)
        dv.addWidget(self.form)
        dv.addStretch(1)
        self.tabs.addTab(scrolling(details), _("Details"))

        self.parties = PartiesEditor(ctx)
        self.tabs.addTab(self.parties, _("Parties"))

        self.actions_tab = QWidget()
        self._build_actions(self.actions_tab)
        self.tabs.addTab(self.actions_tab, _("Mediation and follow-up"))

        self.history = QTableWidget(0, 5)
        self.history.setObjectName("historyTable")
        self.history.setHorizontalHeaderLabels(
            [_("Time"), _("User"), _("Action"), _("Changes (before → after)"), _("Reason")]
        )
        self.history.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.history.setWordWrap(True)
        self.history.horizontalHeader().setSectionResizeMode(3, QHeaderView.Stretch)
        self.history.setColumnWidth(0, 140)
        self.history.setColumnWidth(2, 110)
        self.tabs.addTab(self.history, _("History"))
        self.attachments = attach_panel(self, "disputes")  # 附件 (issue 16)
        self.tabs.addTab(self.attachments, _("Attachments"))

        if dispute_id is None:
            self.form.set_values({"registered_on": ctx.today().isoformat(), "source": "当事人申请", "level": "蓝"})
            self.form.mark_clean()
            self.parties.set_parties([])
            self.tabs.setTabEnabled(2, False)
            self.tabs.setTabEnabled(3, False)
            self.status_line.setText(_("A new case is registered as pending (待调处)."))
        else:
            self.load()
            add_agreement_button(self)
            add_dossier_button(self)
        fit_to_screen(self, 860, 640)

    # --- loading --------------------------------------------------------------------------------
    def load(self) -> None:
        self.record = disputes.get_dispute(self.ctx.conn, self.record_id)
        r = self.record
        self.setWindowTitle(_("Dispute {serial}: {parties}").format(serial=r["serial_no"], parties=r["party_names"]))
        self.form.set_values(r)
        self.form.editor("level").setEnabled(False)  # changed only with a reason (an action)
        self.parties.set_parties(r["parties"])
        read_only = r["status"] == DisputeStatus.CLOSED_OUT
        self.form.set_read_only(read_only)
        self.form.editor("level").setEnabled(False)
        self.parties.setEnabled(not read_only)
        self.buttons.button(QDialogButtonBox.Save).setEnabled(not read_only)
        text = _("Status: {status}    Warning level: {level}").format(status=r["status"], level=r["level"])
        if r["result"]:
            text += "    " + _("Result: {result}").format(result=r["result"])
        if read_only:
            text += "\n" + _("This case is closed out and read-only: to change it, press Reopen… and give a reason.")
        self.status_line.setText(text)
        self._refresh_actions()
        self._load_history()

    def _build_actions(self, tab: QWidget) -> None:
        v = QVBoxLayout(tab)
        self.state_label = QLabel()
        self.state_label.setWordWrap(True)
        self.state_label.setObjectName("stateLabel")
        v.addWidget(self.state_label)
        box = QGroupBox(_("Actions"))
        grid = QGridLayout(box)
        self.action_buttons = {}
        specs = (
            ("start", _("Start mediation"), self.act_start),
            ("conclude", _("Record result…"), self.act_conclude),
            ("followup", _("Record follow-up visit…"), self.act_followup),
            ("level", _("Raise or lower warning level…"), self.act_level),
            ("close", _("Close out (销号)…"), self.act_close),
            ("reopen", _("Reopen…"), self.act_reopen),
        )
        for i, (key, text, slot) in enumerate(specs):
            b = QPushButton(text)
            b.setObjectName(f"action_{key}")
            b.clicked.connect(slot)
            grid.addWidget(b, i // 3, i % 3)
            self.action_buttons[key] = b
        v.addWidget(box)
        v.addWidget(QLabel(_("Follow-up visits")))
        self.followups = QTableWidget(0, 5)
        self.followups.setHorizontalHeaderLabels([_(FOLLOWUP[k].label) for k in FOLLOWUP.keys])
        self.followups.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.followups.horizontalHeader().setStretchLastSection(True)
        v.addWidget(self.followups, 1)

    def _refresh_actions(self) -> None:
        r = self.record
        status = r["status"]
        allowed = workflow.allowed_actions(status)  # the rules the services apply
        allowed["reopen"] = allowed["reopen"] and self.ctx.can(Permission.REOPEN)
        for key, b in self.action_buttons.items():
            b.setEnabled(allowed[key] and self.ctx.can(Permission.WRITE))
        lines = [_("Status: {status}    Warning level: {level}").format(status=status, level=r["level"])]
        if r["level_reason"]:
            lines.append(_("Reason for the level: {reason}").format(reason=r["level_reason"]))
        if r["result"]:
            lines.append(
                _("Result: {result}, concluded on {date}").format(
                    result=r["result"], date=format_date(r["concluded_on"])
                )
            )
        if r["agreement_terms"]:
            lines.append(_("Agreed terms: {terms}").format(terms=r["agreement_terms"]))
        if r["amount_cents"]:
            lines.append(_("Agreement amount: {amount}").format(amount=format_money(r["amount_cents"])))
        if r.get("place_of_performance"):
            lines.append(_("Place of performance: {place}").format(place=r["place_of_performance"]))
        if r["closed_out_on"]:
            lines.append(_("Closed out on {date}").format(date=format_date(r["closed_out_on"])))
        self.state_label.setText("\n".join(lines))
        self.followups.setRowCount(0)
        for f in r["followups"]:
            row = self.followups.rowCount()
            self.followups.insertRow(row)
            for c, key in enumerate(FOLLOWUP.keys):
                value = format_date(f[key]) if key == "visited_on" else (f.get(key) or "")
                self.followups.setItem(row, c, QTableWidgetItem(str(value)))

    def history_entries(self) -> list[dict]:
        ids = [self.record_id] + [p["id"] for p in self.record["parties"]] + [f["id"] for f in self.record["followups"]]
        entries = []
        for rid in ids:
            entries += audit.entries(self.ctx.conn, record_id=rid, limit=500)
        return sorted(entries, key=lambda e: e["seq"], reverse=True)

    def _load_history(self) -> None:
        entries = self.history_entries()
        self.history.setRowCount(0)
        for e in entries:
            row = self.history.rowCount()
            self.history.insertRow(row)
            action = _(ACTION_NAMES[e["action"]]) if e["action"] in ACTION_NAMES else e["action"]
            if e["table_name"] == "dispute_parties":
                action += _(" (party)")
            changes = "\n".join(
                _("{field}: {before} → {after}").format(
                    field=field_label(k), before=show_value(k, b), after=show_value(k, a)
                )
                for k, (b, a) in sorted(e["changes"].items())
                if k not in HIDDEN_CHANGES
            )
            who = people.display_name(self.ctx.conn, e["user"])  # 张文书, not the log-in name
            for c, text in enumerate((e["at"], who, action, changes, e["reason"])):
                self.history.setItem(row, c, QTableWidgetItem(text))
        self.history.resizeRowsToContents()

    # --- saving ---------------------------------------------------------------------------------
    def is_dirty(self) -> bool:
        return self.form.is_dirty() or self.parties.is_dirty()

    def do_save(self) -> str:
        data = self.form.values()
        if self.parties.picker.text().strip():
            self.parties.add_from_picker()  # a name typed but not yet added counts as a party
        parties = self.parties.parties()
        if self.record_id is None:
            return disputes.create_dispute(self.ctx, data, parties)
        data.pop("level", None)
        disputes.update_dispute(self.ctx, self.record_id, data, parties, expected_version=self.record["version"])
        return self.record_id

    def show_refused(self, exc: Refused) -> None:
        by_field = exc.by_field()
        show_all(exc, self.form)
        self.parties.show_problems(by_field)
        if any(k in self.form.editors for k in by_field):
            self.tabs.setCurrentIndex(0)
        elif any(k.startswith("parties") for k in by_field):
            self.tabs.setCurrentIndex(1)
        party_trouble = any(k.startswith("parties") for k in by_field)
        self.tabs.tabBar().setTabTextColor(1, QColor(style.ERROR) if party_trouble else QColor(style.TEXT))
        self.show_banner([m for k, msgs in by_field.items() if k not in self.form.editors for m in msgs])

    # --- actions ----------------------------------------------------------------------------------
    def _action(self, title: str, spec: F.RecordSpec, run, values=None, note="") -> bool:
        if self.is_dirty() and not self._save_before_action():
            return False
        dialog = ActionDialog(self, title, spec, run, values=values, note=note, today=self.ctx.today())
        ok = self.exec_action(dialog)
        if ok:
            self.changed_actions = True
            self.load()
            if self.record_id:
                self.saved.emit(self.record_id)
        return ok

    def _save_before_action(self) -> bool:
        try:
            self.do_save()
        except Refused as exc:
            self.show_refused(exc)
            return False
        self.form.mark_clean()
        self.parties.set_parties(disputes.get_dispute(self.ctx.conn, self.record_id)["parties"])
        return True

    def exec_action(self, dialog: ActionDialog) -> bool:
        """Run an action dialog (a test may replace this to fill the dialog and press OK)."""
        return dialog.exec() == QDialog.Accepted

    def act_start(self) -> bool:
        r = self.record
        return self._action(
            _("Start mediation"),
            START_SPEC,
            lambda v: disputes.start_mediation(
                self.ctx, self.record_id, method=v["method"] or None, mediator=v["mediator"] or None
            ),
            values={"method": r["method"] or "人民调解", "mediator": r["mediator"]},
        )

    def act_conclude(self) -> bool:
        def run(v):
            return disputes.conclude(
                self.ctx,
                self.record_id,
                result=v["result"],
                concluded_on=v["concluded_on"],
                agreement_terms=v["agreement_terms"],
                amount=v["amount_cents"] or None,
                performance_terms=v["performance_terms"],
                place_of_performance=v["place_of_performance"],
            )

        return self._action(
            _("Record result"),
            CONCLUDE_SPEC,
            run,
            values={"result": "调解成功", "concluded_on": self.ctx.today().isoformat()},
            note=_(
                "调解成功: an agreement was reached (enter its terms and amount). "
                "调解不成: referred elsewhere or to court. 撤回: the party withdrew."
            ),
        )

    def act_followup(self) -> bool:
        return self._action(
            _("Record follow-up visit"),
            FOLLOWUP,
            lambda v: disputes.record_followup(self.ctx, self.record_id, v),
            values={
                "visited_on": self.ctx.today().isoformat(),
                "performance": "已履行",
                "satisfaction": "满意",
                "visitor": self.record["mediator"],
            },
        )

    def act_level(self) -> bool:
        current = self.record["level"]
        suggestion = workflow.suggested_level(current)
        return self._action(
            _("Raise or lower warning level"),
            LEVEL_SPEC,
            lambda v: disputes.change_level(self.ctx, self.record_id, v["level"], v["reason"]),
            values={"level": suggestion},
            note=_("Current level: {level}. Every change needs a reason.").format(level=current),
        )

    def act_close(self) -> bool:
        return self._action(
            _("Close out"),
            CLOSE_SPEC,
            lambda v: disputes.close_out(self.ctx, self.record_id, closed_out_on=v["closed_out_on"]),
            values={"closed_out_on": self.ctx.today().isoformat()},
            note=_("A closed-out case becomes read-only."),
        )

    def act_reopen(self) -> bool:
        return self._action(
            _("Reopen"),
            REASON,
            lambda v: disputes.reopen(self.ctx, self.record_id, v["reason"]),
            note=_("The case goes back to mediation; its earlier result stays in the history."),
        )
