"""A register page: filters, a debounced search box, the windowed table and a colour legend."""

from __future__ import annotations

import datetime as dt
import sqlite3

from PySide6.QtCore import QDate, QEvent, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QFont, QFontMetrics, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QStyle,
    QStyleOptionHeader,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from dudu_desktop.domain import vocab
from dudu_desktop.domain.fields import REGISTER_LABELS, REGISTER_TABLES, REGISTERS
from dudu_desktop.domain.problems import Refused
from dudu_desktop.domain.vocab import Permission
from dudu_desktop.failures import user_message
from dudu_desktop.i18n import N_, _
from dudu_desktop.services import listing, records, site
from dudu_desktop.services.context import Context
from dudu_desktop.storage.queries import Filters, meta
from dudu_desktop.ui import style
from dudu_desktop.ui.models import RegisterModel

PERIODS = (
    ("all", N_("All dates")),
    ("this_month", N_("This month")),
    ("last_month", N_("Last month")),
    ("this_year", N_("This year")),
    ("month", N_("Month…")),
    ("range", N_("Date range…")),
)
NEW_LABELS = {
    "disputes": N_("New dispute"),
    "trainings": N_("New training session"),
    "hotline": N_("New consultation"),
    "publicity": N_("New publicity event"),
}
SEARCH_HINTS = {
    "disputes": N_("Search parties, summary, mediator, number (Ctrl+F)"),
    "trainings": N_("Search topic, speaker, location (Ctrl+F)"),
    "hotline": N_("Search caller, question, answer (Ctrl+F)"),
    "publicity": N_("Search theme, location, organizer (Ctrl+F)"),
}
SEARCH_DELAY_MS = 300


class RegisterHeader(QHeaderView):
    """The register's column titles. Qt keeps room for the sort arrow in every title once the view
    sorts; only the columns with an index sort (their arrow is put back on the others), so the rest
    need only their title's width: on a 1024 px screen that room is the long text column's."""

    def __init__(self, parent: QTableView):
        super().__init__(Qt.Horizontal, parent)
        self.setSectionsClickable(True)  # as the table's own header
        self.setHighlightSections(True)

    def sectionSizeFromContents(self, logical: int) -> QSize:
        size = super().sectionSizeFromContents(logical)
        columns = getattr(self.model(), "columns", ())
        if self.isSortIndicatorShown() and 0 <= logical < len(columns) and not columns[logical].sortable:
            option = QStyleOptionHeader()
            self.initStyleOption(option)
            margin = self.style().pixelMetric(QStyle.PM_HeaderMargin, option, self)
            size.setWidth(size.width() - size.height() - margin)  # what Qt added for the arrow
        return size


def _swatch(colour: str, text: str, *, fg: str = style.TEXT, bold: bool = False) -> QLabel:
    label = QLabel(text)
    label.setStyleSheet(
        f"background: {colour}; color: {fg}; padding: 2px 8px; border: 1px solid #c8ccd2;"
        f"{' font-weight: bold;' if bold else ''}"
    )
    return label


class RegisterPage(QWidget):
    open_record = Signal(str, str)  # register, record id
    new_record = Signal(str)  # register
    changed = Signal()  # a record was voided or restored here

    def __init__(self, ctx: Context, register: str, db_path=None, parent=None, *, threaded: bool = True):
        super().__init__(parent)
        self.ctx = ctx
        self.register = register
        self.meta = meta(register)
        self._extra: dict = {}  # open_only / followup_due / overdue set by a home-page figure
        v = QVBoxLayout(self)
        v.addLayout(self._title_row())
        v.addLayout(self._search_row())
        v.addLayout(self._choice_row())
        self._connect_filters()
        self.model = RegisterModel(ctx, register, db_path, self, threaded=threaded)
        v.addWidget(self._table_view(), 1)
        v.addLayout(self._status_row())
        self.model.loading.connect(self._busy)
        self.model.loaded.connect(self._loaded)
        self.model.modelReset.connect(self._after_reset)
        self.model.failed.connect(self._failed)
        self._sync_period_widgets()
        self._show_extra()
        self._busy_state(False)

    # --- building the page, top to bottom ---------------------------------------------------------
    def _title_row(self) -> QHBoxLayout:
        """The register's name, 新建… and 打开."""
        register = self.register
        top = QHBoxLayout()
        title = QLabel(_(REGISTER_LABELS[register]))
        title.setObjectName("pageTitle")
        top.addWidget(title)
        top.addStretch(1)
        self.new_button = QPushButton(_(NEW_LABELS[register]))
        self.new_button.setObjectName("newButton")
        self.new_button.clicked.connect(lambda: self.new_record.emit(self.register))
        self.open_button = QPushButton(_("Open"))
        self.open_button.clicked.connect(self._open_current)
        top.addWidget(self.new_button)
        top.addWidget(self.open_button)
        return top

    def _search_row(self) -> QHBoxLayout:
        """The search box (debounced), the period, 显示已作废 and 清除筛选."""
        ctx, register = self.ctx, self.register
        row1 = QHBoxLayout()
        self.search = QLineEdit()
        self.search.setObjectName("searchBox")
        self.search.setClearButtonEnabled(True)
        self.search.setPlaceholderText(_(SEARCH_HINTS[register]))
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(SEARCH_DELAY_MS)
        self._debounce.timeout.connect(self.apply_filters)
        self.search.textChanged.connect(lambda _t: self._debounce.start())
        self.search.returnPressed.connect(self.apply_filters)
        row1.addWidget(self.search, 3)
        self.period = QComboBox()
        for key, label in PERIODS:
            self.period.addItem(_(label), key)
        self.month = QDateEdit()
        self.month.setDisplayFormat("yyyy-MM")
        self.month.setDate(QDate(ctx.today().year, ctx.today().month, 1))
        self.date_from = QDateEdit()
        self.date_to = QDateEdit()
        for d in (self.date_from, self.date_to):
            d.setDisplayFormat("yyyy-MM-dd")
            d.setCalendarPopup(True)
        self.date_from.setDate(QDate(ctx.today().year, 1, 1))
        self.date_to.setDate(QDate(ctx.today().year, ctx.today().month, ctx.today().day))
        self.to_label = QLabel(_("to"))
        row1.addWidget(QLabel(_("Period:")))
        row1.addWidget(self.period)
        row1.addWidget(self.month)
        row1.addWidget(self.date_from)
        row1.addWidget(self.to_label)
        row1.addWidget(self.date_to)
        # on the search row, which has room: the filter row with them was 919 px in the window's font,
        # wider than a 1024 px screen leaves beside the navigation (the window grew past the screen)
        self.show_voided = QCheckBox(_("Show voided"))
        self.show_voided.setObjectName("showVoided")
        self.show_voided.setToolTip(
            _(
                "Also list the records voided by mistake or as duplicates (grey, struck "
                "through); an administrator can restore them"
            )
        )
        row1.addWidget(self.show_voided)
        reset = QPushButton(_("Clear filters"))
        reset.clicked.connect(self.reset_filters)
        row1.addWidget(reset)
        return row1

    def _choice_row(self) -> QHBoxLayout:
        """Village, type, status and warning level, 只看超期, and the home-page figure shown (with ✕)."""
        ctx, register = self.ctx, self.register
        row2 = QHBoxLayout()
        self.village = QComboBox()
        self.village.addItem(_("All villages"), None)
        for vil in site.villages(ctx.conn):
            self.village.addItem(vil["name"], vil["code"])
        row2.addWidget(QLabel(_("Village:")))
        row2.addWidget(self.village)
        spec = REGISTERS[register]
        type_field = spec[self.meta.type]
        self.type = self._choice(_(type_field.label), type_field.choices, row2)
        self.status = self.level = self.overdue = None
        if self.meta.status:
            self.status = self._choice(_("Status"), tuple(vocab.DisputeStatus), row2)
        if self.meta.level:
            self.level = self._choice(_("Warning"), tuple(vocab.WarningLevel), row2)
        if register == "disputes":
            self.overdue = QCheckBox(_("Overdue only"))
            row2.addWidget(self.overdue)
        self.extra_label = QLabel()
        self.extra_label.setStyleSheet("background: #e8f0fe; padding: 2px 6px; border-radius: 3px;")
        self.extra_clear = QToolButton()
        self.extra_clear.setText("✕")
        self.extra_clear.setToolTip(_("Show all again"))
        self.extra_clear.clicked.connect(self._clear_extra)
        row2.addWidget(self.extra_label)
        row2.addWidget(self.extra_clear)
        row2.addStretch(1)
        return row2

    def _connect_filters(self) -> None:
        """Every filter applies itself when changed (the search box after a pause)."""
        for w in (self.period, self.village, self.type, self.status, self.level):
            if w is not None:
                w.currentIndexChanged.connect(self.apply_filters)
        for d in (self.month, self.date_from, self.date_to):
            d.dateChanged.connect(self.apply_filters)
        if self.overdue is not None:
            self.overdue.toggled.connect(self.apply_filters)
        self.show_voided.toggled.connect(self.apply_filters)

    def _table_view(self) -> QTableView:
        """The windowed table over the model: sorted by the model, opened by double-click or Enter."""
        register = self.register
        self.view = QTableView()
        self.view.setObjectName("registerTable")
        self.view.setHorizontalHeader(RegisterHeader(self.view))
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SingleSelection)
        self.view.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.view.setWordWrap(False)
        self.view.setAlternatingRowColors(register != "disputes")
        self.view.verticalHeader().setDefaultSectionSize(28)
        self.view.horizontalHeader().setStretchLastSection(True)
        self.view.horizontalHeader().setSortIndicator(self.model.sort_column(), Qt.DescendingOrder)
        self.view.setSortingEnabled(True)  # after the indicator: sorts by the model's own order
        self.view.horizontalHeader().sortIndicatorChanged.connect(self._sort_changed)
        self.fit_columns()
        self.view.doubleClicked.connect(lambda index: self._open_row(index.row()))
        self.view.setContextMenuPolicy(Qt.CustomContextMenu)
        self.view.customContextMenuRequested.connect(self._context_menu)
        self.view.installEventFilter(self)  # the Delete key voids the selected row
        self.reason_dialog = None
        self.view.activated.connect(lambda index: self._open_row(index.row()))
        return self.view

    def _status_row(self) -> QHBoxLayout:
        """The count, the busy bar with 停止, and the colour legend of the disputes."""
        register = self.register
        bottom = QHBoxLayout()
        self.count_label = QLabel()
        self.count_label.setObjectName("countLabel")
        bottom.addWidget(self.count_label)
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)
        self.progress.setMaximumWidth(160)
        self.progress.setTextVisible(False)
        self.cancel_button = QPushButton(_("Stop"))
        self.cancel_button.clicked.connect(self.model.cancel)
        bottom.addWidget(self.progress)
        bottom.addWidget(self.cancel_button)
        bottom.addStretch(1)
        if register == "disputes":
            bottom.addWidget(QLabel(_("Legend:")))
            bottom.addWidget(_swatch(style.LEVEL_BACKGROUND["红"], _("Red warning")))
            bottom.addWidget(_swatch(style.LEVEL_BACKGROUND["黄"], _("Yellow warning")))
            bottom.addWidget(_swatch(style.LEVEL_BACKGROUND["蓝"], _("Blue warning")))
            bottom.addWidget(_swatch("#ffffff", _("Overdue"), fg=style.OVERDUE_TEXT, bold=True))
            bottom.addWidget(_swatch("#ffffff", _("Concluded"), fg=style.DONE_TEXT))
        return bottom

    def _choice(self, label: str, choices, row: QHBoxLayout) -> QComboBox:
        box = QComboBox()
        box.addItem(_("All"), None)
        for c in choices:
            if c:
                box.addItem(c, c)
        row.addWidget(QLabel(label + _(":")))
        row.addWidget(box)
        return box

    # --- filters --------------------------------------------------------------------------------
    def filters(self) -> Filters:
        today = self.ctx.today()
        period = self.period.currentData()
        f = Filters(
            village=self.village.currentData(),
            type=self.type.currentData(),
            status=self.status.currentData() if self.status else None,
            level=self.level.currentData() if self.level else None,
            overdue=bool(self.overdue and self.overdue.isChecked()),
            search=self.search.text().strip() or None,
            include_deleted=self.show_voided.isChecked(),
            **self._extra,
        )
        if period == "this_month":
            f = f.with_(month=today.strftime("%Y-%m"))
        elif period == "last_month":
            last = today.replace(day=1) - dt.timedelta(days=1)
            f = f.with_(month=last.strftime("%Y-%m"))
        elif period == "this_year":
            f = f.with_(date_from=f"{today.year}-01-01", date_to=f"{today.year}-12-31")
        elif period == "month":
            f = f.with_(month=self.month.date().toString("yyyy-MM"))
        elif period == "range":
            f = f.with_(
                date_from=self.date_from.date().toString("yyyy-MM-dd"),
                date_to=self.date_to.date().toString("yyyy-MM-dd"),
            )
        return f

    def set_filters(self, f: Filters) -> None:
        """Show the page with these filters (from a home-page figure)."""
        widgets = [
            w
            for w in (
                self.period,
                self.village,
                self.type,
                self.status,
                self.level,
                self.month,
                self.date_from,
                self.date_to,
                self.overdue,
                self.search,
                self.show_voided,
            )
            if w is not None
        ]
        for w in widgets:
            w.blockSignals(True)
        try:
            self.search.setText(f.search or "")
            self._select(self.village, f.village)
            self._select(self.type, f.type)
            if self.status:
                self._select(self.status, f.status)
            if self.level:
                self._select(self.level, f.level)
            if self.overdue is not None:
                self.overdue.setChecked(f.overdue)
            self.show_voided.setChecked(f.include_deleted)
            if f.month:
                y, m = (int(x) for x in f.month.split("-"))
                today = self.ctx.today()
                if (y, m) == (today.year, today.month):
                    self._select(self.period, "this_month")
                else:
                    self._select(self.period, "month")
                    self.month.setDate(QDate(y, m, 1))
            elif f.date_from or f.date_to:  # a home-page chart: this year, or another span
                today = self.ctx.today()
                if (f.date_from, f.date_to) == (f"{today.year}-01-01", f"{today.year}-12-31"):
                    self._select(self.period, "this_year")
                else:
                    self._select(self.period, "range")
                    self.date_from.setDate(QDate.fromString(f.date_from or "1949-10-01", "yyyy-MM-dd"))
                    self.date_to.setDate(QDate.fromString(f.date_to or today.isoformat(), "yyyy-MM-dd"))
            else:
                self._select(self.period, "all")
            self._extra = {k: True for k in ("open_only", "followup_due") if getattr(f, k)}
        finally:
            for w in widgets:
                w.blockSignals(False)
        self._sync_period_widgets()
        self._show_extra()
        self.apply_filters()

    @staticmethod
    def _select(box: QComboBox, data) -> None:
        i = box.findData(data)
        box.setCurrentIndex(max(i, 0))

    def _sync_period_widgets(self) -> None:
        period = self.period.currentData()
        self.month.setVisible(period == "month")
        for w in (self.date_from, self.to_label, self.date_to):
            w.setVisible(period == "range")

    def _show_extra(self) -> None:
        names = {"open_only": _("Open cases only"), "followup_due": _("Follow-up visits due")}
        text = "、".join(names[k] for k in self._extra)
        self.extra_label.setText(_("Showing: {what}").format(what=text) if text else "")
        self.extra_label.setVisible(bool(text))
        self.extra_clear.setVisible(bool(text))

    def _clear_extra(self) -> None:
        self._extra = {}
        self._show_extra()
        self.apply_filters()

    def reset_filters(self) -> None:
        self.set_filters(Filters())

    def apply_filters(self, *_args) -> None:
        self._debounce.stop()
        self._sync_period_widgets()
        self.model.set_filters(self.filters())

    def refresh(self) -> None:
        self.model.refresh()

    def _after_reset(self) -> None:
        """A new search, filter or sort shows its first rows (a refresh after a save keeps the place)."""
        if self.model.new_query:
            self.model.new_query = False
            if hasattr(self, "view"):
                self.view.scrollToTop()

    def reload_villages(self) -> None:
        """The village filter lists the villages known now (one registered since, at the township)."""
        known = [(v["name"], v["code"]) for v in site.villages(self.ctx.conn)]
        shown = [(self.village.itemText(i), self.village.itemData(i)) for i in range(1, self.village.count())]
        if known == shown:
            return
        current = self.village.currentData()
        self.village.blockSignals(True)
        try:
            while self.village.count() > 1:
                self.village.removeItem(1)
            for name, code in known:
                self.village.addItem(name, code)
            self._select(self.village, current)
        finally:
            self.village.blockSignals(False)
        if self.village.currentData() != current:  # the village filtered on is gone
            self.apply_filters()

    def focus_search(self) -> None:
        self.search.setFocus()
        self.search.selectAll()

    def fit_columns(self) -> None:
        """Every header readable (a column is at least as wide as its title and sort arrow), the long
        text last, stretching to the view's edge; the village column hidden on a village's own PC."""
        header = self.view.horizontalHeader()
        last = len(self.model.columns) - 1
        # a cell's text sits inside the focus-frame margin + 1 on each side, then the grid line; + 1 for
        # the text layout rounding up fractional widths (a synthetic bold)
        padding = 2 * (self.view.style().pixelMetric(QStyle.PM_FocusFrameHMargin, None, self.view) + 1) + 2
        bold = QFont(self.view.font())
        bold.setBold(True)  # overdue rows are bold
        metrics = (QFontMetrics(self.view.font()), QFontMetrics(bold))
        for i, col in enumerate(self.model.columns):
            # the stretching last column never shrinks below the width set here: start it small
            width = max(80 if i == last else col.fitting_width(metrics, padding), header.sectionSizeHint(i))
            self.view.setColumnWidth(i, width)
            if col.key == "village_code":
                one_village = (site.site(self.ctx.conn) or {}).get("role") == site.VILLAGE
                self.view.setColumnHidden(i, one_village)

    def _sort_changed(self, column: int, order) -> None:
        if not self.model.columns[column].sortable:
            # keep showing the order actually used
            self.view.horizontalHeader().blockSignals(True)
            self.view.horizontalHeader().setSortIndicator(
                self.model.sort_column(), Qt.DescendingOrder if self.model.descending else Qt.AscendingOrder
            )
            self.view.horizontalHeader().blockSignals(False)

    # --- busy / loaded ----------------------------------------------------------------------------
    def _busy_state(self, busy: bool) -> None:
        self.progress.setVisible(busy)
        self.cancel_button.setVisible(busy)

    def _busy(self) -> None:
        self._busy_state(True)
        self.count_label.setText(_("Searching…"))

    def _loaded(self, count: int) -> None:
        self._busy_state(False)
        self.count_label.setText(_("{count} records").format(count=count))

    def _failed(self, message: str) -> None:
        self._busy_state(False)
        self.count_label.setText(_("The list could not be read: {error}").format(error=message))

    # --- opening -----------------------------------------------------------------------------------
    def current_id(self) -> str | None:
        index = self.view.currentIndex()
        if not index.isValid():
            return None
        row = self.model.row_record(index.row())
        return row["id"] if row else None

    def _open_row(self, row: int) -> None:
        record = self.model.row_record(row)
        if record and not record.get("deleted"):
            self.open_record.emit(self.register, record["id"])

    def _open_current(self) -> None:
        self._open_row(self.view.currentIndex().row())

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 - Qt's name
        if obj is self.view and event.type() == QEvent.KeyPress and event.matches(QKeySequence.Delete):
            self.void_current()
            return True
        return super().eventFilter(obj, event)

    def current_record(self) -> dict | None:
        index = self.view.currentIndex()
        return self.model.row_record(index.row()) if index.isValid() else None

    # --- the row menu: 打开, 作废…/恢复…, 打印协议书…, 复制编号 -------------------------------------------
    def row_menu(self, record: dict) -> QMenu:
        menu = QMenu(self)
        menu.setObjectName("rowMenu")
        voided = bool(record.get("deleted"))
        table = REGISTER_TABLES[self.register]

        def add(text: str, name: str, slot, *, enabled: bool = True, tip: str = ""):
            action = menu.addAction(text)
            action.setObjectName(name)
            action.setEnabled(enabled)
            if tip:
                action.setToolTip(tip)
            action.triggered.connect(lambda _checked=False: slot())
            return action

        add(_("Open"), "open", lambda: self.open_record.emit(self.register, record["id"]), enabled=not voided)
        if voided:
            add(
                _("Restore…"),
                "restore",
                lambda: self.restore_record(record),
                enabled=self.ctx.can(Permission.DELETE),
                tip=_("Administrators restore voided records"),
            )
        else:
            refusal = records.delete_refusal(self.ctx, table, record)
            add(_("Void…"), "void", lambda: self.void_record(record), enabled=refusal is None, tip=refusal or "")
        if self.register == "disputes":
            add(_("Print agreement…"), "printAgreement", lambda: self._print_agreement(record), enabled=not voided)
        menu.addSeparator()
        add(_("Copy number"), "copyNumber", lambda: self.copy_number(record))
        menu.setToolTipsVisible(True)
        return menu

    def _context_menu(self, pos) -> None:
        index = self.view.indexAt(pos)
        record = self.model.row_record(index.row()) if index.isValid() else None
        if record is None:
            return
        self.view.setCurrentIndex(index)
        self.row_menu(record).popup(self.view.viewport().mapToGlobal(pos))

    def copy_number(self, record: dict) -> str:
        number = listing.number_of(self.register, record)
        QGuiApplication.clipboard().setText(number)
        return number

    def _print_agreement(self, record: dict) -> None:
        from dudu_desktop.ui.print_preview import print_agreement

        print_agreement(self, self.ctx, record["id"])

    def _describe(self, record: dict) -> str:
        number = listing.number_of(self.register, record)
        main = [str(record.get(k) or "") for k in listing.MAIN_FIELDS[self.register][:3]]
        return "  ".join([number, *[m for m in main if m]])

    def void_current(self) -> None:
        """The Delete key: void the selected record (after asking the reason)."""
        record = self.current_record()
        if record is None:
            return
        if record.get("deleted"):
            self.restore_record(record)
        else:
            self.void_record(record)

    def void_record(self, record: dict):
        refusal = records.delete_refusal(self.ctx, REGISTER_TABLES[self.register], record)
        if refusal:
            QMessageBox.information(self, _("Void"), refusal)
            return None
        return self._ask(
            record,
            _("Void record"),
            _(
                "Void {what}? It disappears from the lists, figures and the township's totals, stays in the "
                "file with its history and can be restored by an administrator."
            ).format(what=self._describe(record)),
            lambda reason: records.delete_record(self.ctx, REGISTER_TABLES[self.register], record["id"], reason=reason),
            _("Voided."),
        )

    def restore_record(self, record: dict):
        if not self.ctx.can(Permission.DELETE):
            QMessageBox.information(self, _("Restore"), _("Only an administrator can restore a voided record."))
            return None
        return self._ask(
            record,
            _("Restore record"),
            _("Restore {what}?").format(what=self._describe(record)),
            lambda reason: records.restore_record(
                self.ctx, REGISTER_TABLES[self.register], record["id"], reason=reason
            ),
            _("Restored."),
        )

    def _ask(self, record: dict, title: str, question: str, act, done: str):
        from dudu_desktop.ui.voiding import ReasonDialog

        dialog = ReasonDialog(title, question, self)
        dialog.setAttribute(Qt.WA_DeleteOnClose, True)

        def confirmed(reason: str) -> None:
            try:
                act(reason)
            except (Refused, sqlite3.Error) as exc:  # a locked or read-only database: in words
                QMessageBox.warning(self, title, user_message(exc))
                return
            self.count_label.setText(done)
            self.refresh()
            self.changed.emit()

        dialog.confirmed.connect(confirmed)
        dialog.destroyed.connect(lambda _o=None: setattr(self, "reason_dialog", None))
        self.reason_dialog = dialog
        dialog.open()
        return dialog
