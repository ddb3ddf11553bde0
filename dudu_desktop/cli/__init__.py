"""``dudu-desktop``: the command line. Each subsystem adds its commands in its own module
(listed in :data:`COMMAND_MODULES`); every command calls the same services as the window.

Exit status: 0 done; 1 refused input (a clear message on stderr, nothing changed); 2 wrong usage.
"""

from __future__ import annotations

import argparse
import errno
import importlib
import json
import os
import sys

from dudu_desktop import __version__
from dudu_desktop.domain.problems import Refused
from dudu_desktop.i18n import _

COMMAND_MODULES = ("dudu_desktop.cli.core", "dudu_desktop.cli.trust", "dudu_desktop.cli.sync",
                   "dudu_desktop.cli.reports")

EXIT_OK, EXIT_REFUSED, EXIT_USAGE = 0, 1, 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dudu-desktop", description="都督乡法治工作台账 (Dudu Desktop)")
    parser.add_argument("--version", action="version", version=f"dudu-desktop {__version__}")
    parser.add_argument("--db", metavar="FILE", help="database file (default: the per-user data folder, "
                                                     "or $DUDU_HOME/dudu.sqlite3)")
    parser.add_argument("--user", default=None, help="act as this user (default: $DUDU_USER)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).add_commands(sub)
    return parser


def print_json(value) -> None:
    sys.stdout.write(json.dumps(value, ensure_ascii=False, indent=2, sort_keys=False, default=str) + "\n")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        from dudu_desktop.ui.app import run_gui  # Qt is imported only for the window
        return run_gui(db_path=args.db)
    try:
        return args.handler(args) or EXIT_OK
    except Refused as exc:
        for problem in exc.problems:
            print(_("Refused: {message}").format(message=problem.message), file=sys.stderr)
        return EXIT_REFUSED
    except KeyboardInterrupt:
        return EXIT_REFUSED
    except OSError as exc:          # a missing file, no permission, a full disk, a stick pulled out
        print(_("Refused: {message}").format(message=os_error_message(exc)), file=sys.stderr)
        return EXIT_REFUSED
    finally:
        close_opened()


#: Databases a command opened (closed when it ends, so nothing is left to checkpoint later).
OPENED: list = []


def close_opened() -> None:
    while OPENED:
        try:
            OPENED.pop().conn.close()
        except Exception:  # noqa: BLE001 - closing is best effort; the data is already committed
            pass


def os_error_message(exc: OSError) -> str:
    """A sentence for the user about a failed file operation (no traceback)."""
    name = exc.filename if exc.filename is not None else ""
    if exc.errno == errno.ENOSPC:
        text = _("The disk is full; free some space or use another USB stick.")
    elif isinstance(exc, FileNotFoundError):
        text = _("The file or folder does not exist.")
    elif isinstance(exc, PermissionError):
        text = _("Permission denied: this file or folder cannot be opened or written.")
    elif isinstance(exc, IsADirectoryError):
        text = _("This is a folder, not a file.")
    else:
        text = _("The file could not be read or written ({error}).").format(error=exc.strerror or exc)
    return f"{text} {name}".rstrip()


def env_user(args) -> str:
    return args.user or os.environ.get("DUDU_USER") or "admin"
