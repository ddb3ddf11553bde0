"""Work off the UI thread: one job type for every page.

A :class:`Job` runs ``work(job)`` on the thread pool. With a database file it opens its OWN SQLite
connection (a connection is never shared between threads): ``job.conn``, and ``job.ctx`` is the
session's Context on it (``ctx.on(conn)``). Without a file (an in-memory database) ``job.ctx`` is
the caller's Context and the job should run on the UI thread (``start(job, threaded=False)``).

The job reports through :class:`JobSignals`, which Qt delivers on the UI thread:

* ``progress(done, total)`` — from ``job.progress(...)`` inside the work;
* ``partial(value)`` — something to show before the end (the first page of a list, one thumbnail);
* ``done(value)`` — what ``work`` returned;
* ``failed(message)`` — the error as the user reads it (:func:`error_text`: a refusal's problems, one a
  line; a known failure in the user's language; for a bug, the log file its traceback was written to);
* ``finished()`` — last, whatever happened.

A page connects them with ``job.connect(page, done=..., failed=..., ...)``: the callables are called on
the UI thread for as long as the page lives, and never after it is gone (a closed dialog, a model
dropped), like a slot of the page itself.

``job.cancel()`` stops it: the SQL statement running on its connection (or started after) is
interrupted, ``work`` can look at ``job.cancelled`` between steps, and after a cancel nothing but ``finished`` is sent.
:func:`start` keeps the job alive until it has finished, so a page may forget it.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from dudu_desktop.failures import user_message
from dudu_desktop.services.context import Context
from dudu_desktop.storage import db as storage


class JobSignals(QObject):
    progress = Signal(int, int)     # done, total
    partial = Signal(object)
    done = Signal(object)
    failed = Signal(str)
    finished = Signal()


def _while_alive(owner: QObject, fn: Callable) -> Callable:
    """``fn``, or nothing once ``owner`` has been destroyed (a closed dialog, a dropped model)."""
    def call(*args):
        if shiboken6.isValid(owner):
            fn(*args)
    return call


def error_text(exc: BaseException, db_path=None) -> str:
    """An error as the user reads it (:func:`failures.user_message`): a refusal's problems one a line, a
    known failure's sentence (a full disk, a locked database…), else a bug: its traceback goes to the log
    and the sentence names the file. Never the system's English text."""
    return user_message(exc, db_path=db_path, where="window")


class Job(QRunnable):
    """``work(job)`` on the thread pool, with its own connection to ``db_path`` when given."""

    def __init__(self, work: Callable[[Job], Any], *, db_path=None, ctx: Context | None = None):
        super().__init__()
        self.setAutoDelete(False)           # Python owns it (see start)
        self.work = work
        self.db_path = str(db_path) if db_path else None
        self.session = ctx
        self.ctx: Context | None = None if db_path else ctx
        self.conn: sqlite3.Connection | None = None
        self.signals = JobSignals()
        self._cancelled = threading.Event()
        self._lock = threading.Lock()

    # --- inside the work --------------------------------------------------------------------------
    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    def progress(self, done: int, total: int) -> None:
        if not self.cancelled:
            self.signals.progress.emit(done, total)

    def partial(self, value: Any) -> None:
        if not self.cancelled:
            self.signals.partial.emit(value)

    # --- from the UI thread -----------------------------------------------------------------------
    def connect(self, owner: QObject, *, done: Callable | None = None, failed: Callable | None = None,
                partial: Callable | None = None, progress: Callable | None = None) -> Job:
        """Call these on the UI thread as the job reports, for as long as ``owner`` lives."""
        for signal, fn in ((self.signals.done, done), (self.signals.failed, failed),
                           (self.signals.partial, partial), (self.signals.progress, progress)):
            if fn is not None:
                signal.connect(_while_alive(owner, fn))
        return self

    def cancel(self) -> None:
        """Stop: interrupt the running statement; no result or error is reported afterwards."""
        self._cancelled.set()
        with self._lock:
            if self.conn is not None:
                self.conn.interrupt()

    # --- on the worker thread ---------------------------------------------------------------------
    def run(self) -> None:
        try:
            self._run()
        finally:
            self.signals.finished.emit()

    def _run(self) -> None:
        try:
            if self.cancelled:
                return
            if self.db_path:
                conn = storage.connect(self.db_path)
                # a cancel stops the statement running then or started later (interrupt() alone
                # misses a statement that starts just after it)
                conn.set_progress_handler(self._cancelled.is_set, 10_000)
                with self._lock:
                    self.conn = conn
                self.ctx = self.session.on(conn) if self.session is not None else None
            try:
                value = self.work(self)
            finally:
                self._close()
        except Exception as exc:  # noqa: BLE001 - shown to the user, never lost in a thread
            if not self.cancelled:
                self.signals.failed.emit(error_text(exc, self.db_path))
            return
        if not self.cancelled:
            self.signals.done.emit(value)

    def _close(self) -> None:
        if self.db_path is None:
            return
        with self._lock:
            conn, self.conn = self.conn, None
        if conn is not None:
            conn.close()


_RUNNING: dict[int, Job] = {}      # id → job (the finished handler holds the id, not the job)


def start(job: Job, *, threaded: bool = True) -> Job:
    """Run ``job`` on the thread pool (or here and now when not ``threaded``), kept alive until it
    has finished."""
    if not threaded:
        job.run()
        return job
    key = id(job)
    _RUNNING[key] = job
    job.signals.finished.connect(lambda: _RUNNING.pop(key, None))
    QThreadPool.globalInstance().start(job)
    return job


def running() -> list[Job]:
    """The jobs started and not yet finished."""
    return list(_RUNNING.values())
