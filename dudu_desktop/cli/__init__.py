"""``dudu-desktop``: the command line. Each subsystem adds its commands in its own module
(listed in :data:`COMMAND_MODULES`); every command calls the same services as the window.

Exit status: 0 done; 1 refused input (a clear message on stderr, nothing changed); 2 wrong usage;
3 an unexpected error (a bug): a Chinese message on stderr naming the log file that holds the
traceback (``logs/`` beside the database, see :mod:`dudu_desktop.failures`).

Known failures (another program writing the database, a full disk, a read-only file or folder, a
missing file…) are refusals like any other: one sentence on stderr, exit 1. The mapping lives in
:mod:`dudu_desktop.failures`, shared with the window.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys

from dudu_desktop import __version__
from dudu_desktop.domain.problems import Refused
from dudu_desktop.failures import (
    known_failure_message,
    os_error_message,  # noqa: F401 - used by the command modules
    unexpected_message,
    write_crash_log,
)
from dudu_desktop.i18n import _
from dudu_desktop.paths import default_db_path

COMMAND_MODULES = (
    "dudu_desktop.cli.core",
    "dudu_desktop.cli.trust",
    "dudu_desktop.cli.sync",
    "dudu_desktop.cli.reports",
    "dudu_desktop.cli.records",
    "dudu_desktop.cli.attachments",
)

EXIT_OK, EXIT_REFUSED, EXIT_USAGE, EXIT_UNEXPECTED = 0, 1, 2, 3


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dudu-desktop", description="都督乡法治工作台账 (Dudu Desktop)")
    parser.add_argument("--version", action="version", version=f"dudu-desktop {__version__}")
    parser.add_argument(
        "--db", metavar="FILE", help="database file (default: the per-user data folder, or $DUDU_HOME/dudu.sqlite3)"
    )
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
    except Exception as exc:  # noqa: BLE001 - every failure ends in a sentence, never a traceback
        message = known_failure_message(exc)  # a locked database, a full disk, a read-only folder…
        if message is not None:
            print(_("Refused: {message}").format(message=message), file=sys.stderr)
            return EXIT_REFUSED
        log = write_crash_log(
            exc, db_path=getattr(args, "db", None) or default_db_path(), where="dudu-desktop " + " ".join(argv)
        )
        print(unexpected_message(log), file=sys.stderr)
        return EXIT_UNEXPECTED
    finally:
        close_opened()


#: Databases a command opened (closed when it ends, so nothing is left to checkpoint later).
OPENED: list = []


def close_opened() -> None:
    while OPENED:
        try:
            OPENED.pop().close()
        except Exception:  # noqa: BLE001 - closing is best effort; the data is already committed
            pass


def env_user(args) -> str:
    return args.user or os.environ.get("DUDU_USER") or "admin"
