"""Attachments (issue 16): photos and scans on any record, stored once by SHA-256 in the database,
refused with a clear message and nothing stored when bad, voided with a reason, audited and seen by
``check``; the command line ``attach`` / ``attachments`` / ``detach``."""

from __future__ import annotations

import io
import json

import pytest
from PIL import Image

from dudu_desktop.cli import main
from dudu_desktop.domain.problems import PermissionDenied, Refused
from dudu_desktop.domain.vocab import Role
from dudu_desktop.services import attachments, audit, disputes, publicity, site
from dudu_desktop.services.context import Context

DISPUTE = {
    "registered_on": "2024-12-01",
    "dispute_type": "邻里",
    "summary": "王德明与李四因排水沟争吵",
    "source": "主动排查",
}
EVENT = {"held_on": "2024-12-10", "theme": "民法典进农家", "form": "赶集日咨询台", "location": "都督场镇"}


def jpeg(width=64, height=48, color=(200, 30, 30), *, orientation=None, quality=90) -> bytes:
    image = Image.new("RGB", (width, height), color)
    for x in range(min(8, width)):  # a mark in the top-left corner, to see rotations
        image.putpixel((x, 0), (0, 0, 255))
    buf = io.BytesIO()
    kwargs = {}
    if orientation:
        exif = Image.Exif()
        exif[0x0112] = orientation
        kwargs["exif"] = exif.tobytes()
    image.save(buf, "JPEG", quality=quality, **kwargs)
    return buf.getvalue()


def png(width=40, height=30) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (width, height), (10, 120, 10)).save(buf, "PNG")
    return buf.getvalue()


def pdf(pages=3) -> bytes:
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    for i in range(pages):
        c.drawString(100, 700, f"page {i + 1}")
        c.showPage()
    c.save()
    return buf.getvalue()


def state(conn) -> tuple:
    return (
        conn.execute("SELECT count(*) FROM attachments").fetchone()[0],
        conn.execute("SELECT count(*) FROM blobs").fetchone()[0],
        conn.execute("SELECT count(*) FROM audit_log").fetchone()[0],
    )


@pytest.fixture
def dispute(ctx):
    return disputes.create_dispute(ctx, DISPUTE, [{"role": "申请人", "name": "王德明"}])


def test_attach_photo_and_scan_stored_by_sha256_audited_and_check_clean(ctx, dispute):
    photo, scan = jpeg(), pdf(3)
    rows = attachments.add(
        ctx, "disputes", dispute, [("IMG_0001.JPG", photo), ("申请书.pdf", scan)], caption="现场查看排水沟"
    )
    assert [r["mime"] for r in rows] == ["image/jpeg", "application/pdf"]
    assert rows[0]["kind"] == "现场照片" and rows[1]["kind"] == "其他"
    assert (rows[0]["width"], rows[0]["height"]) == (64, 48) and rows[1]["pages"] == 3
    import hashlib

    assert rows[0]["sha256"] == hashlib.sha256(photo).hexdigest()  # unchanged picture: its own bytes
    assert attachments.content(ctx.conn, rows[1]["sha256"]) == scan
    listed = attachments.list_for(ctx.conn, "disputes", dispute)
    assert [r["file_name"] for r in listed] == ["IMG_0001.JPG", "申请书.pdf"]
    entry = audit.entries(ctx.conn, record_id=rows[0]["id"])[0]
    assert entry["action"] == "attach" and entry["table_name"] == "attachments"
    assert audit.check(ctx.conn) == []
    thumb = Image.open(io.BytesIO(attachments.thumbnail(ctx.conn, rows[1]["sha256"], size=100)))
    assert max(thumb.size) == 100


def test_the_same_file_twice_is_stored_once(ctx, dispute):
    event = publicity.create_event(ctx, EVENT, [])
    photo = jpeg()
    attachments.add(ctx, "disputes", dispute, [("a.jpg", photo)])
    attachments.add(ctx, "publicity_events", event, [("copy of a.jpg", photo)])
    assert state(ctx.conn)[:2] == (2, 1)  # two attachments, one stored file
    before = state(ctx.conn)
    with pytest.raises(Refused, match="已"):
        attachments.add(ctx, "disputes", dispute, [("again.jpg", photo)])
    assert state(ctx.conn) == before


@pytest.mark.parametrize(
    "name,data,message",
    [
        ("IMG_1234.HEIC", b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 100, "兼容性最佳"),
        ("photo.jpg", b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 100, "JPG"),
        ("fake.jpg", b"%PDF-1.4 not a picture", "JPEG"),
        ("fake.pdf", b"\xff\xd8\xff\xe0 not a pdf", "PDF"),
        ("cut.jpg", None, "损坏"),
        ("broken.pdf", b"%PDF-1.4\n garbage garbage", "损坏"),
        ("notes.docx", b"PK\x03\x04 word", "Word"),
        ("empty.png", b"", "空"),
    ],
)
def test_bad_files_are_refused_with_a_message_and_nothing_is_stored(ctx, dispute, name, data, message):
    if data is None:
        data = jpeg(300, 200)[:400]  # a photo cut off in the middle
    attachments.add(ctx, "disputes", dispute, [("good.png", png())])
    before = state(ctx.conn)
    with pytest.raises(Refused, match=message):
        # a good file beside the bad one is not stored either: all or nothing
        attachments.add(ctx, "disputes", dispute, [("other.jpg", jpeg()), (name, data)])
    assert state(ctx.conn) == before


def test_over_the_size_limit_is_refused(ctx, dispute):
    site.set_setting(ctx, "attachments.max_mb", 0.001)  # ~1 KB
    before = state(ctx.conn)
    with pytest.raises(Refused, match="上限"):
        attachments.add(ctx, "disputes", dispute, [("big.jpg", jpeg(400, 400, quality=95))])
    assert state(ctx.conn) == before


def test_exif_orientation_is_applied_and_big_pictures_are_brought_down(ctx, dispute):
    site.set_setting(ctx, "attachments.max_side", 100)
    original = jpeg(400, 200, orientation=6)  # 6: shown turned 90° clockwise
    row = attachments.add(ctx, "disputes", dispute, [("phone.jpg", original)])[0]
    assert (row["width"], row["height"]) == (50, 100)  # turned upright, then long side 100
    stored = Image.open(io.BytesIO(attachments.content(ctx.conn, row["sha256"])))
    assert stored.size == (50, 100) and stored.getexif().get(0x0112) in (None, 1)
    import hashlib

    changes = audit.entries(ctx.conn, record_id=row["id"])[0]["changes"]
    assert changes["original_sha256"][1] == hashlib.sha256(original).hexdigest() != row["sha256"]
    assert changes["original_width"][1] == 400


def test_void_needs_a_reason_follows_the_record_rules_and_keeps_the_file(ctx, dispute):
    row = attachments.add(ctx, "disputes", dispute, [("a.jpg", jpeg())])[0]
    with pytest.raises(Refused, match="原因"):
        attachments.void(ctx, row["id"], "  ")
    clerk = Context(conn=ctx.conn, user="clerk1", role=Role.CLERK, clock=ctx.clock)
    with pytest.raises(PermissionDenied):
        attachments.void(clerk, row["id"], "拍错了")  # not theirs
    viewer = Context(conn=ctx.conn, user="v", role=Role.VIEWER, clock=ctx.clock)
    with pytest.raises(PermissionDenied):
        attachments.add(viewer, "disputes", dispute, [("b.jpg", jpeg(color=(1, 2, 3)))])
    attachments.void(ctx, row["id"], "拍错了")
    assert attachments.list_for(ctx.conn, "disputes", dispute) == []
    assert attachments.list_for(ctx.conn, "disputes", dispute, include_voided=True)[0]["deleted"] == 1
    assert attachments.content(ctx.conn, row["sha256"])  # never a hard delete
    entry = audit.entries(ctx.conn, record_id=row["id"])[0]
    assert entry["action"] == "void_attachment" and entry["reason"] == "拍错了"
    assert audit.check(ctx.conn) == []


def test_check_sees_an_attachment_or_a_file_changed_outside_the_program(ctx, dispute):
    row = attachments.add(ctx, "disputes", dispute, [("a.jpg", jpeg())])[0]
    ctx.conn.execute("UPDATE attachments SET caption = '改过' WHERE id = ?", (row["id"],))
    ctx.conn.execute("UPDATE blobs SET data = ? WHERE sha256 = ?", (b"xx", row["sha256"]))
    ctx.conn.commit()
    problems = audit.check(ctx.conn)
    assert any("附件" in p and row["id"] in p for p in problems)
    assert any(row["sha256"][:12] in p for p in problems)


# --- command line ------------------------------------------------------------------------------------


def run(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_attach_list_detach(ctx, dispute, tmp_path, capsys):
    db = ctx.conn.execute("PRAGMA database_list").fetchone()[2]
    serial = ctx.conn.execute("SELECT serial_no FROM disputes WHERE id = ?", (dispute,)).fetchone()[0]
    (tmp_path / "协议书.pdf").write_bytes(pdf(2))
    (tmp_path / "p.jpg").write_bytes(jpeg())
    code, out, err = run(
        capsys,
        "--db",
        db,
        "attach",
        "--register",
        "disputes",
        "--id",
        serial,
        tmp_path / "协议书.pdf",
        tmp_path / "p.jpg",
        "--kind",
        "签字协议书",
        "--caption",
        "双方签字",
    )
    assert code == 0, err
    code, out, err = run(capsys, "--db", db, "attachments", "--register", "disputes", "--id", dispute, "--json")
    rows = json.loads(out)["attachments"]
    assert [(r["kind"], r["caption"], r["pages"]) for r in rows] == [
        ("签字协议书", "双方签字", 2),
        ("签字协议书", "双方签字", None),
    ]
    assert rows[1]["width"] == 64 and len(rows[0]["sha256"]) == 64 and rows[0]["size"] > 0
    (tmp_path / "x.heic").write_bytes(b"\x00\x00\x00\x18ftypheic" + b"\x00" * 40)
    code, out, err = run(capsys, "--db", db, "attach", "--register", "disputes", "--id", serial, tmp_path / "x.heic")
    assert code == 1 and "兼容性最佳" in err
    code, out, err = run(
        capsys,
        "--db",
        db,
        "detach",
        "--register",
        "disputes",
        "--id",
        serial,
        "--attachment",
        rows[1]["sha256"][:10],
        "--reason",
        "重复",
    )
    assert code == 0, err
    code, out, err = run(capsys, "--db", db, "attachments", "--register", "disputes", "--id", serial)
    assert code == 0 and "签字协议书" in out and rows[1]["sha256"][:12] not in out
