"""Attachments (附件) of the four registers' records (issue 16): add photos and scans, list them,
show them (bytes and thumbnails), change a caption, void one with a reason.

API for the window (and the command line, the bundles, the dossier):

* :func:`add` — ``files`` as ``[(file name, bytes)]`` (drag and drop), or :func:`add_paths` with
  paths (添加附件…). All or nothing: every file is checked and decoded first; one bad file refuses
  the whole call and nothing is stored. Returns the new rows.
* :func:`list_for` — a record's attachments (rows without the bytes), oldest first.
* :func:`content` — a file's bytes by SHA-256 (double-click opens it large);
  :func:`thumbnail` — a small PNG of a picture or of a PDF's first page.
* :func:`update` — caption and kind; :func:`void` — 作废 with a reason (never a hard delete).

Decoding: Pillow for JPEG/PNG (the EXIF orientation is applied, pictures larger than the setting
``attachments.max_side`` — default 2,560 px on the long side — are brought down; the original's
SHA-256, size and pixel size go into the audit entry), pypdfium2 for PDF (pages counted, a
password-protected or damaged file refused). A file over ``attachments.max_mb`` (default 30 MB),
that is not what its name says, or of a format the program does not take (HEIC: with how to
convert) is refused with a Chinese message and nothing is stored.

Rights are those of the records: attaching needs WRITE; voiding follows
:func:`dudu_desktop.services.records.delete_refusal` (an administrator any attachment; a clerk only
one they added today that has not gone to the township yet).
"""

from __future__ import annotations

import io
import os
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from dudu_desktop.domain import attachments as A
from dudu_desktop.domain.fields import REGISTER_TABLES
from dudu_desktop.domain.problems import NotFound, PermissionDenied, Problem, Refused
from dudu_desktop.domain.vocab import Permission
from dudu_desktop.failures import os_error_message
from dudu_desktop.i18n import _
from dudu_desktop.services import audit, records, site
from dudu_desktop.services.context import Context
from dudu_desktop.storage import blobs
from dudu_desktop.storage.chain import ATTACHMENTS
from dudu_desktop.storage.db import transaction
from dudu_desktop.storage.ids import new_id

TABLES = tuple(REGISTER_TABLES.values())  # the four registers take attachments
JPEG_QUALITY = 88
THUMBNAIL = 256


@dataclass
class Prepared:
    """A file checked and decoded, ready to store (what :func:`prepare` returns)."""

    file_name: str
    data: bytes
    sha256: str
    mime: str
    width: int | None = None
    height: int | None = None
    pages: int | None = None
    original: dict = field(default_factory=dict)  # sha256/size/width/height before it was changed
    changed: list = field(default_factory=list)  # what was done: "rotated", "downscaled"

    @property
    def size(self) -> int:
        return len(self.data)


# --- limits ------------------------------------------------------------------------------------------


def max_bytes(conn) -> int:
    return int(float(site.get_setting(conn, "attachments.max_mb", A.DEFAULT_MAX_MB)) * 1048576)


def max_side(conn) -> int:
    return int(site.get_setting(conn, "attachments.max_side", A.DEFAULT_MAX_SIDE))


# --- decoding ------------------------------------------------------------------------------------------


def _refuse(message: str) -> Refused:
    return Refused(Problem("file", message))


def prepare(
    name: str, data: bytes, *, limit_bytes: int = A.DEFAULT_MAX_MB * 1048576, limit_side: int = A.DEFAULT_MAX_SIDE
) -> Prepared:
    """Check and decode one file; raises :class:`Refused` (nothing is stored by this function)."""
    name = os.path.basename(name.replace("\\", "/"))[: A.MAX_FILE_NAME] or "file"
    problem = A.file_problem(name, len(data), data[:1024], max_bytes=limit_bytes)
    if problem:
        raise Refused(problem)
    mime = A.EXTENSIONS[A.extension(name)]
    if mime == A.PDF:
        return _prepare_pdf(name, data)
    return _prepare_image(name, data, mime, limit_side)


def _prepare_image(name: str, data: bytes, mime: str, limit_side: int) -> Prepared:
    from PIL import Image, ImageOps  # Pillow is loaded when a picture is first handled

    damaged = _(
        "{name} cannot be read as a {format} picture (the file is damaged or incomplete); nothing was attached."
    ).format(name=name, format=A.FORMAT_NAMES[mime])
    original = {"sha256": blobs.sha256_hex(data), "size": len(data)}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            wanted = ("JPEG", "MPO") if mime == A.JPEG else ("PNG",)
            if image.format not in wanted:
                raise _refuse(damaged)
            width, height = image.size
            if width * height > A.MAX_PIXELS:
                raise _refuse(
                    _("{name} has too many pixels ({width} × {height}); nothing was attached.").format(
                        name=name, width=width, height=height
                    )
                )
            image.load()  # decodes every byte: a cut-off file fails here
    except Refused:
        raise
    except (
        OSError,
        ValueError,
        SyntaxError,
        Image.DecompressionBombWarning,
        Image.DecompressionBombError,
        EOFError,
    ) as exc:
        raise _refuse(damaged) from exc
    original.update(width=width, height=height)
    changed = []
    out: Image.Image = image
    if image.getexif().get(0x0112, 1) not in (1, None):
        out = ImageOps.exif_transpose(image)
        changed.append("rotated")
    target = A.scaled_size(*out.size, limit_side)
    if target != out.size:
        out = out.resize(target, Image.Resampling.LANCZOS)
        changed.append("downscaled")
    if changed:
        buf = io.BytesIO()
        if mime == A.JPEG:
            if out.mode not in ("RGB", "L"):
                out = out.convert("RGB")
            out.save(buf, "JPEG", quality=JPEG_QUALITY)
        else:
            out.save(buf, "PNG")
        data = buf.getvalue()
    return Prepared(
        file_name=name,
        data=data,
        sha256=blobs.sha256_hex(data),
        mime=mime,
        width=out.size[0],
        height=out.size[1],
        original=original if changed else {},
        changed=changed,
    )


def _prepare_pdf(name: str, data: bytes) -> Prepared:
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        if "password" in str(exc).lower():
            raise _refuse(
                _("{name} is protected by a password; save it without the password and attach it again.").format(
                    name=name
                )
            ) from exc
        raise _refuse(
            _("{name} cannot be read as a PDF (the file is damaged or incomplete); nothing was attached.").format(
                name=name
            )
        ) from exc
    try:
        pages = len(pdf)
        if pages < 1:
            raise _refuse(
                _("{name} cannot be read as a PDF (the file is damaged or incomplete); nothing was attached.").format(
                    name=name
                )
            )
        width, height = (round(v) for v in pdf[0].get_size())
    finally:
        pdf.close()
    return Prepared(
        file_name=name, data=data, sha256=blobs.sha256_hex(data), mime=A.PDF, width=width, height=height, pages=pages
    )


# --- reading -----------------------------------------------------------------------------------------


def _table(table: str) -> str:
    if table not in TABLES:
        raise Refused(_("Unknown register: {name}").format(name=table))
    return table


def get(conn, attachment_id: str) -> dict | None:
    row = conn.execute("SELECT * FROM attachments WHERE id = ?", (attachment_id,)).fetchone()
    return dict(row) if row else None


def list_for(conn, table: str, record_id: str, *, include_voided: bool = False) -> list[dict]:
    """A record's attachments, oldest first (rows without the bytes)."""
    alive = "" if include_voided else " AND deleted = 0"
    return [
        dict(r)
        for r in conn.execute(
            f"SELECT * FROM attachments WHERE record_id = ? AND table_name = ?{alive} "
            "ORDER BY created_at, rowid",  # the order they were attached (a bundle brings them in that order)
            (record_id, _table(table)),
        )
    ]


def counts(conn, table: str, ids: Iterable[str]) -> dict[str, int]:
    """How many live attachments each of the records ``ids`` has (for a paper-clip column)."""
    ids = list(ids)
    out: dict[str, int] = {}
    for i in range(0, len(ids), 500):
        part = ids[i : i + 500]
        out.update(
            conn.execute(
                f"SELECT record_id, count(*) FROM attachments WHERE table_name = ? AND deleted = 0 AND record_id IN "
                f"({', '.join('?' * len(part))}) GROUP BY record_id",
                [_table(table), *part],
            ).fetchall()
        )
    return out


def content(conn, sha256: str) -> bytes:
    data = blobs.get(conn, sha256)
    if data is None:
        raise NotFound(_("The file {sha} is not stored in this database.").format(sha=sha256[:12]))
    return data


def thumbnail(conn, sha256: str, *, size: int = THUMBNAIL) -> bytes:
    """A PNG at most ``size`` pixels on its long side: the picture, or a PDF's first page."""
    row = conn.execute("SELECT mime FROM attachments WHERE sha256 = ? LIMIT 1", (sha256,)).fetchone()
    return make_thumbnail(content(conn, sha256), row[0] if row else A.JPEG, size=size)


def make_thumbnail(data: bytes, mime: str, *, size: int = THUMBNAIL) -> bytes:
    from PIL import Image

    if mime == A.PDF:
        image = render_pdf_page(data, 0, long_side=size)
    else:
        image = Image.open(io.BytesIO(data))
        if image.format == "JPEG":
            image.draft("RGB", (size, size))  # decode at 1/2…1/8 scale: fast for big photos
    image.thumbnail((size, size))
    if image.mode not in ("RGB", "RGBA", "L"):
        image = image.convert("RGB")
    buf = io.BytesIO()
    image.save(buf, "PNG")
    return buf.getvalue()


def render_pdf_page(data: bytes, index: int, *, long_side: int):
    """One page of a PDF as a Pillow image about ``long_side`` pixels on its long side."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(data)
    try:
        page = pdf[index]
        scale = long_side / max(page.get_size())
        return page.render(scale=scale).to_pil()
    finally:
        pdf.close()


def find(conn, table: str, record_id: str, text: str, *, include_voided: bool = False) -> dict:
    """The attachment of a record named by its SHA-256 (or its first 8+ characters) or its id."""
    text = (text or "").strip().lower()
    rows = list_for(conn, table, record_id, include_voided=include_voided)
    found = [r for r in rows if r["id"] == text or r["sha256"] == text]
    if not found and len(text) >= 8:
        found = [r for r in rows if r["sha256"].startswith(text) or r["id"].startswith(text)]
    if len(found) == 1:
        return found[0]
    if not found:
        raise NotFound(_("This record has no attachment {text}.").format(text=text))
    raise Refused(_("Several attachments of this record start with {text}: give more characters.").format(text=text))


# --- the photo a report shows for a record ------------------------------------------------------------
#
# The annual report's 附件：活动照片 and the publicity ledger's photo pages show one photo per event:
# the one chosen with :func:`choose_report_photo` (a setting ``reports.photo.<record id>`` at the
# place the report is made, audited like every setting), else the first live 现场照片 of the event
# in the order added. A voided or deleted choice falls back to the default.

PICTURES = (A.JPEG, A.PNG)


def report_photo_key(record_id: str) -> str:
    return f"reports.photo.{record_id}"


def report_photos(conn, table: str, record_ids: Iterable[str]) -> dict[str, dict]:
    """``{record id: attachment row}`` of the photo each record shows in the reports (records
    without one are left out)."""
    ids = list(dict.fromkeys(record_ids))
    out: dict[str, dict] = {}
    chosen = {
        k[len("reports.photo.") :]: site.get_setting(conn, k)
        for (k,) in conn.execute("SELECT key FROM settings WHERE key LIKE 'reports.photo.%'")
    }
    for i in range(0, len(ids), 500):
        part = ids[i : i + 500]
        rows = [
            dict(r)
            for r in conn.execute(
                f"SELECT * FROM attachments WHERE table_name = ? AND deleted = 0 AND mime IN (?, ?) AND record_id IN "
                f"({', '.join('?' * len(part))}) ORDER BY created_at, change_seq, id",
                [_table(table), *PICTURES, *part],
            )
        ]
        for row in rows:  # the default: the first 现场照片
            if row["record_id"] not in out and row["kind"] == A.AttachmentKind.PHOTO.value:
                out[row["record_id"]] = row
        for row in rows:  # a live choice beats it
            if chosen.get(row["record_id"]) == row["id"]:
                out[row["record_id"]] = row
    return out


def report_photo(conn, table: str, record_id: str) -> dict | None:
    return report_photos(conn, table, [record_id]).get(record_id)


def choose_report_photo(ctx: Context, attachment_id: str) -> dict:
    """Make the picture ``attachment_id`` the one its record shows in the reports."""
    ctx.require(Permission.WRITE)
    row = _require(ctx.conn, attachment_id)
    if row["mime"] not in PICTURES:
        raise Refused(
            _("Only a photo (JPEG or PNG) can be shown in the reports; {name} is a scan.").format(name=row["file_name"])
        )
    site.set_setting(ctx, report_photo_key(row["record_id"]), row["id"], permission=Permission.WRITE)
    return row


# --- writing -----------------------------------------------------------------------------------------


def _parent(conn, table: str, record_id: str) -> dict:
    row = conn.execute(f"SELECT id, village_code, deleted FROM {_table(table)} WHERE id = ?", (record_id,)).fetchone()
    if row is None or row["deleted"]:
        raise NotFound(_("Record not found: {id}").format(id=record_id))
    return dict(row)


def add_paths(
    ctx: Context, table: str, record_id: str, paths: Iterable, *, kind: str | None = None, caption: str = ""
) -> list[dict]:
    """:func:`add` with files read from disk (a file over the size limit is refused unread)."""
    ctx.require(Permission.WRITE)
    limit = max_bytes(ctx.conn)
    files = []
    for p in paths:
        path = Path(p)
        try:
            size = path.stat().st_size
            if size > limit:
                problem = A.file_problem(path.name, size, b"", max_bytes=limit)
                raise Refused(problem or _("{name} cannot be read: {reason}").format(name=path.name, reason=size))
            files.append((path.name, path.read_bytes()))
        except OSError as exc:
            raise Refused(
                _("{name} cannot be read: {reason}").format(name=path.name, reason=os_error_message(exc))
            ) from exc
    return add(ctx, table, record_id, files, kind=kind, caption=caption)


def add(
    ctx: Context,
    table: str,
    record_id: str,
    files: Iterable[tuple[str, bytes]],
    *,
    kind: str | None = None,
    caption: str = "",
) -> list[dict]:
    """Attach ``files`` to the record; all or nothing. Returns the new attachment rows."""
    ctx.require(Permission.WRITE)
    conn = ctx.conn
    caption = " ".join((caption or "").split())
    problems = [p for p in (A.caption_problem(caption), A.kind_problem(kind) if kind else None) if p]
    if problems:
        raise Refused(problems)
    _parent(conn, table, record_id)
    limit_bytes, limit_side = max_bytes(conn), max_side(conn)
    prepared = [prepare(name, data, limit_bytes=limit_bytes, limit_side=limit_side) for name, data in files]
    if not prepared:
        raise Refused(_("Choose at least one file to attach."))
    out = []
    with transaction(conn):
        parent = _parent(conn, table, record_id)
        taken = {r["sha256"] for r in list_for(conn, table, record_id)}
        for item in prepared:
            if item.sha256 in taken:
                raise Refused(
                    _("{name} is already attached to this record; nothing was attached.").format(name=item.file_name)
                )
            taken.add(item.sha256)
            out.append(_insert(ctx, table, parent, item, kind or A.default_kind(item.mime), caption))
    return out


def _insert(ctx: Context, table: str, parent: dict, item: Prepared, kind: str, caption: str) -> dict:
    conn = ctx.conn
    now = ctx.now_text()
    values = {
        "table_name": table,
        "record_id": parent["id"],
        "sha256": item.sha256,
        "kind": kind,
        "caption": caption,
        "file_name": item.file_name,
        "mime": item.mime,
        "size": item.size,
        "width": item.width,
        "height": item.height,
        "pages": item.pages,
    }
    row = {
        "id": new_id(),
        "village_code": parent["village_code"],
        "created_at": now,
        "updated_at": now,
        "created_by": ctx.user,
        "updated_by": ctx.user,
        "version": 1,
        "deleted": 0,
        **values,
    }
    changes = {k: [None, v] for k, v in values.items() if v not in (None, "")}
    if item.original:
        changes.update({f"original_{k}": [None, v] for k, v in item.original.items()})
        changes["processed"] = [None, ",".join(item.changed)]
    row["change_seq"] = audit.append(
        conn,
        at=now,
        user=ctx.user,
        action="attach",
        table_name=ATTACHMENTS,
        record_id=row["id"],
        village_code=row["village_code"],
        changes=changes,
    )
    blobs.put(conn, item.data, item.sha256)
    cols = list(row)
    conn.execute(
        f"INSERT INTO attachments ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})", [row[c] for c in cols]
    )
    audit.seal_rows(conn, row["change_seq"], ATTACHMENTS, [row["id"]])
    return row


def _require(conn, attachment_id: str, *, include_voided: bool = False) -> dict:
    row = get(conn, attachment_id)
    if row is None or (row["deleted"] and not include_voided):
        raise NotFound(_("This record has no attachment {text}.").format(text=attachment_id))
    return row


def _update(ctx: Context, before: dict, changes: dict, *, action: str, reason: str = "") -> dict:
    changed = {k: v for k, v in changes.items() if before.get(k) != v}
    if not changed:
        return before
    return records.write_changes(ctx, ATTACHMENTS, before, changed, action=action, reason=reason)


def update(
    ctx: Context,
    attachment_id: str,
    *,
    caption: str | None = None,
    kind: str | None = None,
    expected_version: int | None = None,
) -> dict:
    """Change an attachment's caption and/or kind."""
    ctx.require(Permission.WRITE)
    changes = {}
    if caption is not None:
        changes["caption"] = " ".join(caption.split())
    if kind is not None:
        changes["kind"] = kind
    problems = [
        p
        for p in (A.caption_problem(changes.get("caption", "")), A.kind_problem(kind) if kind is not None else None)
        if p
    ]
    if problems:
        raise Refused(problems)
    with transaction(ctx.conn):
        row = _require(ctx.conn, attachment_id)
        records.check_version(row, expected_version)
        return _update(ctx, row, changes, action="update_attachment")


def void(ctx: Context, attachment_id: str, reason: str = "") -> dict:
    """作废 an attachment: its row and its file stay (and travel in bundles), hidden everywhere."""
    if not ctx.can(Permission.DELETE):
        ctx.require(Permission.WRITE)
    reason = " ".join((reason or "").split())
    if not reason:
        raise Refused(_("Give the reason for voiding this attachment."))
    with transaction(ctx.conn):
        row = _require(ctx.conn, attachment_id)
        refusal = records.delete_refusal(ctx, ATTACHMENTS, row)
        if refusal:
            raise PermissionDenied(refusal)
        return _update(ctx, row, {"deleted": 1}, action="void_attachment", reason=reason)


def public_row(row: dict) -> dict:
    """What ``attachments --json`` prints of a row."""
    return {
        "id": row["id"],
        "sha256": row["sha256"],
        "kind": row["kind"],
        "caption": row["caption"],
        "file_name": row["file_name"],
        "mime": row["mime"],
        "size": row["size"],
        "width": row["width"],
        "height": row["height"],
        "pages": row["pages"],
        "created_at": row["created_at"],
        "created_by": row["created_by"],
        "voided": bool(row["deleted"]),
    }
