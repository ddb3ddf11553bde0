"""The desk a cadre lives in (issue 12): the print preview's keys, windows sized to the screen,
long forms that scroll with their buttons in view."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QByteArray, QRect, Qt
from PySide6.QtWidgets import QLabel, QScrollArea

from dudu_desktop.reports.documents import LEDGER, DocumentRequest
from dudu_desktop.ui import geometry
from dudu_desktop.ui.print_preview import PrintPreviewDialog
from reports_support import seed


@pytest.fixture
def preview(qtbot, ctx):
    seed(ctx)
    dialog = PrintPreviewDialog(
        ctx, DocumentRequest(LEDGER, {"register": "disputes", "month": "2024-05"}), threaded=False
    )
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    assert dialog.pdf is not None
    return dialog


def page_widths(dialog) -> list[int]:
    return [label.pixmap().width() for label in dialog.pages_widget.findChildren(QLabel, "previewPage")]


def test_preview_keys_print_save_close_and_zoom(qtbot, preview, monkeypatch):
    calls = []
    monkeypatch.setattr(preview, "print_document", lambda: calls.append("print") or True)
    monkeypatch.setattr(preview, "save_pdf", lambda: calls.append("pdf") or True)
    qtbot.keyClick(preview, Qt.Key_P, Qt.ControlModifier)
    qtbot.keyClick(preview, Qt.Key_S, Qt.ControlModifier)
    assert calls == ["print", "pdf"]

    before = page_widths(preview)
    qtbot.keyClick(preview, Qt.Key_Plus, Qt.ControlModifier)
    bigger = page_widths(preview)
    assert all(b > a for a, b in zip(before, bigger, strict=True)) and preview.zoom > 1
    qtbot.keyClick(preview, Qt.Key_Minus, Qt.ControlModifier)
    qtbot.keyClick(preview, Qt.Key_Minus, Qt.ControlModifier)
    assert all(s < a for a, s in zip(before, page_widths(preview), strict=True)) and preview.zoom < 1
    qtbot.keyClick(preview, Qt.Key_0, Qt.ControlModifier)
    assert page_widths(preview) == before

    qtbot.keyClick(preview, Qt.Key_Escape)
    assert not preview.isVisible()


def test_preview_fits_the_screen(preview):
    avail = geometry.available_geometry(preview)
    assert preview.height() + geometry.FRAME.height() <= avail.height()
    assert avail.contains(QRect(preview.pos(), preview.size()))


def test_main_window_fits_the_screen_and_a_saved_larger_geometry_is_shrunk(qtbot, ctx, db_path, monkeypatch):
    from dudu_desktop.ui import main_window
    from dudu_desktop.ui.main_window import MainWindow

    win = MainWindow(ctx, db_path)
    qtbot.addWidget(win)
    avail = geometry.available_geometry(win)
    assert win.width() + geometry.FRAME.width() <= avail.width()
    assert win.height() + geometry.FRAME.height() <= avail.height()
    # a geometry saved on a 1920×1080 screen
    big = MainWindow(ctx, db_path)
    qtbot.addWidget(big)
    big.setGeometry(0, 0, 1900, 1050)
    saved = QByteArray(big.saveGeometry())
    settings = main_window.ui_settings()
    settings.setValue("window/geometry", saved)
    settings.sync()
    again = MainWindow(ctx, db_path)
    qtbot.addWidget(again)
    assert again.width() + geometry.FRAME.width() <= avail.width()
    assert again.height() + geometry.FRAME.height() <= avail.height()


def test_record_dialog_forms_scroll_with_the_buttons_outside(qtbot, ctx):
    from dudu_desktop.ui.hotline_dialog import HotlineDialog

    dialog = HotlineDialog(ctx)
    qtbot.addWidget(dialog)
    scroll = dialog.findChild(QScrollArea, "formScroll")
    assert scroll is not None and scroll.isAncestorOf(dialog.form)
    assert not scroll.isAncestorOf(dialog.buttons)
    dialog._closing_ok = True


def test_the_dispute_dialog_asks_the_domain_workflow(qtbot, window, ctx, monkeypatch):
    from dudu_desktop.domain import workflow
    from dudu_desktop.domain.problems import Refused
    from dudu_desktop.services import disputes
    from tests.ui.conftest import make_dispute

    assert workflow.allowed_actions("待调处") == {
        "start": True,
        "conclude": True,
        "followup": False,
        "level": True,
        "close": False,
        "reopen": False,
    }
    assert workflow.allowed_actions("已办结") == {
        "start": False,
        "conclude": False,
        "followup": True,
        "level": True,
        "close": True,
        "reopen": True,
    }
    assert not any(workflow.allowed_actions("已销号")[a] for a in ("start", "conclude", "followup", "level", "close"))
    assert [workflow.suggested_level(x) for x in "蓝黄红"] == ["黄", "红", "黄"]
    case = make_dispute(ctx)
    with pytest.raises(Refused):  # the service refuses what the workflow does not allow
        disputes.record_followup(ctx, case, {"visited_on": "2024-12-20", "performance": "已履行"})
    monkeypatch.setattr(workflow, "allowed_actions", lambda status: {a: a == "level" for a in workflow.ACTIONS})
    dialog = window.open_record("disputes", case)
    enabled = {k for k, b in dialog.action_buttons.items() if b.isEnabled()}
    assert enabled == {"level"}
