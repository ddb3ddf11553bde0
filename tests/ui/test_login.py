"""The log-in dialogs: first administrator, log-in with errors at the field, forced password change,
and the start-up checks (damaged file → restore the latest good backup)."""

from __future__ import annotations

import datetime as dt

import pytest

from dudu_desktop.domain.vocab import Role
from dudu_desktop.services import backup, users
from dudu_desktop.ui import login as login_ui

NOW = dt.datetime(2024, 12, 20, 10, 0, 0)  # the clock of tests/conftest.py


def driver(qtbot, steps):
    """An ``exec_dialog`` that fills each dialog in turn and presses OK (returns what OK gave)."""
    seen = []

    def run(dialog):
        qtbot.addWidget(dialog)
        seen.append(dialog)
        fill = steps[len(seen) - 1]
        if fill is None:
            return False  # Cancel
        for attempt in fill:
            for name, text in attempt.items():
                dialog.findChild(type(dialog.fields[name][0]), name).setText(text)
            if dialog.try_accept():
                return True
        return False

    run.seen = seen
    return run


def test_first_run_creates_the_admin(ctx, qtbot):
    run = driver(
        qtbot,
        [
            [
                {"username": "laowang", "display_name": "王主任", "password": "short", "repeat": "short"},
                {
                    "username": "laowang",
                    "display_name": "王主任",
                    "password": "boss-secret-1",
                    "repeat": "boss-secret-2",
                },
                {
                    "username": "laowang",
                    "display_name": "王主任",
                    "password": "boss-secret-1",
                    "repeat": "boss-secret-1",
                },
            ]
        ],
    )
    result = login_ui.login(ctx.conn, exec_dialog=run, clock=lambda: NOW)
    assert result.user == "laowang" and result.role == Role.ADMIN
    dialog = run.seen[0]
    assert isinstance(dialog, login_ui.FirstAdminDialog)
    assert users.get_user(ctx.conn, "laowang").display_name == "王主任"


def test_short_password_shown_at_the_field(ctx, qtbot):
    dialog = login_ui.FirstAdminDialog(ctx)
    qtbot.addWidget(dialog)
    dialog.username.setText("laowang")
    dialog.password.setText("short")
    dialog.repeat.setText("short")
    assert not dialog.try_accept()
    field, label = dialog.fields["password"]
    assert "至少8个字符" in label.text() and field.property("hasError")
    assert not users.has_users(ctx.conn)


def test_log_in_wrong_then_right(ctx, qtbot):
    users.create_user(ctx, "laowang", "boss-secret-1", Role.ADMIN)
    dialog = login_ui.LoginDialog(ctx.conn, clock=lambda: NOW)
    qtbot.addWidget(dialog)
    dialog.username.setText("laowang")
    dialog.password.setText("nope-nope")
    assert not dialog.try_accept()
    assert "用户名或密码错误" in dialog.fields["password"][1].text()
    assert dialog.password.text() == ""  # cleared for the next try
    assert dialog.password.echoMode() == dialog.password.EchoMode.Password
    dialog.password.setText("boss-secret-1")
    assert dialog.try_accept() and dialog.user.username == "laowang"


def test_cancel_gives_no_context(ctx, qtbot):
    users.create_user(ctx, "laowang", "boss-secret-1", Role.ADMIN)
    assert login_ui.login(ctx.conn, exec_dialog=driver(qtbot, [None]), clock=lambda: NOW) is None


def test_reset_password_must_be_changed_at_log_in(ctx, qtbot):
    admin = users.create_user(ctx, "laowang", "boss-secret-1", Role.ADMIN).context(ctx.conn, lambda: NOW)
    users.create_user(admin, "xiaoli", "clerk-secret-1", Role.CLERK)
    users.reset_password(admin, "xiaoli", "temporary-123")
    run = driver(
        qtbot,
        [
            [{"username": "xiaoli", "password": "temporary-123"}],
            [{"old_password": "temporary-123", "new_password": "clerk-secret-9", "repeat": "clerk-secret-9"}],
        ],
    )
    result = login_ui.login(ctx.conn, exec_dialog=run, clock=lambda: NOW)
    assert result.user == "xiaoli" and result.role == Role.CLERK
    assert isinstance(run.seen[1], login_ui.ChangePasswordDialog)
    assert not users.authenticate(ctx.conn, "xiaoli", "clerk-secret-9", NOW).must_change_password


@pytest.mark.parametrize("answer, outcome", [(True, "restored"), (False, "damaged")])
def test_start_checks_offer_the_latest_good_backup(ctx, db_path, answer, outcome, monkeypatch):
    good = backup.make_backup(ctx, "auto")
    monkeypatch.setattr(backup, "startup_problems", lambda conn: ["*** in database main ***"])
    asked = []
    result = login_ui.start_checks(ctx, db_path, ask=lambda text: asked.append(text) or answer)
    assert result == outcome and good.name in asked[0]


def test_start_checks_make_the_daily_backup(ctx, db_path):
    assert login_ui.start_checks(ctx, db_path) == "ok"
    assert backup.list_backups(backup.backup_folder(ctx), "test")


def test_a_large_file_is_checked_and_backed_up_after_the_window_shows(qtbot, window, db_path, monkeypatch):
    from dudu_desktop.services import backup
    from dudu_desktop.ui import login as login_ui

    monkeypatch.setattr(login_ui, "LARGE_FILE_BYTES", 0)  # this small file counts as large
    assert login_ui.start_checks(window.ctx, db_path) == "deferred"
    folder, stem = backup.backup_folder(window.ctx), db_path.stem
    assert backup.list_backups(folder, stem) == []
    job = login_ui.check_in_background(window, db_path)
    assert window.startup_job is job
    # The job may finish before a signal spy could be connected: wait for what its report does (the
    # handler was connected before the job started).
    qtbot.waitUntil(lambda: "没有发现问题" in window.statusBar().currentMessage(), timeout=20000)
    assert len(backup.list_backups(folder, stem)) == 1
