#!/usr/bin/env python3
"""Screenshots for the user guide (docs/使用说明.md), taken from the real windows on demo data,
offscreen, with the clock at 2024-12-20 10:00 so that "this month" has records.

    python scripts/screenshots.py [OUT]          # default: docs/screenshots/

The conflict picture comes from the sync tests: ``DUDU_SHOTS=DIR pytest tests/ui/test_sync_pages.py``, then
copy ``DIR/sync_conflict.png`` to ``docs/screenshots/sync-conflict.png``. Look at every picture before
committing it.
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
    stall = Image.new("RGB", (1600, 1200), (150, 196, 230))                # sky
    d = ImageDraw.Draw(stall)
    d.rectangle([0, 760, 1600, 1200], fill=(176, 160, 132))                 # the market street
    d.polygon([(260, 380), (800, 230), (1340, 380)], fill=(40, 110, 190))   # the tent
    d.rectangle([300, 380, 1300, 430], fill=(30, 90, 160))
    for x in (320, 1270):
        d.rectangle([x, 430, x + 12, 900], fill=(90, 90, 90))
    d.rectangle([330, 450, 1270, 560], fill=(200, 30, 40))                  # the banner
    d.text((800, 505), "民法典进农家 · 法律咨询", font=hei, fill="white", anchor="mm")
    d.rectangle([380, 760, 1220, 820], fill=(235, 235, 225))                # the table, leaflets on it
    for i, x in enumerate(range(420, 1180, 110)):
        d.rectangle([x, 735, x + 80, 770], fill=((250, 250, 250), (250, 210, 80), (120, 200, 120))[i % 3])
    for x, colour in ((520, (60, 60, 70)), (800, (180, 60, 60)), (1080, (70, 110, 70))):
        d.ellipse([x - 45, 560, x + 45, 650], fill=(235, 200, 170))        # people behind the table
        d.rectangle([x - 70, 650, x + 70, 760], fill=colour)
    buf = io.BytesIO()
    stall.save(buf, "JPEG", quality=85)
    out.append(("赶集日咨询台.jpg", buf.getvalue()))
    paper = Image.new("RGB", (1200, 1600), (120, 100, 80))                  # the page on a desk
    d = ImageDraw.Draw(paper)
    d.rectangle([90, 80, 1110, 1520], fill=(250, 248, 240))
    d.text((600, 190), "人民调解协议书", font=hei, fill=(20, 20, 20), anchor="mm")
    lines = ["当事人：秦某某、夏某某", "纠纷主要事实：修建围墙占用公共通道……", "经调解，自愿达成如下协议：",
             "一、夏某某于12月20日前拆除占道部分围墙；", "二、恢复通道宽度1.5米；", "三、双方今后和睦相处。"]
    for i, line in enumerate(lines):
        d.text((170, 320 + i * 80), line, font=kai, fill=(30, 30, 30))
    d.text((170, 1180), "当事人（签名）：秦堃忠   夏桂军", font=kai, fill=(30, 30, 60))
    d.ellipse([760, 1230, 1020, 1490], outline=(210, 30, 30), width=10)    # the seal
    d.text((890, 1360), "调解委员会", font=kai, fill=(210, 30, 30), anchor="mm")
    buf = io.BytesIO()
    paper.save(buf, "JPEG", quality=85)
    out.append(("协议书签字页.jpg", buf.getvalue()))
    return out


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else ROOT / "docs" / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    home = Path(tempfile.mkdtemp(prefix="dudu-shots-"))
    os.environ["DUDU_HOME"] = str(home)          # ui.ini and backups stay out of the user's folder
    os.environ.pop("DUDU_LANG", None)

    from PySide6.QtCore import QThreadPool, QTimer
    from PySide6.QtWidgets import QApplication, QDialog

    from dudu_desktop.domain.vocab import Role
    from dudu_desktop.i18n import set_locale
    from dudu_desktop.services import demo, site, users
    from dudu_desktop.services.context import Context
    from dudu_desktop.storage.db import open_database
    from dudu_desktop.ui import app as uiapp
    from dudu_desktop.ui import login as login_ui
    from dudu_desktop.ui.main_window import MainWindow
    from dudu_desktop.ui.wizard import FirstRunWizard

    set_locale("zh_CN")
    app = uiapp.application()

    def settle(rounds: int = 30) -> None:
        for _ in range(rounds):
            app.processEvents()
            QThreadPool.globalInstance().waitForDone(2000)
        app.processEvents()

    def save(widget, name: str, size=None) -> None:
        if size:
            widget.resize(*size)
        widget.show()
        settle()
        image = widget.grab()
        path = out / f"{name}.png"
        image.save(str(path))
        print(f"{path} {image.width()}×{image.height()}")

    def ctx_for(path: Path, user="admin", role=Role.ADMIN) -> Context:
        return Context(conn=open_database(path), user=user, role=role, clock=lambda: NOW)

    # --- first run: the wizard on an empty file, the first administrator, the log-in
    empty = ctx_for(home / "new.sqlite3")
    wizard = FirstRunWizard(empty, home / "new.sqlite3")
    wizard.village_radio.setChecked(True)
    wizard.code.setText(VILLAGE[0])
    wizard.name.setText(VILLAGE[1])
    wizard.township_code.setText(TOWNSHIP[0])
    wizard.township_name.setText(TOWNSHIP[1])
    save(wizard, "first-run-wizard")
    wizard.close()
    first = login_ui.FirstAdminDialog(empty)
    first.username.setText("liming")
    first.display_name.setText("李明")
    save(first, "first-admin")
    first.close()

    # --- the township PC (registers the village: its bundles are sealed)
    from dudu_desktop.sync import keys
    town_path = home / "township.sqlite3"
    town = ctx_for(town_path)
    site.init_site(town, role="township", code=TOWNSHIP[0], name=TOWNSHIP[1])
    demo.generate(town, year=2024, villages=5, seed=1)
    registration = keys.register_village(town, VILLAGE[0], VILLAGE[1], home).path

    # --- a village PC with a year of demo records
    village_path = home / "village.sqlite3"
    village = ctx_for(village_path)
    site.init_site(village, role="village", code=VILLAGE[0], name=VILLAGE[1], township_code=TOWNSHIP[0],
                   township_name=TOWNSHIP[1])
    demo.generate(village, year=2024, villages=1, seed=3)
    users.create_user(village, "liming", "correct horse 1", Role.ADMIN, display_name="李明")
    keys.import_registration(village, registration)
    # this month's cases (the demo's dates are random): one settled, one still being mediated
    from dudu_desktop.services import disputes
    settled = disputes.create_dispute(village, {
        "registered_on": "2024-12-03", "dispute_type": "邻里", "source": "当事人申请", "method": "人民调解",
        "mediator": "冉光明", "summary": "夏桂军家修建围墙占用公共通道，邻居秦堃忠出行受阻，引发矛盾。"}, [
        {"role": "申请人", "name": "秦堃忠", "gender": "男", "age": 56, "phone": "13896021234"},
        {"role": "被申请人", "name": "夏桂军", "gender": "男", "age": 49, "phone": "18883452225"}])
    disputes.start_mediation(village, settled)
    disputes.conclude(village, settled, result="调解成功", concluded_on="2024-12-11", agreement=True,
                      agreement_terms="夏桂军于12月20日前拆除占道部分围墙，恢复通道宽度1.5米。", amount=0)
    disputes.start_mediation(village, disputes.create_dispute(village, {
        "registered_on": "2024-12-16", "dispute_type": "婚姻家庭", "source": "主动排查", "level": "黄",
        "mediator": "秦志强", "summary": "朱春丽与丈夫徐伟鹏因家庭琐事及子女抚养问题发生争吵，朱春丽回娘家居住，双方要求调解。"}, [
        {"role": "申请人", "name": "朱春丽", "gender": "女", "age": 34, "phone": "13512349422"},
        {"role": "被申请人", "name": "徐伟鹏", "gender": "男", "age": 36}]), method="人民调解")
    login = login_ui.LoginDialog(village.db)
    login.username.setText("liming")
    save(login, "login")
    login.close()

    window = MainWindow(village, village_path)
    window.resize(1280, 760)
    window.show()
    settle()
    window.show_page("home")
    save(window, "home-village")
    window.show_page("publicity")
    save(window, "publicity")
    window.show_page("settings")
    save(window, "settings")

    # a dispute's editor (the newest case being mediated, else the newest)
    page = window.pages["disputes"]
    record = village.conn.execute("SELECT id FROM disputes WHERE deleted = 0 ORDER BY status = '调处中' DESC, "
                                  "registered_on DESC LIMIT 1").fetchone()
    if record:
        dialog = window.open_record("disputes", record[0])
        save(dialog, "dispute-editor", (900, 680))
        dialog._closing_ok = True
        dialog.close()
    # the 附件 tab of the settled case with two pictures (issue 16)
    from dudu_desktop.services import attachments
    (name_a, photo), (name_b, signed) = demo_photos()
    attachments.add(village, "disputes", settled, [(name_a, photo)], caption="赶集日现场调解")
    attachments.add(village, "disputes", settled, [(name_b, signed)], kind="签字协议书", caption="双方签字")
    dialog = window.open_record("disputes", settled)
    dialog.tabs.setCurrentWidget(dialog.attachments)
    dialog.attachments.list.setCurrentRow(1)
    save(dialog, "dispute-attachments", (900, 640))
    dialog._closing_ok = True
    dialog.close()
    # the print preview of December's dispute ledger (Ctrl+P on the register page)
    from dudu_desktop.reports.documents import LEDGER, DocumentRequest
    from dudu_desktop.ui.print_preview import PrintPreviewDialog
    preview = PrintPreviewDialog(village, DocumentRequest(LEDGER, {"register": "disputes", "month": "2024-12",
                                                                   "village": None}))
    done = []
    preview.ready.connect(lambda _n: done.append(True))
    preview.failed.connect(lambda message: done.append(message))
    preview.resize(1000, 760)
    preview.show()
    for _ in range(200):
        if done:
            break
        settle(2)
        QTimer.singleShot(20, lambda: None)
    save(preview, "print-preview")
    preview.close()

    # the sync page of a village: export to the "USB stick"
    usb = home / "U盘"
    usb.mkdir()
    window.show_page("sync")
    export_page = window.sync_page.export_page
    export_page.set_target(usb)
    bundle = export_page.export()
    save(window, "sync-village")

    # the About box
    window.show_about()
    settle()
    about = window.findChild(QDialog, "aboutDialog")
    if about:
        save(about, "about")
        about.close()
    for d in list(window.dialogs):
        d._closing_ok = True
    window.close()

    # a second village with nothing new this month: its bundle is a zero report (零上报)
    quiet_path = home / "quiet.sqlite3"
    quiet = ctx_for(quiet_path)
    site.init_site(quiet, role="village", code="500116113202", name="桐木村", township_code=TOWNSHIP[0],
                   township_name=TOWNSHIP[1])
    (home / "reg2").mkdir()
    keys.import_registration(quiet, keys.register_village(town, "500116113202", "桐木村", home / "reg2").path)
    from dudu_desktop.sync.export import export_bundle
    quiet_bundle = export_bundle(quiet, usb)

    # --- the township PC: the home page with every village; the villages' bundles previewed, applied
    window = MainWindow(town, town_path)
    window.resize(1280, 760)
    window.show()
    settle()
    window.show_page("home")
    save(window, "home-township")
    window.show_page("sync")
    importer = window.sync_page.import_page
    importer.add_files([b.path for b in (bundle, quiet_bundle) if b is not None])
    for _ in range(100):
        if len(importer.previews) == 2:
            break
        settle(2)
    save(window, "sync-township")
    applied = []
    importer.applied.connect(lambda: applied.append(True))
    importer.apply()
    for _ in range(200):
        if applied:
            break
        settle(2)
    window.sync_page.setCurrentWidget(window.sync_page.overview_page)
    window.sync_page.overview_page.refresh()
    save(window, "sync-overview")
    window.close()
    for ctx in (empty, village, quiet, town):
        ctx.conn.close()
    shutil.rmtree(home, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    raise SystemExit(main(sys.argv[1:]))
