"""Read-only QTableWidget lists (accounts, backups, keys, sync summaries, conflicts, the reporting
overview): one way to make a cell, a table and its rows."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem


def item(value, *, bg: str | None = None, align=None) -> QTableWidgetItem:
    """A read-only cell showing ``value`` ('' for None), on ``bg`` and aligned by ``align`` if given."""
    cell = QTableWidgetItem("" if value is None else str(value))
    cell.setFlags(cell.flags() & ~Qt.ItemIsEditable)
    if bg:
        cell.setBackground(QBrush(QColor(bg)))
    if align is not None:
        cell.setTextAlignment(align)
    return cell


def read_only_table(
    headers: Sequence[str] = (),
    *,
    stretch: int | None = None,
    single_selection: bool = False,
    fit_columns: bool = False,
    word_wrap: bool = True,
) -> QTableWidget:
    """A table the user reads and selects rows of, without row numbers.

    ``stretch`` is the column that takes the spare width (else the last); ``fit_columns`` keeps every
    column as wide as its contents; ``single_selection`` selects one row at a time."""
    t = QTableWidget(0, len(headers))
    if headers:
        t.setHorizontalHeaderLabels(list(headers))
    t.setEditTriggers(QAbstractItemView.NoEditTriggers)
    t.setSelectionBehavior(QAbstractItemView.SelectRows)
    if single_selection:
        t.setSelectionMode(QAbstractItemView.SingleSelection)
    t.verticalHeader().setVisible(False)
    t.setWordWrap(word_wrap)
    header = t.horizontalHeader()
    if fit_columns:
        header.setSectionResizeMode(QHeaderView.ResizeToContents)
    if stretch is None:
        header.setStretchLastSection(True)
    else:
        header.setSectionResizeMode(stretch, QHeaderView.Stretch)
    return t


def fill(table: QTableWidget, rows: Sequence[Sequence], headers: Sequence[str] | None = None) -> None:
    """Show ``rows`` (values, or cells made with :func:`item`). With ``headers`` the columns are set
    anew and sized to their contents."""
    if headers is not None:
        table.clear()
        table.setColumnCount(len(headers))
        table.setHorizontalHeaderLabels(list(headers))
    table.setRowCount(len(rows))
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            table.setItem(r, c, value if isinstance(value, QTableWidgetItem) else item(value))
    if headers is not None:
        table.resizeColumnsToContents()
