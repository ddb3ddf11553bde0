"""Attachments in the record windows (issue 16): 添加附件… and files dropped onto the dialog,
thumbnails made off the UI thread, refusals shown in red with nothing stored, double-click opens
the file large (a PDF page by page), 作废… with a reason, read-only for a role that may not
write; 打印卷宗 in the dispute's window previews the dossier."""

from __future__ import annotations

import dataclasses

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QGuiApplication
from PySide6.QtWidgets import QApplication, QFileDialog, QPushButton

from dudu_desktop.domain.vocab import Role
from dudu_desktop.reports import documents
from dudu_desktop.services import attachments, audit, hotline, publicity, site, trainings
from dudu_desktop.ui.attachments import AttachmentViewer
from dudu_desktop.ui.dispute_dialog import DisputeDialog
from dudu_desktop.ui.hotline_dialog import HotlineDialog
from dudu_desktop.ui.print_preview import PrintPreviewDialog
from dudu_desktop.ui.publicity_dialog import PublicityDialog
from dudu_desktop.ui.training_dialog import TrainingDialog
from tests.test_attachments import jpeg, pdf, png
from tests.ui.conftest import make_dispute


def files(tmp_path, **named: bytes) -> dict[str, str]:
    out = {}
    for name, data in named.items():
        path = tmp_path / name.replace("_", ".")
        path.write_bytes(data)
        out[name.split("_")[0]] = str(path)
    return out


def drop(widget, paths: list[str]) -> None:
    """Files dragged from the file manager and dropped on ``widget``."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(p) for p in paths])
    enter = QDragEnterEvent(QPoint(20, 20), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    QApplication.sendEvent(widget, enter)
    assert enter.isAccepted()
    event = QDropEvent(QPointF(20, 20), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    QApplication.sendEvent(widget, event)


def stored(ctx) -> tuple[int, int]:
    return (
        ctx.conn.execute("SELECT count(*) FROM attachments").fetchone()[0],
        ctx.conn.execute("SELECT count(*) FROM blobs").fetchone()[0],
    )


def open_dispute(qtbot, ctx, dispute_id):
    dialog = DisputeDialog(ctx, dispute_id)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def test_attach_by_button_and_by_drop_with_thumbnails(qtbot, ctx, tmp_path, monkeypatch):
    dispute = make_dispute(ctx)
    paths = files(tmp_path, stall_jpg=jpeg(1600, 1200), sheet_pdf=pdf(3))
    dialog = open_dispute(qtbot, ctx, dispute)
    panel = dialog.attachments
    assert dialog.tabs.tabText(dialog.tabs.indexOf(panel)) == "附件"
    asked = []
    panel.ask_details = lambda p: asked.append(p) or ("现场照片", "赶集日咨询台")
    monkeypatch.setattr(QFileDialog, "getOpenFileNames", lambda *a, **k: ([paths["stall"]], ""))
    assert panel.add_button.isEnabled()
    qtbot.mouseClick(panel.add_button, Qt.LeftButton)
    assert asked == [[paths["stall"]]]
    assert panel.list.count() == 1 and "赶集日咨询台" in panel.list.item(0).text()
    row = attachments.list_for(ctx.conn, "disputes", dispute)[0]
    assert (row["kind"], row["caption"], row["width"]) == ("现场照片", "赶集日咨询台", 1600)

    dialog.tabs.setCurrentIndex(0)  # a file dropped anywhere on the window
    panel.ask_details = lambda p: ("签到表", "")
    drop(dialog, [paths["sheet"]])
    assert dialog.tabs.currentWidget() is panel  # the 附件 tab comes forward
    assert [r["kind"] for r in attachments.list_for(ctx.conn, "disputes", dispute)] == ["现场照片", "签到表"]
    assert panel.list.count() == 2
    assert "2" not in panel.error.text() and not panel.error.isVisible()
    # thumbnails are made by a job on the thread pool and arrive as icons
    qtbot.waitUntil(panel.thumbnails_ready, timeout=10000)
    assert all(not panel.list.item(i).icon().isNull() for i in range(2))


@pytest.mark.parametrize(
    "name,data,words",
    [
        ("IMG_0001.heic", b"\x00\x00\x00\x18ftypheic" + b"\x00" * 64, ["HEIC", "兼容性最佳"]),
        ("broken.jpg", jpeg()[:200], ["broken.jpg"]),
        ("letter.docx", b"PK\x03\x04" + b"\x00" * 50, ["Word"]),
    ],
)
def test_a_refused_file_is_explained_in_red_and_nothing_is_stored(qtbot, ctx, tmp_path, name, data, words):
    dispute = make_dispute(ctx)
    dialog = open_dispute(qtbot, ctx, dispute)
    panel = dialog.attachments
    panel.ask_details = lambda p: ("其他", "")
    path = tmp_path / name
    path.write_bytes(data)
    good = files(tmp_path, ok_png=png())["ok"]
    before = stored(ctx)
    drop(dialog, [good, str(path)])  # all or nothing: the good one is not kept either
    assert stored(ctx) == before and panel.list.count() == 0
    assert panel.error.isVisible()
    assert all(w in panel.error.text() for w in words), panel.error.text()


def test_too_big_is_refused(qtbot, ctx, tmp_path):
    site.set_setting(ctx, "attachments.max_mb", 0.001)
    dispute = make_dispute(ctx)
    dialog = open_dispute(qtbot, ctx, dispute)
    dialog.attachments.ask_details = lambda p: ("现场照片", "")
    drop(dialog, [files(tmp_path, big_jpg=jpeg(400, 300))["big"]])
    assert stored(ctx) == (0, 0)
    assert "MB" in dialog.attachments.error.text()


def test_a_new_record_is_saved_before_attaching(qtbot, ctx, tmp_path):
    dialog = open_dispute(qtbot, ctx, None)
    panel = dialog.attachments
    assert not panel.add_button.isEnabled()
    assert "先保存" in panel.hint.text()
    panel.ask_details = lambda p: pytest.fail("no details asked for an unsaved record")
    drop(dialog, [files(tmp_path, a_jpg=jpeg())["a"]])
    assert stored(ctx) == (0, 0) and "先保存" in panel.error.text()
    dialog._closing_ok = True


def test_double_click_opens_it_large_and_a_pdf_page_by_page(qtbot, ctx, tmp_path):
    dispute = make_dispute(ctx)
    paths = files(tmp_path, photo_jpg=jpeg(3000, 2000), scan_pdf=pdf(3))
    attachments.add_paths(ctx, "disputes", dispute, [paths["photo"]], caption="现场")
    attachments.add_paths(ctx, "disputes", dispute, [paths["scan"]], kind="调解笔录")
    dialog = open_dispute(qtbot, ctx, dispute)
    panel = dialog.attachments
    dialog.tabs.setCurrentWidget(panel)
    rect = panel.list.visualItemRect(panel.list.item(0))
    qtbot.mouseClick(panel.list.viewport(), Qt.LeftButton, pos=rect.center())  # a real double-click:
    qtbot.mouseDClick(panel.list.viewport(), Qt.LeftButton, pos=rect.center())  # press, release, press
    viewer = panel.viewer
    assert isinstance(viewer, AttachmentViewer) and viewer.isVisible()
    avail = QGuiApplication.primaryScreen().availableGeometry()
    assert viewer.width() <= avail.width() and viewer.height() <= avail.height()
    shown = viewer.picture.pixmap()
    assert 0 < shown.width() <= viewer.width() and shown.height() <= viewer.height()
    assert not viewer.next_button.isVisible()
    viewer.close()

    panel.list.setCurrentRow(1)
    viewer = panel.open_item(panel.list.currentItem())
    assert viewer.page_label.text() == "第 1 页，共 3 页" and not viewer.prev_button.isEnabled()
    qtbot.mouseClick(viewer.next_button, Qt.LeftButton)
    qtbot.mouseClick(viewer.next_button, Qt.LeftButton)
    assert viewer.page_label.text() == "第 3 页，共 3 页" and not viewer.next_button.isEnabled()
    assert not viewer.picture.pixmap().isNull()
    viewer.close()


def test_void_with_a_reason_and_read_only_roles(qtbot, ctx, tmp_path):
    dispute = make_dispute(ctx)
    attachments.add_paths(ctx, "disputes", dispute, [files(tmp_path, p_jpg=jpeg())["p"]])
    viewer_ctx = dataclasses.replace(ctx, user="guest", role=Role.VIEWER)
    dialog = open_dispute(qtbot, viewer_ctx, dispute)
    panel = dialog.attachments
    panel.list.setCurrentRow(0)
    assert panel.list.count() == 1 and panel.open_button.isEnabled()
    assert not panel.add_button.isEnabled() and not panel.void_button.isEnabled()
    assert "不能" in panel.hint.text() or "只能" in panel.hint.text()
    dialog.close()

    dialog = open_dispute(qtbot, ctx, dispute)
    panel = dialog.attachments
    panel.list.setCurrentRow(0)
    panel.ask_reason = lambda row: None  # cancelled: nothing happens
    assert not panel.void_selected() and panel.list.count() == 1
    panel.ask_reason = lambda row: "拍错了，重复上传"
    qtbot.mouseClick(panel.void_button, Qt.LeftButton)
    assert panel.list.count() == 0
    assert attachments.list_for(ctx.conn, "disputes", dispute) == []
    voided = attachments.list_for(ctx.conn, "disputes", dispute, include_voided=True)[0]
    entry = audit.entries(ctx.conn, record_id=voided["id"], action="void_attachment", limit=1)[0]
    assert entry["reason"] == "拍错了，重复上传"


def test_the_other_registers_take_attachments_too(qtbot, ctx, tmp_path):
    training = trainings.create_training(ctx, {"held_on": "2024-12-01", "topic": "民法典", "training_type": "专题学习"})
    call = hotline.create_call(
        ctx,
        {
            "called_at": "2024-12-02 09:00",
            "channel": "电话",
            "category": "其他",
            "anonymous": True,
            "question": "土地承包",
            "handler": "张",
        },
    )
    event = publicity.create_event(
        ctx, {"held_on": "2024-12-10", "theme": "民法典进农家", "form": "赶集日咨询台", "location": "都督场镇"}, []
    )
    photo = files(tmp_path, x_png=png())["x"]
    for cls, rid, table in (
        (TrainingDialog, training, "trainings"),
        (HotlineDialog, call, "hotline_calls"),
        (PublicityDialog, event, "publicity_events"),
    ):
        dialog = cls(ctx, rid)
        qtbot.addWidget(dialog)
        dialog.show()
        dialog.attachments.ask_details = lambda p: ("现场照片", "现场")
        drop(dialog, [photo])
        assert [r["caption"] for r in attachments.list_for(ctx.conn, table, rid)] == ["现场"], table
        assert dialog.attachments.list.count() == 1
        dialog.close()


def test_print_dossier_from_the_dispute_window(qtbot, ctx, tmp_path):
    dispute = make_dispute(ctx)
    attachments.add_paths(ctx, "disputes", dispute, [files(tmp_path, p_jpg=jpeg(800, 600))["p"]])
    dialog = open_dispute(qtbot, ctx, dispute)
    button = dialog.findChild(QPushButton, "printDossier")
    assert button is not None and button.text() == "打印卷宗…"
    qtbot.mouseClick(button, Qt.LeftButton)
    preview = dialog.findChild(PrintPreviewDialog)
    assert preview is not None and preview.request.kind == documents.DOSSIER
    qtbot.waitUntil(lambda: preview.pdf is not None, timeout=30000)
    expected = documents.pdf_bytes(ctx, documents.DocumentRequest(documents.DOSSIER, {"dispute_id": dispute}))[1]
    assert preview.page_count == expected >= 6  # cover, 目录, 登记表, 调解记录, 回访记录, the photo
    assert preview.unmasked.isEnabled()  # the dossier has personal data to show or hide
    preview.close()


def test_use_in_reports_and_the_preview_photos_checkbox(qtbot, ctx, tmp_path):
    event = publicity.create_event(
        ctx, {"held_on": "2024-12-04", "theme": "12·4宪法宣传周", "form": "悬挂横幅", "location": "都督村文化广场"}, []
    )
    paths = files(tmp_path, a_jpg=jpeg(800, 600), b_jpg=jpeg(600, 800, (10, 160, 40)))
    attachments.add_paths(ctx, "publicity_events", event, [paths["a"]])
    attachments.add_paths(ctx, "publicity_events", event, [paths["b"]])
    dialog = PublicityDialog(ctx, event)
    qtbot.addWidget(dialog)
    dialog.show()
    panel = dialog.attachments
    dialog.tabs.setCurrentWidget(panel)  # the event's 附件 tab
    assert panel.report_button.isVisible()
    assert panel.list.item(0).text().startswith("★") and not panel.list.item(1).text().startswith("★")
    panel.list.setCurrentRow(1)
    qtbot.mouseClick(panel.report_button, Qt.LeftButton)
    assert panel.list.item(1).text().startswith("★") and not panel.list.item(0).text().startswith("★")
    second = attachments.list_for(ctx.conn, "publicity_events", event)[1]
    assert attachments.report_photo(ctx.conn, "publicity_events", event)["id"] == second["id"]
    dialog.close()

    request = documents.DocumentRequest(documents.ANNUAL, {"year": 2024, "village": None})
    preview = PrintPreviewDialog(ctx, request, threaded=False)
    qtbot.addWidget(preview)
    assert preview.photos.isVisibleTo(preview) and not preview.photos.isChecked()
    plain = preview.page_count
    preview.photos.setChecked(True)
    assert preview.request.params["photos"] is True and preview.page_count == plain + 1
    ledger = PrintPreviewDialog(
        ctx,
        documents.DocumentRequest(documents.LEDGER, {"register": "disputes", "month": "2024-12", "village": None}),
        threaded=False,
    )
    qtbot.addWidget(ledger)
    assert not ledger.photos.isVisibleTo(ledger)  # only the publicity ledger has photos
