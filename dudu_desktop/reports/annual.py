"""The annual report 《XX乡2024年度法治政府建设情况报告》 (or a village's 法治建设工作情况报告),
laid out per GB/T 9704 by :func:`~dudu_desktop.reports.layout.build_official_document`.

Structure (as in the township's own report): the opening paragraph; 一、主要举措和成效;
二、第一责任人职责情况; 三、存在的问题和不足; 四、下一步工作措施; the issuing body and date.
The narrative is the user's (:mod:`dudu_desktop.services.report_texts`); the figures come
from :func:`~dudu_desktop.services.stats.compute_stats` for the same year and unit, written
into the narrative's ``{…}`` fields as sentences modelled on the source document.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from reportlab.lib.units import mm

from dudu_desktop.domain import vocab
from dudu_desktop.i18n import N_, format_percent
from dudu_desktop.reports.lang import _
from dudu_desktop.reports.data import chinese_date, scope
from dudu_desktop.reports.layout import Block, Figure, Heading, Out, Text, build_official_document, trend_chart
from dudu_desktop.services import report_texts, site, stats
from dudu_desktop.services.context import Context

SECTION_LABELS = {
    "intro": N_("Opening paragraph"),
    "measures": N_("Main measures and results"),
    "leaders": N_("Duties of the principal leaders as the first responsible persons"),
    "problems": N_("Problems and shortcomings"),
    "next_steps": N_("Measures for the next step"),
}
FIELD_LABELS = {
    "矛盾纠纷": N_("disputes screened and mediated in the year, with the mediation success rate"),
    "纠纷趋势图": N_("chart of the monthly disputes by type (on a line of its own)"),
    "宣传活动": N_("publicity events, lectures, legal consultations and hotline calls"),
    "专项治理": N_("special campaigns"),
    "宣传资料": N_("publicity materials handed out"),
    "专题学习": N_("study sessions"),
    "研讨": N_("seminars"),
    "普法考试": N_("legal exam pass rate"),
    "法治培训": N_("legal training sessions for village cadres"),
    "满意度": N_("satisfaction with the legal consultations"),
}
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


def approx(n: int) -> tuple[str, bool]:
    """Materials counts as the source writes them: above 100, rounded down to the hundred with
    余 (2345 → 2300余); otherwise, or when already round, exact. Returns (number, rounded)."""
    if n > 100 and n % 100:
        return str(n // 100 * 100), True
    return str(n), False


def _rate(value) -> str:
    return format_percent(value)


def sentences(figures: dict, year: int) -> dict[str, str]:
    """Each field's sentence from the statistics (keys of report_texts.FIELDS but the chart)."""
    d, t, h, p = figures["disputes"], figures["trainings"], figures["hotline"], figures["publicity"]
    out = {}
    disputes = _("In {year}, {total} disputes of all kinds were screened and mediated").format(
        year=year, total=d["total"])
    if d["success_rate"] is not None:
        disputes += _(", with a mediation success rate of {rate}").format(rate=_rate(d["success_rate"]))
    out["矛盾纠纷"] = disputes
    out["宣传活动"] = _("{events} legal publicity events and {lectures} legal lectures were held, {consultations} "
                    "legal consultations from the public were received and {calls} calls to the legal service "
                    "hotline were answered").format(events=p["events"], lectures=p["lectures"],
                                                    consultations=h["consultations"], calls=h["calls"])
    out["专项治理"] = _("{n} special campaigns").format(n=p["campaigns"])
    kinds = p["materials_by_kind"]
    parts = []
    for kind, msg, msg_more in (
            ("宣传册", N_("{n} legal publicity booklets"), N_("more than {n} legal publicity booklets")),
            ("宣传单", N_("{n} leaflets"), N_("more than {n} leaflets"))):
        if kinds.get(kind):
            number, rounded = approx(kinds[kind])
            parts.append(_(msg_more if rounded else msg).format(n=number))
    if not parts:
        number, rounded = approx(p["materials"])
        parts.append(_(N_("more than {n} publicity materials") if rounded else N_("{n} publicity materials"))
                     .format(n=number))
    out["宣传资料"] = _("{items} were handed out").format(items=_(", ").join(parts))
    out["专题学习"] = _("{n} study sessions").format(n=t["study"])
    out["研讨"] = _("{n} seminars").format(n=t["seminars"])
    out["普法考试"] = (_("the pass rate was {rate}").format(rate=_rate(t["exam_pass_rate"]))
                   if t["exam_pass_rate"] is not None else _("no exam results were recorded this year"))
    out["法治培训"] = _("{n} legal training sessions for village cadres were held").format(
        n=t["by_type"].get("村两委干部法治培训", 0))
    out["满意度"] = (_("public satisfaction with the legal services reached {rate}").format(
        rate=_rate(h["satisfaction_rate"])) if h["satisfaction_rate"] is not None else
        _("public satisfaction was not yet surveyed"))
    return out


def annual_data(ctx: Context, year: int, village: str | None = None) -> AnnualReport:
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
        issuer = (_("{unit} Residents' Committee") if unit.endswith("社区") else
                  _("{unit} Villagers' Committee")).format(unit=unit)
    months = [f"{m}月" for m in range(1, 13)]
    by_month = figures["disputes"]["by_month_type"]
    series = {}
    for kind in vocab.DISPUTE_TYPES:
        values = [by_month.get(f"{year:04d}-{m:02d}", {}).get(kind, 0) for m in range(1, 13)]
        if any(values):
            series[kind] = values
    return AnnualReport(title=title, unit=unit, township=township, year=int(year), figures=figures,
                        sentences=sentences(figures, int(year)), texts=texts, issuer=issuer,
                        date=chinese_date(ctx.today()), months=months, series=series)


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
            blocks.append(_chart(report))
            continue
        line = fill_fields(line, report.sentences)
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
            "leaders": _("II. How the principal Party and government leaders fulfilled their duties as the first "
                         "persons responsible for building the rule of law"),
            "problems": _("III. Problems and shortcomings"),
            "next_steps": _("IV. Measures for building a rule-of-law government in the next step"),
        }
    return {
        "measures": _("I. Main measures and results in rule-of-law work in {year}").format(year=y),
        "leaders": _("II. How the village Party secretary fulfilled the duties of the first person responsible "
                     "for building the rule of law"),
        "problems": _("III. Problems and shortcomings"),
        "next_steps": _("IV. Measures for rule-of-law work in the next step"),
    }


def report_blocks(report: AnnualReport) -> list[Block]:
    blocks: list[Block] = text_blocks(report.texts["intro"], report)
    for key, heading in section_headings(report).items():
        blocks.append(Heading(1, heading))
        blocks += text_blocks(report.texts[key], report)
    return blocks


def render_annual_pdf(out: Out, report: AnnualReport) -> int:
    return build_official_document(out, title=report.title, blocks=report_blocks(report),
                                   signature_lines=[report.issuer, report.date])
