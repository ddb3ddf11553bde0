"""Print preview for every printed document: the PDF is made OFF the UI thread (a background
job, ui.workers, with its own database connection), its pages rendered with pypdfium2 and shown; 打印
paints page images at the printer's resolution; 另存为PDF writes the very bytes shown; a
ledger can also be exported as Excel or CSV. "显示完整个人信息" is enabled only for roles
allowed to print full personal data (every such document is audited by the reports module,
and printing or saving it adds an entry of its own).
"""

from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QImage, QKeySequence, QPageLayout, QPainter, QShortcut
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from dudu_desktop.domain.problems import Refused
from dudu_desktop.domain.vocab import Permission
from dudu_desktop.failures import os_error_message
from dudu_desktop.fileio import atomic_write_bytes
from dudu_desktop.i18n import _
from dudu_desktop.reports import documents
from dudu_desktop.reports.data import audit_unmasked
from dudu_desktop.reports.documents import ANNUAL, DocumentRequest
from dudu_desktop.reports.fonts import register_fonts, substitutes_note
from dudu_desktop.reports.labels import LABELS
from dudu_desktop.services import report_texts
from dudu_desktop.services.context import Context
from dudu_desktop.ui import workers
from dudu_desktop.ui.geometry import fit_to_screen

#: on-screen page width in pixels (A4 portrait and landscape alike)
PREVIEW_WIDTH = 820
#: printing renders at the printer's resolution, but no finer than this
MAX_PRINT_DPI = 600
#: zoom steps of the preview (Ctrl++ / Ctrl+- / Ctrl+0)
ZOOMS = (0.5, 0.67, 0.8, 1.0, 1.25, 1.5, 2.0)
_pdfium_lock = threading.Lock()  # PDFium is not thread-safe


def L(key: str, **kw) -> str:  # noqa: N802 - short for the labels' translations
    text = _(LABELS[key])
    return text.format(**kw) if kw else text


def database_path(ctx: Context) -> str | None:
    """The file behind ``ctx`` (a worker opens its own connection to it)."""
    from dudu_desktop.services.backup import db_path_of

    path = db_path_of(ctx.conn)
    return str(path) if path else None


def _pdfium():
    import pypdfium2  # imported when a preview is made, not at start-up (~0.2 s)

    return pypdfium2


def page_sizes(pdf: bytes) -> list[tuple[float, float]]:
    pdfium = _pdfium()
    with _pdfium_lock:
        doc = pdfium.PdfDocument(pdf)
        try:
            return [doc[i].get_size() for i in range(len(doc))]
        finally:
            doc.close()


def render_pages(
    pdf: bytes, *, width_px: int | None = None, dpi: float | None = None, pages: list[int] | None = None
) -> list[QImage]:
    """Page images (white background): ``width_px`` wide, or at ``dpi``."""
    images = []
    pdfium = _pdfium()
    with _pdfium_lock:
        doc = pdfium.PdfDocument(pdf)
        try:
            for i in range(len(doc)) if pages is None else pages:
                page = doc[i]
                w, _h = page.get_size()
                scale = width_px / w if width_px else (dpi or 72) / 72
                bitmap = page.render(scale=scale, rev_byteorder=True, prefer_bgrx=True, fill_color=(255, 255, 255, 255))
                image = QImage(
                    bytes(bitmap.buffer), bitmap.width, bitmap.height, bitmap.stride, QImage.Format_RGBX8888
                ).copy()
                images.append(image)
                bitmap.close()
                page.close()
        finally:
            doc.close()
    return images


# ---------------------------------------------------------------- jobs

#: The documents set in the GB/T 9704 official fonts (方正小标宋, 仿宋_GB2312, 黑体, 楷体): the others use
#: the bundled CJK font, so the notice of stand-in fonts concerns them not.
OFFICIAL_FONT_DOCUMENTS = frozenset({ANNUAL})


class OneLineLabel(QLabel):
    """A note kept to one line: elided at the end to the width it is given, whole in its tooltip;
    it never widens the window."""

    def __init__(self, text: str = "", parent=None):
        super().__init__(parent)
        self.full_text = text
        self.setToolTip(text)
        self.setText(text)

    def minimumSizeHint(self) -> QSize:
        return QSize(0, super().minimumSizeHint().height())

    def sizeHint(self) -> QSize:
        return QSize(0, super().sizeHint().height())

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._elide()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self._elide()

    def _elide(self) -> None:
        width = self.contentsRect().width()
        if self.isVisible() and width > 0:  # not laid out yet: whole
            self.setText(self.fontMetrics().elidedText(self.full_text, Qt.ElideRight, width))


def _preview(request: DocumentRequest):
    def work(ctx: Context):
        pdf, pages = documents.pdf_bytes(ctx, request)
        return pdf, pages, render_pages(pdf, width_px=PREVIEW_WIDTH)

    return work


# ---------------------------------------------------------------- the dialog


class PrintPreviewDialog(QDialog):
    """Preview of ``request``; ``ready(pages)`` once shown, ``failed(message)`` otherwise,
    ``exported(path)`` after an Excel/CSV export."""

    ready = Signal(int)
    failed = Signal(str)
    exported = Signal(str)

    def __init__(self, ctx: Context, request: DocumentRequest, parent=None, *, threaded: bool = True):
        super().__init__(parent)
        self.ctx = ctx
        self.request = request
        self.threaded = threaded
        self.db_path = database_path(ctx) if threaded else None
        self.pdf: bytes | None = None
        self.page_count = 0
        self.generation = 0
        self.setWindowTitle(L("window", title=documents.title_of(request)))
        self.setAttribute(Qt.WA_DeleteOnClose, False)

        outer = QVBoxLayout(self)
        top = QHBoxLayout()
        self.unmasked = QCheckBox(L("unmasked"))
        self.unmasked.setObjectName("unmasked")
        allowed = ctx.can(Permission.PRINT_UNMASKED)
        self.unmasked.setEnabled(request.has_personal_data and allowed)
        self.unmasked.setChecked(bool(request.params.get("unmasked")) and self.unmasked.isEnabled())
        self.unmasked.setToolTip(
            L("unmasked_tip")
            if self.unmasked.isEnabled()
            else L("unmasked_none")
            if not request.has_personal_data
            else L("unmasked_denied")
        )
        self.unmasked.toggled.connect(self._unmasked_toggled)
        top.addWidget(self.unmasked)
        self.edit_texts = QPushButton(L("edit_texts"))
        self.edit_texts.setObjectName("editTexts")
        self.edit_texts.setVisible(request.kind == ANNUAL)
        self.edit_texts.setEnabled(ctx.can(Permission.WRITE))
        self.edit_texts.clicked.connect(self.open_texts_editor)
        top.addWidget(self.edit_texts)
        self.issue_date_label = QLabel(L("issue_date"))
        self.issue_date = QLineEdit(str(request.params.get("date") or ""))
        self.issue_date.setObjectName("issueDate")
        self.issue_date.setPlaceholderText("YYYY-MM-DD")
        self.issue_date.setToolTip(L("issue_date_tip"))
        self.issue_date.setFixedWidth(110)
        self.issue_date.editingFinished.connect(self._issue_date_changed)
        for w in (self.issue_date_label, self.issue_date):
            w.setVisible(request.kind == ANNUAL)
            top.addWidget(w)
        self.photos = QCheckBox(L("photos"))  # 附件：活动照片 / the ledger's photo pages (issue 16)
        self.photos.setObjectName("withPhotos")
        self.photos.setToolTip(L("photos_tip"))
        self.photos.setVisible(
            request.kind == ANNUAL
            or (request.kind == documents.LEDGER and request.params.get("register") == "publicity")
        )
        self.photos.setChecked(bool(request.params.get("photos")))
        self.photos.toggled.connect(lambda on: self._set_param(photos=on))
        top.addWidget(self.photos)
        top.addStretch(1)
        self.status = QLabel()
        self.status.setObjectName("previewStatus")
        top.addWidget(self.status)
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)  # busy indicator
        self.busy.setFixedWidth(160)
        self.busy.setTextVisible(False)
        top.addWidget(self.busy)
        outer.addLayout(top)
        # which free fonts stand in for the Windows ones GB/T 9704 asks for (empty when none): only for a
        # document set in those official fonts (the annual report); one line, whole in its tooltip
        official = request.kind in OFFICIAL_FONT_DOCUMENTS
        self.fonts_note = OneLineLabel(substitutes_note(register_fonts()) if official else "")
        self.fonts_note.setObjectName("fontSubstitutes")
        self.fonts_note.setVisible(bool(self.fonts_note.full_text))
        outer.addWidget(self.fonts_note)

        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setStyleSheet("QScrollArea { background: #8a8f98; }")
        self.pages_widget = QWidget()
        self.pages_widget.setStyleSheet("background: #8a8f98;")
        self.pages_layout = QVBoxLayout(self.pages_widget)
        self.pages_layout.setAlignment(Qt.AlignHCenter | Qt.AlignTop)
        self.pages_layout.setSpacing(14)
        self.scroll.setWidget(self.pages_widget)
        outer.addWidget(self.scroll, 1)

        buttons = QHBoxLayout()
        self.print_button = QPushButton(L("print"))
        self.print_button.setObjectName("printButton")
        self.print_button.clicked.connect(lambda: self.print_document())
        self.pdf_button = QPushButton(L("save_pdf"))
        self.pdf_button.setObjectName("savePdf")
        self.pdf_button.clicked.connect(lambda: self.save_pdf())
        self.xlsx_button = QPushButton(L("export_xlsx"))
        self.xlsx_button.setObjectName("exportXlsx")
        self.xlsx_button.clicked.connect(lambda: self.export_table("xlsx"))
        self.csv_button = QPushButton(L("export_csv"))
        self.csv_button.setObjectName("exportCsv")
        self.csv_button.clicked.connect(lambda: self.export_table("csv"))
        for b in (self.xlsx_button, self.csv_button):
            b.setVisible(request.can_export_table)
        close = QPushButton(L("close"))
        close.clicked.connect(self.reject)
        for b in (self.print_button, self.pdf_button, self.xlsx_button, self.csv_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(close)
        outer.addLayout(buttons)
        fit_to_screen(self, PREVIEW_WIDTH + 90, 860)
        # keys: Ctrl+P print, Ctrl+S save the PDF, Esc close (QDialog), Ctrl++ / Ctrl+- / Ctrl+0 zoom
        self.zoom = 1.0
        self.images: list[QImage] = []
        for keys, slot in (
            ((QKeySequence.Print,), lambda: self.print_button.isEnabled() and self.print_document()),
            ((QKeySequence.Save,), lambda: self.pdf_button.isEnabled() and self.save_pdf()),
            ((QKeySequence.ZoomIn, "Ctrl+="), lambda: self.set_zoom(+1)),
            ((QKeySequence.ZoomOut,), lambda: self.set_zoom(-1)),
            (("Ctrl+0",), lambda: self.set_zoom(0)),
        ):
            for key in keys:
                QShortcut(QKeySequence(key), self, activated=slot)
        self.generate()

    # --- generating -----------------------------------------------------------------------------
    def _run(self, work, on_done, on_failed) -> None:
        """``work(ctx)`` as a background job (ui.workers) with its own connection (or on this ``ctx``
        when there is no database file); ``on_done(generation, value)`` / ``on_failed(generation,
        message)`` back here, where an older generation is ignored."""
        self.generation += 1
        generation = self.generation
        job = workers.Job(lambda job: work(job.ctx), db_path=self.db_path, ctx=self.ctx)
        job.connect(
            self,
            done=lambda value: on_done(generation, value),
            failed=lambda message: on_failed(generation, message.replace("\n", "；")),
        )
        workers.start(job, threaded=self.threaded)

    def _set_busy(self, busy: bool, text: str = "") -> None:
        self.busy.setVisible(busy)
        self.status.setText(text)
        self.status.setStyleSheet("")
        enabled = not busy and self.pdf is not None
        for b in (self.print_button, self.pdf_button):
            b.setEnabled(enabled)
        for b in (self.xlsx_button, self.csv_button):
            b.setEnabled(not busy)

    def generate(self) -> None:
        """Make the PDF and its page images in the background."""
        self.pdf = None
        self._set_busy(True, L("generating"))
        self._run(_preview(self.request), self._generated, self._generation_failed)

    def _generated(self, generation: int, value) -> None:
        if generation != self.generation:
            return  # a newer request replaced it
        self.pdf, self.page_count, images = value
        self.images = images
        while self.pages_layout.count():
            item = self.pages_layout.takeAt(0)
            if item.widget():
                item.widget().deleteLater()
        for image in images:
            label = QLabel()
            label.setObjectName("previewPage")
            label.setPixmap(self._scaled(image))
            label.setFrameShape(QFrame.Box)
            label.setStyleSheet("background: white; border: 1px solid #5f6368;")
            self.pages_layout.addWidget(label, 0, Qt.AlignHCenter)
        self._set_busy(False, L("pages", pages=self.page_count))
        self.ready.emit(self.page_count)

    def _generation_failed(self, generation: int, message: str) -> None:
        if generation != self.generation:
            return
        self._set_busy(False, L("failed", message=message))
        self.status.setStyleSheet("color: #b3261e;")
        self.failed.emit(message)

    def _scaled(self, image: QImage):
        if self.zoom == 1.0:
            return _pixmap(image)
        return _pixmap(image.scaledToWidth(round(image.width() * self.zoom), Qt.SmoothTransformation))

    def set_zoom(self, step: int) -> float:
        """One zoom step in (+1) or out (-1), or back to 100 % (0)."""
        i = min(range(len(ZOOMS)), key=lambda k: abs(ZOOMS[k] - self.zoom))
        self.zoom = 1.0 if step == 0 else ZOOMS[max(0, min(len(ZOOMS) - 1, i + step))]
        labels = [self.pages_layout.itemAt(k).widget() for k in range(self.pages_layout.count())]
        for label, image in zip([w for w in labels if w is not None], self.images):
            label.setPixmap(self._scaled(image))
        return self.zoom

    def _issue_date_changed(self) -> None:
        date = self.issue_date.text().strip() or None
        if date != self.request.params.get("date"):
            self.request = self.request.with_params(date=date)
            self.generate()

    def _set_param(self, **changes) -> None:
        self.request = self.request.with_params(**changes)
        self.generate()

    def _unmasked_toggled(self, checked: bool) -> None:
        self.request = self.request.with_params(unmasked=checked)
        self.generate()

    # --- output ---------------------------------------------------------------------------------
    def _audit_output(self, output: str) -> None:
        if self.request.params.get("unmasked"):
            audit_unmasked(
                self.ctx,
                document=documents.title_of(self.request),
                details={
                    "output": output,
                    **{k: v for k, v in self.request.params.items() if isinstance(v, (str, int)) and k != "unmasked"},
                },
            )

    def _suggested(self, ext: str) -> str:
        name = documents.title_of(self.request).replace("/", "-").replace(" ", "")
        return str(Path.home() / f"{name}.{ext}")

    def save_pdf(self, path: str | None = None) -> bool:
        """Write the PDF shown (atomically). Asks for the file when ``path`` is None."""
        if self.pdf is None:
            return False
        if path is None:
            path, _filter = QFileDialog.getSaveFileName(self, L("save_pdf"), self._suggested("pdf"), L("pdf_filter"))
            if not path:
                return False
        if not path.lower().endswith(".pdf"):
            path += ".pdf"
        try:
            atomic_write_bytes(path, self.pdf)
        except OSError as exc:
            QMessageBox.warning(self, L("save_pdf"), L("save_failed", message=os_error_message(exc)))
            return False
        self._audit_output("pdf")
        self.status.setText(L("saved", path=path))
        return True

    def export_table(self, fmt: str, path: str | None = None) -> None:
        """Export the ledger as .xlsx or .csv in the background (``exported(path)`` when done)."""
        if path is None:
            path, _filter = QFileDialog.getSaveFileName(
                self, L(f"export_{fmt}"), self._suggested(fmt), L(f"{fmt}_filter")
            )
            if not path:
                return
        if not path.lower().endswith("." + fmt):
            path += "." + fmt
        request = self.request
        self._set_busy(True, L("exporting"))

        def work(ctx: Context):
            documents.write(ctx, request, path)
            return path

        def done(_generation: int, written: str) -> None:
            self._set_busy(False, L("saved", path=written))
            self.exported.emit(written)

        def failed(_generation: int, message: str) -> None:
            self._set_busy(False, L("save_failed", message=message))
            self.status.setStyleSheet("color: #b3261e;")
            self.failed.emit(message)

        self._run(work, done, failed)

    def print_document(self, printer: QPrinter | None = None) -> bool:
        """Print every page; with no ``printer``, ask with the print dialog."""
        if self.pdf is None:
            return False
        sizes = page_sizes(self.pdf)
        if printer is None:
            printer = QPrinter(QPrinter.HighResolution)
            landscape = sizes and sizes[0][0] > sizes[0][1]
            printer.setPageOrientation(QPageLayout.Landscape if landscape else QPageLayout.Portrait)
            printer.setDocName(documents.title_of(self.request))
            dialog = QPrintDialog(printer, self)
            if dialog.exec() != QDialog.Accepted:
                return False
        printer.setFullPage(True)
        dpi = min(printer.resolution(), MAX_PRINT_DPI)
        painter = QPainter()
        if not painter.begin(printer):
            return False
        try:
            for i in range(len(sizes)):
                if i:
                    printer.newPage()
                image = render_pages(self.pdf, dpi=dpi, pages=[i])[0]
                target = QRectF(printer.paperRect(QPrinter.DevicePixel))
                scaled = image.size().scaled(target.size().toSize(), Qt.KeepAspectRatio)
                painter.drawImage(QRectF(target.x(), target.y(), scaled.width(), scaled.height()), image)
        finally:
            painter.end()
        self._audit_output("print")
        self.status.setText(L("printed", pages=len(sizes)))
        return True

    def open_texts_editor(self) -> None:
        p = self.request.params
        editor = ReportTextsDialog(self.ctx, int(p["year"]), p.get("village"), self)
        if editor.exec() == QDialog.Accepted:
            self.generate()

    def reject(self) -> None:
        self.generation += 1  # results still on their way are dropped
        super().reject()


def _pixmap(image: QImage):
    from PySide6.QtGui import QPixmap

    return QPixmap.fromImage(image)


class ReportTextsDialog(QDialog):
    """The annual report's narrative, one tab per section (saved with report_texts)."""

    def __init__(self, ctx: Context, year: int, village: str | None, parent=None):
        super().__init__(parent)
        self.ctx, self.year, self.village = ctx, year, village
        self.setWindowTitle(L("texts_title", year=year))
        v = QVBoxLayout(self)
        fields = "、".join("{" + f + "}" for f in report_texts.FIELDS if f != report_texts.CHART_FIELD)
        help_label = QLabel(L("texts_help", fields=fields, chart="{" + report_texts.CHART_FIELD + "}"))
        help_label.setWordWrap(True)
        v.addWidget(help_label)
        self.tabs = QTabWidget()
        self.editors: dict[str, QPlainTextEdit] = {}
        texts = report_texts.get_texts(ctx.conn, year, village)
        for key in report_texts.SECTIONS:
            edit = QPlainTextEdit(texts[key])
            edit.setObjectName(f"text_{key}")
            self.editors[key] = edit
            self.tabs.addTab(edit, _(report_texts.SECTION_LABELS[key]))
        v.addWidget(self.tabs, 1)
        self.error = QLabel()
        self.error.setStyleSheet("color: #b3261e;")
        self.error.setWordWrap(True)
        v.addWidget(self.error)
        row = QHBoxLayout()
        reset = QPushButton(L("texts_reset"))
        reset.clicked.connect(self.reset)
        save = QPushButton(L("texts_save"))
        save.setObjectName("saveTexts")
        save.setDefault(True)
        save.clicked.connect(self.save)
        cancel = QPushButton(L("close"))
        cancel.clicked.connect(self.reject)
        row.addWidget(reset)
        row.addStretch(1)
        row.addWidget(save)
        row.addWidget(cancel)
        v.addLayout(row)
        fit_to_screen(self, 760, 560)

    def reset(self) -> None:
        defaults = report_texts.default_texts(self.ctx.conn, self.year, self.village)
        for key, edit in self.editors.items():
            edit.setPlainText(defaults[key])

    def save(self) -> bool:
        try:
            report_texts.save_texts(
                self.ctx, self.year, self.village, {k: e.toPlainText() for k, e in self.editors.items()}
            )
        except Refused as exc:
            self.error.setText("\n".join(p.message for p in exc.problems))
            return False
        self.accept()
        return True


def open_preview(parent, ctx: Context, request: DocumentRequest) -> PrintPreviewDialog:
    """Show a (non-modal) preview window for ``request``."""
    dialog = PrintPreviewDialog(ctx, request, parent)
    dialog.setAttribute(Qt.WA_DeleteOnClose, True)
    dialog.show()
    return dialog


# ---------------------------------------------------------------- entry points for the window


def request_for_page(ctx: Context, page) -> DocumentRequest:
    """Ctrl+P on a register page: that register's monthly ledger for the page's month (the
    month filter, else the month shown by its date range, else this month) and village; on
    any other page: this year's annual report."""
    register = getattr(page, "register", None)
    filters = page.filters() if register and hasattr(page, "filters") else None
    if filters is None:
        return DocumentRequest(ANNUAL, {"year": ctx.today().year, "village": None})
    month = ledger_month(filters, ctx.today())
    return DocumentRequest(documents.LEDGER, {"register": register, "month": month, "village": filters.village})


def ledger_month(filters, today) -> str:
    """The month a ledger is printed for: the month filter; a date range within one month; this
    month when the range includes it (e.g. 本年); otherwise the range's last month."""
    if filters.month:
        return filters.month
    start, end = (filters.date_from or "")[:7], (filters.date_to or "")[:7]
    this = today.strftime("%Y-%m")
    if start and start == end:
        return start
    if (not start or start <= this) and (not end or this <= end):
        return this
    return end or start


def preview_page(parent, ctx: Context, page) -> PrintPreviewDialog:
    return open_preview(parent, ctx, request_for_page(ctx, page))


def add_agreement_button(dialog) -> QPushButton | None:
    """A 打印协议书 button in a saved dispute's editor (``dialog.ctx``, ``dialog.record_id``,
    ``dialog.buttons``): the agreement of a 调解成功 case, a draft for a case still being
    mediated (after asking), the reason otherwise."""
    from PySide6.QtWidgets import QDialogButtonBox

    if not getattr(dialog, "record_id", None):
        return None
    button = dialog.buttons.addButton(L("print_agreement"), QDialogButtonBox.ActionRole)
    button.setObjectName("printAgreement")
    button.setAutoDefault(False)

    button.clicked.connect(lambda _checked=False: print_agreement(dialog, dialog.ctx, dialog.record_id))
    return button


def print_agreement(parent, ctx: Context, dispute_id: str) -> PrintPreviewDialog | None:
    """The preview of a dispute's 协议书 (from its editor or a register row's menu): a draft for a
    case still being mediated, after asking."""
    from dudu_desktop.domain.vocab import OPEN_STATUSES
    from dudu_desktop.services import disputes

    row = disputes.get_dispute(ctx.conn, dispute_id)
    params = {"dispute_id": dispute_id}
    if row["status"] in OPEN_STATUSES:
        answer = QMessageBox.question(parent, L("print_agreement"), L("draft_question"))
        if answer != QMessageBox.Yes:
            return None
        params["draft"] = True
    return open_preview(parent, ctx, DocumentRequest(documents.AGREEMENT, params))


def add_dossier_button(dialog) -> QPushButton | None:
    """A 打印卷宗 button in a saved dispute's editor: the preview of its dossier (一案一卷)."""
    from PySide6.QtWidgets import QDialogButtonBox

    if not getattr(dialog, "record_id", None):
        return None
    button = dialog.buttons.addButton(L("print_dossier"), QDialogButtonBox.ActionRole)
    button.setObjectName("printDossier")
    button.setAutoDefault(False)
    button.clicked.connect(
        lambda _checked=False: open_preview(
            dialog, dialog.ctx, DocumentRequest(documents.DOSSIER, {"dispute_id": dialog.record_id})
        )
    )
    return button


def add_signin_buttons(dialog) -> QPushButton | None:
    """A 打印签到表 button in a saved session's editor, with a menu: the sheet to sign before
    the session, or the attendance record after it."""
    from PySide6.QtWidgets import QDialogButtonBox, QMenu

    if not getattr(dialog, "record_id", None):
        return None
    button = dialog.buttons.addButton(L("print_signin"), QDialogButtonBox.ActionRole)
    button.setObjectName("printSignin")
    button.setAutoDefault(False)
    menu = QMenu(button)
    for key, after in (("sheet_before", False), ("sheet_after", True)):
        action = menu.addAction(L(key))
        action.setObjectName(key)
        action.triggered.connect(
            lambda _checked=False, a=after: open_preview(
                dialog, dialog.ctx, DocumentRequest(documents.SIGNIN, {"training_id": dialog.record_id, "after": a})
            )
        )
    button.setMenu(menu)
    return button
