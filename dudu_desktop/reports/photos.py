"""Photos in the reports (issue 16): one photo per publicity event, captioned with its date and
place — the annual report's 附件：活动照片 and the pages after a publicity ledger.

Which photo: :func:`dudu_desktop.services.attachments.report_photos` (the one chosen in the
event's window with 用于报告, else the event's first 现场照片). Events without a photo are left out.
Pictures are brought down to :data:`PRINT_SIDE` pixels on the long side (about 230 dpi across the
156 mm 版心) so that a year of photos keeps the PDF small.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Image, KeepTogether, Spacer, Table, TableStyle

from dudu_desktop.reports.data import chinese_date
from dudu_desktop.reports.fonts import HEI, KAI, XBS
from dudu_desktop.reports.layout import DOC_BODY_SIZE, DOC_FRAME, DOC_LEADING, DOC_TITLE_SIZE, LEDGER_FRAME_WIDTH, para
from dudu_desktop.services import attachments

PRINT_SIDE = 1400
#: the box a photo is fitted into on the 附件 pages (two photos and captions to a page)
BOX = (DOC_FRAME[0], 88 * mm)
APPENDIX_TITLE = "活动照片"


@dataclass
class Photo:
    caption: str
    data: bytes  # JPEG
    width: int
    height: int


def caption_of(event: dict) -> str:
    """``2024年5月1日　都督场镇　民法典进农家（赶集日咨询台）``: the date and the place first."""
    place = (event.get("location") or "").strip()
    what = (event.get("theme") or "").strip() + (f"（{event['form']}）" if event.get("form") else "")
    return "　".join(p for p in (chinese_date(event["held_on"]), place, what) if p)


def _print_copy(data: bytes) -> tuple[bytes, int, int]:
    from PIL import Image as PILImage

    image = PILImage.open(io.BytesIO(data))
    if image.format == "JPEG":
        image.draft("RGB", (PRINT_SIDE, PRINT_SIDE))
    image.thumbnail((PRINT_SIDE, PRINT_SIDE))
    if image.mode != "RGB":
        image = image.convert("RGB")
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=85)
    return buf.getvalue(), image.size[0], image.size[1]


def event_photos(conn, start: str, end: str, village: str | None = None) -> list[Photo]:
    """The photo of each live publicity event held from ``start`` to ``end`` (YYYY-MM-DD,
    inclusive), of one village or all, in date order."""
    sql = (
        "SELECT id, held_on, theme, form, location FROM publicity_events WHERE deleted = 0 AND held_on BETWEEN ? AND ?"
    )
    args: list = [start, end]
    if village:
        sql += " AND village_code = ?"
        args.append(village)
    events = [dict(r) for r in conn.execute(sql + " ORDER BY held_on, id", args)]
    chosen = attachments.report_photos(conn, "publicity_events", [e["id"] for e in events])
    out = []
    for event in events:
        row = chosen.get(event["id"])
        if row is None:
            continue
        data, w, h = _print_copy(attachments.content(conn, row["sha256"]))
        out.append(Photo(caption_of(event), data, w, h))
    return out


def _figure(photo: Photo, box: tuple[float, float]) -> Flowable:
    scale = min(box[0] / photo.width, box[1] / photo.height)
    image = Image(io.BytesIO(photo.data), width=photo.width * scale, height=photo.height * scale)
    image.hAlign = "CENTER"
    return KeepTogether(
        [
            image,
            Spacer(0, 2 * mm),
            para(photo.caption, font=KAI, size=14, leading=DOC_LEADING * 0.8, align="center"),
            Spacer(0, DOC_LEADING * 0.5),
        ]
    )


def appendix(photos: list[Photo], title: str = APPENDIX_TITLE) -> list[Flowable]:
    """The 附件 of an official document (GB/T 9704 7.4): "附件" in 三号黑体 at the top left,
    the title in 二号小标宋 centred, a blank line, then each photo with its caption."""
    story: list[Flowable] = [
        para("附件", font=HEI, size=DOC_BODY_SIZE, leading=DOC_LEADING),
        para(title, font=XBS, size=DOC_TITLE_SIZE, leading=DOC_LEADING, align="center"),
        Spacer(0, DOC_LEADING / 2),
    ]
    story += [_figure(p, BOX) for p in photos]
    return story


def grid(photos: list[Photo], title: str, *, width: float | None = None, columns: int = 2) -> list[Flowable]:
    """Photos two to a row under ``title`` (the pages after a landscape ledger); nothing when
    there are no photos."""
    if not photos:
        return []
    width = width or LEDGER_FRAME_WIDTH
    cell = width / columns
    box = (cell - 8 * mm, 66 * mm)
    cells = []
    for p in photos:
        scale = min(box[0] / p.width, box[1] / p.height)
        image = Image(io.BytesIO(p.data), width=p.width * scale, height=p.height * scale)
        cells.append([image, Spacer(0, 2 * mm), para(p.caption, font=KAI, size=11, leading=15, align="center")])
    rows = [
        cells[i : i + columns] + [""] * (columns - len(cells[i : i + columns])) for i in range(0, len(cells), columns)
    ]
    table = Table(rows, colWidths=[cell] * columns)
    table.setStyle(
        TableStyle(
            [
                ("ALIGN", (0, 0), (-1, -1), "CENTER"),
                ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 4 * mm),
            ]
        )
    )
    return [para(title, font=HEI, size=16, leading=24, align="center"), Spacer(0, 3 * mm), table]
