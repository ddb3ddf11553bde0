"""Attachments travel village → township in sealed bundles (issue 16): byte-identical files (hashes),
new and changed only, each file stored once, a bad file refuses the bundle, a size limit makes
attachments wait for the next bundle; backup and restore carry them."""

from __future__ import annotations

import hashlib
import io
import json
import os
import zipfile

import pytest

from dudu_desktop.domain.problems import Refused
from dudu_desktop.services import attachments, audit, backup, disputes, site
from dudu_desktop.sync import bundle as fmt
from dudu_desktop.sync.export import export_bundle
from dudu_desktop.sync.merge import apply_bundle, preview_bundle
from tests.test_attachments import jpeg, pdf
from tests.test_seal import new_township, new_village, register

DISPUTE = {"registered_on": "2024-12-01", "dispute_type": "邻里", "summary": "排水沟纠纷", "source": "主动排查"}


@pytest.fixture
def pair(tmp_path):
    town = new_township(tmp_path / "town.sqlite3")
    village = new_village(tmp_path / "a.sqlite3")
    usb = tmp_path / "usb"
    usb.mkdir()
    register(town, village, usb)
    yield town, village, usb
    town.conn.close()
    village.conn.close()


def noise(width, height) -> bytes:
    """A JPEG that does not compress much (random pixels)."""
    from PIL import Image

    buf = io.BytesIO()
    Image.frombytes("RGB", (width, height), os.urandom(width * height * 3)).save(buf, "JPEG", quality=90)
    return buf.getvalue()


def stored(conn) -> dict:
    return {
        sha: hashlib.sha256(bytes(data)).hexdigest() for sha, data in conn.execute("SELECT sha256, data FROM blobs")
    }


def test_attachments_reach_the_township_byte_identical_through_a_sealed_bundle(pair):
    town, village, usb = pair
    d1 = disputes.create_dispute(village, DISPUTE, [{"role": "申请人", "name": "王德明"}])
    d2 = disputes.create_dispute(village, DISPUTE, [{"role": "申请人", "name": "李四"}])
    photo, scan = jpeg(120, 80), pdf(2)
    attachments.add(village, "disputes", d1, [("a.jpg", photo), ("协议书.pdf", scan)], kind="签字协议书")
    attachments.add(village, "disputes", d2, [("same.jpg", photo)])  # the same photo on another record
    result = export_bundle(village, usb)
    assert result.path.suffix == ".dudu" and result.counts["attachments"] == 3 and result.files == 2
    preview = preview_bundle(town, result.path)
    assert preview.counts["attachments"]["new"] == 3
    assert town.conn.execute("SELECT count(*) FROM attachments").fetchone()[0] == 0  # the preview writes nothing
    imported = apply_bundle(town, result.path)
    assert imported.counts["attachments"]["new"] == 3 and imported.problems == []
    assert stored(town.conn) == stored(village.conn)  # byte-identical
    assert all(k == v for k, v in stored(town.conn).items())
    assert town.conn.execute("SELECT count(*) FROM blobs").fetchone()[0] == 2  # the same photo once
    cols = "id, table_name, record_id, sha256, kind, caption, file_name, mime, size, width, height, pages, version"
    rows = lambda c: sorted(map(tuple, c.execute(f"SELECT {cols} FROM attachments")))  # noqa: E731
    assert rows(town.conn) == rows(village.conn)
    assert [r["file_name"] for r in attachments.list_for(town.conn, "disputes", d1)] == ["a.jpg", "协议书.pdf"]
    assert audit.check(town.conn) == []

    # new and changed only: a void travels, its file does not again; new attachments come with theirs
    gone = attachments.list_for(village.conn, "disputes", d2)[0]
    attachments.void(village, gone["id"], "重复")
    extra = jpeg(30, 30, color=(0, 0, 0))
    attachments.add(village, "disputes", d2, [("b.jpg", extra)])
    second = export_bundle(village, usb)
    assert second.counts["attachments"] == 2 and second.files == 1
    imported = apply_bundle(town, second.path)
    assert imported.counts["attachments"] == {"new": 1, "updated": 1, "unchanged": 0, "conflicting": 0, "invalid": 0}
    assert attachments.list_for(town.conn, "disputes", d2)[0]["file_name"] == "b.jpg"
    assert stored(town.conn) == stored(village.conn)
    assert audit.check(town.conn) == []


def _plain(village, usb):
    """An unsealed bundle (administrators), to tamper with."""
    return export_bundle(village, usb, unsealed=True).path


def _rewrite(path, out, change):
    with zipfile.ZipFile(path) as zf:
        members = {i.filename: zf.read(i) for i in zf.infolist()}
    change(members)
    with zipfile.ZipFile(out, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return out


def test_a_bundle_with_a_file_that_does_not_match_its_hash_is_refused(pair, tmp_path):
    town, village, usb = pair
    d1 = disputes.create_dispute(village, DISPUTE, [{"role": "申请人", "name": "王德明"}])
    attachments.add(village, "disputes", d1, [("a.jpg", jpeg())])
    path = _plain(village, usb)
    sha = village.conn.execute("SELECT sha256 FROM blobs").fetchone()[0]

    def swap_bytes(members):  # the file changed, the description unchanged
        members[f"blobs/{sha}"] = jpeg(color=(9, 9, 9))

    def swap_all(members):  # the file and its listed checksum changed, not its name
        data = jpeg(color=(9, 9, 9))
        members[f"blobs/{sha}"] = data
        descriptor = json.loads(members["datapackage.json"])
        for res in descriptor["resources"]:
            if res["path"] == f"blobs/{sha}":
                res["bytes"], res["hash"] = len(data), "sha256:" + hashlib.sha256(data).hexdigest()
        members["datapackage.json"] = json.dumps(descriptor).encode()

    for n, change in enumerate((swap_bytes, swap_all)):
        bad = _rewrite(path, tmp_path / path.name.replace(".zip", f"{n}.zip"), change)
        with pytest.raises(Refused, match="校验"):
            fmt.read_bundle(bad, our_schema_version=99)
        with pytest.raises(Refused):
            apply_bundle(town, bad, allow_unsealed=True)
    assert town.conn.execute("SELECT count(*) FROM blobs").fetchone()[0] == 0


def test_the_bundle_size_limit_makes_attachments_wait_for_the_next_bundle(pair):
    town, village, usb = pair
    d1 = disputes.create_dispute(village, DISPUTE, [{"role": "申请人", "name": "王德明"}])
    big = [noise(300, 300) for i in range(3)]
    for i, data in enumerate(big):
        attachments.add(village, "disputes", d1, [(f"p{i}.jpg", data)])
    size = len(big[0])
    site.set_setting(village, "sync.max_bundle_mb", (size * 1.5 + 20_000) / 1048576)  # room for one
    first = export_bundle(village, usb)
    assert first.files == 1 and first.waiting == 2 and "下一" in " ".join(first.notes)
    second = export_bundle(village, usb)
    assert second.files == 1 and second.waiting == 1
    third = export_bundle(village, usb)
    assert third.files == 1 and third.waiting == 0 and third.notes == []
    for result in (first, second, third):
        apply_bundle(town, result.path)
    assert stored(town.conn) == stored(village.conn) and len(stored(town.conn)) == 3
    assert len(attachments.list_for(town.conn, "disputes", d1)) == 3


def test_backup_and_restore_carry_attachments(ctx, tmp_path):
    d1 = disputes.create_dispute(ctx, DISPUTE, [{"role": "申请人", "name": "王德明"}])
    scan = pdf(2)
    row = attachments.add(ctx, "disputes", d1, [("协议书.pdf", scan)])[0]
    copy = backup.backup_to(ctx, tmp_path / "copy.sqlite3")
    attachments.void(ctx, row["id"], "试试")
    ctx.conn.execute("DELETE FROM blobs")  # even the file gone from the live database
    ctx.conn.commit()
    backup.restore(ctx, copy)
    restored = attachments.list_for(ctx.conn, "disputes", d1)
    assert [r["sha256"] for r in restored] == [row["sha256"]]
    assert attachments.content(ctx.conn, row["sha256"]) == scan
