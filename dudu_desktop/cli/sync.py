"""USB sync and spreadsheet commands: export, import, template, import-table."""

from __future__ import annotations

import sys
from pathlib import Path

from dudu_desktop.cli import EXIT_OK, EXIT_REFUSED, os_error_message, print_json
from dudu_desktop.cli.session import open_context
from dudu_desktop.domain.problems import Refused
from dudu_desktop.i18n import _

# The sync engine (and with it ``cryptography``) and the spreadsheet readers are imported by the
# handlers that use them, not when the parser is built: every command builds this parser (issue 14).
REGISTER_CHOICES = ("disputes", "trainings", "hotline", "publicity")  # = sync.tables.REGISTER_NAMES (tested)


def add_commands(sub) -> None:
    p = sub.add_parser("export", help="write the next USB bundle (every change since the last one)")
    p.add_argument("--out", required=True, metavar="DIR", help="folder to write the bundle into (the USB stick)")
    p.add_argument("--full", action="store_true", help="every record, not just the changes")
    p.add_argument(
        "--unsealed",
        action="store_true",
        help="a plain, readable bundle for inspection (admin); the township refuses it by default",
    )
    p.set_defaults(handler=cmd_export)

    p = sub.add_parser("import", help="check and merge village bundles (township)")
    p.add_argument("bundles", nargs="+", metavar="BUNDLE")
    p.add_argument("--dry-run", action="store_true", help="only check and count; change nothing")
    p.add_argument("--allow-unsealed", action="store_true", help="also accept plain (unsealed) bundles (admin)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_import)

    p = sub.add_parser("template", help="write a spreadsheet template for a register")
    p.add_argument("--register", required=True, choices=REGISTER_CHOICES)
    p.add_argument("--out", required=True, metavar="FILE.xlsx|FILE.csv")
    p.set_defaults(handler=cmd_template)

    p = sub.add_parser("import-table", help="bring in records from a spreadsheet (.xlsx or .csv)")
    p.add_argument("--register", required=True, choices=REGISTER_CHOICES)
    p.add_argument("file", metavar="FILE")
    p.add_argument("--dry-run", action="store_true", help="only check; change nothing")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_import_table)


def cmd_export(args) -> int:
    from dudu_desktop.sync.export import export_bundle

    ctx = open_context(args, create=False)
    result = export_bundle(ctx, args.out, full=args.full, unsealed=args.unsealed)
    print(result.path)
    for note in result.notes:  # attachments waiting for the next bundle (issue 16)
        print(note, file=sys.stderr)
    return EXIT_OK


def _print_result(r) -> None:
    t = r.totals
    print(
        _("{file}: {village} ({code}), bundle {seq}, month {period}").format(
            file=r.file_name, village=r.village_name, code=r.village_code, seq=r.seq, period=r.period
        )
    )
    print(
        "  "
        + _("new {new}, updated {updated}, unchanged {unchanged}, conflicts {conflicting}, invalid {invalid}").format(
            **t
        )
    )
    for note in r.notes:
        print("  " + note)
    for p in r.problems:
        print(
            "  "
            + _("{table} row {row}, column {column}: {message}").format(
                table=p.table, row=p.row, column=p.column, message=p.message
            )
        )


def cmd_import(args) -> int:
    """Every file is tried, one after the other: a refused, unreadable or even crashing file is reported and
    the next one still goes in (a stick may hold one damaged bundle among good ones). Exit 1 when any file
    was refused; an unexpected error is raised again after the other files, for the log."""
    from dudu_desktop.sync.merge import apply_bundle, preview_bundle

    ctx = open_context(args, create=False)
    results, refused, unexpected = [], False, None
    for path in args.bundles:
        try:
            r = (
                preview_bundle(ctx, path, allow_unsealed=args.allow_unsealed)
                if args.dry_run
                else apply_bundle(ctx, path, allow_unsealed=args.allow_unsealed)
            )
        except Exception as exc:  # noqa: BLE001 - one bad file never stops the rest
            refused = True
            if isinstance(exc, Refused):
                message = "；".join(p.message for p in exc.problems)
            elif isinstance(exc, OSError):
                message = os_error_message(exc)
            else:
                unexpected = unexpected or exc
                message = _(
                    "{name} could not be imported because of an unexpected error ({error}); the other files go on."
                ).format(name=Path(path).name, error=type(exc).__name__)
            print(_("Refused: {message}").format(message=message), file=sys.stderr)
            results.append({"path": str(path), "refused": message})
            continue
        results.append(r.to_dict())
        if not args.json:
            _print_result(r)
    if args.json:
        print_json(results)
    if unexpected is not None:
        raise unexpected
    return EXIT_REFUSED if refused else EXIT_OK


def cmd_template(args) -> int:
    from dudu_desktop.sync import tables

    path = tables.template(args.register, args.out)
    print(path)
    return EXIT_OK


def cmd_import_table(args) -> int:
    from dudu_desktop.sync import tables

    ctx = open_context(args, create=False)
    r = tables.import_table(ctx, args.register, args.file, dry_run=args.dry_run)
    if args.json:
        print_json(r.to_dict())
        return EXIT_OK
    msg = _("Would import {n} records") if r.dry_run else _("Imported {n} records")
    print(
        msg.format(n=r.imported)
        + _("; already imported {dup}; skipped {skipped} rows with problems.").format(
            dup=r.duplicates, skipped=r.skipped
        )
    )
    for note in r.notes:
        print("  " + note)
    for p in r.problems:
        print("  " + _("Row {row}, column {column}: {message}").format(row=p.row, column=p.column, message=p.message))
    return EXIT_OK
