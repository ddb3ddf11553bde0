"""Attachments (附件) of a record: the kinds of paper a cadre keeps beside the ledger, the limits on
what may be attached, and the pure checks of a file's name and first bytes (issue 16).

Nothing here decodes a picture or a PDF (that is :mod:`dudu_desktop.services.attachments`, with
Pillow and pypdfium2); these rules only say, from the name, the size and the file's signature
("magic" bytes), whether the file can be what its name says and whether the program takes it.
"""

from __future__ import annotations

import re
from enum import StrEnum

from dudu_desktop.domain.problems import Problem
from dudu_desktop.i18n import _


class AttachmentKind(StrEnum):
    AGREEMENT = "签字协议书"
    SIGN_IN = "签到表"
    PHOTO = "现场照片"
    APPLICATION = "申请书"
    MEDIATION_RECORD = "调解笔录"
    FOLLOWUP = "回访记录"
    OTHER = "其他"


ATTACHMENT_KINDS = tuple(k.value for k in AttachmentKind)

#: Defaults of the settings ``attachments.max_mb``, ``attachments.max_side`` and (at a village)
#: ``sync.max_bundle_mb``.
DEFAULT_MAX_MB = 30
DEFAULT_MAX_SIDE = 2560
DEFAULT_MAX_BUNDLE_MB = 200
#: A picture with more pixels than this is refused before it is decoded (a "decompression bomb").
MAX_PIXELS = 120_000_000
MAX_CAPTION = 200
MAX_FILE_NAME = 200

JPEG, PNG, PDF = "image/jpeg", "image/png", "application/pdf"
#: file name extension → the format it promises
EXTENSIONS = {".jpg": JPEG, ".jpeg": JPEG, ".jpe": JPEG, ".png": PNG, ".pdf": PDF}
FORMAT_NAMES = {JPEG: "JPEG", PNG: "PNG", PDF: "PDF"}
#: Formats phones and cameras produce that the program does not take, by extension.
UNSUPPORTED = {
    ".heic": "HEIC",
    ".heif": "HEIF",
    ".avif": "AVIF",
    ".webp": "WebP",
    ".gif": "GIF",
    ".bmp": "BMP",
    ".tif": "TIFF",
    ".tiff": "TIFF",
    ".doc": "Word",
    ".docx": "Word",
    ".xls": "Excel",
    ".xlsx": "Excel",
    ".mp4": "视频",
    ".mov": "视频",
}
_HEIF_BRANDS = (b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1", b"avif", b"avis")
SHA256_RE = re.compile(r"^[0-9a-f]{64}$")


def extension(name: str) -> str:
    dot = name.rfind(".")
    return name[dot:].lower() if dot > 0 else ""


def sniff(head: bytes) -> str | None:
    """The format a file's first bytes show: a MIME type of :data:`EXTENSIONS`, ``"heif"`` for
    HEIC/HEIF/AVIF, or None."""
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head[:1024].lstrip(b"\x00\t\r\n ").startswith(b"%PDF-"):
        return PDF
    if head[4:8] == b"ftyp" and (head[8:12] in _HEIF_BRANDS or any(b in head[16:64] for b in _HEIF_BRANDS)):
        return "heif"
    return None


def heic_advice() -> str:
    return _(
        "HEIC photos (the iPhone's default) are not supported. On the phone choose Settings → Camera → "
        "Formats → “Most Compatible” (JPEG), or export the photo from the album as JPG, then attach it again."
    )


def file_problem(name: str, size: int, head: bytes, *, max_bytes: int) -> Problem | None:
    """Why the file ``name`` (``size`` bytes, starting with ``head``) cannot be attached, or None."""
    ext = extension(name)
    found = sniff(head)
    if found == "heif" or ext in (".heic", ".heif"):
        return Problem("file", _("{name}: {advice}").format(name=name, advice=heic_advice()))
    if size > max_bytes:
        return Problem(
            "file",
            _(
                "{name} is too large ({size} MB); the limit is {limit} MB. Scan with a lower "
                "resolution or split the document."
            ).format(name=name, size=f"{size / 1048576:.1f}", limit=f"{max_bytes / 1048576:g}"),
        )
    if size == 0:
        return Problem("file", _("{name} is empty.").format(name=name))
    wanted = EXTENSIONS.get(ext)
    if wanted is None:
        what = UNSUPPORTED.get(ext) or ext or _("without an extension")
        return Problem(
            "file",
            _(
                "{name}: files of this kind ({kind}) cannot be attached. Attach photos as JPEG or PNG and scans as PDF."
            ).format(name=name, kind=what),
        )
    if found != wanted:
        return Problem(
            "file",
            _(
                "{name} is not a {format} file as its name says (it is damaged or was renamed); nothing was attached."
            ).format(name=name, format=FORMAT_NAMES[wanted]),
        )
    return None


def caption_problem(caption: str) -> Problem | None:
    if len(caption) > MAX_CAPTION:
        return Problem("caption", _("The caption is too long (at most {n} characters).").format(n=MAX_CAPTION))
    return None


def kind_problem(kind: str) -> Problem | None:
    if kind not in ATTACHMENT_KINDS:
        return Problem(
            "kind",
            _("Unknown kind of attachment: {kind} (one of {kinds}).").format(
                kind=kind, kinds="、".join(ATTACHMENT_KINDS)
            ),
        )
    return None


def default_kind(mime: str) -> str:
    return AttachmentKind.PHOTO.value if mime in (JPEG, PNG) else AttachmentKind.OTHER.value


def scaled_size(width: int, height: int, max_side: int) -> tuple[int, int]:
    """The size a picture is brought down to so that its long side is at most ``max_side``."""
    long_side = max(width, height)
    if long_side <= max_side:
        return width, height
    factor = max_side / long_side
    return max(1, round(width * factor)), max(1, round(height * factor))
