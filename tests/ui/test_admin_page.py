"""账户与备份: accounts through the dialogs, backups off the UI thread, restore with a preview,
village registration at the township; the page exists for administrators only."""

from __future__ import annotations

import os

from PySide6.QtCore import QThreadPool
from PySide6.QtWidgets import QLineEdit

from dudu_desktop.domain.vocab import HOTLINE_CATEGORIES, Role
from dudu_desktop.services import backup, hotline, site, users
from dudu_desktop.services.context import Context
from dudu_desktop.sync import keys
from dudu_desktop.ui.admin_page import AdminPage, NewUserDialog, ResetPasswordDialog

ADMIN_PASSWORD = "admin-pass-1"
CATEGORY = HOTLINE_CATEGORIES[0]


def make_page(qtbot, ctx, db_path, **kw) -> AdminPage:
    if not users.has_users(ctx.conn):
        users.create_user(ctx, "tester", ADMIN_PASSWORD, Role.ADMIN, display_name="管理员甲")
    page = AdminPage(ctx, db_path, **kw)
    qtbot.addWidget(page)
    return page


def filler(values: dict, accepted: list):
    """An ``exec_dialog`` that types into the dialog's fields and presses OK once."""

    def run(dialog) -> bool:
        for key, value in values.items():
            widget = dialog.fields[key][0]
            if isinstance(widget, QLineEdit):
                widget.setText(value)
            else:
                widget.setCurrentIndex(widget.findData(value))
        ok = dialog.try_accept()
        accepted.append(dialog)
        return ok

    return run


def column(table, c: int) -> list[str]:
    return [table.item(r, c).text() for r in range(table.rowCount())]


def test_create_a_clerk_through_the_dialog(qtbot, ctx, db_path):
    page = make_page(qtbot, ctx, db_path)
    seen: list = []
    page.exec_dialog = filler(
        {
            "username": "lixiao",
            "display_name": "李晓",
            "role": Role.CLERK.value,
            "password": "clerk-pass-1",
            "repeat": "clerk-pass-1",
        },
        seen,
    )
    user = page.new_user()
    assert isinstance(seen[0], NewUserDialog)
    assert user is not None and user.role == Role.CLERK
    assert "lixiao" in column(page.users, 0)
    row = column(page.users, 0).index("lixiao")
    assert page.users.item(row, 1).text() == "李晓" and page.users.item(row, 2).text() == "录入员"
    assert users.authenticate(ctx.conn, "lixiao", "clerk-pass-1").role == Role.CLERK


def test_validation_errors_are_shown_at_the_field_and_nothing_is_created(qtbot, ctx, db_path):
    page = make_page(qtbot, ctx, db_path)
    seen: list = []
    page.exec_dialog = filler({"username": "wang wu", "password": "short", "repeat": "short"}, seen)
    assert page.new_user() is None
    dialog = seen[0]
    field, label = dialog.fields["username"]
    assert field.property("hasError") and label.text() and not label.isHidden()
    field, label = dialog.fields["password"]
    assert field.property("hasError") and "8" in label.text()
    assert not dialog.fields["display_name"][0].property("hasError")
    assert [u.username for u in users.list_users(ctx.conn)] == ["tester"]
    # two different passwords: the error is at the second field
    seen.clear()
    page.exec_dialog = filler({"username": "wangwu", "password": "long-enough-1", "repeat": "long-enough-2"}, seen)
    assert page.new_user() is None
    assert seen[0].fields["repeat"][0].property("hasError")
    assert users.get_user(ctx.conn, "wangwu") is None


def test_reset_password_and_disable(qtbot, ctx, db_path):
    page = make_page(qtbot, ctx, db_path)
    users.create_user(ctx, "lixiao", "clerk-pass-1", Role.CLERK)
    page.refresh_users()
    page.select_user("lixiao")
    seen: list = []
    page.exec_dialog = filler({"password": "new-pass-123", "repeat": "new-pass-123"}, seen)
    assert page.reset_password() is not None
    assert isinstance(seen[0], ResetPasswordDialog)
    assert users.get_user(ctx.conn, "lixiao").must_change_password
    assert users.authenticate(ctx.conn, "lixiao", "new-pass-123")
    row = column(page.users, 0).index("lixiao")
    assert page.users.item(row, 5).text() == "是"
    page.select_user("lixiao")
    assert page.disable_button.text() == "停用"
    page.toggle_disabled()
    assert users.get_user(ctx.conn, "lixiao").disabled and page.disable_button.text() == "启用"
    page.toggle_disabled()
    assert not users.get_user(ctx.conn, "lixiao").disabled
    # the last administrator cannot be disabled: the refusal is shown, nothing changes
    page.select_user("tester")
    page.toggle_disabled()
    assert not users.get_user(ctx.conn, "tester").disabled and page.user_status.text()


def test_backup_now_off_the_ui_thread_is_listed(qtbot, ctx, db_path):
    page = make_page(qtbot, ctx, db_path)
    assert page.backups.rowCount() == 0
    with qtbot.waitSignal(page.backups.model().rowsInserted, timeout=10000):
        page.backup_button.click()
        assert not page.backup_button.isEnabled()  # busy while the worker copies
    assert page.backups.rowCount() == 1
    assert page.backups.item(0, 0).text() == "2024-12-20 10:00:00"
    assert page.backup_button.isEnabled()
    name = page.backups.item(0, 3).text()
    assert (backup.backup_folder(ctx) / name).exists()


def test_backup_to_a_chosen_folder(qtbot, ctx, db_path, tmp_path):
    page = make_page(qtbot, ctx, db_path, threaded=False)
    usb = tmp_path / "usb"
    usb.mkdir()
    page.choose_folder = lambda title, start: str(usb)
    page.backup_to_usb()
    written = list(usb.iterdir())
    assert len(written) == 1 and str(written[0]) in page.backup_status.text()


def test_restore_previews_asks_restores_and_quits(qtbot, ctx, db_path):
    page = make_page(qtbot, ctx, db_path, threaded=False)
    copy = backup.make_backup(ctx, "manual")
    hotline.create_call(
        ctx,
        {
            "called_at": "2024-12-20 09:30",
            "caller_name": "张三",
            "question": "土地承包合同到期怎么办",
            "category": CATEGORY,
        },
    )
    asked, told, quit_called = [], [], []
    page.ask = lambda title, text: asked.append(text) or True
    page.inform = lambda title, text: told.append(text)
    page.quit_program = lambda: quit_called.append(True)
    page.choose_file = lambda title, start: str(copy)
    page.choose_restore()
    assert asked and "都督村" in asked[0] and copy.name in asked[0]
    assert told and quit_called and not page.isEnabled()
    count = ctx.conn.execute("SELECT count(*) FROM hotline_calls WHERE deleted = 0").fetchone()[0]
    assert count == 0  # the call made after the copy is gone


def test_restore_refuses_a_file_that_is_not_a_backup(qtbot, ctx, db_path, tmp_path):
    page = make_page(qtbot, ctx, db_path, threaded=False)
    bogus = tmp_path / "bogus.sqlite3"
    bogus.write_bytes(b"not a database at all" * 100)
    page.ask = lambda title, text: (_ for _ in ()).throw(AssertionError("must not ask"))
    page.preview_restore(str(bogus))
    assert page.backup_status.text() and page.isEnabled()


def test_township_registers_a_village(qtbot, township_ctx, tmp_path):
    page = make_page(qtbot, township_ctx, None)
    assert page.register_box is not None
    page.reg_code.setText("5002431042")  # too short
    page.reg_name.setText("新村")
    page.reg_folder.setText(str(tmp_path))
    assert page.register_village() is None
    assert page.reg_code.property("hasError") and page.reg_code_error.text()
    page.reg_code.setText("500243104299")
    reg = page.register_village()
    assert reg is not None and reg.path.exists()
    assert reg.village_key in page.reg_status.text() and "亲手" in page.reg_status.text()
    assert reg.village_key in column(page.keys, 2)


def test_village_shows_keys_without_a_register_section(qtbot, ctx, db_path, township_ctx, tmp_path):
    reg = keys.register_village(township_ctx, "500243104201", "都督村", tmp_path)
    keys.import_registration(ctx, reg.path)
    page = make_page(qtbot, ctx, db_path)
    assert page.register_box is None
    assert reg.village_key in column(page.keys, 2)


def test_the_page_is_in_the_window_for_admins_only(qtbot, ctx, db_path, window):
    assert "admin" in window.pages
    window.show_page("admin")
    assert window.page_key() == "admin" and window.nav.currentItem().text() == "账户与备份"
    clerk = Context(conn=ctx.conn, user="clerk", role=Role.CLERK, clock=ctx.clock)
    from dudu_desktop.ui.main_window import MainWindow

    win = MainWindow(clerk, db_path)
    qtbot.addWidget(win)
    assert "admin" not in win.pages and win.admin_page is None
    assert "账户与备份" not in [win.nav.item(i).text() for i in range(win.nav.count())]
    win.show_page("settings")
    assert win.page_key() == "settings"
    win.close()
    QThreadPool.globalInstance().waitForDone(10000)


def test_screenshot_on_demo_data(qtbot, township_ctx, tmp_path):
    from dudu_desktop.services import demo

    demo.generate(township_ctx, year=2024, seed=3)
    page = make_page(qtbot, township_ctx, None)
    users.create_user(township_ctx, "lixiao", "clerk-pass-1", Role.CLERK, display_name="李晓")
    users.create_user(township_ctx, "zhang", "review-pass-1", Role.REVIEWER, display_name="张审核")
    backup.make_backup(township_ctx, "auto")
    backup.make_backup(township_ctx, "before_import")
    for village in site.villages(township_ctx.conn)[:2]:
        keys.register_village(township_ctx, village["code"], village["name"], tmp_path)
    page.refresh()
    assert page.backups.rowCount() == 2 and page.keys.rowCount() == 4
    page.resize(1200, 720)
    page.show()
    image = page.grab()
    assert not image.isNull()
    if os.environ.get("DUDU_SHOTS"):
        image.save(os.path.join(os.environ["DUDU_SHOTS"], "admin.png"))
