"""Opening the SQLite file: pragmas, migrations with a copy set aside first, refusal of a
newer schema, and an explicit transaction helper.

The connection runs in autocommit mode (``isolation_level=None``); every write goes through
:func:`transaction`, which holds ``BEGIN IMMEDIATE … COMMIT`` so a user action is all or nothing.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import os
import secrets
import sqlite3
import tempfile
from pathlib import Path

from dudu_desktop.domain.problems import Refused
from dudu_desktop.failures import sqlite_reason
from dudu_desktop.fileio import fsync_directory
from dudu_desktop.i18n import _
from dudu_desktop.paths import backups_dir
from dudu_desktop.storage.schema import MIGRATIONS

MIGRATIONS_TABLE = "_migrations"


class SchemaTooNew(Refused):
    pass


class DatabaseDamaged(Refused):
    pass


class DatabaseReadOnly(Refused):
    """The file or its folder cannot be written (read-only attribute, a CD, a write-protected stick):
    refused at open, before anything is read or written, so that no action half-runs on it."""


class DatabaseMissing(Refused):
    """``create=False`` and there is no file: nothing is created (not even the folder)."""


def busy_timeout_ms() -> int:
    """How long a write waits for another writer before giving up (``DUDU_BUSY_TIMEOUT_MS``: tests)."""
    return int(os.environ.get("DUDU_BUSY_TIMEOUT_MS") or 10000)


def _plain_connect(path: str | Path) -> sqlite3.Connection:
    """A connection that has changed nothing yet (no journal mode switch): to read the version first."""
    conn = sqlite3.connect(str(path), isolation_level=None, timeout=busy_timeout_ms() / 1000, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    return conn


def _set_pragmas(conn: sqlite3.Connection) -> None:
    conn.execute("PRAGMA journal_mode = WAL")
    # FULL: a transaction reported committed survives a power cut, not just a crash.
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute(f"PRAGMA busy_timeout = {busy_timeout_ms():d}")  # tests: shorter
    conn.execute("PRAGMA temp_store = MEMORY")
    conn.execute("PRAGMA cache_size = -32000")


def connect(path: str | Path) -> sqlite3.Connection:
    """A connection with the pragmas we rely on (no migrations)."""
    conn = _plain_connect(path)
    _set_pragmas(conn)
    return conn


@contextlib.contextmanager
def transaction(conn: sqlite3.Connection):
    """``BEGIN IMMEDIATE`` … ``COMMIT``; rolls back on any exception. Nested use joins the outer one.

    SQLite may already have rolled the transaction back itself (a full disk: ``SQLITE_FULL``, an I/O
    error); then no second ``ROLLBACK`` is issued, and the original error is never masked. A failed
    ``COMMIT`` is rolled back too, so the connection is never left inside a transaction."""
    if conn.in_transaction:
        yield conn
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
        conn.execute("COMMIT")
    except BaseException:
        if _still_in_transaction(conn):
            try:
                conn.execute("ROLLBACK")
            except sqlite3.Error:
                pass  # the error that brought us here is the one to report
        raise


def _still_in_transaction(conn: sqlite3.Connection) -> bool:
    """Asked again after the work: SQLite may have ended the transaction itself meanwhile (a read
    of ``conn.in_transaction`` before ``BEGIN`` says nothing about now)."""
    return conn.in_transaction


def applied_migrations(conn: sqlite3.Connection) -> list[str]:
    exists = conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (MIGRATIONS_TABLE,)).fetchone()
    if not exists:
        return []
    return [r[0] for r in conn.execute(f"SELECT name FROM {MIGRATIONS_TABLE} ORDER BY rowid")]


def schema_version(conn: sqlite3.Connection) -> int:
    return conn.execute("PRAGMA user_version").fetchone()[0]


def check_not_newer(conn: sqlite3.Connection, migrations=MIGRATIONS) -> None:
    known = [name for name, _apply in migrations]
    applied = applied_migrations(conn)
    unknown = [name for name in applied if name not in known]
    if unknown or schema_version(conn) > len(known):
        raise SchemaTooNew(
            _(
                "This database was written by a newer version of the program "
                "(schema {found}, this program knows {known}). Please update the program; "
                "the file was not changed."
            ).format(found=max(schema_version(conn), len(applied)), known=len(known))
        )


def backup_copy(conn: sqlite3.Connection, target: str | Path, *, exclusive: bool = False) -> Path:
    """A consistent copy of the open database at ``target``, written atomically: backup API into
    ``<target>.partial-<pid>-<random>`` (a name no other process or thread uses, so concurrent copies
    never touch each other's file), journal mode set back to DELETE (so the copy is one
    self-contained file), fsync, rename, fsync the folder. ``exclusive``: never replace an existing
    ``target`` (``FileExistsError``; the name is claimed with a hard link, which fails if it is
    taken). Raises ``OSError``/``sqlite3.Error`` on failure (no final file). Leftovers of a killed
    copy keep the ``.partial-`` name; whoever cleans them must only remove old ones."""
    if conn.in_transaction:
        raise RuntimeError("back up outside a transaction (the copy would hold uncommitted changes)")
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f"{target.name}.partial-{os.getpid()}-{secrets.token_hex(4)}")
    try:
        dest = sqlite3.connect(str(partial), isolation_level=None)
        try:
            conn.backup(dest)  # all pages in one step, under a read lock
            dest.execute("PRAGMA journal_mode = DELETE")
        finally:
            dest.close()
        with open(partial, "rb+") as handle:
            os.fsync(handle.fileno())
        if exclusive:
            _claim(partial, target)
        else:
            os.replace(partial, target)
        fsync_directory(target.parent)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return target


def _claim(partial: Path, target: Path) -> None:
    """Give ``partial`` the name ``target`` unless that name is taken (then ``FileExistsError``)."""
    try:
        os.link(partial, target)  # atomic, and fails if the name exists
    except FileExistsError:
        raise
    except OSError:  # no hard links here (a FAT stick): check, then rename
        if target.exists():
            raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), str(target)) from None
        os.replace(partial, target)
        return
    partial.unlink()


def migrate(
    conn: sqlite3.Connection, db_path: str | Path | None, migrations=MIGRATIONS, backup_dir: str | Path | None = None
) -> list[str]:
    """Apply pending migrations, each in its own transaction. A non-empty file is copied aside first.

    Returns the names applied. Refuses (``SchemaTooNew``) a file from a newer program.
    """
    check_not_newer(conn, migrations)
    applied = set(applied_migrations(conn))
    pending = [(n, f) for n, f in migrations if n not in applied]
    if not pending:
        return []
    has_data = conn.execute("SELECT count(*) FROM sqlite_master WHERE type='table'").fetchone()[0] > 0
    if has_data and db_path and str(db_path) != ":memory:":
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        folder = Path(backup_dir) if backup_dir else backups_dir(db_path)
        backup_copy(conn, folder / f"{Path(db_path).stem}.before-{pending[0][0]}-{stamp}.sqlite3")
    conn.execute(f"CREATE TABLE IF NOT EXISTS {MIGRATIONS_TABLE} (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
    done: list[str] = []
    for name, apply in pending:
        with transaction(conn):
            apply(conn)
            conn.execute(
                f"INSERT INTO {MIGRATIONS_TABLE} (name, applied_at) VALUES (?, ?)",
                (name, dt.datetime.now().isoformat(timespec="seconds")),
            )
            conn.execute(f"PRAGMA user_version = {len(applied) + len(done) + 1}")
        done.append(name)
    return done


def open_database(
    path: str | Path, *, create: bool = True, migrations=MIGRATIONS, backup_dir: str | Path | None = None
) -> sqlite3.Connection:
    """Open (and create/migrate) the database file; returns the connection (autocommit, the
    pragmas of :func:`connect`).

    In this order, so that a refusal leaves the file exactly as it was: a missing file is refused
    unless ``create`` (nothing created, not even the folder: :class:`DatabaseMissing`); a read-only
    file or folder is refused (:class:`DatabaseReadOnly`); the version is read (``user_version``
    and ``_migrations``) and a newer one refused (:class:`SchemaTooNew`) before the journal mode is
    switched to WAL or any migration runs; a file SQLite cannot read is :class:`DatabaseDamaged`."""
    path = Path(path)
    if not path.exists():
        if not create:
            raise DatabaseMissing(
                _(
                    "There is no database file {path}. Check the file name (--db), or set this "
                    "PC up with init first; nothing was created."
                ).format(path=path)
            )
        _make_folder(path.parent)
    refusal = read_only_refusal(path)
    if refusal is not None:
        raise refusal
    conn = None
    try:
        conn = _plain_connect(path)
        check_not_newer(conn, migrations)  # read before anything is changed
        _set_pragmas(conn)
        migrate(conn, path, migrations, backup_dir)
    except BaseException as exc:
        if conn is not None:
            conn.close()
        if isinstance(exc, sqlite3.DatabaseError):
            message = str(exc).lower()
            if "readonly" in message or "read-only" in message:
                raise _read_only_file(path) from exc
            if "locked" in message or "busy" in message:
                raise  # another writer: the caller says so (not "damaged")
            raise DatabaseDamaged(
                _("The database file cannot be read ({error}). Restore it from a backup.").format(
                    error=sqlite_reason(exc)
                )
            ) from exc
        raise
    return conn


def _read_only_file(path: Path) -> DatabaseReadOnly:
    return DatabaseReadOnly(
        _(
            "The database file {path} is read-only: nothing can be saved in it, not even a "
            "log-in. Nothing was changed. Make it writable (on Windows: the file's Properties, "
            "untick “Read-only”), or copy it into a writable folder and open the copy."
        ).format(path=path)
    )


def _read_only_folder(folder: Path) -> DatabaseReadOnly:
    return DatabaseReadOnly(
        _(
            "The folder {folder} is read-only: the program must create its working files "
            "(-wal, -shm) beside the database. Nothing was changed. Allow writing in the folder, "
            "or copy the database into a writable folder (not a CD or a write-protected USB "
            "stick) and open it there."
        ).format(folder=folder)
    )


_READ_ONLY_ERRNOS = (errno.EACCES, errno.EPERM, errno.EROFS)


def read_only_refusal(path: str | Path) -> DatabaseReadOnly | None:
    """Why the database at ``path`` cannot be written, or None. Asks ``os.access`` and then really
    tries (opening the file for writing, creating and removing a file in its folder), since
    ``os.access`` misses some ACLs and network shares. Changes nothing in the file."""
    path = Path(path)
    folder = path.parent
    if path.exists():
        try:
            writable = os.access(path, os.W_OK)
            if writable:
                with open(path, "r+b"):
                    pass
        except OSError as exc:
            writable = exc.errno not in _READ_ONLY_ERRNOS
        if not writable:
            return _read_only_file(path)
    try:
        writable = os.access(folder, os.W_OK | os.X_OK)
        if writable:
            fd, probe = tempfile.mkstemp(prefix=".dudu-write-test-", dir=folder)
            os.close(fd)
            os.unlink(probe)
    except OSError as exc:
        writable = exc.errno not in _READ_ONLY_ERRNOS
    return None if writable else _read_only_folder(folder)


def _make_folder(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        if exc.errno in _READ_ONLY_ERRNOS:
            raise _read_only_folder(Path(exc.filename) if exc.filename else folder) from exc
        raise


def integrity_problems(conn: sqlite3.Connection, quick: bool = False) -> list[str]:
    rows = conn.execute("PRAGMA quick_check" if quick else "PRAGMA integrity_check").fetchall()
    problems = [r[0] for r in rows if r[0] != "ok"]
    problems += [f"foreign key: {tuple(r)}" for r in conn.execute("PRAGMA foreign_key_check").fetchall()]
    return problems
