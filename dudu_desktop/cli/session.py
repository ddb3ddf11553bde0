"""Opening the database for a command, and the log-in every command goes through.

:func:`open_context` opens (and migrates) the file named by ``--db`` and logs in. Log-in: while the
database has no account (created before accounts existed, or ``init`` without ``--admin``) commands
act as ``--user`` / ``DUDU_USER`` with the admin role, as before. Once any account exists, every command acts as the
user named by ``--user`` or ``DUDU_USER``, authenticated by ``DUDU_PASSWORD`` or a prompt; with
no terminal to prompt on, the command stops (exit 1). A user whose password an administrator reset
may run nothing but ``user passwd <own name>`` until it is changed. A new password (``init --admin``,
``user add``, ``user passwd``) comes from ``DUDU_NEW_PASSWORD`` (``init --admin``: also
``DUDU_PASSWORD``) or a prompt asked twice.

Used by every command module (``cli/core.py``, ``cli/trust.py``, ``cli/sync.py``…); it imports none of them.
"""

from __future__ import annotations

import getpass
import os
import sys

from dudu_desktop.cli import OPENED, env_user
from dudu_desktop.domain.problems import Problem, Refused
from dudu_desktop.domain.vocab import Role
from dudu_desktop.failures import error_text
from dudu_desktop.i18n import _
from dudu_desktop.paths import default_db_path
from dudu_desktop.services import backup, users
from dudu_desktop.services.context import Context
from dudu_desktop.storage import db as storage


def open_context(args, *, create: bool = False) -> Context:
    """The database named by ``--db`` (or the default), opened and migrated, with the acting user.
    Only ``init`` and ``demo`` pass ``create=True``: any other command on a missing file (a typo in
    ``--db``) is refused naming the file, and nothing is created (issue 11)."""
    path = args.db or default_db_path()
    conn = storage.open_database(path, create=create)
    OPENED.append(conn)
    # Accounts (issue 6): with no account yet, act as --user/DUDU_USER with the admin role (as before
    # accounts existed); once any account exists, log in with DUDU_PASSWORD or a prompt. Then the
    # daily automatic backup.
    return logged_in_context(args, conn)


def _interactive() -> bool:
    try:
        return sys.stdin is not None and sys.stdin.isatty()
    except (AttributeError, ValueError):
        return False


def ask_password(prompt: str) -> str:
    if not _interactive():
        raise Refused(_("A password is needed: set DUDU_PASSWORD, or run the command in a terminal to be asked."))
    return getpass.getpass(prompt)


def new_password(name: str, *, env: tuple[str, ...] = ("DUDU_NEW_PASSWORD",)) -> str:
    """A new password for ``name``: from the environment, or asked twice; checked for length."""
    for var in env:
        if os.environ.get(var):
            password = os.environ[var]
            break
    else:
        if not _interactive():
            raise Refused(
                _(
                    "A new password is needed for {name}: set {var}, or run the command in a terminal to be asked."
                ).format(name=name, var=env[0])
            )
        password = getpass.getpass(_("New password for {name}: ").format(name=name))
        problems = users.password_problems(password)
        if problems:
            raise Refused(problems)
        if getpass.getpass(_("Repeat the password: ")) != password:
            raise Refused(_("The two passwords differ; nothing was changed."))
    problems = users.password_problems(password)
    if problems:
        raise Refused(problems)
    return password


def logged_in_context(args, conn, *, auto_backup: bool = True) -> Context:
    """The acting user's context (see the module's docstring), then the daily automatic backup."""
    if not users.has_users(conn):
        ctx = Context(conn=conn, user=env_user(args), role=Role.ADMIN)
    else:
        name = args.user or os.environ.get("DUDU_USER")
        if not name:
            if not _interactive():
                raise Refused(
                    _(
                        "This database has accounts: name the user with --user or DUDU_USER "
                        "(and the password in DUDU_PASSWORD)."
                    )
                )
            name = input(_("User name: ")).strip()
        password = os.environ.get("DUDU_PASSWORD")
        if password is None:
            password = ask_password(_("Password for {name}: ").format(name=name))
        user = users.authenticate(conn, name, password)
        ctx = user.context(conn)
        if user.must_change_password and not _changes_own_password(args, user.username):
            # issue 11: after a reset, nothing but `user passwd <self>` until the password is changed
            raise Refused(
                Problem(
                    "password",
                    _(
                        "Your password was reset by an administrator and must be changed before anything else: run "
                        "`dudu-desktop user passwd {name}` with the current password in DUDU_PASSWORD and the new one "
                        "in DUDU_NEW_PASSWORD (or in a terminal, to be asked). Every other command is refused until "
                        "then."
                    ).format(name=user.username),
                )
            )
    try:
        if auto_backup:
            backup.auto_backup_if_due(ctx)
    except Exception as exc:  # noqa: BLE001 — a failed automatic copy must not stop the work
        print(_("Warning: the automatic backup failed ({error}).").format(error=error_text(exc)), file=sys.stderr)
    return ctx


def _changes_own_password(args, username: str) -> bool:
    """Whether the command is ``user passwd <the logged-in user>``."""
    return (
        getattr(args, "command", None) == "user"
        and getattr(args, "user_command", None) == "passwd"
        and getattr(args, "name", None) == username
    )
