"""Record commands: list a register, void (作废) a record and restore it (issue 12).

    list --register R [--year Y | --month YYYY-MM] [--village CODE] [--search TEXT] [--deleted] [--json]
    delete --register R --id ID|编号 --reason TEXT
    undelete --register R --id ID|编号 --reason TEXT [--village CODE]

``--id`` takes the record's id or its 编号 (a dispute's serial number such as 2024-011; for the
other registers the first 8 characters of the id, as ``list`` prints them). ``list`` masks the
people's personal data as printing does. A refusal (a clerk voiding an exported record, no
reason…) exits 1 with the reason on stderr.
"""

from __future__ import annotations

from dudu_desktop.cli import EXIT_OK, print_json
from dudu_desktop.cli.session import open_context

REGISTERS = ("disputes", "trainings", "hotline", "publicity")  # = domain.fields.REGISTER_TABLES (tested)


def add_commands(sub) -> None:
    p = sub.add_parser("list", help="list a register's records with their id and number (masked)")
    p.add_argument("--register", required=True, choices=REGISTERS)
    g = p.add_mutually_exclusive_group()
    g.add_argument("--year", type=int)
    g.add_argument("--month", metavar="YYYY-MM")
    p.add_argument("--village", metavar="CODE")
    p.add_argument("--search", metavar="TEXT")
    p.add_argument("--deleted", action="store_true", help="also list the voided records (marked)")
    p.add_argument("--json", action="store_true", help='print {"rows": [{"id": …, "number": …, …}]}')
    p.set_defaults(handler=cmd_list)

    for name, handler, text in (
        (
            "delete",
            cmd_delete,
            "void (作废) a record: it stays in the file, audited, and drops out of every list and figure",
        ),
        ("undelete", cmd_undelete, "restore a voided record (administrators)"),
    ):
        p = sub.add_parser(name, help=text)
        p.add_argument("--register", required=True, choices=REGISTERS)
        p.add_argument("--id", required=True, metavar="ID", help="the record's id or its number (e.g. 2024-011)")
        p.add_argument("--village", metavar="CODE", help="at the township: the village whose number it is")
        p.add_argument("--reason", required=True, metavar="TEXT")
        p.set_defaults(handler=handler)


def cmd_list(args) -> int:
    from dudu_desktop.i18n import _
    from dudu_desktop.services import listing, stats
    from dudu_desktop.storage.queries import Filters

    ctx = open_context(args)
    f = Filters(village=args.village, search=(args.search or "").strip() or None, include_deleted=args.deleted)
    if args.month:
        stats.period_bounds(month=args.month)  # refuses a malformed month
        f = f.with_(month=args.month)
    elif args.year:
        f = f.with_(date_from=f"{args.year:04d}-01-01", date_to=f"{args.year:04d}-12-31")
    rows = listing.list_rows(ctx.conn, args.register, f)
    if args.json:
        print_json({"rows": rows})
        return EXIT_OK
    for r in rows:
        fields = [str(r[k]) for k in listing.MAIN_FIELDS[args.register] if r.get(k) not in (None, "")]
        mark = [_("[voided]")] if r["deleted"] else []
        print("  ".join([r["id"], r["number"], r["village"], *mark, *fields]).replace("\n", " "))
    print(_("{count} records").format(count=len(rows)))
    return EXIT_OK


def _target(args, ctx, *, deleted: bool) -> tuple[str, str]:
    from dudu_desktop.services import listing

    table = listing.table_of(args.register)
    return table, listing.resolve_id(ctx.conn, args.register, args.id, village=args.village, include_deleted=deleted)


def cmd_delete(args) -> int:
    from dudu_desktop.i18n import _
    from dudu_desktop.services import records

    ctx = open_context(args)
    table, record_id = _target(args, ctx, deleted=False)
    records.delete_record(ctx, table, record_id, reason=args.reason)
    print(_("Voided {id}.").format(id=record_id))
    return EXIT_OK


def cmd_undelete(args) -> int:
    from dudu_desktop.i18n import _
    from dudu_desktop.services import records

    ctx = open_context(args)
    table, record_id = _target(args, ctx, deleted=True)
    records.restore_record(ctx, table, record_id, reason=args.reason)
    print(_("Restored {id}.").format(id=record_id))
    return EXIT_OK
