"""The dossier (卷宗, 一案一卷) of a dispute (issue 16): one PDF with

1. 卷宗封面 — 案号, 案由/纠纷类型, 当事人, 调解员, 受理日期, 结案日期, 调解结果, 立卷人, 立卷日期, 保管期限;
2. 卷内目录 — every part below with the page it starts on (页号 as "a–b");
3. 人民调解登记表 — the case as registered, with its parties;
4. 调解记录 — the case's history from the audit trail (registered, mediation started, concluded…);
5. 人民调解协议书 — :mod:`dudu_desktop.reports.agreement`'s pages, when the case has one;
6. 回访记录 — the follow-up visits;
7. every live attachment (附件) in the order added: a picture fitted to an A4 page under its
   kind and caption; a PDF scan page by page as it is.

Every page carries "第 X 页" at its foot (one numbering for the whole dossier, the cover is 第 1 页).
The parts are laid out separately (reportlab), counted, assembled with pypdfium2
(``PdfDocument.import_pages``: reportlab cannot import PDF pages) and the page numbers are laid
over each page as a form XObject, so a scan keeps its own content untouched underneath.

Personal data is masked as in the ledgers and the agreement unless ``unmasked`` (the permission
PRINT_UNMASKED; audited).
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import SimpleDocTemplate, Spacer, Table, TableStyle

from dudu_desktop.domain.masking import mask_name, mask_names_in
from dudu_desktop.domain.problems import Refused
from dudu_desktop.reports import agreement
from dudu_desktop.reports.data import audit_unmasked, chinese_date, require_unmasked, unit_names
from dudu_desktop.reports.fonts import FANG, HEI, SONG, register_fonts
from dudu_desktop.reports.layout import FORM_FRAME_WIDTH, FORM_MARGINS, kv_table, para
from dudu_desktop.services import attachments, audit, disputes
from dudu_desktop.services.context import Context

PAGE = A4
DEFAULT_RETENTION = "长期"
ACTIONS = {
    "create_dispute": "登记受理",
    "update_dispute": "修改登记内容",
    "start_mediation": "开始调解",
    "conclude": "调解结案",
    "close_out": "销号",
    "reopen": "重新调处",
    "change_level": "调整预警等级",
    "record_followup": "回访",
    "delete": "作废",
    "restore": "恢复",
    "print_unmasked": "打印（未遮蔽）",
}


@dataclass
class Part:
    title: str
    pdf: bytes
    pages: int = 0
    first: int = 0  # page number in the dossier


def _pages(data: bytes) -> int:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(data)
    try:
        return len(pdf)
    finally:
        pdf.close()


def _flow_pdf(title: str, blocks: list) -> bytes:
    """A portrait A4 part: its title (宋体, bold, centred), then the blocks."""
    register_fonts()
    buf = io.BytesIO()
    left, right, top, bottom = FORM_MARGINS
    doc = SimpleDocTemplate(
        buf,
        pagesize=PAGE,
        leftMargin=left,
        rightMargin=right,
        topMargin=top,
        bottomMargin=bottom + 6 * mm,
        title=title,
        author="都督乡法治工作台账",
        creator="Dudu Desktop",
        invariant=1,
        initialFontName=FANG,
    )
    heading = para(title, font=SONG, size=20, leading=30, align="center", bold=True)
    doc.build([heading, Spacer(0, 5 * mm), *blocks])
    return buf.getvalue()


def _grid(header: list[str], rows: list[list[str]], widths: list[float]) -> Table:
    data = [[para(h, font=HEI, size=11, align="center") for h in header]]
    data += [[para(str(c), font=FANG, size=11) for c in row] for row in rows]
    table = Table(data, colWidths=widths, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), FANG),
                ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#E6E6E6")),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ]
        )
    )
    return table


def _masker(row: dict, unmasked: bool):
    names = [p["name"] for p in row["parties"]]
    return (lambda v: v or "") if unmasked else (lambda v: mask_names_in(v or "", names))


def _party_names(row: dict, unmasked: bool) -> str:
    return "、".join(p["name"] if unmasked else mask_name(p["name"]) for p in row["parties"])


def _register_part(row: dict, unmasked: bool) -> Part:
    text = _masker(row, unmasked)
    rows = [
        ("编号", row["serial_no"], "登记日期", chinese_date(row["registered_on"])),
        ("纠纷类型", row["dispute_type"], "纠纷来源", row["source"]),
        ("调解方式", row["method"], "调解员", row["mediator"]),
        ("预警等级", row["level"], "办理状态", row["status"]),
        ("纠纷简要情况", text(row["summary"])),
    ]
    blocks = [
        kv_table(rows, width=FORM_FRAME_WIDTH),
        Spacer(0, 5 * mm),
        para("当事人", font=HEI, size=13),
        Spacer(0, 2 * mm),
    ]
    parties = [
        [
            p["role"],
            p["name"] if unmasked else mask_name(p["name"]),
            p.get("gender") or "",
            str(p.get("age") or ""),
            (p.get("address") or "") if unmasked else ("****" if p.get("address") else ""),
        ]
        for p in row["parties"]
    ]
    w = FORM_FRAME_WIDTH
    blocks.append(
        _grid(
            ["身份", "姓名", "性别", "年龄", "住址"],
            parties or [["", "", "", "", ""]],
            [w * 0.15, w * 0.2, w * 0.1, w * 0.1, w * 0.45],
        )
    )
    return Part("人民调解登记表", _flow_pdf("人民调解登记表", blocks))


def _history_part(ctx: Context, row: dict, unmasked: bool) -> Part:
    text = _masker(row, unmasked)
    entries = sorted(audit.entries(ctx.conn, record_id=row["id"], limit=10_000), key=lambda e: e["seq"])
    lines = []
    for e in entries:
        changes = e["changes"] if isinstance(e["changes"], dict) else {}
        said = []
        if "status" in changes and isinstance(changes["status"], list):
            said.append(f"{changes['status'][0] or ''}→{changes['status'][1]}")
        if "result" in changes and isinstance(changes["result"], list) and changes["result"][1]:
            said.append(f"调解结果：{changes['result'][1]}")
        if e["reason"]:
            said.append(f"原因：{text(e['reason'])}")
        lines.append([e["at"][:16], ACTIONS.get(e["action"], e["action"]), e["user"], "；".join(said)])
    w = FORM_FRAME_WIDTH
    blocks = [
        _grid(["时间", "事项", "经办人", "情况"], lines or [["", "", "", ""]], [w * 0.24, w * 0.18, w * 0.16, w * 0.42])
    ]
    return Part("调解记录", _flow_pdf("调解记录", blocks))


def _followup_part(row: dict, unmasked: bool) -> Part:
    text = _masker(row, unmasked)
    w = FORM_FRAME_WIDTH
    rows = [
        [chinese_date(f["visited_on"]), f["visitor"], f["performance"], f["satisfaction"], text(f["notes"])]
        for f in row["followups"]
    ]
    blocks = [
        _grid(
            ["回访日期", "回访人", "履行情况", "满意度", "备注"],
            rows,
            [w * 0.2, w * 0.15, w * 0.15, w * 0.15, w * 0.35],
        )
        if rows
        else para("本案无回访记录。", size=12)
    ]
    return Part("回访记录", _flow_pdf("回访记录", blocks))


def _agreement_part(ctx: Context, dispute_id: str, unmasked: bool) -> Part | None:
    try:
        content = agreement.agreement_data(ctx, dispute_id, unmasked=unmasked)
    except Refused:
        return None  # no agreement for this case (failed, withdrawn, in progress)
    buf = io.BytesIO()
    agreement.render_agreement_pdf(buf, content)
    return Part("人民调解协议书", buf.getvalue())


def _attachment_title(n: int, att: dict) -> str:
    return f"附件{n}：{att['kind']}" + (f"（{att['caption']}）" if att["caption"] else "")


def _picture_pdf(title: str, data: bytes, att: dict) -> bytes:
    """One A4 page: the title at the top, the picture fitted below (turned to landscape when wide)."""
    register_fonts()
    wide = (att.get("width") or 1) > (att.get("height") or 1)
    size = (PAGE[1], PAGE[0]) if wide else PAGE
    buf = io.BytesIO()
    c = Canvas(buf, pagesize=size, invariant=1, initialFontName=FANG)
    c.setTitle(title)
    margin = 15 * mm
    c.setFont(HEI, 13)
    c.drawString(margin, size[1] - margin - 4 * mm, title)
    c.setFont(FANG, 9)
    c.drawRightString(size[0] - margin, size[1] - margin - 4 * mm, att["file_name"])
    box_w, box_h = size[0] - 2 * margin, size[1] - 2 * margin - 12 * mm - 8 * mm
    image = ImageReader(io.BytesIO(data))
    iw, ih = image.getSize()
    scale = min(box_w / iw, box_h / ih)
    w, h = iw * scale, ih * scale
    c.drawImage(image, margin + (box_w - w) / 2, margin + 8 * mm + (box_h - h) / 2, w, h)
    c.showPage()
    c.save()
    return buf.getvalue()


def _attachment_parts(conn, dispute_id: str) -> list[Part]:
    parts = []
    for n, att in enumerate(attachments.list_for(conn, "disputes", dispute_id), start=1):
        data = attachments.content(conn, att["sha256"])
        title = _attachment_title(n, att)
        pdf = data if att["mime"] == "application/pdf" else _picture_pdf(title, data, att)
        parts.append(Part(title, pdf))
    return parts


def _cover_pdf(fields: list[tuple[str, str]]) -> bytes:
    register_fonts()
    blocks = [Spacer(0, 20 * mm), kv_table(fields, width=FORM_FRAME_WIDTH, label_width=34 * mm, font_size=13)]
    return _flow_pdf("人民调解卷宗", blocks)


def _toc_pdf(parts: list[Part]) -> bytes:
    w = FORM_FRAME_WIDTH
    rows = [
        [str(i), p.title, str(p.first) if p.pages == 1 else f"{p.first}–{p.first + p.pages - 1}", ""]
        for i, p in enumerate(parts, start=1)
    ]
    return _flow_pdf(
        "卷内目录", [_grid(["序号", "文件材料名称", "页号", "备注"], rows, [w * 0.1, w * 0.6, w * 0.17, w * 0.13])]
    )


def _footers(sizes: list[tuple[float, float]]) -> bytes:
    register_fonts()
    buf = io.BytesIO()
    c = Canvas(buf, invariant=1, initialFontName=FANG)
    for number, (w, h) in enumerate(sizes, start=1):
        c.setPageSize((w, h))
        c.setFont(FANG, 10.5)
        c.drawCentredString(w / 2, 8 * mm, f"第 {number} 页")
        c.showPage()
    c.save()
    return buf.getvalue()


@dataclass
class Dossier:
    pdf: bytes
    pages: int
    contents: list[tuple[str, int, int]]  # (title, first page, page count), the 目录 as printed


def build_dossier(
    ctx: Context,
    dispute_id: str,
    *,
    unmasked: bool = False,
    retention: str = DEFAULT_RETENTION,
    filed_by: str | None = None,
) -> Dossier:
    import pypdfium2 as pdfium

    if unmasked:
        require_unmasked(ctx)
    row = disputes.get_dispute(ctx.conn, dispute_id)
    unit = unit_names(ctx.conn).get(row["village_code"], row["village_code"])
    parts = [_register_part(row, unmasked), _history_part(ctx, row, unmasked)]
    signed = _agreement_part(ctx, dispute_id, unmasked)
    if signed:
        parts.append(signed)
    parts.append(_followup_part(row, unmasked))
    parts += _attachment_parts(ctx.conn, dispute_id)
    for p in parts:
        p.pages = _pages(p.pdf)
    cover = _cover_pdf(
        [
            ("案号", agreement.agreement_number(row["serial_no"], row["registered_on"], unit)),
            ("案由/纠纷类型", row["dispute_type"]),
            ("当事人", _party_names(row, unmasked)),
            ("调解员", row["mediator"]),
            ("受理日期", chinese_date(row["registered_on"])),
            ("结案日期", chinese_date(row["concluded_on"])),
            ("调解结果", row["result"]),
            ("立卷人", filed_by or ctx.user),
            ("立卷日期", chinese_date(ctx.today().isoformat())),
            ("保管期限", retention),
        ]
    )
    toc_pages = 1
    while True:  # the 目录's own length moves the pages after it
        first = 1 + _pages(cover) + toc_pages
        for p in parts:
            p.first, first = first, first + p.pages
        toc = _toc_pdf(parts)
        if _pages(toc) == toc_pages:
            break
        toc_pages = _pages(toc)
    out = pdfium.PdfDocument.new()
    sources = []
    try:
        for data in [cover, toc, *(p.pdf for p in parts)]:
            src = pdfium.PdfDocument(data)
            sources.append(src)
            out.import_pages(src)
        sizes = [out[i].get_size() for i in range(len(out))]
        numbers = pdfium.PdfDocument(_footers(sizes))
        sources.append(numbers)
        for i in range(len(out)):
            page = out[i]
            page.insert_obj(numbers.page_as_xobject(i, out).as_pageobject())
            page.gen_content()
        buf = io.BytesIO()
        out.save(buf)
        total = len(out)
    finally:
        out.close()
        for src in sources:
            src.close()
    if unmasked:
        audit_unmasked(
            ctx,
            document="人民调解卷宗 " + (row["serial_no"] or ""),
            table_name="disputes",
            record_id=dispute_id,
            village=row["village_code"],
        )
    return Dossier(buf.getvalue(), total, [(p.title, p.first, p.pages) for p in parts])


def write_dossier(ctx: Context, path, dispute_id: str, **kwargs) -> int:
    from dudu_desktop.reports import export

    dossier = build_dossier(ctx, dispute_id, **kwargs)
    export.write_bytes(path, dossier.pdf)
    return dossier.pages
