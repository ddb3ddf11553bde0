"""作废 (void) and 恢复 (restore) a record from a register page, each with a required reason
(services.records.delete_record / restore_record decide who may; the dialog only asks)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QLineEdit, QVBoxLayout

from dudu_desktop.i18n import _


class ReasonDialog(QDialog):
    """Asks for the reason of a void or a restore; 确定 stays disabled until one is typed."""

    confirmed = Signal(str)  # the reason

    def __init__(self, title: str, question: str, parent=None):
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setObjectName("reasonDialog")
        v = QVBoxLayout(self)
        text = QLabel(question)
        text.setWordWrap(True)
        v.addWidget(text)
        v.addWidget(QLabel(_("Reason (required):")))
        self.reason = QLineEdit()
        self.reason.setObjectName("reason")
        self.reason.setPlaceholderText(_("e.g. entered twice, a test record"))
        v.addWidget(self.reason)
        self.buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        self.ok = self.buttons.button(QDialogButtonBox.Ok)
        self.ok.setEnabled(False)
        self.reason.textChanged.connect(lambda t: self.ok.setEnabled(bool(t.strip())))
        self.buttons.accepted.connect(self._accept)
        self.buttons.rejected.connect(self.reject)
        v.addWidget(self.buttons)
        self.setMinimumWidth(380)
        self.reason.setFocus(Qt.OtherFocusReason)

    def _accept(self) -> None:
        reason = self.reason.text().strip()
        if not reason:
            return
        self.accept()
        self.confirmed.emit(reason)
