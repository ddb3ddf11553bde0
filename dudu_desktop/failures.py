"""When something fails: known failures become one Chinese sentence, unexpected ones a log file.

* :func:`known_failure_message` turns the failures a user can meet and act on (another program
  writing the database, a full disk, a read-only file or folder, a pulled-out stick, a file in use…)
  into a sentence in the user's language. OS errors are translated by ``errno`` and keep the file
  name; SQLite errors by their result code. It returns ``None`` for anything else: that is a bug.
* :func:`write_crash_log` writes an unexpected error's traceback to ``logs/dudu-YYYY-MM-DD.log``
  beside the database (else in the per-user data folder, else the system's temporary folder) and
  returns the file's path, which the command line and the window show. One file per day, each
  kept under :data:`LOG_MAX_BYTES` (the older half moves to ``….log.1``), :data:`LOG_KEEP_DAYS`
  files kept.
* :func:`error_text` and :func:`sqlite_reason` fill ``{error}`` in a longer sentence (an OS error's
  sentence, why SQLite could not read a file); :func:`user_message` is all the window says about an
  exception: a refusal, a known failure, or a bug logged with :func:`write_crash_log`.

Used by the command line (``cli/__init__.py``: known → exit 1, unexpected → exit 3) and the window
(``ui/app.py``: ``sys.excepthook``). No Qt, no services: any layer may import it.
"""

from __future__ import annotations

import datetime as dt
import errno
import os
import sqlite3
import sys
import tempfile
import traceback
from pathlib import Path

from dudu_desktop import __version__
from dudu_desktop.domain.problems import Refused
from dudu_desktop.i18n import _
from dudu_desktop.paths import logs_dir

LOG_MAX_BYTES = 1_000_000
LOG_KEEP_DAYS = 14
LOG_PREFIX = "dudu-"

# SQLite primary result codes (the low byte of the extended code).
SQLITE_BUSY, SQLITE_LOCKED, SQLITE_READONLY, SQLITE_IOERR = 5, 6, 8, 10
SQLITE_CORRUPT, SQLITE_FULL, SQLITE_CANTOPEN, SQLITE_NOTADB = 11, 13, 14, 26


def locked_message() -> str:
    return _(
        "Another program or window is writing to this database; please try again in a moment. Nothing was changed."
    )


def database_full_message() -> str:
    return _("The disk is full: the database cannot grow. Free some space and try again; nothing was changed.")


def os_error_message(exc: OSError) -> str:
    """A sentence for the user about a failed file operation, by ``errno``, with the file name(s);
    never the system's (English) description."""
    code = exc.errno
    if getattr(exc, "winerror", None) in (32, 33):  # Windows: sharing or lock violation
        code = errno.EBUSY
    if code in (errno.ENOSPC, getattr(errno, "EDQUOT", -1)):
        text = _("The disk is full; free some space or use another USB stick.")
    elif code == errno.ENOENT or isinstance(exc, FileNotFoundError):
        text = _("The file or folder does not exist.")
    elif code == errno.EROFS:
        text = _("The disk or folder is read-only (a write-protected USB stick?); nothing can be written there.")
    elif code in (errno.EACCES, errno.EPERM) or isinstance(exc, PermissionError):
        text = _("Permission denied: this file or folder cannot be opened or written.")
    elif code == errno.EISDIR or isinstance(exc, IsADirectoryError):
        text = _("This is a folder, not a file.")
    elif code == errno.ENOTDIR or isinstance(exc, NotADirectoryError):
        text = _("A part of this path is a file, not a folder.")
    elif code == errno.EIO:
        text = _("The disk could not be read or written (input/output error): check the disk or USB stick.")
    elif code in (errno.EBUSY, errno.ETXTBSY):
        text = _("The file is in use by another program; close it and try again.")
    elif code == errno.ENAMETOOLONG:
        text = _("The file name or path is too long.")
    elif code == errno.EEXIST or isinstance(exc, FileExistsError):
        text = _("A file or folder of this name already exists.")
    elif code == errno.EXDEV:
        text = _("The file cannot be moved to another disk in one step.")
    elif code in (errno.EMFILE, errno.ENFILE):
        text = _("Too many files are open; close some programs and try again.")
    elif code == errno.ENOTEMPTY:
        text = _("The folder is not empty.")
    elif code in (errno.ENODEV, errno.ENXIO, getattr(errno, "ENOMEDIUM", -1)):
        text = _("The disk or USB stick is not there any more: plug it in again and try again.")
    else:
        text = _("The file could not be read or written (system error {code}).").format(
            code=errno.errorcode.get(code, code) if code is not None else type(exc).__name__
        )
    names = [str(n) for n in (exc.filename, getattr(exc, "filename2", None)) if n not in (None, "")]
    return " ".join([text, *names])


def sqlite_error_message(exc: sqlite3.Error) -> str | None:
    """A sentence for the SQLite failures a user can act on; ``None`` for anything else."""
    code = getattr(exc, "sqlite_errorcode", None)
    primary = code & 0xFF if isinstance(code, int) else None
    text = str(exc).lower()
    if primary in (SQLITE_BUSY, SQLITE_LOCKED) or "database is locked" in text or "database table is locked" in text:
        return locked_message()
    if primary == SQLITE_FULL or "database or disk is full" in text:
        return database_full_message()
    if primary == SQLITE_READONLY or "readonly database" in text:
        return _("The database file or its folder is read-only: nothing can be saved. Nothing was changed.")
    if primary == SQLITE_IOERR or "disk i/o error" in text:
        return _(
            "The database could not be read or written (disk I/O error): check the disk, then try again. "
            "Nothing was changed."
        )
    if primary == SQLITE_CANTOPEN or "unable to open database" in text:
        return _("The database file cannot be opened: its folder is missing, or it cannot be read or written.")
    if primary in (SQLITE_CORRUPT, SQLITE_NOTADB) or "malformed" in text or "not a database" in text:
        return _("The database file is damaged. Restore it from a backup (run `check` for details).")
    return None


def sqlite_reason(exc: sqlite3.Error) -> str:
    """Why SQLite could not read a file, as a short clause for ``({error})`` in a sentence (a backup
    being previewed, a database being opened): never SQLite's English text."""
    code = getattr(exc, "sqlite_errorcode", None)
    primary = code & 0xFF if isinstance(code, int) else None
    text = str(exc).lower()
    if primary in (SQLITE_CORRUPT, SQLITE_NOTADB) or "malformed" in text or "not a database" in text:
        return _("the file is damaged or is not a database")
    if primary in (SQLITE_BUSY, SQLITE_LOCKED) or "is locked" in text:
        return _("another program is writing to it")
    if primary == SQLITE_FULL or "disk is full" in text:
        return _("the disk is full")
    if primary == SQLITE_READONLY or "readonly" in text:
        return _("it is read-only")
    if primary == SQLITE_IOERR or "disk i/o error" in text:
        return _("the disk could not be read (input/output error)")
    if primary == SQLITE_CANTOPEN or "unable to open" in text:
        return _("it cannot be opened")
    return _("database error {code}").format(code=getattr(exc, "sqlite_errorname", None) or type(exc).__name__)


def known_failure_message(exc: BaseException | None) -> str | None:
    """The user's sentence for a known failure (OS or SQLite error, also when it is the cause of
    another exception); ``None`` when ``exc`` is unexpected."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, OSError):
            return os_error_message(exc)
        if isinstance(exc, sqlite3.Error):
            message = sqlite_error_message(exc)
            if message is not None:
                return message
        exc = exc.__cause__
    return None


def error_text(exc: BaseException) -> str:
    """For ``{error}`` in a message: the known sentence, else the exception's kind (never an English
    sentence from the system); a refusal's own sentences."""
    if isinstance(exc, Refused):
        return str(exc)
    return known_failure_message(exc) or type(exc).__name__


def user_message(exc: BaseException, *, db_path=None, where: str = "") -> str:
    """All the user is told about ``exc`` (the window's message boxes and status lines): a refusal's
    problems one a line; a known failure's sentence; anything else is a bug, its traceback written to
    the log (:func:`write_crash_log`) and the sentence names that file."""
    if isinstance(exc, Refused):
        return "\n".join(p.message for p in exc.problems)
    message = known_failure_message(exc)
    if message is None:
        message = unexpected_message(write_crash_log(exc, db_path=db_path, where=where))
    return message


def _log_candidates(db_path) -> list[Path]:
    folders = []
    if db_path:
        folders.append(logs_dir(db_path))
    folders.append(logs_dir())
    folders.append(Path(tempfile.gettempdir()) / "dudu-desktop-logs")
    return folders


def _rotate(folder: Path, today: Path) -> None:
    if today.exists() and today.stat().st_size > LOG_MAX_BYTES:
        os.replace(today, today.with_name(today.name + ".1"))
    days = sorted(p for p in folder.glob(f"{LOG_PREFIX}*.log") if p != today)
    for old in days[: max(0, len(days) - (LOG_KEEP_DAYS - 1))]:
        old.unlink(missing_ok=True)
        Path(str(old) + ".1").unlink(missing_ok=True)


def write_crash_log(exc: BaseException, *, db_path=None, where: str = "") -> Path | None:
    """Append ``exc``'s traceback to today's log file; its path, or ``None`` if no folder could take it."""
    now = dt.datetime.now()
    entry = (
        f"==== {now.isoformat(timespec='seconds')}  dudu-desktop {__version__}  pid {os.getpid()}\n"
        f"where: {where or ' '.join(sys.argv)}\n"
        f"python {sys.version.split()[0]}, sqlite {sqlite3.sqlite_version}, {sys.platform}\n"
        + "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        + "\n"
    )
    for folder in _log_candidates(db_path):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"{LOG_PREFIX}{now:%Y-%m-%d}.log"
            _rotate(folder, path)
            with open(path, "a", encoding="utf-8") as handle:
                handle.write(entry)
            return path
        except OSError:
            continue
    return None


def unexpected_message(log_path: Path | None) -> str:
    if log_path is None:
        return _(
            "An unexpected error stopped this action, and its details could not be saved either "
            "(is the disk full?). Please tell technical support what you were doing."
        )
    return _(
        "An unexpected error stopped this action. The details were written to {path}; please send this "
        "file to technical support."
    ).format(path=log_path)
