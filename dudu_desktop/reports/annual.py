"""The annual report 《XX乡2024年度法治政府建设情况报告》 (or a village's 法治建设工作情况报告),
laid out per GB/T 9704 by :func:`~dudu_desktop.reports.layout.build_official_document`.

Structure (as in the township's own report): the opening paragraph; 一、主要举措和成效;
二、第一责任人职责情况; 三、存在的问题和不足; 四、下一步工作措施; the issuing body and date.
The narrative is the user's (:mod:`dudu_desktop.services.report_texts`); the figures come
from :func:`~dudu_desktop.services.stats.compute_stats` for the same year and unit, written
into the narrative's ``{…}`` fields as sentences modelled on the source document.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from reportlab.lib.units import mm

from dudu_desktop.domain import vocab
from dudu_desktop.domain.problems import Refused
from dudu_desktop.i18n import N_, format_percent
from dudu_desktop.reports import photos as report_photos
from dudu_desktop.reports.data import chinese_date, scope
from dudu_desktop.reports.lang import _
from dudu_desktop.reports.layout import Block, Figure, Gap, Heading, Out, Text, build_official_document, trend_chart
from dudu_desktop.services import audit, report_texts, site, stats
from dudu_desktop.services.context import Context

_FIELD = re.compile(r"\{([^{}\n]{1,12})\}")
_HEADINGS = [
    (re.compile(r"^（[一二三四五六七八九十]+）"), 2),
    (re.compile(r"^\d+[.．]"), 3),
    (re.compile(r"^（\d+）"), 4),
]
#: a line that starts like a heading and is at most this long is a heading, else a paragraph
HEADING_MAX = 40


@dataclass
class AnnualReport:
    title: str
    unit: str
    township: bool
    year: int
    figures: dict
    sentences: dict[str, str]
    texts: dict[str, str]
    issuer: str
    date: str
    months: list[str] = field(default_factory=list)
    series: dict[str, list[int]] = field(default_factory=dict)
    photos: list = field(default_factory=list)  # reports.photos.Photo: the 附件：活动照片 (issue 16)


def approx(n: int) -> tuple[str, bool]:
    """Materials counts as the source writes them: above 100, rounded down to the hundred with
    余 (2345 → 2300余); otherwise, or when already round, exact. Returns (number, rounded)."""
    if n > 100 and n % 100:
        return str(n // 100 * 100), True
    return str(n), False


def _rate(value) -> str:
    return format_percent(value)


def _join(parts: list[str]) -> str:
    return _(", ").join(p for p in parts if p)


def sentences(figures: dict, year: int) -> dict[str, str]:
    """Each field's sentence from the statistics (keys of report_texts.FIELDS but the chart),
    built only from what is not zero: a field with nothing to report is ``""`` (see
    :func:`negatives` for what the report says instead). Never "0次"."""
    d, t, h, p = figures["disputes"], figures["trainings"], figures["hotline"], figures["publicity"]
    out = {}
    if d["total"]:
        disputes = _("In {year}, {total} disputes of all kinds were screened and mediated").format(
            year=year, total=d["total"]
        )
        if d["success_rate"] is not None:
            disputes += _(", with a mediation success rate of {rate}").format(rate=_rate(d["success_rate"]))
    else:
        disputes = ""
    out["矛盾纠纷"] = disputes
    out["宣传活动"] = _join(
        [
            _("{n} legal publicity events were held").format(n=p["events"]) if p["events"] else "",
            _("{n} legal lectures were held").format(n=p["lectures"]) if p["lectures"] else "",
            _("{n} legal consultations from the public were received").format(n=h["consultations"])
            if h["consultations"]
            else "",
            _("{n} calls to the legal service hotline were answered").format(n=h["calls"]) if h["calls"] else "",
        ]
    )
    out["专项治理"] = _("{n} special campaigns").format(n=p["campaigns"]) if p["campaigns"] else ""
    kinds = p["materials_by_kind"]
    parts = []
    for kind, msg, msg_more in (
        ("宣传册", N_("{n} legal publicity booklets"), N_("more than {n} legal publicity booklets")),
        ("宣传单", N_("{n} leaflets"), N_("more than {n} leaflets")),
    ):
        if kinds.get(kind):
            number, rounded = approx(kinds[kind])
            parts.append(_(msg_more if rounded else msg).format(n=number))
    if not parts and p["materials"]:
        number, rounded = approx(p["materials"])
        parts.append(
            _(N_("more than {n} publicity materials") if rounded else N_("{n} publicity materials")).format(n=number)
        )
    out["宣传资料"] = _("{items} were handed out").format(items=_join(parts)) if parts else ""
    out["专题学习"] = _("{n} study sessions").format(n=t["study"]) if t["study"] else ""
    out["研讨"] = _("{n} seminars").format(n=t["seminars"]) if t["seminars"] else ""
    out["普法考试"] = (
        _("the pass rate was {rate}").format(rate=_rate(t["exam_pass_rate"])) if t["exam_pass_rate"] is not None else ""
    )
    cadres = t["by_type"].get("村两委干部法治培训", 0)
    out["法治培训"] = _("{n} legal training sessions for village cadres were held").format(n=cadres) if cadres else ""
    out["满意度"] = (
        _("public satisfaction with the legal services reached {rate}").format(rate=_rate(h["satisfaction_rate"]))
        if h["satisfaction_rate"] is not None
        else ""
    )
    return out


def negatives(year: int) -> dict[str, str]:
    """What the report says for a field whose figures are all zero: that it did not happen."""
    return {
        "矛盾纠纷": _("no disputes were screened or mediated this year"),
        "宣传活动": _("no legal publicity events or legal consultations this year"),
        "专项治理": _("no special campaigns this year"),
        "宣传资料": _("no publicity materials were handed out this year"),
        "专题学习": _("no study sessions this year"),
        "研讨": _("no seminars this year"),
        "普法考试": _("no exam results were recorded this year"),
        "法治培训": _("no legal training sessions for village cadres this year"),
        "满意度": _("public satisfaction was not yet surveyed"),
    }


#: stock phrases of the template that claim an activity, and the figure that makes them true
_STOCK_CLAIMS = {
    "举办法律讲座": ("publicity", "lectures"),
    "发放宣传资料": ("publicity", "materials"),
    "设立咨询台": ("hotline", "consultations"),
}
_SENTENCE = re.compile(r"[^。；！？]*[。；！？]?")


def _honest(line: str, values: dict[str, str], figures: dict, year: int) -> str:
    """A narrative line with its fields filled in, reading true to the figures:

    - a stock phrase claiming an activity whose count is 0 (举办法律讲座) leaves its list;
    - a line whose every field is zero becomes the plain statements that nothing happened
      (本年度未开展…): its stock text would claim otherwise;
    - otherwise a clause (between ，) holding only zero fields goes, a zero field listed
      with 、 leaves the list, and the statements for the zero fields follow the line.
    """
    for phrase, (group, key) in _STOCK_CLAIMS.items():
        if figures.get(group, {}).get(key) == 0:
            line = re.sub(f"{phrase}、|、{phrase}", "", line)
    fields = [m.group(1) for m in _FIELD.finditer(line) if m.group(1) in values]
    zero = [f for f in dict.fromkeys(fields) if not values[f]]
    if not zero:
        return fill_fields(line, values)
    said = negatives(year)
    statement = _statements([said[f] for f in zero])
    if len(zero) == len(set(fields)):
        return statement
    kept = []
    for sentence in _SENTENCE.findall(line):
        if not sentence:
            continue
        end = sentence[-1] if sentence[-1] in "。；！？" else ""
        body = sentence[:-1] if end else sentence
        clauses = []
        for clause in body.split("，"):
            for f in zero:
                clause = clause.replace("、{" + f + "}", "").replace("{" + f + "}、", "")
            inside = [m.group(1) for m in _FIELD.finditer(clause) if m.group(1) in values]
            if any(f in zero for f in inside):
                continue
            clauses.append(clause)
        if clauses:
            kept.append("，".join(clauses) + (end or "。"))
    text = fill_fields("".join(kept), values)
    return text + statement


def _statements(parts: list[str]) -> str:
    """Statements joined into one sentence, 本年度 said once: 本年度未开展专题学习，未组织研讨。"""
    out = []
    for part in parts:
        if out and part.startswith("本年度") and any(p.startswith("本年度") for p in out):
            part = part[len("本年度") :]
        if part and part not in out:
            out.append(part)
    return "，".join(out) + "。" if out else ""


def issue_date(ctx: Context, year: int, village: str | None = None, date: str | None = None) -> dt.date:
    """成文日期: ``date`` (YYYY-MM-DD) when given, else the day the report's texts were last
    saved (from the audit trail), else today."""
    if date:
        try:
            return dt.date.fromisoformat(str(date))
        except ValueError:
            raise Refused(_("The date must be written YYYY-MM-DD, not {value}.").format(value=date)) from None
    saved = audit.entries(
        ctx.conn, record_id=report_texts.setting_key(ctx.conn, year, village), action="set_setting", limit=1
    )
    if saved and saved[0].get("at"):
        try:
            return dt.date.fromisoformat(str(saved[0]["at"])[:10])
        except ValueError:
            pass
    return ctx.today()


def annual_data(
    ctx: Context, year: int, village: str | None = None, date: str | None = None, *, photos: bool = False
) -> AnnualReport:
    """The report's content; ``date`` (YYYY-MM-DD) sets the 成文日期 (:func:`issue_date`);
    ``photos`` adds the 附件：活动照片, one photo per publicity event of the year."""
    stats.period_bounds(year=year)  # validates the year
    code, unit = scope(ctx.conn, village)
    info = site.require_site(ctx.conn)
    township = code is None or code == info.get("township_code")
    figures = stats.compute_stats(ctx.conn, year=year, village=code, today=ctx.today())
    texts = report_texts.get_texts(ctx.conn, year, code)
    if township:
        title = _("{unit} {year} annual report on building a rule-of-law government").format(unit=unit, year=year)
        issuer = _("{unit} People's Government").format(unit=unit)
    else:
        title = _("{unit} {year} annual report on rule-of-law work").format(unit=unit, year=year)
        issuer = (
            _("{unit} Residents' Committee") if unit.endswith("社区") else _("{unit} Villagers' Committee")
        ).format(unit=unit)
    months = [f"{m}月" for m in range(1, 13)]
    by_month = figures["disputes"]["by_month_type"]
    series = {}
    for kind in vocab.DISPUTE_TYPES:
        values = [by_month.get(f"{year:04d}-{m:02d}", {}).get(kind, 0) for m in range(1, 13)]
        if any(values):
            series[kind] = values
    return AnnualReport(
        title=title,
        unit=unit,
        township=township,
        year=int(year),
        figures=figures,
        sentences=sentences(figures, int(year)),
        texts=texts,
        issuer=issuer,
        date=chinese_date(issue_date(ctx, year, village, date)),
        months=months,
        series=series,
        photos=report_photos.event_photos(ctx.conn, f"{int(year):04d}-01-01", f"{int(year):04d}-12-31", code)
        if photos
        else [],
    )


def fill_fields(text: str, values: dict[str, str]) -> str:
    """``{矛盾纠纷}`` → its sentence; unknown fields stay as written."""
    return _FIELD.sub(lambda m: values.get(m.group(1), m.group(0)), text)


def _chart(report: AnnualReport) -> Figure:
    chart = trend_chart(report.months, report.series or {"其他": [0] * 12}, width=150 * mm, height=72 * mm)
    return Figure(chart, _("Figure: disputes by month and type, {year}").format(year=report.year))


def text_blocks(text: str, report: AnnualReport) -> list[Block]:
    """Paragraphs (one per line) → headings, body text and the chart."""
    blocks: list[Block] = []
    for raw in text.replace("\r\n", "\n").split("\n"):
        line = raw.strip()
        if not line:
            continue
        if line == "{" + report_texts.CHART_FIELD + "}":
            if report.series:  # no chart of twelve empty months
                blocks.append(_chart(report))
            continue
        line = _honest(line, report.sentences, report.figures, report.year)
        if not line:
            continue
        level = next((lv for rx, lv in _HEADINGS if rx.match(line)), None)
        if level and len(line) <= HEADING_MAX:
            blocks.append(Heading(level, line))
        else:
            blocks.append(Text(line))
    return blocks


def section_headings(report: AnnualReport) -> dict[str, str]:
    y = report.year
    if report.township:
        return {
            "measures": _("I. Main measures and results in building a rule-of-law government in {year}").format(year=y),
            "leaders": _(
                "II. How the principal Party and government leaders fulfilled their duties as the first "
                "persons responsible for building the rule of law"
            ),
            "problems": _("III. Problems and shortcomings"),
            "next_steps": _("IV. Measures for building a rule-of-law government in the next step"),
        }
    return {
        "measures": _("I. Main measures and results in rule-of-law work in {year}").format(year=y),
        "leaders": _(
            "II. How the village Party secretary fulfilled the duties of the first person responsible "
            "for building the rule of law"
        ),
        "problems": _("III. Problems and shortcomings"),
        "next_steps": _("IV. Measures for rule-of-law work in the next step"),
    }


def report_blocks(report: AnnualReport) -> list[Block]:
    blocks: list[Block] = text_blocks(report.texts["intro"], report)
    for key, heading in section_headings(report).items():
        blocks.append(Heading(1, heading))
        blocks += text_blocks(report.texts[key], report)
    if report.photos:  # 附件说明 (GB/T 9704 7.3.4): a blank line under the body, two characters in
        blocks += [Gap(1), Text(_("Attachment: photos of the events"))]
    return blocks


def render_annual_pdf(out: Out, report: AnnualReport) -> int:
    return build_official_document(
        out,
        title=report.title,
        blocks=report_blocks(report),
        signature_lines=[report.issuer, report.date],
        appendix=report_photos.appendix(report.photos) if report.photos else (),
    )
