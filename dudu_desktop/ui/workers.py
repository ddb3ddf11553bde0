"""Work off the UI thread. Each job opens its OWN SQLite connection (a connection is never
shared between threads) and reports back through Qt signals, which Qt delivers on the UI
thread. (The register table's cancellable query job lives beside its model in ``ui/models.py``.)"""

from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import dataclass
from typing import Callable

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from dudu_desktop.storage import db as storage
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
    result = Signal(object)
    error = Signal(str)


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
