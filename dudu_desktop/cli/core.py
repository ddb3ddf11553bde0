"""Core commands: init, demo, stats, audit, check."""

from __future__ import annotations

import sys

from dudu_desktop.cli import EXIT_OK, EXIT_REFUSED, OPENED, print_json, trust
from dudu_desktop.cli.session import new_password, open_context
from dudu_desktop.domain.problems import Refused
from dudu_desktop.i18n import _
from dudu_desktop.paths import default_db_path
from dudu_desktop.services import audit, site, stats, users
from dudu_desktop.storage import db as storage


def add_commands(sub) -> None:
    p = sub.add_parser("init", help="set this PC up as a village or the township")
    p.add_argument("--role", required=True, choices=("village", "township"))
    p.add_argument("--code", required=True, help="12-digit statistical area code")
    p.add_argument("--name", required=True)
    p.add_argument("--township-code", default="")
    p.add_argument("--township-name", default="")
    p.add_argument(
        "--admin",
        metavar="NAME",
        help="create the first administrator account (password from DUDU_PASSWORD or a prompt)",
    )
    p.set_defaults(handler=cmd_init)

    p = sub.add_parser("demo", help="fill the database with a year of realistic demo records")
    p.add_argument("--year", type=int, default=2024)
    p.add_argument("--villages", type=int, default=5)
    p.add_argument("--seed", type=int, default=1)
    p.set_defaults(handler=cmd_demo)

    p = sub.add_parser("stats", help="the report figures for a year or a month")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--year", type=int)
    g.add_argument("--month", metavar="YYYY-MM")
    p.add_argument("--village", metavar="CODE")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(handler=cmd_stats)

    p = sub.add_parser("audit", help="the newest audit entries")
    p.add_argument("--limit", type=int, default=50)
    p.add_argument("--record", default=None)
    p.add_argument("--user", dest="audit_user", default=None)
    p.add_argument("--since", metavar="YYYY-MM-DD", default=None)
    p.add_argument("--until", metavar="YYYY-MM-DD", default=None, help="inclusive")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_audit)

    p = sub.add_parser("check", help="integrity and schema check; exit 1 if anything is wrong")
    p.set_defaults(handler=cmd_check)


def cmd_init(args) -> int:
    ctx = open_context(args, create=True)
    password = None
    if args.admin:  # the first admin's password is asked before anything is written
        first = not users.has_users(ctx.conn)  # later, DUDU_PASSWORD is the acting admin's own
        password = new_password(
            args.admin, env=("DUDU_PASSWORD", "DUDU_NEW_PASSWORD") if first else ("DUDU_NEW_PASSWORD",)
        )
        if first:
            ctx.user = args.admin
    with storage.transaction(ctx.conn):
        info = site.init_site(
            ctx,
            role=args.role,
            code=args.code,
            name=args.name,
            township_code=args.township_code,
            township_name=args.township_name,
        )
        if args.admin:
            trust.create_first_admin(ctx, args.admin, password)
    print(
        _("Set up {name} ({code}) in {path}").format(
            name=info["name"], code=info["code"], path=args.db or default_db_path()
        )
    )
    return EXIT_OK


def cmd_demo(args) -> int:
    from dudu_desktop.services import demo  # all the register services: only for this command

    ctx = open_context(args, create=True)
    counts = demo.generate(ctx, year=args.year, villages=args.villages, seed=args.seed)
    print(
        _(
            "Demo data created: {disputes} disputes, {trainings} sessions, {hotline} consultations, "
            "{publicity} publicity events."
        ).format(**counts)
    )
    return EXIT_OK


def cmd_stats(args) -> int:
    ctx = open_context(args)
    year = args.year if args.year or args.month else ctx.today().year
    figures = stats.compute_stats(ctx.conn, year=year, month=args.month, village=args.village)
    if args.json:
        print_json(figures)
    else:
        d, t, h, p = figures["disputes"], figures["trainings"], figures["hotline"], figures["publicity"]
        print(_("Disputes: {total}, open {open}, concluded {closed}, overdue {overdue}").format(**d))
        print(_("Training sessions: {sessions}, attendances {attendances}").format(**t))
        print(_("Consultations: {consultations}, hotline calls {calls}").format(**h))
        print(_("Publicity events: {events}, audience {audience}").format(**p))
    return EXIT_OK


def cmd_audit(args) -> int:
    ctx = open_context(args, create=False)
    rows = audit.entries(
        ctx.conn, record_id=args.record, user=args.audit_user, since=args.since, until=args.until, limit=args.limit
    )
    if args.json:
        print_json(rows)
    else:
        for r in rows:
            print(f"{r['seq']:>6}  {r['at']}  {r['user']:<10} {r['action']:<16} {r['table_name']} {r['record_id']}")
    return EXIT_OK


def cmd_check(args) -> int:
    # No log-in: check only reads, and it must still speak when the accounts were removed outside
    # the program (then nobody can log in; see services.users.accounts_expected).
    try:
        conn = storage.open_database(args.db or default_db_path(), create=False)
    except Refused as exc:
        for problem in exc.problems:
            print(problem.message, file=sys.stderr)
        return EXIT_REFUSED
    OPENED.append(conn)
    damage = storage.integrity_problems(conn)
    problems = [
        _("The database file is damaged (SQLite's own check): {detail}").format(detail=p)
        for p in damage
        if not p.startswith("foreign key:")
    ]
    problems += [
        _("A row refers to a record that does not exist (foreign key): {detail}").format(
            detail=p.removeprefix("foreign key:").strip()
        )
        for p in damage
        if p.startswith("foreign key:")
    ]
    problems += audit.check(conn)
    if site.site(conn) is None:
        problems.append(_("This database is not set up yet: run init first."))
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        return EXIT_REFUSED
    print(_("The database is intact (schema {version}).").format(version=storage.schema_version(conn)))
    return EXIT_OK
