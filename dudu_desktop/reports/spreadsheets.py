"""Ledgers as spreadsheets: an .xlsx that prints like the PDF ledger, and a .csv for other
programs that Excel, WPS and LibreOffice open without damaging it.

.xlsx (the format to give people, and the one for full personal data):

- title row, a subtitle row (报送单位, period, masking), the header row, the rows, the totals
  row (or an empty month's 本月无矛盾纠纷（零报告） across the table), then 填表人 / 审核人 /
  填报日期 to sign;
- A4 landscape, fitted to one page wide (as many pages down as needed), the header row
  repeated on every page, "第 1 页 共 N 页" in the footer, centred between the margins;
- thin borders, wrapped text, column widths and row heights from the content;
- real date cells shown as ``yyyy年m月d日`` (a time beside it for the hotline), amounts as
  numbers shown ``¥#,##0.00``, rates as numbers shown ``0.0%``, ID numbers and phones as
  text cells (``@``) so that no digit is lost.

.csv (UTF-8 with BOM, CRLF): one line per row (line breaks inside a cell become "；"), dates
with the year (ISO ``2024-05-06``, ``2024-05-06 10:05``), rates as ``66.7%``; a cell that
would start a formula is prefixed with ``'``. An ID number or phone made of digits only is
written ``="500243198001011234"``: Excel, WPS and LibreOffice then show it as text, with
its leading 0 and all 18 digits, where a bare number becomes 5.00243198001011E+17 or loses
its 0. The price: such a cell holds a formula (a program reading the CSV sees ``="…"``), so
the .xlsx is the file to use for full data; see docs/printing.md.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import re
from decimal import Decimal
from typing import Any

from dudu_desktop import sheets
from dudu_desktop.fileio import atomic_path
from dudu_desktop.i18n import format_percent
from dudu_desktop.reports.data import IDNO, INT, MONEY, PHONE, RATE, REAL, Ledger
from dudu_desktop.reports.lang import _

DATE_FORMAT = 'yyyy"年"m"月"d"日"'
DATETIME_FORMAT = 'yyyy"年"m"月"d"日" hh:mm'
MONEY_FORMAT = '"¥"#,##0.00'
RATE_FORMAT = "0.0%"
INT_FORMAT = "0"
#: what replaces a line break inside a CSV cell
CSV_LINE_JOIN = "；"
#: the font of an .xlsx ledger (Windows names; other systems substitute their own)
BODY_FONT, HEAD_FONT = "宋体", "黑体"
BODY_SIZE = 10
#: points per wrapped line of a 10 pt cell, and the padding of a row
LINE_HEIGHT, ROW_PAD = 14, 4

_DIGITS = re.compile(r"\+?\d+")


# ------------------------------------------------------------------------------------ helpers


def _shown(value: Any, kind: str) -> str:
    """Roughly what a cell shows, to size columns and rows."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return f"{value.year}年{value.month}月{value.day}日 {value:%H:%M}"
    if isinstance(value, dt.date):
        return f"{value.year}年{value.month}月{value.day}日"
    if kind == MONEY and isinstance(value, (int, Decimal)):
        return f"¥{Decimal(value):,.2f}"
    if kind == RATE and isinstance(value, (int, float, Decimal)):
        return format_percent(value)
    return sheets.cell_text(value)


def column_widths(ledger: Ledger) -> list[float]:
    """Excel widths: a short column as wide as its widest value (its header may wrap at
    the ``\\n``), a long-text column (``flex``) wider in proportion, so that the whole sheet
    is about one A4 landscape page wide (fit-to-width does the rest)."""
    widths = []
    for i, col in enumerate(ledger.columns):
        values = [_shown(r[i], col.kind) for r in ledger.rows]
        widest = max([sheets.display_width(v) for v in values] + [sheets.display_width(col.header)], default=4)
        if col.flex:
            widths.append(float(max(min(widest + 1, 22 * col.flex + 6), 10)))
        else:
            widths.append(float(min(max(widest + 1, 5), 22)))
    return widths


def _lines_needed(text: str, width: float) -> int:
    room = max(width - 1.5, 1)
    return sum(max(1, math.ceil(sheets.display_width(part) / room)) for part in str(text).split("\n"))


# ------------------------------------------------------------------------------------ .xlsx


def write_ledger_xlsx(path: str | os.PathLike, ledger: Ledger) -> None:
    """Write ``ledger`` as a print-ready .xlsx (see the module's notes), atomically."""
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.page import PageMargins

    columns = ledger.columns
    ncols = len(columns)
    last_letter = get_column_letter(ncols)
    widths = column_widths(ledger)
    thin = Side(style="thin", color="000000")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    body_font, bold_font = Font(name=BODY_FONT, size=BODY_SIZE), Font(name=HEAD_FONT, size=BODY_SIZE, bold=True)

    wb = Workbook()
    ws = wb.active
    ws.title = re.sub(r"[\[\]:*?/\\]", "_", ledger.title)[:31] or "Sheet1"

    def text(cell, value: str, as_text: bool = False) -> None:
        cell.value = ILLEGAL_CHARACTERS_RE.sub("", value)
        cell.data_type = "s"  # never a formula, even when it starts with "="
        if as_text:
            cell.number_format = "@"

    def banner(row: int, value: str, font, height: float, horizontal: str) -> None:
        text(ws.cell(row, 1), value)
        ws.cell(row, 1).font = font
        ws.cell(row, 1).alignment = Alignment(horizontal=horizontal, vertical="center", wrap_text=True)
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=ncols)
        ws.row_dimensions[row].height = height

    banner(1, ledger.title, Font(name=HEAD_FONT, size=16, bold=True), 30, "center")
    banner(2, ledger.subtitle, Font(name=BODY_FONT, size=BODY_SIZE), 20, "left")
    header_row = 3
    for c, col in enumerate(columns, 1):
        cell = ws.cell(header_row, c)
        text(cell, col.header)  # broken where the printed ledger breaks it: "应到\n（人）", not "应到（人\n）"
        cell.font, cell.border = bold_font, box
        cell.fill = PatternFill("solid", fgColor="EEEEEE")
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    ws.row_dimensions[header_row].height = (
        max(_lines_needed(col.header, w) for col, w in zip(columns, widths)) * LINE_HEIGHT + ROW_PAD
    )

    def put_row(r: int, values: list[Any], font) -> None:
        lines = 1
        for c, (value, col) in enumerate(zip(values, columns), 1):
            cell = ws.cell(r, c)
            cell.border, cell.font = box, font
            cell.alignment = Alignment(horizontal=col.align, vertical="center", wrap_text=True)
            if value is None or value == "":
                continue
            if col.kind in (IDNO, PHONE):
                text(cell, sheets.cell_text(value), as_text=True)
            elif isinstance(value, dt.datetime):
                cell.value, cell.number_format = value, DATETIME_FORMAT
            elif isinstance(value, dt.date):
                cell.value, cell.number_format = value, DATE_FORMAT
            elif col.kind == MONEY and isinstance(value, (int, Decimal)):
                cell.value, cell.number_format = value, MONEY_FORMAT
            elif col.kind == RATE and isinstance(value, (int, float, Decimal)):
                cell.value, cell.number_format = value, RATE_FORMAT
            elif col.kind in (INT, REAL) and isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
                cell.value = value
                if col.kind == INT:
                    cell.number_format = INT_FORMAT
            else:
                text(cell, sheets.cell_text(value))
            lines = max(lines, _lines_needed(_shown(value, col.kind), widths[c - 1]))
        ws.row_dimensions[r].height = lines * LINE_HEIGHT + ROW_PAD

    r = header_row + 1
    for values in ledger.rows:
        put_row(r, values, body_font)
        r += 1
    if ledger.totals:
        put_row(r, ledger.totals, bold_font)
        r += 1
    if not ledger.rows and ledger.empty_note:
        for c in range(1, ncols + 1):
            ws.cell(r, c).border = box
        banner(r, ledger.empty_note, bold_font, LINE_HEIGHT * 2 + ROW_PAD, "center")
        r += 1

    # 填表人 / 审核人 / 填报日期: three fields across the width, a value or a blank to sign
    r += 1
    thirds = [round(ncols * k / 3) for k in range(4)]
    for k, label in enumerate(("填表人", "审核人", "填报日期")):
        start, end = thirds[k] + 1, max(thirds[k + 1], thirds[k] + 1)
        value = ledger.signature.get(label, "")
        cell = ws.cell(r, start)
        text(cell, f"{label}：{value or '_' * 14}")
        cell.font = Font(name=BODY_FONT, size=11)
        cell.alignment = Alignment(horizontal="left", vertical="bottom")
        if end > start:
            ws.merge_cells(start_row=r, start_column=start, end_row=r, end_column=end)
    ws.row_dimensions[r].height = 28

    for c, width in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(c)].width = width
    ws.freeze_panes = ws.cell(header_row + 1, 1)
    ws.print_title_rows = f"{header_row}:{header_row}"
    ws.print_area = f"A1:{last_letter}{r}"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = ws.ORIENTATION_LANDSCAPE
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0  # as many pages down as the rows need
    ws.page_margins = PageMargins(left=0.47, right=0.47, top=0.47, bottom=0.63, header=0.2, footer=0.25)
    ws.print_options.horizontalCentered = True
    ws.oddFooter.center.text = _("Page &P of &N")
    ws.oddFooter.center.size = 10
    ws.evenFooter.center.text = ws.oddFooter.center.text
    with atomic_path(path) as tmp:
        wb.save(tmp)


# ------------------------------------------------------------------------------------ .csv


def csv_cell(value: Any, kind: str) -> str:
    """One CSV cell: one line, dates with the year, digits-only IDs and phones as ``="…"``
    (kept as text by Excel/WPS/LibreOffice), anything else that would run as a formula
    prefixed with ``'``."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    if kind == RATE and isinstance(value, (int, float, Decimal)):
        return format_percent(value)
    text = sheets.cell_text(value).replace("\r\n", "\n").replace("\r", "\n")
    text = CSV_LINE_JOIN.join(part.strip() for part in text.split("\n"))
    if kind in (IDNO, PHONE) and _DIGITS.fullmatch(text):
        return f'="{text}"'
    return sheets.neutralise_formula(text)


def write_ledger_csv(path: str | os.PathLike, ledger: Ledger) -> None:
    """Write ``ledger`` as CSV (UTF-8 with BOM, CRLF; see :func:`csv_cell`), atomically: the
    header row, the rows, the totals row or an empty month's note."""
    kinds = [c.kind for c in ledger.columns]
    rows = [[csv_cell(v, k) for v, k in zip(row, kinds)] for row in ledger.rows]
    if ledger.totals:
        rows.append([csv_cell(v, k) for v, k in zip(ledger.totals, kinds)])
    if not ledger.rows and ledger.empty_note:
        rows.append([ledger.empty_note] + [""] * (len(kinds) - 1))
    headers = [sheets.neutralise_formula(h) for h in ledger.headers]
    sheets.write_csv(path, headers, rows, neutralise=False)
