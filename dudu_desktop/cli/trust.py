"""Accounts and backups on the command line: ``user add|passwd|list|disable|enable``, ``backup``,
``restore``, and the keys of sealed bundles: ``register-village`` (township) and ``import-registration``
(village).

The log-in every command goes through, and the prompts for passwords, are in
:mod:`dudu_desktop.cli.session`.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from dudu_desktop.cli import EXIT_OK, EXIT_REFUSED, print_json
from dudu_desktop.cli.session import ask_password, logged_in_context, new_password, open_context
from dudu_desktop.domain.problems import Problem, Refused
from dudu_desktop.domain.vocab import Role
from dudu_desktop.i18n import _
from dudu_desktop.paths import default_db_path
from dudu_desktop.services import backup, users
from dudu_desktop.services.context import Context
from dudu_desktop.storage import db as storage


def create_first_admin(ctx: Context, name: str, password: str, display_name: str = "") -> users.User:
    """``init --admin NAME``: the first account (inside init's transaction)."""
    if users.has_users(ctx.conn):
        ctx.require(users.Permission.ADMINISTER)
    return users.create_user(ctx, name, password, Role.ADMIN, display_name=display_name)


def add_commands(sub) -> None:
    p = sub.add_parser("user", help="accounts on this PC: add, passwd, list, disable, enable")
    usub = p.add_subparsers(dest="user_command", metavar="ACTION", required=True)
    q = usub.add_parser("add", help="add an account (admin); password from DUDU_NEW_PASSWORD or a prompt")
    q.add_argument("name")
    q.add_argument("--role", required=True, help="管理员/录入员/只读/乡镇审核员 (or admin/clerk/viewer/reviewer)")
    q.add_argument("--display-name", default="")
    q.set_defaults(handler=cmd_user_add)
    q = usub.add_parser("passwd", help="change your password, or (admin) reset another's")
    q.add_argument("name")
    q.set_defaults(handler=cmd_user_passwd)
    q = usub.add_parser("list", help="the accounts")
    q.add_argument("--json", action="store_true")
    q.set_defaults(handler=cmd_user_list)
    for action in ("disable", "enable"):
        q = usub.add_parser(action, help=f"{action} an account (admin)")
        q.add_argument("name")
        q.set_defaults(handler=cmd_user_disable if action == "disable" else cmd_user_enable)

    p = sub.add_parser("backup", help="a copy of the database (admin: to --out FILE or folder, e.g. a USB stick)")
    p.add_argument("--out", metavar="FILE", help="file or folder; default: the backups folder beside the database")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_backup)

    p = sub.add_parser(
        "restore", help="replace the database with a backup (admin); the current state is backed up first"
    )
    p.add_argument("file")
    p.add_argument("--preview", action="store_true", help="only show what the backup holds")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_restore)

    p = sub.add_parser(
        "register-village",
        help="township admin: register (or re-key) a village and write its registration file for the USB stick",
    )
    p.add_argument("--code", required=True, help="the village's 12-digit code")
    p.add_argument("--name", required=True)
    p.add_argument("--out", required=True, metavar="FILE", help="registration file (or a folder for it)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_register_village)

    p = sub.add_parser("import-registration", help="village admin: import the registration file from the township")
    p.add_argument("file")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_import_registration)


def _context(args) -> Context:
    return open_context(args)


def _user_row(u: users.User) -> dict:
    return {
        "username": u.username,
        "display_name": u.display_name,
        "role": u.role.value,
        "disabled": u.disabled,
        "locked_until": u.locked_until,
        "must_change_password": u.must_change_password,
    }


def cmd_user_add(args) -> int:
    ctx = _context(args)
    role = users.parse_role(args.role)
    if users.has_users(ctx.conn):
        from dudu_desktop.domain.vocab import Permission

        ctx.require(Permission.ADMINISTER)  # before asking for a password
    user = users.create_user(ctx, args.name, new_password(args.name), role, display_name=args.display_name)
    print(_("Account {name} ({role}) added.").format(name=user.username, role=user.role.value))
    return EXIT_OK


def cmd_user_passwd(args) -> int:
    ctx = _context(args)
    if users.get_user(ctx.conn, args.name) is None:
        raise Refused(Problem("username", _("No such user: {name}").format(name=args.name)))
    if args.name == ctx.user:
        old = os.environ.get("DUDU_PASSWORD")
        if old is None:
            old = ask_password(_("Current password: "))
        users.change_own_password(ctx, old, new_password(args.name))
    else:
        from dudu_desktop.domain.vocab import Permission

        ctx.require(Permission.ADMINISTER)
        users.reset_password(ctx, args.name, new_password(args.name))
    print(_("The password of {name} was changed.").format(name=args.name))
    return EXIT_OK


def cmd_user_list(args) -> int:
    ctx = _context(args)
    rows = [_user_row(u) for u in users.list_users(ctx.conn)]
    if args.json:
        print_json(rows)
    else:
        for r in rows:
            flags = (_("disabled") if r["disabled"] else "") + (
                " " + _("locked until {time}").format(time=r["locked_until"]) if r["locked_until"] else ""
            )
            print(f"{r['username']:<16} {r['role']:<8} {r['display_name']:<12} {flags}".rstrip())
    return EXIT_OK


def cmd_user_disable(args) -> int:
    users.disable_user(_context(args), args.name)
    print(_("Account {name} disabled.").format(name=args.name))
    return EXIT_OK


def cmd_user_enable(args) -> int:
    users.enable_user(_context(args), args.name)
    print(_("Account {name} enabled.").format(name=args.name))
    return EXIT_OK


def cmd_backup(args) -> int:
    ctx = _context(args)
    path = backup.backup_to(ctx, args.out) if args.out else backup.make_backup(ctx, "manual")
    if args.json:
        print_json({"file": str(path)})
    else:
        print(_("Backup written: {path}").format(path=path))
    return EXIT_OK


def _print_preview(info: dict) -> None:
    site = info.get("site") or {}
    print(_("Backup: {path}").format(path=info["path"]))
    print(_("Belongs to: {name} ({code})").format(name=site.get("name", "?"), code=site.get("code", "?")))
    print(
        _("Schema version: {version}; intact: {ok}").format(
            version=info["schema_version"], ok=_("yes") if info["integrity_ok"] else _("no")
        )
    )
    print(
        _("Disputes {disputes}, sessions {trainings}, consultations {hotline}, publicity events {publicity}").format(
            **{k: info["counts"].get(k, 0) for k in ("disputes", "trainings", "hotline", "publicity")}
        )
    )
    if info["date_range"]:
        print(
            _("Records dated {first} to {last}; last change {changed}").format(
                first=info["date_range"][0], last=info["date_range"][1], changed=info["last_change"]
            )
        )
    for problem in info["problems"]:
        print(problem, file=sys.stderr)


def cmd_restore(args) -> int:
    info = backup.preview_backup(args.file)
    if args.preview:
        print_json(info) if args.json else _print_preview(info)
        return EXIT_OK if not backup.usable_problems(info) else EXIT_REFUSED
    try:
        ctx = _context(args)
    except storage.DatabaseDamaged:
        # The live file cannot even be opened: log in against the backup and put it in place.
        db_path = Path(args.db or default_db_path())
        login = lambda conn: logged_in_context(args, conn, auto_backup=False)  # noqa: E731
        result = backup.restore_over_damaged(db_path, args.file, login)
    else:
        result = backup.restore(ctx, args.file)
    if args.json:
        print_json(result)
    else:
        _print_preview(result)
        print(_("Restored. The state before was saved as {path}").format(path=result.get("saved_before")))
    return EXIT_OK


def cmd_register_village(args) -> int:
    from dudu_desktop.sync import keys

    reg = keys.register_village(_context(args), args.code, args.name, args.out)
    if args.json:
        print_json(
            {
                "file": str(reg.path),
                "village_code": reg.village_code,
                "village_key": reg.village_key,
                "township_key": reg.township_key,
                "retired": reg.rekeyed,
            }
        )
        return EXIT_OK
    print(str(reg.path))
    if reg.rekeyed:
        print(
            _(
                "Village {name} ({code}) was given a new key {key}; bundles signed with its old key ({old}) "
                "are refused from now on."
            ).format(name=reg.village_name, code=reg.village_code, key=reg.village_key, old="、".join(reg.rekeyed)),
            file=sys.stderr,
        )
    else:
        print(
            _("Village {name} ({code}) registered with key {key}.").format(
                name=reg.village_name, code=reg.village_code, key=reg.village_key
            ),
            file=sys.stderr,
        )
    print(
        _(
            "The registration file holds the village's private signing key: carry it by hand, import it at the "
            "village, then delete it from the stick."
        ),
        file=sys.stderr,
    )
    return EXIT_OK


def cmd_import_registration(args) -> int:
    from dudu_desktop.sync import keys

    reg = keys.import_registration(_context(args), args.file)
    if args.json:
        print_json(reg.__dict__)
        return EXIT_OK
    print(
        _(
            "Registration imported: bundles of village {code} are now signed with key {key} and sealed for "
            "{township} (key {township_key}). Delete the registration file from the stick."
        ).format(code=reg.village_code, key=reg.village_key, township=reg.township_name, township_key=reg.township_key)
    )
    return EXIT_OK
