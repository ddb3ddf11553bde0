"""Opens every top-level window and dialog on the screen this process was started with and prints,
as JSON, where each one lies and which of its buttons lie outside the screen's available geometry,
which lie below the fold of a scrolling form (reached only by scrolling) and which are in sight.

Run by tests/ui/test_fits_screen.py in a subprocess with ``QT_QPA_PLATFORM=offscreen:configfile=…``
(the offscreen platform's screen of a given size: a real 1024×768 or 1366×768 screen, not a
patched helper). Also usable by hand: ``python tests/ui/fit_probe.py`` prints the report.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
NOW = dt.datetime(2024, 12, 20, 10, 0, 0)


def main() -> int:
    home = Path(tempfile.mkdtemp(prefix="dudu-fit-"))
    os.environ["DUDU_HOME"] = str(home)
    from PySide6.QtCore import QPoint, QRect, Qt
    from PySide6.QtWidgets import QAbstractScrollArea, QDialogButtonBox, QPushButton

    from dudu_desktop.domain.vocab import Role
    from dudu_desktop.i18n import set_locale
    from dudu_desktop.reports.documents import LEDGER, DocumentRequest
    from dudu_desktop.services import demo, disputes, hotline, publicity, site, trainings, users
    from dudu_desktop.services.context import Context
    from dudu_desktop.storage.db import open_database

    set_locale("zh_CN")
    from PySide6.QtCore import qInstallMessageHandler

    qInstallMessageHandler(lambda *_a: None)  # "does not support propagateSizeHints()"
    # the app's own set-up (ui.app.application: the bundled WenQuanYi font at 10.5 pt, the style sheet,
    # Qt's translations), so the probe measures what users see, not Qt's default font
    from dudu_desktop.ui.app import application

    app = application()
    font_family = app.font().family()

    from dudu_desktop.ui import admin_page, dispute_dialog, login, wizard
    from dudu_desktop.ui.about import AboutDialog
    from dudu_desktop.ui.geometry import FRAME
    from dudu_desktop.ui.hotline_dialog import HotlineDialog
    from dudu_desktop.ui.main_window import MainWindow
    from dudu_desktop.ui.print_preview import PrintPreviewDialog, ReportTextsDialog
    from dudu_desktop.ui.publicity_dialog import PublicityDialog
    from dudu_desktop.ui.training_dialog import TrainingDialog

    report: list[dict] = []
    shots = os.environ.get("DUDU_FIT_SHOTS")  # a folder: also save a picture of each (by hand, under Xvfb)
    first = app.primaryScreen().availableGeometry()
    screen_size = [first.width(), first.height()]

    def in_scroll_area(w) -> bool:
        p = w.parentWidget()
        while p is not None and not p.isWindow():
            if isinstance(p, QAbstractScrollArea):
                return True
            p = p.parentWidget()
        return False

    def check(window, name: str) -> None:
        window.show()
        window.raise_()
        for _ in range(5 if not shots else 30):
            app.processEvents()
        avail = window.screen().availableGeometry()
        frame = window.frameGeometry()
        outside, folded, in_sight = [], [], []
        for b in window.findChildren(QPushButton):
            if not b.isVisible() or b.window() is not window:
                continue
            boxed = isinstance(b.parentWidget(), QDialogButtonBox)
            if in_scroll_area(b) and not boxed:
                # a button in a scrolling form is reached by scrolling; "folded": only so (below the fold)
                area = b.parentWidget()
                while not isinstance(area, QAbstractScrollArea):
                    area = area.parentWidget()
                seen = QRect(area.viewport().mapToGlobal(QPoint(0, 0)), area.viewport().size())
                if not seen.contains(QRect(b.mapToGlobal(QPoint(0, 0)), b.size())):
                    folded.append(b.text())
                else:
                    in_sight.append(b.text())
                continue
            rect = QRect(b.mapToGlobal(QPoint(0, 0)), b.size())
            if not (avail.contains(rect) and window.geometry().contains(rect)):
                outside.append(b.text())
            else:
                in_sight.append(b.text())
        if shots:
            grab = window.screen().grabWindow(0) if app.platformName() == "xcb" else window.grab()
            grab.save(str(Path(shots) / f"{len(report):02d} {name}.png"))
        columns = []
        page = window.stack.currentWidget() if hasattr(window, "stack") else None
        if page is not None and hasattr(page, "view") and hasattr(page, "model"):
            header, view = page.view.horizontalHeader(), page.view
            shown = [i for i in range(header.count()) if not header.isSectionHidden(i)]
            for i in shown:
                # "content": what Qt's own delegate needs for the widest cell in the rows loaded
                columns.append(
                    {
                        "title": page.model.headerData(i, Qt.Horizontal),
                        "width": header.sectionSize(i),
                        "needs": header.sectionSizeHint(i),
                        "key": page.model.columns[i].key,
                        "content": view.sizeHintForColumn(i),
                        "right": header.sectionViewportPosition(i) + header.sectionSize(i),
                    }
                )
            columns.append({"viewport": view.viewport().width()})
        charts = []
        home_page = getattr(window, "home", None)
        if home_page is not None and window.stack.currentWidget() is home_page:
            # the home page's charts: within the scrolling page's width (it never scrolls sideways)
            viewport = home_page.scroll.viewport()
            for key, chart in home_page.charts.items():
                left = chart.mapTo(home_page.scroll.widget(), QPoint(0, 0)).x()
                charts.append(
                    {
                        "chart": key,
                        "left": left,
                        "right": left + chart.width(),
                        "height": chart.height(),
                        "needs": chart.minimumSizeHint().height(),
                        "viewport": viewport.width(),
                    }
                )
            if shots:
                home_page.scroll.widget().grab().save(str(Path(shots) / f"{len(report):02d} {name} (whole page).png"))
        # the offscreen frame is 2 px: leave room for a real title bar and borders too (ui/geometry.FRAME)
        room = window.size() + FRAME
        report.append(
            {
                "window": name,
                "screen": [avail.width(), avail.height()],
                "frame": [frame.x(), frame.y(), frame.width(), frame.height()],
                "fits": avail.contains(frame) and room.width() <= avail.width() and room.height() <= avail.height(),
                "outside": outside,
                "folded": folded,
                "in_sight": in_sight,
                "columns": columns,
                "charts": charts,
            }
        )

    def done(window) -> None:
        if hasattr(window, "_closing_ok"):
            window._closing_ok = True
        window.close()
        window.deleteLater()
        app.processEvents()

    def ctx_for(path: Path, user="admin", role=Role.ADMIN) -> Context:
        return Context(conn=open_database(path), user=user, role=role, clock=lambda: NOW)

    # --- first run
    empty = ctx_for(home / "new.sqlite3")
    w = wizard.FirstRunWizard(empty, home / "new.sqlite3")
    check(w, "wizard")
    w.finish()  # every field empty: the messages under the fields
    check(w, "wizard with errors")
    done(w)
    for dialog, name in ((login.FirstAdminDialog(empty), "first admin"), (login.LoginDialog(empty.conn), "log-in")):
        check(dialog, name)
        dialog.try_accept()
        check(dialog, name + " with errors")
        done(dialog)

    # --- a village with a year of records
    path = home / "village.sqlite3"
    village = ctx_for(path)
    site.init_site(
        village,
        role="village",
        code="500116113201",
        name="都督村",
        township_code="500116113000",
        township_name="都督乡",
    )
    demo.generate(village, year=2024, villages=1, seed=3)
    users.create_user(village, "admin", "correct horse 1", Role.ADMIN, display_name="李明")
    dialog = login.ChangePasswordDialog(village, forced=True)
    check(dialog, "change password")
    done(dialog)

    win = MainWindow(village, path, threaded=False)
    for key in win.pages:
        win.show_page(key)
        check(win, f"main window: {key}")
    if win.admin_page is not None:
        for dialog, name in (
            (admin_page.NewUserDialog(village, win), "new user"),
            (admin_page.ResetPasswordDialog(village, "admin", win), "reset password"),
            (admin_page.ChangeRoleDialog(village, users.list_users(village.conn)[0], win), "change role"),
        ):
            check(dialog, name)
            done(dialog)

    def first_id(table: str) -> str:
        return village.conn.execute(f"SELECT id FROM {table} WHERE deleted = 0 ORDER BY id LIMIT 1").fetchone()[0]

    concluded = village.conn.execute(
        "SELECT id FROM disputes WHERE deleted = 0 AND status = '已办结' LIMIT 1"
    ).fetchone()[0]
    for register, cls, rid in (
        ("disputes", dispute_dialog.DisputeDialog, concluded),
        ("trainings", TrainingDialog, first_id("trainings")),
        ("hotline", HotlineDialog, first_id("hotline_calls")),
        ("publicity", PublicityDialog, first_id("publicity_events")),
    ):
        dialog = cls(village, None, win)
        check(dialog, f"new {register}")
        dialog.save()  # empty: every message shown
        check(dialog, f"new {register} with errors")
        done(dialog)
        dialog = cls(village, rid, win)
        tabs = getattr(dialog, "tabs", None)
        for i in range(tabs.count() if tabs else 1):
            if tabs:
                tabs.setCurrentIndex(i)
            check(dialog, f"{register} record" + (f" tab {i}" if tabs else ""))
        if register == "disputes":
            for title, spec in (
                ("result", dispute_dialog.CONCLUDE_SPEC),
                ("follow-up", dispute_dialog.FOLLOWUP),
                ("level", dispute_dialog.LEVEL_SPEC),
                ("close", dispute_dialog.CLOSE_SPEC),
                ("reopen", dispute_dialog.REASON),
            ):
                action = dispute_dialog.ActionDialog(dialog, title, spec, lambda v: None, note="x" * 200)
                check(action, f"action: {title}")
                done(action)
            # a photo larger than the screen and a scan, each opened large (issue 16)
            import io

            from PIL import Image
            from reportlab.pdfgen.canvas import Canvas

            from dudu_desktop.services import attachments
            from dudu_desktop.ui.attachments import AttachmentViewer

            photo, scan = io.BytesIO(), io.BytesIO()
            Image.new("RGB", (2560, 1920), (90, 140, 200)).save(photo, "JPEG")
            c = Canvas(scan)
            c.drawString(100, 700, "page 1")
            c.showPage()
            c.save()
            for row in attachments.add(
                village, "disputes", rid, [("stall.jpg", photo.getvalue()), ("record.pdf", scan.getvalue())]
            ):
                viewer = AttachmentViewer(village, row, dialog)
                check(viewer, "attachment viewer: " + row["mime"])
                done(viewer)
        done(dialog)

    preview = PrintPreviewDialog(
        village,
        DocumentRequest(LEDGER, {"register": "disputes", "month": "2024-12", "village": None}),
        win,
        threaded=False,
    )
    check(preview, "print preview")
    done(preview)
    texts = ReportTextsDialog(village, 2024, None, win)
    check(texts, "annual report texts")
    done(texts)
    about = AboutDialog(win)
    check(about, "about")
    done(about)
    done(win)

    # --- the township
    town_path = home / "township.sqlite3"
    town = ctx_for(town_path)
    site.init_site(town, role="township", code="500116113000", name="都督乡")
    demo.generate(town, year=2024, villages=5, seed=1)
    win = MainWindow(town, town_path, threaded=False)
    for key in win.pages:
        win.show_page(key)
        check(win, f"township window: {key}")
        if key == "sync":
            for i in range(win.sync_page.count()):
                win.sync_page.setCurrentIndex(i)
                check(win, f"township window: sync tab {i}")
    done(win)
    _ = (hotline, publicity, trainings, disputes)
    print(
        json.dumps(
            {"screen": screen_size, "font": [font_family, app.font().pointSizeF()], "windows": report},
            ensure_ascii=False,
        )
    )
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    raise SystemExit(main())
