"""Print preview: made off the UI thread, pages shown, PDF saved as shown, Excel/CSV export,
printing paints every page, the full-personal-data box follows the role and is audited."""

from __future__ import annotations

import io
import threading

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from PySide6.QtGui import QPageLayout
from PySide6.QtPrintSupport import QPrinter

from dudu_desktop.domain.vocab import Role
from dudu_desktop.reports import data, documents
from dudu_desktop.reports.documents import AGREEMENT, ANNUAL, LEDGER, SIGNIN, DocumentRequest
from dudu_desktop.services import audit, report_texts
from dudu_desktop.ui import print_preview
from dudu_desktop.ui.print_preview import PrintPreviewDialog, ReportTextsDialog, render_pages
from reports_support import seed


@pytest.fixture
def seeded(ctx):
    return ctx, seed(ctx)


def open_dialog(qtbot, ctx, request, **kw) -> PrintPreviewDialog:
    dialog = PrintPreviewDialog(ctx, request, **kw)
    qtbot.addWidget(dialog)
    return dialog


def wait_ready(qtbot, dialog) -> int:
    if dialog.pdf is None:
        with qtbot.waitSignal(dialog.ready, timeout=20000) as blocker:
            pass
        return blocker.args[0]
    return dialog.page_count


def ledger_request(**kw) -> DocumentRequest:
    return DocumentRequest(LEDGER, {"register": "disputes", "month": "2024-05", **kw})


def test_preview_is_made_off_the_ui_thread_and_shows_every_page(qtbot, seeded, monkeypatch):
    ctx, _ids = seeded
    threads = []
    real = documents.pdf_bytes

    def spy(c, request):
        threads.append((threading.current_thread(), c.conn is ctx.conn))
        return real(c, request)

    monkeypatch.setattr(print_preview.documents, "pdf_bytes", spy)
    dialog = open_dialog(qtbot, ctx, ledger_request())
    assert dialog.busy.isVisible() or dialog.pdf is None  # busy while it works
    pages = wait_ready(qtbot, dialog)
    assert threads and threads[0][0] is not threading.main_thread() and threads[0][1] is False
    labels = dialog.pages_widget.findChildren(print_preview.QLabel, "previewPage")
    assert pages == len(labels) == len(PdfReader(io.BytesIO(dialog.pdf)).pages)
    assert labels[0].pixmap().width() == print_preview.PREVIEW_WIDTH
    assert not dialog.busy.isVisible() and dialog.print_button.isEnabled()
    assert dialog.status.text() == f"共{pages}页"


def test_save_pdf_writes_the_bytes_shown(qtbot, seeded, tmp_path):
    ctx, _ids = seeded
    dialog = open_dialog(qtbot, ctx, ledger_request())
    wait_ready(qtbot, dialog)
    target = tmp_path / "台账"
    assert dialog.save_pdf(str(target))
    assert (tmp_path / "台账.pdf").read_bytes() == dialog.pdf
    assert dialog.pdf == documents.pdf_bytes(ctx, ledger_request())[0]


def test_excel_and_csv_export_in_the_background(qtbot, seeded, tmp_path):
    ctx, _ids = seeded
    dialog = open_dialog(qtbot, ctx, ledger_request())
    wait_ready(qtbot, dialog)
    assert dialog.xlsx_button.isVisible() or not dialog.isVisible()
    with qtbot.waitSignal(dialog.exported, timeout=20000) as blocker:
        dialog.export_table("xlsx", str(tmp_path / "l.xlsx"))
    assert blocker.args == [str(tmp_path / "l.xlsx")]
    assert load_workbook(tmp_path / "l.xlsx").active["A1"].value == "都督村2024年5月矛盾纠纷排查调处台账"
    with qtbot.waitSignal(dialog.exported, timeout=20000):
        dialog.export_table("csv", str(tmp_path / "l"))
    assert (tmp_path / "l.csv").read_bytes().startswith(b"\xef\xbb\xbf")


def test_print_paints_every_page(qtbot, seeded, tmp_path):
    ctx, _ids = seeded
    dialog = open_dialog(qtbot, ctx, ledger_request())
    pages = wait_ready(qtbot, dialog)
    printer = QPrinter(QPrinter.HighResolution)
    printer.setOutputFormat(QPrinter.PdfFormat)
    printer.setOutputFileName(str(tmp_path / "printed.pdf"))
    printer.setResolution(150)
    printer.setPageOrientation(QPageLayout.Landscape)
    assert dialog.print_document(printer)
    assert len(PdfReader(tmp_path / "printed.pdf").pages) == pages
    assert dialog.status.text() == f"已发送到打印机：共{pages}页。"


def test_unmasked_box_follows_the_role_and_is_audited(qtbot, seeded):
    ctx, ids = seeded
    dialog = open_dialog(qtbot, ctx, ledger_request())
    wait_ready(qtbot, dialog)
    assert dialog.unmasked.isEnabled()
    before = len(audit.entries(ctx.conn, action=data.UNMASKED_ACTION))
    with qtbot.waitSignal(dialog.ready, timeout=20000):
        dialog.unmasked.setChecked(True)
    assert "11010519491231002X" in "".join(p.extract_text() for p in PdfReader(io.BytesIO(dialog.pdf)).pages)
    assert len(audit.entries(ctx.conn, action=data.UNMASKED_ACTION)) == before + 1  # made by the worker

    clerk = ctx.__class__(conn=ctx.conn, user="clerk", role=Role.CLERK, clock=ctx.clock)
    for request in (ledger_request(), DocumentRequest(AGREEMENT, {"dispute_id": ids["settled"]})):
        d = open_dialog(qtbot, clerk, request)
        wait_ready(qtbot, d)
        assert not d.unmasked.isEnabled()
    trainings = open_dialog(qtbot, ctx, DocumentRequest(LEDGER, {"register": "trainings", "month": "2024-05"}))
    wait_ready(qtbot, trainings)
    assert not trainings.unmasked.isEnabled()  # nothing personal to hide


def test_refused_document_shows_the_reason(qtbot, seeded):
    ctx, ids = seeded
    dialog = open_dialog(qtbot, ctx, DocumentRequest(AGREEMENT, {"dispute_id": ids["failed"]}))
    if dialog.pdf is None and "没有可打印" not in dialog.status.text():
        with qtbot.waitSignal(dialog.failed, timeout=20000):
            pass
    assert "没有可打印的调解协议书" in dialog.status.text()
    assert not dialog.print_button.isEnabled() and not dialog.pdf_button.isEnabled()


def test_sign_in_sheet_and_annual_report_previews(qtbot, seeded):
    ctx, ids = seeded
    sheet = open_dialog(qtbot, ctx, DocumentRequest(SIGNIN, {"training_id": ids["training"]}))
    assert wait_ready(qtbot, sheet) == 1
    assert not sheet.xlsx_button.isVisibleTo(sheet) and not sheet.edit_texts.isVisibleTo(sheet)
    report = open_dialog(qtbot, ctx, DocumentRequest(ANNUAL, {"year": 2024}))
    assert wait_ready(qtbot, report) >= 2
    assert report.edit_texts.isVisibleTo(report)


def test_report_text_editor_saves_the_sections(qtbot, seeded):
    ctx, _ids = seeded
    editor = ReportTextsDialog(ctx, 2024, None)
    qtbot.addWidget(editor)
    editor.editors["problems"].setPlainText("一是新写的问题。")
    assert editor.save()
    assert report_texts.get_texts(ctx.conn, 2024)["problems"] == "一是新写的问题。"
    editor = ReportTextsDialog(ctx, 2024, None)
    qtbot.addWidget(editor)
    editor.editors["problems"].setPlainText("字" * 20001)
    assert not editor.save() and "过长" in editor.error.text()


def test_render_pages_gives_white_page_images(seeded):
    ctx, _ids = seeded
    pdf, pages = documents.pdf_bytes(ctx, ledger_request())
    images = render_pages(pdf, dpi=36)
    assert len(images) == pages
    assert images[0].width() == round(842 * 36 / 72)  # A4 landscape
    assert images[0].pixelColor(2, 2).name() == "#ffffff"


# ---------------------------------------------------------------- wired into the window


def test_ctrl_p_previews_the_ledger_of_the_register_page_filters(qtbot, seeded, window):
    ctx, _ids = seeded
    page = window.pages["disputes"]
    with qtbot.waitSignal(page.model.loaded, timeout=10000):
        window.show_page("disputes")
    page._select(page.period, "month")
    page.month.setDate(page.month.date().fromString("2024-05", "yyyy-MM"))
    window.print_current()
    previews = window.findChildren(PrintPreviewDialog)
    assert len(previews) == 1
    request = previews[0].request
    assert request.kind == LEDGER and request.params["register"] == "disputes"
    assert request.params["month"] == "2024-05" and request.params["village"] is None
    wait_ready(qtbot, previews[0])
    assert "2024年5月矛盾纠纷排查调处台账" in previews[0].windowTitle() or previews[0].pdf
    previews[0].close()
    window.show_page("home")
    window.print_current()
    annual = [d for d in window.findChildren(PrintPreviewDialog) if d.request.kind == ANNUAL]
    assert annual and annual[0].request.params["year"] == 2024
    wait_ready(qtbot, annual[0])


def test_dispute_and_training_editors_have_print_buttons(qtbot, seeded, monkeypatch):
    from PySide6.QtWidgets import QMessageBox, QPushButton

    from dudu_desktop.ui.dispute_dialog import DisputeDialog
    from dudu_desktop.ui.training_dialog import TrainingDialog

    ctx, ids = seeded
    settled = DisputeDialog(ctx, ids["settled"])
    qtbot.addWidget(settled)
    button = settled.findChild(QPushButton, "printAgreement")
    button.click()
    preview = settled.findChildren(PrintPreviewDialog)[-1]
    assert preview.request.params == {"dispute_id": ids["settled"]}
    wait_ready(qtbot, preview)

    open_case = DisputeDialog(ctx, ids["open"])
    qtbot.addWidget(open_case)
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.Yes)
    open_case.findChild(QPushButton, "printAgreement").click()
    draft = open_case.findChildren(PrintPreviewDialog)[-1]
    assert draft.request.params == {"dispute_id": ids["open"], "draft": True}
    wait_ready(qtbot, draft)

    new_case = DisputeDialog(ctx, None)
    qtbot.addWidget(new_case)
    assert new_case.findChild(QPushButton, "printAgreement") is None

    training = TrainingDialog(ctx, ids["training"])
    qtbot.addWidget(training)
    sign = training.findChild(QPushButton, "printSignin")
    actions = {a.objectName(): a for a in sign.menu().actions()}
    actions["sheet_after"].trigger()
    sheet = training.findChildren(PrintPreviewDialog)[-1]
    assert sheet.request.params == {"training_id": ids["training"], "after": True}
    wait_ready(qtbot, sheet)
    for d in (settled, open_case, new_case, training):
        d._closing_ok = True


def test_ctrl_p_prints_the_month_the_date_filter_points_at():
    import datetime as dt

    from dudu_desktop.storage.queries import Filters
    from dudu_desktop.ui.print_preview import ledger_month

    today = dt.date(2024, 12, 20)
    assert ledger_month(Filters(month="2024-05"), today) == "2024-05"
    assert ledger_month(Filters(date_from="2024-01-01", date_to="2024-12-31"), today) == "2024-12"  # 本年
    assert ledger_month(Filters(date_from="2023-01-01", date_to="2023-12-31"), today) == "2023-12"  # last year
    assert ledger_month(Filters(date_from="2024-03-01", date_to="2024-03-31"), today) == "2024-03"
    assert ledger_month(Filters(), today) == "2024-12"
