"""Qt fixtures for the window tests (offscreen; QT_QPA_PLATFORM is set in tests/conftest.py)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QThreadPool

from dudu_desktop.services import disputes


@pytest.fixture(autouse=True)
def _no_stray_threads():
    yield
    QThreadPool.globalInstance().waitForDone(10000)


@pytest.fixture
def window(qtbot, ctx, db_path):
    from dudu_desktop.ui.main_window import MainWindow

    win = MainWindow(ctx, db_path)
    yield win
    for d in list(win.dialogs):
        d._closing_ok = True  # a test may leave an editor with unsaved changes open
    win.close()
    win.deleteLater()
    QThreadPool.globalInstance().waitForDone(10000)


def show_register(qtbot, win, register):
    page = win.pages[register]
    with qtbot.waitSignal(page.model.loaded, timeout=10000):
        win.show_page(register)
    return page


def model_ids(model) -> list[str]:
    return [model.row_record(r)["id"] for r in range(model.rowCount())]


def make_dispute(
    ctx, day="2024-12-01", summary="邻居之间因排水沟堵塞发生争吵", level="蓝", name="王德明", dtype="邻里"
):
    return disputes.create_dispute(
        ctx,
        {"registered_on": day, "dispute_type": dtype, "source": "主动排查", "summary": summary, "level": level},
        [{"role": "申请人", "name": name}],
    )


def type_chinese(widget, text: str) -> None:
    """Chinese typed on a keyboard arrives through the input method as committed text: send that.
    (QTest.keyClicks only handles Latin-1 characters.)"""
    from PySide6.QtCore import QCoreApplication
    from PySide6.QtGui import QInputMethodEvent

    event = QInputMethodEvent()
    event.setCommitString(text)
    QCoreApplication.sendEvent(widget, event)


def type_text(qtbot, widget, text: str) -> None:
    """Type ASCII with key clicks and everything else through the input method."""
    run = ""
    for ch in text + "\0":
        if ch.isascii() and ch != "\0":
            run += ch
            continue
        if run:
            qtbot.keyClicks(widget, run)
            run = ""
        if ch != "\0":
            type_chinese(widget, ch)
