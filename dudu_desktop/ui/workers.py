"""Work off the UI thread. Each job opens its OWN SQLite connection (a connection is never
shared between threads) and reports back through Qt signals, which Qt delivers on the UI
thread. A job can be cancelled: its query is interrupted and its result dropped."""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
from dataclasses import dataclass
from typing import Callable

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from dudu_desktop.storage import db as storage
from dudu_desktop.storage import queries
from dudu_desktop.storage.queries import Filters


@dataclass(frozen=True)
class QueryRequest:
    register: str
    filters: Filters
    order_by: str
    descending: bool
    page: int
    today: dt.date
    overdue_days: int


class JobSignals(QObject):
    done = Signal(int, int, list)       # generation, count, first page
    failed = Signal(int, str)           # generation, message
    result = Signal(object)             # for TaskJob
    error = Signal(str)
    finished = Signal()                 # always, last (even when cancelled)


class QueryJob(QRunnable):
    """Count the rows and fetch the first page of a register query."""

    def __init__(self, db_path, request: QueryRequest, generation: int):
        super().__init__()
        self.db_path = str(db_path)
        self.request = request
        self.generation = generation
        self.signals = JobSignals()
        self._cancelled = threading.Event()
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.Lock()

    def cancel(self) -> None:
        self._cancelled.set()
        with self._lock:
            if self._conn is not None:
                self._conn.interrupt()

    def run(self) -> None:
        try:
            self._run()
        finally:
            self.signals.finished.emit()

    def _run(self) -> None:
        r = self.request
        kw = {"today": r.today, "overdue_days": r.overdue_days}
        try:
            conn = storage.connect(self.db_path)
            with self._lock:
                self._conn = conn
            try:
                if self._cancelled.is_set():
                    return
                count = queries.count_rows(conn, r.register, r.filters, **kw)
                rows = queries.fetch_rows(conn, r.register, r.filters, order_by=r.order_by, descending=r.descending,
                                          limit=r.page, offset=0, **kw) if count else []
            finally:
                with self._lock:
                    self._conn = None
                conn.close()
        except sqlite3.OperationalError as exc:
            if not self._cancelled.is_set():
                self.signals.failed.emit(self.generation, str(exc))
            return
        except Exception as exc:  # noqa: BLE001 - reported to the user, never lost in a thread
            self.signals.failed.emit(self.generation, str(exc))
            return
        if not self._cancelled.is_set():
            self.signals.done.emit(self.generation, count, rows)


class TaskJob(QRunnable):
    """Run ``fn(conn)`` with a fresh connection to ``db_path`` on the thread pool."""

    def __init__(self, db_path, fn: Callable[[sqlite3.Connection], object]):
        super().__init__()
        self.db_path = str(db_path)
        self.fn = fn
        self.signals = JobSignals()

    def run(self) -> None:
        try:
            conn = storage.connect(self.db_path)
            try:
                value = self.fn(conn)
            finally:
                conn.close()
        except Exception as exc:  # noqa: BLE001
            self.signals.error.emit(str(exc))
            return
        self.signals.result.emit(value)


def start(job: QRunnable) -> QRunnable:
    QThreadPool.globalInstance().start(job)
    return job
