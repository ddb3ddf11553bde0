"""Opening the SQLite file: pragmas, migrations with a copy set aside first, refusal of a
newer schema, and an explicit transaction helper.

The connection runs in autocommit mode (``isolation_level=None``); every write goes through
:func:`transaction`, which holds ``BEGIN IMMEDIATE … COMMIT`` so a user action is all or nothing.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import sqlite3
from pathlib import Path

import sqlite_utils

from dudu_desktop.domain.problems import Refused
from dudu_desktop.i18n import _
from dudu_desktop.paths import backups_dir
from dudu_desktop.tabular import fsync_directory
from dudu_desktop.storage.schema import MIGRATIONS

MIGRATIONS_TABLE = "_migrations"


class SchemaTooNew(Refused):
    pass


class DatabaseDamaged(Refused):
    pass


def connect(path: str | Path) -> sqlite3.Connection:
    """A connection with the pragmas we rely on (no migrations)."""
    conn = sqlite3.connect(str(path), isolation_level=None, timeout=10, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA journal_mode = WAL")
    # FULL: a transaction reported committed survives a power cut, not just a crash.
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA busy_timeout = 10000")
    conn.execute("PRAGMA temp_store = MEMORY")
    conn.execute("PRAGMA cache_size = -32000")
    return conn


@contextlib.contextmanager
def transaction(conn: sqlite3.Connection):
    """``BEGIN IMMEDIATE`` … ``COMMIT``; rolls back on any exception. Nested use joins the outer one."""
    if conn.in_transaction:
        yield conn
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def applied_migrations(conn: sqlite3.Connection) -> list[str]:
    exists = conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?",
                          (MIGRATIONS_TABLE,)).fetchone()
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
        raise SchemaTooNew(_("This database was written by a newer version of the program "
                             "(schema {found}, this program knows {known}). Please update the program; "
                             "the file was not changed.").format(found=max(schema_version(conn), len(applied)),
                                                                 known=len(known)))


def backup_copy(conn: sqlite3.Connection, target: str | Path) -> Path:
    """A consistent copy of the open database at ``target``, written atomically: backup API into
    ``<target>.partial``, journal mode set back to DELETE (so the copy is one self-contained file),
    fsync, rename, fsync the folder. Raises ``OSError``/``sqlite3.Error`` on failure (no final file)."""
    if conn.in_transaction:
        raise RuntimeError("back up outside a transaction (the copy would hold uncommitted changes)")
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        dest = sqlite3.connect(str(partial), isolation_level=None)
        try:
            conn.backup(dest)                       # all pages in one step, under a read lock
            dest.execute("PRAGMA journal_mode = DELETE")
        finally:
            dest.close()
        with open(partial, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(partial, target)
        fsync_directory(target.parent)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return target


def migrate(conn: sqlite3.Connection, db_path: str | Path | None, migrations=MIGRATIONS,
            backup_dir: str | Path | None = None) -> list[str]:
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
    done = []
    for name, apply in pending:
        with transaction(conn):
            apply(conn)
            conn.execute(f"INSERT INTO {MIGRATIONS_TABLE} (name, applied_at) VALUES (?, ?)",
                         (name, dt.datetime.now().isoformat(timespec="seconds")))
            conn.execute(f"PRAGMA user_version = {len(applied) + len(done) + 1}")
        done.append(name)
    return done


def open_database(path: str | Path, *, create: bool = True, migrations=MIGRATIONS,
                  backup_dir: str | Path | None = None) -> sqlite_utils.Database:
    """Open (and create/migrate) the database file; returns a sqlite-utils ``Database``."""
    path = Path(path)
    if not create and not path.exists():
        raise Refused(_("Database file not found: {path}").format(path=path))
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        conn = connect(path)
        migrate(conn, path, migrations, backup_dir)
    except sqlite3.DatabaseError as exc:
        raise DatabaseDamaged(_("The database file cannot be read ({error}). "
                                "Restore it from a backup.").format(error=exc)) from exc
    return sqlite_utils.Database(conn)


def integrity_problems(conn: sqlite3.Connection, quick: bool = False) -> list[str]:
    rows = conn.execute("PRAGMA quick_check" if quick else "PRAGMA integrity_check").fetchall()
    problems = [r[0] for r in rows if r[0] != "ok"]
    problems += [f"foreign key: {tuple(r)}" for r in conn.execute("PRAGMA foreign_key_check").fetchall()]
    return problems
