"""Attachment commands (issue 16):

    attach --register R --id ID|编号 FILE... [--kind K] [--caption TEXT]
    attachments --register R --id ID|编号 [--voided] [--json]
    detach --register R --id ID|编号 --attachment SHA --reason TEXT

``--attachment`` takes the file's SHA-256 (or its first 8+ characters, as ``attachments`` prints it)
or the attachment's id. Photos (JPEG/PNG) and scans (PDF) only; a refused file (HEIC, damaged, too
large, not what its name says) exits 1 with the reason and nothing is attached.
"""

from __future__ import annotations

from dudu_desktop.cli import EXIT_OK, print_json
from dudu_desktop.cli.session import open_context

REGISTERS = ("disputes", "trainings", "hotline", "publicity")  # = domain.fields.REGISTER_TABLES
KINDS = ("签字协议书", "签到表", "现场照片", "申请书", "调解笔录", "回访记录", "其他")  # = domain.attachments


def _record_args(p) -> None:
    p.add_argument("--register", required=True, choices=REGISTERS)
    p.add_argument("--id", required=True, metavar="ID", help="the record's id or its number (e.g. 2024-011)")
    p.add_argument("--village", metavar="CODE", help="at the township: the village whose number it is")


def add_commands(sub) -> None:
    p = sub.add_parser("attach", help="attach photos (JPEG/PNG) or scans (PDF) to a record")
    _record_args(p)
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--kind", choices=KINDS, help="default: 现场照片 for a photo, 其他 for a PDF")
    p.add_argument("--caption", default="", metavar="TEXT")
    p.set_defaults(handler=cmd_attach)

    p = sub.add_parser("attachments", help="list a record's attachments")
    _record_args(p)
    p.add_argument("--voided", action="store_true", help="also the voided ones (marked)")
    p.add_argument("--json", action="store_true", help='print {"attachments": [{"sha256", "kind", ...}]}')
    p.set_defaults(handler=cmd_list)

    p = sub.add_parser("detach", help="void (作废) an attachment with a reason (it stays in the file, audited)")
    _record_args(p)
    p.add_argument("--attachment", required=True, metavar="SHA", help="its SHA-256 (8+ characters) or id")
    p.add_argument("--reason", required=True, metavar="TEXT")
    p.set_defaults(handler=cmd_detach)


def _target(args, ctx) -> tuple[str, str]:
    from dudu_desktop.services import listing

    table = listing.table_of(args.register)
    return table, listing.resolve_id(ctx.conn, args.register, args.id, village=args.village)


def cmd_attach(args) -> int:
    from dudu_desktop.i18n import _
    from dudu_desktop.services import attachments

    ctx = open_context(args)
    table, record_id = _target(args, ctx)
    rows = attachments.add_paths(ctx, table, record_id, args.files, kind=args.kind, caption=args.caption)
    for row in rows:
        print(_("Attached {name} ({sha}).").format(name=row["file_name"], sha=row["sha256"][:12]))
    return EXIT_OK


def _size(row: dict) -> str:
    from dudu_desktop.i18n import _

    if row["pages"]:
        return _("{n} pages").format(n=row["pages"])
    if row["width"]:
        return f"{row['width']}×{row['height']}"
    return ""


def cmd_list(args) -> int:
    from dudu_desktop.i18n import _
    from dudu_desktop.services import attachments

    ctx = open_context(args)
    table, record_id = _target(args, ctx)
    rows = [
        attachments.public_row(r) for r in attachments.list_for(ctx.conn, table, record_id, include_voided=args.voided)
    ]
    if args.json:
        print_json({"attachments": rows})
        return EXIT_OK
    for r in rows:
        mark = [_("[voided]")] if r["voided"] else []
        print(
            "  ".join(
                [
                    r["sha256"][:12],
                    *mark,
                    r["kind"],
                    r["file_name"],
                    f"{r['size'] / 1024:.0f} KB",
                    _size(r),
                    r["caption"],
                ]
            ).rstrip()
        )
    print(_("{count} attachments").format(count=len(rows)))
    return EXIT_OK


def cmd_detach(args) -> int:
    from dudu_desktop.i18n import _
    from dudu_desktop.services import attachments

    ctx = open_context(args)
    table, record_id = _target(args, ctx)
    row = attachments.find(ctx.conn, table, record_id, args.attachment)
    attachments.void(ctx, row["id"], args.reason)
    print(_("Voided the attachment {name} ({sha}).").format(name=row["file_name"], sha=row["sha256"][:12]))
    return EXIT_OK
