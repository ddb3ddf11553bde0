"""Monthly ledgers (台账) as PDF: :class:`~dudu_desktop.reports.data.Ledger` → A4 landscape.

Column widths follow the content: each short column is as wide as its widest line (header
included, up to the column's ``max_mm``) so that dates, numbers, phones and ID numbers never
wrap; the long-text columns (纠纷简要情况, 咨询问题…) share what is left.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from reportlab.lib.units import mm

from dudu_desktop.reports.data import INT, MONEY, REAL, Ledger
from dudu_desktop.reports.fonts import FANG, HEI, register_fonts
from dudu_desktop.reports.layout import LEDGER_FRAME_WIDTH, Column, Out, build_ledger, text_width

#: the table's font size, and the smaller one for a ledger too wide for it (小五)
FONT_SIZE, SMALL_FONT_SIZE = 10, 9
#: the room long-text columns should have (per unit of ``flex``) before the font goes down
#: to 9 pt, and the least they get before the short columns are squeezed
MIN_FLEX, FLOOR_FLEX = 45 * mm, 20 * mm


def _pad(size: float) -> float:
    """data_table's cell padding: 3 pt left, 3 pt + half a character right (+1 for rounding)."""
    return 3 + 3 + size / 2 + 1


def cell_text(value: Any, kind: str = "") -> str:
    """A value as the printed ledger shows it: money with thousands separators and 2 decimals."""
    if value is None:
        return ""
    if kind == MONEY and isinstance(value, (int, Decimal)):
        return f"{Decimal(value):,.2f}"
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if kind == REAL else str(value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _widest(texts: list[str], font: str, size: float) -> float:
    return max((text_width(line, font, size) for t in texts for line in t.split("\n")), default=0)


def _natural(ledger: Ledger, size: float) -> dict[int, float]:
    """The short columns' widths: the widest line (header, cells, totals) up to ``max_mm``."""
    fixed: dict[int, float] = {}
    for i, col in enumerate(ledger.columns):
        if col.flex:
            continue
        cells = [cell_text(row[i], col.kind) for row in ledger.rows]
        need = max(
            _widest([col.header], HEI, size),
            _widest(cells, FANG, size),
            _widest([cell_text(ledger.totals[i], col.kind)] if ledger.totals else [], HEI, size),
        )
        cap = col.max_mm * mm
        if col.kind in (INT, REAL, MONEY):  # a number never wraps (序号 1000 as "100/0"): as wide as it is
            cap = max(cap, _widest(cells, FANG, size) + _pad(size))
        fixed[i] = min(need + _pad(size), cap)
    return fixed


def font_size(ledger: Ledger, width: float = LEDGER_FRAME_WIDTH) -> float:
    """10 pt, or 9 pt when the long-text columns would get less than :data:`MIN_FLEX`."""
    register_fonts()
    flex_total = sum(c.flex for c in ledger.columns)
    room = width - sum(_natural(ledger, FONT_SIZE).values())
    return FONT_SIZE if room >= MIN_FLEX * flex_total else SMALL_FONT_SIZE


def column_widths(ledger: Ledger, width: float = LEDGER_FRAME_WIDTH, size: float | None = None) -> list[float]:
    """Widths in points summing to ``width`` for the table's font ``size``."""
    register_fonts()
    fixed = _natural(ledger, size or font_size(ledger, width))
    flex_total = sum(c.flex for c in ledger.columns)
    room = width - sum(fixed.values())
    if flex_total and room < FLOOR_FLEX * flex_total:
        numbers = {i for i in fixed if ledger.columns[i].kind in (INT, REAL, MONEY)}
        squeezable = sum(w for i, w in fixed.items() if i not in numbers)
        scale = max(0.0, width - FLOOR_FLEX * flex_total - sum(fixed[i] for i in numbers)) / (squeezable or 1)
        fixed = {i: w if i in numbers else w * scale for i, w in fixed.items()}
        room = width - sum(fixed.values())
    if not flex_total:  # no long-text column: spread the slack over every column
        scale = width / sum(fixed.values())
        return [fixed[i] * scale for i in range(len(ledger.columns))]
    return [fixed[i] if i in fixed else room * c.flex / flex_total for i, c in enumerate(ledger.columns)]


def render_ledger_pdf(out: Out, ledger: Ledger, *, after: list | None = None) -> int:
    """Write the ledger as a PDF; returns the page count. ``after``: flowables on the pages that
    follow the table (the publicity events' photos, :func:`dudu_desktop.reports.photos.grid`)."""
    ledger = ledger.printed()
    size = font_size(ledger)
    widths = column_widths(ledger, size=size)
    columns = [Column(c.header, w, c.align) for c, w in zip(ledger.columns, widths)]
    rows = [[cell_text(v, c.kind) for v, c in zip(row, ledger.columns)] for row in ledger.rows]
    totals = [cell_text(v, c.kind) for v, c in zip(ledger.totals, ledger.columns)] if ledger.totals else None
    return build_ledger(
        out,
        title=ledger.title,
        subtitle=ledger.subtitle,
        columns=columns,
        rows=rows,
        totals=totals,
        signature=ledger.signature,
        font_size=size,
        note=ledger.empty_note if not ledger.rows else None,
        after=after or (),
    )
