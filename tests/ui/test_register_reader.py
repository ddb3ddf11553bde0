"""The register model's long-lived read connection (issue 14, search ≤ 50 ms): one worker thread and one
connection per model, kept across refreshes, seeing every committed write, closed with the window."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QTableView

from dudu_desktop.services import disputes
from dudu_desktop.storage import db as storage
from dudu_desktop.storage import queries
from dudu_desktop.storage.queries import Filters
from dudu_desktop.ui import models, workers
from dudu_desktop.ui.models import RegisterModel
from tests.ui.conftest import make_dispute, model_ids, show_register


@pytest.fixture
def connects(monkeypatch):
    """Every SQLite connection opened through storage.connect, with the thread that opened it."""
    opened = []
    real = storage.connect

    def counting(path):
        conn = real(path)
        opened.append((conn, threading.get_ident()))
        return conn

    monkeypatch.setattr(storage, "connect", counting)
    return opened


def _load(qtbot, model, filters=None):
    with qtbot.waitSignal(model.loaded, timeout=20000):
        if filters is None:
            model.refresh()
        else:
            model.set_filters(filters)
    return model_ids(model)


def test_the_model_opens_one_connection_for_all_its_refreshes(qtbot, ctx, db_path, connects):
    a = make_dispute(ctx, "2024-12-05", "邻居之间因排水沟堵塞发生争吵")
    b = make_dispute(ctx, "2024-11-10", "承包地边界及林木权属争议", dtype="山林土地")
    c = make_dispute(ctx, "2024-10-02", "邻居修建围墙占用公共通道")
    model = RegisterModel(ctx, "disputes", db_path)
    assert _load(qtbot, model) == [a, b, c]
    searches = {"邻居": [a, c], "排水沟": [a], "林木权属": [b], "邻": [a, c], "无此字样": [], "": [a, b, c]}
    for word, expected in searches.items():
        assert _load(qtbot, model, Filters(search=word or None)) == expected, word
    _load(qtbot, model, Filters(level="蓝"))
    model.sort([col.key for col in model.columns].index("level"), Qt.AscendingOrder)
    qtbot.waitUntil(lambda: not model.busy, timeout=20000)
    # nine queries (first page and count each), one connection, opened off the UI thread
    assert len(connects) == 1 and model.reader.connects == 1
    conn, thread = connects[0]
    assert thread != threading.main_thread().ident and conn is not ctx.conn
    model.close()
    assert not model.reader.is_open
    # a refresh after close opens a new one (still sorted by level, then date, ascending)
    assert _load(qtbot, model, Filters()) == [c, b, a]
    assert len(connects) == 2
    model.close()


def test_what_the_window_saves_shows_up_in_the_register_after_refresh(qtbot, window, ctx, db_path, connects):
    a = make_dispute(ctx, "2024-12-05", "邻居之间因排水沟堵塞发生争吵")
    page = show_register(qtbot, window, "disputes")
    model = page.model
    assert model_ids(model) == [a]
    # saved on the window's connection (committed), read on the model's long-lived one (WAL)
    b = make_dispute(ctx, "2024-12-10", "果园灌溉用水分配纠纷")
    assert _load(qtbot, model) == [b, a]
    assert _load(qtbot, model, Filters(search="灌溉")) == [b]
    disputes.update_dispute(ctx, b, {"summary": "宅基地界址争议"})
    assert _load(qtbot, model) == []  # the old words are gone
    assert _load(qtbot, model, Filters(search="宅基地")) == [b]
    assert _load(qtbot, model, Filters(search="界址")) == [b]
    assert _load(qtbot, model, Filters()) == [b, a]
    assert model.reader.connects == 1 and model.reader.is_open
    window.close()  # the window closes its readers
    assert not model.reader.is_open
    assert all(job.reader is not model.reader for job in workers.running())


def test_a_cancelled_query_does_not_disturb_the_next_one_on_the_same_connection(qtbot, ctx, db_path):
    a = make_dispute(ctx, "2024-12-05", "邻居之间因排水沟堵塞发生争吵")
    reader = workers.Reader(db_path)
    started, reported = threading.Event(), []

    def endless(job):
        started.set()
        return job.conn.execute(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT count(*) FROM n"
        ).fetchone()

    first = workers.Job(endless, reader=reader)
    first.signals.done.connect(reported.append)
    first.signals.failed.connect(reported.append)
    workers.start(first)
    assert started.wait(10)
    first.cancel()
    second = workers.Job(
        lambda job: (job.conn, [r["id"] for r in job.conn.execute("SELECT id FROM disputes")]), reader=reader
    )
    with qtbot.waitSignal(second.signals.done, timeout=20000) as got:
        workers.start(second)
    conn, ids = got.args[0]
    assert ids == [a] and reported == [] and reader.connects == 1
    assert conn.execute("SELECT 1").fetchone()[0] == 1  # still open between jobs
    reader.close()
    with pytest.raises(Exception, match="closed"):
        conn.execute("SELECT 1")


def test_the_count_starts_once_the_first_page_is_on_screen(qtbot, ctx, db_path, monkeypatch):
    ids = [make_dispute(ctx, f"2024-12-0{day}", "邻居之间因排水沟堵塞发生争吵") for day in range(1, 6)]
    model = RegisterModel(ctx, "disputes", db_path)
    model.PAGE = 2  # the first page, then the count of five
    view = QTableView()
    qtbot.addWidget(view)
    view.setModel(model)
    view.show()
    qtbot.waitExposed(view)
    seen, real = [], queries.count_rows

    class Painted(QObject):
        def eventFilter(self, obj, event):
            if event.type() == QEvent.Paint and "rows" in seen:  # this query's page painted
                seen.append("painted")
            return False

    def count_rows(*args, **kw):
        seen.append("count")
        return real(*args, **kw)

    painted = Painted()
    view.viewport().installEventFilter(painted)
    model.rows_ready.connect(lambda: seen.append("rows"))
    monkeypatch.setattr(queries, "count_rows", count_rows)
    monkeypatch.setattr(models, "COUNT_WAITS_S", 10.0)  # the order, not the cap, even on a busy machine
    for _ in range(3):
        seen.clear()
        _load(qtbot, model, Filters(search="排水沟"))
        assert model_ids(model) == ids[::-1]
        assert seen.index("rows") < seen.index("painted") < seen.index("count"), seen
    model.close()
