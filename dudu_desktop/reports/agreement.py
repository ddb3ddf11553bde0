"""人民调解协议书 for one dispute (人民调解法 第29条), laid out like the Ministry of Justice form: 编号,
each party's 姓名、性别、民族、年龄、职业或职务、联系方式、单位或住址 (and 身份证号), the main
facts and the matters in dispute, the agreed terms, the manner and time limit and the place of
performance, the amount in figures and in capitals, the copies, the signature lines and the
committee's seal.

Which disputes have one: an agreement exists only for a case concluded 调解成功. For a case
still 待调处/调处中 a *draft* can be printed (``draft=True``, marked 草稿 on every page) so that
the mediator can prepare the paper before the parties sign; 调解不成 and 撤回 are refused.

Personal data, as in the ledgers (issue 11): the parties' names, phones, ID numbers and
addresses are masked (``张**``, ``180****1999``, ``都督村****``), also where the names occur in
the facts and terms, unless ``unmasked=True``, which needs :data:`Permission.PRINT_UNMASKED`
(管理员, 乡镇审核员; else :class:`Refused`) and writes an audit entry ``print_unmasked`` naming
the document, the dispute and the user. The copy the parties sign (当事人的基本情况 in full)
is therefore printed by a role allowed to, and every such copy is on record.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import partial

from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, KeepTogether, Paragraph, Spacer, Table

from dudu_desktop.domain.masking import mask_names_in, mask_party
from dudu_desktop.domain.money import amount_in_capitals
from dudu_desktop.domain.problems import Refused
from dudu_desktop.domain.vocab import DisputeResult, DisputeStatus
from dudu_desktop.i18n import format_money
from dudu_desktop.reports import layout
from dudu_desktop.reports.data import audit_unmasked, chinese_date, require_unmasked, unit_names
from dudu_desktop.reports.fonts import FANG, HEI, SONG, register_fonts, runs
from dudu_desktop.reports.lang import _
from dudu_desktop.reports.layout import FORM_FRAME_WIDTH, Out, kv_table, para, signature_lines
from dudu_desktop.services import disputes
from dudu_desktop.services.context import Context

CN_COUNTS = "零一二三四五六七八九十"
_UNIT_SUFFIX = re.compile(r"(社区居民委员会|村民委员会|居委会|社区|村|乡|镇|街道)$")


@dataclass
class Agreement:
    number: str
    committee: str
    parties: list[dict]
    facts: str
    terms: str
    amount_cents: int | None
    performance: str
    copies: int
    date: str
    mediator: str
    draft: bool = False
    unmasked: bool = False
    place: str = ""  # 履行地点
    extra: dict = field(default_factory=dict)


def short_unit_name(name: str) -> str:
    """都督村 → 都督 (for 编号 such as （2024）都督调字第001号)."""
    return _UNIT_SUFFIX.sub("", name) or name


def agreement_number(serial_no: str, registered_on: str, unit: str) -> str:
    """``2024-001`` at 都督村 → ``（2024）都督调字第001号``."""
    m = re.fullmatch(r"(\d{4})-(\d+)", serial_no or "")
    year, seq = (m.group(1), m.group(2)) if m else (registered_on[:4], serial_no or "")
    return f"（{year}）{short_unit_name(unit)}调字第{seq}号"


def copies_text(n: int) -> str:
    return CN_COUNTS[n] if 0 <= n <= 10 else str(n)


def agreement_data(ctx: Context, dispute_id: str, *, draft: bool = False, unmasked: bool = False) -> Agreement:
    """The agreement's content, or :class:`Refused` when the case has no agreement."""
    row = disputes.get_dispute(ctx.conn, dispute_id)
    success = (
        row["status"] in (DisputeStatus.CONCLUDED, DisputeStatus.CLOSED_OUT) and row["result"] == DisputeResult.SUCCESS
    )
    if not success:
        if row["status"] in (DisputeStatus.PENDING, DisputeStatus.MEDIATING):
            if not draft:
                raise Refused(_("This case is still being mediated: only a draft agreement can be printed."))
        else:
            raise Refused(
                _("This case was concluded as {result}: there is no mediation agreement to print.").format(
                    result=row["result"] or row["status"]
                )
            )
    if success and not (row["agreement_terms"] or "").strip():  # never a 协议书 with blank terms (issue 12)
        raise Refused(
            _(
                "This case was concluded as 调解成功 without the content of the agreement: reopen it and "
                "record its result again with the terms before printing the agreement."
            )
        )
    if unmasked:
        require_unmasked(ctx)
    unit = unit_names(ctx.conn).get(row["village_code"], row["village_code"])
    names = [p["name"] for p in row["parties"]]
    text = (lambda v: v or "") if unmasked else (lambda v: mask_names_in(v, names))
    parties = [dict(p) if unmasked else mask_party(p) for p in row["parties"]]
    result = Agreement(
        number=agreement_number(row["serial_no"], row["registered_on"], unit),
        committee=_("{unit} People's Mediation Committee").format(unit=unit),
        parties=parties,
        facts=text(row["summary"]),
        terms=text(row["agreement_terms"]),
        amount_cents=row["amount_cents"],
        performance=text(row["performance_terms"]),
        copies=len(parties) + 1,
        date=chinese_date(row["concluded_on"]) if success and row["concluded_on"] else "",
        mediator=row["mediator"],
        draft=not success,
        unmasked=unmasked,
        place=text(row.get("place_of_performance")),
    )
    if unmasked:
        audit_unmasked(
            ctx,
            document=_("People's mediation agreement") + " " + result.number,
            table_name="disputes",
            record_id=dispute_id,
            village=row["village_code"],
        )
    return result


def _party_table(p: dict, width: float) -> Table:
    """One party in a boxed grid, in the order of the Ministry of Justice form: 申请人 姓名 | 性别 |
    民族 | 年龄 / 职业或职务 | 联系方式 / 单位或住址 / 身份证号. The occupation is not personal
    identification data: printed as typed, masked or not."""
    small = [14 * mm, 12 * mm, 14 * mm, 18 * mm, 14 * mm, 12 * mm]  # 性别 男 民族 土家族 年龄 45
    widths = [24 * mm, width - 24 * mm - sum(small), *small]  # 职业或职务 on one line
    rows = [
        (
            p.get("role") or _("Party"),
            p["name"],
            _("Gender"),
            p["gender"],
            _("Ethnicity"),
            p["ethnicity"],
            _("Age"),
            "" if p["age"] is None else str(p["age"]),
        ),
        (_("Occupation or post"), p.get("occupation") or "", _("Contact"), p["phone"]),
        (_("Work unit or address"), p["address"]),
        (_("ID number"), p["id_number"]),
    ]
    return kv_table(rows, widths, font_size=11)


def _boxed_section(label: str, text: str, width: float) -> Flowable:
    """A labelled box; an empty one keeps four blank lines to write in by hand. A long one goes
    on over the page break at any line (:class:`_SplittingBox`)."""
    return _SplittingBox(label, para(text.strip() or "\n" * 4, font=FANG, size=12), width)


class _SplittingBox(Flowable):
    """label | text in a box drawn like :func:`layout.kv_table`'s (黑体 label centred in a
    35 mm cell, 仿宋 text, the same paddings and rules), which splits across pages at any line
    of its text: page 1 is filled to its bottom margin instead of leaving the rest of it blank
    before the box (issue 13). Each page's part is a whole box (its rules closed); the label
    stands at the top of the first part, and the part on the next page says （续） under it."""

    LABEL_WIDTH = 35 * mm
    HPAD, TOP_PAD, BOTTOM_PAD = 6, 4, 5

    def __init__(self, label: str, body: Paragraph, width: float, *, continued: bool = False, split: bool = False):
        super().__init__()
        self._label, self._body, self._width = label, body, width
        self._continued = continued
        heading = label + "\n" + _("(continued)") if continued else label  # （续） on a line of its own
        self._heading = para(heading, font=HEI, size=12, align="center")
        self._table = self._make(split or continued)

    def _make(self, top: bool) -> Table:
        commands = [
            ("VALIGN", (0, 0), (-1, -1), "TOP" if top else "MIDDLE"),
            ("LEFTPADDING", (0, 0), (-1, -1), self.HPAD),
            ("RIGHTPADDING", (0, 0), (-1, -1), self.HPAD),
            ("TOPPADDING", (0, 0), (-1, -1), self.TOP_PAD),
            ("BOTTOMPADDING", (0, 0), (-1, -1), self.BOTTOM_PAD),
            *layout._rules([0], 0, 0.5, 1.0),
        ]
        return layout._table(
            [[self._heading, self._body]], [self.LABEL_WIDTH, self._width - self.LABEL_WIDTH], commands
        )

    def wrap(self, availWidth, availHeight):
        self.width, self.height = self._table.wrap(availWidth, availHeight)
        return self.width, self.height

    def draw(self):
        self._table.drawOn(self.canv, 0, 0)

    def split(self, availWidth, availHeight):
        room = availHeight - self.TOP_PAD - self.BOTTOM_PAD - 1  # inside the paddings and the rule
        label_height = self._heading.wrap(self.LABEL_WIDTH - 2 * self.HPAD, room)[1]
        if label_height > room:
            return []
        text_width = self._width - self.LABEL_WIDTH - 2 * self.HPAD
        self._body.wrap(text_width, room)
        parts = self._body.split(text_width, room)
        if len(parts) != 2:
            return []
        first = _SplittingBox(self._label, parts[0], self._width, continued=self._continued, split=True)
        return [first, _SplittingBox(self._label, parts[1], self._width, continued=True)]


def _performance_section(ag: Agreement, width: float) -> Table:
    """履行方式、时限 and, under it in the same box, 履行地点 (blank lines to write in when empty)."""
    return kv_table(
        [
            (_("Manner and time limit of performance"), ag.performance.strip() or "\n" * 4),
            (_("Place of performance"), ag.place.strip() or "\n"),
        ],
        [35 * mm, width - 35 * mm],
        font_size=12,
    )


def _watermark(canvas: Canvas, doc) -> None:
    canvas.saveState()
    canvas.setFont(HEI, 110)
    canvas.setFillColor(colors.Color(0.6, 0.6, 0.6, alpha=0.25))
    canvas.translate(doc.pagesize[0] / 2, doc.pagesize[1] / 2)
    canvas.rotate(35)
    canvas.drawCentredString(0, -40, _("DRAFT"))
    canvas.restoreState()


def render_agreement_pdf(out: Out, ag: Agreement) -> int:
    register_fonts()
    width = FORM_FRAME_WIDTH
    blocks = [para(_("No. {number}").format(number=ag.number), font=FANG, size=12, align="right"), Spacer(0, 3 * mm)]
    for p in ag.parties:
        blocks += [_party_table(p, width), Spacer(0, 2 * mm)]
    terms = ag.terms.strip()
    if ag.amount_cents:
        terms += ("\n" if terms else "") + _("Amount involved: {figures} ({capitals})").format(
            figures=format_money(ag.amount_cents, "zh_CN"), capitals=amount_in_capitals(ag.amount_cents)
        )
    blocks += [
        Spacer(0, 2 * mm),
        _boxed_section(_("Main facts of the dispute and matters in dispute"), ag.facts, width),
        _boxed_section(_("Having been mediated, the parties voluntarily agree as follows"), terms, width),
        _performance_section(ag, width),
        Spacer(0, 4 * mm),
    ]
    signers = [(_("Party ({role}) signature").format(role=p.get("role") or ""), "") for p in ag.parties]
    signers += [(_("People's mediator signature"), ""), (_("Recorder signature"), "")]
    # the closing clauses, the signatures and the seal stay together on the last page: never
    # a page of signatures alone, never signatures split from the seal
    closing = [
        para(
            _(
                "This agreement is made in {copies} copies; each party and the people's mediation committee "
                "keep one copy each."
            ).format(copies=copies_text(ag.copies)),
            size=12,
            indent_chars=2,
        ),
        para(
            _(
                "This agreement takes effect on the day the parties sign it (or seal it or press their "
                "fingerprints), the people's mediator signs it and the people's mediation committee seals it."
            ),
            size=12,
            indent_chars=2,
        ),
        Spacer(0, 6 * mm),
        signature_lines(signers, width=width, per_row=2, font_size=12),
        Spacer(0, 10 * mm),
        _seal_block(ag, width),
    ]
    blocks.append(KeepTogether(closing))
    title = _("People's mediation agreement")
    if not ag.draft:
        return layout.build_form(out, title=title, blocks=blocks, on_page=partial(_running_number, ag.number))
    return _build_draft(out, title, blocks, ag.number)


def _running_number(number: str, canvas: Canvas, doc) -> None:
    """Pages after the first repeat the agreement's 编号 at the head, so that a loose page is
    known for what it belongs to."""
    if canvas.getPageNumber() < 2:
        return
    text = _("No. {number}").format(number=number)
    size = 10.5
    pieces = runs(text, FANG)  # a rare character of the unit's name in a font that has it
    x = doc.pagesize[0] - doc.rightMargin - sum(stringWidth(piece, font, size) for font, piece in pieces)
    y = doc.pagesize[1] - doc.topMargin + 5 * mm
    canvas.saveState()
    for font, piece in pieces:
        canvas.setFont(font, size)
        canvas.drawString(x, y, piece)
        x += stringWidth(piece, font, size)
    canvas.restoreState()


def _seal_block(ag: Agreement, width: float) -> Table:
    date = ag.date or "\u3000\u3000\u3000\u3000年\u3000\u3000月\u3000\u3000日"
    lines = [ag.committee + _("(seal)"), date]
    inner = 80 * mm
    rows = [["", para(line, size=12, align="center")] for line in lines]
    return layout._table(
        rows,
        [width - inner, inner],
        [
            ("LEFTPADDING", (0, 0), (-1, -1), 0),
            ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ("TOPPADDING", (0, 0), (-1, -1), 4),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
        ],
    )


def _build_draft(out: Out, title: str, blocks: list, number: str) -> int:
    """build_form with a 草稿 watermark on every page (and the 编号 on pages after the first)."""
    heading = para(title + _(" (draft)"), font=SONG, size=22, leading=32, align="center", bold=True)

    def on_page(canvas: Canvas, doc) -> None:
        _watermark(canvas, doc)
        _running_number(number, canvas, doc)

    return layout._build(
        out,
        [heading, Spacer(0, 4 * mm), *blocks],
        pagesize=layout.FORM_PAGE,
        margins=layout.FORM_MARGINS,
        title=title,
        on_page=on_page,
        footer=partial(layout._page_x_of_n, x=layout.FORM_PAGE[0] / 2, y=layout.FORM_MARGINS[3] / 2),
    )
