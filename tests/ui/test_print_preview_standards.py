"""The print preview of the annual report: the 成文日期 field and the note naming the fonts
that stand in for the Windows ones (issue 13)."""

from __future__ import annotations

import io

from pypdf import PdfReader

from dudu_desktop.reports.documents import ANNUAL, SIGNIN, DocumentRequest
from dudu_desktop.ui.print_preview import PrintPreviewDialog
from reports_support import seed


def _ready(qtbot, dialog) -> None:
    with qtbot.waitSignal(dialog.ready, timeout=60000):
        pass


def _text(pdf: bytes) -> str:
    return "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).replace(" ", "")


def test_issue_date_field_and_font_note(qtbot, ctx):
    ids = seed(ctx)
    dialog = PrintPreviewDialog(ctx, DocumentRequest(ANNUAL, {"year": 2024}), threaded=False)
    qtbot.addWidget(dialog)
    if dialog.pdf is None:
        _ready(qtbot, dialog)
    assert dialog.issue_date.isVisibleTo(dialog)
    assert "2024年12月20日" in _text(dialog.pdf)  # nothing saved: today
    note = dialog.fonts_note
    assert note.isVisibleTo(dialog) and "小标宋" in note.text() and "Noto Serif SC" in note.text()
    dialog.issue_date.setText("2025-01-10")
    dialog.issue_date.editingFinished.emit()
    if dialog.pdf is None:
        _ready(qtbot, dialog)
    assert dialog.request.params["date"] == "2025-01-10"
    assert "2025年1月10日" in _text(dialog.pdf)
    sheet = PrintPreviewDialog(ctx, DocumentRequest(SIGNIN, {"training_id": ids["training"]}), threaded=False)
    qtbot.addWidget(sheet)
    assert not sheet.issue_date.isVisibleTo(sheet)
