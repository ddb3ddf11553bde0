#!/usr/bin/env python3
"""Pictures for the user guide (docs/使用说明.md): every page and dialog, on demo data (fictional
people), with the clock at 2024-12-20 10:00 so that "this month" has records, each as the whole
screen a cadre sees it on, at 1366×768 (the common village office PC) and at 1024×768.

    python scripts/screenshots.py [OUT] [--size 1366|1024] [--only NAME,NAME] [--no-optimise]

writes ``OUT/1366/NAME.png`` and ``OUT/1024/NAME.png`` (default OUT: docs/screenshots/). Each size runs
in its own process on the offscreen platform with a screen of that size less a 40 px taskbar
(``QT_QPA_PLATFORM=offscreen:configfile=…``, as tests/ui/fit_probe.py), so every window sizes and
places itself as it would on that PC; the picture draws the windows where they opened, with a
title bar in the room the program keeps for it, the dialog over the main window, the taskbar
below. No display is needed (CI-like). A full run removes pictures no longer made; the PNGs are
palette-reduced with pngquant and optipng when installed. Look at every picture before committing.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ROOT = Path(__file__).resolve().parent.parent
NOW = dt.datetime(2024, 12, 20, 10, 0, 0)
VILLAGE, TOWNSHIP = ("500116113201", "都督村"), ("500116113000", "都督乡")


def demo_photos() -> list[tuple[str, bytes]]:
    """Two pictures for the 附件 screenshot, drawn (no real person's photo in the guide): the
    赶集日 consultation stall and a photographed, signed and sealed 协议书."""
    import io

    from PIL import Image, ImageDraw, ImageFont

    fonts = ROOT / "resources" / "fonts"
    hei = ImageFont.truetype(str(fonts / "wqy-microhei.ttc"), 64)
    kai = ImageFont.truetype(str(fonts / "LXGWWenKai-Regular.ttf"), 34)
    out = []
    stall = Image.new("RGB", (1600, 1200), (150, 196, 230))  # sky
    d = ImageDraw.Draw(stall)
    d.rectangle([0, 760, 1600, 1200], fill=(176, 160, 132))  # the market street
    d.polygon([(260, 380), (800, 230), (1340, 380)], fill=(40, 110, 190))  # the tent
    d.rectangle([300, 380, 1300, 430], fill=(30, 90, 160))
    for x in (320, 1270):
        d.rectangle([x, 430, x + 12, 900], fill=(90, 90, 90))
    d.rectangle([330, 450, 1270, 560], fill=(200, 30, 40))  # the banner
    d.text((800, 505), "民法典进农家 · 法律咨询", font=hei, fill="white", anchor="mm")
    d.rectangle([380, 760, 1220, 820], fill=(235, 235, 225))  # the table, leaflets on it
    for i, x in enumerate(range(420, 1180, 110)):
        d.rectangle([x, 735, x + 80, 770], fill=((250, 250, 250), (250, 210, 80), (120, 200, 120))[i % 3])
    for x, colour in ((520, (60, 60, 70)), (800, (180, 60, 60)), (1080, (70, 110, 70))):
        d.ellipse([x - 45, 560, x + 45, 650], fill=(235, 200, 170))  # people behind the table
        d.rectangle([x - 70, 650, x + 70, 760], fill=colour)
    buf = io.BytesIO()
    stall.save(buf, "JPEG", quality=85)
    out.append(("赶集日咨询台.jpg", buf.getvalue()))
    paper = Image.new("RGB", (1200, 1600), (120, 100, 80))  # the page on a desk
    d = ImageDraw.Draw(paper)
    d.rectangle([90, 80, 1110, 1520], fill=(250, 248, 240))
    d.text((600, 190), "人民调解协议书", font=hei, fill=(20, 20, 20), anchor="mm")
    lines = [
        "当事人：秦某某、夏某某",
        "纠纷主要事实：修建围墙占用公共通道……",
        "经调解，自愿达成如下协议：",
        "一、夏某某于12月20日前拆除占道部分围墙；",
        "二、恢复通道宽度1.5米；",
        "三、双方今后和睦相处。",
    ]
    for i, line in enumerate(lines):
        d.text((170, 320 + i * 80), line, font=kai, fill=(30, 30, 30))
    d.text((170, 1180), "当事人（签名）：秦堃忠   夏桂军", font=kai, fill=(30, 30, 60))
    d.ellipse([760, 1230, 1020, 1490], outline=(210, 30, 30), width=10)  # the seal
    d.text((890, 1360), "调解委员会", font=kai, fill=(210, 30, 30), anchor="mm")
    buf = io.BytesIO()
    paper.save(buf, "JPEG", quality=85)
    out.append(("协议书签字页.jpg", buf.getvalue()))
    return out


#: the screens the pictures are taken on: the common village office PC and the smallest supported
SIZES = {"1366": (1366, 768), "1024": (1024, 768)}
TASKBAR = 40  # a Windows taskbar at the bottom: the program's available screen is 40 px shorter
DESKTOP, BAR = "#2d5f8a", "#1f2328"


def main(argv: list[str]) -> int:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", nargs="?", default=str(ROOT / "docs" / "screenshots"))
    parser.add_argument("--size", action="append", choices=sorted(SIZES), help="only this screen (repeatable)")
    parser.add_argument("--only", default="", help="only these pictures (comma-separated names)")
    parser.add_argument("--no-optimise", action="store_true", help="skip pngquant/optipng")
    parser.add_argument("--inner", help=argparse.SUPPRESS)  # WxH: this process is on that screen
    args = parser.parse_args(argv)
    only = {n for n in args.only.split(",") if n}
    if args.inner:
        width, height = (int(n) for n in args.inner.split("x"))
        return take(Path(args.out), width, height, only)
    import json
    import subprocess

    failed = 0
    for key in args.size or sorted(SIZES, reverse=True):
        width, height = SIZES[key]
        folder = Path(args.out) / key
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix="dudu-screen-") as tmp:
            # the offscreen platform's screen of that size, less the taskbar (as a real PC's available
            # geometry is): the program lays itself out exactly as it would there (tests/ui/fit_probe.py)
            config = Path(tmp) / "screen.json"
            config.write_text(
                json.dumps(
                    {
                        "screens": [
                            {
                                "name": "office",
                                "x": 0,
                                "y": 0,
                                "width": width,
                                "height": height - TASKBAR,
                                "logicalDpi": 96,
                                "logicalBaseDpi": 96,
                                "dpr": 1,
                            }
                        ]
                    }
                )
            )
            env = dict(os.environ, QT_QPA_PLATFORM=f"offscreen:configfile={config}")
            done = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--inner",
                    f"{width}x{height}",
                    str(folder),
                    "--only",
                    ",".join(sorted(only)),
                ],
                env=env,
                stdout=subprocess.PIPE,
                text=True,
                check=False,
            )
        made = [Path(line.split("\t")[0]) for line in done.stdout.splitlines() if line.endswith("px")]
        print(done.stdout, end="")
        if done.returncode:
            failed += 1
            continue
        if not only:  # a full run: pictures no longer made are removed
            for stale in set(folder.glob("*.png")) - set(made):
                stale.unlink()
                print(f"removed {stale}")
        if not args.no_optimise:
            optimise(made)
    return 1 if failed else 0


def optimise(paths: list[Path]) -> None:
    """Palette PNGs (pngquant, which keeps text crisp at this quality), then optipng; without the
    tools, Pillow's lossless optimisation."""
    import subprocess

    for path in paths:
        if shutil.which("pngquant"):
            subprocess.run(
                [
                    "pngquant",
                    "--force",
                    "--skip-if-larger",
                    "--quality=85-100",
                    "--speed=1",
                    "--output",
                    str(path),
                    str(path),
                ],
                check=False,
            )
        if shutil.which("optipng"):
            subprocess.run(["optipng", "-quiet", "-o2", "-strip", "all", str(path)], check=False)
        elif not shutil.which("pngquant"):
            from PIL import Image

            with Image.open(path) as image:
                image.load()
            image.save(path, optimize=True)


def take(out: Path, width: int, height: int, only: set[str]) -> int:
    """In a process whose offscreen screen is ``width``×(``height`` − taskbar): open every page and
    dialog on demo data and save the whole screen as the cadre sees it (windows with title bars
    where the program placed them, the dialog over the main window, the taskbar below)."""
    out.mkdir(parents=True, exist_ok=True)
    home = Path(tempfile.mkdtemp(prefix="dudu-shots-"))
    os.environ["DUDU_HOME"] = str(home)  # ui.ini and backups stay out of the user's folder
    os.environ.pop("DUDU_LANG", None)

    from PySide6.QtCore import QPoint, QRect, Qt, QThreadPool, qInstallMessageHandler
    from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPen
    from PySide6.QtWidgets import QDialog

    from dudu_desktop.domain.vocab import Role
    from dudu_desktop.i18n import set_locale
    from dudu_desktop.reports.documents import AGREEMENT, ANNUAL, DOSSIER, LEDGER, SIGNIN, DocumentRequest
    from dudu_desktop.services import attachments, demo, disputes, hotline, site, users
    from dudu_desktop.services.context import Context
    from dudu_desktop.storage.db import open_database
    from dudu_desktop.sync import keys
    from dudu_desktop.sync.export import export_bundle
    from dudu_desktop.ui import admin_page
    from dudu_desktop.ui import app as uiapp
    from dudu_desktop.ui import login as login_ui
    from dudu_desktop.ui.attachments import AttachmentViewer
    from dudu_desktop.ui.main_window import MainWindow
    from dudu_desktop.ui.print_preview import PrintPreviewDialog, ReportTextsDialog
    from dudu_desktop.ui.wizard import FirstRunWizard

    set_locale("zh_CN")
    qInstallMessageHandler(lambda *_a: None)  # "This plugin does not support propagateSizeHints()"
    app = uiapp.application()
    screen = app.primaryScreen().geometry()
    assert (screen.width(), screen.height()) == (width, height - TASKBAR), screen

    def settle(rounds: int = 20) -> None:
        for _ in range(rounds):
            app.processEvents()
            QThreadPool.globalInstance().waitForDone(2000)
        app.processEvents()

    def wanted(name: str) -> bool:
        return not only or name in only

    def draw_window(p: QPainter, w, active: bool) -> None:
        """``w`` as Windows 10 draws it: its frame's top left where the program put it (``pos``),
        a 31 px title bar and 1 px border inside the room ui/geometry.FRAME keeps for them."""
        image = w.grab()
        x, y = w.pos().x() + 7, w.pos().y()
        outer = QRect(x, y, image.width() + 2, image.height() + 33)
        p.fillRect(outer, QColor("#ffffff" if active else "#f3f3f3"))
        p.setPen(QPen(QColor("#5a6b7d" if active else "#aab2bb"), 1))
        p.drawRect(outer.adjusted(0, 0, -1, -1))
        icon = w.windowIcon()
        if not icon.isNull():
            p.drawPixmap(x + 9, y + 8, icon.pixmap(16, 16))
        font = QFont(app.font())
        font.setPointSizeF(9)
        p.setFont(font)
        p.setPen(QColor("#1a1a1a" if active else "#8a8a8a"))
        controls = 3 if w.inherits("QMainWindow") else 1
        p.drawText(
            QRect(x + 32, y, image.width() - 32 - controls * 46, 32), Qt.AlignVCenter | Qt.AlignLeft, w.windowTitle()
        )
        p.setPen(QPen(QColor("#1a1a1a" if active else "#8a8a8a"), 1))
        right = x + image.width() + 1
        for i, kind in enumerate(("close", "max", "min")[:controls]):
            cx, cy = right - 23 - 46 * i, y + 16
            if kind == "close":
                p.drawLine(cx - 5, cy - 5, cx + 5, cy + 5)
                p.drawLine(cx - 5, cy + 5, cx + 5, cy - 5)
            elif kind == "max":
                p.drawRect(cx - 5, cy - 5, 10, 10)
            else:
                p.drawLine(cx - 5, cy, cx + 5, cy)
        p.drawPixmap(x + 1, y + 32, image)

    import re

    from PySide6.QtWidgets import QComboBox, QLabel, QTableWidget

    folder = re.compile(re.escape(str(home)) + r"(/[^\s，。）)]*)?")
    who = ["liming"]

    def windows_path(match) -> str:
        """This run's temporary folder as the cadre's PC has it: the data folder; the USB stick, E:."""
        rest = match.group(1) or ""
        if rest.startswith("/township/"):  # the township PC's own data folder
            rest = rest[len("/township") :]
        if rest.startswith("/U盘"):
            return "E:" + (rest[len("/U盘") :] or "/").replace("/", "\\")
        return f"C:\\Users\\{who[0]}\\AppData\\Local\\DuduDesktop" + rest.replace("/", "\\")

    def dress(w) -> None:
        """Paths shown in ``w`` (labels, boxes, tables) as on Windows, not this run's /tmp folder."""
        for label in w.findChildren(QLabel):
            if str(home) in label.text():
                label.setText(folder.sub(windows_path, label.text()))
        for box in w.findChildren(QComboBox):
            for i in range(box.count()):
                if str(home) in box.itemText(i):
                    box.setItemText(i, folder.sub(windows_path, box.itemText(i)))
        for table in w.findChildren(QTableWidget):
            for r in range(table.rowCount()):
                for c in range(table.columnCount()):
                    cell = table.item(r, c)
                    if cell is not None and str(home) in cell.text():
                        cell.setText(folder.sub(windows_path, cell.text()))

    def shoot(name: str, *windows) -> None:
        """The whole screen with ``windows`` (bottom to top; the last one is active)."""
        for w in windows:
            w.show()
            dress(w)
        windows[-1].raise_()
        settle()
        canvas = QImage(width, height, QImage.Format_RGB32)
        canvas.fill(QColor(DESKTOP))
        p = QPainter(canvas)
        p.setRenderHint(QPainter.Antialiasing, False)
        for i, w in enumerate(windows):
            draw_window(p, w, i == len(windows) - 1)
        bar = QRect(0, height - TASKBAR, width, TASKBAR)  # the taskbar, with the program and a clock
        p.fillRect(bar, QColor(BAR))
        for i in range(4):
            p.fillRect(QRect(16 + (i % 2) * 9, bar.y() + 12 + (i // 2) * 9, 8, 8), QColor("#dfe6ee"))
        p.fillRect(QRect(56, bar.y(), 48, TASKBAR), QColor("#3a4048"))
        p.fillRect(QRect(56, height - 2, 48, 2), QColor("#7fb2e5"))
        p.drawPixmap(68, bar.y() + 8, windows[0].windowIcon().pixmap(24, 24))
        font = QFont(app.font())
        font.setPointSizeF(8.5)
        p.setFont(font)
        p.setPen(QColor("#ffffff"))
        p.drawText(QRect(width - 110, bar.y(), 100, TASKBAR), Qt.AlignCenter, NOW.strftime("%H:%M\n%Y/%m/%d"))
        p.end()
        path = out / f"{name}.png"
        canvas.save(str(path))
        top = windows[-1]
        room = QRect(QPoint(0, 0), screen.size())
        frame = QRect(top.pos(), top.size() + uiapp_frame())
        print(
            f"{path}\t{name}: {top.width()}×{top.height()} at {top.pos().x()},{top.pos().y()}"
            + ("" if room.contains(frame) else "  ** LARGER THAN THE SCREEN **")
            + "\tpx",
            flush=True,
        )

    def uiapp_frame():
        from dudu_desktop.ui.geometry import FRAME

        return FRAME

    def close(*dialogs) -> None:
        for d in dialogs:
            if hasattr(d, "_closing_ok"):
                d._closing_ok = True
            d.close()
            d.deleteLater()
        settle(3)

    def ctx_for(path: Path, user="admin", role=Role.ADMIN) -> Context:
        return Context(conn=open_database(path), user=user, role=role, clock=lambda: NOW)

    def main_window(ctx: Context, path: Path):
        who[0] = ctx.user
        window = MainWindow(ctx, path, threaded=False)
        window.show()
        settle()
        return window

    # --- first run: the wizard on an empty file, the first administrator, the log-in
    empty = ctx_for(home / "new.sqlite3")
    if wanted("first-run-wizard") or wanted("first-run-wizard-errors"):
        wizard = FirstRunWizard(empty, home / "new.sqlite3")
        wizard.village_radio.setChecked(True)
        wizard.code.setText(VILLAGE[0])
        wizard.name.setText(VILLAGE[1])
        if wanted("first-run-wizard-errors"):
            wizard.finish()  # the township not filled in: the messages under the fields
            shoot("first-run-wizard-errors", wizard)
        wizard.township_code.setText(TOWNSHIP[0])
        wizard.township_name.setText(TOWNSHIP[1])
        if wanted("first-run-wizard"):
            shoot("first-run-wizard", wizard)
        close(wizard)
    if wanted("first-admin"):
        first = login_ui.FirstAdminDialog(empty)
        first.username.setText("liming")
        first.display_name.setText("李明")
        shoot("first-admin", first)
        close(first)

    # --- the township PC (registers the villages: their bundles are sealed)
    (home / "township").mkdir()
    town_path = home / "township" / "dudu.sqlite3"
    town = ctx_for(town_path, user="zhangwen")
    site.init_site(town, role="township", code=TOWNSHIP[0], name=TOWNSHIP[1])
    demo.generate(town, year=2024, villages=5, seed=1)
    users.create_user(town, "zhangwen", "correct horse 3", Role.ADMIN, display_name="张文书")
    registration = keys.register_village(town, VILLAGE[0], VILLAGE[1], home).path

    # --- a village PC with a year of demo records
    village_path = home / "dudu.sqlite3"  # as on a PC: the data folder's dudu.sqlite3
    village = ctx_for(village_path, user="liming")
    site.init_site(
        village, role="village", code=VILLAGE[0], name=VILLAGE[1], township_code=TOWNSHIP[0], township_name=TOWNSHIP[1]
    )
    demo.generate(village, year=2023, villages=1, seed=2)  # last year: the home chart compares
    demo.generate(village, year=2024, villages=1, seed=3)
    site.set_setting(village, "staff", ["冉光明", "秦志强", "向德华", "谭晓燕", "汪春梅"])  # Settings → 工作人员
    users.create_user(village, "liming", "correct horse 1", Role.ADMIN, display_name="李明")
    users.create_user(village, "wangfang", "correct horse 2", Role.CLERK, display_name="王芳")
    keys.import_registration(village, registration)
    # this month's cases (the demo's dates are random): one settled, one still being mediated
    settled = disputes.create_dispute(
        village,
        {
            "registered_on": "2024-12-03",
            "dispute_type": "邻里",
            "source": "当事人申请",
            "method": "人民调解",
            "mediator": "冉光明",
            "summary": "夏桂军家修建围墙占用公共通道，邻居秦堃忠出行受阻，引发矛盾。",
        },
        [
            {"role": "申请人", "name": "秦堃忠", "gender": "男", "age": 56, "phone": "13896021234"},
            {"role": "被申请人", "name": "夏桂军", "gender": "男", "age": 49, "phone": "18883452225"},
        ],
    )
    disputes.start_mediation(village, settled)
    disputes.conclude(
        village,
        settled,
        result="调解成功",
        concluded_on="2024-12-11",
        agreement_terms="夏桂军于12月20日前拆除占道部分围墙，恢复通道宽度1.5米。",
        amount=0,
        place_of_performance="都督村三组公共通道",
    )
    mediating = disputes.create_dispute(
        village,
        {
            "registered_on": "2024-12-16",
            "dispute_type": "婚姻家庭",
            "source": "主动排查",
            "level": "黄",
            "mediator": "秦志强",
            "summary": "朱春丽与丈夫徐伟鹏因家庭琐事及子女抚养问题发生争吵，朱春丽回娘家居住，双方要求调解。",
        },
        [
            {"role": "申请人", "name": "朱春丽", "gender": "女", "age": 34, "phone": "13512349422"},
            {"role": "被申请人", "name": "徐伟鹏", "gender": "男", "age": 36},
        ],
    )
    disputes.start_mediation(village, mediating, method="人民调解")
    disputes.record_followup(
        village,
        settled,
        {
            "visited_on": "2024-12-18",
            "performance": "已履行",
            "satisfaction": "满意",
            "visitor": "冉光明",
            "notes": "围墙已拆除，通道已恢复，双方无异议。",
        },
    )
    from dudu_desktop.services import backup

    backup.make_backup(village, "auto")  # the accounts and backups page lists it
    (name_a, photo), (name_b, signed) = demo_photos()
    attachments.add(village, "disputes", settled, [(name_a, photo)], caption="赶集日现场调解")
    attachments.add(village, "disputes", settled, [(name_b, signed)], kind="签字协议书", caption="双方签字")

    if wanted("login"):
        login = login_ui.LoginDialog(village.conn)
        login.username.setText("liming")
        shoot("login", login)
        close(login)
    if wanted("change-password"):
        change = login_ui.ChangePasswordDialog(village, forced=True)
        shoot("change-password", change)
        close(change)

    window = main_window(village, village_path)
    for key, name in (
        ("home", "home-village"),
        ("disputes", "disputes"),
        ("trainings", "trainings"),
        ("hotline", "hotline"),
        ("publicity", "publicity"),
        ("settings", "settings"),
        ("admin", "admin"),
    ):
        if wanted(name) or (key == "home" and wanted("home-village-charts")):
            window.show_page(key)
            if wanted(name):
                shoot(name, window)
            if key == "home" and wanted("home-village-charts"):
                bar = window.home.scroll.verticalScrollBar()
                bar.setValue(bar.maximum())
                shoot("home-village-charts", window)
                bar.setValue(0)

    if wanted("void-reason"):
        page = window.pages["disputes"]
        window.show_page("disputes")
        page.view.selectRow(0)
        settle()
        reason = page.void_record(page.current_record())  # the Delete key: the reason is asked first
        reason.reason.setText("重复登记，与上一条为同一纠纷")
        shoot("void-reason", window, reason)
        close(reason)

    def editor(register: str, record_id):
        dialog = window.open_record(register, record_id) if record_id else window.new_record(register)
        settle()
        return dialog

    # the dispute window: each tab of the settled case, a new case saved empty, an action
    tabs = ("dispute-details", "dispute-parties", "dispute-mediation", "dispute-history", "dispute-attachments")
    if any(wanted(n) for n in (*tabs, "attachment-viewer", "print-agreement", "print-dossier")):
        dialog = editor("disputes", settled)
        for i, name in enumerate(tabs):
            if wanted(name):
                dialog.tabs.setCurrentIndex(i)
                if name == "dispute-attachments":
                    dialog.attachments.list.setCurrentRow(1)
                shoot(name, window, dialog)
        if wanted("attachment-viewer"):
            row = attachments.list_for(village.conn, "disputes", settled)[-1]  # the signed agreement
            viewer = AttachmentViewer(village, row, dialog)
            shoot("attachment-viewer", window, dialog, viewer)
            close(viewer)
        for kind, name in ((AGREEMENT, "print-agreement"), (DOSSIER, "print-dossier")):
            if wanted(name):
                preview = PrintPreviewDialog(
                    village, DocumentRequest(kind, {"dispute_id": settled}), dialog, threaded=False
                )
                shoot(name, window, dialog, preview)
                close(preview)
        close(dialog)
    if wanted("dispute-validation"):
        dialog = editor("disputes", None)
        dialog.save()  # nothing filled in: what is missing, under each field
        shoot("dispute-validation", window, dialog)
        close(dialog)
    if wanted("dispute-result"):
        dialog = editor("disputes", mediating)
        dialog.tabs.setCurrentIndex(2)
        asked = []
        dialog.exec_action = lambda action: asked.append(action) and False  # shown, not run
        dialog.act_conclude()  # 记录调处结果: the real dialog, title and note
        shoot("dispute-result", window, dialog, asked[0])
        close(asked[0], dialog)

    if wanted("training-sign-in") or wanted("print-signin"):
        training = village.conn.execute(
            "SELECT t.id FROM trainings t WHERE t.deleted = 0 ORDER BY "
            "(SELECT count(*) FROM training_attendance a WHERE a.training_id = t.id) "
            "DESC, t.id LIMIT 1"
        ).fetchone()[0]
        dialog = editor("trainings", training)
        if wanted("training-sign-in"):
            tabs_of = getattr(dialog, "tabs", None)
            if tabs_of is not None and tabs_of.count() > 1:
                tabs_of.setCurrentIndex(1)
            shoot("training-sign-in", window, dialog)
        if wanted("print-signin"):
            preview = PrintPreviewDialog(
                village, DocumentRequest(SIGNIN, {"training_id": training, "after": False}), dialog, threaded=False
            )
            shoot("print-signin", window, dialog, preview)
            close(preview)
        close(dialog)
    if wanted("hotline-quick-entry"):
        dialog = window.new_hotline()
        settle()
        shoot("hotline-quick-entry", window, dialog)
        close(dialog)
    if wanted("publicity-editor"):
        event = village.conn.execute(
            "SELECT id FROM publicity_events WHERE deleted = 0 ORDER BY id DESC LIMIT 1"
        ).fetchone()[0]
        dialog = editor("publicity", event)
        shoot("publicity-editor", window, dialog)
        close(dialog)

    for kind, params, name in (
        (LEDGER, {"register": "disputes", "month": "2024-12", "village": None}, "print-preview"),
        (ANNUAL, {"year": 2024, "village": None}, "print-annual"),
    ):
        if wanted(name):
            preview = PrintPreviewDialog(village, DocumentRequest(kind, params), window, threaded=False)
            shoot(name, window, preview)
            close(preview)
    if wanted("report-texts"):
        texts = ReportTextsDialog(village, 2024, None, window)
        shoot("report-texts", window, texts)
        close(texts)
    if wanted("new-user"):
        window.show_page("admin")
        new_user = admin_page.NewUserDialog(village, window)
        new_user.username.setText("zhaomin")
        new_user.display_name.setText("赵敏")
        shoot("new-user", window, new_user)
        close(new_user)

    # the sync page of a village: export to the "USB stick"
    usb = home / "U盘"
    usb.mkdir()
    window.show_page("sync")
    export_page = window.sync_page.export_page
    export_page.set_target(usb)
    bundle = export_page.export()
    if wanted("sync-village"):
        shoot("sync-village", window)

    if wanted("guide"):
        guide = window.show_guide()
        shoot("guide", window, guide)
        close(guide)
    if wanted("about"):
        window.show_about()
        settle()
        about = window.findChild(QDialog, "aboutDialog")
        shoot("about", window, about)
        close(about)
    for d in list(window.dialogs):
        d._closing_ok = True
    window.close()
    settle(3)

    # a second village with nothing new this month: its bundle is a zero report (零上报)
    quiet = ctx_for(home / "quiet.sqlite3")
    site.init_site(
        quiet, role="village", code="500116113202", name="桐木村", township_code=TOWNSHIP[0], township_name=TOWNSHIP[1]
    )
    (home / "reg2").mkdir()
    keys.import_registration(quiet, keys.register_village(town, "500116113202", "桐木村", home / "reg2").path)
    quiet_bundle = export_bundle(quiet, usb)

    # --- the township PC: the home page with every village; the villages' bundles previewed, applied
    from dudu_desktop.ui.uistate import ui_settings

    ui_settings().remove("window")  # another PC: not the village window's saved place and page
    window = main_window(town, town_path)
    window.show_page("home")
    if wanted("home-township"):
        shoot("home-township", window)
    if wanted("home-township-charts"):
        bar = window.home.scroll.verticalScrollBar()
        bar.setValue(bar.maximum())
        shoot("home-township-charts", window)
        bar.setValue(0)
    importer = window.sync_page.import_page
    window.show_page("sync")
    importer.add_files([b.path for b in (bundle, quiet_bundle) if b is not None])
    for _ in range(100):
        if len(importer.previews) == 2:
            break
        settle(2)
    if wanted("sync-township"):
        shoot("sync-township", window)
    applied = []
    importer.applied.connect(lambda: applied.append(True))
    importer.apply()
    for _ in range(200):
        if applied:
            break
        settle(2)
    # a conflict: the same call's answer changed in the village and at the township since the last bundle
    call_id = village.conn.execute(
        "SELECT id FROM hotline_calls WHERE deleted = 0 ORDER BY category = '劳动' DESC, id LIMIT 1"
    ).fetchone()[0]
    hotline.update_call(village, call_id, {"answer": "先与老板协商，不成再投诉。"})
    hotline.update_call(town, call_id, {"answer": "已转乡劳动保障所跟进。"})
    second = export_bundle(village, usb)
    importer.clear()
    importer.add_files([second.path])
    for _ in range(100):
        if len(importer.previews) == 1:
            break
        settle(2)
    applied.clear()
    importer.apply()
    for _ in range(200):
        if applied:
            break
        settle(2)
    sync = window.sync_page
    sync.setCurrentWidget(sync.conflict_page)
    settle()
    if sync.conflict_page.list.count():
        sync.conflict_page.list.setCurrentRow(0)
    if wanted("sync-conflict"):
        shoot("sync-conflict", window)
    sync.setCurrentWidget(sync.overview_page)
    if wanted("sync-overview"):
        shoot("sync-overview", window)
    if wanted("disputes-township"):
        window.show_page("disputes")
        shoot("disputes-township", window)
    window.close()
    for ctx in (empty, village, quiet, town):
        ctx.conn.close()
    shutil.rmtree(home, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    raise SystemExit(main(sys.argv[1:]))
