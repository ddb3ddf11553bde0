"""The register page and its windowed model: filters, search, home click-through, 200,000 rows."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QTableView

from dudu_desktop.services import disputes, hotline
from dudu_desktop.storage.db import transaction
from dudu_desktop.storage.queries import Filters
from dudu_desktop.ui.models import RegisterModel
from tests.ui.conftest import make_dispute, model_ids, show_register, type_text


@pytest.fixture
def three(ctx):
    a = make_dispute(ctx, "2024-12-05", "邻居之间因排水沟堵塞发生争吵", "红", "王德明")
    b = make_dispute(ctx, "2024-11-10", "承包地边界及林木权属争议", "黄", "李秀英", "山林土地")
    c = make_dispute(ctx, "2024-10-02", "邻居修建围墙占用公共通道", "蓝", "张三")
    disputes.conclude(ctx, c, result="调解成功", agreement_terms="双方和解", concluded_on="2024-10-20")
    return a, b, c


def test_filters_and_search_return_the_right_rows(qtbot, three, window, ctx):
    a, b, c = three
    page = show_register(qtbot, window, "disputes")
    assert model_ids(page.model) == [a, b, c]  # newest first
    with qtbot.waitSignal(page.model.loaded, timeout=10000):  # the search box is debounced
        type_text(qtbot, page.search, "邻居")  # 2 characters: LIKE
    assert model_ids(page.model) == [a, c]
    with qtbot.waitSignal(page.model.loaded, timeout=10000):
        page.search.setText("排水沟")  # 3 characters: the trigram index
    assert model_ids(page.model) == [a]
    with qtbot.waitSignal(page.model.loaded, timeout=10000):
        page.search.clear()
    with qtbot.waitSignal(page.model.loaded, timeout=10000):
        page.level.setCurrentIndex(page.level.findData("黄"))
    assert model_ids(page.model) == [b]
    with qtbot.waitSignal(page.model.loaded, timeout=10000):
        page.reset_filters()
    with qtbot.waitSignal(page.model.loaded, timeout=10000):
        page.status.setCurrentIndex(page.status.findData("已办结"))
    assert model_ids(page.model) == [c]
    with qtbot.waitSignal(page.model.loaded, timeout=10000):
        page.set_filters(Filters(month="2024-11"))
    assert model_ids(page.model) == [b]
    assert page.period.currentData() == "month" and page.month.date().toString("yyyy-MM") == "2024-11"
    with qtbot.waitSignal(page.model.loaded, timeout=10000):
        page.set_filters(Filters(type="山林土地"))
    assert model_ids(page.model) == [b]
    with qtbot.waitSignal(page.model.loaded, timeout=10000):
        page.reset_filters()
    with qtbot.waitSignal(page.model.loaded, timeout=10000):
        page.overdue.setChecked(True)  # open and registered > 30 days ago
    assert model_ids(page.model) == [b]
    assert page.count_label.text() == "共 1 条"


def test_sorting_by_an_indexed_column(qtbot, three, window, ctx):
    a, b, c = three
    page = show_register(qtbot, window, "disputes")
    level_col = [col.key for col in page.model.columns].index("level")
    with qtbot.waitSignal(page.model.loaded, timeout=10000):
        page.view.sortByColumn(level_col, Qt.AscendingOrder)
    assert [page.model.row_record(r)["level"] for r in range(3)] == ["红", "黄", "蓝"]  # by severity (issue 12)
    summary_col = [col.key for col in page.model.columns].index("summary")
    page.view.sortByColumn(summary_col, Qt.AscendingOrder)  # not indexed: ignored
    assert page.model.order_by == "level"


def test_rows_stand_out_by_level_and_overdue(qtbot, ctx, db_path, three):
    a, b, c = three
    model = RegisterModel(ctx, "disputes", db_path, threaded=False)
    model.refresh()
    overdue_col = [col.key for col in model.columns].index("overdue")
    colours = [model.index(r, 0).data(Qt.BackgroundRole).color().name() for r in range(3)]
    assert colours == ["#f9d0d0", "#fff1b8", "#dce9fa"]
    assert model.index(1, overdue_col).data() == "超期10天"  # 2024-11-10 + 30 days = 2024-12-10
    assert model.index(1, 0).data(Qt.ForegroundRole).color().name() == "#b00020"
    assert model.index(0, overdue_col).data() == ""
    assert model.index(2, 0).data(Qt.ForegroundRole).color().name() == "#5f6368"  # concluded: grey


def test_home_figures_click_through_to_the_filtered_register(qtbot, three, window, ctx):
    a, b, c = three
    window.show_page("home")
    assert window.home.buttons["open_黄"].text_value() == "1"
    page = window.pages["disputes"]
    with qtbot.waitSignal(page.model.loaded, timeout=10000):
        qtbot.mouseClick(window.home.buttons["open_黄"], Qt.LeftButton)
    assert window.page_key() == "disputes"
    assert model_ids(page.model) == [b]
    assert page.extra_label.text() == "筛选：未办结" and page.level.currentData() == "黄"
    with qtbot.waitSignal(page.model.loaded, timeout=10000):
        window.navigate(
            "disputes",
            next(
                f
                for f in __import__("dudu_desktop.services.home", fromlist=["x"]).figures(ctx)
                if f.key == "new_disputes"
            ).filters,
        )
    assert model_ids(page.model) == [a]


def test_the_other_registers_list_and_search(qtbot, window, ctx):
    call = hotline.create_call(
        ctx,
        {
            "called_at": "2024-12-01 09:00",
            "caller_name": "张三",
            "category": "劳动",
            "question": "在外务工被拖欠工资怎么办",
        },
    )
    hotline.create_call(
        ctx,
        {"called_at": "2024-12-02 09:00", "anonymous": True, "category": "其他", "question": "遗嘱需要公证才有效吗"},
    )
    page = show_register(qtbot, window, "hotline")
    assert page.model.rowCount() == 2
    caller_col = [col.key for col in page.model.columns].index("caller_name")
    assert page.model.index(0, caller_col).data() == "（匿名）"
    with qtbot.waitSignal(page.model.loaded, timeout=10000):
        page.search.setText("工资")
        page.apply_filters()
    assert model_ids(page.model) == [call]


ROWS = 200_000


@pytest.fixture
def big_db(ctx):
    """200,000 disputes written straight into the table (executemany in one transaction)."""
    start = dt.date(2000, 1, 1)
    now = "2024-12-20 10:00:00"

    def rows():
        for i in range(ROWS):
            day = (start + dt.timedelta(days=i // 30)).isoformat()
            yield (
                str(uuid.UUID(int=i)),
                "500243104201",
                now,
                now,
                f"{i:06d}",
                day,
                "邻里",
                f"纠纷{i}",
                f"当事人{i}",
                ("红", "黄", "蓝")[i % 3],
                "已办结",
                "调解成功",
                day,
            )

    with transaction(ctx.conn):
        ctx.conn.executemany(
            "INSERT INTO disputes (id, village_code, created_at, updated_at, serial_no, registered_on, "
            "dispute_type, summary, party_names, level, status, result, concluded_on) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows(),
        )
    return ctx


@pytest.mark.slow  # 200,000 rows (the big_db fixture): deselect with -m "not slow"
def test_the_model_serves_200000_rows_without_loading_them(qtbot, big_db, db_path):
    ctx = big_db
    model = RegisterModel(ctx, "disputes", db_path)
    view = QTableView()
    qtbot.addWidget(view)
    view.resize(900, 600)
    view.setModel(model)
    with qtbot.waitSignal(model.loaded, timeout=60000):  # count + first page on a worker thread
        model.refresh()
    assert model.rowCount() == ROWS
    assert model.rows_fetched == model.PAGE and model.page_loads == 1
    view.show()
    qtbot.waitExposed(view)
    view.scrollToBottom()
    qtbot.wait(1)
    last = model.row_record(ROWS - 1)
    assert last["serial_no"] == "000000"  # newest first: the oldest row is last
    serial_col = [c.key for c in model.columns].index("serial_no")
    assert model.index(ROWS - 1, serial_col).data() == "000000"
    # scroll through the whole table in steps: pages come and go, the cache stays bounded
    for row in range(0, ROWS, 997):
        view.scrollTo(model.index(row, 0))
        assert model.row_record(row)["serial_no"] == f"{ROWS - 1 - row:06d}"
        assert model.pages_cached <= model.MAX_PAGES
    assert model.rows_cached <= model.PAGE * model.MAX_PAGES
    assert model.page_loads <= ROWS // 997 + 10 + model.MAX_PAGES
    assert model.rows_fetched <= (ROWS // 997 + 10 + model.MAX_PAGES) * model.PAGE
    # a search over the big table runs off the UI thread too
    with qtbot.waitSignal(model.loaded, timeout=60000):
        model.set_filters(Filters(search="当事人19999"))
    assert [model.row_record(r)["serial_no"] for r in range(model.rowCount())] == sorted(
        (f"{i:06d}" for i in range(ROWS) if "当事人19999" in f"当事人{i}"), reverse=True
    )


def test_a_new_search_shows_its_first_rows_and_a_refresh_keeps_the_place(qtbot, ctx, window):
    """After scrolling down, a new search (or filter, or sort) starts at its first row, not at the scroll
    position of the old rows; a refresh after a save keeps the place."""
    for i in range(120):
        make_dispute(ctx, f"2024-{1 + i % 11:02d}-{1 + i % 28:02d}", f"第{i}号邻居纠纷排水沟", "蓝", f"张{i}")
    window.resize(1000, 600)
    window.show()
    page = show_register(qtbot, window, "disputes")
    bar = page.view.verticalScrollBar()
    page.view.scrollToBottom()
    qtbot.waitUntil(lambda: bar.value() == bar.maximum() and bar.maximum() > 0, timeout=5000)
    with qtbot.waitSignal(page.model.loaded, timeout=10000):
        page.model.refresh()  # as after a save: the place is kept
    assert bar.value() > 0
    with qtbot.waitSignal(page.model.loaded, timeout=10000):
        page.search.setText("排水沟")
    assert bar.value() == 0
    assert page.view.rowAt(0) == 0  # the first row of the new result is in view
    page.view.scrollToBottom()
    qtbot.waitUntil(lambda: bar.value() > 0, timeout=5000)
    level_col = [col.key for col in page.model.columns].index("registered_on")
    with qtbot.waitSignal(page.model.loaded, timeout=10000):
        page.view.sortByColumn(level_col, Qt.AscendingOrder)
    assert bar.value() == 0
