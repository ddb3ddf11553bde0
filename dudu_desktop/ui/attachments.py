"""Attachments (附件) in a record's window (issue 16): thumbnails, 添加附件…, files dropped onto the
window, double-click to see a file large, 作废… with a reason.

:class:`AttachmentsPanel` is the same in the four record dialogs (:func:`attach_panel` builds it
and makes the whole dialog a drop target). Thumbnails are made off the UI thread (a
background job, ``ui.workers``, with its own database connection) and kept in a small cache, so a record
with many photos opens at once and fills in. A record not saved yet takes no attachments: the
panel says to save it first (one clear rule; nothing is held back to be written later).

Every refusal of the service (a damaged file, HEIC with how to convert it, over the size limit, a
role that may not) is shown in red above the thumbnails, and nothing is attached.
:class:`AttachmentViewer` shows a picture fitted to the window, or a PDF page by page.
"""

from __future__ import annotations

import io
from collections import OrderedDict
from pathlib import Path

from PySide6.QtCore import QEvent, QSize, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QImage, QKeySequence, QPainter, QPixmap, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QScrollArea,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from dudu_desktop.domain import attachments as A
from dudu_desktop.domain.problems import Refused
from dudu_desktop.domain.vocab import Permission
from dudu_desktop.i18n import _
from dudu_desktop.services import attachments, people
from dudu_desktop.services.context import Context
from dudu_desktop.ui import workers
from dudu_desktop.ui.forms import error_label
from dudu_desktop.ui.geometry import available_geometry, fit_to_screen
from dudu_desktop.ui.voiding import ReasonDialog

ICON = 128  # thumbnail size shown in the list
ROLE = Qt.UserRole  # the attachment row of an item
_CACHE: OrderedDict[str, QImage] = OrderedDict()  # sha256 → thumbnail (PNG decoded), most recent last
_CACHE_MAX = 600
FILE_FILTER = "*.jpg *.jpeg *.jpe *.png *.pdf"


def _cached(sha: str) -> QImage | None:
    image = _CACHE.get(sha)
    if image is not None:
        _CACHE.move_to_end(sha)
    return image


def _remember(sha: str, image: QImage) -> None:
    _CACHE[sha] = image
    _CACHE.move_to_end(sha)
    while len(_CACHE) > _CACHE_MAX:
        _CACHE.popitem(last=False)


def local_files(mime) -> list[str]:
    """The local files of a drag (a drag of text or web links gives none)."""
    if mime is None or not mime.hasUrls():
        return []
    return [u.toLocalFile() for u in mime.urls() if u.isLocalFile() and u.toLocalFile()]


def size_text(row: dict) -> str:
    if row.get("pages"):
        return _("{n} pages").format(n=row["pages"])
    if row.get("width"):
        return f"{row['width']}×{row['height']}"
    return ""


def megabytes(size: int) -> str:
    return f"{size / 1048576:.1f} MB" if size >= 104858 else f"{max(1, round(size / 1024))} KB"


# --- thumbnails off the UI thread -------------------------------------------------------------


def _thumbnails_work(shas: list[str]):
    """The work of a background job (ui.workers) on its own connection: ``(sha256, PNG)`` sent as
    ``partial`` for each thumbnail as it is made, ``(sha256, None)`` for a damaged one (the others
    go on)."""

    def work(job):
        for sha in shas:
            if job.cancelled:
                return
            try:
                png = attachments.thumbnail(job.conn, sha, size=ICON)
            except Exception:  # noqa: BLE001 - one damaged file does not stop the others
                png = None
            job.partial((sha, png))

    return work


def _placeholder(text: str) -> QIcon:
    pix = QPixmap(ICON, ICON)
    pix.fill(QColor("#eef1f5"))
    painter = QPainter(pix)
    painter.setPen(QColor("#5f6368"))
    painter.drawRect(0, 0, ICON - 1, ICON - 1)
    painter.drawText(pix.rect(), Qt.AlignCenter, text)
    painter.end()
    return QIcon(pix)


def _icon(image: QImage) -> QIcon:
    """The thumbnail centred on a square, so the grid stays even."""
    pix = QPixmap(ICON, ICON)
    pix.fill(Qt.white)
    painter = QPainter(pix)
    scaled = image.scaled(ICON, ICON, Qt.KeepAspectRatio, Qt.SmoothTransformation)
    painter.drawImage((ICON - scaled.width()) // 2, (ICON - scaled.height()) // 2, scaled)
    painter.end()
    return QIcon(pix)


# --- asking -------------------------------------------------------------------------------------


class AttachDetailsDialog(QDialog):
    """The kind and caption of the files about to be attached."""

    def __init__(self, paths: list[str], parent=None):
        super().__init__(parent)
        self.setWindowTitle(_("Add attachments"))
        self.setObjectName("attachDetails")
        v = QVBoxLayout(self)
        names = [Path(p).name for p in paths]
        shown = "、".join(names[:5]) + (_(" and {n} more").format(n=len(names) - 5) if len(names) > 5 else "")
        files = QLabel(_("Files: {names}").format(names=shown))
        files.setWordWrap(True)
        v.addWidget(files)
        form = QFormLayout()
        self.kind = QComboBox()
        self.kind.setObjectName("attachKind")
        for k in A.ATTACHMENT_KINDS:
            self.kind.addItem(k, k)
        pictures = all(A.EXTENSIONS.get(A.extension(n)) in (A.JPEG, A.PNG) for n in names)
        self.kind.setCurrentIndex(
            self.kind.findData(A.AttachmentKind.PHOTO.value if pictures else A.AttachmentKind.OTHER.value)
        )
        form.addRow(_("Kind:"), self.kind)
        self.caption = QLineEdit()
        self.caption.setObjectName("attachCaption")
        self.caption.setMaxLength(A.MAX_CAPTION)
        self.caption.setPlaceholderText(_("e.g. 赶集日咨询台, 双方签字"))
        form.addRow(_("Caption:"), self.caption)
        v.addLayout(form)
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        buttons.button(QDialogButtonBox.Ok).setText(_("Attach"))
        buttons.button(QDialogButtonBox.Cancel).setText(_("Cancel"))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        v.addWidget(buttons)
        self.setMinimumWidth(420)
        self.caption.setFocus()

    def values(self) -> tuple[str, str]:
        return self.kind.currentData(), self.caption.text().strip()


# --- the viewer -------------------------------------------------------------------------------


class AttachmentViewer(QDialog):
    """One attachment large: a picture fitted to the window (the screen), a PDF page by page
    (←/→, PgUp/PgDn)."""

    def __init__(self, ctx: Context, row: dict, parent=None):
        super().__init__(parent)
        self.ctx, self.row = ctx, row
        self.setObjectName("attachmentViewer")
        self.setAttribute(Qt.WA_DeleteOnClose, True)
        title = row["kind"] + (f"：{row['caption']}" if row["caption"] else "")
        self.setWindowTitle(_("Attachment: {title}").format(title=title))
        self.data = attachments.content(ctx.conn, row["sha256"])
        self.is_pdf = row["mime"] == A.PDF
        self.pages = int(row.get("pages") or 1) if self.is_pdf else 1
        self.page = 0
        self.image = QImage()
        v = QVBoxLayout(self)
        info = QLabel(
            _("{file}    {size}    {bytes}    added by {user} on {at}").format(
                file=row["file_name"],
                size=size_text(row),
                bytes=megabytes(row["size"]),
                user=people.display_name(ctx.conn, row["created_by"]),
                at=row["created_at"][:16],
            )
        )
        info.setObjectName("viewerInfo")
        info.setWordWrap(True)
        v.addWidget(info)
        self.scroll = QScrollArea()
        self.scroll.setAlignment(Qt.AlignCenter)
        self.scroll.setStyleSheet("QScrollArea { background: #8a8f98; }")
        self.picture = QLabel()
        self.picture.setObjectName("viewerPicture")
        self.picture.setAlignment(Qt.AlignCenter)
        self.scroll.setWidget(self.picture)
        self.scroll.setWidgetResizable(True)
        v.addWidget(self.scroll, 1)
        row_ = QHBoxLayout()
        self.prev_button = QPushButton(_("◀ Previous page"))
        self.prev_button.setObjectName("previousPage")
        self.prev_button.clicked.connect(lambda: self.show_page(self.page - 1))
        self.next_button = QPushButton(_("Next page ▶"))
        self.next_button.setObjectName("nextPage")
        self.next_button.clicked.connect(lambda: self.show_page(self.page + 1))
        self.page_label = QLabel()
        self.page_label.setObjectName("pageLabel")
        for w in (self.prev_button, self.page_label, self.next_button):
            w.setVisible(self.is_pdf)
            row_.addWidget(w)
        row_.addStretch(1)
        close = QPushButton(_("Close"))
        close.setAutoDefault(False)
        close.clicked.connect(self.reject)
        row_.addWidget(close)
        v.addLayout(row_)
        for key, step in ((Qt.Key_Right, 1), (Qt.Key_PageDown, 1), (Qt.Key_Left, -1), (Qt.Key_PageUp, -1)):
            QShortcut(QKeySequence(key), self, activated=lambda s=step: self.show_page(self.page + s))
        avail = available_geometry(parent if parent is not None else self)
        w, h = row.get("width") or 800, row.get("height") or 1100
        fit_to_screen(self, max(480, min(w + 40, avail.width())), max(400, min(h + 110, avail.height())))
        self.show_page(0)

    def show_page(self, index: int) -> None:
        index = max(0, min(self.pages - 1, index))
        self.page = index
        if self.is_pdf:
            long_side = max(1200, self.height() * 2)
            picture = attachments.render_pdf_page(self.data, index, long_side=long_side)
            buf = io.BytesIO()
            picture.save(buf, "PNG")
            self.image = QImage.fromData(buf.getvalue())
            self.page_label.setText(_("Page {page} of {pages}").format(page=index + 1, pages=self.pages))
            self.prev_button.setEnabled(index > 0)
            self.next_button.setEnabled(index < self.pages - 1)
        else:
            self.image = QImage.fromData(self.data)
        self._fit()

    def _fit(self) -> None:
        if self.image.isNull():
            self.picture.setText(_("This file cannot be shown."))
            return
        room = self.scroll.viewport().size() - QSize(4, 4)
        scaled = self.image.size().scaled(room, Qt.KeepAspectRatio)
        if scaled.width() > self.image.width():  # never blown up past its own size
            scaled = self.image.size()
        self.picture.setPixmap(
            QPixmap.fromImage(self.image.scaled(scaled, Qt.KeepAspectRatio, Qt.SmoothTransformation))
        )

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self._fit()  # the viewport has its real size only once shown


# --- the panel --------------------------------------------------------------------------------


class AttachmentsPanel(QWidget):
    """A record's attachments. ``changed()`` after one was added or voided."""

    changed = Signal()

    def __init__(
        self,
        ctx: Context,
        table: str,
        record_id: str | None = None,
        parent=None,
        *,
        threaded: bool = True,
        compact: bool = False,
    ):
        super().__init__(parent)
        self.setObjectName("attachmentsPanel")
        self.ctx, self.table, self.record_id = ctx, table, None
        self.db_path = _db_path(ctx) if threaded else None
        self.generation = 0
        self.jobs: list[workers.Job] = []  # thumbnails being made for the record shown
        self.viewer: AttachmentViewer | None = None
        self.may_write = ctx.can(Permission.WRITE)
        v = QVBoxLayout(self)
        if compact:
            v.setContentsMargins(0, 0, 0, 0)
        self.hint = QLabel()
        self.hint.setObjectName("attachmentsHint")
        self.hint.setWordWrap(True)
        self.hint.setStyleSheet("color: #5f6368;")
        v.addWidget(self.hint)
        self.error = error_label()
        self.error.setObjectName("attachmentsError")
        self.error.setTextInteractionFlags(Qt.TextSelectableByMouse)
        v.addWidget(self.error)
        self.status = QLabel()
        self.status.setObjectName("attachmentsStatus")
        self.status.setWordWrap(True)
        self.status.setVisible(False)
        v.addWidget(self.status)
        self.list = QListWidget()
        self.list.setObjectName("attachmentsList")
        self.list.setViewMode(QListView.IconMode)
        self.list.setIconSize(QSize(ICON, ICON))
        self.list.setGridSize(QSize(ICON + 36, ICON + 48))
        self.list.setResizeMode(QListView.Adjust)
        self.list.setMovement(QListView.Static)
        self.list.setWordWrap(True)
        self.list.setUniformItemSizes(True)
        self.list.setSelectionMode(QAbstractItemView.SingleSelection)
        self.list.setDragEnabled(False)
        self.list.setAcceptDrops(False)  # a drop goes to the dialog: attach
        self.list.viewport().setAcceptDrops(False)
        if compact:
            self.list.setMinimumHeight(ICON + 60)
            self.list.setMaximumHeight(ICON + 60)
        self.list.itemActivated.connect(lambda item: self.open_item(item))  # double-click or Enter
        self.list.currentItemChanged.connect(lambda *_a: self._enable())
        v.addWidget(self.list, 1)
        buttons = QHBoxLayout()
        self.add_button = QPushButton(_("Add attachments…"))
        self.add_button.setObjectName("addAttachment")
        self.add_button.setAutoDefault(False)
        self.add_button.clicked.connect(lambda: self.choose_files())
        self.open_button = QPushButton(_("View"))
        self.open_button.setObjectName("openAttachment")
        self.open_button.setAutoDefault(False)
        self.open_button.clicked.connect(lambda: self.open_item(self.list.currentItem()))
        self.void_button = QPushButton(_("Void…"))
        self.void_button.setObjectName("voidAttachment")
        self.void_button.setAutoDefault(False)
        self.void_button.clicked.connect(lambda: self.void_selected())
        self.report_button = QPushButton(_("Use in reports"))
        self.report_button.setObjectName("reportPhoto")
        self.report_button.setAutoDefault(False)
        self.report_button.setToolTip(
            _(
                "The photo of this event in the annual report's 附件：活动照片 and after the "
                "publicity ledger (★). Without a choice: its first 现场照片."
            )
        )
        self.report_button.setVisible(table == "publicity_events")
        self.report_button.clicked.connect(lambda: self.choose_report_photo())
        for b in (self.add_button, self.open_button, self.void_button, self.report_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        v.addLayout(buttons)
        self.set_record(record_id)

    # --- loading ---------------------------------------------------------------------------------
    def set_record(self, record_id: str | None) -> None:
        self.record_id = record_id
        self.reload()

    def rows(self) -> list[dict]:
        return [self.list.item(i).data(ROLE) for i in range(self.list.count())]

    def reload(self) -> None:
        self.generation += 1
        for job in self.jobs:
            job.cancel()
        self.jobs = []
        self.list.clear()
        rows = attachments.list_for(self.ctx.conn, self.table, self.record_id) if self.record_id else []
        waiting = []
        shown = (
            attachments.report_photo(self.ctx.conn, self.table, self.record_id)
            if rows and self.table == "publicity_events"
            else None
        )
        for row in rows:
            label = row["kind"] + ("\n" + row["caption"] if row["caption"] else "")
            if shown is not None and shown["id"] == row["id"]:
                label = "★ " + label  # the event's photo in the reports
            item = QListWidgetItem(label)
            item.setData(ROLE, row)
            item.setToolTip(
                "\n".join(
                    t
                    for t in (
                        row["file_name"],
                        row["kind"] + (f"：{row['caption']}" if row["caption"] else ""),
                        f"{size_text(row)}  {megabytes(row['size'])}".strip(),
                        _("Added by {user} on {at}").format(
                            user=people.display_name(self.ctx.conn, row["created_by"]), at=row["created_at"][:16]
                        ),
                    )
                    if t
                )
            )
            image = _cached(row["sha256"])
            if image is not None:
                item.setIcon(_icon(image))
            else:
                item.setIcon(_placeholder("PDF" if row["mime"] == A.PDF else "…"))
                waiting.append(row["sha256"])
            self.list.addItem(item)
        if self.record_id is None:
            self.hint.setText(
                _(
                    "Save this record first: attachments are added to a saved record. Press Save, "
                    "then open the record again from its register."
                )
            )
        elif not self.may_write:
            self.hint.setText(
                _("Your role may look at the attachments but not add or void them. Double-click one to see it large.")
            )
        else:
            self.hint.setText(
                _(
                    "Drop photos (JPEG, PNG) or scans (PDF) onto this window, or press "
                    "Add attachments…. Double-click one to see it large."
                )
            )
        self._enable()
        if waiting:
            self._thumbnails(list(dict.fromkeys(waiting)))

    def _thumbnails(self, shas: list[str]) -> None:
        if not self.db_path:  # an in-memory database: made here
            for sha in shas:
                try:
                    self._made(self.generation, sha, attachments.thumbnail(self.ctx.conn, sha, size=ICON))
                except Exception:  # noqa: BLE001
                    self._failed(self.generation, sha)
            return
        generation = self.generation
        job = workers.Job(_thumbnails_work(shas), db_path=self.db_path)
        job.connect(
            self,
            partial=lambda made: (
                self._made(generation, *made) if made[1] is not None else self._failed(generation, made[0])
            ),
        )
        self.jobs.append(workers.start(job))

    def _made(self, generation: int, sha: str, png: bytes) -> None:
        image = QImage.fromData(png)
        if image.isNull():
            return self._failed(generation, sha)
        _remember(sha, image)
        if generation != self.generation:
            return
        for i in range(self.list.count()):
            item = self.list.item(i)
            if item.data(ROLE)["sha256"] == sha:
                item.setIcon(_icon(image))

    def _failed(self, generation: int, sha: str) -> None:
        if generation != self.generation:
            return
        for i in range(self.list.count()):
            item = self.list.item(i)
            if item.data(ROLE)["sha256"] == sha:
                item.setIcon(_placeholder("?"))

    def thumbnails_ready(self) -> bool:
        return all(_cached(r["sha256"]) is not None for r in self.rows())

    def _enable(self) -> None:
        saved = self.record_id is not None
        chosen = self.list.currentItem() is not None
        self.add_button.setEnabled(saved and self.may_write)
        self.open_button.setEnabled(chosen)
        self.void_button.setEnabled(chosen and self.may_write)
        row = self.list.currentItem().data(ROLE) if chosen else None
        self.report_button.setEnabled(bool(row) and row["mime"] in attachments.PICTURES and self.may_write)

    # --- messages ----------------------------------------------------------------------------------
    def show_error(self, messages: list[str]) -> None:
        self.error.setText("\n".join(messages))
        self.error.setVisible(bool(messages))
        if messages:
            self.status.setVisible(False)
            self.reveal()

    def show_status(self, text: str) -> None:
        self.status.setText(text)
        self.status.setVisible(bool(text))

    def reveal(self) -> None:
        """Bring the panel into view (its tab in a record dialog)."""
        parent = self.parentWidget()
        while parent is not None:
            if isinstance(parent, QTabWidget):
                for i in range(parent.count()):
                    page = parent.widget(i)
                    if page is self or page.isAncestorOf(self):
                        parent.setCurrentIndex(i)
            if parent.isWindow():
                break
            parent = parent.parentWidget()

    # --- adding --------------------------------------------------------------------------------------
    def choose_files(self) -> list[dict]:
        paths, _filter = QFileDialog.getOpenFileNames(
            self,
            _("Add attachments"),
            str(Path.home()),
            _("Photos and scans ({patterns})").format(patterns=FILE_FILTER) + ";;" + _("All files (*)"),
        )
        return self.add_files(paths) if paths else []

    def ask_details(self, paths: list[str]) -> tuple[str, str] | None:
        """The kind and caption for ``paths``, or None when cancelled (a test may replace this)."""
        dialog = AttachDetailsDialog(paths, self)
        return dialog.values() if dialog.exec() == QDialog.Accepted else None

    def add_files(self, paths: list[str]) -> list[dict]:
        """Attach ``paths`` (all or nothing); a refusal is shown in red and nothing is stored."""
        self.show_error([])
        if not paths:
            return []
        if self.record_id is None:
            self.show_error([_("Save this record first: attachments are added to a saved record.")])
            return []
        if not self.may_write:
            self.show_error([_("Your role ({role}) may not add attachments.").format(role=self.ctx.role)])
            return []
        details = self.ask_details(paths)
        if details is None:
            return []
        kind, caption = details
        try:
            rows = attachments.add_paths(self.ctx, self.table, self.record_id, paths, kind=kind, caption=caption)
        except Refused as exc:
            self.show_error([p.message for p in exc.problems])
            return []
        self.reload()
        self.show_status(_("{n} attachments added.").format(n=len(rows)))
        self.reveal()
        self.changed.emit()
        return rows

    # --- viewing and voiding ------------------------------------------------------------------------
    def open_item(self, item: QListWidgetItem | None) -> AttachmentViewer | None:
        if item is None:
            return None
        try:
            self.viewer = AttachmentViewer(self.ctx, item.data(ROLE), self.window())
        except Refused as exc:
            self.show_error([p.message for p in exc.problems])
            return None
        self.viewer.show()
        return self.viewer

    def ask_reason(self, row: dict) -> str | None:
        """The reason for voiding ``row``, or None (a test may replace this)."""
        what = row["kind"] + (f"“{row['caption']}”" if row["caption"] else f"（{row['file_name']}）")
        dialog = ReasonDialog(
            _("Void attachment"),
            _(
                "Void the attachment {what}? It is hidden from the record, the dossier and the "
                "reports but stays in the file, with who voided it and why."
            ).format(what=what),
            self,
        )
        return dialog.reason.text().strip() if dialog.exec() == QDialog.Accepted else None

    def void_selected(self) -> bool:
        item = self.list.currentItem()
        if item is None:
            return False
        row = item.data(ROLE)
        reason = self.ask_reason(row)
        if not reason:
            return False
        self.show_error([])
        try:
            attachments.void(self.ctx, row["id"], reason)
        except Refused as exc:
            self.show_error([p.message for p in exc.problems])
            return False
        self.reload()
        self.show_status(_("The attachment was voided."))
        self.changed.emit()
        return True

    def choose_report_photo(self) -> bool:
        """The selected photo becomes the one this event shows in the reports (★)."""
        item = self.list.currentItem()
        if item is None:
            return False
        self.show_error([])
        try:
            attachments.choose_report_photo(self.ctx, item.data(ROLE)["id"])
        except Refused as exc:
            self.show_error([p.message for p in exc.problems])
            return False
        row = self.list.currentRow()
        self.reload()
        self.list.setCurrentRow(row)
        self.show_status(_("This photo is now the event's photo in the reports (★)."))
        return True

    # --- drops onto the dialog ------------------------------------------------------------------------
    def watch_drops(self, widget: QWidget) -> None:
        """Files dropped anywhere on ``widget`` (the record's dialog) are attached."""
        widget.setAcceptDrops(True)
        widget.installEventFilter(self)

    def eventFilter(self, watched, event) -> bool:
        kind = event.type()
        if kind in (QEvent.DragEnter, QEvent.DragMove):
            if local_files(event.mimeData()):
                event.acceptProposedAction()
                return True
        elif kind == QEvent.Drop:
            paths = local_files(event.mimeData())
            if paths:
                event.acceptProposedAction()
                self.reveal()
                self.add_files(paths)
                return True
        return super().eventFilter(watched, event)


def _db_path(ctx: Context) -> str | None:
    from dudu_desktop.services.backup import db_path_of

    path = db_path_of(ctx.conn)
    return str(path) if path else None


def attach_panel(dialog, table: str, *, compact: bool = False) -> AttachmentsPanel:
    """The attachments panel of a record dialog (``dialog.ctx``, ``dialog.record_id``), the whole
    dialog taking dropped files."""
    panel = AttachmentsPanel(dialog.ctx, table, getattr(dialog, "record_id", None), compact=compact)
    panel.watch_drops(dialog)
    return panel
