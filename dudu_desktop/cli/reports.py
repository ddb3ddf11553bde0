"""``report`` commands: ledgers (.pdf/.xlsx/.csv), the mediation agreement, sign-in sheets,
the annual report, and the annual report's narrative texts.

    report ledger --register disputes|trainings|hotline|publicity --month YYYY-MM
                  [--village CODE] --out FILE.pdf|FILE.xlsx|FILE.csv [--unmasked] [--date YYYY-MM-DD] [--photos]
    report agreement --dispute ID --out FILE.pdf [--draft] [--unmasked]
    report signin --training ID --out FILE.pdf [--after [--date YYYY-MM-DD]]
    report annual --year YYYY [--village CODE] --out FILE.pdf [--date YYYY-MM-DD] [--photos]
    report texts --year YYYY [--village CODE] [--set FILE.json | --reset]
    report dossier --dispute ID --out FILE.pdf [--unmasked] [--retention TEXT]

Every file is written atomically; the same data gives the same PDF bytes.
"""

from __future__ import annotations

import sys

from dudu_desktop.cli import EXIT_OK, print_json
from dudu_desktop.cli.session import open_context
from dudu_desktop.i18n import _

# reportlab, pypdfium2 and the report modules are imported by the handlers, not when the parser is
# built: every command builds this parser (issue 14).
LEDGER_REGISTERS = ("disputes", "trainings", "hotline", "publicity")  # = reports.data.LEDGER_REGISTERS (tested)


def add_commands(sub) -> None:
    report = sub.add_parser("report", help="print ledgers, agreements, sign-in sheets and the annual report")
    rsub = report.add_subparsers(dest="report_command", metavar="DOCUMENT", required=True)

    p = rsub.add_parser("ledger", help="a month's ledger of one register as PDF, XLSX or CSV")
    p.add_argument("--register", required=True, choices=LEDGER_REGISTERS)
    p.add_argument("--month", required=True, metavar="YYYY-MM")
    p.add_argument("--village", metavar="CODE", help="one village (default: this village, or the whole township)")
    p.add_argument("--out", required=True, metavar="FILE", help="FILE.pdf, FILE.xlsx or FILE.csv")
    p.add_argument("--unmasked", action="store_true", help="full personal data (needs the permission; audited)")
    p.add_argument("--date", metavar="YYYY-MM-DD", help="填报日期 (default: left blank to fill in by hand)")
    p.add_argument("--photos", action="store_true", help="publicity: each event's photo on the pages after the table")
    p.set_defaults(handler=cmd_ledger)

    p = rsub.add_parser("agreement", help="the people's mediation agreement of a dispute")
    p.add_argument("--dispute", required=True, metavar="ID", help="the dispute's id or its number (2024-011)")
    p.add_argument("--out", required=True, metavar="FILE.pdf")
    p.add_argument("--draft", action="store_true", help="a draft for a case still being mediated")
    p.add_argument(
        "--unmasked",
        action="store_true",
        help="the parties' full names, phones, ID numbers and addresses (needs the permission; audited)",
    )
    p.set_defaults(handler=cmd_agreement)

    p = rsub.add_parser(
        "dossier",
        help="the dispute's dossier (卷宗): cover, contents, register form, "
        "mediation record, agreement, follow-ups and every attachment",
    )
    p.add_argument("--dispute", required=True, metavar="ID", help="the dispute's id or its number (2024-011)")
    p.add_argument("--out", required=True, metavar="FILE.pdf")
    p.add_argument("--unmasked", action="store_true", help="full personal data (needs the permission; audited)")
    p.add_argument("--retention", default="长期", metavar="TEXT", help="保管期限 (default: 长期)")
    p.set_defaults(handler=cmd_dossier)

    p = rsub.add_parser("signin", help="a training session's sign-in sheet")
    p.add_argument("--training", required=True, metavar="ID")
    p.add_argument("--out", required=True, metavar="FILE.pdf")
    p.add_argument("--after", action="store_true", help="who attended, with sign-in times and exam results")
    p.add_argument("--date", metavar="YYYY-MM-DD", help="填表日期 of the attendance record (default: blank)")
    p.set_defaults(handler=cmd_signin)

    p = rsub.add_parser("annual", help="the annual report (GB/T 9704 layout)")
    p.add_argument("--year", required=True, type=int)
    p.add_argument("--village", metavar="CODE")
    p.add_argument("--out", required=True, metavar="FILE.pdf")
    p.add_argument(
        "--date", metavar="YYYY-MM-DD", help="成文日期 (default: the day the report's texts were saved, else today)"
    )
    p.add_argument(
        "--photos",
        action="store_true",
        help="add 附件：活动照片, one photo per publicity event (the chosen one, else its first 现场照片)",
    )
    p.set_defaults(handler=cmd_annual)

    p = rsub.add_parser("texts", help="the annual report's narrative: show (JSON), set from a JSON file, reset")
    p.add_argument("--year", required=True, type=int)
    p.add_argument("--village", metavar="CODE")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--set", dest="set_file", metavar="FILE.json", help='{"measures": "…", …}')
    g.add_argument("--reset", action="store_true", help="back to the template")
    p.set_defaults(handler=cmd_texts)


def _done(path: str, pages: int | None) -> int:
    from dudu_desktop.reports import documents

    print(documents.written_message(path, pages))
    return EXIT_OK


def cmd_ledger(args) -> int:
    from dudu_desktop.reports import documents

    ctx = open_context(args, create=False)
    pages = documents.write_ledger(
        ctx,
        args.out,
        register=args.register,
        month=args.month,
        village=args.village,
        unmasked=args.unmasked,
        filled_on=args.date,
        photos=args.photos,
    )
    if args.unmasked and str(args.out).lower().endswith(".csv"):
        print(
            _(
                "Tip: for full ID numbers and phones an .xlsx file is safer; in this CSV they are written as "
                "=\"…\" so that Excel, WPS and LibreOffice keep every digit."
            ),
            file=sys.stderr,
        )
    return _done(args.out, pages)


def cmd_agreement(args) -> int:
    from dudu_desktop.reports import documents

    ctx = open_context(args, create=False)
    from dudu_desktop.services.listing import resolve_id  # the id or the 编号 (2024-011)

    dispute = resolve_id(ctx.conn, "disputes", args.dispute)
    pages = documents.write_agreement(ctx, args.out, dispute, draft=args.draft, unmasked=args.unmasked)
    return _done(args.out, pages)


def cmd_dossier(args) -> int:
    from dudu_desktop.reports import dossier

    ctx = open_context(args, create=False)
    from dudu_desktop.services.listing import resolve_id  # the id or the 编号 (2024-011)

    dispute = resolve_id(ctx.conn, "disputes", args.dispute)
    pages = dossier.write_dossier(ctx, args.out, dispute, unmasked=args.unmasked, retention=args.retention)
    return _done(args.out, pages)


def cmd_signin(args) -> int:
    from dudu_desktop.reports import documents

    ctx = open_context(args, create=False)
    from dudu_desktop.services.listing import resolve_id  # the id or its first 8 characters

    training = resolve_id(ctx.conn, "trainings", args.training)
    pages = documents.write_signin(ctx, args.out, training, after=args.after, filled_on=args.date)
    return _done(args.out, pages)


def cmd_annual(args) -> int:
    from dudu_desktop.reports import documents

    ctx = open_context(args, create=False)
    pages = documents.write_annual(
        ctx, args.out, year=args.year, village=args.village, date=args.date, photos=args.photos
    )
    return _done(args.out, pages)


def cmd_texts(args) -> int:
    from dudu_desktop.services import report_texts

    ctx = open_context(args, create=False)
    if args.reset:
        texts = report_texts.reset_texts(ctx, args.year, args.village)
    elif args.set_file:
        texts = report_texts.save_texts(ctx, args.year, args.village, report_texts.read_texts_file(args.set_file))
    else:
        texts = report_texts.get_texts(ctx.conn, args.year, args.village)
    print_json(texts)
    return EXIT_OK
