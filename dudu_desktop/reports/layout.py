"""PDF layout primitives (reportlab platypus) for ledgers, official documents and forms.

Everything here takes plain data: strings, lists and the small dataclasses below. Text is
escaped (no reportlab markup), ``\\n`` becomes a line break, and every paragraph wraps with
``wordWrap='CJK'``. Builds use ``invariant=1``: the same input gives byte-identical PDFs.
``out`` is a path or a binary file object; builders return the number of pages.

- :func:`build_ledger`: A4 landscape 台账 table, header repeated on each page, totals,
  填表人/审核人/填报日期, "第 1 页 共 N 页".
- :func:`build_official_document`: GB/T 9704-2012 layout (版心 156 × 225 mm, 22 lines,
  "— 1 —" page numbers, odd right / even left) built from :data:`Block` items.
- :func:`build_form`: portrait A4 single forms (调解协议书, 签到表) built from flowables made
  with :func:`para`, :func:`kv_table`, :func:`data_table` and :func:`signature_lines`.
- :func:`trend_chart`: stacked monthly bar chart by dispute type, a flowable Drawing.
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache, partial
from typing import BinaryIO, Union
from xml.sax.saxutils import escape

from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib import textsplit as _rl_textsplit
from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY, TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    CondPageBreak,
    Flowable,
    Frame,
    KeepTogether,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)
from reportlab.platypus import paragraph as _rl_paragraph

from .fonts import FANG, HEI, KAI, SONG, XBS, font_for, register_fonts, runs

Out = Union[str, "os.PathLike[str]", BinaryIO]

_ALIGN = {"left": TA_LEFT, "center": TA_CENTER, "right": TA_RIGHT, "justify": TA_JUSTIFY}

GRID_COLOR = colors.black
HEADER_FILL = colors.HexColor("#E6E6E6")


# ---------------------------------------------------------------- paragraphs

# reportlab's CJK line breaking hangs a character that may not start a line at the end of
# the previous one, but its list is Japanese: add the Chinese closing punctuation so that
# no line starts with ，：；？！》” (process-wide, harmless for other text). Both modules
# hold their own copy: textsplit breaks single-style paragraphs, paragraph the others.
for _module in (_rl_textsplit, _rl_paragraph):
    _module.ALL_CANNOT_START += "，：；？！》〉”’％"


@cache
def _style(font: str, size: float, leading: float, align: str, indent: float) -> ParagraphStyle:
    return ParagraphStyle(
        name=f"{font}/{size}/{leading}/{align}/{indent}",
        fontName=font,
        fontSize=size,
        leading=leading,
        alignment=_ALIGN[align],
        firstLineIndent=indent,
        wordWrap="CJK",
    )


def para(
    text: str,
    *,
    font: str = FANG,
    size: float = 12,
    leading: float | None = None,
    align: str = "left",
    indent_chars: float = 0,
    bold: bool = False,
) -> Paragraph:
    """A wrapped CJK paragraph of plain text (escaped; ``\\n`` breaks the line).

    ``font`` is a logical font name (HEI, KAI, SONG, FANG); ``align`` is left, center, right
    or justify; ``indent_chars`` indents the first line by that many characters.
    """
    fonts = register_fonts()
    name = fonts.bold_name(font) if bold else font
    style = _style(name, size, leading or round(size * 1.4, 2), align, indent_chars * size)
    return Paragraph(_markup(text, name), style)


def _markup(text: str, font: str | None = None) -> str:
    """Plain text → paragraph markup keeping line breaks, 全角 spaces and runs of spaces.
    With ``font``, a character that font lacks is set in one that has it (:func:`runs`)."""
    text = text.replace("\r\n", "\n")
    pieces = runs(text, font) if font else [(None, text)]
    out = []
    for face, piece in pieces:
        markup = escape(piece).replace("\n", "<br/>").replace("\u3000", "&#x3000;")
        markup = re.sub(r"(?<= ) ", "&nbsp;", markup)
        out.append(markup if face == font else f'<font face="{face}">{markup}</font>')
    return "".join(out)


# ---------------------------------------------------------------- documents and page numbers


def _numbered_canvas(footer: Callable[[Canvas, int, int], None]) -> type[Canvas]:
    """A canvas class that holds every page until the end, then draws ``footer(canvas,
    page, total)`` on each: the two-pass way to print "第 1 页 共 N 页"."""

    class NumberedCanvas(Canvas):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._pages: list[dict] = []

        def showPage(self):
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self):
            total = len(self._pages)
            for number, state in enumerate(self._pages, start=1):
                self.__dict__.update(state)
                footer(self, number, total)
                super().showPage()
            super().save()

    return NumberedCanvas


def _page_x_of_n(canvas: Canvas, page: int, total: int, *, x: float, y: float) -> None:
    canvas.saveState()
    canvas.setFont(FANG, 10.5)
    canvas.drawCentredString(x, y, f"第 {page} 页 共 {total} 页")
    canvas.restoreState()


def _build(
    out: Out,
    story: list[Flowable],
    *,
    pagesize: tuple[float, float],
    margins: tuple[float, float, float, float],
    title: str,
    on_page: Callable[[Canvas, BaseDocTemplate], None] | None = None,
    footer: Callable[[Canvas, int, int], None] | None = None,
) -> int:
    """Lay ``story`` out in one frame; ``margins`` = (left, right, top, bottom)."""
    left, right, top, bottom = margins
    target = os.fspath(out) if isinstance(out, (str, os.PathLike)) else out
    doc = BaseDocTemplate(
        target,
        pagesize=pagesize,
        leftMargin=left,
        rightMargin=right,
        topMargin=top,
        bottomMargin=bottom,
        title=title,
        author="都督乡法治工作台账",
        creator="Dudu Desktop",
        invariant=1,
        initialFontName=FANG,  # else the canvas adds an unused, unembedded Helvetica
    )
    frame = Frame(
        left, bottom, doc.width, doc.height, leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0, id="body"
    )
    doc.addPageTemplates([PageTemplate(id="page", frames=[frame], onPage=on_page or _no_op)])
    canvasmaker = _numbered_canvas(footer) if footer else Canvas
    doc.build(story, canvasmaker=canvasmaker)
    return doc.page


def _no_op(canvas: Canvas, doc: BaseDocTemplate) -> None:
    pass


# ---------------------------------------------------------------- tables


def _table(data: list[list], col_widths: Sequence[float], commands: list, **kwargs) -> Table:
    """A Table whose empty cells use FANG too: reportlab sets the cell font even for "",
    which would otherwise add an unembedded Helvetica to the PDF."""
    style = TableStyle([("FONT", (0, 0), (-1, -1), FANG), *commands])
    return Table(data, colWidths=list(col_widths), style=style, **kwargs)


def _continued(cells: list, widths: Sequence[float], hpad: float, room: float) -> list[list]:
    """One table row, or several when it is taller than ``room``: each paragraph goes on
    in the next rows, a quarter of ``room`` at a time, so that reportlab can turn the page
    between them (it cannot place a row taller than a page, and its own in-row splitting
    leaves stray empty rows and headers).

    ``widths`` are the cells' widths (a spanning cell: the spanned columns' sum), ``hpad``
    their left + right padding, ``room`` the height available inside the padding.
    """
    if all(
        not isinstance(cell, (Paragraph, _Lines)) or cell.wrap(width - hpad, room)[1] <= room
        for cell, width in zip(cells, widths)
    ):
        return [cells]
    pieces = []
    for cell, width in zip(cells, widths):
        parts = [cell]
        while isinstance(parts[-1], Paragraph):
            split = parts[-1].split(width - hpad, room / 4)
            if len(split) != 2:
                break
            parts[-1:] = split
        pieces.append(parts)
    depth = max(len(parts) for parts in pieces)
    return [[parts[i] if i < len(parts) else "" for parts in pieces] for i in range(depth)]


class _CellParagraph(Paragraph):
    """A Paragraph that remembers its line breaking per width: a long table is wrapped
    again each time it splits over a page, and breaking CJK lines is the costly part."""

    def wrap(self, availWidth, availHeight):
        done = self.__dict__.setdefault("_wrapped", {})
        if availWidth in done:
            self.width, self.height, self.blPara, self._wrapWidths = done[availWidth]
            return self.width, self.height
        result = super().wrap(availWidth, availHeight)
        done[availWidth] = (self.width, self.height, self.blPara, self._wrapWidths)
        return result


class _Lines(Flowable):
    """Cell text whose every line fits its column: drawn exactly where a one-line-per-line
    :func:`para` would draw it (baseline one font size under the top, ``leading`` apart),
    without building a Paragraph."""

    def __init__(self, lines: list[str], widths: list[float], font: str, size: float, leading: float, align: str):
        super().__init__()
        self._lines, self._widths = lines, widths
        self._font, self._size, self._leading, self._align = font, size, leading, align

    def wrap(self, availWidth, availHeight):
        self.width, self.height = availWidth, self._leading * len(self._lines)
        return self.width, self.height

    def draw(self):
        if not self._lines:
            return
        canvas = self.canv
        canvas.setFont(self._font, self._size, self._leading)
        y = self.height - self._size
        for line, w in zip(self._lines, self._widths):
            if self._align == "center":
                x = 0.5 * (self.width - w)
            elif self._align == "right":
                x = self.width - w
            else:
                x = 0
            canvas.drawString(x, y, line)
            y -= self._leading


#: stringWidth once per distinct (text, font, size): ledgers repeat dates, names, villages
text_width = lru_cache(maxsize=1 << 16)(stringWidth)
# reportlab's CJK line breaking measures every character of a paragraph by itself (cjkU): the same
# few thousand characters, measured once each (fonts are registered once per process and never
# re-pointed, so a width never changes) — a third of a long ledger's line breaking (issue 14)
_rl_paragraph.stringWidth = text_width

_PLAIN_LINE = re.compile(r"[^\s&<>]([^\t\r\f\v\u3000&<>]*[^\s&<>])?")


def _cell(text: str, font: str, size: float, align: str, avail: float) -> Flowable:
    """A table cell: :class:`_Lines` when each line of plain ``text`` fits ``avail`` points,
    else a wrapping paragraph (as :func:`para` makes it)."""
    register_fonts()
    leading = round(size * 1.4, 2)
    plain = _plain_lines(text, font, size, avail)
    if plain is not None:
        return _Lines(plain[0], plain[1], font, size, leading, align)
    return _CellParagraph(_cell_markup(text, font), _style(font, size, leading, align, 0))


@lru_cache(maxsize=1 << 16)
def _plain_lines(text: str, font: str, size: float, avail: float) -> tuple[list[str], list[float]] | None:
    """``(lines, widths)`` when every line of plain ``text`` is in ``font`` and fits ``avail``,
    else None. Remembered: a ledger repeats its dates, villages, types and names (issue 14)."""
    if not text:
        return [], []
    lines = text.replace("\r\n", "\n").split("\n")
    if all(_PLAIN_LINE.fullmatch(line) and "  " not in line for line in lines) and all(
        font_for(c, font) == font for c in set(text)
    ):
        widths = [text_width(line, font, size) for line in lines]
        if max(widths) < avail - 0.01:
            return lines, widths
    return None


_cell_markup = lru_cache(maxsize=1 << 14)(lambda text, font: _markup(text, font))


#: a longer table is laid out through :class:`_PagedTable`, a window of rows at a time
_WINDOW = 64


class _PagedTable(Flowable):
    """A long :func:`data_table`, laid out as reportlab would lay out the whole table, but
    a window of rows at a time: reportlab's Table recomputes every remaining row (spans,
    heights, styles) on each page it splits over, which makes long tables quadratic.

    Each window is a real Table (header + the next rows, grown until it is taller than
    the room on the page, and always to the end once the kept-together tail is in
    reach) and reportlab splits it; the part that fits is returned, the rest starts a
    new window on the next page.
    """

    def __init__(self, data, groups, col_widths, fixed, has_tail, keep_from, start=1, size=16):
        super().__init__()
        self._data, self._groups, self._col_widths = data, groups, col_widths
        self._fixed, self._has_tail, self._keep_from, self._start = fixed, has_tail, keep_from, start
        self._size = size  # the first window's rows: the last page's rows and a few more
        self._cache: dict = {}
        self.hAlign = "CENTER"

    def _window(self, end: int) -> Table:
        data, groups, start = self._data, self._groups, self._start
        n = len(data)
        if end >= self._keep_from:
            end = n
        rows = [data[0], *data[start:end]]
        grp = [groups[0], *groups[start:end]]
        last_ruled = len(rows) - 1 - (1 if end == n and self._has_tail else 0)
        commands = [*self._fixed, *_rules(grp, last_ruled, 0.5, 0.5)]
        if start > 1:  # what reportlab's split gives the rest of a table: a rule under the header
            commands.append(("LINEABOVE", (0, 1), (-1, 1), 0.5, GRID_COLOR))
        if end == n:
            if self._has_tail:
                commands += [
                    ("SPAN", (0, -1), (-1, -1)),
                    ("TOPPADDING", (0, -1), (-1, -1), 12),
                    ("LEFTPADDING", (0, -1), (-1, -1), 0),
                    ("RIGHTPADDING", (0, -1), (-1, -1), 0),
                ]
            keep = self._keep_from - start + 1
            if len(rows) - 1 > keep >= 1:
                commands.append(("NOSPLIT", (0, keep), (-1, -1)))
        return _table(rows, self._col_widths, commands, repeatRows=1)

    def _fit(self, availWidth, availHeight) -> tuple[Table, float, float]:
        key = (availWidth, availHeight)
        if key not in self._cache:
            size = self._size  # grown (doubled) until taller than the room
            while True:
                end = min(self._start + size, len(self._data))
                table = self._window(end)
                w, h = table.wrapOn(getattr(self, "canv", None), availWidth, availHeight)
                if h > availHeight or table._nrows - 1 >= len(self._data) - self._start:
                    break
                size *= 2
            self._cache = {key: (table, w, h)}
        return self._cache[key]

    def wrap(self, availWidth, availHeight):
        table, w, h = self._fit(availWidth, availHeight)
        self._table = table
        self.width, self.height = w, h
        return w, h

    def drawOn(self, canvas, x, y, _sW=0):
        self._table.drawOn(canvas, x, y, _sW)

    def split(self, availWidth, availHeight):
        table, _, _ = self._fit(availWidth, availHeight)
        parts = table.splitOn(getattr(self, "canv", None), availWidth, availHeight)
        if len(parts) != 2:
            return parts
        taken = parts[0]._nrows - 1  # data rows on this page (the header repeats)
        rest = _PagedTable(
            self._data,
            self._groups,
            self._col_widths,
            self._fixed,
            self._has_tail,
            self._keep_from,
            self._start + taken,
            size=max(4, taken + taken // 2 + 2),
        )
        return [parts[0], rest]


def _rules(groups: Sequence[int], last: int, inner: float, outer: float) -> list:
    """Grid lines for rows 0..``last``. Rows of the same group (the pieces of a continued
    row) have no rule and no padding between them, so they read as one row. Put these
    commands after the paddings."""
    commands = [
        ("BOX", (0, 0), (-1, last), outer, GRID_COLOR),
        ("LINEAFTER", (0, 0), (-2, last), inner, GRID_COLOR),
        # close the box where a page break falls inside a continued row
        ("LINEBELOW", (0, "splitlast"), (-1, "splitlast"), outer, GRID_COLOR),
        ("LINEABOVE", (0, "splitfirst"), (-1, "splitfirst"), outer, GRID_COLOR),
    ]
    for r in range(last):
        if groups[r] != groups[r + 1]:
            commands.append(("LINEBELOW", (0, r), (-1, r), inner, GRID_COLOR))
        else:
            commands += [("BOTTOMPADDING", (0, r), (-1, r), 0), ("TOPPADDING", (0, r + 1), (-1, r + 1), 0)]
    return commands


@dataclass(frozen=True)
class Column:
    """A ledger column: header text, relative width, cell alignment (left/center/right).

    Cells are padded 3 pt on the left and 3 pt + half a character on the right, where a
    hanging ，or 、 may go.
    """

    header: str
    width_weight: float = 1.0
    align: str = "left"

    def __post_init__(self):
        if self.align not in ("left", "center", "right") or self.width_weight <= 0:
            raise ValueError(f"bad column {self}")


def data_table(
    columns: Sequence[Column],
    rows: Sequence[Sequence[str]],
    *,
    width: float,
    frame_height: float,
    totals: Sequence[str] | None = None,
    font_size: float = 10,
    tail: Flowable | None = None,
    note: str | None = None,
) -> Table:
    """A gridded table whose header row repeats on every page.

    Column widths are the weights scaled to ``width``. The last data row and the totals
    row never split apart, and the header is never left alone at a page foot. ``tail``
    (e.g. :func:`signature_lines`) is an unruled last row kept with them. ``frame_height``
    is the room the table has on its first page: a row taller than that goes on in
    further rows (without a rule between them). ``note`` is a ruled line across the whole
    table after the rows (an empty month's 本月无矛盾纠纷（零报告）).
    """
    ncols = len(columns)
    for i, row in enumerate(rows):
        if len(row) != ncols:
            raise ValueError(f"row {i} has {len(row)} cells, expected {ncols}")
    if totals is not None and len(totals) != ncols:
        raise ValueError(f"totals has {len(totals)} cells, expected {ncols}")
    weight = sum(c.width_weight for c in columns)
    col_widths = [width * c.width_weight / weight for c in columns]
    # right: room for the half-width of a ，or 、 hanging at the end of a line
    left_pad, right_pad, top_pad, bottom_pad = 3, 3 + font_size / 2, 2, 3

    def cells(values: Sequence[str], font: str) -> list[Flowable]:
        return [
            _cell(v, font, font_size, c.align, w - left_pad - right_pad) for v, c, w in zip(values, columns, col_widths)
        ]

    # as para() sets them, but a header that fits is plain lines and one that wraps remembers its
    # breaking: every page's table lays the header out again (issue 14, ledger speed)
    header = [_cell(c.header, HEI, font_size, "center", w - left_pad - right_pad) for c, w in zip(columns, col_widths)]
    header_height = (
        max(p.wrap(w - left_pad - right_pad, frame_height)[1] for p, w in zip(header, col_widths))
        + top_pad
        + bottom_pad
    )
    room = frame_height - header_height - top_pad - bottom_pad - 1

    data: list[list] = [header]
    groups = [-1]
    for i, row in enumerate(rows):
        pieces = _continued(cells(row, FANG), col_widths, left_pad + right_pad, room)
        data += pieces
        groups += [i] * len(pieces)
    if totals is not None:
        data.append(cells(totals, HEI))
        groups.append(len(rows))
    spans = []
    if note:
        data.append([_cell(note, HEI, font_size, "center", width - left_pad - right_pad)] + [""] * (ncols - 1))
        groups.append(len(rows) + 1)
        spans.append(("SPAN", (0, len(data) - 1), (-1, len(data) - 1)))
    last_ruled = len(data) - 1
    commands = [
        ("BACKGROUND", (0, 0), (-1, 0), HEADER_FILL),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("LEFTPADDING", (0, 0), (-1, -1), left_pad),
        ("RIGHTPADDING", (0, 0), (-1, -1), right_pad),
        ("TOPPADDING", (0, 0), (-1, -1), top_pad),
        ("BOTTOMPADDING", (0, 0), (-1, -1), bottom_pad),
        *_rules(groups, last_ruled, 0.5, 0.5),
        *spans,
    ]
    if tail is not None:
        data.append([tail] + [""] * (ncols - 1))
        commands += [
            ("SPAN", (0, -1), (-1, -1)),
            ("TOPPADDING", (0, -1), (-1, -1), 12),
            ("LEFTPADDING", (0, -1), (-1, -1), 0),
            ("RIGHTPADDING", (0, -1), (-1, -1), 0),
        ]
    # the last (piece of the) last data row stays with the totals and the tail
    keep_from = last_ruled - 1 if totals is not None and rows else last_ruled
    if len(data) - 1 > keep_from >= 1:
        commands.append(("NOSPLIT", (0, keep_from), (-1, -1)))
    if len(data) <= _WINDOW:
        return _table(data, col_widths, commands, repeatRows=1)
    fixed = commands[:6]  # header fill, valign, paddings: whole-table commands
    return _PagedTable(data, groups, col_widths, fixed, tail is not None, keep_from)


def kv_table(
    rows: Sequence[Sequence[str]],
    col_widths: Sequence[float] | None = None,
    *,
    width: float | None = None,
    label_width: float = 28 * mm,
    font_size: float = 12,
    frame_height: float | None = None,
) -> Table:
    """A boxed label/value table: each row is ``(label, value)`` or ``(label, value,
    label, value, …)``; a row shorter than the widest spans its last value to the end.

    ``col_widths`` default: labels ``label_width`` wide, values sharing the rest of
    ``width``. ``width`` and ``frame_height`` (see :func:`data_table`) default to the
    :func:`build_form` frame.
    """
    ncols = max(len(r) for r in rows)
    if ncols % 2 or any(len(r) % 2 for r in rows):
        raise ValueError("kv_table rows need (label, value) pairs")
    if col_widths is None:
        pairs = ncols // 2
        value_width = ((width or FORM_FRAME_WIDTH) - label_width * pairs) / pairs
        col_widths = [label_width, value_width] * pairs
    hpad, top_pad, bottom_pad = 6, 4, 5
    room = (frame_height or FORM_FRAME_HEIGHT) - top_pad - bottom_pad - 1
    data, groups, spans = [], [], []
    for r, row in enumerate(rows):
        cells = [
            para(text, font=HEI if c % 2 == 0 else FANG, size=font_size, align="center" if c % 2 == 0 else "left")
            for c, text in enumerate(row)
        ]
        widths = list(col_widths[: len(row) - 1]) + [sum(col_widths[len(row) - 1 :])]
        for piece in _continued(cells, widths, 2 * hpad, room):
            if len(row) < ncols:
                spans.append(("SPAN", (len(row) - 1, len(data)), (-1, len(data))))
            data.append(piece + [""] * (ncols - len(row)))
            groups.append(r)
    commands = [
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("LEFTPADDING", (0, 0), (-1, -1), hpad),
        ("RIGHTPADDING", (0, 0), (-1, -1), hpad),
        ("TOPPADDING", (0, 0), (-1, -1), top_pad),
        ("BOTTOMPADDING", (0, 0), (-1, -1), bottom_pad),
        *spans,
        *_rules(groups, len(data) - 1, 0.5, 1.0),
    ]
    return _table(data, col_widths, commands)


def signature_lines(
    fields: Sequence[tuple[str, str]], *, width: float, per_row: int = 3, font_size: float = 12, gap: float = 10 * mm
) -> Table:
    """Borderless ``label：value`` fields, ``per_row`` to a line, each value written on a
    rule (a blank value leaves the rule to sign on)."""
    register_fonts()
    label_widths = [0.0] * per_row
    for i, (label, _) in enumerate(fields):
        needed = stringWidth(label + "：", FANG, font_size) + 2
        label_widths[i % per_row] = max(label_widths[i % per_row], needed)
    value_width = (width - sum(label_widths) - gap * (per_row - 1)) / per_row
    col_widths = []
    for label_width in label_widths:
        col_widths += [label_width, value_width, gap]
    col_widths[-1] = 0
    data, commands = (
        [],
        [
            ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
            ("LEFTPADDING", (0, 0), (-1, -1), 0),
            ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ("TOPPADDING", (0, 0), (-1, -1), 8),
        ],
    )
    for start in range(0, len(fields), per_row):
        row = []
        for c, (label, value) in enumerate(fields[start : start + per_row]):
            row += [para(label + "：", size=font_size), para(value, size=font_size, align="center"), ""]
            at = (3 * c + 1, start // per_row)
            commands.append(("LINEBELOW", at, at, 0.5, GRID_COLOR))
        data.append(row + [""] * (3 * per_row - len(row)))
    return _table(data, col_widths, commands)


# ---------------------------------------------------------------- ledger (A4 landscape)

LEDGER_PAGE = landscape(A4)
LEDGER_MARGINS = (12 * mm, 12 * mm, 12 * mm, 16 * mm)  # left, right, top, bottom
LEDGER_FRAME_WIDTH = LEDGER_PAGE[0] - LEDGER_MARGINS[0] - LEDGER_MARGINS[1]
LEDGER_FRAME_HEIGHT = LEDGER_PAGE[1] - LEDGER_MARGINS[2] - LEDGER_MARGINS[3]


def build_ledger(
    out: Out,
    *,
    title: str,
    subtitle: str | None,
    columns: Sequence[Column],
    rows: Sequence[Sequence[str]],
    totals: Sequence[str] | None = None,
    signature: dict[str, str] | None = None,
    font_size: float = 10,
    note: str | None = None,
    after: Sequence[Flowable] = (),
) -> int:
    """An A4 landscape 台账: centred title, subtitle line, gridded table with the header
    repeated on every page, totals row (or ``note``, a line across the table: 零报告), then
    填表人/审核人/填报日期 (from ``signature``, blank lines to sign when missing) and
    "第 1 页 共 N 页" on every page. ``font_size`` is the table's (10 pt; 9 pt 小五 for wide
    tables). ``after`` (e.g. the events' photos) follows from a new page."""
    register_fonts()
    signature = signature or {}
    sign = signature_lines(
        [(k, signature.get(k, "")) for k in ("填表人", "审核人", "填报日期")], width=LEDGER_FRAME_WIDTH
    )
    story: list[Flowable] = [para(title, font=HEI, size=18, leading=26, align="center")]
    if subtitle:
        story.append(para(subtitle, size=11, leading=18, align="left"))
    story.append(Spacer(0, 2 * mm))
    below_title = LEDGER_FRAME_HEIGHT - sum(f.wrap(LEDGER_FRAME_WIDTH, LEDGER_FRAME_HEIGHT)[1] for f in story)
    story.append(
        data_table(
            columns,
            rows,
            width=LEDGER_FRAME_WIDTH,
            frame_height=below_title,
            totals=totals,
            tail=sign,
            font_size=font_size,
            note=note,
        )
    )
    if after:
        story += [PageBreak(), *after]
    return _build(
        out,
        story,
        pagesize=LEDGER_PAGE,
        margins=LEDGER_MARGINS,
        title=title,
        footer=partial(_page_x_of_n, x=LEDGER_PAGE[0] / 2, y=LEDGER_MARGINS[3] / 2),
    )


# ---------------------------------------------------------------- text on a character grid

#: may not start a line (Chinese line-breaking rules, 禁则): closing punctuation, ％, …
CANNOT_START = "，。、；：？！）】》〉」』”’％%·～,.;:?!)]}"
#: may not end a line: opening brackets and quotes
CANNOT_END = "（【《〈「『“‘([{"
#: full-width punctuation whose glyph fills half its cell: squeezed by up to half a cell
#: to keep a line-end ，。 inside the type area instead of hanging it past the edge
_SQUEEZE_CLOSE = "，。、；：？！）】》〉」』”’"
_SQUEEZE_OPEN = "（【《〈「『“‘"
#: punctuation many fonts draw narrow (proportional “ ” — ·): set in a full cell
_FULL_CELL = "“”‘’—…"


def _is_wide(char: str) -> bool:
    return unicodedata.east_asian_width(char) in ("W", "F") or char in _FULL_CELL


@dataclass
class _Unit:
    """An unbreakable box on the grid: one wide character (a cell) or a run of narrow ones."""

    text: str
    width: float
    wide: bool

    @property
    def squeeze(self) -> float:  # how much the box may shrink at a line end
        return self.width / 2 if self.wide and self.text in _SQUEEZE_CLOSE + _SQUEEZE_OPEN else 0.0


def _units(text: str, font: str, size: float, pitch: float) -> list[_Unit]:
    """Wide characters one box each, a space its own box, other runs (2024, 93.3%) one box."""
    scale = pitch / size
    pieces: list[str] = []
    for char in text:
        if _is_wide(char) or char == " " or not pieces or _is_wide(pieces[-1][-1]) or pieces[-1] == " ":
            pieces.append(char)
        else:
            pieces[-1] += char
    return [
        _Unit(p, pitch, True)
        if len(p) == 1 and _is_wide(p)
        else _Unit(p, sum(text_width(c, font_for(c, font), size) for c in p) * scale, False)
        for p in pieces
    ]


def _break_lines(units: list[_Unit], width: float, first_indent: float) -> list[list[_Unit]]:
    """Greedy breaking with 禁则: a closing mark that would start a line is squeezed into the
    line before (punctuation shrinks by up to half a cell) or, when that is not enough,
    takes the last character of that line with it; an opening mark never ends a line."""
    lines, i, n, eps = [], 0, len(units), 0.01
    while i < n:
        if units[i].text == " " and lines:  # a space at a line start goes
            i += 1
            continue
        avail = width - (first_indent if not lines else 0)
        j, used = i, 0.0
        while j < n and used + units[j].width <= avail + eps:
            used += units[j].width
            j += 1
        if j == i:  # one box wider than the line (a long number or address): cut it
            unit = units[i]
            k = 1
            while k < len(unit.text) and unit.width * (k + 1) / len(unit.text) <= avail:
                k += 1
            head, tail = unit.text[:k], unit.text[k:]
            units[i : i + 1] = [
                _Unit(head, unit.width * k / len(unit.text), False),
                _Unit(tail, unit.width * len(tail) / len(unit.text), False),
            ]
            n += 1
            continue
        if j < n:
            k = j
            while k < n and units[k].text[0] in CANNOT_START:
                k += 1
            if k > j:
                extra = sum(u.width for u in units[j:k])
                room = sum(u.squeeze for u in units[i : k - 1])  # the last box keeps its cell
                if used + extra - room <= avail + eps:
                    j = k
                else:
                    while j > i + 1 and units[j].text[0] in CANNOT_START:
                        j -= 1
            while j > i + 1 and j < n and units[j - 1].text[-1] in CANNOT_END:
                j -= 1
        lines.append(units[i:j])
        i = j
    return lines


class GridText(Flowable):
    """Text set on a character grid: each wide character takes one ``pitch`` wide cell, its
    glyph scaled horizontally to fill it (GB/T 9704: 28 characters in 156 mm, so 3号 type
    at 98.7 %); narrow runs (numbers, Latin) keep their shapes at the same scale. Lines are
    broken with :data:`CANNOT_START`/:data:`CANNOT_END` and, with ``align="justify"``,
    stretched (or, for squeezed punctuation, shrunk) to the full width but for the last.
    ``align="center"`` balances the lines (a title wraps into lines of even length).
    Characters a font lacks are drawn in one that has them (:func:`font_for`)."""

    def __init__(
        self,
        text: str,
        *,
        font: str,
        size: float,
        pitch: float,
        leading: float,
        width: float,
        indent_cells: float = 0,
        align: str = "justify",
        _lines: list[list[_Unit]] | None = None,
        _last_ends: bool = True,
    ):
        super().__init__()
        self.text, self.font, self.size, self.pitch, self.leading = text, font, size, pitch, leading
        self.frame_width, self.indent, self.align = width, indent_cells * pitch, align
        self._last_ends = _last_ends
        if _lines is None:
            units = _units(text, font, size, pitch)
            if align == "center":
                total = sum(u.width for u in units)
                count = max(1, -(-total // width)) if total > width + 0.01 else 1
                _lines = _break_lines(units, min(width, total / count + pitch), 0)
                if len(_lines) > count:  # balancing left a fragment: plain greedy breaking
                    _lines = _break_lines(units, width, 0)
            else:
                _lines = _break_lines(units, width, self.indent)
        self.lines = _lines

    def wrap(self, availWidth, availHeight):
        self.width, self.height = self.frame_width, self.leading * len(self.lines)
        return self.width, self.height

    def split(self, availWidth, availHeight):
        fit = int((availHeight + 0.01) // self.leading)
        if fit >= len(self.lines):
            return [self]
        if fit < 1:
            return []
        kw = {
            "font": self.font,
            "size": self.size,
            "pitch": self.pitch,
            "leading": self.leading,
            "width": self.frame_width,
            "align": self.align,
        }
        first = GridText(
            self.text, indent_cells=self.indent / self.pitch, _lines=self.lines[:fit], _last_ends=False, **kw
        )
        rest = GridText(self.text, _lines=self.lines[fit:], _last_ends=self._last_ends, **kw)
        rest.indent = 0
        return [first, rest]

    def _positions(self, number: int, line: list[_Unit]) -> list[float]:
        """The x of each box of line ``number``."""
        start = self.indent if number == 0 and self.indent else 0.0
        avail = self.frame_width - start
        natural = sum(u.width for u in line)
        slack = avail - natural
        last = number == len(self.lines) - 1 and self._last_ends
        gaps = [0.0] * len(line)
        if slack < -0.01:  # squeezed punctuation: shrink, from the line end backwards (not the
            need = -slack  # last box: its whole cell stays inside the type area)
            for k in range(len(line) - 2, -1, -1):
                take = min(need, line[k].squeeze)
                gaps[k] -= take
                need -= take
        elif self.align == "justify" and not last and len(line) > 1 and slack > 0.01:
            for k in range(len(line) - 1):
                gaps[k] = slack / (len(line) - 1)
        elif self.align == "center":
            start += max(0.0, slack) / 2
        xs, x = [], start
        for unit, gap in zip(line, gaps):
            # an opening mark squeezed: its blank is on the left, so the glyph moves left
            shift = gap if unit.text in _SQUEEZE_OPEN and gap < 0 else 0.0
            xs.append(x + shift)
            x += unit.width + gap
        return xs

    def draw(self):
        canvas = self.canv
        scale = 100 * self.pitch / self.size
        ascent = 0.88 * self.size
        for number, line in enumerate(self.lines):
            baseline = self.height - number * self.leading - (self.leading - self.size) / 2 - ascent
            for unit, x in zip(line, self._positions(number, line)):
                for face, piece in runs(unit.text, self.font):
                    width = text_width(piece, face, self.size) * self.pitch / self.size
                    if unit.wide and unit.text in "“‘":  # a narrow opening quote sits at its cell's right
                        x += unit.width - width
                    text = canvas.beginText(x, baseline)
                    text.setFont(face, self.size)
                    text.setHorizScale(scale)
                    text.textOut(piece)
                    canvas.drawText(text)
                    x += width


# ---------------------------------------------------------------- official document (GB/T 9704)

DOC_PAGE = A4
DOC_MARGINS = (28 * mm, A4[0] - 28 * mm - 156 * mm, 37 * mm, A4[1] - 37 * mm - 225 * mm)
DOC_FRAME = (156 * mm, 225 * mm)  # 版心 width, height
DOC_LINES_PER_PAGE = 22
#: the 22-line grid, a hair under 225 mm / 22 so that rounding never drops the last line
DOC_LEADING = int(DOC_FRAME[1] / DOC_LINES_PER_PAGE * 100) / 100
DOC_BODY_SIZE = 16  # 三号
DOC_TITLE_SIZE = 22  # 二号
DOC_PAGE_NUMBER_SIZE = 14  # 四号
DOC_CHARS_PER_LINE = 28
#: one character's cell: 28 in the 156 mm 版心 (3号 glyphs scaled to 98.7 % to fill it)
DOC_PITCH = DOC_FRAME[0] / DOC_CHARS_PER_LINE
_HEADING_FONTS = {1: HEI, 2: KAI, 3: FANG, 4: FANG}


@dataclass(frozen=True)
class Heading:
    """A heading; the caller writes the numbering (一、 （一） 1. （1）) into ``text``."""

    level: int
    text: str


@dataclass(frozen=True)
class Text:
    """A body paragraph (first line indented two characters)."""

    text: str


@dataclass(frozen=True)
class Figure:
    """Any flowable (e.g. :func:`trend_chart`), centred, with an optional caption below."""

    flowable: Flowable
    caption: str | None = None


@dataclass(frozen=True)
class Gap:
    """Blank space of ``lines`` body lines."""

    lines: float = 1.0


Block = Heading | Text | Figure | Gap


def _block_flowable(block: Block) -> Flowable:
    body = partial(
        GridText,
        size=DOC_BODY_SIZE,
        pitch=DOC_PITCH,
        leading=DOC_LEADING,
        width=DOC_FRAME[0],
        indent_cells=2,
        align="justify",
    )
    if isinstance(block, Heading):
        if block.level not in _HEADING_FONTS:
            raise ValueError(f"heading level must be 1-4, not {block.level}")
        return body(block.text.strip(), font=_HEADING_FONTS[block.level])
    if isinstance(block, Text):
        # cadres often indent with 全角 spaces: the grid indents already
        return body(block.text.strip().lstrip("\u3000 "), font=FANG)
    if isinstance(block, Figure):
        block.flowable.hAlign = "CENTER"
        parts = [Spacer(0, DOC_LEADING / 2), block.flowable]
        if block.caption:
            parts.append(para(block.caption, font=KAI, size=14, leading=DOC_LEADING, align="center"))
        return KeepTogether(parts)
    if isinstance(block, Gap):
        return Spacer(0, DOC_LEADING * block.lines)
    raise TypeError(f"not a document block: {block!r}")


def _document_story(blocks: Sequence[Block]) -> list[Flowable]:
    """The blocks' flowables, with a conditional page break before each heading so that
    it, the headings right after it, and two lines of text (or the whole figure) that
    follow share a page."""
    flowables = [_block_flowable(b) for b in blocks]
    story: list[Flowable] = []
    for i, (block, flowable) in enumerate(zip(blocks, flowables)):
        if isinstance(block, Heading):
            end = i
            while end < len(blocks) and isinstance(blocks[end], Heading):
                end += 1
            needed = sum(f.wrap(*DOC_FRAME)[1] for f in flowables[i:end])
            if end < len(blocks):
                after = flowables[end].wrap(*DOC_FRAME)[1]
                needed += after if isinstance(blocks[end], Figure) else min(after, 2 * DOC_LEADING)
            story.append(CondPageBreak(needed))
        story.append(flowable)
    return story


def _gbt9704_page_number(canvas: Canvas, doc: BaseDocTemplate) -> None:
    """ "— n —" in 四号 宋体, its rule 7 mm under the type area; odd pages right, even left,
    one character in from the type area edge."""
    page = canvas.getPageNumber()
    left, right, _, bottom = DOC_MARGINS
    size = DOC_PAGE_NUMBER_SIZE
    y = bottom - 7 * mm - 0.4 * size  # the top of "—" is about 0.4 em over the baseline
    text = f"— {page} —"
    canvas.saveState()
    canvas.setFont(SONG, size)
    if page % 2:
        canvas.drawRightString(DOC_PAGE[0] - right - size, y, text)
    else:
        canvas.drawString(left + size, y, text)
    canvas.restoreState()


def build_official_document(
    out: Out,
    *,
    title: str,
    subtitle_lines: Sequence[str] = (),
    blocks: Sequence[Block],
    signature_lines: Sequence[str] | None = None,
    appendix: Sequence[Flowable] = (),
) -> int:
    """A report in the GB/T 9704-2012 layout.

    Title 二号 小标宋 (XBS) centred (wrapped into balanced lines), subtitle lines 三号 KAI
    centred, a blank line, then the blocks in 三号 on a grid of 22 lines × 28 characters
    (:class:`GridText`). ``signature_lines`` (署名, 日期) are centred on one another,
    4 characters in from the right, two lines under the text. ``appendix`` (附件) starts on a
    page of its own after them, the page numbers running on.
    """
    register_fonts()
    story: list[Flowable] = [
        GridText(
            title,
            font=XBS,
            size=DOC_TITLE_SIZE,
            pitch=DOC_TITLE_SIZE,
            leading=DOC_LEADING,
            width=DOC_FRAME[0],
            align="center",
        )
    ]
    story += [para(line, font=KAI, size=DOC_BODY_SIZE, leading=DOC_LEADING, align="center") for line in subtitle_lines]
    story.append(Spacer(0, DOC_LEADING))
    story += _document_story(blocks)
    if signature_lines:
        story.append(KeepTogether([Spacer(0, DOC_LEADING * 2), _closing(signature_lines)]))
    if appendix:
        story += [PageBreak(), *appendix]
    return _build(out, story, pagesize=DOC_PAGE, margins=DOC_MARGINS, title=title, on_page=_gbt9704_page_number)


def _closing(lines: Sequence[str]) -> Table:
    """署名 and 日期 centred on one another, 4 characters in from the right edge."""
    width = max(stringWidth(line, FANG, DOC_BODY_SIZE) for line in lines) + 2
    rows = [[para(line, size=DOC_BODY_SIZE, leading=DOC_LEADING, align="center"), ""] for line in lines]
    table = _table(
        rows,
        [width, 4 * DOC_BODY_SIZE],
        [
            ("LEFTPADDING", (0, 0), (-1, -1), 0),
            ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ("TOPPADDING", (0, 0), (-1, -1), 0),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 0),
        ],
    )
    table.hAlign = "RIGHT"
    return table


# ---------------------------------------------------------------- single forms (A4 portrait)

FORM_PAGE = A4
FORM_MARGINS = (25 * mm, 20 * mm, 22 * mm, 20 * mm)
FORM_FRAME_WIDTH = FORM_PAGE[0] - FORM_MARGINS[0] - FORM_MARGINS[1]
FORM_FRAME_HEIGHT = FORM_PAGE[1] - FORM_MARGINS[2] - FORM_MARGINS[3]


def build_form(
    out: Out,
    *,
    title: str,
    blocks: Sequence[Flowable],
    on_page: Callable[[Canvas, BaseDocTemplate], None] | None = None,
) -> int:
    """A portrait A4 form: bold 宋体 title (二号 centred), then ``blocks`` (flowables from
    :func:`para`, :func:`kv_table`, :func:`data_table`, :func:`signature_lines`, Spacer…),
    "第 1 页 共 N 页" at the foot of every page. Frame width: :data:`FORM_FRAME_WIDTH`.
    ``on_page(canvas, doc)`` draws on every page (a running head, a watermark)."""
    register_fonts()
    heading = para(title, font=SONG, size=22, leading=32, align="center", bold=True)
    return _build(
        out,
        [heading, Spacer(0, 4 * mm), *blocks],
        pagesize=FORM_PAGE,
        margins=FORM_MARGINS,
        title=title,
        on_page=on_page,
        footer=partial(_page_x_of_n, x=FORM_PAGE[0] / 2, y=FORM_MARGINS[3] / 2),
    )


# ---------------------------------------------------------------- chart

#: one colour per shown type; 其他 is always grey
CHART_COLORS = [
    colors.HexColor(c)
    for c in (
        "#3A6EA5",
        "#E07B39",
        "#5AA469",
        "#C8553D",
        "#8E6C8A",
        "#D4A72C",
        "#4B9DA9",
        "#B5651D",
        "#6B8E23",
        "#C71585",
    )
]
OTHER = "其他"
OTHER_COLOR = colors.HexColor("#A0A0A0")


def _top_series(series: dict[str, list[int]], top: int) -> dict[str, list[int]]:
    """The ``top`` largest series by total (ties by name); the rest summed into 其他."""
    ranked = sorted((k for k in series if k != OTHER), key=lambda k: (-sum(series[k]), k))
    keep = {k: list(series[k]) for k in ranked[:top]}
    rest = [series[k] for k in ranked[top:]] + ([series[OTHER]] if OTHER in series else [])
    if rest:
        keep[OTHER] = [sum(values) for values in zip(*rest)]
    return keep


def _nice_step(peak: int) -> int:
    """An integer tick step giving at most about 6 ticks."""
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000):
        if peak / step <= 6:
            return step
    return -(-peak // 5)


def trend_chart(
    months: Sequence[str],
    series: dict[str, list[int]],
    width: float = 156 * mm,
    height: float = 80 * mm,
    *,
    top: int = 5,
) -> Drawing:
    """Stacked monthly bars, one colour per dispute type, with a legend above.

    Only the ``top`` types (at most 10) with the most cases are drawn; the others are
    summed into 其他. Every series has one count per month.
    """
    if not 1 <= top <= len(CHART_COLORS):
        raise ValueError(f"top must be 1-{len(CHART_COLORS)}")
    for name, values in series.items():
        if len(values) != len(months):
            raise ValueError(f"series {name!r} has {len(values)} values for {len(months)} months")
    fonts = register_fonts()
    shown = _top_series(series, top)
    names = list(shown)
    fills = [OTHER_COLOR if n == OTHER else CHART_COLORS[i] for i, n in enumerate(names)]
    peak = max((sum(month) for month in zip(*shown.values())), default=0)
    step = _nice_step(max(peak, 1))
    left, font, size, line = 12 * mm, fonts.hei, 9, 12

    # the legend takes as many columns as its longest name allows
    item_width = max((stringWidth(n, font, size) for n in names), default=0) + 30
    per_row = max(1, min(len(names), int((width - left) // item_width)))
    legend_rows = -(-len(names) // per_row)

    chart = VerticalBarChart()
    chart.x, chart.y = left, 8 * mm
    chart.width = width - left - 4 * mm
    chart.height = height - chart.y - legend_rows * line - 7 * mm
    chart.data = [shown[n] for n in names] or [[0] * len(months)]
    chart.categoryAxis.categoryNames = list(months)
    chart.categoryAxis.style = "stacked"
    chart.valueAxis.valueMin = 0
    chart.valueAxis.valueMax = step * -(-max(peak, 1) // step)
    chart.valueAxis.valueStep = step
    chart.valueAxis.visibleGrid = True
    chart.valueAxis.gridStrokeColor = colors.HexColor("#D0D0D0")
    for axis in (chart.categoryAxis, chart.valueAxis):
        axis.labels.fontName, axis.labels.fontSize = font, 8
    for i, fill in enumerate(fills):
        chart.bars[i].fillColor = fill
        chart.bars[i].strokeColor = None

    drawing = Drawing(width, height)
    drawing.initialFontName = font  # else the renderer sets an unembedded Helvetica
    drawing.add(chart)
    if names:
        legend = Legend()
        legend.x, legend.y = left, height - 2 * mm
        legend.boxAnchor = "nw"
        legend.alignment = "right"  # swatch, then name
        legend.fontName, legend.fontSize = font, size
        legend.dx = legend.dy = 8
        legend.columnMaximum = legend_rows
        legend.deltax = (width - left) / per_row
        legend.deltay = line
        legend.colorNamePairs = list(zip(fills, names))
        drawing.add(legend)
    return drawing
