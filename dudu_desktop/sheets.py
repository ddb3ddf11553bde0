"""Spreadsheet files without a database or Qt: read registers from CSV/XLSX and write ledgers to
CSV/XLSX (each file written atomically with :func:`dudu_desktop.fileio.atomic_path`).

Reading
    :func:`read_table` returns a :class:`Table`. A file that cannot be read raises
    :class:`TableReadError`, whose ``message`` is a complete sentence for the user.
    Cell-level issues that the caller should show (a long number Excel has already rounded,
    content outside the header) are listed in ``Table.problems``; the rows are still returned.
    Two things refuse the whole file rather than lose rows silently or exhaust memory: a CSV whose
    quotes do not pair up (:func:`_read_csv`), and an .xlsx whose zip would expand beyond sane
    bounds (:func:`check_xlsx_container`). Dates as typed are read by the caller with
    :func:`dudu_desktop.domain.dates.parse_date`; Excel serial numbers in numeric cells are
    converted here with openpyxl's own ``from_excel`` (:func:`excel_serial`).
Writing
    :func:`write_csv` and :func:`write_xlsx` build the file under a temporary name next to the
    target and rename it into place only once it is complete and fsync'd, so a crash, a power cut
    or a pulled-out USB stick never leaves a half-written file under the final name. Failures while
    writing are ``OSError`` (on Windows, replacing a file that is open in Excel raises
    ``PermissionError``).

openpyxl is imported lazily: importing this module stays cheap.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import math
import os
import re
import unicodedata
import warnings
from collections import Counter
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import islice
from pathlib import Path
from typing import Any, BinaryIO

from dudu_desktop.failures import os_error_message
from dudu_desktop.fileio import MiB, atomic_path, size_text
from dudu_desktop.i18n import _

HEADER_SCAN_ROWS = 30  # title rows above the header that read_table will skip
# An .xlsx is a zip: its entries are checked BEFORE openpyxl opens it (openpyxl reads the whole
# sharedStrings.xml into memory). A real register of 200,000 rows stays far below these bounds.
XLSX_MAX_UNCOMPRESSED = 200 * MiB  # all entries together (so every entry too), as declared
XLSX_MAX_RATIO = 100  # uncompressed : compressed, for an entry over XLSX_RATIO_FLOOR
XLSX_RATIO_FLOOR = MiB  # small entries (styles, blank sheets) compress well legitimately
XLSX_MAX_ENTRIES = 2000
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .xls/.et, or a password-protected .xlsx


class TableReadError(Exception):
    """A file could not be read as a table; ``message`` is a Chinese sentence for the user."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


# ---------------------------------------------------------------------------- cell values


def cell_text(value: Any) -> str:
    """The text a cell shows: None → '', 12.0 → '12', 0.1 → '0.1', dates → 'YYYY-MM-DD',
    date-times → 'YYYY-MM-DD HH:MM' (midnight → date only), True → 'TRUE'. Strings unchanged."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        exact = value.second or value.microsecond
        return value.isoformat(sep=" ", timespec="seconds" if exact else "minutes")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.isoformat(timespec="seconds" if value.second else "minutes")
    if isinstance(value, float):
        return _float_text(value)
    return str(value)


def _float_text(value: float) -> str:
    if not math.isfinite(value):
        return str(value)
    if abs(value) >= 1e15:
        # Excel keeps 15 significant digits: show what the user sees in the cell.
        return str(int(Decimal(f"{value:.14e}")))
    if value.is_integer():
        return str(int(value))
    return format(Decimal(repr(value)), "f")


_SCIENTIFIC = re.compile(r"[+-]?\d(?:\.\d+)?[eE]\+?(\d+)")


def _lost_digits(value: Any) -> bool:
    """A long number (ID, phone, bank card) that Excel stored as a number or as '5.1E+17':
    everything after the 15th digit is gone."""
    if isinstance(value, float):
        return abs(value) >= 1e15
    if isinstance(value, str):
        m = _SCIENTIFIC.fullmatch(value.strip())
        return m is not None and int(m.group(1)) >= 15
    return False


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NEGATIVE_NUMBER = re.compile(r"-\d+(?:\.\d+)?")


def neutralise_formula(cell: str) -> str:
    """Prefix a cell that Excel/WPS would run as a formula with ``'`` (OWASP CSV injection).

    Cells starting with = + - @ tab or CR are prefixed; a plain negative number ("-12.5") is not.
    """
    if cell.startswith(_FORMULA_START) and not _NEGATIVE_NUMBER.fullmatch(cell):
        return "'" + cell
    return cell


# ---------------------------------------------------------------------------- dates
# Dates as typed: dudu_desktop.domain.dates.parse_date (the caller's rules).


def excel_serial(value: Any, epoch: dt.datetime) -> dt.datetime | None:
    """The date-time of a NUMERIC .xlsx cell holding an Excel serial number (45413 → 2024-05-01),
    with openpyxl's own conversion and the workbook's epoch (1900 or 1904); None when ``value`` is
    not a number or no date-time can be made of it (20240501, 1e20, NaN)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        return None
    from openpyxl.utils.datetime import from_excel

    try:
        result = from_excel(value, epoch)
    except (ValueError, OverflowError, ArithmeticError):
        return None
    return result if isinstance(result, dt.datetime) else None


# ---------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class Row:
    number: int  # 1-based row number as Excel/WPS shows it (CSV: the record number, which
    # is what Excel shows too: a cell with line breaks does not start a row)
    cells: list[str]  # stripped text, exactly len(Table.headers) cells


@dataclass(frozen=True)
class CellProblem:
    row: int  # Row.number
    column: int  # 0-based index into Table.headers
    message: str  # a Chinese sentence naming the row and column


@dataclass
class Table:
    headers: list[str]  # normalised with normalise_header()
    rows: list[Row]  # non-blank data rows below the header
    header_row: int  # source row number of the header
    problems: list[CellProblem] = field(default_factory=list)
    sheet: str | None = None  # xlsx: the worksheet read
    encoding: str | None = None  # csv: "UTF-8", "GB18030" or "UTF-16"

    def column(self, name: str) -> int | None:
        """Index of the first column whose header matches ``name`` (normalised), or None."""
        key = normalise_header(name)
        return next((i for i, h in enumerate(self.headers) if h == key), None)


def normalise_header(text: str) -> str:
    """Header text for matching: all whitespace removed (wrapped "登记\\n日期" → "登记日期") and
    required-field asterisks ("*姓名", "姓名＊") stripped."""
    return re.sub(r"\s+", "", text).strip("*＊")


def read_table(
    path: str | os.PathLike,
    *,
    expected_headers: Iterable[str] = (),
    sheet: str | None = None,
    max_bytes: int = 50 * MiB,
    max_rows: int = 200_000,
    date_headers: Iterable[str] = (),
) -> Table:
    """Read the first table of a .xlsx or .csv file (the format is detected from the content).

    - Header: with ``expected_headers``, the first row (within the first
      ``HEADER_SCAN_ROWS`` non-blank rows) holding at least two of them (one if only one is
      expected), so title rows above it are skipped; otherwise the first non-blank row.
    - xlsx: worksheets whose title contains ``sheet`` are tried first, then the visible ones in
      order; the first one where a header is found is read. Cached values are read, never
      formulas; dates become 'YYYY-MM-DD'; 12.0 becomes '12'. In the columns named by
      ``date_headers`` a NUMERIC cell (a typed number such as 45413) is an Excel serial number
      and becomes its date (:func:`excel_serial`); text cells never are. Before openpyxl sees
      the file, :func:`check_xlsx_container` refuses zip bombs.
    - csv: UTF-8 with or without BOM, GBK/GB18030, or UTF-16 with BOM (Excel's "Unicode 文本");
      the delimiter (, ; or tab) is sniffed. Quotes are parsed strictly (RFC 4180): a quote that
      is never closed, text after a closing quote, or a quoted cell whose line breaks swallow
      lines that look like whole rows refuse the file, naming the row, so that no row is lost
      without a word. A quote inside an unquoted cell (张"三) is an ordinary character.
    - Blank rows are skipped; every row keeps its source row number for error reports.

    Raises :class:`TableReadError` for a file that cannot be read.
    """
    path = Path(path)
    try:
        size = path.stat().st_size
        with open(path, "rb") as f:
            head = f.read(len(_OLE2_MAGIC))
    except OSError as exc:
        raise TableReadError(
            _("Cannot open the file “{name}”: {error}").format(name=path.name, error=os_error_message(exc))
        ) from exc
    if size > max_bytes:
        raise TableReadError(_("The file is too large (over {size})").format(size=size_text(max_bytes)))
    expected = [h for h in dict.fromkeys(map(normalise_header, expected_headers)) if h]
    if head.startswith(_OLE2_MAGIC):
        raise TableReadError(
            _(
                "Old .xls/.et workbooks and password-protected workbooks are not supported; "
                "save the file as .xlsx or CSV (UTF-8) in Excel/WPS and import that"
            )
        )
    if head.startswith(b"PK"):
        dates = {h for h in map(normalise_header, date_headers) if h}
        table = _read_xlsx(path, expected, sheet, max_rows, dates)
    else:
        table = _read_csv(path, expected, max_rows)
    if table is None:
        if expected:
            names = "、".join(f"「{h}」" for h in expected)
            message = (
                _(
                    "No header found: the columns {names} were expected, but none of the first {n} rows "
                    "holds two of them"
                )
                if len(expected) > 1
                else _("No header found: the column {names} was expected, but none of the first {n} rows holds it")
            )
            raise TableReadError(message.format(names=names, n=HEADER_SCAN_ROWS))
        raise TableReadError(_("The file holds no data"))
    return table


def check_xlsx_container(
    path: str | os.PathLike,
    *,
    max_uncompressed: int = XLSX_MAX_UNCOMPRESSED,
    max_ratio: float = XLSX_MAX_RATIO,
    max_entries: int = XLSX_MAX_ENTRIES,
) -> None:
    """Refuse an .xlsx whose zip would expand too far, before anything decompresses it.

    Bounded: the number of entries, the declared uncompressed size of all entries together,
    and the ratio of each entry over ``XLSX_RATIO_FLOOR``. Declared sizes are enough: zipfile
    (which openpyxl uses) never returns more than an entry declares and fails on the CRC if the
    data is cut short. Raises :class:`TableReadError`; a file that is not a zip is left to the
    reader, which reports it.
    """
    import zipfile

    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        return
    if len(infos) > max_entries:
        raise TableReadError(
            _("The workbook holds too many files (more than {n}); it was not read.").format(n=max_entries)
        )
    total = 0
    for info in infos:
        total += info.file_size
        bomb = total > max_uncompressed or (
            info.file_size > XLSX_RATIO_FLOOR and info.file_size > max_ratio * max(info.compress_size, 1)
        )
        if bomb:
            raise TableReadError(
                _(
                    "The workbook would expand to {size} when unpacked ({name}): this looks like a zip bomb, "
                    "so it was not read and nothing was changed. Save it again in Excel/WPS, or split it."
                ).format(size=size_text(info.file_size if total <= max_uncompressed else total), name=info.filename)
            )


def _read_xlsx(
    path: Path, expected: list[str], sheet: str | None, max_rows: int, date_headers: Collection[str] = frozenset()
) -> Table | None:
    check_xlsx_container(path)
    from openpyxl import load_workbook

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "Data Validation extension is not supported" etc.
            wb = load_workbook(path, read_only=True, data_only=True)
            try:
                named = [ws for ws in wb.worksheets if sheet and sheet in ws.title]
                visible = [ws for ws in wb.worksheets if ws.sheet_state == "visible" and ws not in named]
                for ws in named + visible:
                    ws.reset_dimensions()  # some writers declare a wrong used range
                    table = _assemble(
                        enumerate(ws.iter_rows(values_only=True), 1), expected, max_rows, date_headers, wb.epoch
                    )
                    if table is not None:
                        table.sheet = ws.title
                        return table
                return None
            finally:
                wb.close()
    except TableReadError:
        raise
    except Exception as exc:  # openpyxl reports broken files with many exception types
        raise TableReadError(_("The file is not a valid Excel workbook")) from exc


def _read_csv(path: Path, expected: list[str], max_rows: int) -> Table | None:
    text, encoding = _decode(path.read_bytes())
    if "\x00" in text:
        raise TableReadError(_("The file is not a CSV text file (it holds binary content)"))
    if text.lstrip().startswith("<"):
        raise TableReadError(_("The file is a web page (HTML); save it as .xlsx in Excel/WPS and import that"))
    delimiter = _sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    at = {"record": 0, "line": 1}  # the record being read and its first text line
    spans: list[tuple[int, int, int, int]] = []  # multi-line cells: record, line, column, delimiters

    def records() -> Iterator[tuple[int, list[str]]]:
        while True:
            at["record"] += 1
            at["line"] = reader.line_num + 1
            try:
                values = next(reader)
            except StopIteration:
                return
            for col, value in enumerate(values):
                if "\n" in value or "\r" in value:
                    spans.append(
                        (at["record"], at["line"], col, _row_like_delimiters(value, delimiter, len(values) - col - 1))
                    )
            yield at["record"], values

    try:
        table = _assemble(records(), expected, max_rows)
    except csv.Error as exc:
        raise TableReadError(_csv_error(exc, at["record"], at["line"], reader.line_num)) from exc
    if table is None:
        return None
    width = len(table.headers)
    for record, line, col, delimiters in spans:
        if record > table.header_row and width > 1 and delimiters >= width - 1:
            from openpyxl.utils import get_column_letter

            where = _row_and_line(record, line)
            raise TableReadError(
                _(
                    "The CSV file was not imported: in {where}, the quoted cell in column {column} runs over "
                    "several lines, and one of them looks like a whole row of the table. A quote was probably "
                    "opened and not closed where it should be, which would hide rows. Check the quotes (\") in "
                    "that row, or save the file again from Excel/WPS, and import it again."
                ).format(where=where, column=get_column_letter(col + 1))
            )
    table.encoding = encoding
    return table


def _row_like_delimiters(value: str, delimiter: str, cells_after: int) -> int:
    """The most delimiters on one of the lines a multi-line cell swallowed: its inner lines, and
    its last line together with the cells after the cell (the rest of that text line). A line
    with as many delimiters as the header has is a row hidden inside the cell."""
    lines = value.replace("\r\n", "\n").replace("\r", "\n").split("\n")[1:]
    counts = [line.count(delimiter) for line in lines[:-1]]
    last = lines[-1].count(delimiter)
    if last:  # text before the closing quote holds cells: a row's beginning
        counts.append(last + cells_after)
    return max(counts, default=0)


def _row_and_line(record: int, line: int) -> str:
    """'第 4 行', or '第 4 行（文本第 6 行）' when earlier cells hold line breaks."""
    if line == record:
        return _("row {row}").format(row=record)
    return _("row {row} (line {line} of the text)").format(row=record, line=line)


def _csv_error(exc: csv.Error, record: int, line: int, last_line: int) -> str:
    where = _row_and_line(record, line)
    text = str(exc)
    if "end of data" in text:
        return _(
            "The CSV file was not imported: the quote (\") opened in {where} is never closed, so every "
            "line after it would become one cell. Close the quote or remove it, then import again."
        ).format(where=where)
    if "expected after" in text:
        return _(
            "The CSV file was not imported: in {where}, a quoted cell has more text after its closing "
            "quote (\") (text line {line}). Put the whole cell in quotes and double the quotes inside "
            "it (\"\"), or remove them, then import again."
        ).format(where=where, line=last_line)
    if "field larger than field limit" in text:
        return _(
            "The CSV file was not imported: a cell in {where} is longer than {n} characters (perhaps a "
            "quote that is never closed)."
        ).format(where=where, n=csv.field_size_limit())
    return _("The CSV file was not imported: it is malformed in {where} ({error}).").format(where=where, error=text)


def _decode(data: bytes) -> tuple[str, str]:
    candidates = [("utf-8-sig", "UTF-8"), ("gb18030", "GB18030")]
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates = [("utf-16", "UTF-16")]
    for codec, label in candidates:
        try:
            return data.decode(codec), label
        except UnicodeDecodeError:
            continue
    raise TableReadError(_("Cannot recognise the file's encoding (UTF-8 and GBK are supported)"))


def _sniff_delimiter(text: str) -> str:
    """The delimiter among , tab ; that splits most of the first records into the same
    number (> 1) of fields; ',' when nothing fits better."""
    sample = text[:65536]
    best, best_score = ",", (0, 0)
    for delimiter in (",", "\t", ";"):
        try:
            records = islice(csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter), 50)
            widths = [len(r) for r in records if len(r) > 1]
        except csv.Error:
            continue
        if widths:
            width, count = Counter(widths).most_common(1)[0]
            if (count, width) > best_score:
                best, best_score = delimiter, (count, width)
    return best


def _assemble(
    records: Iterator[tuple[int, Sequence[Any]]],
    expected_headers: list[str],
    max_rows: int,
    date_headers: Collection[str] = frozenset(),
    epoch: dt.datetime | None = None,
) -> Table | None:
    """Find the header among ``(row number, raw values)`` records and collect the rows below.
    With an ``epoch`` (xlsx), numbers under ``date_headers`` are Excel serials. None when no
    header is found."""
    expected = set(expected_headers)
    needed = min(2, len(expected))
    scanned = 0
    for number, values in records:
        texts = [cell_text(v).strip() for v in values]
        if not any(texts):
            continue
        headers = [normalise_header(t) for t in texts]
        if len(expected & set(headers)) >= needed:
            header_row = number
            break
        scanned += 1
        if scanned >= HEADER_SCAN_ROWS:
            return None
    else:
        return None
    while headers and not headers[-1]:
        headers.pop()
    width = len(headers)
    table = Table(headers=headers, rows=[], header_row=header_row)
    serial_columns = {i for i, h in enumerate(headers) if h in date_headers} if epoch else set()

    for number, values in records:
        if serial_columns and epoch is not None:
            values = [excel_serial(v, epoch) or v if i in serial_columns else v for i, v in enumerate(values)]
        texts = [cell_text(v).strip() for v in values]
        if not any(texts):
            continue
        if len(table.rows) >= max_rows:
            raise TableReadError(
                _("The table has more than {n} rows; split it and import the parts").format(n=max_rows)
            )
        for col, (value, text) in enumerate(zip(values, texts)):
            if col >= width and text:  # openpyxl is loaded for a problem only
                from openpyxl.utils import get_column_letter

                table.problems.append(
                    CellProblem(
                        number,
                        col,
                        _("Row {row}, column {column}: “{text}” lies outside the header and was ignored").format(
                            row=number, column=get_column_letter(col + 1), text=text
                        ),
                    )
                )
            elif _lost_digits(value):
                from openpyxl.utils import get_column_letter

                name = headers[col] or _("column {column}").format(column=get_column_letter(col + 1))
                table.problems.append(
                    CellProblem(
                        number,
                        col,
                        _(
                            "Row {row}, 「{name}」: “{text}” is a long number Excel saved as a number, and its last "
                            "digits are lost; format that column as text in the original sheet, enter the numbers "
                            "again and import it again"
                        ).format(row=number, name=name, text=text),
                    )
                )
        table.rows.append(Row(number, (texts + [""] * width)[:width]))
    return table


# ---------------------------------------------------------------------------- writing


def write_csv(
    path_or_file: str | os.PathLike | BinaryIO,
    headers: Sequence[Any],
    rows: Iterable[Sequence[Any]],
    *,
    neutralise: bool = True,
) -> None:
    """Write a CSV for Excel/WPS on Chinese Windows: UTF-8 with BOM, RFC 4180 quoting, CRLF.

    Values are converted with :func:`cell_text`. With ``neutralise`` (the default, for files
    people open) every cell goes through :func:`neutralise_formula`; pass ``neutralise=False``
    for machine-read files that must round-trip exactly. A path is written atomically; a binary
    file object is written in place (the BOM only at its start).
    """

    def write(f) -> None:
        writer = csv.writer(f, lineterminator="\r\n")
        fix = neutralise_formula if neutralise else (lambda s: s)
        writer.writerow([fix(cell_text(h)) for h in headers])
        for row in rows:
            writer.writerow([fix(cell_text(v)) for v in row])

    if isinstance(path_or_file, (str, os.PathLike)):
        with atomic_path(path_or_file) as tmp, open(tmp, "w", encoding="utf-8-sig", newline="") as f:
            write(f)
        return
    f = io.TextIOWrapper(path_or_file, encoding="utf-8-sig", newline="")
    try:
        write(f)
    finally:
        f.flush()
        f.detach()


_NATIVE_TYPES = (int, float, Decimal, dt.date, dt.time)


def write_xlsx(
    path_or_file: str | os.PathLike | BinaryIO,
    headers: Sequence[Any],
    rows: Iterable[Sequence[Any]],
    *,
    title: str | None = None,
    text_columns: Iterable[int | str] = (),
    widths: Sequence[float] | None = None,
    sheet_name: str = "Sheet1",
) -> None:
    """Write a one-sheet .xlsx ledger.

    - ``title``: a bold row merged across the columns above the header.
    - The header row is bold, repeated on every printed page, and panes are frozen below it.
    - ``text_columns`` (0-based indexes or header names; ID numbers, phones) are TEXT cells
      (number format '@', string value), so an 18-digit ID never becomes 5.1E+17. Integers of
      16+ digits are written as text in every column for the same reason.
    - Other numbers and dates are native cells; strings are always string cells (a value
      starting with '=' is shown, never run as a formula).
    - ``widths``: column widths in Excel units; computed from the content when omitted
      (CJK characters count double).
    A path is written atomically. ``ValueError`` for a text column name that is not a header.
    """
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    headers = [cell_text(h) for h in headers]
    rows = [list(r) for r in rows]
    text_indexes = _column_indexes(headers, text_columns)

    def put_text(cell, text: str, as_text_format: bool) -> None:
        cell.value = ILLEGAL_CHARACTERS_RE.sub("", text)  # control characters are invalid XML
        cell.data_type = "s"  # never a formula
        if as_text_format:
            cell.number_format = "@"

    wb = Workbook()
    ws = wb.active
    ws.title = re.sub(r"[\[\]:*?/\\]", "_", sheet_name)[:31] or "Sheet1"
    top = 1
    if title:
        put_text(ws.cell(1, 1), title, False)
        ws.cell(1, 1).font = Font(bold=True, size=16)
        ws.cell(1, 1).alignment = Alignment(horizontal="center", vertical="center")
        ws.row_dimensions[1].height = 30
        if len(headers) > 1:
            ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(headers))
        top = 2
    for c, header in enumerate(headers, 1):
        cell = ws.cell(top, c)
        put_text(cell, header, False)
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for r, row in enumerate(rows, top + 1):
        for c, value in enumerate(row, 1):
            if value is None:
                continue
            cell = ws.cell(r, c)
            too_long = isinstance(value, int) and abs(value) >= 10**15
            if c - 1 in text_indexes or too_long:
                put_text(cell, cell_text(value), True)
            elif isinstance(value, _NATIVE_TYPES):
                cell.value = value
            else:
                put_text(cell, cell_text(value), False)
    ws.freeze_panes = ws.cell(top + 1, 1)
    ws.print_title_rows = f"{top}:{top}"
    for c, width in enumerate(widths or _auto_widths(headers, rows), 1):
        ws.column_dimensions[get_column_letter(c)].width = width

    if isinstance(path_or_file, (str, os.PathLike)):
        with atomic_path(path_or_file) as tmp:
            wb.save(tmp)
    else:
        wb.save(path_or_file)


def _column_indexes(headers: list[str], columns: Iterable[int | str]) -> set[int]:
    indexes = set()
    for col in columns:
        if isinstance(col, int):
            indexes.add(col)
        elif col in headers:
            indexes.add(headers.index(col))
        else:
            raise ValueError(_("There is no column named 「{name}」").format(name=col))
    return indexes


def display_width(text: str) -> int:
    """Width in Excel units of the longest line: CJK and full-width characters count double."""
    return max(
        (sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in line) for line in text.splitlines()),
        default=0,
    )


def _auto_widths(headers: list[str], rows: Sequence[Sequence[Any]]) -> list[float]:
    widths = [display_width(h) for h in headers]
    for row in rows:
        for c, value in enumerate(row[: len(widths)]):
            widths[c] = max(widths[c], display_width(cell_text(value)))
    return [min(max(w + 2, 6), 60) for w in widths]
