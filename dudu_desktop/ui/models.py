"""The one table model behind every register page: a *window* over a filtered, sorted query.

The model never holds the whole table. It knows the row count (one ``count(*)``) and keeps a
small cache of pages of :data:`RegisterModel.PAGE` rows, fetched on the sort column's index when
the view asks for a row it does not have; the least recently used page is dropped when more
than :data:`RegisterModel.MAX_PAGES` are held, so memory stays the same at the 200th row and at
the 200,000th. (``canFetchMore``/``fetchMore`` is not used: it grows with every row scrolled past.)

How a page is read (``queries.fetch_rows``), so that no page costs more than a first page:
next to a page already held, it continues from that page's first or last row (keyset paging);
in the second half of the list, it counts from the end (the query runs in reverse); otherwise
the offset is resolved on the index alone.

The first page and then the count run on the model's own worker thread, on its long-lived SQLite
connection (a :class:`ui.workers.Reader`: opened by the first query, kept for the next ones, closed
with the window or the model; WAL, so each query sees what was committed before it); the
rows are shown as soon as they are read (``rows_ready``), the count follows (``loaded``) — over a
million rows the count of a broad filter takes longer than the first screen. The view shows a
busy bar and stays responsive, and a newer query cancels (interrupts) the older one.
"""

from __future__ import annotations

import datetime as dt
import functools
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetrics

from dudu_desktop.domain.validate import is_overdue
from dudu_desktop.domain.vocab import DISPUTE_TYPES, DONE_STATUSES, DisputeResult
from dudu_desktop.i18n import N_, _, current_locale, format_date
from dudu_desktop.services import site
from dudu_desktop.services.context import Context
from dudu_desktop.storage import queries
from dudu_desktop.storage.queries import Filters
from dudu_desktop.ui import style, workers


@dataclass(frozen=True)
class Column:
    key: str
    label: str  # msgid
    sortable: bool = False  # only columns with an index are sortable
    width: int = 100  # initial width in pixels, at least the header's (the user may resize);
    #                                 the last column (the long text) stretches to fill the view
    show: Callable[[dict, RegisterModel], str] | None = None
    #: the widest values the column shows (dates): its width is the widest of them in the view's font,
    #: measured when the page fits its columns, instead of ``width``
    samples: Callable[[], tuple[str, ...]] | None = None

    def fitting_width(self, metrics: tuple[QFontMetrics, ...], padding: int) -> int:
        """The initial width in pixels: the widest sample in any of the fonts (plain, bold) plus the cell's
        ``padding``, else ``width``."""
        if self.samples is None:
            return self.width
        return max(m.horizontalAdvance(text) for m in metrics for text in self.samples()) + padding


@functools.lru_cache(maxsize=8192)
def _formatted_date(value: str, _language: str) -> str:
    return format_date(value)


def widest_dates() -> tuple[str, ...]:
    """Dates as the columns show them, one per month at its longest day (2024年12月31日, September 30, 2024):
    the widest of them sizes a date column, in the language shown."""
    days = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
    return tuple(format_date(f"2024-{m:02d}-{d:02d}") for m, d in enumerate(days, start=1))


def widest_times() -> tuple[str, ...]:
    return tuple(f"{date} 23:59" for date in widest_dates())


def _date(key):
    # format_date goes through babel (a locale lookup each call): remembered per value and language
    return lambda row, _m: _formatted_date(row[key], current_locale()) if row.get(key) else ""


# Roles as plain values, looked up once: reading ``Qt.DisplayRole`` goes through PySide's enum machinery,
# and ``data()`` is called for every visible cell and role on every paint.
_DISPLAY, _TOOLTIP, _BACKGROUND, _FOREGROUND, _FONT, _ALIGN = (
    Qt.DisplayRole,
    Qt.ToolTipRole,
    Qt.BackgroundRole,
    Qt.ForegroundRole,
    Qt.FontRole,
    Qt.TextAlignmentRole,
)
#: the invisible root a flat table model is asked about (one instance: no call in argument defaults)
_ROOT = QModelIndex()
_CENTER = int(Qt.AlignCenter)
_CENTERED = frozenset(("level", "status", "serial_no", "audience", "duration_hours", "channel"))
_LONG_TEXT = frozenset(
    ("summary", "question", "topic", "theme", "dispute_type", "party_names", "mediator")
)  # whole in the tooltip


@functools.lru_cache(maxsize=64)
def _brush(colour: str) -> QBrush:
    return QBrush(QColor(colour))


@functools.lru_cache(maxsize=1)
def _struck() -> QFont:
    font = QFont()
    font.setStrikeOut(True)
    return font


@functools.lru_cache(maxsize=1)
def _bold() -> QFont:
    font = QFont()
    font.setBold(True)
    return font


def _village(row, model):
    return model.village_name(row.get("village_code", ""))


def _overdue(row, model):
    days = model.overdue_by(row)
    return _("{days} days overdue").format(days=days) if days else ""


def _caller(row, _m):
    return _("(anonymous)") if row.get("anonymous") else row.get("caller_name", "")


def _time(row, _m):
    value = row.get("called_at") or ""
    return f"{format_date(value[:10])} {value[11:16]}" if value else ""


def _one_line(key, limit=60):
    def show(row, _m):
        text = " ".join((row.get(key) or "").split())
        return text if len(text) <= limit else text[:limit] + "…"

    return show


COLUMNS: dict[str, tuple[Column, ...]] = {
    "disputes": (
        Column("serial_no", N_("No."), True, 70, samples=lambda: ("2024-000",)),  # 3 digits a village a year
        Column("registered_on", N_("Registration date"), True, 104, _date("registered_on"), widest_dates),
        Column("village_code", N_("Village"), True, 80, _village),
        Column("party_names", N_("Parties"), False, 96),
        # every type of up to four characters whole; the two longer ones elided, whole in the tooltip
        Column("dispute_type", N_("Type"), True, 72, samples=lambda: tuple(t for t in DISPUTE_TYPES if len(t) <= 4)),
        Column("level", N_("Warning"), True, 44),
        Column("status", N_("Status"), True, 56),
        Column("overdue", N_("Overdue"), False, 60, _overdue, lambda: (_("{days} days overdue").format(days=99),)),
        Column("result", N_("Result"), False, 72, samples=lambda: tuple(DisputeResult)),
        Column("mediator", N_("Mediator"), False, 60, samples=lambda: ("王德明",)),  # names of three characters
        Column("summary", N_("Summary"), False, 300, _one_line("summary", 120)),
    ),
    "trainings": (
        Column("held_on", N_("Date"), True, 120, _date("held_on"), widest_dates),
        Column("village_code", N_("Village"), True, 80, _village),
        Column("training_type", N_("Type"), True, 130),
        Column("speaker", N_("Speaker"), False, 130),
        Column("location", N_("Location"), False, 130),
        Column("duration_hours", N_("Hours"), False, 50),
        Column("topic", N_("Topic"), False, 300),
    ),
    "hotline": (
        Column("called_at", N_("Time"), True, 150, _time, widest_times),
        Column("village_code", N_("Village"), True, 80, _village),
        Column("channel", N_("Channel"), False, 50),
        Column("caller_name", N_("Caller"), False, 80, _caller),
        Column("category", N_("Category"), True, 80),
        Column("referral", N_("Referral"), False, 90),
        Column("satisfaction", N_("Satisfaction"), False, 70),
        Column("question", N_("Question"), False, 260, _one_line("question", 120)),
    ),
    "publicity": (
        Column("held_on", N_("Date"), True, 120, _date("held_on"), widest_dates),
        Column("village_code", N_("Village"), True, 80, _village),
        Column("form", N_("Form"), True, 100),
        Column("audience", N_("Audience"), False, 70),
        Column("organizer", N_("Organizer"), False, 100),
        Column("location", N_("Location"), False, 160),
        Column("theme", N_("Theme"), False, 200),
    ),
}

#: Sort orders the user may pick: the column, then id (every one is backed by an index).
SORT_DEFAULT = {"disputes": "registered_on", "trainings": "held_on", "hotline": "called_at", "publicity": "held_on"}


@dataclass(frozen=True)
class QueryRequest:
    register: str
    filters: Filters
    order_by: str
    descending: bool
    page: int
    today: dt.date
    overdue_days: int


#: How long the count waits at most for the first page to be on screen (seconds): see :func:`_query`.
COUNT_WAITS_S = 0.25


def _query(request: QueryRequest, shown: threading.Event | None = None):
    """The work of a background job (ui.workers) on the model's connection: the first page, sent as
    ``partial`` when the count is still to come, then ``(count, first page)``.

    The count starts once the first page is on screen (``shown``: set by the model after the view has
    laid it out and painted it; :data:`COUNT_WAITS_S` at most). Over a million rows a search's count
    takes 0.1–0.6 s of CPU; started at once, on a two-core or busy PC it took the CPU from the view's
    layout and paint of the page the user is waiting for."""

    def work(job):
        r = request
        kw = {"today": r.today, "overdue_days": r.overdue_days}
        rows = queries.fetch_rows(
            job.conn, r.register, r.filters, order_by=r.order_by, descending=r.descending, limit=r.page, **kw
        )
        if len(rows) < r.page:
            return len(rows), rows  # the whole list is in the first page
        job.partial(rows)
        if shown is not None:
            deadline = time.monotonic() + COUNT_WAITS_S
            while not shown.wait(0.005) and not job.cancelled and time.monotonic() < deadline:
                pass
        if job.cancelled:
            return 0, rows  # a newer query replaced this one: nothing is reported
        return queries.count_rows(job.conn, r.register, r.filters, **kw), rows

    return work


class RegisterModel(QAbstractTableModel):
    """A windowed, read-only model over one register. ``row_record(row)`` gives the row's dict."""

    PAGE = 200
    MAX_PAGES = 6

    loading = Signal()  # a query started (show the busy bar)
    rows_ready = Signal()  # the first page is shown (the count may still be coming)
    loaded = Signal(int)  # the row count, when the count and first page are in
    failed = Signal(str)

    def __init__(self, ctx: Context, register: str, db_path=None, parent=None, *, threaded: bool = True):
        super().__init__(parent)
        self.ctx = ctx
        self.register = register
        self.columns = COLUMNS[register]
        self.db_path = db_path
        self.threaded = threaded and db_path is not None
        self.filters = Filters()
        self.order_by = SORT_DEFAULT[register]
        self.descending = True
        self._count = 0
        self.counting = False  # the first page is shown, the exact count not yet
        self._pages: OrderedDict[int, list[dict]] = OrderedDict()
        self._generation = 0
        self._job: workers.Job | None = None
        # one worker thread and one connection for this model's queries, kept from one refresh to the next
        self.reader = workers.Reader(db_path, owner=self) if self.threaded else None
        if self.reader is not None:
            self.destroyed.connect(self.reader.close)
        self._villages: dict[str, str] | None = None
        self._overdue_days = site.overdue_days(ctx.conn)
        self.busy = False
        # set by a new search, filter or sort (not by a refresh after a save): the view goes back to
        # its first row when the new rows arrive, instead of keeping a scroll position of the old ones
        self.new_query = False
        # What was fetched (tests and the status bar read these).
        self.rows_fetched = 0
        self.page_loads = 0

    # --- queries ------------------------------------------------------------------------------
    def _kw(self) -> dict:
        return {"today": self.ctx.today(), "overdue_days": self._overdue_days}

    def set_filters(self, filters: Filters) -> None:
        self.filters = filters
        self.new_query = True
        self.refresh()

    def refresh(self) -> None:
        """Re-run the count and first page (on a worker thread when threaded)."""
        self._overdue_days = site.overdue_days(self.ctx.conn)
        self._villages = None
        self._generation += 1
        if self._job is not None:
            self._job.cancel()
            self._job = None
        request = QueryRequest(
            self.register, self.filters, self.order_by, self.descending, self.PAGE, self.ctx.today(), self._overdue_days
        )
        self.busy = True
        self.loading.emit()
        if not self.threaded:
            rows = queries.fetch_rows(
                self.ctx.conn,
                self.register,
                self.filters,
                order_by=self.order_by,
                descending=self.descending,
                limit=self.PAGE,
                **self._kw(),
            )
            count = (
                len(rows)
                if len(rows) < self.PAGE
                else queries.count_rows(self.ctx.conn, self.register, self.filters, **self._kw())
            )
            self._apply(self._generation, count, rows)
            return
        generation = self._generation
        shown = threading.Event()
        job = workers.Job(_query(request, shown), reader=self.reader)
        job.connect(
            self,
            partial=lambda rows: self._apply_first(generation, rows, shown),
            done=lambda result: self._apply(generation, *result),
            failed=lambda message: self._failed(generation, message),
        )
        self._job = workers.start(job)

    def close(self) -> None:
        """Stop the running query and close the model's connection (its window is closing); a later
        refresh opens a new one."""
        if self.reader is not None:
            self.reader.close()

    def cancel(self) -> None:
        if self._job is not None:
            self._job.cancel()
            self._job = None
        self._generation += 1
        self.busy = False
        self.loaded.emit(self._count)

    def _reset(self, count: int, rows: list) -> None:
        self.beginResetModel()
        self._count = count
        self._pages.clear()
        if rows:
            self._pages[0] = rows
            self.rows_fetched += len(rows)
            self.page_loads += 1
        self.endResetModel()

    def _apply_first(self, generation: int, rows: list, shown: threading.Event | None = None) -> None:
        """The first page is in, the count is coming: show the page now, then let the count start."""
        if generation != self._generation:
            return
        self.counting = True
        self._reset(len(rows), rows)
        self.rows_ready.emit()
        if shown is not None:
            # two passes of the event loop: the view's delayed layout, then its paint
            QTimer.singleShot(0, lambda: QTimer.singleShot(0, shown.set))

    def _apply(self, generation: int, count: int, rows: list) -> None:
        if generation != self._generation:
            return  # an older query finished after a newer one started
        self._job = None
        if self.counting and count >= self._count:  # the first page came with rows_ready
            if count > self._count:  # the first page is already shown: add the rest
                self.beginInsertRows(QModelIndex(), self._count, count - 1)
                self._count = count
                self.endInsertRows()
        else:
            self._reset(count, rows)
            self.rows_ready.emit()
        self.counting = False
        self.busy = False
        self.loaded.emit(count)

    def _failed(self, generation: int, message: str) -> None:
        if generation != self._generation:
            return
        self._job = None
        self.busy = False
        self.failed.emit(message)

    def _key(self, row: dict) -> tuple | None:
        key = tuple(row.get(k) for k in queries.sort_key(self.register, self.order_by))
        return None if None in key else key

    def _fetch(self, page: int) -> list[dict]:
        """Page ``page``: from a neighbouring page held (keyset), from the end, or by offset."""
        start = page * self.PAGE
        n = min(self.PAGE, self._count - start)
        if n <= 0:
            return []
        kw = {"order_by": self.order_by, "descending": self.descending, **self._kw()}
        conn, register, f = self.ctx.conn, self.register, self.filters
        prev, nxt = self._pages.get(page - 1), self._pages.get(page + 1)
        if prev and self._key(prev[-1]):
            return queries.fetch_rows(conn, register, f, after=self._key(prev[-1]), limit=n, **kw)
        if nxt and n == self.PAGE and self._key(nxt[0]):
            return queries.fetch_rows(conn, register, f, before=self._key(nxt[0]), limit=n, **kw)
        if not self.counting and start >= self._count // 2:
            return queries.fetch_rows(conn, register, f, from_end=True, offset=self._count - start - n, limit=n, **kw)
        return queries.fetch_rows(conn, register, f, offset=start, limit=n, **kw)

    def _page(self, page: int) -> list[dict]:
        rows = self._pages.get(page)
        if rows is not None:
            self._pages.move_to_end(page)
            return rows
        rows = self._fetch(page)
        self.rows_fetched += len(rows)
        self.page_loads += 1
        self._pages[page] = rows
        while len(self._pages) > self.MAX_PAGES:
            self._pages.popitem(last=False)
        return rows

    @property
    def pages_cached(self) -> int:
        return len(self._pages)

    @property
    def rows_cached(self) -> int:
        return sum(len(p) for p in self._pages.values())

    def row_record(self, row: int) -> dict | None:
        if not 0 <= row < self._count:
            return None
        rows = self._page(row // self.PAGE)
        i = row % self.PAGE
        return rows[i] if i < len(rows) else None

    # --- helpers for the columns --------------------------------------------------------------
    def village_name(self, code: str) -> str:
        if self._villages is None:
            self._villages = {v["code"]: v["name"] for v in site.villages(self.ctx.conn)}
            info = site.site(self.ctx.conn) or {}
            if info.get("township_code"):
                self._villages.setdefault(info["township_code"], info.get("township_name") or "")
        return self._villages.get(code, code)

    def overdue_by(self, row: dict) -> int:
        """Days past the deadline for a dispute still open after the overdue days (else 0)."""
        days = row.get("\0overdue")  # worked out once per row held (the view asks per cell and role)
        if days is None:
            days = row["\0overdue"] = self._overdue_by(row)
        return days

    def _overdue_by(self, row: dict) -> int:
        if self.register != "disputes" or row.get("status") in DONE_STATUSES or not row.get("registered_on"):
            return 0
        today = self.ctx.today()
        if not is_overdue(
            row["registered_on"], row["status"], row.get("concluded_on"), days=self._overdue_days, today=today
        ):
            return 0
        deadline = dt.date.fromisoformat(row["registered_on"]) + dt.timedelta(days=self._overdue_days)
        return (today - deadline).days

    # --- Qt model interface -------------------------------------------------------------------
    def rowCount(self, parent=_ROOT) -> int:
        return 0 if parent.isValid() else self._count

    def columnCount(self, parent=_ROOT) -> int:
        return 0 if parent.isValid() else len(self.columns)

    def headerData(self, section, orientation, role=Qt.DisplayRole):
        if orientation == Qt.Horizontal and 0 <= section < len(self.columns):
            col = self.columns[section]
            if role == Qt.DisplayRole:
                return _(col.label)
            if role == Qt.ToolTipRole:
                return _("Click to sort") if col.sortable else _("This column cannot be sorted")
        elif orientation == Qt.Vertical and role == Qt.DisplayRole:
            return str(section + 1)
        return None

    def data(self, index: QModelIndex, role=Qt.DisplayRole):
        if not index.isValid():
            return None
        row = self.row_record(index.row())
        if row is None:
            return None
        col = self.columns[index.column()]
        disputes = self.register == "disputes"
        if role == _DISPLAY:
            if col.show:
                return col.show(row, self)
            value = row.get(col.key)
            return "" if value is None else str(value)
        if row.get("deleted") and role in (_BACKGROUND, _FOREGROUND, _FONT, _TOOLTIP):
            # a voided record (shown only with 显示已作废): grey and struck through
            if role == _FOREGROUND:
                return _brush(style.VOIDED_TEXT)
            if role == _FONT:
                return _struck()
            if role == _TOOLTIP:
                return _("Voided")
            return None
        if role == _BACKGROUND:
            if disputes:
                colour = style.LEVEL_BACKGROUND.get(row.get("level"))
                return _brush(colour) if colour else None
            return None
        if role == _FOREGROUND:
            if disputes and self.overdue_by(row):
                return _brush(style.OVERDUE_TEXT)
            if disputes and row.get("status") in DONE_STATUSES:
                return _brush(style.DONE_TEXT)
            return _brush(style.TEXT)
        if role == _FONT:
            if disputes and (self.overdue_by(row) or (col.key == "level" and row.get("level") == "红")):
                return _bold()
            return None
        if role == _ALIGN:
            return _CENTER if col.key in _CENTERED else None
        if role == _TOOLTIP:
            return (row.get(col.key) or None) if col.key in _LONG_TEXT else None
        return None

    def sort(self, column: int, order=Qt.AscendingOrder) -> None:
        if not 0 <= column < len(self.columns) or not self.columns[column].sortable:
            return
        key = self.columns[column].key
        descending = order == Qt.DescendingOrder
        if (key, descending) == (self.order_by, self.descending):
            return
        self.order_by, self.descending = key, descending
        self.new_query = True
        self.refresh()

    def sort_column(self) -> int:
        for i, c in enumerate(self.columns):
            if c.key == self.order_by:
                return i
        return -1
