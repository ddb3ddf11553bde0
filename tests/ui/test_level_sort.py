"""Sorting by 预警 orders by severity 红 → 黄 → 蓝, not by character code (issue 12), also when the
list is read a page at a time (keyset paging continues in the same order)."""

from __future__ import annotations

from PySide6.QtCore import Qt

from dudu_desktop.storage import queries
from dudu_desktop.storage.queries import Filters
from tests.ui.conftest import make_dispute, show_register

LEVELS = ("蓝", "红", "黄", "蓝", "黄", "红", "蓝")


def seed(ctx):
    return [
        make_dispute(ctx, day=f"2024-12-0{i + 1}", level=level, summary=f"第{i}条") for i, level in enumerate(LEVELS)
    ]


def levels(rows):
    return [r["level"] for r in rows]


def test_fetch_rows_orders_levels_by_severity_and_pages_continue(ctx):
    seed(ctx)
    rows = queries.fetch_rows(ctx.conn, "disputes", Filters(), order_by="level")
    assert levels(rows) == ["红", "红", "黄", "黄", "蓝", "蓝", "蓝"]
    down = queries.fetch_rows(ctx.conn, "disputes", Filters(), order_by="level", descending=True)
    assert levels(down) == ["蓝", "蓝", "蓝", "黄", "黄", "红", "红"]
    # keyset paging: the rows after the 3rd are the rest of the same order
    key = tuple(rows[2][k] for k in queries.sort_key("disputes", "level"))
    rest = queries.fetch_rows(ctx.conn, "disputes", Filters(), order_by="level", after=key, limit=10)
    assert [r["id"] for r in rest] == [r["id"] for r in rows[3:]]
    before = queries.fetch_rows(ctx.conn, "disputes", Filters(), order_by="level", before=key, limit=10)
    assert [r["id"] for r in before] == [r["id"] for r in rows[:2]]
    tail = queries.fetch_rows(ctx.conn, "disputes", Filters(), order_by="level", from_end=True, limit=2)
    assert [r["id"] for r in tail] == [r["id"] for r in rows[-2:]]


def test_clicking_the_warning_header_sorts_red_first(qtbot, window, ctx):
    seed(ctx)
    page = show_register(qtbot, window, "disputes")
    column = [c.key for c in page.model.columns].index("level")
    with qtbot.waitSignal(page.model.loaded, timeout=10000):
        page.view.sortByColumn(column, Qt.AscendingOrder)
    shown = [page.model.data(page.model.index(r, column)) for r in range(page.model.rowCount())]
    assert shown == ["红", "红", "黄", "黄", "蓝", "蓝", "蓝"]
