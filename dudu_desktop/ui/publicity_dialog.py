"""The publicity event editor: theme, form, place, audience and the materials handed out by kind."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCompleter, QGridLayout, QGroupBox, QLabel, QSpinBox, QTabWidget, QVBoxLayout, QWidget

from dudu_desktop.domain import vocab
from dudu_desktop.domain.fields import PUBLICITY
from dudu_desktop.i18n import _
from dudu_desktop.services import publicity
from dudu_desktop.services.context import Context
from dudu_desktop.ui.attachments import attach_panel
from dudu_desktop.ui.forms import FieldForm, RecordDialog, show_all
from dudu_desktop.ui.geometry import fit_to_screen, scrolling
from dudu_desktop.ui.people import complete_names


class PublicityDialog(RecordDialog):
    def __init__(self, ctx: Context, event_id: str | None = None, parent=None):
        super().__init__(parent, _("New publicity event") if event_id is None else _("Publicity event"))
        self.ctx = ctx
        self.record_id = event_id
        self.record = None
        self.form = FieldForm(PUBLICITY, today=ctx.today())
        self.names = complete_names(self.form, ctx.conn)
        theme = self.form.editor("theme")
        completer = QCompleter(list(vocab.PUBLICITY_THEMES), theme)
        completer.setFilterMode(Qt.MatchContains)
        theme.setCompleter(completer)
        theme.setPlaceholderText(_("e.g. 民法典进农家, 12·4宪法宣传周"))
        # the event and its materials on the first tab, its 附件 (photos) on the second (issue 16), as in
        # the dispute and training windows: the attachment buttons in sight without scrolling (issue 12)
        self.tabs = QTabWidget()
        self.body.addWidget(self.tabs)
        page = QWidget()
        details = QVBoxLayout(page)
        details.addWidget(self.form)
        box = QGroupBox(_("Materials handed out"))
        grid = QGridLayout(box)
        self.quantities: dict[str, QSpinBox] = {}
        for i, (kind, unit) in enumerate(vocab.MATERIAL_KINDS.items()):
            spin = QSpinBox()
            spin.setObjectName(f"material_{kind}")
            spin.setRange(0, 10_000_000)
            spin.setGroupSeparatorShown(True)
            grid.addWidget(QLabel(kind), i // 3, (i % 3) * 3)
            grid.addWidget(spin, i // 3, (i % 3) * 3 + 1)
            grid.addWidget(QLabel(unit), i // 3, (i % 3) * 3 + 2)
            self.quantities[kind] = spin
        details.addWidget(box)
        details.addStretch(1)
        self.tabs.addTab(scrolling(page), _("Details"))
        self.attachments = attach_panel(self, "publicity_events")
        self.tabs.addTab(self.attachments, _("Attachments"))
        if event_id is None:
            self.form.set_values({"held_on": ctx.today().isoformat(), "form": vocab.PUBLICITY_FORMS[0]})
        else:
            self.record = publicity.get_event(ctx.conn, event_id)
            self.form.set_values(self.record)
            for m in self.record["materials"]:
                if m["kind"] in self.quantities:
                    self.quantities[m["kind"]].setValue(m["quantity"])
        self._materials_snapshot = self.materials()
        self.form.mark_clean()
        fit_to_screen(self, 640, 600)

    def materials(self) -> list[dict]:
        return [{"kind": k, "quantity": s.value()} for k, s in self.quantities.items() if s.value() > 0]

    def is_dirty(self) -> bool:
        return self.form.is_dirty() or self.materials() != self._materials_snapshot

    def do_save(self) -> str:
        data = self.form.values()
        if self.record_id is None:
            return publicity.create_event(self.ctx, data, self.materials())
        publicity.update_event(
            self.ctx, self.record_id, data, self.materials(), expected_version=self.record["version"]
        )
        return self.record_id

    def show_refused(self, exc) -> None:
        self.show_banner(show_all(exc, self.form))
