"""Writing documents to files: a ledger as .pdf, .xlsx or .csv (chosen by the file's
extension), and any PDF builder's output atomically (never a half-written file under the
final name).

Spreadsheets carry what the printed ledger shows (masked the same way), dates as dates,
numbers as numbers, ID numbers and phones as text, and the totals row last; the .xlsx is
set up to print (:mod:`dudu_desktop.reports.spreadsheets`).
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from pathlib import Path

from dudu_desktop import fileio
from dudu_desktop.domain.problems import Refused
from dudu_desktop.reports.data import Ledger
from dudu_desktop.reports.lang import _
from dudu_desktop.reports.ledgers import render_ledger_pdf
from dudu_desktop.reports.spreadsheets import write_ledger_csv, write_ledger_xlsx

FORMATS = ("pdf", "xlsx", "csv")


def output_format(path: str | os.PathLike, allowed: tuple[str, ...] = FORMATS) -> str:
    """The format named by the file's extension, or :class:`Refused`."""
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix not in allowed:
        raise Refused(_("The output file must end in {formats}.").format(formats=" / ".join("." + f for f in allowed)))
    return suffix


def write_bytes(path: str | os.PathLike, content: bytes) -> None:
    """Write a finished document atomically."""
    fileio.atomic_write_bytes(path, content)


def write_pdf(path: str | os.PathLike, build: Callable[[io.BytesIO], int]) -> int:
    """Run ``build(buffer)`` and write the bytes to ``path`` atomically; returns its result."""
    buffer = io.BytesIO()
    result = build(buffer)
    fileio.atomic_write_bytes(path, buffer.getvalue())
    return result


def write_ledger(path: str | os.PathLike, ledger: Ledger) -> int | None:
    """Write ``ledger`` to ``path`` as PDF (returns the page count), .xlsx (print-ready) or
    .csv (UTF-8 with BOM, one line per row, formulas neutralised); the format comes from
    the extension."""
    fmt = output_format(path)
    if fmt == "pdf":
        return write_pdf(path, lambda buffer: render_ledger_pdf(buffer, ledger))
    if fmt == "csv":
        write_ledger_csv(path, ledger)
    else:
        write_ledger_xlsx(path, ledger)
    return None
