"""Hotline quick entry: made for a call in progress, keyboard only.

Ctrl+N (from anywhere in the program) opens it with the cursor on the channel; Tab goes
channel → anonymous → name → phone → category → question → answer → referral → satisfaction;
Ctrl+S saves, Esc cancels (asking first if something was typed). Ticking "anonymous" clears and
skips the name.
"""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QTabWidget, QVBoxLayout, QWidget

from dudu_desktop.domain.fields import HOTLINE
from dudu_desktop.i18n import _
from dudu_desktop.services import hotline, people
from dudu_desktop.services.context import Context
from dudu_desktop.ui.attachments import attach_panel
from dudu_desktop.ui.forms import FieldForm, RecordDialog, show_all
from dudu_desktop.ui.geometry import fit_to_screen, scrolling
from dudu_desktop.ui.people import complete_names

KEYS = (
    "called_at",
    "channel",
    "anonymous",
    "caller_name",
    "caller_phone",
    "category",
    "question",
    "answer",
    "referral",
    "satisfaction",
    "legal_aid",
    "followup_on",
    "handler",
)


class HotlineDialog(RecordDialog):
    def __init__(self, ctx: Context, call_id: str | None = None, parent=None):
        super().__init__(
            parent, _("Hotline / consultation: quick entry") if call_id is None else _("Hotline / consultation")
        )
        self.ctx = ctx
        self.record_id = call_id
        self.record = None
        hint = QLabel(
            _(
                "Tab moves to the next field, Ctrl+S saves, Esc cancels. "
                "Use the arrow keys to choose in a list, Space to tick."
            )
        )
        hint.setWordWrap(True)
        hint.setStyleSheet("color: #5f6368;")
        self.body.addWidget(hint)
        self.form = FieldForm(HOTLINE, KEYS, today=ctx.today())
        self.names = complete_names(self.form, ctx.conn)  # callers and 接待人 from the directory
        # the call on the first tab, its 附件 on the second (issue 16), as in the dispute and training
        # windows: the attachment buttons in sight without scrolling, even at 1024×768 (issue 12)
        self.tabs = QTabWidget()
        self.body.addWidget(self.tabs)
        page = QWidget()
        QVBoxLayout(page).addWidget(self.form)
        page.layout().addStretch(1)
        self.tabs.addTab(scrolling(page), _("Details"))
        self.attachments = attach_panel(self, "hotline_calls")
        self.tabs.addTab(self.attachments, _("Attachments"))
        self.form.editor("anonymous").toggled.connect(self._anonymous)
        if call_id is None:
            self.form.set_values(
                {
                    "called_at": ctx.now().strftime("%Y-%m-%d %H:%M"),
                    "channel": "电话",
                    "category": "其他",
                    "handler": people.display_name(ctx.conn, ctx.user),
                }
            )
        else:
            self.record = hotline.get_call(ctx.conn, call_id)
            self.form.set_values(self.record)
        self.form.mark_clean()
        fit_to_screen(self, 620, 720)
        self.form.editor("channel").setFocus()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self.record_id is None:
            self.form.editor("channel").setFocus()

    def _anonymous(self, on: bool) -> None:
        name = self.form.editor("caller_name")
        if on:
            name.clear()
        name.setEnabled(not on)

    def is_dirty(self) -> bool:
        return self.form.is_dirty()

    def do_save(self) -> str:
        data = self.form.values()
        if self.record_id is None:
            return hotline.create_call(self.ctx, data)
        hotline.update_call(self.ctx, self.record_id, data, expected_version=self.record["version"])
        return self.record_id

    def show_refused(self, exc) -> None:
        self.show_banner(show_all(exc, self.form))
