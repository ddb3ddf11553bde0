"""Issue 11 item 21 in the window: a full disk, a locked database or a bug in a background job is told in
Chinese (``failures.user_message``), never as the system's English text; a bug names the log file its
traceback was written to."""

from __future__ import annotations

import errno
import os
import re
import sqlite3

from dudu_desktop.domain.vocab import Role
from dudu_desktop.reports.documents import LEDGER, DocumentRequest
from dudu_desktop.services import backup, site, users
from dudu_desktop.ui import print_preview
from dudu_desktop.ui.admin_page import AdminPage
from dudu_desktop.ui.print_preview import PrintPreviewDialog
from dudu_desktop.ui.settings_page import SettingsPage

CJK = re.compile(r"[\u4e00-\u9fff]")
ENGLISH = ("No space left", "Errno", "database is locked", "KeyError")


def full(path) -> OSError:
    return OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))


def admin_page(qtbot, ctx, db_path) -> AdminPage:
    users.create_user(ctx, "tester", "admin-pass-1", Role.ADMIN, display_name="管理员甲")
    page = AdminPage(ctx, db_path, threaded=False)
    qtbot.addWidget(page)
    return page


def assert_chinese(text: str) -> None:
    assert CJK.search(text), text
    for english in ENGLISH:
        assert english not in text, text


def test_admin_page_backup_to_a_full_stick_is_told_in_chinese(qtbot, ctx, db_path, tmp_path, monkeypatch):
    """Before: the status line read "[Errno 28] No space left on device: '…'"."""
    usb = tmp_path / "usb"
    usb.mkdir()
    target = usb / "备份.sqlite3"
    monkeypatch.setattr(backup, "backup_to", lambda c, folder: (_ for _ in ()).throw(full(target)))
    page = admin_page(qtbot, ctx, db_path)
    page.choose_folder = lambda title, start: str(usb)
    page.backup_to_usb()
    text = page.backup_status.text()
    assert "磁盘已满" in text and str(target) in text
    assert_chinese(text)
    assert page.backup_button.isEnabled()


def test_a_bug_in_a_background_job_names_the_log(qtbot, ctx, db_path, monkeypatch):
    monkeypatch.setattr(backup, "make_backup", lambda c, reason: {}["a bug"])
    page = admin_page(qtbot, ctx, db_path)
    page.backup_now()
    text = page.backup_status.text()
    (log,) = (db_path.parent / "logs").glob("dudu-*.log")
    assert str(log) in text and "意外错误" in text
    assert_chinese(text)
    assert "KeyError: 'a bug'" in log.read_text(encoding="utf-8")


def test_settings_saved_while_another_program_writes(qtbot, ctx, monkeypatch):
    """Before: the OperationalError escaped the slot (to the excepthook at best)."""
    page = SettingsPage(ctx)
    qtbot.addWidget(page)

    def locked(*a, **k):
        raise sqlite3.OperationalError("database is locked")

    monkeypatch.setattr(site, "set_setting", locked)
    assert page.save() is False
    assert "另一个程序或窗口正在写入" in page.message.text()
    assert_chinese(page.message.text())


def test_print_preview_save_pdf_on_a_full_stick(qtbot, ctx, tmp_path, monkeypatch):
    """Before: "保存失败：No space left on device"."""
    dialog = PrintPreviewDialog(ctx, DocumentRequest(LEDGER, {"register": "disputes", "month": "2024-05"}))
    qtbot.addWidget(dialog)
    if dialog.pdf is None:
        with qtbot.waitSignal(dialog.ready, timeout=20000):
            pass
    target = tmp_path / "台账.pdf"
    monkeypatch.setattr(print_preview, "atomic_write_bytes", lambda path, data: (_ for _ in ()).throw(full(target)))
    shown = []
    monkeypatch.setattr(print_preview.QMessageBox, "warning", lambda parent, title, text: shown.append(text))
    assert dialog.save_pdf(str(target)) is False
    assert "磁盘已满" in shown[0] and str(target) in shown[0]
    assert_chinese(shown[0])
