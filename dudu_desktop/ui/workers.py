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

A page that reads often (a register model: every filter, sort and search key stroke) gives its jobs a
:class:`Reader` instead of a file: ONE worker thread of its own and ONE long-lived connection opened on
that thread, kept between jobs (no connection, schema parse and cold page cache per refresh). The jobs
run there one after another, so the connection is never used by two threads at once; it is outside any
transaction between statements, so (WAL) each query sees what was committed before it.
:func:`close_readers` closes them when their window closes.
"""

from __future__ import annotations

import sqlite3
import threading
import weakref
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from dudu_desktop.failures import user_message
from dudu_desktop.services.context import Context
from dudu_desktop.storage import db as storage


class JobSignals(QObject):
    progress = Signal(int, int)  # done, total
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

    def __init__(
        self, work: Callable[[Job], Any], *, db_path=None, ctx: Context | None = None, reader: Reader | None = None
    ):
        super().__init__()
        self.setAutoDelete(False)  # Python owns it (see start)
        self.work = work
        self.reader = reader  # run on the reader's thread, on its connection (kept open)
        if reader is not None:
            db_path = reader.db_path
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
    def connect(
        self,
        owner: QObject,
        *,
        done: Callable | None = None,
        failed: Callable | None = None,
        partial: Callable | None = None,
        progress: Callable | None = None,
    ) -> Job:
        """Call these on the UI thread as the job reports, for as long as ``owner`` lives."""
        for signal, fn in (
            (self.signals.done, done),
            (self.signals.failed, failed),
            (self.signals.partial, partial),
            (self.signals.progress, progress),
        ):
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
                conn = self.reader.connection() if self.reader is not None else storage.connect(self.db_path)
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
        with self._lock:  # after this, a late cancel() cannot interrupt the reader's next job
            conn, self.conn = self.conn, None
        if conn is None:
            return
        if self.reader is None:
            conn.close()
            return
        conn.set_progress_handler(None, 0)  # kept open for the reader's next job
        if conn.in_transaction:  # a work that left one open: never hold a snapshot
            conn.rollback()


class Reader:
    """One worker thread and one long-lived read connection to ``db_path`` for the jobs of one owner
    (a register model): ``Job(work, reader=reader)``, started with :func:`start` as any job.

    The connection is opened on the reader's thread by its first job and kept for the next ones; the
    thread pool has one thread that never expires, so the jobs run one at a time, in order, on that
    thread. (Connections are kept per thread all the same — should Qt ever replace the thread, the new
    one opens its own: a connection is never used by two threads.) :meth:`close` cancels its jobs,
    waits for the thread and closes the connection; a job started later opens a new one.
    ``connects`` counts the connections opened."""

    def __init__(self, db_path, owner: QObject | None = None):
        self.db_path = str(db_path)
        # what close_readers(window) looks for under the window (weakly: the owner holds the reader)
        self._owner = weakref.ref(owner) if owner is not None else None
        self.pool = QThreadPool()
        self.pool.setMaxThreadCount(1)
        self.pool.setExpiryTimeout(-1)  # the thread, and the connection it opened, stay
        self._conns: dict[int, sqlite3.Connection] = {}  # thread id → its connection
        self._lock = threading.Lock()
        self.connects = 0
        _READERS.add(self)

    def connection(self) -> sqlite3.Connection:
        """The calling thread's connection, opened on first use (by a job, on the reader's thread)."""
        key = threading.get_ident()
        with self._lock:
            conn = self._conns.get(key)
            if conn is None:
                conn = self._conns[key] = storage.connect(self.db_path)
                self.connects += 1
        return conn

    @property
    def owner(self) -> QObject | None:
        return self._owner() if self._owner is not None else None

    @property
    def is_open(self) -> bool:
        return bool(self._conns)

    def close(self) -> None:
        """Cancel its jobs, wait for its thread to be idle, close its connection(s)."""
        for job in running():
            if job.reader is self:
                job.cancel()
        if shiboken6.isValid(self.pool):
            self.pool.waitForDone()
        with self._lock:
            conns, self._conns = list(self._conns.values()), {}
        for conn in conns:
            conn.close()


_READERS: weakref.WeakSet[Reader] = weakref.WeakSet()


def close_readers(window: QObject | None = None) -> int:
    """Close the readers owned by ``window`` or anything inside it (every reader when None): the
    window is closing. Returns how many connections were open."""
    closed = 0
    for reader in list(_READERS):
        if window is not None and not _inside(reader.owner, window):
            continue
        closed += len(reader._conns)
        reader.close()
    return closed


def _inside(obj: QObject | None, window: QObject) -> bool:
    while obj is not None and shiboken6.isValid(obj):
        if obj is window:
            return True
        obj = obj.parent()
    return False


_RUNNING: dict[int, Job] = {}  # id → job (the finished handler holds the id, not the job)


def start(job: Job, *, threaded: bool = True) -> Job:
    """Run ``job`` on the thread pool (or here and now when not ``threaded``), kept alive until it
    has finished."""
    if not threaded:
        job.run()
        return job
    key = id(job)
    _RUNNING[key] = job
    job.signals.finished.connect(lambda: _RUNNING.pop(key, None))
    (job.reader.pool if job.reader is not None else QThreadPool.globalInstance()).start(job)
    return job


def running() -> list[Job]:
    """The jobs started and not yet finished."""
    return list(_RUNNING.values())
