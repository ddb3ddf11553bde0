"""Training sign-in sheets (签到表), portrait A4.

- *Before* the session: the roster (序号, 姓名, 职务) with a blank 签名 column, rows tall
  enough to sign in, and blank rows for people who come without an invitation.
- *After* it: who attended (√ or 缺席), 签到时间 (the session's date, with the year — not
  the day the ticks were typed in, which may be later), the exam score and result, and the
  totals (应到, 实到, 出勤率, 参考, 合格). 填表日期 is blank to be written by hand unless
  given.

Names are printed in full: people look for their own name to sign against it, and the sheet
carries no phone numbers or ID numbers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

from reportlab.lib.units import mm
from reportlab.platypus import Spacer

from dudu_desktop.i18n import format_percent
from dudu_desktop.reports.data import chinese_date, filler_name, parse_filled_on, unit_names
from dudu_desktop.reports.lang import _
from dudu_desktop.reports.layout import (
    FORM_FRAME_HEIGHT,
    FORM_FRAME_WIDTH,
    Column,
    Out,
    build_form,
    data_table,
    kv_table,
    para,
    signature_lines,
)
from dudu_desktop.services import trainings
from dudu_desktop.services.context import Context

PRESENT = "√"
#: blank rows for walk-ins: a fifth of the roster, at least this many
MIN_BLANK_ROWS = 5


@dataclass
class SignInSheet:
    title: str
    unit: str
    training: dict
    people: list[dict]
    after: bool
    recorder: str
    date: str


def signin_data(ctx: Context, training_id: str, *, after: bool = False, filled_on: str | None = None) -> SignInSheet:
    """``filled_on`` ('YYYY-MM-DD'): the attendance record's 填表日期, else blank."""
    t = trainings.get_training(ctx.conn, training_id)
    unit = unit_names(ctx.conn).get(t["village_code"], t["village_code"])
    filled = parse_filled_on(filled_on)
    return SignInSheet(
        title=_("Legal training (study) sign-in sheet"),
        unit=unit,
        training=t,
        people=t["attendance"],
        after=after,
        recorder=filler_name(ctx) if after else "",
        date=chinese_date(filled) if after else "",
    )


def _hours(value) -> str:
    if value is None:
        return ""
    return _("{hours} hours").format(hours=format(Decimal(str(value)).normalize(), "f"))


def _score(value) -> str:
    if value is None:
        return ""
    return format(Decimal(str(value)).normalize(), "f")


def _time(held_on: str | None) -> str:
    """签到时间 of someone present: the session's date. The time the tick was typed in says
    nothing about when the person came (ticks are often entered afterwards)."""
    return chinese_date(held_on) if held_on else ""


def render_signin_pdf(out: Out, sheet: SignInSheet) -> int:
    t = sheet.training
    width = FORM_FRAME_WIDTH
    info = kv_table(
        [
            (_("Topic"), t["topic"]),
            (_("Organizing unit"), sheet.unit, _("Type"), t["training_type"]),
            (_("Date"), chinese_date(t["held_on"]), _("Location"), t["location"]),
            (_("Speaker"), t["speaker"], _("Duration"), _hours(t["duration_hours"])),
        ],
        width=width,
        label_width=22 * mm,
        font_size=11,
    )
    blocks = [info, Spacer(0, 4 * mm)]
    room = FORM_FRAME_HEIGHT - 20 * mm
    if not sheet.after:
        columns = [
            Column(_("Seq."), 16, "center"),
            Column(_("Name"), 32, "center"),
            Column(_("Position"), 40, "center"),
            Column(_("Signature"), 55, "center"),
            Column(_("Notes"), 26),
        ]
        rows = [[str(i), p["name"], p["position"], "", ""] for i, p in enumerate(sheet.people, 1)]
        blank = max(MIN_BLANK_ROWS, math.ceil(len(rows) / 5))
        rows += [[str(len(rows) + i), "", "", "", ""] for i in range(1, blank + 1)]
        blocks.append(
            data_table(
                columns,
                rows,
                width=width,
                frame_height=room,
                font_size=14,
                tail=signature_lines([(_("Recorder"), "")], width=width / 2, per_row=1),
            )
        )
    else:
        people = sheet.people
        present = [p for p in people if p["signed_in"]]
        takers = [p for p in present if p["exam_passed"] is not None]
        passed = [p for p in takers if p["exam_passed"] == 1]
        columns = [
            Column(_("Seq."), 14, "center"),
            Column(_("Name"), 24, "center"),
            Column(_("Position"), 29, "center"),
            Column(_("Signed in"), 17, "center"),
            Column(_("Sign-in time"), 34, "center"),
            Column(_("Exam\nscore"), 20, "center"),
            Column(_("Exam\nresult"), 22, "center"),
        ]
        rows = []
        for i, p in enumerate(people, 1):
            result = "" if p["exam_passed"] is None else (_("Passed") if p["exam_passed"] else _("Failed"))
            rows.append(
                [
                    str(i),
                    p["name"],
                    p["position"],
                    PRESENT if p["signed_in"] else _("Absent"),
                    _time(t["held_on"]) if p["signed_in"] else "",
                    _score(p["exam_score"]) if p["signed_in"] else "",
                    result if p["signed_in"] else "",
                ]
            )
        summary = _("Invited {invited}, attended {attended}, absent {absent}, attendance rate {rate}.").format(
            invited=len(people),
            attended=len(present),
            absent=len(people) - len(present),
            rate=format_percent(len(present) / len(people) if people else None),
        )
        if takers:
            summary += _(" Exam: {takers} took it, {passed} passed, pass rate {rate}.").format(
                takers=len(takers), passed=len(passed), rate=format_percent(len(passed) / len(takers))
            )
        tail = signature_lines(
            [(_("Recorder"), sheet.recorder), (_("Date filled in"), sheet.date)], width=width, per_row=2
        )
        blocks += [
            para(summary, size=12, leading=18),
            Spacer(0, 3 * mm),
            data_table(columns, rows, width=width, frame_height=room - 12 * mm, font_size=12, tail=tail),
        ]
    title = sheet.title if not sheet.after else _("Legal training (study) attendance record")
    return build_form(out, title=title, blocks=blocks)
