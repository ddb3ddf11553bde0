"""Writing documents to files: a ledger as .pdf, .xlsx or .csv (chosen by the file's
extension), and any PDF builder's output atomically (never a half-written file under the
final name).

Spreadsheets carry exactly what the printed ledger shows (masked the same way), numbers as
numbers, ID numbers and phones as text cells, and the totals row last.
"""

from __future__ import annotations

import io
import os
from decimal import Decimal
from pathlib import Path
from typing import Callable

from dudu_desktop import tabular
from dudu_desktop.domain.problems import Refused
from dudu_desktop.reports.lang import _
from dudu_desktop.reports.data import IDNO, INT, MONEY, PHONE, REAL, Ledger
from dudu_desktop.reports.ledgers import render_ledger_pdf

FORMATS = ("pdf", "xlsx", "csv")


def output_format(path: str | os.PathLike, allowed: tuple[str, ...] = FORMATS) -> str:
    """The format named by the file's extension, or :class:`Refused`."""
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix not in allowed:
        raise Refused(_("The output file must end in {formats}.").format(
            formats=" / ".join("." + f for f in allowed)))
    return suffix


def write_bytes(path: str | os.PathLike, content: bytes) -> None:
    """Write a finished document atomically."""
    tabular.atomic_write_bytes(path, content)


def write_pdf(path: str | os.PathLike, build: Callable[[io.BytesIO], int]) -> int:
    """Run ``build(buffer)`` and write the bytes to ``path`` atomically; returns its result."""
    buffer = io.BytesIO()
    result = build(buffer)
    tabular.atomic_write_bytes(path, buffer.getvalue())
    return result


def _sheet_value(value, kind: str):
    if value is None or value == "":
        return None
    if kind in (IDNO, PHONE):
        return str(value)
    if kind == MONEY and isinstance(value, Decimal):
        return value
    if kind in (INT, REAL) and isinstance(value, (int, Decimal, float)):
        return value
    return value


def ledger_table(ledger: Ledger) -> tuple[list[str], list[list]]:
    """Headers and rows (totals row last) for a spreadsheet."""
    rows = [[_sheet_value(v, c.kind) for v, c in zip(row, ledger.columns)] for row in ledger.rows]
    if ledger.totals:
        rows.append([_sheet_value(v, c.kind) for v, c in zip(ledger.totals, ledger.columns)])
    return ledger.headers, rows


def _widths(ledger: Ledger, headers: list[str], rows: list[list]) -> list[float]:
    out = []
    for i, col in enumerate(ledger.columns):
        texts = [headers[i]] + [tabular.cell_text(r[i]) for r in rows]
        wide = max((tabular._display_width(t) for t in texts), default=4)
        out.append(min(max(wide + 2, 6), 50 if col.flex else 24))
    return out


def write_ledger(path: str | os.PathLike, ledger: Ledger) -> int | None:
    """Write ``ledger`` to ``path`` as PDF (returns the page count), .xlsx or .csv (UTF-8 with
    BOM, formulas neutralised); the format comes from the extension."""
    fmt = output_format(path)
    if fmt == "pdf":
        return write_pdf(path, lambda buffer: render_ledger_pdf(buffer, ledger))
    headers, rows = ledger_table(ledger)
    if fmt == "csv":
        tabular.write_csv(path, headers, rows)
        return None
    text_columns = [i for i, c in enumerate(ledger.columns) if c.kind in (IDNO, PHONE)]
    tabular.write_xlsx(path, headers, rows, title=ledger.title, text_columns=text_columns,
                       widths=_widths(ledger, headers, rows), sheet_name=ledger.title[:31])
    return None
