"""Keyboard and first run (issue 12): focus in the first empty field, a sensible Tab order, the last
user name remembered; messages under their field that name it, never squash it, and go as soon as
the field is valid; no default dispute type; a calendar beside every date field; the wizard
requires the township of a village."""

from __future__ import annotations

import re

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QToolButton

from dudu_desktop.domain.vocab import Role
from dudu_desktop.services import users
from dudu_desktop.ui import login as login_ui
from dudu_desktop.ui import uistate
from dudu_desktop.ui.wizard import FirstRunWizard
from tests.ui.conftest import type_text


def shown(qtbot, dialog):
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.activateWindow()
    QApplication.processEvents()
    return dialog


def test_login_starts_in_the_user_name_and_tab_goes_down_the_form(qtbot, ctx):
    users.create_user(ctx, "zhangws", "correct horse 1", Role.ADMIN, display_name="张文书")
    dialog = shown(qtbot, login_ui.LoginDialog(ctx.conn))
    assert dialog.focusWidget() is dialog.username
    ok, cancel = dialog.buttons.button(QDialogButtonBox.Ok), dialog.buttons.button(QDialogButtonBox.Cancel)
    assert dialog.username.nextInFocusChain() is dialog.password or QApplication.focusWidget() is dialog.username
    order = [dialog.username]
    for _ in range(3):
        order.append(order[-1].nextInFocusChain())
        while not order[-1].focusPolicy() & Qt.TabFocus:
            order[-1] = order[-1].nextInFocusChain()
    assert order == [dialog.username, dialog.password, ok, cancel]


def test_the_last_user_name_is_remembered_and_focus_goes_to_the_password(qtbot, ctx):
    users.create_user(ctx, "zhangws", "correct horse 1", Role.ADMIN, display_name="张文书")

    def fill(dialog):
        qtbot.addWidget(dialog)
        dialog.username.setText("zhangws")
        dialog.password.setText("correct horse 1")
        return dialog.try_accept()

    assert login_ui.login(ctx.conn, exec_dialog=fill) is not None
    assert uistate.last_user() == "zhangws"
    again = shown(qtbot, login_ui.LoginDialog(ctx.conn))
    assert again.username.text() == "zhangws"
    assert again.focusWidget() is again.password


def test_first_admin_starts_in_the_user_name_and_messages_do_not_squash_the_fields(qtbot, ctx):
    from dudu_desktop.services.context import Context

    empty = Context(conn=ctx.conn, role=Role.ADMIN)
    dialog = shown(qtbot, login_ui.FirstAdminDialog(empty))
    assert dialog.focusWidget() is dialog.username
    heights = {name: field.height() for name, (field, _l) in dialog.fields.items()}
    assert not dialog.try_accept()
    QApplication.processEvents()
    field, message = dialog.fields["password"]
    assert message.isVisible() and message.text()
    assert {name: f.height() for name, (f, _l) in dialog.fields.items()} == heights
    assert message.geometry().top() >= field.geometry().bottom()  # under the field
    type_text(qtbot, field, "x")
    assert not message.isVisible()  # typing takes the message away


def test_a_form_message_goes_as_soon_as_the_field_is_valid(qtbot, window):
    dialog = window.new_record("disputes")
    qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.Save), Qt.LeftButton)
    summary = dialog.form.errors["summary"]
    assert summary.text() == "纠纷简要情况为必填项。" and not summary.isHidden()
    type_text(qtbot, dialog.form.editor("summary"), "邻居")
    assert summary.isHidden() and dialog.form.editor("summary").property("hasError") is False
    date = dialog.form.editor("registered_on")
    date.setText("2024-13-45")
    date.editingFinished.emit()
    assert not dialog.form.errors["registered_on"].isHidden()
    date.setText("2024-12-01")  # typed right: gone at once, before leaving the field
    assert dialog.form.errors["registered_on"].isHidden()
    dialog._closing_ok = True


def test_the_dispute_type_has_no_default_and_saving_without_one_says_so(qtbot, window, ctx):
    dialog = window.new_record("disputes")
    assert dialog.form.value("dispute_type") == ""
    assert dialog.form.editor("dispute_type").currentText() == "（请选择）"
    qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.Save), Qt.LeftButton)
    assert dialog.form.errors["dispute_type"].text() == "纠纷类型为必填项。"
    assert ctx.conn.execute("SELECT count(*) FROM disputes").fetchone()[0] == 0
    dialog._closing_ok = True


def test_every_date_field_has_a_calendar_and_typing_still_works(qtbot, window):
    from dudu_desktop.domain import fields as F

    for register in ("disputes", "trainings", "hotline", "publicity"):
        dialog = window.new_record(register)
        form = dialog.form
        dates = [k for k in form.keys if form.spec[k].kind in (F.DATE, F.DATETIME)]
        assert dates, register
        for key in dates:
            assert form.findChild(QToolButton, f"calendar_{key}") is not None, (register, key)
            assert not any(ch.isdigit() for ch in form.editor(key).placeholderText())  # no sample value
        key = dates[0]
        form.calendars[key].clicked.emit(QDate(2024, 12, 5))
        assert form.value(key).startswith("2024-12-05")
        form.editor(key).setText("2024-11-30")  # typing is still accepted
        assert form.value(key).startswith("2024-11-30")
        dialog._closing_ok = True
        dialog.close()


def test_the_wizard_requires_the_township_of_a_village_and_names_each_field(qtbot, ctx, tmp_path):
    from dudu_desktop.services.context import Context
    from dudu_desktop.storage.db import open_database

    empty = Context(conn=open_database(tmp_path / "new.sqlite3"), role=Role.ADMIN)
    wizard = shown(qtbot, FirstRunWizard(empty, tmp_path / "new.sqlite3"))
    for field in (wizard.code, wizard.township_code, wizard.township_name, wizard.name):
        hint = field.placeholderText()  # a hint of the format, never a sample code or name
        assert not re.search(r"\d{6}", hint) and not hint.endswith(("乡", "村", "镇"))
    wizard.code.setText("500243104201")
    wizard.name.setText("都督村")
    height = wizard.township_code.height()
    assert not wizard.finish()
    QApplication.processEvents()
    assert wizard.tcode_error.text() == "乡镇代码为必填项。" and wizard.tname_error.text() == "乡镇名称为必填项。"
    assert wizard.township_code.height() == height
    wizard.township_code.setText("5002431040")  # too short: the township's code is named
    wizard.township_name.setText("都督乡")
    assert not wizard.finish()
    assert wizard.tcode_error.text().startswith("乡镇代码") and wizard.tname_error.isHidden()
    type_text(qtbot, wizard.township_code, "00")
    assert wizard.tcode_error.isHidden()
    assert wizard.finish()
