"""Backups: consistent copies through SQLite's backup API, rotated, previewed, restored.

* Automatic copies go to ``paths.backups_dir(db)`` (``backups/`` beside the database), named
  ``<stem>-YYYYMMDD-HHMMSS-<reason>.sqlite3`` from the context's clock; :func:`auto_backup_if_due`
  makes one at start when the newest is over a day old, :func:`backup_before` before an import,
  a restore (or anything risky). Rotation keeps the newest copy of each of the 7 most recent days
  and of each of the 12 most recent months that have copies, plus the 5 newest copies
  (deterministic: by the time in the name, never by the file system's dates).
* Every copy is written under a temporary name of its own (``<name>.partial-<pid>-<random>``), synced
  to disk and only then given its final name, which is claimed without replacing anything: a copy
  interrupted by a crash or a pulled USB stick never carries a final name, and two copies made in
  the same second (two windows, a window and a command) neither share a temporary file nor
  overwrite each other. Leftover partials are removed by :func:`rotate` only once an hour old.
* Every copy is audited (``backup``: file name and reason ``manual``/``auto``/``before_import``/
  ``external``…) right after it was written; a copy that failed leaves no entry.
* :func:`preview_backup` reads a copy without changing it (``mode=ro``); :func:`restore` checks it,
  prepares it in a temporary file beside the database (migrated, with the restore's audit entry and
  the new sync epoch written there in one transaction) and copies that into the live database in
  one step: whatever moment the program is killed, the live file holds either the old state (no
  restore entry) or the restored state with its entry and its epoch.
* Whose backup: a backup is restored only over the same site (code and role). When the live file
  cannot be read, this PC is identified by the newest readable copy in its backups folder (made
  automatically every day); with none, nothing contradicts the backup and it is accepted.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import secrets
import shutil
import sqlite3
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

from dudu_desktop import paths
from dudu_desktop.domain.problems import Problem, Refused
from dudu_desktop.domain.vocab import Permission
from dudu_desktop.failures import error_text, locked_message, sqlite_reason
from dudu_desktop.fileio import fsync_directory
from dudu_desktop.i18n import _
from dudu_desktop.services import audit, epoch
from dudu_desktop.services.context import Context
from dudu_desktop.storage import db as storage
from dudu_desktop.storage.registers import REGISTERS
from dudu_desktop.storage.schema import MIGRATIONS

KEEP_DAILY = 7
KEEP_MONTHLY = 12
KEEP_LATEST = 5  # also the newest few, so that two imports on one day both keep their "before" copy
AUTO_EVERY = dt.timedelta(days=1)
STAMP = "%Y%m%d-%H%M%S"
PARTIAL = ".partial"
REQUIRED_TABLES = {"settings", "villages", "audit_log", "_migrations", *(m.table for m in REGISTERS.values())}


# --- where and how copies are written ---------------------------------------------------------


def db_path_of(conn: sqlite3.Connection) -> Path | None:
    """The file behind a connection (None for an in-memory database)."""
    for row in conn.execute("PRAGMA database_list"):
        if row[1] == "main":
            return Path(row[2]) if row[2] else None
    return None


def backup_folder(ctx_or_conn) -> Path:
    conn = ctx_or_conn.conn if isinstance(ctx_or_conn, Context) else ctx_or_conn
    path = db_path_of(conn)
    if path is None:
        raise Refused(_("An in-memory database cannot be backed up."))
    return paths.backups_dir(path)


#: Atomic, self-contained, fsync'd copy through SQLite's backup API (shared with migrations).
write_copy = storage.backup_copy


def _name(stem: str, when: dt.datetime, reason: str) -> str:
    reason = re.sub(r"[^a-z0-9_]+", "_", reason.lower()).strip("_") or "manual"
    return f"{stem}-{when.strftime(STAMP)}-{reason}.sqlite3"


def _pattern(stem: str) -> re.Pattern:
    return re.compile(rf"^{re.escape(stem)}-(\d{{8}}-\d{{6}})(?:-(\d+))?-([a-z0-9_]+)\.sqlite3$")


def list_backups(folder: str | Path, stem: str = Path(paths.DB_NAME).stem) -> list[tuple[dt.datetime, Path]]:
    """(time in the name, path) of the finished copies in ``folder``, newest first."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    pattern = _pattern(stem)
    found = []
    for path in folder.iterdir():
        match = pattern.match(path.name)
        if match:
            found.append((dt.datetime.strptime(match.group(1), STAMP), int(match.group(2) or 0), path))
    found.sort(key=lambda item: (item[0], item[1], item[2].name), reverse=True)
    return [(when, path) for when, _n, path in found]


def _stem(ctx: Context) -> str:
    path = db_path_of(ctx.conn)
    return path.stem if path else Path(paths.DB_NAME).stem


def make_backup(ctx: Context, reason: str = "manual", *, rotate_after: bool = True) -> Path:
    """A copy in the backups folder (any user: it stays on this PC), audited, then rotation."""
    folder = backup_folder(ctx)
    stem = _stem(ctx)
    base = _name(stem, ctx.now(), reason)
    stamp = ctx.now().strftime(STAMP)
    n = 1
    while True:
        target = folder / (base if n == 1 else base.replace(stamp, f"{stamp}-{n}", 1))
        if not target.exists():  # two copies in the same second: the next number
            try:
                write_copy(ctx.conn, target, exclusive=True)
                break
            except FileExistsError:  # taken meanwhile by another process
                pass
        n += 1
    _audit_backup(ctx, target, reason)
    if rotate_after:
        rotate(folder, stem)
    return target


def _reason(exc: BaseException) -> str:
    """Why a copy failed, in the user's language (a full disk, a read-only stick…)."""
    return error_text(exc).rstrip("。.")


def _audit_backup(ctx: Context, target: Path, reason: str) -> None:
    """The copy is written; now its entry. If the entry cannot be written the copy is removed, so
    that every copy carrying a final name is in the audit log."""
    reason = re.sub(r"[^a-z0-9_]+", "_", reason.lower()).strip("_") or "manual"
    try:
        with storage.transaction(ctx.conn):
            audit.append(
                ctx.conn,
                at=ctx.now_text(),
                user=ctx.user,
                action="backup",
                table_name="",
                record_id="",
                changes={"file": [None, target.name], "reason": [None, reason]},
            )
    except BaseException:
        target.unlink(missing_ok=True)
        raise


def backup_before(ctx: Context, reason: str) -> Path:
    """A copy taken just before a risky step (``"import"``, ``"restore"``…); call it outside the
    step's transaction. Raises :class:`Refused` if the copy cannot be written (so the step does not run)."""
    try:
        return make_backup(ctx, f"before_{reason}")
    except (OSError, sqlite3.Error) as exc:
        if isinstance(exc, sqlite3.Error):
            _refuse_if_busy(exc)
        raise Refused(
            _("Could not make a backup before this step ({error}); nothing was changed.").format(error=_reason(exc))
        ) from exc


def last_backup_time(ctx: Context) -> dt.datetime | None:
    found = list_backups(backup_folder(ctx), _stem(ctx))
    return found[0][0] if found else None


def auto_backup_if_due(ctx: Context, *, checked: bool = False) -> Path | None:
    """At start: a copy if the newest is over a day old (or there is none). Skips a database that
    is not set up yet or fails ``PRAGMA quick_check`` (a damaged file must not push good copies out;
    ``checked=True`` when the caller has just run that check)."""
    if db_path_of(ctx.conn) is None:
        return None
    try:
        if (
            not ctx.conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'settings'").fetchone()
            or not ctx.conn.execute("SELECT 1 FROM settings WHERE key = 'site'").fetchone()
        ):
            return None
    except sqlite3.DatabaseError:
        return None
    last = last_backup_time(ctx)
    if last is not None and ctx.now() - last < AUTO_EVERY and last <= ctx.now():
        return None
    if not checked and startup_problems(ctx.conn):
        return None
    return make_backup(ctx, "auto")


def rotate(
    folder: str | Path,
    stem: str = Path(paths.DB_NAME).stem,
    *,
    daily: int = KEEP_DAILY,
    monthly: int = KEEP_MONTHLY,
    latest: int = KEEP_LATEST,
) -> list[Path]:
    """Keep the newest copy of each of the ``daily`` most recent days and of each of the ``monthly``
    most recent months, and the ``latest`` newest copies; delete the rest (and stale ``.partial``
    leftovers). Returns what was deleted."""
    found = list_backups(folder, stem)
    keep: set[Path] = {path for _when, path in found[:latest]}
    days: dict[dt.date, Path] = {}
    months: dict[tuple[int, int], Path] = {}
    for when, path in found:  # newest first: the first seen in a bucket is its newest
        days.setdefault(when.date(), path)
        months.setdefault((when.year, when.month), path)
    keep |= set(list(days.values())[:daily])
    keep |= set(list(months.values())[:monthly])
    removed = []
    for _when, path in found:
        if path not in keep:
            path.unlink(missing_ok=True)
            removed.append(path)
    _remove_old_leftovers(Path(folder).glob(f"{stem}-*{PARTIAL}*"))
    return removed


def _remove_old_leftovers(found) -> None:
    """Leftovers of a killed copy or restore, once an hour old: a younger one may be another
    process's file still being written."""
    for leftover in found:
        try:
            if time.time() - leftover.stat().st_mtime > 3600:
                leftover.unlink()
        except OSError:
            pass


def backup_to(ctx: Context, target: str | Path) -> Path:
    """A copy to a chosen file or folder (a USB stick). Admin only: the copy holds every personal
    detail unmasked. A folder gets a dated name; an existing file is never overwritten."""
    ctx.require(Permission.ADMINISTER)
    target = Path(target)
    if target.is_dir():
        target = target / _name(_stem(ctx), ctx.now(), "manual")
    if target.exists():
        raise Refused(Problem("target", _("The file {path} already exists; choose another name.").format(path=target)))
    live = db_path_of(ctx.conn)
    if live and target.resolve() == live.resolve():
        raise Refused(Problem("target", _("A backup cannot replace the database itself.")))
    try:
        write_copy(ctx.conn, target, exclusive=True)
    except FileExistsError as exc:
        raise Refused(
            Problem("target", _("The file {path} already exists; choose another name.").format(path=target))
        ) from exc
    except (OSError, sqlite3.Error) as exc:
        raise Refused(
            Problem("target", _("The backup could not be written ({error}).").format(error=_reason(exc)))
        ) from exc
    _audit_backup(ctx, target, "external")
    return target


# --- preview and restore ----------------------------------------------------------------------


def _open_read_only(path: Path) -> sqlite3.Connection:
    uri = "file:" + quote(str(path.resolve()).replace(os.sep, "/")) + "?mode=ro"
    conn = sqlite3.connect(uri, uri=True, isolation_level=None)
    conn.row_factory = sqlite3.Row
    return conn


def preview_backup(path: str | Path) -> dict:
    """What a copy holds, read without changing it: ``{path, is_dudu, integrity_ok, problems,
    schema_version, schema_ok, site, counts {register: n}, date_range [first, last], last_change,
    users}``. Never raises for a bad file: ``problems`` says what is wrong."""
    path = Path(path)
    info: dict = {
        "path": str(path),
        "is_dudu": False,
        "integrity_ok": False,
        "problems": [],
        "schema_version": None,
        "schema_ok": False,
        "site": None,
        "counts": {},
        "date_range": None,
        "last_change": None,
        "users": 0,
    }
    if not path.is_file():
        info["problems"].append(_("File not found: {path}").format(path=path))
        return info
    try:
        conn = _open_read_only(path)
    except sqlite3.Error as exc:
        info["problems"].append(_("Not a readable database ({error}).").format(error=sqlite_reason(exc)))
        return info
    try:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        info["is_dudu"] = REQUIRED_TABLES <= tables
        if not info["is_dudu"]:
            info["problems"].append(_("This file is not a Dudu Desktop database."))
            return info
        problems = storage.integrity_problems(conn)
        info["integrity_ok"] = not problems
        info["problems"] += [_("Damaged: {problem}").format(problem=p) for p in problems[:5]]
        info["schema_version"] = storage.schema_version(conn)
        try:
            storage.check_not_newer(conn, MIGRATIONS)
            info["schema_ok"] = True
        except Refused as exc:
            info["problems"] += [p.message for p in exc.problems]
        row = conn.execute("SELECT value FROM settings WHERE key = 'site'").fetchone()
        if row:
            info["site"] = json.loads(row[0])
        firsts, lasts = [], []
        for register, meta in REGISTERS.items():
            count, first, last = conn.execute(
                f"SELECT count(*), min({meta.date}), max({meta.date}) FROM {meta.table} WHERE deleted = 0"
            ).fetchone()
            info["counts"][register] = count
            if first:
                firsts.append(first[:10])
                lasts.append(last[:10])
        info["date_range"] = [min(firsts), max(lasts)] if firsts else None
        info["last_change"] = conn.execute("SELECT max(at) FROM audit_log").fetchone()[0]
        if "users" in tables:
            info["users"] = conn.execute("SELECT count(*) FROM users").fetchone()[0]
    except sqlite3.Error as exc:
        info["integrity_ok"] = False
        info["problems"].append(_("Not a readable database ({error}).").format(error=sqlite_reason(exc)))
    finally:
        conn.close()
    return info


def usable_problems(info: dict) -> list[str]:
    """Why a previewed copy cannot be restored (empty when it can)."""
    if info["problems"]:
        return list(info["problems"])
    if not (info["is_dudu"] and info["integrity_ok"] and info["schema_ok"]):
        return [_("This copy cannot be restored.")]
    return []


def latest_good_backup(db_path: str | Path) -> Path | None:
    """The newest copy in the backups folder that passes the integrity check (to offer when the
    database is damaged)."""
    for _when, path in list_backups(paths.backups_dir(db_path), Path(db_path).stem):
        if not usable_problems(preview_backup(path)):
            return path
    return None


def startup_problems(conn: sqlite3.Connection) -> list[str]:
    """``PRAGMA quick_check`` at start; non-empty → offer :func:`latest_good_backup`."""
    try:
        return storage.integrity_problems(conn, quick=True)
    except sqlite3.DatabaseError as exc:
        return [str(exc)]


def _site_of(conn: sqlite3.Connection) -> dict | None:
    row = conn.execute("SELECT value FROM settings WHERE key = 'site'").fetchone()
    value = json.loads(row[0]) if row else None
    return value if isinstance(value, dict) and value.get("code") else None


def _site_from_backups(db_path: Path, exclude: Path) -> dict | None:
    """This PC's site when its live file cannot tell: the newest copy in its backups folder whose
    settings can be read (not the file being restored)."""
    for _when, candidate in list_backups(paths.backups_dir(db_path), db_path.stem):
        try:
            if candidate.resolve() == exclude.resolve():
                continue
            conn = _open_read_only(candidate)
            try:
                found = _site_of(conn)
            finally:
                conn.close()
        except (sqlite3.Error, OSError, ValueError):
            continue
        if found:
            return found
    return None


def _check_site(info: dict, mine: dict | None) -> None:
    theirs = info.get("site")
    if mine and theirs and (mine.get("code"), mine.get("role")) != (theirs.get("code"), theirs.get("role")):
        raise Refused(
            Problem(
                "file",
                _("This backup belongs to {name} ({code}), not to this PC's {mine}.").format(
                    name=theirs.get("name"), code=theirs.get("code"), mine=mine.get("name")
                ),
            )
        )


def _checked(path: Path) -> dict:
    info = preview_backup(path)
    problems = usable_problems(info)
    if problems:
        raise Refused([Problem("file", p) for p in problems])
    return info


def _prepare(path: Path, folder: Path, stem: str) -> tuple[Path, sqlite3.Connection]:
    """The backup copied into a temporary file of its own beside the database (rollback journal,
    one file) and migrated there; the caller writes the restore's entries into it."""
    _remove_old_leftovers(folder.glob(f".{stem}.restoring-*"))
    temp = folder / f".{stem}.restoring-{os.getpid()}-{secrets.token_hex(4)}"
    conn = None
    try:
        source = _open_read_only(path)
        try:
            conn = sqlite3.connect(str(temp), isolation_level=None, check_same_thread=False)
            source.backup(conn)
        finally:
            source.close()
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA journal_mode = DELETE")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA synchronous = FULL")
        storage.migrate(conn, None)  # an older copy: the backup itself stays as it was
    except BaseException:
        if conn is not None:
            conn.close()
        _discard(temp)
        raise
    return temp, conn


def _discard(temp: Path) -> None:
    for leftover in (temp, Path(f"{temp}-journal"), Path(f"{temp}-wal"), Path(f"{temp}-shm")):
        leftover.unlink(missing_ok=True)


def _write_restore_entries(
    ctx: Context, conn: sqlite3.Connection, path: Path, saved: Path | None, replaced_epoch: int | None
) -> dict:
    """In the prepared file, one transaction: the restore's audit entry and the new sync epoch."""
    with storage.transaction(conn):
        state = epoch.begin_epoch(conn, when=ctx.now(), backup_name=path.name, replaced_epoch=replaced_epoch)
        audit.append(
            conn,
            at=ctx.now_text(),
            user=ctx.user,
            action="restore",
            changes={
                "file": [None, path.name],
                "saved_before": [None, saved.name if saved else None],
                "epoch": [state["previous"], state["epoch"]],
            },
        )
    return state


class _Busy(Exception):
    pass


def _copy_into(source: sqlite3.Connection, target: sqlite3.Connection) -> None:
    """Every page of ``source`` into ``target`` in one write transaction (SQLite's backup API: all or
    nothing). Waits for another writer only up to the busy timeout, then refuses (Python's own loop
    would retry for ever)."""

    def progress(status, _remaining, _total):
        if status in (5, 6):  # SQLITE_BUSY, SQLITE_LOCKED after the busy timeout
            raise _Busy()

    try:
        source.backup(target, pages=-1, progress=progress)
    except _Busy:
        raise Refused(Problem("file", locked_message())) from None


def _refuse_if_busy(exc: sqlite3.Error) -> None:
    text = str(exc).lower()
    if "locked" in text or "busy" in text:
        raise Refused(Problem("file", locked_message())) from exc


def restore(ctx: Context, path: str | Path, *, allow_other_site: bool = False) -> dict:
    """Replace the live database's content with a copy (admin only). The copy is checked (a Dudu
    database, intact, schema not newer, this PC's site); the current state is backed up; the copy is
    prepared beside the database (migrated, the restore's audit entry and the new sync epoch written
    in one transaction) and then copied into the live connection in one step (SQLite backup API).
    Returns the preview of what was restored, with ``saved_before`` and ``epoch``."""
    ctx.require(Permission.ADMINISTER)
    path = Path(path)
    info = _checked(path)
    live = db_path_of(ctx.conn)
    if live is not None and path.resolve() == live.resolve():
        raise Refused(Problem("file", _("This is the database itself, not a backup.")))
    if ctx.conn.in_transaction:
        raise RuntimeError("restore outside a transaction")
    mine, replaced_epoch = None, None
    try:
        mine = _site_of(ctx.conn)
        replaced_epoch = epoch.current_epoch(ctx.conn)
    except (sqlite3.DatabaseError, ValueError):
        pass  # the live file is damaged: that is why we restore
    if mine is None and live is not None:
        mine = _site_from_backups(live, exclude=path)
    if not allow_other_site:
        _check_site(info, mine)
    saved = _save_current(ctx)
    folder = live.parent if live is not None else Path(tempfile.gettempdir())
    stem = live.name if live is not None else "memory"
    temp, prepared = _prepare(path, folder, stem)
    try:
        state = _write_restore_entries(ctx, prepared, path, saved, replaced_epoch)
        _copy_into(prepared, ctx.conn)
    finally:
        prepared.close()
        _discard(temp)
    return {**info, "saved_before": str(saved) if saved else None, "epoch": state["epoch"]}


def _save_current(ctx: Context) -> Path | None:
    """Back up the live state before a restore; if it is too damaged for the backup API, copy the
    raw file aside instead (kept out of rotation). Another writer holding the file: refused."""
    try:
        return make_backup(ctx, "before_restore", rotate_after=False)
    except (OSError, sqlite3.Error) as exc:
        if isinstance(exc, sqlite3.Error):
            _refuse_if_busy(exc)
        live = db_path_of(ctx.conn)
        if live is None or not live.exists():
            return None
        target = paths.backups_dir(live) / f"damaged-{live.stem}-{ctx.now().strftime(STAMP)}.sqlite3"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(live, target)
        return target


def restore_over_damaged(db_path: str | Path, backup_path: str | Path, login) -> dict:
    """When the live file cannot even be opened: the backup is checked against this PC's site (its
    backups folder, see the module's docstring) and prepared beside the database; the user logs in
    against it (``login(conn) -> Context``, which must be an admin there); the restore's audit
    entry and the new epoch are written into it in one transaction; the damaged file (and its
    ``-wal``) is set aside in the backups folder, and the prepared file renamed into place."""
    db_path, path = Path(db_path), Path(backup_path)
    info = _checked(path)
    _check_site(info, _site_from_backups(db_path, exclude=path))
    temp, conn = _prepare(path, db_path.parent, db_path.name)
    try:
        ctx = login(conn)
        ctx.require(Permission.ADMINISTER)
        stamp = ctx.now().strftime(STAMP)
        saved = paths.backups_dir(db_path) / f"damaged-{db_path.stem}-{stamp}.sqlite3"
        state = _write_restore_entries(ctx, conn, path, saved, None)
        conn.close()
        with open(temp, "rb+") as handle:
            os.fsync(handle.fileno())
        saved.parent.mkdir(parents=True, exist_ok=True)
        # The damaged file is copied (not moved) aside, so that a kill never leaves no file at all;
        # its -wal is moved aside before the new file takes the name (an old -wal must never be
        # replayed into the restored file).
        if db_path.exists():
            shutil.copy2(db_path, saved)
            with open(saved, "rb+") as handle:
                os.fsync(handle.fileno())
        wal = Path(f"{db_path}-wal")
        if wal.exists():
            os.replace(wal, Path(f"{saved}-wal"))
        Path(f"{db_path}-shm").unlink(missing_ok=True)
        fsync_directory(saved.parent)
        os.replace(temp, db_path)
        fsync_directory(db_path.parent)
    except BaseException:
        conn.close()
        _discard(temp)
        raise
    return {**info, "saved_before": str(saved), "epoch": state["epoch"]}
