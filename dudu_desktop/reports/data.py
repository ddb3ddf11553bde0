"""Report data: the registers' rows turned into plain ledgers (titles, columns, cell values,
totals) that the PDF, .xlsx and .csv writers render. No layout here, no Qt.

Personal data (fields marked ``sensitive`` in :mod:`dudu_desktop.domain.fields`: names of
parties and callers, phones, ID numbers, addresses) is masked unless the caller asks for
``unmasked=True``; that needs :data:`Permission.PRINT_UNMASKED` (else :class:`Refused`) and
writes an audit entry ``print_unmasked`` each time the full data is produced.

A village PC's ledgers are its own village's; at the township, ``village=None`` means the
whole township, with a 村（社区） column.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from dudu_desktop.domain import vocab
from dudu_desktop.domain.masking import mask_id, mask_name, mask_names_in, mask_phone
from dudu_desktop.domain.problems import Refused
from dudu_desktop.domain.vocab import DisputeResult, DisputeStatus, Permission
from dudu_desktop.i18n import N_, format_month, format_percent
from dudu_desktop.reports.lang import _
from dudu_desktop.services import audit, site, stats
from dudu_desktop.services.context import Context
from dudu_desktop.storage import queries
from dudu_desktop.storage.db import transaction

#: the kinds of cell a column holds (the spreadsheet writers keep numbers native, IDs as text)
TEXT, INT, REAL, MONEY, DATE, PHONE, IDNO = "text", "int", "real", "money", "date", "phone", "idno"
#: a fraction 0..1 printed as a percent (a number with a % format in a spreadsheet)
RATE = "rate"

LEDGER_REGISTERS = ("disputes", "trainings", "hotline", "publicity")
LEDGER_TITLES = {
    "disputes": N_("dispute screening and mediation ledger"),
    "trainings": N_("legal training (study) ledger"),
    "hotline": N_("legal service hotline and consultation ledger"),
    "publicity": N_("legal publicity activities ledger"),
}
#: what an empty month's ledger says instead of a totals row of zeros (零报告)
EMPTY_NOTES = {
    "disputes": N_("No disputes this month (zero report)"),
    "trainings": N_("No legal training this month (zero report)"),
    "hotline": N_("No legal consultations this month (zero report)"),
    "publicity": N_("No legal publicity activities this month (zero report)"),
}
UNMASKED_ACTION = "print_unmasked"


@dataclass(frozen=True)
class LedgerColumn:
    """One column: ``header`` (``\\n`` marks where it may break), ``kind`` (see above),
    ``align``; ``flex`` > 0 for the long-text columns that take the width left over, in
    proportion (the others are as wide as their content, up to ``max_mm``)."""

    key: str
    header: str
    kind: str = TEXT
    align: str = "left"
    flex: float = 0
    max_mm: float = 40


@dataclass
class Ledger:
    """A month's ledger of one register, ready to render."""

    register: str
    title: str
    subtitle: str
    columns: list[LedgerColumn]
    rows: list[list[Any]]
    totals: list[Any] | None
    signature: dict[str, str] = field(default_factory=dict)
    unmasked: bool = False
    month: str = ""
    village: str | None = None
    #: the printed ledger's columns when they differ from the spreadsheet's: ``(key, column,
    #: keys of the spreadsheet columns joined into it)``, see :meth:`printed`
    print_merge: list[tuple[LedgerColumn, tuple[str, ...]]] = field(default_factory=list)
    #: an empty month: the line printed instead of rows and totals (本月无矛盾纠纷（零报告）)
    empty_note: str = ""

    @property
    def year(self) -> int:
        return int(self.month[:4]) if self.month else dt.date.today().year

    @property
    def headers(self) -> list[str]:
        return [c.header.replace("\n", "") for c in self.columns]

    def printed(self) -> Ledger:
        """The ledger as printed: dates as text (``5月1日`` within the ledger's year, a time
        under its day), rates as percents, and where a sheet has several narrow columns
        (当事人, 联系电话, 身份证号) the paper has one, each row's values joined line by line."""
        kinds = [c.kind for c in self.columns]

        def shown(values: list[Any]) -> list[Any]:
            return [_printed_value(v, k, self.year) for v, k in zip(values, kinds)]

        rows = [shown(r) for r in self.rows]
        totals = shown(self.totals) if self.totals else None
        if not self.print_merge:
            return Ledger(
                register=self.register,
                title=self.title,
                subtitle=self.subtitle,
                columns=self.columns,
                rows=rows,
                totals=totals,
                signature=self.signature,
                unmasked=self.unmasked,
                month=self.month,
                village=self.village,
                empty_note=self.empty_note,
            )
        keys = [c.key for c in self.columns]
        merged = {k for _col, parts in self.print_merge for k in parts}
        columns, sources = [], []
        for i, col in enumerate(self.columns):
            for new, parts in self.print_merge:
                if col.key == parts[0]:
                    columns.append(new)
                    sources.append([keys.index(k) for k in parts])
            if col.key not in merged:
                columns.append(col)
                sources.append([i])

        def pick(values: list[Any]) -> list[Any]:
            out = []
            for idx in sources:
                if len(idx) == 1:
                    out.append(values[idx[0]])
                else:
                    out.append(_join_lines([values[i] for i in idx]))
            return out

        return Ledger(
            register=self.register,
            title=self.title,
            subtitle=self.subtitle,
            columns=columns,
            rows=[pick(r) for r in rows],
            totals=pick(totals) if totals else None,
            signature=self.signature,
            unmasked=self.unmasked,
            month=self.month,
            village=self.village,
            empty_note=self.empty_note,
        )


def _printed_value(value: Any, kind: str, year: int) -> Any:
    """A cell as the paper shows it: a date ``5月1日`` (a time on the line under it), a rate
    ``66.7%``; other values unchanged."""
    if isinstance(value, dt.datetime):
        return short_date(value.date(), year) + "\n" + value.strftime("%H:%M")
    if isinstance(value, dt.date):
        return short_date(value, year)
    if kind == RATE and isinstance(value, (int, float, Decimal)):
        return format_percent(value)
    return value


def _join_lines(values: list[Any]) -> str:
    """Columns of one row that list several parties line by line (``张*\n李*`` and
    ``180****1999\n—``) → one line per party, its values side by side (blank parts left out).
    A value that is not line-aligned with the first is appended as it is."""
    columns = ["" if v is None else str(v) for v in values]
    split = [c.split("\n") if c else [] for c in columns]
    count = len(split[0])
    if any(len(lines) not in (0, count) for lines in split[1:]):
        return "\n".join(c for c in columns if c)
    out = []
    for n in range(count):
        parts = [lines[n] for lines in split if lines and lines[n] not in ("", "—")]
        out.append(parts[0] + ("\u3000" + parts[1] if len(parts) > 1 else "") + "".join("\n" + p for p in parts[2:]))
    return "\n".join(out)


# ---------------------------------------------------------------- shared helpers


def chinese_date(value) -> str:
    """``2024-05-01`` → ``2024年5月1日`` whatever the interface language (documents are Chinese)."""
    if value in (None, ""):
        return ""
    d = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])
    return f"{d.year}年{d.month}月{d.day}日"


def short_date(value, year: int) -> str:
    """A date in a monthly ledger: ``5月1日`` within the ledger's year, else in full."""
    if value in (None, ""):
        return ""
    d = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])
    return f"{d.month}月{d.day}日" if d.year == year else chinese_date(d)


def day(value) -> dt.date | None:
    """A stored date (``2024-05-01``, or the day of ``2024-05-01 10:05``) as a date, else None:
    ledgers keep real dates, printed as ``5月1日`` and written to spreadsheets as date cells."""
    if value in (None, ""):
        return None
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def moment(value) -> dt.date | dt.datetime | None:
    """``2024-05-01 10:05`` → a date-time (a date when no time was kept)."""
    d = day(value)
    clock = str(value)[10:].strip() if d else ""
    if not clock:
        return d
    try:
        t = dt.time.fromisoformat(clock[:8] if len(clock) >= 8 else clock[:5])
    except ValueError:
        return d
    return dt.datetime.combine(d, t)


def yuan(cents: int | None) -> Decimal | None:
    return None if cents is None else (Decimal(int(cents)) / 100).quantize(Decimal("0.01"))


def unit_names(conn) -> dict[str, str]:
    """village code → name, with the township's own code → the township's name."""
    names = {v["code"]: v["name"] for v in site.villages(conn)}
    info = site.site(conn) or {}
    if info.get("township_code"):
        names.setdefault(info["township_code"], info.get("township_name") or info["township_code"])
    if info.get("code"):
        names.setdefault(info["code"], info.get("name") or info["code"])
    return names


def scope(conn, village: str | None) -> tuple[str | None, str]:
    """``(village code or None for the whole township, the unit's name)``. A village PC
    always reports on its own village."""
    info = site.require_site(conn)
    if village is None and info["role"] == site.VILLAGE:
        village = info["code"]
    if village is None:
        return None, info.get("township_name") or info["name"]
    names = unit_names(conn)
    if village not in names:
        raise Refused(_("Unknown village code: {code}").format(code=village))
    return village, names[village]


def filler_name(ctx: Context) -> str:
    """填表人: the acting user's display name when an account is known, else blank to sign."""
    try:
        from dudu_desktop.services import users

        user = users.get_user(ctx.conn, ctx.user)
    except Exception:  # noqa: BLE001 - a database from before accounts
        return ""
    if user is None:
        return ""
    return user.display_name or user.username


def require_unmasked(ctx: Context) -> None:
    """Full personal data is only for roles with :data:`Permission.PRINT_UNMASKED`."""
    if not ctx.can(Permission.PRINT_UNMASKED):
        raise Refused(_("Your role ({role}) may not print or export full personal data.").format(role=ctx.role))


def audit_unmasked(
    ctx: Context,
    *,
    document: str,
    table_name: str = "",
    record_id: str = "",
    village: str | None = None,
    details: dict | None = None,
) -> None:
    """One audit entry ``print_unmasked`` for a document produced with full personal data."""
    with transaction(ctx.conn):
        audit.append(
            ctx.conn,
            at=ctx.now_text(),
            user=ctx.user,
            action=UNMASKED_ACTION,
            table_name=table_name,
            record_id=record_id,
            village_code=village or "",
            changes={"document": [None, document], **{k: [None, v] for k, v in (details or {}).items()}},
        )


class _Masker:
    def __init__(self, unmasked: bool):
        self.unmasked = unmasked

    def text(self, text: str, names: list[str]) -> str:
        """Free text (纠纷简要情况, 咨询问题) with the record's people's names masked in it."""
        if self.unmasked or not text:
            return text or ""
        return mask_names_in(text, names)

    def name(self, v) -> str:
        return (v or "") if self.unmasked else mask_name(v)

    def phone(self, v) -> str:
        return (v or "") if self.unmasked else mask_phone(v)

    def id(self, v) -> str:
        return (v or "") if self.unmasked else mask_id(v)


def _month(month: str) -> tuple[int, int]:
    start, _end = stats.period_bounds(month=month)  # validates, Refused otherwise
    d = dt.date.fromisoformat(start)
    return d.year, d.month


def _last_day(year: int, month: int) -> dt.date:
    return dt.date(year + (month == 12), month % 12 + 1, 1) - dt.timedelta(days=1)


# ---------------------------------------------------------------- ledgers


def ledger(
    ctx: Context,
    register: str,
    *,
    month: str,
    village: str | None = None,
    unmasked: bool = False,
    filled_on: str | None = None,
) -> Ledger:
    """The ledger of ``register`` (disputes, trainings, hotline, publicity) for ``month``
    ('YYYY-MM'), one village or (``None`` at the township) every village. 填报日期 is
    ``filled_on`` ('YYYY-MM-DD') when given, else left blank to be written by hand."""
    if register not in LEDGER_REGISTERS:
        raise Refused(_("Unknown register: {name}").format(name=register))
    year, mon = _month(month)
    filled = parse_filled_on(filled_on)
    month = f"{year:04d}-{mon:02d}"
    if unmasked:
        require_unmasked(ctx)
    code, unit = scope(ctx.conn, village)
    filters = queries.Filters(village=code, month=month)
    rows = queries.fetch_rows(ctx.conn, register, filters)
    names = unit_names(ctx.conn)
    with_village = code is None
    build: Callable = {"disputes": _disputes, "trainings": _trainings, "hotline": _hotline, "publicity": _publicity}[
        register
    ]
    columns, body, totals = build(ctx.conn, rows, year, _Masker(unmasked))
    if with_village:
        columns.insert(0, LedgerColumn("village", _("Village\n(community)"), align="center", max_mm=22))
        for row, record in zip(body, rows):
            row.insert(0, names.get(record["village_code"], record["village_code"]))
        totals.insert(0, "")
    for i, row in enumerate(body, 1):
        row.insert(0, i)
    totals.insert(0, _("Total"))
    columns.insert(0, LedgerColumn("no", _("Seq."), INT, align="center", max_mm=12))
    title = _("{unit} {month} {ledger}").format(
        unit=unit, month=format_month(year, mon, "zh_CN"), ledger=_(LEDGER_TITLES[register])
    )
    period = _("Period: {start} to {end}").format(
        start=chinese_date(dt.date(year, mon, 1)), end=f"{mon}月{_last_day(year, mon).day}日"
    )
    parts = [_("Reporting unit: {unit}").format(unit=unit), period]
    if register in ("disputes", "hotline"):
        parts.append(_("Full personal data — keep confidential") if unmasked else _("Personal data partly hidden"))
    result = Ledger(
        register=register,
        title=title,
        subtitle="\u3000\u3000".join(parts),
        columns=columns,
        rows=body,
        totals=totals,
        unmasked=unmasked,
        month=month,
        village=code,
        signature={"填表人": filler_name(ctx), "审核人": "", "填报日期": chinese_date(filled)},
    )
    if not body:  # 零报告: one line saying so, not a totals row of zeros
        result.totals = None
        result.empty_note = _(EMPTY_NOTES[register])
    if register == "disputes":  # on paper: name and phone on one line, the ID number under them
        result.print_merge = [
            (LedgerColumn("party_details", _("Parties and contact"), max_mm=42), ("parties", "phones", "id_numbers"))
        ]
    if unmasked:
        audit_unmasked(
            ctx,
            document=title,
            table_name=queries.meta(register).table,
            village=code,
            details={"register": register, "month": month, "rows": len(body)},
        )
    return result


def parse_filled_on(value: str | None) -> dt.date | None:
    if value in (None, ""):
        return None
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise Refused(_("Date filled in must be a date such as 2024-12-20: {value}").format(value=value)) from None


def _children(conn, table: str, key: str, ids: list[str], order: str) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {i: [] for i in ids}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        sql = (
            f"SELECT * FROM {table} WHERE deleted = 0 AND {key} IN ({', '.join('?' * len(chunk))}) "
            f"ORDER BY {key}, {order}"
        )
        for r in conn.execute(sql, chunk):
            out[r[key]].append(dict(r))
    return out


def _lines(values: list[str]) -> str:
    return "\n".join(values)


def _disputes(conn, rows: list[dict], year: int, m: _Masker):
    parties = _children(conn, "dispute_parties", "dispute_id", [r["id"] for r in rows], "position")
    columns = [
        LedgerColumn("serial_no", _("Case no."), align="center", max_mm=22),
        LedgerColumn("registered_on", _("Registration date"), DATE, align="center", max_mm=20),
        LedgerColumn("parties", _("Parties"), max_mm=24),
        LedgerColumn("phones", _("Contact\nnumber"), PHONE, align="center", max_mm=28),
        LedgerColumn("id_numbers", _("ID number"), IDNO, align="center", max_mm=40),
        LedgerColumn("dispute_type", _("Dispute\ntype"), align="center", max_mm=18),
        LedgerColumn("source", _("Source"), align="center", max_mm=21),
        LedgerColumn("summary", _("Summary of the dispute"), flex=1),
        LedgerColumn("mediator", _("Mediator"), align="center", max_mm=18),
        LedgerColumn("level", _("Warning\nlevel"), align="center", max_mm=12),
        LedgerColumn("result", _("Mediation outcome"), flex=0.6),
        LedgerColumn("amount", _("Agreement\namount (yuan)"), MONEY, align="right", max_mm=28),
        LedgerColumn("concluded_on", _("Conclusion date"), DATE, align="center", max_mm=20),
        LedgerColumn("notes", _("Notes"), flex=0.3),
    ]
    body = []
    counts = dict.fromkeys(DisputeResult, 0)
    open_ = amount = 0
    for r in rows:
        ps = parties[r["id"]]
        if r["result"] in counts and r["status"] in vocab.DONE_STATUSES:
            counts[r["result"]] += 1
        else:
            open_ += 1
        if r["result"] == DisputeResult.SUCCESS and r["amount_cents"]:
            amount += r["amount_cents"]
        names = [m.name(p["name"]) for p in ps] or [m.name(r["party_names"])]
        full_names = [p["name"] for p in ps] or [r["party_names"]]
        body.append(
            [
                r["serial_no"],
                day(r["registered_on"]),
                _lines(names),
                _lines([m.phone(p["phone"]) or "—" for p in ps]) if any(p["phone"] for p in ps) else "",
                _lines([m.id(p["id_number"]) or "—" for p in ps]) if any(p["id_number"] for p in ps) else "",
                r["dispute_type"],
                r["source"],
                m.text(r["summary"], [p["name"] for p in ps]),
                r["mediator"],
                r["level"],
                _outcome(r, m, full_names),
                yuan(r["amount_cents"]) if r["result"] == DisputeResult.SUCCESS else None,
                day(r["concluded_on"]) if r["status"] in vocab.DONE_STATUSES else None,
                m.text(r["notes"], full_names),
            ]
        )
    summary = _(
        "{total} cases: {success} mediated successfully, {failed} unsuccessful, {withdrawn} withdrawn, "
        "{open} in progress"
    ).format(
        total=len(rows),
        success=counts[DisputeResult.SUCCESS],
        failed=counts[DisputeResult.FAILED],
        withdrawn=counts[DisputeResult.WITHDRAWN],
        open=open_,
    )
    totals = ["", "", "", "", "", "", "", summary, "", "", "", yuan(amount), "", ""]
    return columns, body, totals


#: how much of the agreement's terms the ledger's 调处情况 quotes
OUTCOME_TERMS_CHARS = 30


def _outcome(r: dict, m: _Masker, names: list[str]) -> str:
    """调处情况 in a few words: the status of an open case; for a concluded one its result and,
    when an agreement was reached, the start of its terms (names masked like the summary)."""
    if r["status"] not in vocab.DONE_STATUSES or not r["result"]:
        return r["status"]
    text = r["result"]
    terms = " ".join((r["agreement_terms"] or "").split()).rstrip("。；;，, ")
    if terms:
        if len(terms) > OUTCOME_TERMS_CHARS:
            terms = terms[:OUTCOME_TERMS_CHARS].rstrip("，、；：,;: ") + "…"
        text += _(", agreement: {terms}").format(terms=m.text(terms, names))
    elif r["agreement"]:
        text += _(", agreement reached")
    if r["status"] == DisputeStatus.CLOSED_OUT:
        text += "\n" + _("(closed out)")
    return text


def _trainings(conn, rows: list[dict], year: int, m: _Masker):
    people = _children(conn, "training_attendance", "training_id", [r["id"] for r in rows], "rowid")
    columns = [
        LedgerColumn("held_on", _("Date"), DATE, align="center", max_mm=20),
        LedgerColumn("training_type", _("Type"), align="center", max_mm=26),
        LedgerColumn("topic", _("Topic"), flex=1.4),
        LedgerColumn("speaker", _("Speaker"), max_mm=30),
        LedgerColumn("location", _("Location"), flex=0.6),
        LedgerColumn("duration_hours", _("Duration\n(hours)"), REAL, align="right", max_mm=14),
        LedgerColumn("invited", _("Invited\n(people)"), INT, align="right", max_mm=16),
        LedgerColumn("attended", _("Attended\n(people)"), INT, align="right", max_mm=16),
        LedgerColumn("rate", _("Attendance\nrate"), RATE, align="right", max_mm=16),
        LedgerColumn("takers", _("Exam\ntakers"), INT, align="right", max_mm=16),
        LedgerColumn("passed", _("Exam\npassed"), INT, align="right", max_mm=16),
        LedgerColumn("notes", _("Notes"), flex=0.4),
    ]
    body = []
    hours = Decimal(0)
    invited = attended = takers = passed = 0
    for r in rows:
        ps = people[r["id"]]
        n_in = sum(1 for p in ps if p["signed_in"])
        n_take = sum(1 for p in ps if p["signed_in"] and p["exam_passed"] is not None)
        n_pass = sum(1 for p in ps if p["signed_in"] and p["exam_passed"] == 1)
        h = Decimal(str(r["duration_hours"])).normalize() if r["duration_hours"] is not None else None
        hours += h or 0
        invited, attended = invited + len(ps), attended + n_in
        takers, passed = takers + n_take, passed + n_pass
        body.append(
            [
                day(r["held_on"]),
                r["training_type"],
                r["topic"],
                r["speaker"],
                r["location"],
                h,
                len(ps),
                n_in,
                n_in / len(ps) if ps else "—",
                n_take if r["exam_held"] or n_take else None,
                n_pass if r["exam_held"] or n_take else None,
                r["notes"],
            ]
        )
    totals = [
        "",
        "",
        _("{n} sessions").format(n=len(rows)),
        "",
        "",
        hours.normalize() if rows else None,
        invited,
        attended,
        attended / invited if invited else "—",
        takers,
        passed,
        "",
    ]
    return columns, body, totals


def _hotline(conn, rows: list[dict], year: int, m: _Masker):
    columns = [
        LedgerColumn("called_at", _("Time"), DATE, align="center", max_mm=20),
        LedgerColumn("channel", _("Channel"), align="center", max_mm=12),
        LedgerColumn("caller_name", _("Caller or visitor"), align="center", max_mm=20),
        LedgerColumn("caller_phone", _("Contact\nnumber"), PHONE, align="center", max_mm=28),
        LedgerColumn("category", _("Category"), align="center", max_mm=18),
        LedgerColumn("question", _("Question"), flex=1),
        LedgerColumn("answer", _("Answer and handling"), flex=1.1),
        LedgerColumn("legal_aid", _("Legal\naid"), align="center", max_mm=12),
        LedgerColumn("followup_on", _("Follow-up date"), DATE, align="center", max_mm=20),
        LedgerColumn("satisfaction", _("Satisfaction"), align="center", max_mm=18),
        LedgerColumn("handler", _("Handled by"), align="center", max_mm=18),
    ]
    body = []
    channels = dict.fromkeys(vocab.HOTLINE_CHANNELS, 0)
    aid = satisfied = rated = 0
    for r in rows:
        channels[r["channel"]] = channels.get(r["channel"], 0) + 1
        aid += bool(r["legal_aid"])
        rated += bool(r["satisfaction"])
        satisfied += r["satisfaction"] in vocab.SATISFIED
        caller = _("Anonymous") if r["anonymous"] or not r["caller_name"] else m.name(r["caller_name"])
        answer = r["answer"] + ("\n" + r["referral"] if r["referral"] else "")
        body.append(
            [
                moment(r["called_at"]),
                r["channel"],
                caller,
                m.phone(r["caller_phone"]),
                r["category"],
                m.text(r["question"], [r["caller_name"]]),
                m.text(answer.strip(), [r["caller_name"]]),
                _("Yes") if r["legal_aid"] else _("No"),
                day(r["followup_on"]),
                r["satisfaction"],
                r["handler"],
            ]
        )
    by_channel = "、".join(f"{c}{n}" for c, n in channels.items() if n)
    summary = _("{n} consultations").format(n=len(rows)) + (f"（{by_channel}）" if by_channel else "")
    if rated:  # in the wide column: the satisfaction column is too narrow for it
        summary += _(", satisfied {rate}").format(rate=format_percent(satisfied / rated))
    totals = ["", "", "", "", "", summary, "", _("{n} cases").format(n=aid) if aid else "", "", "", ""]
    return columns, body, totals


def _publicity(conn, rows: list[dict], year: int, m: _Masker):
    materials = _children(conn, "publicity_materials", "event_id", [r["id"] for r in rows], "rowid")
    kinds = list(vocab.MATERIAL_KINDS)
    columns = [
        LedgerColumn("held_on", _("Date"), DATE, align="center", max_mm=20),
        LedgerColumn("theme", _("Theme"), flex=1),
        LedgerColumn("form", _("Form"), align="center", max_mm=22),
        LedgerColumn("location", _("Location"), flex=0.8),
        LedgerColumn("audience", _("Audience\n(people)"), INT, align="right", max_mm=18),
        *[
            LedgerColumn(f"material_{k}", f"{k}\n（{u}）", INT, align="right", max_mm=16)
            for k, u in vocab.MATERIAL_KINDS.items()
        ],
        LedgerColumn("organizer", _("Organizer"), max_mm=26),
        LedgerColumn("notes", _("Notes"), flex=0.7),
    ]
    body = []
    audience = 0
    sums = dict.fromkeys(kinds, 0)
    for r in rows:
        qty = dict.fromkeys(kinds, 0)
        for item in materials[r["id"]]:
            qty[item["kind"] if item["kind"] in qty else "其他"] += item["quantity"] or 0
        for k in kinds:
            sums[k] += qty[k]
        audience += r["audience"] or 0
        body.append(
            [
                day(r["held_on"]),
                r["theme"],
                r["form"],
                r["location"],
                r["audience"],
                *[qty[k] or None for k in kinds],
                r["organizer"],
                r["notes"],
            ]
        )
    totals = ["", _("{n} activities").format(n=len(rows)), "", "", audience, *[sums[k] for k in kinds], "", ""]
    return columns, body, totals
